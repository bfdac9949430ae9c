package sqlstore

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/testutil/pgtest"
)

const gramTestAccount, gramTestRegion = "111122223333", "us-east-1"

// gramTestStores opens an empty SQLite store and an empty PostgreSQL
// schema, each with its background gram indexer stopped, so a test decides
// when indexDeferredGrams runs.
func gramTestStores(t *testing.T) map[string]*Store {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)

	sqlite, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "grams.db"), logger)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	postgres, err := OpenPostgres(ctx, pgtest.SchemaURL(t), logger)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}

	stores := map[string]*Store{"sqlite": sqlite, "postgres": postgres}
	for _, s := range stores {
		s.grams.close()
		t.Cleanup(func() { s.Close() })
	}
	return stores
}

func gramTestCertificate(n int, name string) *store.Certificate {
	return &store.Certificate{
		ARN:                     fmt.Sprintf("arn:aws:acm:%s:%s:certificate/grams-%d", gramTestRegion, gramTestAccount, n),
		Account:                 gramTestAccount,
		Region:                  gramTestRegion,
		DomainName:              name,
		SubjectAlternativeNames: []string{name},
		Type:                    "AMAZON_ISSUED",
		Status:                  "PENDING_VALIDATION",
		KeyAlgorithm:            "RSA_2048",
		ExportOption:            "DISABLED",
		CreatedAt:               time.Date(2026, 1, 1, 0, 0, n, 0, time.UTC),
	}
}

// containsSearch returns the ARNs whose DNS name contains value.
func containsSearch(t *testing.T, s *Store, value string) []string {
	t.Helper()
	filter := &store.SearchCondition{Match: &store.SearchMatch{Field: store.FieldDNSName, Op: store.Contains, Value: value}}
	certs, _, err := s.SearchCertificates(context.Background(), store.SearchQuery{Account: gramTestAccount,
		Region: gramTestRegion, Filter: filter, SortBy: "CREATED_AT", Limit: 10})
	if err != nil {
		t.Fatalf("SearchCertificates contains %q: %v", value, err)
	}
	var arns []string
	for _, cert := range certs {
		arns = append(arns, cert.ARN)
	}
	return arns
}

