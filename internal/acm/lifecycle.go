package acm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openacm/openacm/internal/audit"
	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/store"
)

// Advance moves one certificate as far as it can go now. A pending
// certificate has its names checked and is issued once every name is
// approved; an issued one is renewed, announced or expired (see
// maintainIssued). It returns when the certificate should be looked at
// again, or the zero time when only an outside event can move it.
func (s *Service) Advance(ctx context.Context, cert *store.Certificate) (time.Time, error) {
	next, _, err := s.AdvanceClaimed(ctx, cert, "")
	return next, err
}

// AdvanceClaimed is Advance for a certificate whose worker lease the
// worker named holder has claimed. Where the step ends in one store
// write, as private issuance does, that write also ends the lease, and
// released reports that it did.
func (s *Service) AdvanceClaimed(ctx context.Context, cert *store.Certificate, holder string) (next time.Time, released bool, err error) {
	if cert.Status == StatusIssued {
		if cert.Type == TypePrivate && renewalStatus(cert) == RenewalPending && s.clock.Now().Before(cert.NotAfter) {
			released, err = s.renewPrivate(ctx, cert, holder)
			return time.Time{}, released, err
		}
		next, err = s.maintainIssued(ctx, cert)
		return next, false, err
	}
	if cert.Status != StatusPendingValidation {
		return time.Time{}, false, nil
	}

	if cert.Type == TypePrivate {
		released, err = s.issuePrivate(ctx, cert, holder)
		return time.Time{}, released, err
	}

	next, err = s.advancePublic(ctx, cert)
	return next, false, err
}

// advancePublic checks the names of a pending public certificate and
// issues it once every name is approved.
func (s *Service) advancePublic(ctx context.Context, cert *store.Certificate) (time.Time, error) {
	if !s.clock.Now().Before(validationDeadline(cert)) {
		cert.Status = StatusValidationTimedOut
		return time.Time{}, s.save(ctx, cert, "certificate validation timed out")
	}

	changed, next := s.validateNames(ctx, cert, cert.DomainValidations)
	if reason := failedNameReason(cert.DomainValidations); reason != "" {
		cert.Status = StatusFailed
		cert.FailureReason = reason
		s.observer.CertificateFailed(cert.Type, reason)
		return time.Time{}, s.save(ctx, cert, "certificate failed")
	}
	if !allNamesValidated(cert.DomainValidations) {
		next = earliest(next, validationDeadline(cert))
		if changed {
			return next, s.saveValidationProgress(ctx, cert)
		}
		return next, nil
	}

	if changed {
		s.observer.NamesValidated(cert.ValidationMethod, s.clock.Now().Sub(cert.CreatedAt))
	}

	denied, retryAt := s.checkCAA(ctx, cert)
	if denied {
		cert.Status = StatusFailed
		cert.FailureReason = FailureCAAError
		s.observer.CertificateFailed(cert.Type, cert.FailureReason)
		return time.Time{}, s.save(ctx, cert, "certificate failed")
	}
	if !retryAt.IsZero() {
		return retryAt, nil
	}

	started := time.Now()
	err := s.issue(ctx, cert)
	s.observer.IssuanceFinished(cert.Type, err, time.Since(started))
	if err != nil {
		s.auditIssue(ctx, cert, audit.ResultFailure)
		return time.Time{}, fmt.Errorf("issue certificate %s: %w", cert.ARN, err)
	}
	if err := s.save(ctx, cert, "certificate issued"); err != nil {
		s.auditIssue(ctx, cert, audit.ResultFailure)
		return time.Time{}, err
	}
	s.auditIssue(ctx, cert, audit.ResultSuccess)
	s.publishAvailable(cert, "ISSUANCE")
	return time.Time{}, nil
}

// auditIssue records the issuance of cert by OpenACM's CA.
func (s *Service) auditIssue(ctx context.Context, cert *store.Certificate, result string) {
	detail := "key algorithm " + cert.KeyAlgorithm
	if cert.Serial != "" {
		detail += ", serial " + cert.Serial
	}
	audit.Record(ctx, s.logger, audit.Event{
		Account: cert.Account, Action: audit.ActionIssue, ARN: cert.ARN, Result: result, Detail: detail,
	})
}

// validateNames checks every pending name of validations once. It reports
// whether any validation changed and when the next check is due.
func (s *Service) validateNames(ctx context.Context, cert *store.Certificate, validations []store.DomainValidation) (changed bool, next time.Time) {
	now := s.clock.Now()
	for i := range validations {
		validation := &validations[i]
		if validation.ValidationStatus != ValidationPending {
			continue
		}

		result := s.checkName(ctx, cert, validation, now)
		switch {
		case result.approved:
			validation.ValidationStatus = ValidationSuccess
			approveSharedRecords(validations, validation)
			changed = true
			continue
		case result.failure != "":
			validation.ValidationStatus = ValidationFailed
			validation.EmailNextAttemptAt = time.Time{}
			changed = true
			continue
		}
		changed = changed || result.changed
		next = earliest(next, result.retryAt)
	}
	return changed, next
}

