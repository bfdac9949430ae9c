// Package benchkit holds what the load tools openacm-bench and
// openacm-scale share: the test key material that signs the certificates
// they create, and latency percentiles.
package benchkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"slices"
	"time"
)

// Material is one RSA-2048 leaf key that every test certificate reuses,
// and a P-256 CA that signs each leaf. The CA is P-256 because signing
// many leaves with an RSA CA would take far longer.
type Material struct {
	LeafKey *rsa.PrivateKey
	// LeafKeyPEM is LeafKey as a PKCS #8 "PRIVATE KEY" PEM block.
	LeafKeyPEM []byte
	CAKey      *ecdsa.PrivateKey
	CA         *x509.Certificate
	// CAPEM is CA as a "CERTIFICATE" PEM block.
	CAPEM string
}

// NewMaterial generates the leaf key and a self-signed CA with subject,
// valid from notBefore to notAfter.
func NewMaterial(subject pkix.Name, notBefore, notAfter time.Time) (*Material, error) {
	leafKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate leaf key: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		return nil, fmt.Errorf("marshal leaf key: %w", err)
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}

	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               subject,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, caKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}

	return &Material{
		LeafKey:    leafKey,
		LeafKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		CAKey:      caKey,
		CA:         ca,
		CAPEM:      string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
	}, nil
}

// SignLeaf signs template for the leaf key with the CA and returns the
// certificate as a "CERTIFICATE" PEM block.
func (m *Material) SignLeaf(template *x509.Certificate) ([]byte, error) {
	der, err := x509.CreateCertificate(rand.Reader, template, m.CA, m.LeafKey.Public(), m.CAKey)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// Latencies are the durations of one kind of call, sorted from shortest.
type Latencies []time.Duration

// SortLatencies returns a sorted copy of durations.
func SortLatencies(durations []time.Duration) Latencies {
	sorted := slices.Clone(durations)
	slices.Sort(sorted)
	return sorted
}

// Percentile returns the nearest-rank percentile p (0 to 1) in
// milliseconds, or 0 when there are no durations.
func (l Latencies) Percentile(p float64) float64 {
	if len(l) == 0 {
		return 0
	}
	rank := int(p*float64(len(l))+0.999999) - 1
	rank = max(0, min(rank, len(l)-1))
	return Milliseconds(l[rank])
}

// Max returns the longest duration in milliseconds, or 0 when there are
// no durations.
func (l Latencies) Max() float64 {
	if len(l) == 0 {
		return 0
	}
	return Milliseconds(l[len(l)-1])
}

// Milliseconds returns d in milliseconds, to the microsecond.
func Milliseconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
