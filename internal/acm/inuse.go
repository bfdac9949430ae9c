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

	for range 3 {
		cert, err := s.loadCertificate(ctx, caller, in.CertificateArn)
		if err != nil {
			return nil, err
		}

		listed := slices.Contains(cert.InUseBy, in.ResourceArn)
		switch {
		case add && !listed:
			cert.InUseBy = append(cert.InUseBy, in.ResourceArn)
		case !add && listed:
			cert.InUseBy = slices.DeleteFunc(cert.InUseBy, func(resource string) bool { return resource == in.ResourceArn })
		default:
			return &Empty{}, nil
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
		s.logger.Info("certificate use changed", "arn", cert.ARN, "account", caller.Account,
			"resource", in.ResourceArn, "in_use", add, "in_use_count", len(cert.InUseBy))
		s.wake()
		return &Empty{}, nil
	}
	return nil, apierr.New(apierr.Conflict, "Certificate %s changed concurrently; try again.", in.CertificateArn)
}

func checkCertificateUseInput(in *CertificateUseInput) error {
	if in.CertificateArn == "" {
		return apierr.New(apierr.Validation, "1 validation error detected: Value null at 'certificateArn' failed to satisfy constraint: Member must not be null")
	}
	if !strings.HasPrefix(in.ResourceArn, "arn:") || len(in.ResourceArn) > maxResourceArnLength || strings.Count(in.ResourceArn, ":") < 5 {
		return apierr.New(apierr.InvalidParameter,
			"ResourceArn %q is not an ARN: want arn:partition:service:region:account:resource, at most %d characters.", in.ResourceArn, maxResourceArnLength)
	}
	return nil
}
