package acm

import (
	"context"
	"errors"
	"fmt"

	"github.com/openacm/openacm/internal/store"
)

// GetAccountConfiguration returns the caller's account configuration in the region.
func (s *Service) GetAccountConfiguration(ctx context.Context, caller Caller, _ *Empty) (*GetAccountConfigurationOutput, error) {
	days, err := s.daysBeforeExpiry(ctx, caller.Account, caller.Region)
	if err != nil {
		return nil, err
	}
	return &GetAccountConfigurationOutput{ExpiryEvents: ExpiryEventsConfiguration{DaysBeforeExpiry: &days}}, nil
}

// daysBeforeExpiry returns the account's ExpiryEvents.DaysBeforeExpiry in
// the region, or DefaultDaysBeforeExpiry when the account never set it.
func (s *Service) daysBeforeExpiry(ctx context.Context, account, region string) (int, error) {
	config, err := s.store.GetAccountConfiguration(ctx, account, region)
	switch {
	case err == nil:
		return config.DaysBeforeExpiry, nil
	case errors.Is(err, store.ErrNotFound):
		return DefaultDaysBeforeExpiry, nil
	default:
		return 0, fmt.Errorf("read account configuration of %s in %s: %w", account, region, err)
	}
}

// PutAccountConfiguration sets the account configuration. A request that
// repeats an IdempotencyToken within an hour changes nothing, as
// RequestCertificate's tokens do. A request without DaysBeforeExpiry keeps
// the current value.
func (s *Service) PutAccountConfiguration(ctx context.Context, caller Caller, in *PutAccountConfigurationInput) (*Empty, error) {
	current, err := s.GetAccountConfiguration(ctx, caller, nil)
	if err != nil {
		return nil, err
	}
	days := *current.ExpiryEvents.DaysBeforeExpiry
	if in.ExpiryEvents != nil && in.ExpiryEvents.DaysBeforeExpiry != nil {
		days = *in.ExpiryEvents.DaysBeforeExpiry
	}

	now := s.clock.Now()
	config := &store.AccountConfiguration{Account: caller.Account, Region: caller.Region, DaysBeforeExpiry: days, UpdatedAt: now}
	stored, err := s.store.PutAccountConfiguration(ctx, config,
		store.Idempotency{Token: in.IdempotencyToken, NotBefore: now.Add(-idempotencyWindow)})
	if err != nil {
		return nil, fmt.Errorf("write account configuration: %w", err)
	}
	if stored {
		s.logger.Info("account configuration updated", "account", caller.Account, "region", caller.Region,
			"days_before_expiry", days)
	}
	return &Empty{}, nil
}
