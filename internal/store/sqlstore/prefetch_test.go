package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// openReadAheadStore opens a SQLite store in a temporary directory with
// six pending certificates, and returns it with its file's path.
func openReadAheadStore(t *testing.T) (*Store, string, []string) {
	t.Helper()

	path := filepath.Join(t.TempDir(), "r.db")
	s, err := OpenSQLite(context.Background(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { s.Close() })

	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var arns []string
	for i := range 6 {
		cert := &store.Certificate{
			ARN:       fmt.Sprintf("arn:aws:acm:us-east-1:111122223333:certificate/%d", i),
			Account:   "111122223333",
			Region:    "us-east-1",
			Status:    "PENDING_VALIDATION",
			CreatedAt: created.Add(time.Duration(i) * time.Second),
		}
		if _, _, err := s.CreateCertificate(context.Background(), cert, nil, nil); err != nil {
			t.Fatalf("CreateCertificate: %v", err)
		}
		arns = append(arns, cert.ARN)
	}
	return s, path, arns
}

// listFirstPage lists the first page of two and waits for the read ahead
// of the second, and returns the query of the second page.
func listFirstPage(t *testing.T, s *Store) store.ListQuery {
	t.Helper()

	query := store.ListQuery{Account: "111122223333", Region: "us-east-1", Limit: 2}
	_, next, err := s.ListCertificates(context.Background(), query)
	if err != nil {
		t.Fatalf("ListCertificates: %v", err)
	}
	if next == "" {
		t.Fatal("first page has no next page")
	}
	s.readAhead.running.Wait()

	query.After = next
	return query
}

func statuses(certs []*store.Certificate) []string {
	var got []string
	for _, cert := range certs {
		got = append(got, cert.ARN+" "+cert.Status)
	}
	return got
}

func TestReadAheadServesUnchangedPage(t *testing.T) {
	s, _, arns := openReadAheadStore(t)
	second := listFirstPage(t, s)

	want, wantNext, err := s.listPage(context.Background(), second)
	if err != nil {
		t.Fatalf("listPage: %v", err)
	}
	got, next, err := s.ListCertificates(context.Background(), second)
	if err != nil {
		t.Fatalf("ListCertificates: %v", err)
	}

	if s.readAhead.served.Load() != 1 {
		t.Errorf("%d pages served from read ahead, want 1", s.readAhead.served.Load())
	}
	if !slices.Equal(statuses(got), statuses(want)) {
		t.Errorf("second page = %v, want %v", statuses(got), statuses(want))
	}
	if !slices.Equal(statuses(got), []string{arns[2] + " PENDING_VALIDATION", arns[3] + " PENDING_VALIDATION"}) {
		t.Errorf("second page = %v, want certificates 2 and 3", statuses(got))
	}
	if next != wantNext {
		t.Errorf("next = %q, want %q", next, wantNext)
	}
}

func TestReadAheadSkipsChangedPage(t *testing.T) {
	cases := []struct {
		name   string
		change func(t *testing.T, s *Store, path, arn string)
	}{
		{"update through the store", func(t *testing.T, s *Store, _, arn string) {
			cert, err := s.GetCertificate(context.Background(), "111122223333", "us-east-1", arn)
			if err != nil {
				t.Fatalf("GetCertificate: %v", err)
			}
			cert.Status = "FAILED"
			if err := s.UpdateCertificate(context.Background(), cert); err != nil {
				t.Fatalf("UpdateCertificate: %v", err)
			}
		}},
		{"update by another connection", func(t *testing.T, _ *Store, path, arn string) {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatalf("open %s: %v", path, err)
			}
			defer db.Close()
			if _, err := db.Exec(`UPDATE certificates SET status = 'FAILED' WHERE arn = ?`, arn); err != nil {
				t.Fatalf("UPDATE: %v", err)
			}
		}},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, path, arns := openReadAheadStore(t)
			second := listFirstPage(t, s)

			tc.change(t, s, path, arns[2])
			got, _, err := s.ListCertificates(context.Background(), second)
			if err != nil {
				t.Fatalf("ListCertificates: %v", err)
			}

			if s.readAhead.served.Load() != 0 {
				t.Errorf("%d pages served from read ahead after a change, want 0", s.readAhead.served.Load())
			}
			if want := []string{arns[2] + " FAILED", arns[3] + " PENDING_VALIDATION"}; !slices.Equal(statuses(got), want) {
				t.Errorf("second page = %v, want %v", statuses(got), want)
			}
		})
	}
}

func TestReadAheadKeyDiffersByQuery(t *testing.T) {
	base := store.ListQuery{Account: "111122223333", Region: "us-east-1", Limit: 2, After: "cursor"}
	variants := []func(*store.ListQuery){
		func(q *store.ListQuery) { q.Account = "444455556666" },
		func(q *store.ListQuery) { q.Region = "eu-west-1" },
		func(q *store.ListQuery) { q.Limit = 3 },
		func(q *store.ListQuery) { q.After = "other" },
		func(q *store.ListQuery) { q.Order = store.Descending },
		func(q *store.ListQuery) { q.Statuses = []string{"ISSUED"} },
		func(q *store.ListQuery) { q.Types = []string{"ISSUED"} },
		func(q *store.ListQuery) { q.KeyAlgorithms = []string{"RSA_2048"} },
		func(q *store.ListQuery) { q.KeyUsages = []string{"DIGITAL_SIGNATURE"} },
		func(q *store.ListQuery) { q.ExtendedKeyUsages = []string{"TLS_WEB_SERVER_AUTHENTICATION"} },
		func(q *store.ListQuery) { q.ExportOption = "ENABLED" },
		func(q *store.ListQuery) { q.ManagedBy = "CLOUDFRONT" },
	}

	for i, change := range variants {
		query := base
		change(&query)
		if readAheadKey(query) == readAheadKey(base) {
			t.Errorf("variant %d has the key of the base query", i)
		}
	}
}
