package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/openacm/openacm/internal/store"
)

// GetSetting returns the value stored under name, or store.ErrNotFound.
func (s *Store) GetSetting(ctx context.Context, name string) ([]byte, error) {
	var stored []byte
	err := s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT value FROM settings WHERE name = ?`), name).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read setting %q: %w", name, err)
	}
	return stored, nil
}

// InitSetting stores value under name unless a value is already stored,
// and returns the stored value. The insert and the read share one
// transaction, so concurrent first calls all return the first committed value.
func (s *Store) InitSetting(ctx context.Context, name string, value []byte) ([]byte, error) {
	// A nil value would violate the NOT NULL column, and reads back the same
	// as an empty one.
	if value == nil {
		value = []byte{}
	}

	var stored []byte
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `INSERT INTO settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO NOTHING`, name, value)
		if err != nil {
			return err
		}

		return tx.QueryRowContext(ctx, s.dialect.bind(`SELECT value FROM settings WHERE name = ?`), name).Scan(&stored)
	})
	if err != nil {
		return nil, fmt.Errorf("initialize setting %q: %w", name, err)
	}

	return stored, nil
}
