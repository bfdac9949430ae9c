package sqlstore

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/openacm/openacm/internal/store"
)

var subqueryScan = regexp.MustCompile(`^SCAN ([qgm][0-9]*( |$)|\(subquery)`)

// TestSearchUsesIndexes checks SQLite's plan of search queries: no step may
// scan a search table or the certificates table without an index.
func TestSearchUsesIndexes(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "plan.db"), nil)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()

	eq := func(field store.SearchField, value string) store.SearchCondition {
		return store.SearchCondition{Match: &store.SearchMatch{Field: field, Op: store.Equals, Value: value}}
	}
	filters := map[string]store.SearchCondition{
		"status":        eq(store.FieldStatus, "ISSUED"),
		"dns contains":  {Match: &store.SearchMatch{Field: store.FieldDNSName, Op: store.Contains, Value: "example"}},
		"and or":        {And: []store.SearchCondition{eq(store.FieldType, "IMPORTED"), {Or: []store.SearchCondition{eq(store.FieldKeyUsage, "DIGITAL_SIGNATURE"), eq(store.FieldCommonName, "a.example.com")}}}},
		"not":           {Not: &store.SearchCondition{Match: &store.SearchMatch{Field: store.FieldInUse, Op: store.IsTrue}}},
		"serial":        eq(store.FieldSerial, "01:02"),
		"key algorithm": eq(store.FieldKeyAlgorithm, "RSA_2048"),
	}

	for name, filter := range filters {
		t.Run(name, func(t *testing.T) {
			b := &searchBuilder{store: s, scope: 1}
			set, err := b.set(filter)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			sqlText := `SELECT ` + prefixedCertificateColumns + ` FROM (` + set + `) AS m
				CROSS JOIN certificate_search s JOIN certificates c ON c.arn = s.arn
				WHERE s.scope = ? AND s.id = m.id ORDER BY s.created_at, s.id LIMIT 10`
			args := append(b.args, 1)

			rows, err := s.reader.QueryContext(ctx, "EXPLAIN QUERY PLAN "+sqlText, args...)
			if err != nil {
				t.Fatalf("explain: %v", err)
			}
			defer rows.Close()
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatalf("scan plan: %v", err)
				}
				t.Log(detail)
				// Scans of the q1, q2, … subquery results are of sets already built by index.
				// A CONTAINS reads all of certificate_grams_deferred, which lists only
				// certificates the gram indexer has not reached yet.
				if strings.HasPrefix(detail, "SCAN ") && !strings.Contains(detail, "INDEX") && !subqueryScan.MatchString(detail) &&
					detail != "SCAN certificate_grams_deferred" {
					t.Errorf("plan step %q reads a table without an index", detail)
				}
			}
		})
	}
}
