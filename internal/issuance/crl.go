package issuance

import (
	"crypto/x509"
	"fmt"
	"math/big"
	"time"
)

// crlLifetime is the time from thisUpdate to nextUpdate. The Baseline
// Requirements allow at most 10 days for CRLs that cover leaf certificates.
const crlLifetime = 7 * 24 * time.Hour

// validReasonCodes are the RFC 5280 CRLReason values a full CRL may carry.
// Value 7 is unassigned, and 8 (removeFromCRL) belongs only in delta CRLs.
var validReasonCodes = map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 9: true, 10: true}

// RevokedSerial is one entry of a CRL. ReasonCode is an RFC 5280 CRLReason
// value. The reason 0 (unspecified) is left out of the entry, as RFC 5280
// recommends.
type RevokedSerial struct {
	Serial     *big.Int
	RevokedAt  time.Time
	ReasonCode int
}

// CRL returns a DER CRL signed by the intermediate that lists the revoked
// serials, with thisUpdate = now, nextUpdate = now + 7 days and the given CRL
// number.
func (ca *CA) CRL(now time.Time, number *big.Int, revoked []RevokedSerial) ([]byte, error) {
	if number == nil || number.Sign() < 0 {
		return nil, fmt.Errorf("create CRL: invalid CRL number %v, expected a non-negative integer", number)
	}

	entries := make([]x509.RevocationListEntry, 0, len(revoked))
	for _, r := range revoked {
		if err := validateRevokedSerial(r); err != nil {
			return nil, fmt.Errorf("create CRL: %w", err)
		}
		entries = append(entries, x509.RevocationListEntry{
			SerialNumber:   r.Serial,
			RevocationTime: r.RevokedAt.UTC(),
			ReasonCode:     r.ReasonCode,
		})
	}

	template := &x509.RevocationList{
		SignatureAlgorithm:        x509.SHA256WithRSA,
		RevokedCertificateEntries: entries,
		Number:                    number,
		ThisUpdate:                now.UTC(),
		NextUpdate:                now.UTC().Add(crlLifetime),
	}

	der, err := x509.CreateRevocationList(nil, template, ca.Intermediate, ca.intermediateKey)
	if err != nil {
		return nil, fmt.Errorf("create CRL: %w", err)
	}
	return der, nil
}

func validateRevokedSerial(r RevokedSerial) error {
	if r.Serial == nil || r.Serial.Sign() <= 0 {
		return fmt.Errorf("revoked serial %v is not a positive integer", r.Serial)
	}
	if !validReasonCodes[r.ReasonCode] {
		return fmt.Errorf("revoked serial %x: invalid reason code %d", r.Serial, r.ReasonCode)
	}
	return nil
}
