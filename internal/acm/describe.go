package acm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/store"
)

// maxSANSummaries is how many names a ListCertificates summary carries.
const maxSANSummaries = 100

// DescribeCertificate returns a certificate's details.
func (s *Service) DescribeCertificate(ctx context.Context, caller Caller, in *CertificateArnInput) (*DescribeCertificateOutput, error) {
	cert, err := s.store.GetCertificateDetails(ctx, caller.Account, caller.Region, in.CertificateArn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierr.New(apierr.ResourceNotFound,
			"Could not find certificate %s in account %s.", in.CertificateArn, caller.Account)
	}
	if err != nil {
		return nil, fmt.Errorf("read certificate %s: %w", in.CertificateArn, err)
	}
	return &DescribeCertificateOutput{Certificate: certificateDetail(cert)}, nil
}

// GetCertificate returns an issued certificate and its chain as PEM.
func (s *Service) GetCertificate(ctx context.Context, caller Caller, in *CertificateArnInput) (*GetCertificateOutput, error) {
	cert, err := s.loadCertificate(ctx, caller, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	if cert.CertificatePEM == "" {
		return nil, apierr.New(apierr.RequestInProgress,
			"Certificate %s is in status %s and has not been issued.", cert.ARN, cert.Status)
	}
	return &GetCertificateOutput{Certificate: cert.CertificatePEM, CertificateChain: cert.CertificateChainPEM}, nil
}

// DeleteCertificate deletes a certificate that no resource uses.
func (s *Service) DeleteCertificate(ctx context.Context, caller Caller, in *CertificateArnInput) (*Empty, error) {
	cert, err := s.loadCertificate(ctx, caller, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	if len(cert.InUseBy) > 0 {
		return nil, apierr.New(apierr.ResourceInUse,
			"Certificate %s in account %s is in use.", cert.ARN, caller.Account)
	}

	err = s.store.DeleteCertificate(ctx, caller.Account, caller.Region, cert.ARN)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(in.CertificateArn)
	}
	if err != nil {
		return nil, fmt.Errorf("delete certificate %s: %w", cert.ARN, err)
	}
	s.logger.Info("certificate deleted", "arn", cert.ARN, "account", caller.Account)
	return &Empty{}, nil
}

// loadCertificate reads a certificate of the caller or returns ACM's not-found error.
func (s *Service) loadCertificate(ctx context.Context, caller Caller, certificateArn string) (*store.Certificate, error) {
	cert, err := s.store.GetCertificate(ctx, caller.Account, caller.Region, certificateArn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(certificateArn)
	}
	if err != nil {
		return nil, fmt.Errorf("read certificate %s: %w", certificateArn, err)
	}
	return cert, nil
}

func notFound(certificateArn string) error {
	return apierr.New(apierr.ResourceNotFound, "Could not find certificate %s.", certificateArn)
}

// certificateDetail renders a stored certificate as DescribeCertificate shows it.
func certificateDetail(cert *store.Certificate) CertificateDetail {
	// The six times share one allocation.
	times := new([6]Timestamp)
	timestamp := func(i int, t time.Time) *Timestamp {
		if t.IsZero() {
			return nil
		}
		times[i] = Timestamp(t)
		return &times[i]
	}
	detail := CertificateDetail{
		CertificateArn:          cert.ARN,
		DomainName:              cert.DomainName,
		SubjectAlternativeNames: cert.SubjectAlternativeNames,
		ManagedBy:               cert.ManagedBy,
		DomainValidationOptions: domainValidations(cert.DomainValidations),
		Serial:                  cert.Serial,
		Subject:                 cert.Subject,
		Issuer:                  cert.Issuer,
		CreatedAt:               timestamp(0, cert.CreatedAt),
		IssuedAt:                timestamp(1, cert.IssuedAt),
		ImportedAt:              timestamp(2, cert.ImportedAt),
		Status:                  cert.Status,
		RevokedAt:               timestamp(3, cert.RevokedAt),
		RevocationReason:        cert.RevocationReason,
		NotBefore:               timestamp(4, cert.NotBefore),
		NotAfter:                timestamp(5, cert.NotAfter),
		KeyAlgorithm:            displayKeyAlgorithm(cert.KeyAlgorithm),
		SignatureAlgorithm:      cert.SignatureAlgorithm,
		InUseBy:                 nonNil(cert.InUseBy),
		FailureReason:           cert.FailureReason,
		Type:                    cert.Type,
		KeyUsages:               make([]KeyUsage, 0, len(cert.KeyUsages)),
		ExtendedKeyUsages:       make([]ExtendedKeyUsage, 0, len(cert.ExtendedKeyUsages)),
		CertificateAuthorityArn: cert.CertificateAuthorityArn,
		RenewalEligibility:      cert.RenewalEligibility,
		RenewalSummary:          renewalSummary(cert.Renewal),
		Options: &CertificateOptions{
			CertificateTransparencyLoggingPreference: cert.CTLoggingPreference,
			Export:                                   cert.ExportOption,
		},
	}
	if detail.Subject == "" && cert.Type != "IMPORTED" {
		detail.Subject = "CN=" + cert.DomainName
	}
	for _, usage := range cert.KeyUsages {
		detail.KeyUsages = append(detail.KeyUsages, KeyUsage{Name: usage})
	}
	for _, usage := range cert.ExtendedKeyUsages {
		detail.ExtendedKeyUsages = append(detail.ExtendedKeyUsages, ExtendedKeyUsage{Name: usage.Name, OID: usage.OID})
	}
	return detail
}

func domainValidations(validations []store.DomainValidation) []DomainValidation {
	if len(validations) == 0 {
		return nil
	}
	out := make([]DomainValidation, 0, len(validations))
	for _, v := range validations {
		rendered := DomainValidation{
			DomainName:       v.DomainName,
			ValidationEmails: v.ValidationEmails,
			ValidationDomain: v.ValidationDomain,
			ValidationStatus: v.ValidationStatus,
			ValidationMethod: v.ValidationMethod,
		}
		if v.ResourceRecordName != "" {
			rendered.ResourceRecord = &ResourceRecord{Name: v.ResourceRecordName, Type: v.ResourceRecordType, Value: v.ResourceRecordValue}
		}
		if v.RedirectFrom != "" {
			rendered.HttpRedirect = &HttpRedirect{RedirectFrom: v.RedirectFrom, RedirectTo: v.RedirectTo}
		}
		out = append(out, rendered)
	}
	return out
}

// displayKeyAlgorithm spells a key algorithm as ACM's responses do
// ("RSA-2048", "EC-prime256v1"); requests and filters use the underscore.
func displayKeyAlgorithm(algorithm string) string {
	if display, ok := displayKeyAlgorithms[algorithm]; ok {
		return display
	}
	return strings.Replace(algorithm, "_", "-", 1)
}

// displayKeyAlgorithms holds the display names of the key algorithms
// OpenACM stores, so that a page of summaries does not allocate one
// string per row.
var displayKeyAlgorithms = func() map[string]string {
	names := make(map[string]string, len(importKeyAlgorithms))
	for algorithm := range importKeyAlgorithms {
		names[algorithm] = strings.Replace(algorithm, "_", "-", 1)
	}
	return names
}()

func nonNil(values []string) []string {
	if values == nil {
		return []string{}
	}
	return values
}
