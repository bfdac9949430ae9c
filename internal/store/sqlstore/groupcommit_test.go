package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// openScratchSQLite opens a SQLite store with an extra table, scratch,
// whose rows the group commit tests write.
func openScratchSQLite(t *testing.T) *Store {
	t.Helper()

	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "openacm.db"), nil)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { s.Close() })

	err = s.write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE TABLE scratch (id INTEGER PRIMARY KEY)`)
		return err
	})
	if err != nil {
		t.Fatalf("create scratch table: %v", err)
	}
	return s
}

func scratchRows(t *testing.T, s *Store) map[int]bool {
	t.Helper()

	rows, err := s.reader.Query(`SELECT id FROM scratch`)
	if err != nil {
		t.Fatalf("read scratch rows: %v", err)
	}
	defer rows.Close()

	ids := map[int]bool{}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatalf("scan scratch row: %v", err)
		}
		ids[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read scratch rows: %v", err)
	}
	return ids
}

// writeConcurrently runs one write per id at once, while a first write
// holds the committer, so that they queue and share transactions. fn
// returns the write of one id. It returns each id's outcome.
func writeConcurrently(t *testing.T, s *Store, ids int, fn func(id int) func(tx *sql.Tx) error) []error {
	t.Helper()

	release := make(chan struct{})
	holding := make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- s.write(context.Background(), func(tx *sql.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding

	results := make([]error, ids)
	var wg sync.WaitGroup
	for id := range ids {
		wg.Go(func() { results[id] = s.write(context.Background(), fn(id)) })
	}

	close(release)
	wg.Wait()
	if err := <-holder; err != nil {
		t.Fatalf("holding write: %v", err)
	}
	return results
}

func insertScratch(id int) func(tx *sql.Tx) error {
	return func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO scratch (id) VALUES (?)`, id)
		return err
	}
}

func TestGroupCommitIsolatesFailedWrite(t *testing.T) {
	s := openScratchSQLite(t)
	errOdd := errors.New("odd id")

	results := writeConcurrently(t, s, 20, func(id int) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error {
			// The failing writes insert first, so only a rollback to their
			// savepoint keeps their rows out.
			if err := insertScratch(id)(tx); err != nil {
				return err
			}
			if id%2 == 1 {
				return errOdd
			}
			return nil
		}
	})

	stored := scratchRows(t, s)
	for id, err := range results {
		if id%2 == 1 {
			if !errors.Is(err, errOdd) {
				t.Errorf("write %d error = %v, want %v", id, err, errOdd)
			}
			if stored[id] {
				t.Errorf("row %d of a failed write was stored", id)
			}
			continue
		}

		if err != nil {
			t.Errorf("write %d error = %v, want nil", id, err)
		}
		if !stored[id] {
			t.Errorf("row %d of a committed write is missing", id)
		}
	}
}

func TestGroupCommitIsolatesFailedStatement(t *testing.T) {
	s := openScratchSQLite(t)
	if err := s.write(context.Background(), insertScratch(1000)); err != nil {
		t.Fatalf("insert row 1000: %v", err)
	}

	// Every third write inserts a row and then repeats the existing id
	// 1000, which fails on the primary key.
	results := writeConcurrently(t, s, 12, func(id int) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error {
			if err := insertScratch(id)(tx); err != nil {
				return err
			}
			if id%3 == 0 {
				return insertScratch(1000)(tx)
			}
			return nil
		}
	})

	stored := scratchRows(t, s)
	for id, err := range results {
		failed := id%3 == 0
		if failed != (err != nil) {
			t.Errorf("write %d error = %v, want failure %t", id, err, failed)
		}
		if stored[id] == failed {
			t.Errorf("row %d stored = %t, want %t", id, stored[id], !failed)
		}
	}
}

func TestGroupCommitRecoversPanic(t *testing.T) {
	s := openScratchSQLite(t)

	results := writeConcurrently(t, s, 6, func(id int) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error {
			if err := insertScratch(id)(tx); err != nil {
				return err
			}
			if id == 3 {
				panic(fmt.Sprintf("write %d", id))
			}
			return nil
		}
	})

	stored := scratchRows(t, s)
	for id, err := range results {
		if id == 3 {
			if err == nil || stored[id] {
				t.Errorf("panicking write: error %v, row stored %t; want an error and no row", err, stored[id])
			}
			continue
		}
		if err != nil || !stored[id] {
			t.Errorf("write %d: error %v, row stored %t; want nil and stored", id, err, stored[id])
		}
	}
}

func TestGroupCommitSkipsEndedContext(t *testing.T) {
	s := openScratchSQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	ran := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		ran = true
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("write error = %v, want context.Canceled", err)
	}
	if ran {
		t.Error("write function ran after its context ended")
	}
}

func TestGroupCommitRejectsWriteAfterClose(t *testing.T) {
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "openacm.db"), nil)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	err = s.write(context.Background(), func(tx *sql.Tx) error { return nil })
	if !errors.Is(err, errStoreClosed) {
		t.Errorf("write after Close error = %v, want %v", err, errStoreClosed)
	}
}
