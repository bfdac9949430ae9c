package pca

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"strings"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/store"
)

// ImportCertificateAuthorityCertificate installs the CA's signed
// certificate: it must carry the CA's key, be a CA certificate, and either
// be self-signed (ROOT) or verify through the given chain (SUBORDINATE).
func (s *Service) ImportCertificateAuthorityCertificate(ctx context.Context, caller Caller, in *ImportCertificateAuthorityCertificateInput) (*Empty, error) {
	ca, err := s.authority(ctx, caller, in.CertificateAuthorityArn, "ImportCertificateAuthorityCertificate")
	if err != nil {
		return nil, err
	}
	switch ca.Status {
	case StatusCreating:
		return nil, apierr.New(apierr.RequestInProgress,
			"The certificate authority %s is still being created. Try again later.", ca.ARN)
	case StatusPendingCertificate, StatusActive, StatusDisabled, StatusExpired:
	default:
		return nil, stateError(ca.ARN, ca.Status, "import a certificate")
	}

	certs, err := parseCertificates(in.Certificate)
	if err != nil || len(certs) != 1 {
		return nil, apierr.New(malformedCertificate, "The certificate must be exactly one PEM-encoded X.509 certificate.")
	}
	cert := certs[0]
	if err := checkImportedKey(ca, cert); err != nil {
		return nil, err
	}
	if !cert.IsCA || !cert.BasicConstraintsValid {
		return nil, apierr.New(invalidRequest, "The certificate is not a CA certificate: its basic constraints do not set CA:TRUE.")
	}

	chainPEM, err := checkChain(ca, cert, in.CertificateChain)
	if err != nil {
		return nil, err
	}

	now := s.clock.Now()
	ca.CertificatePEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	ca.CertificateChainPEM = chainPEM
	ca.Serial = issuance.FormatSerial(cert)
	ca.NotBefore = cert.NotBefore
	ca.NotAfter = cert.NotAfter
	if ca.Status == StatusPendingCertificate || ca.Status == StatusExpired {
		ca.Status = StatusActive
		ca.LastStateChangeAt = now
	}
	if !now.Before(cert.NotAfter) {
		ca.Status = StatusExpired
	}
	if err := s.save(ctx, ca); err != nil {
		return nil, err
	}
	s.logger.Info("certificate authority certificate imported", "arn", ca.ARN, "status", ca.Status,
		"serial", ca.Serial, "not_after", ca.NotAfter)
	return &Empty{}, nil
}

// parseCertificates reads every CERTIFICATE block of a PEM blob.
func parseCertificates(blob []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := blob
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, apierr.New(malformedCertificate, "The PEM block type %s is not CERTIFICATE.", block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, apierr.New(malformedCertificate, "A certificate could not be parsed.")
		}
		certs = append(certs, cert)
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return nil, apierr.New(malformedCertificate, "The certificate data has content outside PEM blocks.")
	}
	return certs, nil
}

func checkImportedKey(ca *store.CertificateAuthority, cert *x509.Certificate) error {
	signer, err := issuance.ParsePrivateKey(ca.PrivateKeyPEM)
	if err != nil {
		return err
	}
	if !publicKeysEqual(signer.Public(), cert.PublicKey) {
		return apierr.New(certificateMismatch,
			"The certificate's public key does not match the key of certificate authority %s.", ca.ARN)
	}
	return nil
}

// checkChain verifies the certificate as a root (self-signed) or a
// subordinate (through the chain, which must end in a self-signed root),
// and returns the chain to keep as PEM.
func checkChain(ca *store.CertificateAuthority, cert *x509.Certificate, chainBlob []byte) (string, error) {
	if ca.Type == TypeRoot {
		if string(cert.RawIssuer) != string(cert.RawSubject) || cert.CheckSignatureFrom(cert) != nil {
			return "", apierr.New(invalidRequest, "The certificate of a ROOT certificate authority must be self-signed.")
		}
		return "", nil
	}

	if len(chainBlob) == 0 {
		return "", apierr.New(invalidRequest, "A SUBORDINATE certificate authority needs the CertificateChain of its issuer.")
	}
	chain, err := parseCertificates(chainBlob)
	if err != nil {
		return "", err
	}
	if len(chain) == 0 {
		return "", apierr.New(malformedCertificate, "The certificate chain contains no PEM certificate.")
	}

	roots, intermediates := x509.NewCertPool(), x509.NewCertPool()
	for _, link := range chain {
		if string(link.RawIssuer) == string(link.RawSubject) && link.CheckSignatureFrom(link) == nil {
			roots.AddCert(link)
		} else {
			intermediates.AddCert(link)
		}
	}
	_, err = cert.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: intermediates,
		CurrentTime:   cert.NotBefore.Add(cert.NotAfter.Sub(cert.NotBefore) / 2),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return "", apierr.New(invalidRequest, "The certificate does not verify through the certificate chain: %v.", err)
	}

	var kept strings.Builder
	for _, link := range chain {
		kept.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: link.Raw}))
	}
	return kept.String(), nil
}

// GetCertificateAuthorityCertificate returns the CA's certificate and, for
// a subordinate, the chain it was imported with.
func (s *Service) GetCertificateAuthorityCertificate(ctx context.Context, caller Caller, in *CAArnInput) (*CertificateOutput, error) {
	ca, err := s.authority(ctx, caller, in.CertificateAuthorityArn, "GetCertificateAuthorityCertificate")
	if err != nil {
		return nil, err
	}
	if ca.CertificatePEM == "" || ca.Status == StatusDeleted {
		return nil, stateError(ca.ARN, ca.Status, "return a certificate")
	}
	return &CertificateOutput{
		Certificate:      strings.TrimSpace(ca.CertificatePEM),
		CertificateChain: strings.TrimSpace(ca.CertificateChainPEM),
	}, nil
}
