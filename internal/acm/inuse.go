package acm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/store"
)

// maxResourceArnLength bounds a ResourceArn, the longest ARN AWS allows.
const maxResourceArnLength = 2048

// AddCertificateUse records that the resource ResourceArn uses the
// certificate. No AWS service attaches certificates to OpenACM, so this
// admin operation is how InUseBy, RenewalEligibility and the
// DeleteCertificate in-use check learn about users of a certificate.
func (s *Service) AddCertificateUse(ctx context.Context, caller Caller, in *CertificateUseInput) (*Empty, error) {
	return s.changeCertificateUse(ctx, caller, in, true)
}

// RemoveCertificateUse removes ResourceArn from the certificate's InUseBy
// list; removing a resource that is not listed succeeds.
func (s *Service) RemoveCertificateUse(ctx context.Context, caller Caller, in *CertificateUseInput) (*Empty, error) {
	return s.changeCertificateUse(ctx, caller, in, false)
}

func (s *Service) changeCertificateUse(ctx context.Context, caller Caller, in *CertificateUseInput, add bool) (*Empty, error) {
	if err := checkCertificateUseInput(in); err != nil {
		return nil, err
	}
	changes := []certificateUseChange{{resource: in.ResourceArn, add: add}}

	for range 3 {
		cert, err := s.loadCertificate(ctx, caller, in.CertificateArn)
		if err != nil {
			return nil, err
		}
		applied := applyCertificateUses(cert, changes)
		if len(applied) == 0 {
			return &Empty{}, nil
		}
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
		s.certificateUsesChanged(cert, caller, applied)
		return &Empty{}, nil
	}
	return nil, concurrentChange(in.CertificateArn)
}

// certificateUseChange adds or removes one resource of a certificate's
// InUseBy list.
type certificateUseChange struct {
	resource string
	add      bool
}

// applyCertificateUses applies changes to cert.InUseBy, sets
// RenewalEligibility to match and returns the changes that altered the
// list. Adding a listed resource or removing one not listed does nothing.
func applyCertificateUses(cert *store.Certificate, changes []certificateUseChange) []certificateUseChange {
	var applied []certificateUseChange
	for _, change := range changes {
		listed := slices.Contains(cert.InUseBy, change.resource)
		switch {
		case change.add && !listed:
			cert.InUseBy = append(cert.InUseBy, change.resource)
		case !change.add && listed:
			cert.InUseBy = slices.DeleteFunc(cert.InUseBy, func(resource string) bool { return resource == change.resource })
		default:
			continue
		}
		applied = append(applied, change)
	}
	cert.RenewalEligibility = eligibility(cert)
	return applied
}

// useChangesToward returns the changes that turn the list current into
// wanted: removals of the resources missing from wanted, then additions in
// the order of wanted.
func useChangesToward(current, wanted []string) []certificateUseChange {
	var changes []certificateUseChange
	for _, resource := range current {
		if !slices.Contains(wanted, resource) {
			changes = append(changes, certificateUseChange{resource: resource})
		}
	}
	for _, resource := range wanted {
		changes = append(changes, certificateUseChange{resource: resource, add: true})
	}
	return changes
}

// certificateUsesChanged logs the saved changes and wakes the worker, so a
// certificate that became eligible inside its renewal window starts
// managed renewal (and its events) without waiting for the next pass.
func (s *Service) certificateUsesChanged(cert *store.Certificate, caller Caller, applied []certificateUseChange) {
	for _, change := range applied {
		s.logger.Info("certificate use changed", "arn", cert.ARN, "account", caller.Account,
			"resource", change.resource, "in_use", change.add, "in_use_count", len(cert.InUseBy))
	}
	s.wake()
}

func concurrentChange(certificateArn string) error {
	return apierr.New(apierr.Conflict, "Certificate %s changed concurrently; try again.", certificateArn)
}

func checkCertificateUseInput(in *CertificateUseInput) error {
	if in.CertificateArn == "" {
		return apierr.New(apierr.Validation, "1 validation error detected: Value null at 'certificateArn' failed to satisfy constraint: Member must not be null")
	}
	return checkResourceArn(in.ResourceArn)
}

// checkResourceArn checks that resource has the form of an ARN.
func checkResourceArn(resource string) error {
	if !strings.HasPrefix(resource, "arn:") || len(resource) > maxResourceArnLength || strings.Count(resource, ":") < 5 {
		return apierr.New(apierr.InvalidParameter,
			"ResourceArn %q is not an ARN: want arn:partition:service:region:account:resource, at most %d characters.", resource, maxResourceArnLength)
	}
	return nil
}