// storedGrams returns the grams stored for the search row of arn.
func storedGrams(t *testing.T, s *Store, arn string) []string {
	t.Helper()
	rows, err := s.reader.QueryContext(context.Background(), s.dialect.bind(`SELECT g.gram
		FROM certificate_term_grams g JOIN certificate_search c ON c.id = g.id
		WHERE c.arn = ? ORDER BY g.gram`), arn)
	if err != nil {
		t.Fatalf("read grams: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var gram string
		if err := rows.Scan(&gram); err != nil {
			t.Fatalf("read grams: %v", err)
		}
		out = append(out, gram)
	}
	return out
}

// deferredCount returns the number of certificates listed in
// certificate_grams_deferred.
func deferredCount(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.reader.QueryRowContext(context.Background(), `SELECT count(*) FROM certificate_grams_deferred`).Scan(&n); err != nil {
		t.Fatalf("count deferred grams: %v", err)
	}
	return n
}

// TestIssueKeepsGramsDeferred checks that issuing a requested certificate
// writes no grams, that CONTAINS finds it before and after the indexer,
// and that the indexer writes the grams of the names stored last, here
// changed while the grams were deferred.
func TestIssueKeepsGramsDeferred(t *testing.T) {
	ctx := context.Background()
	for name, s := range gramTestStores(t) {
		t.Run(name, func(t *testing.T) {
			requested := gramTestCertificate(1, "first.example.com")
			if _, _, err := s.CreateCertificate(ctx, requested, nil, nil); err != nil {
				t.Fatalf("CreateCertificate: %v", err)
			}
			other := gramTestCertificate(2, "other.example.net")
			if _, _, err := s.CreateCertificate(ctx, other, nil, nil); err != nil {
				t.Fatalf("CreateCertificate: %v", err)
			}

			cert, err := s.GetCertificate(ctx, gramTestAccount, gramTestRegion, requested.ARN)
			if err != nil {
				t.Fatalf("GetCertificate: %v", err)
			}
			cert.Status = "ISSUED"
			cert.Serial = "0a:0b"
			cert.DomainName = "second.example.com"
			cert.SubjectAlternativeNames = []string{"second.example.com"}
			if err := s.UpdateCertificate(ctx, cert); err != nil {
				t.Fatalf("UpdateCertificate: %v", err)
			}

			if got := storedGrams(t, s, requested.ARN); len(got) != 0 {
				t.Errorf("grams after issuing = %v, want none until the indexer runs", got)
			}
			if got := deferredCount(t, s); got != 2 {
				t.Errorf("deferred certificates = %d, want 2", got)
			}
			if got := containsSearch(t, s, "cond.exa"); !slices.Equal(got, []string{requested.ARN}) {
				t.Errorf("contains before indexing = %v, want %s", got, requested.ARN)
			}

			indexed, err := s.indexDeferredGrams(ctx, 1)
			if err != nil || indexed != 1 {
				t.Fatalf("indexDeferredGrams(1) = %d, %v; want 1, nil", indexed, err)
			}
			indexed, err = s.indexDeferredGrams(ctx, 10)
			if err != nil || indexed != 1 {
				t.Fatalf("second indexDeferredGrams = %d, %v; want 1, nil", indexed, err)
			}
			if got := deferredCount(t, s); got != 0 {
				t.Errorf("deferred certificates after indexing = %d, want 0", got)
			}

			want := namesGrams([]searchTerm{{termCommonName, "second.example.com"}, {termDNSName, "second.example.com"}})
			if got := storedGrams(t, s, requested.ARN); !slices.Equal(got, want) {
				t.Errorf("grams after indexing = %v, want %v", got, want)
			}
			if got := containsSearch(t, s, "cond.exa"); !slices.Equal(got, []string{requested.ARN}) {
				t.Errorf("contains after indexing = %v, want %s", got, requested.ARN)
			}
			if got := containsSearch(t, s, "first.exa"); len(got) != 0 {
				t.Errorf("contains of the old name = %v, want none", got)
			}

			// Once indexed, an update changes the grams at once.
			cert, err = s.GetCertificate(ctx, gramTestAccount, gramTestRegion, requested.ARN)
			if err != nil {
				t.Fatalf("GetCertificate: %v", err)
			}
			cert.SubjectAlternativeNames = []string{"second.example.com", "third.example.org"}
			if err := s.UpdateCertificate(ctx, cert); err != nil {
				t.Fatalf("UpdateCertificate: %v", err)
			}
			if got := storedGrams(t, s, requested.ARN); !slices.Contains(got, "org") {
				t.Errorf("grams after an update of an indexed certificate = %v, want the new name's", got)
			}

			if err := s.DeleteCertificate(ctx, gramTestAccount, gramTestRegion, requested.ARN); err != nil {
				t.Fatalf("DeleteCertificate: %v", err)
			}
			if got := storedGrams(t, s, requested.ARN); len(got) != 0 {
				t.Errorf("grams after delete = %v, want none", got)
			}
		})
	}
}

func TestGramBacklogOver(t *testing.T) {
	ctx := context.Background()
	for name, s := range gramTestStores(t) {
		t.Run(name, func(t *testing.T) {
			for n := range 3 {
				if _, _, err := s.CreateCertificate(ctx, gramTestCertificate(n, fmt.Sprintf("b%d.example.com", n)), nil, nil); err != nil {
					t.Fatalf("CreateCertificate: %v", err)
				}
			}
			for limit, want := range map[int]bool{2: true, 3: false, 10: false} {
				got, err := s.gramBacklogOver(ctx, limit)
				if err != nil || got != want {
					t.Errorf("gramBacklogOver(%d) = %v, %v; want %v", limit, got, err, want)
				}
			}
		})
	}
}

// TestGramIndexerRunsWhenQuiet lets the background indexer of a fresh
// store empty the list once no write has run for gramIndexQuiet.
func TestGramIndexerRunsWhenQuiet(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "quiet.db"), nil)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()

	for n := range 3 {
		if _, _, err := s.CreateCertificate(ctx, gramTestCertificate(n, fmt.Sprintf("q%d.example.com", n)), nil, nil); err != nil {
			t.Fatalf("CreateCertificate: %v", err)
		}
	}

	deadline := time.Now().Add(10 * time.Second)
	for deferredCount(t, s) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d certificates still deferred after 10 s", deferredCount(t, s))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := s.grams.indexed.Load(); got != 3 {
		t.Errorf("indexer counted %d certificates, want 3", got)
	}
	if got := storedGrams(t, s, gramTestCertificate(1, "").ARN); !slices.Contains(got, "q1.") {
		t.Errorf("grams of q1.example.com = %v, want q1. among them", got)
	}
}

func TestWriteActivityQuiet(t *testing.T) {
	var activity writeActivity
	if !activity.quiet(time.Hour) {
		t.Error("a store with no write yet is not quiet")
	}

	end := activity.begin()
	if activity.quiet(0) {
		t.Error("quiet while a write is in flight")
	}
	end()
	if activity.quiet(time.Hour) {
		t.Error("quiet an hour after a write that just ended")
	}
	if !activity.quiet(0) {
		t.Error("not quiet 0 s after the last write ended")
	}
}

