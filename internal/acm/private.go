package acm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/audit"
	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/pca"
	"github.com/openacm/openacm/internal/store"
)

// Values of private certificates, renewal and revocation.
const (
	RenewalPending = RenewalPendingAutoRenewal

	FailurePCAInvalidState    = "PCA_INVALID_STATE"
	FailurePCAInvalidDuration = "PCA_INVALID_DURATION"
	FailurePCAAccessDenied    = "PCA_ACCESS_DENIED"
	FailurePCAInvalidArgs     = "PCA_INVALID_ARGS"

	// privateValidity is the lifetime of ACM's private certificates.
	privateValidity = 395 * 24 * time.Hour
)

type ExportCertificateInput struct {
	CertificateArn string `json:"CertificateArn"`
	Passphrase     []byte `json:"Passphrase"`
}

type ExportCertificateOutput struct {
	Certificate      string `json:"Certificate,omitempty"`
	CertificateChain string `json:"CertificateChain,omitempty"`
	PrivateKey       string `json:"PrivateKey,omitempty"`
}

type RevokeCertificateInput struct {
	CertificateArn   string `json:"CertificateArn"`
	RevocationReason string `json:"RevocationReason"`
}

type RevokeCertificateOutput struct {
	CertificateArn string `json:"CertificateArn"`
}

// pcaFailureReasons maps the errors of pca.SignForACM to FailureReason values.
var pcaFailureReasons = []struct {
	err    error
	reason string
}{
	{pca.ErrCANotFound, FailurePCAResourceNotFound},
	{pca.ErrCAInvalidState, FailurePCAInvalidState},
	{pca.ErrInvalidDuration, FailurePCAInvalidDuration},
	{pca.ErrAccessDenied, FailurePCAAccessDenied},
	{pca.ErrInvalidArgs, FailurePCAInvalidArgs},
}

func failureReason(err error) (string, bool) {
	for _, entry := range pcaFailureReasons {
		if errors.Is(err, entry.err) {
			return entry.reason, true
		}
	}
	return "", false
}

// issuePrivate has the named CA sign a pending PRIVATE certificate. A CA
// that cannot issue fails the certificate for good; other errors are
// retried by the worker. The CA's record of the certificate, the
// certificate and the end of holder's lease go to the store in one write
// (holder "" ends no lease), and released reports whether that write
// ended the lease.
func (s *Service) issuePrivate(ctx context.Context, cert *store.Certificate, holder string) (released bool, err error) {
	if s.private == nil {
		return s.failPrivate(ctx, cert, FailurePCAResourceNotFound, holder)
	}

	started := time.Now()
	record, err := s.signPrivate(ctx, cert)
	s.observer.IssuanceFinished(cert.Type, err, time.Since(started))
	if reason, ok := failureReason(err); ok {
		s.logger.Info("private certificate request failed", "arn", cert.ARN, "ca_arn", cert.CertificateAuthorityArn, "reason", reason, "error", err)
		return s.failPrivate(ctx, cert, reason, holder)
	}
	if err != nil {
		s.auditIssue(ctx, cert, audit.ResultFailure)
		return false, fmt.Errorf("issue private certificate %s: %w", cert.ARN, err)
	}

	cert.Status = StatusIssued
	stored, err := s.finish(ctx, store.CertificateWork{Certificate: cert, Issued: record, LeaseHolder: holder}, "certificate issued")
	if err != nil || !stored {
		// The signed certificate was dropped, and no record of it kept.
		s.auditIssue(ctx, cert, audit.ResultFailure)
		return false, err
	}
	s.auditIssue(ctx, cert, audit.ResultSuccess)
	return holder != "", nil
}

// failPrivate marks a private certificate request FAILED with reason and
// ends holder's lease in the same write.
func (s *Service) failPrivate(ctx context.Context, cert *store.Certificate, reason, holder string) (bool, error) {
	cert.Status = StatusFailed
	cert.FailureReason = reason
	s.observer.CertificateFailed(cert.Type, reason)
	stored, err := s.finish(ctx, store.CertificateWork{Certificate: cert, LeaseHolder: holder}, "certificate failed")
	return stored && holder != "", err
}

