package acm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/store"
)

// Certificate statuses that only the state controls set for now.
const (
	StatusInactive = "INACTIVE"
	StatusRevoked  = "REVOKED"
)

// failureReasons and revocationReasons are ACM's FailureReason and
// RevocationReason enums (botocore acm 2015-12-08 model).
var (
	failureReasons = []string{
		"NO_AVAILABLE_CONTACTS", "ADDITIONAL_VERIFICATION_REQUIRED", "DOMAIN_NOT_ALLOWED",
		"INVALID_PUBLIC_DOMAIN", "DOMAIN_VALIDATION_DENIED", "CAA_ERROR", "PCA_LIMIT_EXCEEDED",
		"PCA_INVALID_ARN", "PCA_INVALID_STATE", "PCA_REQUEST_FAILED", "PCA_NAME_CONSTRAINTS_VALIDATION",
		"PCA_RESOURCE_NOT_FOUND", "PCA_INVALID_ARGS", "PCA_INVALID_DURATION", "PCA_ACCESS_DENIED",
		"SLR_NOT_FOUND", "OTHER",
	}
	revocationReasons = []string{
		"UNSPECIFIED", "KEY_COMPROMISE", "CA_COMPROMISE", "AFFILIATION_CHANGED", "SUPERCEDED",
		"SUPERSEDED", "CESSATION_OF_OPERATION", "CERTIFICATE_HOLD", "REMOVE_FROM_CRL",
		"PRIVILEGE_WITHDRAWN", "A_A_COMPROMISE",
	}
)

// SetCertificateStateInput is the body of the test-environment control
// that moves a certificate to a status and sets the resources using it.
type SetCertificateStateInput struct {
	CertificateArn string `json:"CertificateArn"`
	// Status is the target status; empty leaves the status as it is.
	Status string `json:"Status"`
	// FailureReason goes with Status FAILED; the default is OTHER.
	FailureReason string `json:"FailureReason"`
	// RevocationReason goes with Status REVOKED; the default is UNSPECIFIED.
	RevocationReason string `json:"RevocationReason"`
	// InUseBy, when present, replaces the ARNs of the resources using the
	// certificate. DeleteCertificate fails with ResourceInUseException while
	// the list is not empty.
	InUseBy *[]string `json:"InUseBy"`
}

// SetCertificateState moves a certificate of the caller to in.Status and
// returns its description. It is a test-environment control, not an ACM
// operation: it skips the waits and checks of the real state machine.
//
// ISSUED marks every name validated and signs the certificate now when it
// was never issued. FAILED, VALIDATION_TIMED_OUT, INACTIVE, EXPIRED and
// REVOKED only change the status and its reason, so the dates and the
// certificate body stay as they were. No certificate moves back to
// PENDING_VALIDATION.
//
// InUseBy goes through the same steps as AddCertificateUse and
// RemoveCertificateUse: each resource must be an ARN, RenewalEligibility
// follows the list, and the worker is woken to start managed renewal.
func (s *Service) SetCertificateState(ctx context.Context, caller Caller, in *SetCertificateStateInput) (*DescribeCertificateOutput, error) {
	if in.CertificateArn == "" {
		return nil, apierr.New(apierr.InvalidParameter, "CertificateArn is required.")
	}
	if in.InUseBy != nil {
		for _, resource := range *in.InUseBy {
			if err := checkResourceArn(resource); err != nil {
				return nil, err
			}
		}
	}

	for range 3 {
		cert, err := s.loadCertificate(ctx, caller, in.CertificateArn)
		if err != nil {
			return nil, err
		}
		if in.Status != "" && in.Status != cert.Status {
			if err := s.moveTo(ctx, cert, in); err != nil {
				return nil, err
			}
		}
		var applied []certificateUseChange
		if in.InUseBy != nil {
			applied = applyCertificateUses(cert, useChangesToward(cert.InUseBy, *in.InUseBy))
		}
		cert.RenewalEligibility = eligibility(cert)
		cert.UpdatedAt = s.clock.Now()

		err = s.store.UpdateCertificate(ctx, cert)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound(in.CertificateArn)
		}
		if err != nil {
			return nil, fmt.Errorf("save certificate %s: %w", cert.ARN, err)
		}
		s.logger.Warn("certificate state set by a test-environment control",
			"arn", cert.ARN, "account", caller.Account, "status", cert.Status, "in_use_by", len(cert.InUseBy))
		s.certificateUsesChanged(cert, caller, applied)
		if cert.Status == StatusRevoked {
			// The next CRL of OpenACM's CA lists the serial.
			s.revoked()
		}
		return &DescribeCertificateOutput{Certificate: certificateDetail(cert)}, nil
	}
	return nil, concurrentChange(in.CertificateArn)
}

