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

// SwapSetting stores value under name when the stored value equals old, or
// when nothing is stored and old is nil, and reports whether it stored it.
// The compare and the write are one statement, so of several nodes that swap
// from the same old value exactly one succeeds.
func (s *Store) SwapSetting(ctx context.Context, name string, old, value []byte) (bool, error) {
	if value == nil {
		value = []byte{}
	}

	var result sql.Result
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if old == nil {
			result, err = s.exec(ctx, tx, `INSERT INTO settings (name, value) VALUES (?, ?)
				ON CONFLICT (name) DO NOTHING`, name, value)
		} else {
			result, err = s.exec(ctx, tx, `UPDATE settings SET value = ? WHERE name = ? AND value = ?`, value, name, old)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("swap setting %q: %w", name, err)
	}

	changed, err := result.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("swap setting %q: %w", name, err)
	}
	return changed == 1, nil
}
