package sqlstore

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

func TestNumberPlaceholders(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b IN (?, ?)", "a = $1 AND b IN ($2, $3)"},
		{"a = '?' AND b = ?", "a = '?' AND b = $1"},
		{"a = 'it''s ?' AND b = ?", "a = 'it''s ?' AND b = $1"},
	}

	for _, tc := range cases {
		if got := numberPlaceholders(tc.in); got != tc.want {
			t.Errorf("numberPlaceholders(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPragmasOnEveryConnection(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "p.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()

	checks := []struct {
		pool   string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "synchronous", "2"},
		{"writer", "foreign_keys", "1"},
		{"writer", "busy_timeout", "10000"},
		{"writer", "wal_autocheckpoint", strconv.Itoa(sqliteAutoCheckpointPages)},
		{"writer", "journal_size_limit", strconv.Itoa(sqliteWALSizeLimitBytes)},
		{"reader", "journal_mode", "wal"},
		{"reader", "foreign_keys", "1"},
		{"reader", "busy_timeout", "10000"},
		{"reader", "query_only", "1"},
	}

	// Holding several reader connections at once makes the pool open new
	// ones, which must get the pragmas too.
	var readerConns []*sql.Conn
	defer func() {
		for _, conn := range readerConns {
			conn.Close()
		}
	}()
	for range sqliteReaderConns {
		conn, err := s.reader.Conn(ctx)
		if err != nil {
			t.Fatalf("reader.Conn: %v", err)
		}
		readerConns = append(readerConns, conn)
	}

	// The writer pool has one connection, so it is taken once.
	writerConn, err := s.writer.Conn(ctx)
	if err != nil {
		t.Fatalf("writer.Conn: %v", err)
	}
	defer writerConn.Close()

	for _, check := range checks {
		conns := readerConns
		if check.pool == "writer" {
			conns = []*sql.Conn{writerConn}
		}

		for i, conn := range conns {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+check.pragma).Scan(&got); err != nil {
				t.Fatalf("%s connection %d: PRAGMA %s: %v", check.pool, i, check.pragma, err)
			}
			if !strings.EqualFold(got, check.want) {
				t.Errorf("%s connection %d: %s = %q, want %q", check.pool, i, check.pragma, got, check.want)
			}
		}
	}
}

func TestReaderCannotWrite(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "r.db"), nil)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()

	if _, err := s.reader.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ('x', 'y')`); err == nil {
		t.Errorf("INSERT on the reader pool succeeded, want a query_only error")
	}
}

func TestMigrationsRecorded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	embedded, err := loadMigrations(migrationFiles, "migrations", sqliteDialect)
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	wantCount, wantMax := int64(len(embedded)), embedded[len(embedded)-1].version

	for open := range 2 {
		s, err := OpenSQLite(ctx, path, nil)
		if err != nil {
			t.Fatalf("open %d: OpenSQLite: %v", open, err)
		}

		var count, maxVersion int64
		err = s.reader.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&count, &maxVersion)
		s.Close()
		if err != nil {
			t.Fatalf("open %d: read schema_migrations: %v", open, err)
		}

		// Reopening applies nothing twice.
		if count != wantCount || maxVersion != wantMax {
			t.Errorf("open %d: schema_migrations has %d rows up to version %d, want %d up to %d",
				open, count, maxVersion, wantCount, wantMax)
		}
	}
}

func TestMigrateRejectsUnknownVersion(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newer.db")

	s, err := OpenSQLite(ctx, path, nil)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	if _, err := s.writer.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)`); err != nil {
		t.Fatalf("record future version: %v", err)
	}
	s.Close()

	if s, err := OpenSQLite(ctx, path, nil); err == nil {
		s.Close()
		t.Errorf("OpenSQLite(database at version 999) error = nil, want an error")
	}
}

