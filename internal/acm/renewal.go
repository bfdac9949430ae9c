package acm

import (
	"context"
	"fmt"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// renewalOutcome is the result of one pass of managed renewal.
type renewalOutcome struct {
	changed bool
	// renewed is true when a new certificate replaced the old one.
	renewed bool
	// actionRequired is true when the renewal now waits for the owner
	// (PENDING_VALIDATION, or a CA that denies ACM access) or failed.
	actionRequired bool
	// finished is true when the renewal reached SUCCESS or FAILED.
	finished bool
	// next is when renewal wants another look.
	next time.Time
	// issued is the private CA's record of the renewed certificate, still
	// to be stored; nil when no private CA signed one.
	issued *store.IssuedCertificate
}

// renewalEligible reports whether managed renewal applies: ACM renews an
// issued (not imported) certificate that is in use or was exported.
func renewalEligible(cert *store.Certificate) bool {
	return (cert.Type == TypeAmazonIssued || cert.Type == TypePrivate) && (len(cert.InUseBy) > 0 || cert.Exported)
}

// eligibility returns the RenewalEligibility value of a certificate.
func eligibility(cert *store.Certificate) string {
	if renewalEligible(cert) {
		return Eligible
	}
	return Ineligible
}

// renew runs managed renewal from RenewalWindow before NotAfter: it opens a
// renewal round with every name pending again, validates the names as at
// the request, checks CAA and issues the new certificate under the same ARN.
// The new certificate replaces the old in one store update.
func (s *Service) renew(ctx context.Context, cert *store.Certificate, now time.Time) (renewalOutcome, error) {
	windowStart := cert.NotAfter.Add(-RenewalWindow)
	if now.Before(windowStart) {
		return renewalOutcome{next: windowStart}, nil
	}
	if cert.Type == TypePrivate {
		return s.startPrivateRenewal(ctx, cert, windowStart), nil
	}
	if !renewalEligible(cert) {
		return renewalOutcome{}, nil
	}

	var out renewalOutcome
	if needsNewRound(cert, windowStart) {
		cert.Renewal = &store.Renewal{
			Status:            RenewalPendingAutoRenewal,
			DomainValidations: renewalValidations(cert.DomainValidations),
			StartedAt:         now,
			UpdatedAt:         now,
		}
		out.changed = true
		s.logger.Info("managed renewal started", "arn", cert.ARN, "account", cert.Account, "not_after", cert.NotAfter)
	}
	round := cert.Renewal
	if round.Status == RenewalSuccess || round.Status == RenewalFailed {
		return out, nil
	}

	changed, next := s.validateNames(ctx, cert, round.DomainValidations)
	out.changed = out.changed || changed
	if reason := failedNameReason(round.DomainValidations); reason != "" {
		s.failRenewal(cert, reason, now, &out)
		return out, nil
	}
	if !allNamesValidated(round.DomainValidations) {
		if round.Status != RenewalPendingValidation {
			round.Status = RenewalPendingValidation
			round.UpdatedAt = now
			out.changed, out.actionRequired = true, true
		}
		out.next = next
		return out, nil
	}

	denied, retryAt := s.checkCAA(ctx, cert)
	if denied {
		s.failRenewal(cert, FailureCAAError, now, &out)
		return out, nil
	}
	if !retryAt.IsZero() {
		out.next = retryAt
		return out, nil
	}

	if err := s.issue(ctx, cert); err != nil {
		return renewalOutcome{}, fmt.Errorf("renew certificate %s: %w", cert.ARN, err)
	}
	round.Status = RenewalSuccess
	round.StatusReason = ""
	round.UpdatedAt = cert.IssuedAt
	out.changed, out.renewed, out.finished = true, true, true
	return out, nil
}

// needsNewRound reports whether the certificate has no renewal for its
// current renewal window. A finished round counts for the certificate it
// produced (its UpdatedAt equals the new IssuedAt), so a certificate whose
// validity is shorter than the window is renewed once, not on every pass.
func needsNewRound(cert *store.Certificate, windowStart time.Time) bool {
	round := cert.Renewal
	if round == nil {
		return true
	}
	if round.Status != RenewalSuccess && round.Status != RenewalFailed {
		return false
	}
	return round.UpdatedAt.Before(later(windowStart, cert.IssuedAt))
}

func (s *Service) failRenewal(cert *store.Certificate, reason string, now time.Time, out *renewalOutcome) {
	cert.Renewal.Status = RenewalFailed
	cert.Renewal.StatusReason = reason
	cert.Renewal.UpdatedAt = now
	out.changed, out.actionRequired, out.finished = true, true, true
	s.logger.Warn("managed renewal failed", "arn", cert.ARN, "account", cert.Account, "reason", reason)
}

// renewalValidations copies the request's validations with every name
// pending again and new e-mail links.
func renewalValidations(validations []store.DomainValidation) []store.DomainValidation {
	renewed := make([]store.DomainValidation, 0, len(validations))
	for _, v := range validations {
		copied := store.DomainValidation{
			DomainName:          v.DomainName,
			ValidationDomain:    v.ValidationDomain,
			ValidationMethod:    v.ValidationMethod,
			ValidationStatus:    ValidationPending,
			ResourceRecordName:  v.ResourceRecordName,
			ResourceRecordType:  v.ResourceRecordType,
			ResourceRecordValue: v.ResourceRecordValue,
			ValidationEmails:    v.ValidationEmails,
			RedirectFrom:        v.RedirectFrom,
			RedirectTo:          v.RedirectTo,
		}
		if v.ValidationMethod == MethodEmail {
			copied.ApprovalNonce = newApprovalNonce()
		}
		renewed = append(renewed, copied)
	}
	return renewed
}

// renewalSummary renders a renewal as DescribeCertificate shows it.
func renewalSummary(renewal *store.Renewal) *RenewalSummary {
	if renewal == nil {
		return nil
	}
	options := domainValidations(renewal.DomainValidations)
	if options == nil {
		options = []DomainValidation{}
	}
	return &RenewalSummary{
		RenewalStatus:           renewal.Status,
		DomainValidationOptions: options,
		RenewalStatusReason:     renewal.StatusReason,
		UpdatedAt:               NewTimestamp(renewal.UpdatedAt),
	}
}