// BenchmarkIndexDeferredGrams measures one indexing write of gramIndexBatch
// requested certificates, which a write arriving meanwhile waits for.
func BenchmarkIndexDeferredGrams(b *testing.B) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()
	s.grams.close()

	n := 0
	for b.Loop() {
		b.StopTimer()
		certs := make([]*store.Certificate, gramIndexBatch)
		for i := range certs {
			certs[i] = gramTestCertificate(n, fmt.Sprintf("bench-%06d.example.com", n))
			n++
		}
		if err := s.CreateCertificates(ctx, certs, nil); err != nil {
			b.Fatalf("CreateCertificates: %v", err)
		}
		b.StartTimer()

		indexed, err := s.indexDeferredGrams(ctx, gramIndexBatch)
		if err != nil || indexed != gramIndexBatch {
			b.Fatalf("indexDeferredGrams = %d, %v; want %d, nil", indexed, err, gramIndexBatch)
		}
	}
}

// TestGramIndexersOfTwoNodes runs the indexers of two stores on one
// PostgreSQL schema while one of them renames and deletes deferred
// certificates. Each remaining certificate must end with exactly the grams
// of its stored names, and no grams may be left for a deleted one.
func TestGramIndexersOfTwoNodes(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.SchemaURL(t)
	nodes := make([]*Store, 2)
	for i := range nodes {
		s, err := OpenPostgres(ctx, dsn, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("OpenPostgres: %v", err)
		}
		s.grams.close()
		t.Cleanup(func() { s.Close() })
		nodes[i] = s
	}
	writer := nodes[0]

	const count = 120
	certs := make([]*store.Certificate, count)
	for n := range certs {
		certs[n] = gramTestCertificate(n, fmt.Sprintf("node-%03d.example.com", n))
		if _, _, err := writer.CreateCertificate(ctx, certs[n], nil, nil); err != nil {
			t.Fatalf("CreateCertificate: %v", err)
		}
	}

	// Both nodes index in small batches while the writer changes every
	// certificate: renamed when n is even, deleted when n%3 is 1.
	done := make(chan struct{})
	indexErrs := make(chan error, len(nodes))
	for _, node := range nodes {
		go func() {
			for {
				select {
				case <-done:
					indexErrs <- nil
					return
				default:
				}
				if _, err := node.indexDeferredGrams(ctx, 3); err != nil {
					indexErrs <- err
					return
				}
			}
		}()
	}
	for n, cert := range certs {
		switch {
		case n%3 == 1:
			if err := writer.DeleteCertificate(ctx, gramTestAccount, gramTestRegion, cert.ARN); err != nil {
				t.Errorf("DeleteCertificate %d: %v", n, err)
			}
		case n%2 == 0:
			current, err := writer.GetCertificate(ctx, gramTestAccount, gramTestRegion, cert.ARN)
			if err != nil {
				t.Fatalf("GetCertificate %d: %v", n, err)
			}
			renamed := fmt.Sprintf("renamed-%03d.example.org", n)
			current.Status = "ISSUED"
			current.DomainName = renamed
			current.SubjectAlternativeNames = []string{renamed}
			if err := writer.UpdateCertificate(ctx, current); err != nil {
				t.Errorf("UpdateCertificate %d: %v", n, err)
			}
		}
	}
	close(done)
	for range nodes {
		if err := <-indexErrs; err != nil {
			t.Fatalf("indexDeferredGrams: %v", err)
		}
	}
	for {
		indexed, err := writer.indexDeferredGrams(ctx, 50)
		if err != nil {
			t.Fatalf("indexDeferredGrams: %v", err)
		}
		if indexed == 0 {
			break
		}
	}

	var orphans int
	err := writer.reader.QueryRowContext(ctx, `SELECT count(*) FROM certificate_term_grams g
		WHERE NOT EXISTS (SELECT 1 FROM certificate_search c WHERE c.id = g.id)`).Scan(&orphans)
	if err != nil {
		t.Fatalf("count orphan grams: %v", err)
	}
	if orphans != 0 {
		t.Errorf("%d grams belong to deleted certificates", orphans)
	}

	for n, cert := range certs {
		if n%3 == 1 {
			continue
		}
		name := cert.DomainName
		if n%2 == 0 {
			name = fmt.Sprintf("renamed-%03d.example.org", n)
		}
		want := namesGrams([]searchTerm{{termCommonName, name}, {termDNSName, name}})
		if got := storedGrams(t, writer, cert.ARN); !slices.Equal(got, want) {
			t.Errorf("certificate %d: grams %v, want those of %s: %v", n, got, name, want)
		}
	}
}