func TestMigrateAppliesNewFilesInOrder(t *testing.T) {
	ctx := context.Background()
	db, err := openPool(filepath.Join(t.TempDir(), "order.db")+"?_txlock=immediate", 1)
	if err != nil {
		t.Fatalf("openPool: %v", err)
	}
	defer db.Close()

	first := fstest.MapFS{
		"m/0001_a.sql": {Data: []byte(`CREATE TABLE a (x TEXT);`)},
	}
	second := fstest.MapFS{
		"m/0001_a.sql": first["m/0001_a.sql"],
		"m/0010_c.sql": {Data: []byte(`INSERT INTO b (y) SELECT x FROM a;`)},
		"m/0002_b.sql": {Data: []byte(`CREATE TABLE b (y TEXT); INSERT INTO a (x) VALUES ('one');`)},
		"m/README.txt": {Data: []byte(`not a migration`)},
	}

	for i, files := range []fstest.MapFS{first, second} {
		migrations, err := loadMigrations(files, "m", sqliteDialect)
		if err != nil {
			t.Fatalf("step %d: loadMigrations: %v", i, err)
		}
		if err := migrate(ctx, db, sqliteDialect, migrations, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("step %d: migrate: %v", i, err)
		}
	}

	var copied string
	if err := db.QueryRowContext(ctx, `SELECT y FROM b`).Scan(&copied); err != nil {
		t.Fatalf("read table b: %v", err)
	}
	if copied != "one" {
		t.Errorf("table b holds %q, want %q copied by migration 10 after 2", copied, "one")
	}
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	cases := map[string]fstest.MapFS{
		"no version":   {"m/init.sql": {}},
		"zero version": {"m/0000_init.sql": {}},
		"letters":      {"m/v1_init.sql": {}},
		"same version": {"m/0001_a.sql": {}, "m/1_b.sql": {}},
	}

	for name, files := range cases {
		if _, err := loadMigrations(files, "m", sqliteDialect); err == nil {
			t.Errorf("loadMigrations(%s) error = nil, want an error", name)
		}
	}
}

func TestLoadMigrationsPerDialect(t *testing.T) {
	files := fstest.MapFS{
		"m/0001_a.sql":          {Data: []byte(`portable`)},
		"m/0002_b.sqlite.sql":   {Data: []byte(`for sqlite`)},
		"m/0002_b.postgres.sql": {Data: []byte(`for postgres`)},
	}

	for _, d := range dialects {
		migrations, err := loadMigrations(files, "m", d)
		if err != nil {
			t.Fatalf("%s: loadMigrations: %v", d.name, err)
		}
		if len(migrations) != 2 || migrations[0].sql != "portable" || migrations[1].sql != "for "+d.name {
			t.Errorf("%s: loadMigrations = %+v, want the portable file and the %s file", d.name, migrations, d.name)
		}
	}
}

func TestLoadMigrationsRejectsMissingTwin(t *testing.T) {
	cases := map[string]fstest.MapFS{
		"no postgres twin":       {"m/0002_b.sqlite.sql": {}},
		"portable and specific":  {"m/0002_b.sql": {}, "m/0002_b.postgres.sql": {}},
		"two files for postgres": {"m/0002_b.sqlite.sql": {}, "m/0002_b.postgres.sql": {}, "m/0002_c.postgres.sql": {}},
	}

	for name, files := range cases {
		if _, err := loadMigrations(files, "m", postgresDialect); err == nil {
			t.Errorf("loadMigrations(%s) error = nil, want an error", name)
		}
	}
}

func TestMigrationSQLRewritesBlob(t *testing.T) {
	text := "a BLOB, b BLOB NOT NULL, blobs TEXT, BLOBS TEXT"

	if got := sqliteDialect.migrationSQL(text); got != text {
		t.Errorf("sqlite migrationSQL = %q, want it unchanged", got)
	}

	want := "a BYTEA, b BYTEA NOT NULL, blobs TEXT, BLOBS TEXT"
	if got := postgresDialect.migrationSQL(text); got != want {
		t.Errorf("postgres migrationSQL = %q, want %q", got, want)
	}
}
