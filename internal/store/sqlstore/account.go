package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/openacm/openacm/internal/store"
)

// GetAccountConfiguration returns the account's configuration in the
// region, or store.ErrNotFound when it was never set.
func (s *Store) GetAccountConfiguration(ctx context.Context, account, region string) (*store.AccountConfiguration, error) {
	config := &store.AccountConfiguration{Account: account, Region: region}
	var days, updatedAt int64
	err := s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT days_before_expiry, updated_at
		FROM account_configurations WHERE account = ? AND region = ?`), account, region).Scan(&days, &updatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read account configuration: %w", err)
	}

	config.DaysBeforeExpiry = int(days)
	config.UpdatedAt = fromUnixNanos(updatedAt)
	return config, nil
}

// PutAccountConfiguration stores config unless idem.Token was claimed for
// the account and region since idem.NotBefore. The token claim and the
// write share one transaction, so a retry cannot apply a change twice.
func (s *Store) PutAccountConfiguration(ctx context.Context, config *store.AccountConfiguration, idem store.Idempotency) (bool, error) {
	updatedAt, err := unixNanos(config.UpdatedAt)
	if err != nil {
		return false, fmt.Errorf("put account configuration: %w", err)
	}
	notBefore, err := unixNanos(idem.NotBefore)
	if err != nil {
		return false, fmt.Errorf("put account configuration: %w", err)
	}

	stored := false
	err = s.write(ctx, func(tx *sql.Tx) error {
		result, err := s.exec(ctx, tx, `INSERT INTO account_configuration_tokens (account, region, token, created_at)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (account, region, token) DO UPDATE SET created_at = excluded.created_at
			WHERE account_configuration_tokens.created_at < ?`,
			config.Account, config.Region, idem.Token, updatedAt, notBefore)
		if err != nil {
			return fmt.Errorf("claim idempotency token: %w", err)
		}
		claimed, err := result.RowsAffected()
		if err != nil {
			return fmt.Errorf("claim idempotency token: %w", err)
		}
		if claimed == 0 {
			return nil
		}

		_, err = s.exec(ctx, tx, `INSERT INTO account_configurations (account, region, days_before_expiry, updated_at)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (account, region) DO UPDATE
			SET days_before_expiry = excluded.days_before_expiry, updated_at = excluded.updated_at`,
			config.Account, config.Region, config.DaysBeforeExpiry, updatedAt)
		if err != nil {
			return fmt.Errorf("write account configuration: %w", err)
		}
		stored = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("put account configuration: %w", err)
	}
	return stored, nil
}
