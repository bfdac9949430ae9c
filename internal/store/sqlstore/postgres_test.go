package sqlstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/store/sqlstore"
	"github.com/openacm/openacm/internal/store/storetest"
	"github.com/openacm/openacm/internal/testutil/pgtest"
)

func openPostgres(t testing.TB) *sqlstore.Store {
	t.Helper()

	s, err := sqlstore.OpenPostgres(context.Background(), pgtest.SchemaURL(t), slog.New(slog.DiscardHandler), sqlstore.WithKeyring(testKeyring(t)))
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })

	return s
}

func TestPostgresConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openPostgres(t) })
}

// TestPostgresConcurrentFirstOpen opens one empty schema from several
// goroutines at once, as nodes starting together do. The advisory lock
// must let one of them apply the migrations while the rest wait and find
// them applied. InitSetting must return the same first value to every one.
func TestPostgresConcurrentFirstOpen(t *testing.T) {
	const nodes = 4
	dsn := pgtest.SchemaURL(t)

	stores := make([]*sqlstore.Store, nodes)
	values := make([]string, nodes)
	errs := make([]error, nodes)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() {
			<-start
			s, err := sqlstore.OpenPostgres(context.Background(), dsn, nil)
			if err != nil {
				errs[i] = err
				return
			}
			stores[i] = s

			value, err := s.InitSetting(context.Background(), "first", []byte(fmt.Sprintf("node-%d", i)))
			values[i], errs[i] = string(value), err
		})
	}
	close(start)
	wg.Wait()

	for i := range nodes {
		if stores[i] != nil {
			defer stores[i].Close()
		}
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
		if values[i] != values[0] {
			t.Errorf("node %d got setting %q, node 0 got %q", i, values[i], values[0])
		}
	}
}

func TestRedactURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"postgres://u:secret@db:5432/x?sslmode=require", "postgres://u:xxxxx@db:5432/x?sslmode=require"},
		{"postgres://u@db/x?password=secret", "postgres://u@db/x?password=xxxxx"},
		{"postgres://db/x", "postgres://db/x"},
	}

	for _, tc := range cases {
		if got := sqlstore.RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPostgresHasNoDataVersion(t *testing.T) {
	s := openPostgres(t)
	if _, ok, err := s.DataVersion(context.Background()); ok || err != nil {
		t.Errorf("DataVersion ok = %v, err = %v; want false, nil", ok, err)
	}
}
