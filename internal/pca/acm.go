package pca

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// Errors of SignForACM. ACM turns each into a certificate FailureReason.
var (
	ErrCANotFound      = errors.New("certificate authority not found")
	ErrCAInvalidState  = errors.New("certificate authority is not in a state to issue")
	ErrInvalidDuration = errors.New("certificate validity would end after the certificate authority's")
	ErrAccessDenied    = errors.New("the account may not issue from the certificate authority")
	ErrInvalidArgs     = errors.New("the request does not fit the certificate authority")
)

// ACMRequest is a request to a CA for the certificate of an ACM private certificate.
type ACMRequest struct {
	CAARN string
	// Account and Region are the ACM certificate's.
	Account           string
	Region            string
	ACMCertificateARN string
	DomainName        string
	// DNSNames are every name of the certificate, DomainName first.
	DNSNames  []string
	PublicKey crypto.PublicKey
	Validity  time.Duration
}

// ACMCertificate is a certificate signed by SignForACM, with its chain.
type ACMCertificate struct {
	Certificate    *x509.Certificate
	CertificatePEM string
	ChainPEM       string
	// Record is the CA's record of the certificate, which the caller
	// stores together with the ACM certificate (store.CertificateWork).
	Record *store.IssuedCertificate
}

// SignForACM signs an ACM private certificate with the named CA: the
// profile of ACM's private certificates (serverAuth and clientAuth), the
// CA's signing algorithm and revocation URLs, and a validity that must end
// before the CA's own. It stores nothing: until the caller stores Record,
// the CA's lists and its CRL do not know the certificate.
func (s *Service) SignForACM(ctx context.Context, req ACMRequest) (*ACMCertificate, error) {
	ca, err := s.caForACM(ctx, req)
	if err != nil {
		return nil, err
	}
	if publicKeyFamily(req.PublicKey) != keyFamily(ca.KeyAlgorithm) {
		return nil, fmt.Errorf("%w: key family %s, CA key algorithm %s", ErrInvalidArgs, publicKeyFamily(req.PublicKey), ca.KeyAlgorithm)
	}

	now := s.clock.Now().Truncate(time.Second)
	notAfter := now.Add(req.Validity)
	if notAfter.After(ca.NotAfter) {
		return nil, fmt.Errorf("%w: %s is after %s", ErrInvalidDuration, notAfter, ca.NotAfter)
	}

	template := baseTemplates["EndEntityCertificate"]
	template.name = "ACM private certificate"
	spec := &signingSpec{
		ca:          ca,
		template:    template,
		publicKey:   req.PublicKey,
		subject:     pkix.Name{CommonName: req.DomainName},
		sans:        sanFields{dnsNames: req.DNSNames},
		keyUsage:    template.keyUsage,
		extKeyUsage: template.extKeyUsage,
		notBefore:   now,
		notAfter:    notAfter,
		algorithm:   ca.SigningAlgorithm,
	}
	if publicKeyFamily(req.PublicKey) != "RSA" {
		spec.keyUsage &^= x509.KeyUsageKeyEncipherment
	}

	cert, err := s.sign(spec)
	if err != nil {
		return nil, err
	}
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	record := &store.IssuedCertificate{
		ARN:               fmt.Sprintf("%s/certificate/%032x", ca.ARN, cert.SerialNumber),
		CAARN:             ca.ARN,
		Serial:            serialKey(cert),
		CertificatePEM:    certPEM,
		IssuedAt:          s.clock.Now(),
		NotAfter:          cert.NotAfter,
		ACMCertificateARN: req.ACMCertificateARN,
	}
	s.logger.Info("private certificate signed for ACM", "ca_arn", ca.ARN, "acm_arn", req.ACMCertificateARN,
		"serial", cert.SerialNumber.Text(16), "not_after", cert.NotAfter)

	return &ACMCertificate{Certificate: cert, CertificatePEM: certPEM, ChainPEM: chainOf(ca) + "\n", Record: record}, nil
}

// caForACM loads an ACTIVE CA that the request's account may issue from.
func (s *Service) caForACM(ctx context.Context, req ACMRequest) (*store.CertificateAuthority, error) {
	region, account, err := parseCAArn(req.CAARN)
	if err != nil || region != req.Region {
		return nil, ErrCANotFound
	}
	ca, err := s.store.GetCertificateAuthority(ctx, account, region, req.CAARN)
	// As in authority, another account's ARN is refused alike whether or
	// not the CA exists.
	if errors.Is(err, store.ErrNotFound) && account != req.Account {
		return nil, ErrAccessDenied
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrCANotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read certificate authority %s: %w", req.CAARN, err)
	}
	if account != req.Account && !policyAllows(ca.Policy, req.Account, "IssueCertificate", ca.ARN) {
		return nil, ErrAccessDenied
	}
	s.expireIfDue(ctx, ca)
	if ca.Status != StatusActive {
		return nil, fmt.Errorf("%w: status %s", ErrCAInvalidState, ca.Status)
	}
	return ca, nil
}

// CheckCA reports, without issuing, why IssueForACM would refuse the CA:
// nil, ErrCANotFound, ErrAccessDenied or ErrCAInvalidState.
func (s *Service) CheckCA(ctx context.Context, caARN, account, region string) error {
	_, err := s.caForACM(ctx, ACMRequest{CAARN: caARN, Account: account, Region: region})
	return err
}