// moveTo changes cert to in.Status and sets the fields that go with it.
func (s *Service) moveTo(ctx context.Context, cert *store.Certificate, in *SetCertificateStateInput) error {
	now := s.clock.Now()
	switch in.Status {
	case StatusIssued:
		return s.forceIssue(ctx, cert)
	case StatusFailed:
		reason, err := enumOrDefault("FailureReason", in.FailureReason, "OTHER", failureReasons)
		if err != nil {
			return err
		}
		cert.Status = StatusFailed
		cert.FailureReason = reason
		s.observer.CertificateFailed(cert.Type, reason)
	case StatusRevoked:
		if cert.CertificatePEM == "" {
			return apierr.New(apierr.InvalidState, "Certificate %s was never issued, so it cannot be revoked.", cert.ARN)
		}
		reason, err := enumOrDefault("RevocationReason", in.RevocationReason, "UNSPECIFIED", revocationReasons)
		if err != nil {
			return err
		}
		cert.Status = StatusRevoked
		cert.RevocationReason = reason
		cert.RevokedAt = now
	case StatusExpired, StatusInactive, StatusValidationTimedOut:
		cert.Status = in.Status
	case StatusPendingValidation:
		return apierr.New(apierr.InvalidParameter,
			"Certificate %s is %s and cannot move back to PENDING_VALIDATION; request a new certificate instead.", cert.ARN, cert.Status)
	default:
		return apierr.New(apierr.InvalidParameter,
			"Invalid Status %q: want one of ISSUED, FAILED, VALIDATION_TIMED_OUT, INACTIVE, EXPIRED, REVOKED.", in.Status)
	}
	return nil
}

// forceIssue approves every name and signs the certificate unless it already has a body.
func (s *Service) forceIssue(ctx context.Context, cert *store.Certificate) error {
	if cert.CertificatePEM != "" {
		cert.Status = StatusIssued
		cert.RevocationReason = ""
		cert.RevokedAt = time.Time{}
		return nil
	}
	if cert.Type != TypeAmazonIssued {
		return apierr.New(apierr.InvalidState,
			"Certificate %s has type %s; only AMAZON_ISSUED certificates can be issued by this control.", cert.ARN, cert.Type)
	}

	for i := range cert.DomainValidations {
		cert.DomainValidations[i].ValidationStatus = ValidationSuccess
	}
	cert.FailureReason = ""
	started := time.Now()
	err := s.issue(ctx, cert)
	s.observer.IssuanceFinished(cert.Type, err, time.Since(started))
	if err != nil {
		return fmt.Errorf("issue certificate %s: %w", cert.ARN, err)
	}
	return nil
}

// enumOrDefault returns value, or fallback when value is empty, after
// checking it against the allowed values.
func enumOrDefault(member, value, fallback string, allowed []string) (string, error) {
	if value == "" {
		return fallback, nil
	}
	if !slices.Contains(allowed, value) {
		return "", apierr.New(apierr.InvalidParameter,
			"Invalid %s %q: want one of %s.", member, value, strings.Join(allowed, ", "))
	}
	return value, nil
}
