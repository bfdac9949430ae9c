package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/openacm/openacm/internal/keys"
)

// ErrNoKeyring means a private key was written to a store opened without a
// master key. Nothing secret is ever stored in clear.
var ErrNoKeyring = errors.New("store has no master key to seal private keys with")

// sealedColumn names a column whose values are sealed with the master key,
// and the column of the record id bound into each value.
//
// Every column that holds a private key or another secret is listed in
// sealedColumns, written through Store.seal and read through Store.open.
// Master key rotation (RewrapSealed) and the start-up check (CheckSealed)
// walk this list, so a new secret column needs one entry here and the two
// calls.
type sealedColumn struct {
	table    string
	idColumn string
	column   string
}

var (
	certificateKeyColumn = sealedColumn{table: "certificates", idColumn: "arn", column: "private_key"}
	secretColumn         = sealedColumn{table: "secrets", idColumn: "name", column: "value"}
	caKeyColumn          = sealedColumn{table: "certificate_authorities", idColumn: "arn", column: "private_key"}
)

var sealedColumns = []sealedColumn{certificateKeyColumn, secretColumn, caKeyColumn}

// recordID is the additional data a value is sealed with: the table and
// column as well as the row's id, so a value moved to another row, or to
// another sealed column, fails to open.
func (c sealedColumn) recordID(id string) string {
	return c.table + "." + c.column + "/" + id
}

// seal encrypts plaintext for the row id of column. An empty plaintext is
// stored as NULL and needs no key.
func (s *Store) seal(column sealedColumn, id string, plaintext []byte) ([]byte, error) {
	if len(plaintext) == 0 {
		return nil, nil
	}
	if s.keyring == nil {
		return nil, ErrNoKeyring
	}
	sealed, err := s.keyring.Seal(column.recordID(id), plaintext)
	if err != nil {
		return nil, fmt.Errorf("seal %s.%s of %s: %w", column.table, column.column, id, err)
	}
	return sealed, nil
}

// open decrypts a value that seal wrote for the row id of column.
func (s *Store) open(column sealedColumn, id string, sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	if s.keyring == nil {
		return nil, ErrNoKeyring
	}
	plaintext, err := s.keyring.Open(column.recordID(id), sealed)
	if err != nil {
		return nil, fmt.Errorf("open %s.%s of %s: %w", column.table, column.column, id, err)
	}
	return plaintext, nil
}

// CheckSealed opens one value per master key id in every sealed column,
// and fails when one does not open. A node started with the wrong master
// key fails here rather than on the first request that needs a key.
//
// NOTE: it reads every sealed value to find the key ids, which is a full
// scan of the certificates table at start-up.
func (s *Store) CheckSealed(ctx context.Context) error {
	for _, column := range sealedColumns {
		checked := map[[8]byte]bool{}
		err := s.eachSealed(ctx, column, func(id string, value []byte) error {
			keyID, err := keys.SealedKeyID(value)
			if err != nil {
				return fmt.Errorf("%s.%s of %s: %w", column.table, column.column, id, err)
			}
			if checked[keyID] {
				return nil
			}
			if _, err := s.open(column, id, value); err != nil {
				return err
			}
			checked[keyID] = true
			return nil
		})
		if err != nil {
			return fmt.Errorf("check sealed values: %w", err)
		}
	}
	return nil
}

// RewrapSealed rewraps every sealed value whose data key is not wrapped by
// the primary master key, and returns how many it changed. Each row is
// updated only when it still holds the value read, so a concurrent write by
// a serving node is never overwritten. A caller repeats it until it returns
// 0 to catch values written while it ran.
func (s *Store) RewrapSealed(ctx context.Context) (int, error) {
	if s.keyring == nil {
		return 0, ErrNoKeyring
	}
	total := 0
	for _, column := range sealedColumns {
		changed, err := s.rewrapColumn(ctx, column)
		total += changed
		if err != nil {
			return total, fmt.Errorf("rewrap %s.%s: %w", column.table, column.column, err)
		}
	}
	return total, nil
}

