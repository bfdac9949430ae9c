package acm

import (
	"context"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/events"
	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/validation"
)

// Values of certificate, renewal and failure fields that domain control,
// renewal and expiry set.
const (
	StatusExpired            = "EXPIRED"
	StatusValidationTimedOut = "VALIDATION_TIMED_OUT"

	ValidationFailed = "FAILED"

	Eligible = "ELIGIBLE"

	RenewalPendingAutoRenewal = "PENDING_AUTO_RENEWAL"
	RenewalPendingValidation  = "PENDING_VALIDATION"
	RenewalSuccess            = "SUCCESS"
	RenewalFailed             = "FAILED"

	FailureNoAvailableContacts = "NO_AVAILABLE_CONTACTS"
	FailureCAAError            = "CAA_ERROR"

	// ValidationWindow is how long a request (or its last resend of the
	// approval e-mail) may stay PENDING_VALIDATION before ACM times it out.
	ValidationWindow = 72 * time.Hour
	// RenewalWindow is how long before NotAfter managed renewal starts.
	RenewalWindow = 60 * 24 * time.Hour
	// DefaultDaysBeforeExpiry is ACM's default of the account setting
	// ExpiryEvents.DaysBeforeExpiry, which starts the approaching-expiration
	// events.
	DefaultDaysBeforeExpiry = 45
)

// Mailer delivers one approval message. An error wrapping
// validation.ErrMailRejected is a permanent rejection of the address.
type Mailer interface {
	Send(ctx context.Context, message validation.Message) error
}

// RedirectChecker checks the HTTP validation redirect of a name.
type RedirectChecker interface {
	// CheckRedirect reports whether from redirects to to.
	CheckRedirect(ctx context.Context, from, to string) (bool, error)
}

// CAAChecker checks whether CAA records allow OpenACM to issue for a name.
type CAAChecker interface {
	CheckCAA(ctx context.Context, name string) (bool, error)
}

// EventSink receives certificate events. Publish must not block.
type EventSink interface {
	Publish(event events.Event)
}

// nameCheck is the outcome of checking one name once.
type nameCheck struct {
	approved bool
	// failure is a FailureReason when the name can no longer be validated.
	failure string
	// changed is true when the validation record itself changed (e-mail
	// delivery state), so it must be saved even if nothing was approved.
	changed bool
	// retryAt is when to check again; zero waits for an outside event.
	retryAt time.Time
}

// checkHTTP fetches the name's RedirectFrom URL and approves the name when
// it redirects to RedirectTo.
func (s *Service) checkHTTP(ctx context.Context, cert *store.Certificate, v *store.DomainValidation, now time.Time) nameCheck {
	if s.redirect == nil {
		return nameCheck{}
	}
	ok, err := s.redirect.CheckRedirect(ctx, v.RedirectFrom, v.RedirectTo)
	if err != nil {
		s.logger.Info("http validation not passed yet; will retry",
			"arn", cert.ARN, "name", v.DomainName, "reason", err)
	}
	return nameCheck{approved: ok, retryAt: now.Add(s.config.RecheckInterval)}
}

// httpRedirect returns the RedirectFrom and RedirectTo URLs of a name.
// NOTE: the URL layout follows what CloudFront-managed certificates show in
// ACM, from memory of AWS's documentation rather than a captured response.
func (s *Service) httpRedirect(caller Caller, name string) (from, to string) {
	base := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(name, "*."), "."))
	token := s.recordHash("http", caller.Account, base)[:32]
	zone := strings.Trim(s.config.ValidationZone, ".")
	from = "http://" + base + "/.well-known/pki-validation/" + token + ".txt"
	to = "https://validation." + caller.Region + "." + zone + "/" + caller.Account + "/.well-known/pki-validation/" + token + ".txt"
	return from, to
}

// checkCAA checks the CAA records of every name. It returns denied when
// a name's records forbid OpenACM, or a retry time when a lookup failed.
func (s *Service) checkCAA(ctx context.Context, cert *store.Certificate) (denied bool, retryAt time.Time) {
	if s.caa == nil {
		return false, time.Time{}
	}
	for _, name := range cert.SubjectAlternativeNames {
		allowed, err := s.caa.CheckCAA(ctx, name)
		if err != nil {
			s.logger.Warn("caa lookup failed; will retry", "arn", cert.ARN, "name", name, "error", err)
			return false, s.clock.Now().Add(s.config.RecheckInterval)
		}
		if !allowed {
			s.logger.Info("caa records forbid issuance", "arn", cert.ARN, "name", name)
			return true, time.Time{}
		}
	}
	return false, time.Time{}
}
