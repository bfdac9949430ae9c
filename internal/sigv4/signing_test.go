package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestSignatureMatches(t *testing.T) {
	key := []byte("signing key")
	toSign := "AWS4-HMAC-SHA256\n20260102T030405Z\n20260102/us-east-1/acm/aws4_request\nabc"
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(toSign))
	valid := hex.EncodeToString(mac.Sum(nil))

	if !signatureMatches(key, toSign, valid) {
		t.Errorf("signatureMatches rejected the valid signature %s", valid)
	}
	lastChanged := valid[:63] + "0"
	if valid[63] == '0' {
		lastChanged = valid[:63] + "1"
	}
	rejected := map[string]string{
		"last digit changed": lastChanged,
		"uppercase":          strings.ToUpper(valid),
		"short":              valid[:63],
		"long":               valid + "0",
		"empty":              "",
	}
	for name, signature := range rejected {
		if signatureMatches(key, toSign, signature) {
			t.Errorf("signatureMatches accepted the %s signature %q", name, signature)
		}
	}
}
