package acm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/store"
)

// Advance moves one pending certificate as far as it can go now: it
// approves names whose validation passed and issues the certificate once
// every name is approved. It returns when the certificate should be looked
// at again, or the zero time when only an outside event can move it.
func (s *Service) Advance(ctx context.Context, cert *store.Certificate) (time.Time, error) {
	if cert.Status == StatusIssued && cert.RenewalStatus == RenewalPending {
		return time.Time{}, s.renewPrivate(ctx, cert)
	}
	if cert.Status != StatusPendingValidation {
		return time.Time{}, nil
	}

	if cert.Type == TypePrivate {
		return time.Time{}, s.issuePrivate(ctx, cert)
	}

	changed, next := s.validateNames(ctx, cert)
	if !allNamesValidated(cert) {
		if changed {
			return next, s.save(ctx, cert, "domain validation progressed")
		}
		return next, nil
	}

	if err := s.issue(cert); err != nil {
		return time.Time{}, fmt.Errorf("issue certificate %s: %w", cert.ARN, err)
	}
	return time.Time{}, s.save(ctx, cert, "certificate issued")
}

// validateNames checks every pending name once. It reports whether any
// status changed and when the next check is due.
func (s *Service) validateNames(ctx context.Context, cert *store.Certificate) (changed bool, next time.Time) {
	now := s.clock.Now()
	for i := range cert.DomainValidations {
		validation := &cert.DomainValidations[i]
		if validation.ValidationStatus != ValidationPending {
			continue
		}

		approved, retryAt := s.checkName(ctx, cert, validation, now)
		if approved {
			validation.ValidationStatus = ValidationSuccess
			changed = true
			continue
		}
		next = earliest(next, retryAt)
	}
	return changed, next
}

// checkName runs the validation of one name. When the name is not approved
// it returns when to check again (zero: wait for an outside event).
func (s *Service) checkName(ctx context.Context, cert *store.Certificate, validation *store.DomainValidation, now time.Time) (bool, time.Time) {
	if s.config.AutoValidate {
		approveAt := cert.CreatedAt.Add(s.config.AutoValidateDelay)
		return !now.Before(approveAt), approveAt
	}

	switch validation.ValidationMethod {
	case MethodDNS:
		found, err := s.dns.CheckCNAME(ctx, validation.ResourceRecordName, validation.ResourceRecordValue)
		if err != nil {
			s.logger.Warn("dns validation lookup failed; will retry",
				"arn", cert.ARN, "name", validation.ResourceRecordName, "error", err)
		}
		return found, now.Add(s.config.RecheckInterval)
	default:
		// TODO: send approval e-mail; until then EMAIL names stay pending in real mode.
		return false, time.Time{}
	}
}

func allNamesValidated(cert *store.Certificate) bool {
	for _, validation := range cert.DomainValidations {
		if validation.ValidationStatus != ValidationSuccess {
			return false
		}
	}
	return true
}

// issue generates the certificate's key and signs it with OpenACM's CA.
func (s *Service) issue(cert *store.Certificate) error {
	key, err := issuance.GenerateKey(cert.KeyAlgorithm)
	if err != nil {
		return err
	}
	keyPEM, err := issuance.MarshalPrivateKey(key)
	if err != nil {
		return err
	}

	now := s.clock.Now()
	notBefore, notAfter := issuance.Validity(now, s.config.PublicValidity)
	leaf, err := s.ca.IssueLeaf(issuance.LeafRequest{
		CommonName: cert.DomainName,
		DNSNames:   cert.SubjectAlternativeNames,
		PublicKey:  key.Public(),
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
	cert.PrivateKeyPEM = keyPEM
	return nil
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
