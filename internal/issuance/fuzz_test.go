package issuance

import (
	"testing"
	"time"
)

// FuzzParsePEM feeds arbitrary bytes to the PEM certificate and private
// key parsers and to LoadCA. None may panic; a key that parses must sign.
func FuzzParsePEM(f *testing.F) {
	material, err := NewMaterial("Fuzz", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(material.IntermediateCertPEM, material.IntermediateKeyPEM)
	f.Add(material.RootCertPEM, material.IntermediateKeyPEM)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), []byte("-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n"))
	f.Add([]byte(""), []byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"))

	f.Fuzz(func(t *testing.T, certPEM, keyPEM []byte) {
		if cert, err := parseCertificatePEM(certPEM); err == nil && cert == nil {
			t.Errorf("parseCertificatePEM returned no certificate and no error")
		}
		if key, err := ParsePrivateKey(keyPEM); err == nil && key.Public() == nil {
			t.Errorf("ParsePrivateKey returned a key without a public key")
		}
		_, _ = LoadCA(Material{
			RootCertPEM:         material.RootCertPEM,
			RootKeyPEM:          material.RootKeyPEM,
			IntermediateCertPEM: certPEM,
			IntermediateKeyPEM:  keyPEM,
		})
	})
}