// signPrivate takes a new key, has the CA sign it and fills the
// certificate fields. It returns the CA's record of the signed
// certificate, which the caller stores with the certificate.
func (s *Service) signPrivate(ctx context.Context, cert *store.Certificate) (*store.IssuedCertificate, error) {
	key, err := s.keys.Take(ctx, cert.KeyAlgorithm)
	if err != nil {
		return nil, err
	}
	signed, err := s.private.SignForACM(ctx, pca.ACMRequest{
		CAARN:             cert.CertificateAuthorityArn,
		Account:           cert.Account,
		Region:            cert.Region,
		ACMCertificateARN: cert.ARN,
		DomainName:        cert.DomainName,
		DNSNames:          cert.SubjectAlternativeNames,
		PublicKey:         key.Public,
		Validity:          privateValidity,
	})
	if err != nil {
		return nil, err
	}

	leaf := signed.Certificate
	cert.IssuedAt = s.clock.Now()
	cert.NotBefore = leaf.NotBefore
	cert.NotAfter = leaf.NotAfter
	cert.Serial = issuance.FormatSerial(leaf)
	cert.Subject = "CN=" + cert.DomainName
	cert.Issuer = issuerName(leaf)
	cert.SignatureAlgorithm = issuance.SignatureAlgorithmName(leaf)
	cert.KeyUsages = issuance.DescribeKeyUsages(leaf)
	cert.ExtendedKeyUsages = cert.ExtendedKeyUsages[:0]
	for _, usage := range issuance.DescribeExtendedKeyUsages(leaf) {
		cert.ExtendedKeyUsages = append(cert.ExtendedKeyUsages, store.ExtendedKeyUsage{Name: usage.Name, OID: usage.OID})
	}
	cert.CertificatePEM = signed.CertificatePEM
	cert.CertificateChainPEM = signed.ChainPEM
	cert.PrivateKeyPEM = key.PEM
	return signed.Record, nil
}

// renewPrivate moves a pending renewal of a PRIVATE certificate on (see
// advancePrivateRenewal), saves it with the CA's record of a renewed
// certificate and the end of holder's lease, and sends the renewal's
// events. It reports whether its write ended the lease.
func (s *Service) renewPrivate(ctx context.Context, cert *store.Certificate, holder string) (bool, error) {
	out, err := s.advancePrivateRenewal(ctx, cert)
	if err != nil {
		return false, err
	}
	if !out.changed {
		return false, nil
	}
	work := store.CertificateWork{Certificate: cert, Issued: out.issued, LeaseHolder: holder}
	stored, err := s.finish(ctx, work, "private certificate renewal updated")
	if err != nil {
		return false, err
	}
	s.announceRenewal(cert, out)
	return stored && holder != "", nil
}

// advancePrivateRenewal has the CA sign the renewed certificate once it
// has granted ACM the renewal permissions. Until then the renewal waits in
// PENDING_AUTO_RENEWAL with RenewalStatusReason PCA_ACCESS_DENIED. It
// changes cert but does not save it.
func (s *Service) advancePrivateRenewal(ctx context.Context, cert *store.Certificate) (renewalOutcome, error) {
	if s.private == nil {
		s.setRenewal(cert, RenewalFailed, FailurePCAResourceNotFound)
		s.logger.Warn("managed renewal failed: no private CA service", "arn", cert.ARN, "ca_arn", cert.CertificateAuthorityArn)
		return renewalOutcome{changed: true, actionRequired: true, finished: true}, nil
	}
	allowed, err := s.private.ACMMayRenew(ctx, cert.CertificateAuthorityArn, cert.Account)
	if err != nil {
		return renewalOutcome{}, fmt.Errorf("read permissions of %s: %w", cert.CertificateAuthorityArn, err)
	}
	if !allowed {
		if cert.Renewal.StatusReason == FailurePCAAccessDenied {
			return renewalOutcome{}, nil
		}
		s.setRenewal(cert, RenewalPending, FailurePCAAccessDenied)
		s.logger.Info("private certificate renewal waits for CA permissions", "arn", cert.ARN, "ca_arn", cert.CertificateAuthorityArn)
		return renewalOutcome{changed: true, actionRequired: true}, nil
	}

	record, err := s.signPrivate(ctx, cert)
	if reason, ok := failureReason(err); ok {
		s.setRenewal(cert, RenewalFailed, reason)
		s.logger.Warn("managed renewal failed", "arn", cert.ARN, "account", cert.Account, "reason", reason, "error", err)
		return renewalOutcome{changed: true, actionRequired: true, finished: true}, nil
	}
	if err != nil {
		return renewalOutcome{}, fmt.Errorf("renew private certificate %s: %w", cert.ARN, err)
	}
	s.setRenewal(cert, RenewalSuccess, "")
	// NOTE: ELIGIBLE again only when in use or exported again is a guess at
	// ACM's rule for renewed private certificates.
	if len(cert.InUseBy) == 0 {
		cert.RenewalEligibility = Ineligible
	}
	return renewalOutcome{changed: true, renewed: true, finished: true, issued: record}, nil
}

