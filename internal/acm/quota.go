package acm

import (
	"context"
	"fmt"

	"github.com/openacm/openacm/internal/apierr"
)

// checkCertificateQuota rejects a new certificate when the caller's account
// already has Config.MaxCertificates certificates in the region.
//
// NOTE: the count and the insert are separate statements, so requests that
// race at the quota can overshoot it by the number of racing requests. The
// message is a guess at ACM's wording; AWS documents only the exception name.
func (s *Service) checkCertificateQuota(ctx context.Context, caller Caller) error {
	if s.config.MaxCertificates <= 0 {
		return nil
	}
	count, err := s.store.CountAccountCertificates(ctx, caller.Account, caller.Region)
	if err != nil {
		return fmt.Errorf("count certificates for quota: %w", err)
	}
	if count >= s.config.MaxCertificates {
		return apierr.New(apierr.LimitExceeded,
			"Error: you have reached your limit of %d certificates.", s.config.MaxCertificates)
	}
	return nil
}
