package sqlstore

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// TestCheckpointerRunsAfterCommits checks that commits wake the background
// checkpointer.
func TestCheckpointerRunsAfterCommits(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "checkpoint.db"), nil)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()

	before := s.checkpointer.passes.Load()
	for i := range 20 {
		cert := &store.Certificate{
			ARN: "arn:aws:acm:us-east-1:111122223333:certificate/" + string(rune('a'+i)), Account: "111122223333",
			Region: "us-east-1", DomainName: "example.com", Type: "IMPORTED", Status: "ISSUED",
			KeyAlgorithm: "RSA_2048", CreatedAt: time.Unix(int64(i), 0),
		}
		if _, _, err := s.CreateCertificate(ctx, cert, nil, nil); err != nil {
			t.Fatalf("CreateCertificate: %v", err)
		}
	}

	deadline := time.Now().Add(5 * time.Second)
	for s.checkpointer.passes.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("no background checkpoint ran within 5s of 20 commits")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCheckpointerWaitsForCommits checks when a background checkpoint
// runs: at once when checkpointCommits commits are waiting, and after
// maxDelay when fewer are.
func TestCheckpointerWaitsForCommits(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "wait.db")+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()

	waitForPass := func(c *checkpointer, want int64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for c.passes.Load() < want {
			if time.Now().After(deadline) {
				t.Fatalf("checkpoint passes = %d after 5s, want %d", c.passes.Load(), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	t.Run("full count", func(t *testing.T) {
		c := newCheckpointer(db, slog.New(slog.DiscardHandler), time.Hour)
		defer c.stopRun()
		for range checkpointCommits - 1 {
			c.notify()
		}
		time.Sleep(100 * time.Millisecond)
		if got := c.passes.Load(); got != 0 {
			t.Fatalf("checkpoint passes = %d with %d commits waiting, want 0 until %d", got, checkpointCommits-1, checkpointCommits)
		}
		c.notify()
		waitForPass(c, 1)
		if got := c.commits.Load(); got != 0 {
			t.Errorf("commits waiting after the pass = %d, want 0", got)
		}
	})

	t.Run("one commit", func(t *testing.T) {
		c := newCheckpointer(db, slog.New(slog.DiscardHandler), 20*time.Millisecond)
		defer c.stopRun()
		c.notify()
		waitForPass(c, 1)

		// A commit during the pause after a pass gets a pass of its own.
		c.notify()
		waitForPass(c, 2)
	})
}

// TestCheckpointerRetriesHeldFrames checks that frames a reader kept from a
// pass are copied by a later pass, although no commit follows.
func TestCheckpointerRetriesHeldFrames(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "held.db") + "?_pragma=journal_mode(WAL)"
	open := func() *sql.DB {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	writer, reader, checkpointDB := open(), open(), open()

	if _, err := writer.ExecContext(ctx, `CREATE TABLE rows (n INTEGER)`); err != nil {
		t.Fatalf("create table: %v", err)
	}
	tx, err := reader.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("begin read: %v", err)
	}
	var count int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM rows`).Scan(&count); err != nil {
		t.Fatalf("read: %v", err)
	}
	for n := range 10 {
		if _, err := writer.ExecContext(ctx, `INSERT INTO rows (n) VALUES (?)`, n); err != nil {
			t.Fatalf("insert: %v", err)
		}
	}

	c := newCheckpointer(checkpointDB, slog.New(slog.DiscardHandler), 20*time.Millisecond)
	defer c.stopRun()
	c.notify()

	// While the reader holds frames back, passes keep coming without commits.
	deadline := time.Now().Add(5 * time.Second)
	for c.passes.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint passes = %d after 5s with frames held back and one commit, want 3 or more", c.passes.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Once the reader ends, a pass copies every frame and the passes stop.
	if err := tx.Commit(); err != nil {
		t.Fatalf("end read: %v", err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		before := c.passes.Load()
		time.Sleep(300 * time.Millisecond)
		if c.passes.Load() == before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint passes still growing (%d) 5s after the reader ended, want them to stop", c.passes.Load())
		}
	}
}
