package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/openacm/openacm/internal/store"
)

// GetSecret returns the opened secret stored under name, or store.ErrNotFound.
func (s *Store) GetSecret(ctx context.Context, name string) ([]byte, error) {
	var sealed []byte
	err := s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT value FROM secrets WHERE name = ?`), name).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read secret %q: %w", name, err)
	}
	return s.open(secretColumn, name, sealed)
}

// InitSecret seals and stores value under name unless a secret is already
// stored, and returns the stored secret opened. As with InitSetting,
// concurrent first calls all return the first committed value.
func (s *Store) InitSecret(ctx context.Context, name string, value []byte) ([]byte, error) {
	if len(value) == 0 {
		return nil, fmt.Errorf("initialize secret %q: value is empty", name)
	}
	sealed, err := s.seal(secretColumn, name, value)
	if err != nil {
		return nil, err
	}

	var stored []byte
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `INSERT INTO secrets (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO NOTHING`, name, sealed)
		if err != nil {
			return err
		}

		return tx.QueryRowContext(ctx, s.dialect.bind(`SELECT value FROM secrets WHERE name = ?`), name).Scan(&stored)
	})
	if err != nil {
		return nil, fmt.Errorf("initialize secret %q: %w", name, err)
	}
	return s.open(secretColumn, name, stored)
}

// DeleteSetting removes the setting stored under name. Removing a setting
// that does not exist is not an error.
func (s *Store) DeleteSetting(ctx context.Context, name string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `DELETE FROM settings WHERE name = ?`, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete setting %q: %w", name, err)
	}
	return nil
}
