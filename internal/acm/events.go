package acm

import (
	"time"

	"github.com/openacm/openacm/internal/events"
	"github.com/openacm/openacm/internal/store"
)

// The detail members below follow the events ACM sends to EventBridge.
// NOTE: the member sets are from memory of AWS's ACM user guide, not
// from captured events; DaysToExpiry and CommonName are the ones the
// approaching-expiration event is documented with.

func (s *Service) publish(cert *store.Certificate, detailType string, detail map[string]any) {
	if s.events == nil {
		return
	}
	s.events.Publish(events.New(detailType, cert.Account, cert.Region, cert.ARN, s.clock.Now(), detail))
}

func (s *Service) publishApproachingExpiration(cert *store.Certificate, now time.Time) {
	s.publish(cert, events.ApproachingExpiration, map[string]any{
		"DaysToExpiry": daysToExpiry(cert, now),
		"CommonName":   cert.DomainName,
	})
}

func (s *Service) publishExpired(cert *store.Certificate) {
	s.publish(cert, events.Expired, map[string]any{
		"CommonName":                cert.DomainName,
		"DomainValidationMethod":    cert.ValidationMethod,
		"CertificateCreatedDate":    formatEventTime(cert.CreatedAt),
		"CertificateExpirationDate": formatEventTime(cert.NotAfter),
		"InUse":                     len(cert.InUseBy) > 0,
		"Exported":                  cert.Exported,
	})
}

// publishAvailable announces a new certificate; action is ISSUANCE or RENEWAL.
func (s *Service) publishAvailable(cert *store.Certificate, action string) {
	s.publish(cert, events.Available, map[string]any{
		"Action":                    action,
		"CertificateType":           cert.Type,
		"CommonName":                cert.DomainName,
		"DomainValidationMethod":    cert.ValidationMethod,
		"CertificateCreatedDate":    formatEventTime(cert.CreatedAt),
		"CertificateExpirationDate": formatEventTime(cert.NotAfter),
		"DaysToExpiry":              daysToExpiry(cert, s.clock.Now()),
		"InUse":                     len(cert.InUseBy) > 0,
		"Exported":                  cert.Exported,
	})
}

func (s *Service) publishRenewalActionRequired(cert *store.Certificate) {
	detail := map[string]any{
		"CommonName":                cert.DomainName,
		"DomainValidationMethod":    cert.ValidationMethod,
		"RenewalStatus":             cert.Renewal.Status,
		"CertificateExpirationDate": formatEventTime(cert.NotAfter),
		"DaysToExpiry":              daysToExpiry(cert, s.clock.Now()),
		"InUse":                     len(cert.InUseBy) > 0,
		"Exported":                  cert.Exported,
	}
	if cert.Renewal.StatusReason != "" {
		detail["RenewalStatusReason"] = cert.Renewal.StatusReason
	}
	s.publish(cert, events.RenewalActionRequired, detail)
}

// daysToExpiry counts whole days from now to NotAfter, rounding down.
func daysToExpiry(cert *store.Certificate, now time.Time) int {
	return int(cert.NotAfter.Sub(now) / (24 * time.Hour))
}

func formatEventTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
