package acm

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// validationRecord derives the DNS validation CNAME of a name in an account.
//
// Both labels come from an HMAC of the account and the name keyed by a
// server secret, so requesting the same name again gives the same record,
// "example.com" and "*.example.com" share one, and another account's record
// cannot be predicted without the key.
func (s *Service) validationRecord(account, name string) ResourceRecord {
	base := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(name, "*."), "."))

	nameLabel := s.recordHash("name", account, base)
	valueHash := s.recordHash("value", account, base)
	letters := lettersFromHash(s.recordHash("zone", account, base), 10)

	zone := strings.Trim(s.config.ValidationZone, ".")
	return ResourceRecord{
		Name:  "_" + nameLabel[:32] + "." + base + ".",
		Type:  "CNAME",
		Value: "_" + valueHash[:32] + "." + letters + "." + zone + ".",
	}
}

// recordHash returns the hex HMAC-SHA256 of the purpose, account and name.
func (s *Service) recordHash(purpose, account, name string) string {
	mac := hmac.New(sha256.New, s.config.RecordKey)
	mac.Write([]byte(purpose + "\x00" + account + "\x00" + name))
	return hex.EncodeToString(mac.Sum(nil))
}

// lettersFromHash maps the first n hex digits pairs of a hash to lower-case letters.
func lettersFromHash(hexHash string, n int) string {
	raw, _ := hex.DecodeString(hexHash)
	letters := make([]byte, n)
	for i := range letters {
		letters[i] = 'a' + raw[i]%26
	}
	return string(letters)
}
