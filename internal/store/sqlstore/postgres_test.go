package sqlstore_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/store/sqlstore"
	"github.com/openacm/openacm/internal/store/storetest"
	"github.com/openacm/openacm/internal/testutil/pgtest"
)

func openPostgres(t testing.TB) *sqlstore.Store {
	t.Helper()

	s, err := sqlstore.OpenPostgres(context.Background(), pgtest.SchemaURL(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })

	return s
}

func TestPostgresConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openPostgres(t) })
}
