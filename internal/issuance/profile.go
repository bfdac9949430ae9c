package issuance

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
)

// serialBytes is the length of a random serial number in bytes. The top bit is cleared
// so the DER INTEGER stays positive and fits in 16 octets, which leaves 127
// bits of entropy, well above the 64 bits the CA/Browser Forum requires.
const serialBytes = 16

// caCountry is the countryName of the root and intermediate subjects. The
// Baseline Requirements make countryName mandatory in CA certificates, and
// OpenACM has no configured country to use instead.
const caCountry = "US"

// domainValidatedPolicy is the CA/Browser Forum domain-validated policy OID
// 2.23.140.1.2.1, the policy ACM puts in its leaf certificates.
var domainValidatedPolicy = mustOID(2, 23, 140, 1, 2, 1)

// mustOID builds an OID from constant components, so it panics only on a
// programming error.
func mustOID(components ...uint64) x509.OID {
	oid, err := x509.OIDFromInts(components)
	if err != nil {
		panic(err)
	}
	return oid
}

// randomSerial returns a positive serial number of at most 16 DER octets.
func randomSerial() (*big.Int, error) {
	buf := make([]byte, serialBytes)
	for {
		if _, err := rand.Read(buf); err != nil {
			return nil, fmt.Errorf("read random serial: %w", err)
		}
		buf[0] &= 0x7f

		serial := new(big.Int).SetBytes(buf)
		if serial.Sign() > 0 {
			return serial, nil
		}
	}
}

// subjectKeyID computes a key identifier by method 1 of RFC 7093: the
// leftmost 160 bits of the SHA-256 hash of the subjectPublicKey BIT STRING.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}

	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if rest, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	} else if len(rest) > 0 {
		return nil, errors.New("parse public key: trailing data")
	}

	sum := sha256.Sum256(spki.PublicKey.Bytes)
	return sum[:20], nil
}

// publicKeysEqual reports whether two public keys of the standard library
// types are the same key.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	key, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && key.Equal(b)
}

// encodeCertificatePEM returns the "CERTIFICATE" PEM block of a DER certificate.
func encodeCertificatePEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
