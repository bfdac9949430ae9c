package sqlstore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openacm/openacm/internal/store"
)

// TestListPageStartsAtCursor checks that SQLite starts a page after the
// first at the cursor in the index certificates_list, in both sort orders,
// instead of reading every entry of the account before it.
func TestListPageStartsAtCursor(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "plan.db"), nil)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()

	for _, descending := range []bool{false, true} {
		query := store.ListQuery{
			Account:       "111122223333",
			Region:        "us-east-1",
			Statuses:      []string{"ISSUED"},
			KeyAlgorithms: []string{"RSA_1024", "RSA_2048"},
			KeyUsages:     []string{"DIGITAL_SIGNATURE"},
			Limit:         1000,
			After:         encodeCursor(listCursor{CreatedAt: 5, ARN: "arn:x", Descending: descending}),
		}
		sqlText, args, err := s.listSQL(query, descending)
		if err != nil {
			t.Fatalf("listSQL: %v", err)
		}
		plan := explainPlan(t, s, sqlText, append(args, query.Limit+1)...)

		bound := "created_at>?"
		if descending {
			bound = "created_at<?"
		}
		if !strings.Contains(plan, "INDEX certificates_list") {
			t.Errorf("descending=%v: plan %q does not use index certificates_list", descending, plan)
		}
		if !strings.Contains(plan, bound) {
			t.Errorf("descending=%v: plan %q does not start the index range at the cursor (%s)", descending, plan, bound)
		}
		if strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("descending=%v: plan %q sorts the rows instead of reading them in index order", descending, plan)
		}
	}
}

// explainPlan returns the steps of SQLite's query plan for query, joined by "; ".
func explainPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.reader.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	defer rows.Close()

	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("scan plan: %v", err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read plan: %v", err)
	}
	return strings.Join(plan, "; ")
}
