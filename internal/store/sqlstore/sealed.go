package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/openacm/openacm/internal/keys"
	"github.com/openacm/openacm/internal/store"
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

// sealedSampleSize is how many values of each sealed column CheckSealed
// opens or inspects before the server is ready, whatever the table size.
const sealedSampleSize = 100

// sealedCheckSetting names the setting that records the last full check
// of sealed values (see CheckAllSealed).
const sealedCheckSetting = "sealed_check"

// sealedWitness is one value that opened in the last full check: the
// master key id that wrapped it and where it is stored.
type sealedWitness struct {
	KeyID  string `json:"k"`
	Table  string `json:"t"`
	Column string `json:"c"`
	ID     string `json:"i"`
}

// CheckSealed opens a bounded number of sealed values, and fails when one
// does not open, so a node started with the wrong master key stops here
// rather than on the first request that needs a key. It opens one value per
// master key id among the first sealedSampleSize values of every sealed
// column, and the value recorded for each key id by the last CheckAllSealed.
// Its cost does not grow with the number of certificates. A caller that
// wants every value checked runs CheckAllSealed too, in the background.
func (s *Store) CheckSealed(ctx context.Context) error {
	checked := map[[8]byte]bool{}
	for _, column := range sealedColumns {
		ids, values, err := s.sealedPage(ctx, column, "", sealedSampleSize)
		if err != nil {
			return fmt.Errorf("check sealed values: %w", err)
		}
		for i, id := range ids {
			if _, err := s.checkSealedValue(column, id, values[i], checked); err != nil {
				return fmt.Errorf("check sealed values: %w", err)
			}
		}
	}

	witnesses, err := s.sealedWitnesses(ctx)
	if err != nil {
		return fmt.Errorf("check sealed values: %w", err)
	}
	for _, w := range witnesses {
		column, ok := sealedColumnNamed(w.Table, w.Column)
		if !ok {
			continue
		}
		value, err := s.sealedValue(ctx, column, w.ID)
		if err != nil {
			return fmt.Errorf("check sealed values: %w", err)
		}
		// A value rewrapped or deleted since no longer witnesses its key id.
		keyID, idErr := keys.SealedKeyID(value)
		if len(value) == 0 || idErr != nil || keys.FormatKeyID(keyID) != w.KeyID {
			continue
		}
		if _, err := s.checkSealedValue(column, w.ID, value, checked); err != nil {
			return fmt.Errorf("check sealed values: %w", err)
		}
	}
	return nil
}

// CheckAllSealed opens one value per master key id in every sealed column,
// reading every sealed value to find the key ids, and fails when one does
// not open. When every one opens it records one value per key id, which
// later calls of CheckSealed open again. While that record exists it
// returns at once. RewrapSealed removes the record when it changes a
// value. It returns the number of sealed values it read, 0 when it
// returned at once.
func (s *Store) CheckAllSealed(ctx context.Context) (int, error) {
	if witnesses, err := s.sealedWitnesses(ctx); err != nil || witnesses != nil {
		return 0, err
	}

	read := 0
	witnesses := []sealedWitness{}
	for _, column := range sealedColumns {
		checked := map[[8]byte]bool{}
		err := s.eachSealed(ctx, column, func(id string, value []byte) error {
			read++
			opened, err := s.checkSealedValue(column, id, value, checked)
			if opened {
				keyID, _ := keys.SealedKeyID(value)
				witnesses = append(witnesses, sealedWitness{
					KeyID: keys.FormatKeyID(keyID), Table: column.table, Column: column.column, ID: id,
				})
			}
			return err
		})
		if err != nil {
			return read, fmt.Errorf("check sealed values: %w", err)
		}
	}

	record, err := json.Marshal(witnesses)
	if err != nil {
		return read, fmt.Errorf("record sealed value check: %w", err)
	}
	if _, err := s.InitSetting(ctx, sealedCheckSetting, record); err != nil {
		return read, fmt.Errorf("record sealed value check: %w", err)
	}
	return read, nil
}

// checkSealedValue opens value unless a value of the same master key id
// was opened already, and reports whether it opened it.
func (s *Store) checkSealedValue(column sealedColumn, id string, value []byte, checked map[[8]byte]bool) (bool, error) {
	if len(value) == 0 {
		return false, nil
	}
	keyID, err := keys.SealedKeyID(value)
	if err != nil {
		return false, fmt.Errorf("%s.%s of %s: %w", column.table, column.column, id, err)
	}
	if checked[keyID] {
		return false, nil
	}
	if _, err := s.open(column, id, value); err != nil {
		return false, err
	}
	checked[keyID] = true
	return true, nil
}

// sealedWitnesses returns the values recorded by the last CheckAllSealed,
// or nil when none is recorded.
func (s *Store) sealedWitnesses(ctx context.Context) ([]sealedWitness, error) {
	record, err := s.GetSetting(ctx, sealedCheckSetting)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	witnesses := []sealedWitness{}
	if err := json.Unmarshal(record, &witnesses); err != nil {
		// An unreadable record is dropped, so the next full check writes it again.
		return nil, s.DeleteSetting(ctx, sealedCheckSetting)
	}
	return witnesses, nil
}

// sealedColumnNamed returns the sealed column of table and column.
func sealedColumnNamed(table, column string) (sealedColumn, bool) {
	for _, c := range sealedColumns {
		if c.table == table && c.column == column {
			return c, true
		}
	}
	return sealedColumn{}, false
}

// sealedValue returns the value of column in the row id, nil when the row
// is gone.
func (s *Store) sealedValue(ctx context.Context, column sealedColumn, id string) ([]byte, error) {
	var value []byte
	err := s.reader.QueryRowContext(ctx, s.dialect.bind(`SELECT `+column.column+` FROM `+column.table+`
		WHERE `+column.idColumn+` = ?`), id).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return value, err
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
	if total > 0 {
		// The values recorded by the last full check may be rewrapped now,
		// so the next full check runs again.
		if err := s.DeleteSetting(ctx, sealedCheckSetting); err != nil {
			return total, fmt.Errorf("rewrap: %w", err)
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
		ids, values, err := s.sealedPage(ctx, column, after, sealedPageSize)
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
func (s *Store) sealedPage(ctx context.Context, column sealedColumn, after string, limit int) ([]string, [][]byte, error) {
	rows, err := s.reader.QueryContext(ctx, s.dialect.bind(`SELECT `+column.idColumn+`, `+column.column+` FROM `+column.table+`
		WHERE `+column.column+` IS NOT NULL AND `+column.idColumn+` > ?
		ORDER BY `+column.idColumn+` LIMIT ?`), after, limit)
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

// clearValuesSetting names the setting that records that no value is
// stored in clear any more. Every write seals, so once a scan sealed the
// values stored before sealing existed, none can appear again.
const clearValuesSetting = "sealed_clear_values"

// sealClearValues seals values that were stored before sealing existed.
// It runs at every open, but scans the sealed columns only until one scan
// has finished, so later opens do not read every key.
func (s *Store) sealClearValues(ctx context.Context) error {
	if _, err := s.GetSetting(ctx, clearValuesSetting); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
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
	_, err := s.InitSetting(ctx, clearValuesSetting, nil)
	return err
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