func (s *Store) rewrapColumn(ctx context.Context, column sealedColumn) (int, error) {
	type rewrapped struct {
		id       string
		old, new []byte
	}
	var pending []rewrapped
	err := s.eachSealed(ctx, column, func(id string, value []byte) error {
		next, changed, err := s.keyring.Rewrap(column.recordID(id), value)
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		if changed {
			pending = append(pending, rewrapped{id: id, old: value, new: next})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}

	changed := 0
	for _, row := range pending {
		err := s.write(ctx, func(tx *sql.Tx) error {
			result, err := s.exec(ctx, tx, `UPDATE `+column.table+` SET `+column.column+` = ?
				WHERE `+column.idColumn+` = ? AND `+column.column+` = ?`, row.new, row.id, row.old)
			if err != nil {
				return err
			}
			n, err := result.RowsAffected()
			changed += int(n)
			return err
		})
		if err != nil {
			return changed, fmt.Errorf("update %s: %w", row.id, err)
		}
	}
	return changed, nil
}

// sealedPageSize is how many values eachSealed reads per query.
const sealedPageSize = 1000

// eachSealed calls fn with the id and value of every non-empty value of
// column, in id order. It reads one page of values at a time, so memory
// stays bounded however many rows the table has.
func (s *Store) eachSealed(ctx context.Context, column sealedColumn, fn func(id string, value []byte) error) error {
	after := ""
	for {
		ids, values, err := s.sealedPage(ctx, column, after)
		if err != nil {
			return err
		}
		for i, id := range ids {
			if len(values[i]) == 0 {
				continue
			}
			if err := fn(id, values[i]); err != nil {
				return err
			}
		}
		if len(ids) < sealedPageSize {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

// sealedPage returns the next page of ids and values of column after the
// id after. The page is read in full and its rows closed before fn runs,
// so fn may write with the single writer connection while no read is open.
func (s *Store) sealedPage(ctx context.Context, column sealedColumn, after string) ([]string, [][]byte, error) {
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT `+column.idColumn+`, `+column.column+` FROM `+column.table+`
		WHERE `+column.column+` IS NOT NULL AND `+column.idColumn+` > ?
		ORDER BY `+column.idColumn+` LIMIT ?`), after, sealedPageSize)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()

	var ids []string
	var values [][]byte
	for rows.Next() {
		var id string
		var value []byte
		if err := rows.Scan(&id, &value); err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
		values = append(values, value)
	}
	return ids, values, rows.Err()
}

// sealClearValues seals values that were stored before sealing existed.
// It runs once per open and changes nothing in a database already sealed.
func (s *Store) sealClearValues(ctx context.Context) error {
	for _, column := range sealedColumns {
		var clearRows []string
		err := s.eachSealed(ctx, column, func(id string, value []byte) error {
			if !keys.IsSealed(value) {
				clearRows = append(clearRows, id)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, id := range clearRows {
			if err := s.sealClearValue(ctx, column, id); err != nil {
				return err
			}
		}
		if len(clearRows) > 0 {
			s.logger.Info("sealed values stored in clear", "table", column.table, "column", column.column, "count", len(clearRows))
		}
	}
	return nil
}

func (s *Store) sealClearValue(ctx context.Context, column sealedColumn, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var value []byte
		err := tx.QueryRowContext(ctx, s.dialect.bind(`SELECT `+column.column+` FROM `+column.table+`
			WHERE `+column.idColumn+` = ?`), id).Scan(&value)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil || len(value) == 0 || keys.IsSealed(value) {
			return err
		}
		sealed, err := s.seal(column, id, value)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, `UPDATE `+column.table+` SET `+column.column+` = ? WHERE `+column.idColumn+` = ?`, sealed, id)
		return err
	})
}
