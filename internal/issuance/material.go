package issuance

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"time"
)

// Validity periods of the CA certificates, counted from the start of the UTC
// day they are created on.
const (
	rootValidityYears         = 25
	intermediateValidityYears = 10
)

// caKeyAlgorithm is the key algorithm of both CA certificates.
const caKeyAlgorithm = RSA2048

// Material is the PEM-encoded root and intermediate certificates and keys that
// the store keeps for the issuing CA.
type Material struct {
	RootCertPEM         []byte
	RootKeyPEM          []byte
	IntermediateCertPEM []byte
	IntermediateKeyPEM  []byte
}

// NewMaterial creates a self-signed root and an intermediate signed by it,
// both with RSA-2048 keys and the subject organization given. The root is
// valid for 25 years and the intermediate for 10 years, both starting at
// 00:00:00 UTC of now's day.
//
// NOTE: the intermediate carries no CRL distribution point, because the root
// CRL has no URL to be served from, so zlint reports
// e_sub_ca_crl_distribution_points_missing for it.
func NewMaterial(organization string, now time.Time) (Material, error) {
	if organization == "" {
		return Material{}, errors.New("new CA material: organization is empty")
	}

	rootKey, err := GenerateKey(caKeyAlgorithm)
	if err != nil {
		return Material{}, fmt.Errorf("new CA material: root: %w", err)
	}
	root, err := createRoot(organization, rootKey, now)
	if err != nil {
		return Material{}, fmt.Errorf("new CA material: %w", err)
	}

	intermediateKey, err := GenerateKey(caKeyAlgorithm)
	if err != nil {
		return Material{}, fmt.Errorf("new CA material: intermediate: %w", err)
	}
	intermediateDER, err := createIntermediate(organization, intermediateKey.Public(), root, rootKey, now)
	if err != nil {
		return Material{}, fmt.Errorf("new CA material: %w", err)
	}

	return encodeMaterial(root.Raw, rootKey, intermediateDER, intermediateKey)
}

func createRoot(organization string, key crypto.Signer, now time.Time) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, fmt.Errorf("create root: %w", err)
	}
	keyID, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, fmt.Errorf("create root: %w", err)
	}

	notBefore := startOfDay(now)
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               caSubject(organization, organization+" Root CA"),
		NotBefore:             notBefore,
		NotAfter:              notBefore.AddDate(rootValidityYears, 0, 0).Add(-time.Second),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          keyID,
		AuthorityKeyId:        keyID,
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}

	der, err := x509.CreateCertificate(nil, template, template, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create root: %w", err)
	}
	return x509.ParseCertificate(der)
}

// createIntermediate signs the intermediate with the root. Its validity ends
// with the root's at the latest, and its EKU lists serverAuth and clientAuth
// as publicly trusted TLS intermediates do.
func createIntermediate(organization string, pub crypto.PublicKey, root *x509.Certificate, rootKey crypto.Signer, now time.Time) ([]byte, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, fmt.Errorf("create intermediate: %w", err)
	}
	keyID, err := subjectKeyID(pub)
	if err != nil {
		return nil, fmt.Errorf("create intermediate: %w", err)
	}

	notBefore := startOfDay(now)
	notAfter := notBefore.AddDate(intermediateValidityYears, 0, 0).Add(-time.Second)
	if notAfter.After(root.NotAfter) {
		notAfter = root.NotAfter
	}

	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               caSubject(organization, organization+" Issuing CA 01"),
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          keyID,
		Policies:              []x509.OID{domainValidatedPolicy},
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}

	der, err := x509.CreateCertificate(nil, template, root, pub, rootKey)
	if err != nil {
		return nil, fmt.Errorf("create intermediate: %w", err)
	}
	return der, nil
}

func caSubject(organization, commonName string) pkix.Name {
	return pkix.Name{
		Country:      []string{caCountry},
		Organization: []string{organization},
		CommonName:   commonName,
	}
}

func encodeMaterial(rootDER []byte, rootKey crypto.Signer, intermediateDER []byte, intermediateKey crypto.Signer) (Material, error) {
	rootKeyPEM, err := MarshalPrivateKey(rootKey)
	if err != nil {
		return Material{}, fmt.Errorf("encode root key: %w", err)
	}
	intermediateKeyPEM, err := MarshalPrivateKey(intermediateKey)
	if err != nil {
		return Material{}, fmt.Errorf("encode intermediate key: %w", err)
	}

	return Material{
		RootCertPEM:         encodeCertificatePEM(rootDER),
		RootKeyPEM:          rootKeyPEM,
		IntermediateCertPEM: encodeCertificatePEM(intermediateDER),
		IntermediateKeyPEM:  intermediateKeyPEM,
	}, nil
}
