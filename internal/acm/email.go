package acm

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/arn"
	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/validation"
)

// E-mail delivery retries: the first retry waits emailFirstRetry, each
// next one twice as long, up to emailMaxRetry.
const (
	emailFirstRetry = time.Minute
	emailMaxRetry   = time.Hour
)

// ErrApprovalInvalid means an approval link is unknown, used, voided by a
// resend, or past its validation window. The page shows one message for
// all of them, so a link's state cannot be probed.
var ErrApprovalInvalid = errors.New("approval link is invalid or expired")

// newApprovalNonce returns the random input of an approval link's token.
func newApprovalNonce() string {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce) // crypto/rand.Read documents that it never returns an error (Go 1.24 and later).
	return base64.RawURLEncoding.EncodeToString(nonce)
}

// approvalToken derives the token of an approval link from the server's
// record key, so the token is never stored and cannot be guessed from the
// database's nonce alone without the key.
func (s *Service) approvalToken(certificateArn, domain, nonce string) string {
	mac := hmac.New(sha256.New, s.config.RecordKey)
	mac.Write([]byte("approval\x00" + certificateArn + "\x00" + strings.ToLower(domain) + "\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// approvalLink returns the URL of the approval page for one name.
func (s *Service) approvalLink(cert *store.Certificate, v *store.DomainValidation) string {
	query := url.Values{
		"certificate": {cert.ARN},
		"domain":      {v.DomainName},
		"token":       {s.approvalToken(cert.ARN, v.DomainName, v.ApprovalNonce)},
	}
	return s.config.ApprovalURL + "?" + query.Encode()
}

// approvalDeadline is when the links of a certificate stop working: the end
// of the validation window of a request, or NotAfter for a renewal.
func (s *Service) approvalDeadline(cert *store.Certificate) time.Time {
	if cert.Status == StatusIssued {
		return cert.NotAfter
	}
	return validationDeadline(cert)
}

// checkEmail sends the approval message to each address of the name that
// has neither accepted nor permanently rejected it, and schedules a retry
// for temporary failures. The name fails when every address rejected it.
func (s *Service) checkEmail(ctx context.Context, cert *store.Certificate, v *store.DomainValidation, now time.Time) nameCheck {
	if s.mailer == nil {
		return nameCheck{}
	}
	if !v.EmailNextAttemptAt.IsZero() && now.Before(v.EmailNextAttemptAt) {
		return nameCheck{retryAt: v.EmailNextAttemptAt}
	}

	remaining := pendingAddresses(v)
	if len(remaining) == 0 {
		return nameCheck{}
	}

	temporary := 0
	for _, address := range remaining {
		err := s.mailer.Send(ctx, s.approvalMessage(cert, v, address))
		switch {
		case err == nil:
			v.EmailDelivered = append(v.EmailDelivered, address)
			s.logger.Info("approval e-mail sent", "arn", cert.ARN, "name", v.DomainName, "to", address)
		case errors.Is(err, validation.ErrMailRejected):
			v.EmailBounced = append(v.EmailBounced, address)
			s.logger.Warn("approval e-mail rejected permanently", "arn", cert.ARN, "name", v.DomainName, "to", address, "error", err)
		default:
			temporary++
			s.logger.Warn("approval e-mail failed; will retry", "arn", cert.ARN, "name", v.DomainName, "to", address,
				"attempt", v.EmailAttempts+1, "error", err)
		}
	}
	v.EmailAttempts++
	v.EmailNextAttemptAt = time.Time{}

	if len(v.EmailBounced) == len(v.ValidationEmails) {
		return nameCheck{failure: FailureNoAvailableContacts, changed: true}
	}
	if temporary > 0 {
		v.EmailNextAttemptAt = now.Add(emailRetryDelay(v.EmailAttempts))
		return nameCheck{changed: true, retryAt: v.EmailNextAttemptAt}
	}
	return nameCheck{changed: true}
}

func pendingAddresses(v *store.DomainValidation) []string {
	var remaining []string
	for _, address := range v.ValidationEmails {
		if !slices.Contains(v.EmailDelivered, address) && !slices.Contains(v.EmailBounced, address) {
			remaining = append(remaining, address)
		}
	}
	return remaining
}

// emailRetryDelay is the wait after the given number of delivery rounds.
func emailRetryDelay(attempts int) time.Duration {
	delay := emailFirstRetry
	for i := 1; i < attempts && delay < emailMaxRetry; i++ {
		delay *= 2
	}
	return min(delay, emailMaxRetry)
}

// approvalMessage returns the message that requests approval of a name from address.
func (s *Service) approvalMessage(cert *store.Certificate, v *store.DomainValidation, address string) validation.Message {
	purpose := "a certificate request"
	if cert.Status == StatusIssued {
		purpose = "the renewal of a certificate"
	}
	var body strings.Builder
	fmt.Fprintf(&body, "OpenACM received %s that includes the domain %s.\n\n", purpose, v.DomainName)
	fmt.Fprintf(&body, "Domain:            %s\n", v.DomainName)
	fmt.Fprintf(&body, "Validation domain: %s\n", v.ValidationDomain)
	fmt.Fprintf(&body, "AWS account:       %s\n", cert.Account)
	fmt.Fprintf(&body, "Region:            %s\n", cert.Region)
	fmt.Fprintf(&body, "Certificate:       %s\n", cert.ARN)
	fmt.Fprintf(&body, "Link valid until:  %s\n\n", s.approvalDeadline(cert).UTC().Format(time.RFC1123))
	fmt.Fprintf(&body, "To approve, open this link and press the approve button:\n%s\n\n", s.approvalLink(cert, v))
	body.WriteString("If you did not expect this request, ignore this message; nothing is issued without approval.\n")
	return validation.Message{
		To:      address,
		Subject: "Certificate approval for " + v.DomainName,
		Body:    body.String(),
	}
}

// ResendValidationEmail sends the approval messages of one name again with
// a new link and restarts the 72-hour validation window.
func (s *Service) ResendValidationEmail(ctx context.Context, caller Caller, in *ResendValidationEmailInput) (*Empty, error) {
	if _, err := arn.Parse(in.CertificateArn); err != nil {
		return nil, apierr.New(apierr.InvalidArn, "The certificate ARN %s is not valid.", in.CertificateArn)
	}

	// The worker may save the certificate between the read and the write;
	// a conflict then means "read again", not failure.
	for range 3 {
		cert, err := s.loadCertificate(ctx, caller, in.CertificateArn)
		if err != nil {
			return nil, err
		}
		v, err := s.resendTarget(cert, in)
		if err != nil {
			return nil, err
		}

		now := s.clock.Now()
		v.ApprovalNonce = newApprovalNonce()
		v.EmailDelivered, v.EmailBounced, v.EmailAttempts, v.EmailNextAttemptAt = nil, nil, 0, time.Time{}
		cert.ValidationStartedAt = now
		cert.UpdatedAt = now
		// Ending the worker's lease lets the woken worker send the new
		// message now, not at the next retry.
		err = s.store.UpdateCertificateAndEndLease(ctx, cert)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound(in.CertificateArn)
		}
		if err != nil {
			return nil, fmt.Errorf("save certificate %s: %w", cert.ARN, err)
		}
		s.logger.Info("validation e-mail resend requested", "arn", cert.ARN, "account", caller.Account, "name", v.DomainName)
		s.wake()
		return &Empty{}, nil
	}
	return nil, apierr.New(apierr.Conflict, "Certificate %s changed concurrently; try again.", in.CertificateArn)
}

// resendTarget returns the pending e-mail validation that a resend names,
// or the error ACM gives for a certificate or name that cannot be resent.
func (s *Service) resendTarget(cert *store.Certificate, in *ResendValidationEmailInput) (*store.DomainValidation, error) {
	if cert.Status != StatusPendingValidation || cert.ValidationMethod != MethodEmail || !s.clock.Now().Before(validationDeadline(cert)) {
		return nil, apierr.New(apierr.InvalidState,
			"Certificate %s is in status %s and cannot be validated by e-mail.", cert.ARN, cert.Status)
	}

	v := findValidation(cert.DomainValidations, in.Domain)
	if v == nil || !strings.EqualFold(strings.TrimSuffix(v.ValidationDomain, "."), strings.TrimSuffix(in.ValidationDomain, ".")) {
		return nil, apierr.New(apierr.InvalidDomainValidationOptions,
			"Certificate %s has no domain %s with validation domain %s.", cert.ARN, in.Domain, in.ValidationDomain)
	}
	if v.ValidationStatus != ValidationPending {
		return nil, apierr.New(apierr.InvalidState, "Domain %s of certificate %s is not pending validation.", in.Domain, cert.ARN)
	}
	return v, nil
}

func findValidation(validations []store.DomainValidation, domain string) *store.DomainValidation {
	for i := range validations {
		if strings.EqualFold(strings.TrimSuffix(validations[i].DomainName, "."), strings.TrimSuffix(domain, ".")) {
			return &validations[i]
		}
	}
	return nil
}

// Approval is the certificate name that one approval link approves, with its context.
type Approval struct {
	CertificateArn   string
	Account          string
	Region           string
	DomainName       string
	ValidationDomain string
	Renewal          bool
	ExpiresAt        time.Time
}

// LookupApproval returns what a link approves, or ErrApprovalInvalid.
func (s *Service) LookupApproval(ctx context.Context, certificateArn, domain, token string) (*Approval, error) {
	cert, v, err := s.findApproval(ctx, certificateArn, domain, token)
	if err != nil {
		return nil, err
	}
	return s.describeApproval(cert, v), nil
}

// Approve marks the name of a valid link SUCCESS and wakes the worker,
// which issues the certificate (or its renewal) once every name passed.
// A used link returns ErrApprovalInvalid, because the name is no longer pending.
func (s *Service) Approve(ctx context.Context, certificateArn, domain, token string) (*Approval, error) {
	for range 3 {
		cert, v, err := s.findApproval(ctx, certificateArn, domain, token)
		if err != nil {
			return nil, err
		}
		v.ValidationStatus = ValidationSuccess
		approval := s.describeApproval(cert, v)
		cert.UpdatedAt = s.clock.Now()
		if cert.Renewal != nil && cert.Status == StatusIssued {
			cert.Renewal.UpdatedAt = cert.UpdatedAt
		}

		// Ending the worker's lease lets the woken worker issue now, not at
		// the next retry or the validation deadline.
		err = s.store.UpdateCertificateAndEndLease(ctx, cert)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrApprovalInvalid
		}
		if err != nil {
			return nil, fmt.Errorf("save approval of %s for %s: %w", domain, certificateArn, err)
		}
		s.logger.Info("domain approved by e-mail link", "arn", cert.ARN, "account", cert.Account, "name", v.DomainName, "renewal", approval.Renewal)
		s.wake()
		return approval, nil
	}
	return nil, fmt.Errorf("save approval of %s for %s: %w", domain, certificateArn, store.ErrConflict)
}

// findApproval reads the certificate of a link and the pending name whose
// current token equals token.
func (s *Service) findApproval(ctx context.Context, certificateArn, domain, token string) (*store.Certificate, *store.DomainValidation, error) {
	parts, err := arn.Parse(certificateArn)
	if err != nil || token == "" {
		return nil, nil, ErrApprovalInvalid
	}
	cert, err := s.store.GetCertificate(ctx, parts.Account, parts.Region, certificateArn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrApprovalInvalid
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read certificate %s: %w", certificateArn, err)
	}
	if !s.clock.Now().Before(s.approvalDeadline(cert)) {
		return nil, nil, ErrApprovalInvalid
	}

	validations := cert.DomainValidations
	switch {
	case cert.Status == StatusPendingValidation:
	case cert.Status == StatusIssued && cert.Renewal != nil && cert.Renewal.Status == RenewalPendingValidation:
		validations = cert.Renewal.DomainValidations
	default:
		return nil, nil, ErrApprovalInvalid
	}

	v := findValidation(validations, domain)
	if v == nil || v.ValidationMethod != MethodEmail || v.ValidationStatus != ValidationPending || v.ApprovalNonce == "" {
		return nil, nil, ErrApprovalInvalid
	}
	want := s.approvalToken(cert.ARN, v.DomainName, v.ApprovalNonce)
	if !hmac.Equal([]byte(want), []byte(token)) {
		return nil, nil, ErrApprovalInvalid
	}
	return cert, v, nil
}

func (s *Service) describeApproval(cert *store.Certificate, v *store.DomainValidation) *Approval {
	return &Approval{
		CertificateArn:   cert.ARN,
		Account:          cert.Account,
		Region:           cert.Region,
		DomainName:       v.DomainName,
		ValidationDomain: v.ValidationDomain,
		Renewal:          cert.Status == StatusIssued,
		ExpiresAt:        s.approvalDeadline(cert),
	}
}

// saveValidationProgress saves a pending certificate after a validation
// pass. When a request (a resend, an approval) changed the record since it
// was read, it copies the e-mail delivery state of names whose link is
// unchanged onto the fresh record and saves that, so messages already sent
// are not sent again on the next pass.
func (s *Service) saveValidationProgress(ctx context.Context, cert *store.Certificate) error {
	for range 3 {
		cert.UpdatedAt = s.clock.Now()
		err := s.store.UpdateCertificate(ctx, cert)
		if err == nil {
			s.logger.Info("domain validation progressed", "arn", cert.ARN, "account", cert.Account)
			return nil
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("save certificate %s: %w", cert.ARN, err)
		}

		fresh, err := s.store.GetCertificate(ctx, cert.Account, cert.Region, cert.ARN)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read certificate %s: %w", cert.ARN, err)
		}
		if fresh.Status != StatusPendingValidation {
			return nil
		}
		mergeEmailDelivery(fresh.DomainValidations, cert.DomainValidations)
		cert = fresh
	}
	s.logger.Warn("certificate kept changing; validation progress not saved", "arn", cert.ARN)
	return nil
}

// mergeEmailDelivery copies delivery state from done to the pending names
// of into that still carry the same approval nonce.
func mergeEmailDelivery(into, done []store.DomainValidation) {
	for i := range into {
		target := &into[i]
		source := findValidation(done, target.DomainName)
		if source == nil || target.ValidationStatus != ValidationPending || source.ApprovalNonce != target.ApprovalNonce {
			continue
		}
		target.EmailDelivered = source.EmailDelivered
		target.EmailBounced = source.EmailBounced
		target.EmailAttempts = source.EmailAttempts
		target.EmailNextAttemptAt = source.EmailNextAttemptAt
	}
}
