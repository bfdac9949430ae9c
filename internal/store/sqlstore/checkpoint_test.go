package sqlstore

import (
	"context"
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
