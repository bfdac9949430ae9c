// Package pgtest gives a test a PostgreSQL schema of its own, created
// empty and dropped when the test ends, on the server that
// OPENACM_TEST_POSTGRES names.
//
// With OPENACM_TEST_POSTGRES unset, tests try DefaultURL and skip when
// nothing responds there, so `go test ./...` passes on a machine without
// PostgreSQL. With it set, an unreachable server fails the test, which is
// how CI makes sure the PostgreSQL tests ran. The value "off" skips them.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	// The "pgx" database/sql driver.
	_ "github.com/jackc/pgx/v5/stdlib"
)

// EnvURL is the environment variable with the URL of the test server.
const EnvURL = "OPENACM_TEST_POSTGRES"

// DefaultURL is tried when EnvURL is unset: the local server with trust
// authentication that CI machines run.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// SchemaURL creates an empty schema and returns the server URL with
// search_path set to it, so a store opened on the URL creates its tables
// there. The schema and everything in it are dropped in t.Cleanup.
func SchemaURL(t testing.TB) string {
	t.Helper()

	base, required := serverURL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres %s: %v", base, err)
	}
	t.Cleanup(func() { admin.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		if !required {
			t.Skipf("no PostgreSQL at %s (%v); set %s to a server URL to run this test", base, err, EnvURL)
		}
		t.Fatalf("PostgreSQL at %s (from %s) did not respond: %v", base, EnvURL, err)
	}

	schema := "openacm_test_" + randomHex(t)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})

	return withSearchPath(t, base, schema)
}

// serverURL returns the server URL and whether the environment asked for
// it, skipping the test when the environment turned PostgreSQL tests off.
func serverURL(t testing.TB) (string, bool) {
	t.Helper()

	value := os.Getenv(EnvURL)
	switch value {
	case "":
		return DefaultURL, false
	case "off":
		t.Skipf("%s=off: PostgreSQL tests are turned off", EnvURL)
	}

	return value, true
}

func withSearchPath(t testing.TB, base, schema string) string {
	t.Helper()

	parsed, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", EnvURL, err)
	}

	query := parsed.Query()
	query.Set("search_path", schema)
	parsed.RawQuery = query.Encode()

	return parsed.String()
}

func randomHex(t testing.TB) string {
	t.Helper()

	raw := make([]byte, 6)
	if _, err := rand.Read(raw); err != nil {
		t.Fatalf("random schema name: %v", err)
	}

	return hex.EncodeToString(raw)
}