// startPrivateRenewal opens a managed renewal of an eligible PRIVATE
// certificate in its renewal window and takes it as far as the CA allows
// now, as a renewal that RenewCertificate starts. A renewal left pending
// is finished by the worker's passes over pending certificates. The
// caller stores the certificate together with out.issued.
func (s *Service) startPrivateRenewal(ctx context.Context, cert *store.Certificate, windowStart time.Time) renewalOutcome {
	if cert.RenewalEligibility != Eligible || !needsNewRound(cert, windowStart) {
		return renewalOutcome{}
	}
	cert.Renewal = nil
	s.setRenewal(cert, RenewalPending, "")
	s.logger.Info("managed renewal started", "arn", cert.ARN, "account", cert.Account, "not_after", cert.NotAfter)

	out, err := s.advancePrivateRenewal(ctx, cert)
	if err != nil {
		s.logger.Warn("private certificate renewal did not finish; will retry", "arn", cert.ARN, "error", err)
		out = renewalOutcome{}
	}
	out.changed = true
	return out
}

// ExportCertificate returns an issued private certificate, or a public one
// requested with Options.Export ENABLED, with its chain and its key
// encrypted under the passphrase.
func (s *Service) ExportCertificate(ctx context.Context, caller Caller, in *ExportCertificateInput) (*ExportCertificateOutput, error) {
	cert, err := s.loadCertificate(ctx, caller, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	exportable := cert.Type == TypePrivate || (cert.Type == TypeAmazonIssued && cert.ExportOption == Enabled)
	if !exportable {
		return nil, apierr.New(apierr.Validation,
			"Certificate ARN: %s is not exportable: only private certificates and public certificates requested with Export ENABLED can be exported.", cert.ARN)
	}
	if cert.Status == StatusPendingValidation {
		return nil, apierr.New(apierr.RequestInProgress,
			"Certificate %s is in status %s and cannot be exported until it is issued.", cert.ARN, cert.Status)
	}
	if cert.Status != StatusIssued || len(cert.PrivateKeyPEM) == 0 {
		// Waiting cannot help a certificate that will never be issued again,
		// so this is not RequestInProgressException.
		return nil, apierr.New(apierr.Validation,
			"Certificate %s is in status %s and cannot be exported.", cert.ARN, cert.Status)
	}

	encrypted, err := issuance.EncryptPrivateKey(cert.PrivateKeyPEM, in.Passphrase)
	if err != nil {
		return nil, fmt.Errorf("encrypt key of %s: %w", cert.ARN, err)
	}

	cert.Exported = true
	if cert.Type == TypePrivate {
		cert.RenewalEligibility = Eligible
	}
	if err := s.saveRequest(ctx, cert); err != nil {
		return nil, err
	}
	s.logger.Info("certificate exported", "arn", cert.ARN, "account", caller.Account)
	return &ExportCertificateOutput{
		Certificate:      cert.CertificatePEM,
		CertificateChain: cert.CertificateChainPEM,
		PrivateKey:       string(encrypted),
	}, nil
}

// saveRequest writes a change a request made; a concurrent change makes
// the request fail with ConflictException rather than lose either change.
func (s *Service) saveRequest(ctx context.Context, cert *store.Certificate) error {
	cert.UpdatedAt = s.clock.Now()
	err := s.store.UpdateCertificate(ctx, cert)
	if errors.Is(err, store.ErrConflict) {
		return apierr.New(apierr.Conflict, "Certificate %s was changed by another request; try again.", cert.ARN)
	}
	if errors.Is(err, store.ErrNotFound) {
		return notFound(cert.ARN)
	}
	if err != nil {
		return fmt.Errorf("save certificate %s: %w", cert.ARN, err)
	}
	return nil
}

// RenewCertificate starts the renewal of an eligible private certificate;
// the worker finishes it.
func (s *Service) RenewCertificate(ctx context.Context, caller Caller, in *CertificateArnInput) (*Empty, error) {
	cert, err := s.loadCertificate(ctx, caller, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	if cert.Type != TypePrivate || cert.Status != StatusIssued || cert.RenewalEligibility != Eligible {
		return nil, apierr.New(apierr.Validation,
			"Certificate %s is not eligible for renewal: only issued private certificates that were exported since their last renewal can be renewed.", cert.ARN)
	}
	if renewalStatus(cert) == RenewalPending {
		return nil, apierr.New(apierr.RequestInProgress, "The renewal of certificate %s is already in progress.", cert.ARN)
	}

	cert.Renewal = nil
	s.setRenewal(cert, RenewalPending, "")
	if err := s.saveRequest(ctx, cert); err != nil {
		return nil, err
	}
	s.logger.Info("certificate renewal requested", "arn", cert.ARN, "account", caller.Account)
	s.wake()
	return &Empty{}, nil
}

// RevokeCertificate revokes an exported public certificate. OpenACM's own
// CA then lists its serial on the CRL and reports it revoked over OCSP.
func (s *Service) RevokeCertificate(ctx context.Context, caller Caller, in *RevokeCertificateInput) (*RevokeCertificateOutput, error) {
	cert, err := s.loadCertificate(ctx, caller, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	switch {
	case cert.Status == StatusRevoked:
		return nil, apierr.New(apierr.Conflict, "Certificate %s is already revoked.", cert.ARN)
	case cert.Type == TypePrivate:
		return nil, apierr.New(apierr.Validation,
			"Certificate %s is a private certificate; revoke it with the RevokeCertificate operation of its private CA.", cert.ARN)
	case cert.Type != TypeAmazonIssued || !cert.Exported || cert.Status != StatusIssued:
		return nil, apierr.New(apierr.Validation,
			"Certificate %s cannot be revoked: only issued public certificates that were exported can be revoked.", cert.ARN)
	case in.RevocationReason == "REMOVE_FROM_CRL":
		return nil, apierr.New(apierr.Validation, "The revocation reason REMOVE_FROM_CRL applies only to delta CRLs.")
	}

	cert.Status = StatusRevoked
	cert.RevokedAt = s.clock.Now()
	cert.RevocationReason = strings.Replace(in.RevocationReason, "SUPERCEDED", "SUPERSEDED", 1)
	if err := s.saveRequest(ctx, cert); err != nil {
		return nil, err
	}
	s.revoked()
	s.logger.Info("certificate revoked", "arn", cert.ARN, "serial", cert.Serial, "reason", cert.RevocationReason)
	return &RevokeCertificateOutput{CertificateArn: cert.ARN}, nil
}

// renewalStatus returns the status of the certificate's latest renewal, or
// "" when it was never renewed.
func renewalStatus(cert *store.Certificate) string {
	if cert.Renewal == nil {
		return ""
	}
	return cert.Renewal.Status
}

// setRenewal records the status of the certificate's current renewal,
// starting one when there is none.
func (s *Service) setRenewal(cert *store.Certificate, status, reason string) {
	now := s.clock.Now()
	if cert.Renewal == nil {
		cert.Renewal = &store.Renewal{StartedAt: now}
	}
	cert.Renewal.Status = status
	cert.Renewal.StatusReason = reason
	cert.Renewal.UpdatedAt = now
}