// approveSharedRecords marks every pending DNS name that shares approved's
// record as validated too. example.com and *.example.com have one record, so
// one lookup decides both. Checked apart, a record published between the two
// lookups would leave them with different statuses for a pass.
func approveSharedRecords(validations []store.DomainValidation, approved *store.DomainValidation) {
	if approved.ValidationMethod != MethodDNS {
		return
	}
	for i := range validations {
		other := &validations[i]
		if other.ValidationStatus == ValidationPending && other.ValidationMethod == MethodDNS &&
			other.ResourceRecordName == approved.ResourceRecordName && other.ResourceRecordValue == approved.ResourceRecordValue {
			other.ValidationStatus = ValidationSuccess
		}
	}
}

// checkName runs the validation of one name.
func (s *Service) checkName(ctx context.Context, cert *store.Certificate, validation *store.DomainValidation, now time.Time) nameCheck {
	if s.config.AutoValidate {
		approveAt := cert.CreatedAt.Add(s.config.AutoValidateDelay)
		return nameCheck{approved: !now.Before(approveAt), retryAt: approveAt}
	}

	switch validation.ValidationMethod {
	case MethodDNS:
		found, err := s.dns.CheckCNAME(ctx, validation.ResourceRecordName, validation.ResourceRecordValue)
		if err != nil {
			s.logger.Warn("dns validation lookup failed; will retry",
				"arn", cert.ARN, "name", validation.ResourceRecordName, "error", err)
		}
		return nameCheck{approved: found, retryAt: now.Add(s.config.RecheckInterval)}
	case MethodHTTP:
		return s.checkHTTP(ctx, cert, validation, now)
	case MethodEmail:
		return s.checkEmail(ctx, cert, validation, now)
	default:
		s.logger.Error("unknown validation method; name stays pending", "arn", cert.ARN, "method", validation.ValidationMethod)
		return nameCheck{}
	}
}

func allNamesValidated(validations []store.DomainValidation) bool {
	for _, validation := range validations {
		if validation.ValidationStatus != ValidationSuccess {
			return false
		}
	}
	return true
}

// failedNameReason returns NO_AVAILABLE_CONTACTS when a name failed, or "".
// A failed name can only come from e-mail delivery so far.
func failedNameReason(validations []store.DomainValidation) string {
	for _, validation := range validations {
		if validation.ValidationStatus == ValidationFailed {
			return FailureNoAvailableContacts
		}
	}
	return ""
}

// issue takes a new key for the certificate and signs it with OpenACM's CA.
func (s *Service) issue(ctx context.Context, cert *store.Certificate) error {
	key, err := s.keys.Take(ctx, cert.KeyAlgorithm)
	if err != nil {
		return err
	}

	now := s.clock.Now()
	notBefore, notAfter := issuance.Validity(now, s.config.PublicValidity)
	leaf, err := s.ca.IssueLeaf(issuance.LeafRequest{
		CommonName: cert.DomainName,
		DNSNames:   cert.SubjectAlternativeNames,
		PublicKey:  key.Public,
		NotBefore:  notBefore,
		NotAfter:   notAfter,
		IssuerURL:  s.config.IssuerURL,
		CRLURL:     s.config.CRLURL,
	})
	if err != nil {
		return err
	}

	cert.Status = StatusIssued
	cert.IssuedAt = now
	cert.NotBefore = leaf.Certificate.NotBefore
	cert.NotAfter = leaf.Certificate.NotAfter
	cert.Serial = leaf.Serial
	cert.Subject = "CN=" + cert.DomainName
	cert.Issuer = s.ca.Organization()
	cert.SignatureAlgorithm = leaf.SignatureAlgorithm
	cert.KeyUsages = leaf.KeyUsages
	cert.ExtendedKeyUsages = cert.ExtendedKeyUsages[:0]
	for _, usage := range leaf.ExtendedKeyUsages {
		cert.ExtendedKeyUsages = append(cert.ExtendedKeyUsages, store.ExtendedKeyUsage{Name: usage.Name, OID: usage.OID})
	}
	cert.CertificatePEM = leaf.CertificatePEM
	cert.CertificateChainPEM = s.ca.ChainPEM()
	cert.PrivateKeyPEM = key.PEM
	return nil
}

// finish writes work in one store write, as save writes a certificate,
// and reports whether it stored it. A certificate deleted or changed by a
// request in the meantime is left alone, with work.Issued not stored and
// the lease kept, so the next pass reads it afresh.
func (s *Service) finish(ctx context.Context, work store.CertificateWork, event string) (stored bool, err error) {
	cert := work.Certificate
	cert.UpdatedAt = s.clock.Now()
	err = s.store.FinishCertificateWork(ctx, work)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		s.logger.Info("certificate changed concurrently; skipped", "arn", cert.ARN, "event", event, "error", err)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("save certificate %s: %w", cert.ARN, err)
	}
	s.logger.Info(event, "arn", cert.ARN, "account", cert.Account, "status", cert.Status, "serial", cert.Serial)
	return true, nil
}

// save writes the certificate. A certificate deleted or changed by a
// request in the meantime is left alone: the next pass reads it afresh.
func (s *Service) save(ctx context.Context, cert *store.Certificate, event string) error {
	cert.UpdatedAt = s.clock.Now()
	err := s.store.UpdateCertificate(ctx, cert)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		s.logger.Info("certificate changed concurrently; skipped", "arn", cert.ARN, "event", event, "error", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("save certificate %s: %w", cert.ARN, err)
	}
	s.logger.Info(event, "arn", cert.ARN, "account", cert.Account, "status", cert.Status, "serial", cert.Serial)
	return nil
}

// earliest returns the earlier of two times, treating zero as "never".
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case b.Before(a):
		return b
	default:
		return a
	}
}
