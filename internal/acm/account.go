package acm

import (
	"context"
	"errors"
	"fmt"

	"github.com/openacm/openacm/internal/store"
)

// defaultDaysBeforeExpiry is ACM's default of ExpiryEvents.DaysBeforeExpiry.
const defaultDaysBeforeExpiry = 45

// GetAccountConfiguration returns the caller's account configuration in the region.
func (s *Service) GetAccountConfiguration(ctx context.Context, caller Caller, _ *Empty) (*GetAccountConfigurationOutput, error) {
	days := defaultDaysBeforeExpiry
	config, err := s.store.GetAccountConfiguration(ctx, caller.Account, caller.Region)
	switch {
	case err == nil:
		days = config.DaysBeforeExpiry
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("read account configuration: %w", err)
	}
	return &GetAccountConfigurationOutput{ExpiryEvents: ExpiryEventsConfiguration{DaysBeforeExpiry: &days}}, nil
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
