package acm

import (
	"context"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// expiryNoticeInterval is how often an approaching-expiration event is sent
// for one certificate.
const expiryNoticeInterval = 24 * time.Hour

// validationDeadline is the end of a pending certificate's validation window.
func validationDeadline(cert *store.Certificate) time.Time {
	start := cert.ValidationStartedAt
	if start.IsZero() {
		start = cert.CreatedAt
	}
	return start.Add(ValidationWindow)
}

// maintainIssued looks after an issued certificate: it expires it after
// NotAfter, runs its managed renewal, and sends the approaching-expiration
// event once a day from DaysBeforeExpiry before NotAfter. It returns when
// one of these is due next. DaysBeforeExpiry is the account's setting in
// the certificate's region, read on every call so a change applies at the
// next sweep.
func (s *Service) maintainIssued(ctx context.Context, cert *store.Certificate) (time.Time, error) {
	now := s.clock.Now()
	if !now.Before(cert.NotAfter) {
		return time.Time{}, s.expire(ctx, cert, now)
	}

	days, err := s.daysBeforeExpiry(ctx, cert.Account, cert.Region)
	if err != nil {
		return time.Time{}, err
	}
	renewal, err := s.renew(ctx, cert, now)
	if err != nil {
		return time.Time{}, err
	}
	changed, next := renewal.changed, renewal.next

	noticeAt := cert.NotAfter.Add(-time.Duration(days) * 24 * time.Hour)
	if !cert.ExpiryNoticeAt.IsZero() {
		noticeAt = later(noticeAt, cert.ExpiryNoticeAt.Add(expiryNoticeInterval))
	}
	var notice bool
	if !now.Before(noticeAt) {
		cert.ExpiryNoticeAt = now
		notice = true
		changed = true
		noticeAt = now.Add(expiryNoticeInterval)
	}
	next = earliest(earliest(next, noticeAt), cert.NotAfter)

	if !changed {
		return next, nil
	}
	work := store.CertificateWork{Certificate: cert, Issued: renewal.issued}
	if _, err := s.finish(ctx, work, "issued certificate updated"); err != nil {
		return time.Time{}, err
	}
	s.announceRenewal(cert, renewal)
	if notice {
		s.publishApproachingExpiration(cert, now)
	}
	return next, nil
}

// announceRenewal sends the events and metrics of a saved renewal step.
func (s *Service) announceRenewal(cert *store.Certificate, out renewalOutcome) {
	if out.renewed {
		s.publishAvailable(cert, "RENEWAL")
	}
	if out.actionRequired {
		s.publishRenewalActionRequired(cert)
	}
	if out.finished {
		s.observer.RenewalFinished(cert.Type, cert.Renewal.Status, cert.Renewal.StatusReason, cert.Renewal.UpdatedAt.Sub(cert.Renewal.StartedAt))
	}
}

// expire moves a certificate past NotAfter to EXPIRED, failing a renewal
// that did not finish in time.
func (s *Service) expire(ctx context.Context, cert *store.Certificate, now time.Time) error {
	cert.Status = StatusExpired
	renewalFailed := false
	if cert.Renewal != nil && (cert.Renewal.Status == RenewalPendingAutoRenewal || cert.Renewal.Status == RenewalPendingValidation) {
		cert.Renewal.Status = RenewalFailed
		cert.Renewal.UpdatedAt = now
		renewalFailed = true
	}
	if err := s.save(ctx, cert, "certificate expired"); err != nil {
		return err
	}
	if renewalFailed {
		s.announceRenewal(cert, renewalOutcome{finished: true})
	}
	s.publishExpired(cert)
	return nil
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
