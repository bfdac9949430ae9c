package issuance

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// CA is the loaded issuing CA. It signs leaf certificates and CRLs with the
// intermediate key, and keeps the root certificate only to build chains.
type CA struct {
	Root         *x509.Certificate
	Intermediate *x509.Certificate

	intermediateKey crypto.Signer
}

// LoadCA parses CA material and checks that it fits together: each key
// matches its certificate, both certificates are CAs, and the root signed the
// intermediate. The error names the part that is wrong.
func LoadCA(m Material) (*CA, error) {
	root, err := parseCertificatePEM(m.RootCertPEM)
	if err != nil {
		return nil, fmt.Errorf("load CA: root certificate: %w", err)
	}
	if _, err := parseMatchingKey(m.RootKeyPEM, root); err != nil {
		return nil, fmt.Errorf("load CA: root key: %w", err)
	}

	intermediate, err := parseCertificatePEM(m.IntermediateCertPEM)
	if err != nil {
		return nil, fmt.Errorf("load CA: intermediate certificate: %w", err)
	}
	intermediateKey, err := parseMatchingKey(m.IntermediateKeyPEM, intermediate)
	if err != nil {
		return nil, fmt.Errorf("load CA: intermediate key: %w", err)
	}

	if err := checkCAPair(root, intermediate); err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}

	return &CA{Root: root, Intermediate: intermediate, intermediateKey: intermediateKey}, nil
}

func parseCertificatePEM(pemBytes []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	if block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("PEM block type is %q, expected \"CERTIFICATE\"", block.Type)
	}
	return x509.ParseCertificate(block.Bytes)
}

func parseMatchingKey(keyPEM []byte, cert *x509.Certificate) (crypto.Signer, error) {
	key, err := ParsePrivateKey(keyPEM)
	if err != nil {
		return nil, err
	}
	if !publicKeysEqual(key.Public(), cert.PublicKey) {
		return nil, errors.New("does not match the certificate's public key")
	}
	return key, nil
}

func checkCAPair(root, intermediate *x509.Certificate) error {
	if !root.IsCA {
		return errors.New("root certificate is not a CA certificate")
	}
	if !intermediate.IsCA {
		return errors.New("intermediate certificate is not a CA certificate")
	}
	if err := intermediate.CheckSignatureFrom(root); err != nil {
		return fmt.Errorf("intermediate certificate is not signed by the root: %w", err)
	}
	return nil
}

// ChainPEM returns the intermediate certificate followed by the root, both as
// PEM blocks that end with a newline, which is the chain ACM returns next to
// a leaf.
func (ca *CA) ChainPEM() string {
	return string(encodeCertificatePEM(ca.Intermediate.Raw)) + string(encodeCertificatePEM(ca.Root.Raw))
}

// Organization returns the subject organization of the root, or "" if it has none.
func (ca *CA) Organization() string {
	if len(ca.Root.Subject.Organization) == 0 {
		return ""
	}
	return ca.Root.Subject.Organization[0]
}
