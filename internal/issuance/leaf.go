package issuance

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"
)

// maxCommonNameLength is the upper bound RFC 5280 puts on a subject
// commonName, in characters.
const maxCommonNameLength = 64

// LeafRequest describes a leaf certificate to issue.
type LeafRequest struct {
	// CommonName is the ACM DomainName. It must also appear in DNSNames.
	CommonName string
	// DNSNames are the subject alternative names in order, CommonName first.
	DNSNames []string
	// IPAddresses are IP address subject alternative names, which only
	// OpenACM's certificate for its own listener has.
	IPAddresses []net.IP
	// PublicKey is the RSA or ECDSA public key to certify.
	PublicKey crypto.PublicKey

	NotBefore time.Time
	NotAfter  time.Time

	// IssuerURL is the AIA caIssuers URL where OpenACM serves the
	// intermediate certificate in DER form.
	IssuerURL string
	// CRLURL is the CRL distribution point URL where OpenACM serves the
	// intermediate's CRL.
	CRLURL string
}

// Leaf is an issued leaf certificate with the fields that DescribeCertificate
// reports about it.
type Leaf struct {
	Certificate    *x509.Certificate
	CertificatePEM string
	// Serial is formatted as FormatSerial does, for example "0a:1b:2c".
	Serial string
	// SignatureAlgorithm is spelled as ACM does, for example "SHA256WITHRSA".
	SignatureAlgorithm string
	// KeyUsages are ACM KeyUsage names, for example "DIGITAL_SIGNATURE".
	KeyUsages         []string
	ExtendedKeyUsages []ExtendedKeyUsage
}

// IssueLeaf signs a TLS server certificate with the intermediate, following
// the profile of the leaves ACM issues. The subject contains only the common
// name, and the key usage is digitalSignature, plus keyEncipherment for RSA
// keys. The only extended key usage is serverAuth, the policy is domain
// validated, and the AIA and CRL distribution point carry the request's URLs.
func (ca *CA) IssueLeaf(req LeafRequest) (Leaf, error) {
	if err := validateLeafRequest(req); err != nil {
		return Leaf{}, fmt.Errorf("issue leaf: %w", err)
	}

	template, err := leafTemplate(req)
	if err != nil {
		return Leaf{}, fmt.Errorf("issue leaf: %w", err)
	}

	der, err := x509.CreateCertificate(nil, template, ca.Intermediate, req.PublicKey, ca.intermediateKey)
	if err != nil {
		return Leaf{}, fmt.Errorf("issue leaf: sign certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return Leaf{}, fmt.Errorf("issue leaf: parse signed certificate: %w", err)
	}

	return describeLeaf(cert), nil
}

func validateLeafRequest(req LeafRequest) error {
	switch {
	case req.CommonName == "":
		return errors.New("common name is empty")
	case len(req.CommonName) > maxCommonNameLength:
		return fmt.Errorf("common name %q is longer than %d characters", req.CommonName, maxCommonNameLength)
	case !slices.Contains(req.DNSNames, req.CommonName):
		return fmt.Errorf("common name %q is missing from the DNS names", req.CommonName)
	case req.PublicKey == nil:
		return errors.New("public key is missing")
	case !req.NotAfter.After(req.NotBefore):
		return fmt.Errorf("NotAfter %s is not later than NotBefore %s", req.NotAfter, req.NotBefore)
	case req.IssuerURL == "":
		return errors.New("issuer URL is empty")
	case req.CRLURL == "":
		return errors.New("CRL URL is empty")
	}

	if _, err := KeyAlgorithmOf(req.PublicKey); err != nil {
		return err
	}
	return nil
}

func leafTemplate(req LeafRequest) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	keyID, err := subjectKeyID(req.PublicKey)
	if err != nil {
		return nil, err
	}

	// keyEncipherment only applies to RSA keys, which TLS 1.2 RSA key
	// exchange encrypts the premaster secret to.
	keyUsage := x509.KeyUsageDigitalSignature
	if _, isRSA := req.PublicKey.(*rsa.PublicKey); isRSA {
		keyUsage |= x509.KeyUsageKeyEncipherment
	}

	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: req.CommonName},
		DNSNames:              slices.Clone(req.DNSNames),
		IPAddresses:           slices.Clone(req.IPAddresses),
		NotBefore:             req.NotBefore,
		NotAfter:              req.NotAfter,
		KeyUsage:              keyUsage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  false,
		SubjectKeyId:          keyID,
		Policies:              []x509.OID{domainValidatedPolicy},
		IssuingCertificateURL: []string{req.IssuerURL},
		CRLDistributionPoints: []string{req.CRLURL},
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}, nil
}

func describeLeaf(cert *x509.Certificate) Leaf {
	return Leaf{
		Certificate:        cert,
		CertificatePEM:     string(encodeCertificatePEM(cert.Raw)),
		Serial:             FormatSerial(cert),
		SignatureAlgorithm: SignatureAlgorithmName(cert),
		KeyUsages:          DescribeKeyUsages(cert),
		ExtendedKeyUsages:  DescribeExtendedKeyUsages(cert),
	}
}

// Validity returns the validity period ACM gives a new certificate: notBefore
// is 00:00:00 UTC of now's day, and notAfter is one second before
// notBefore + validity.
func Validity(now time.Time, validity time.Duration) (notBefore, notAfter time.Time) {
	notBefore = startOfDay(now)
	return notBefore, notBefore.Add(validity - time.Second)
}

func startOfDay(t time.Time) time.Time {
	year, month, day := t.UTC().Date()
	return time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
}
