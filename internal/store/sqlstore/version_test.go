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

func TestDataVersionChangesOnCommit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	s, err := OpenSQLite(ctx, path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()

	version := func() int64 {
		t.Helper()
		v, ok, err := s.DataVersion(ctx)
		if err != nil || !ok {
			t.Fatalf("DataVersion = %d, %v, %v; want a version", v, ok, err)
		}
		return v
	}

	start := version()
	if again := version(); again != start {
		t.Errorf("DataVersion changed from %d to %d with no commit", start, again)
	}

	cert := &store.Certificate{
		ARN: "arn:aws:acm:us-east-1:111122223333:certificate/1", Account: "111122223333", Region: "us-east-1",
		Status: "PENDING_VALIDATION", CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	if _, _, err := s.CreateCertificate(ctx, cert, nil, nil); err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}
	afterStore := version()
	if afterStore == start {
		t.Errorf("DataVersion stayed %d after a commit through the store", start)
	}

	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer other.Close()
	if _, err := other.Exec(`UPDATE certificates SET status = 'FAILED' WHERE arn = ?`, cert.ARN); err != nil {
		t.Fatalf("UPDATE by another connection: %v", err)
	}
	if version() == afterStore {
		t.Errorf("DataVersion stayed %d after a commit by another connection", afterStore)
	}
}
