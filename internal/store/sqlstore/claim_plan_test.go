package sqlstore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestClaimUsesRenewalIndex checks that SQLite finds the private
// certificates with a pending renewal through their partial index, not by
// reading every ISSUED certificate.
func TestClaimUsesRenewalIndex(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "plan.db"), nil)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()

	rows, err := s.reader.QueryContext(ctx, "EXPLAIN QUERY PLAN "+s.claimCandidatesQuery(),
		"certificate:", 1, 10, "certificate:", 1, 10, 10)
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
		t.Log(detail)
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read plan: %v", err)
	}

	got := strings.Join(plan, "; ")
	if !strings.Contains(got, "certificates_pending_private_renewal") {
		t.Errorf("plan %q does not use index certificates_pending_private_renewal", got)
	}
	for _, step := range plan {
		if strings.HasPrefix(step, "SCAN certificates") && !strings.Contains(step, "INDEX") {
			t.Errorf("plan step %q reads the certificates table without an index", step)
		}
	}
}
