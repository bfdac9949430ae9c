package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// migrationFiles are the schema changes, applied in the order of the number
// that starts each file name. A released file is never edited, because
// databases that already applied it would not see the change: a new file
// carries each change. migrations/README.md states how one file serves
// both SQLite and PostgreSQL.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// dialects are the databases every migration version must cover.
var dialects = []dialect{sqliteDialect, postgresDialect}

type migration struct {
	version int64
	name    string
	// dialect is "" for a portable file, or the one database the file is for.
	dialect string
	sql     string
}

// loadMigrations returns the embedded migrations for d, sorted by version.
// A version is either one portable file, NNNN_name.sql, or one file per
// database, NNNN_name.sqlite.sql and NNNN_name.postgres.sql; any other mix
// is rejected, so no database can silently miss a version.
func loadMigrations(files fs.FS, dir string, d dialect) ([]migration, error) {
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}

	byVersion := make(map[int64][]migration)
	for _, entry := range entries {
		if entry.IsDir() || !strings.HasSuffix(entry.Name(), ".sql") {
			continue
		}

		m, err := readMigration(files, dir, entry.Name())
		if err != nil {
			return nil, err
		}
		byVersion[m.version] = append(byVersion[m.version], m)
	}

	var migrations []migration
	for _, versionFiles := range byVersion {
		m, err := pickMigration(versionFiles, d)
		if err != nil {
			return nil, err
		}
		migrations = append(migrations, m)
	}

	slices.SortFunc(migrations, func(a, b migration) int { return cmp.Compare(a.version, b.version) })

	return migrations, nil
}

func readMigration(files fs.FS, dir, name string) (migration, error) {
	version, err := migrationVersion(name)
	if err != nil {
		return migration{}, err
	}

	body, err := fs.ReadFile(files, path.Join(dir, name))
	if err != nil {
		return migration{}, fmt.Errorf("read migration %s: %w", name, err)
	}

	m := migration{version: version, name: name, sql: string(body)}
	for _, known := range dialects {
		if strings.HasSuffix(name, "."+known.name+".sql") {
			m.dialect = known.name
		}
	}

	return m, nil
}

// pickMigration returns the file of one version that d applies.
func pickMigration(versionFiles []migration, d dialect) (migration, error) {
	slices.SortFunc(versionFiles, func(a, b migration) int { return strings.Compare(a.name, b.name) })
	first := versionFiles[0]

	if len(versionFiles) == 1 && first.dialect == "" {
		return first, nil
	}

	perDialect := make(map[string]migration)
	for _, m := range versionFiles {
		if m.dialect == "" {
			return migration{}, fmt.Errorf("migrations %s and %s share version %d", first.name, versionFiles[1].name, m.version)
		}
		if _, seen := perDialect[m.dialect]; seen {
			return migration{}, fmt.Errorf("version %d has two %s migrations", m.version, m.dialect)
		}
		perDialect[m.dialect] = m
	}

	for _, known := range dialects {
		if _, ok := perDialect[known.name]; !ok {
			return migration{}, fmt.Errorf("migration %s has no %s twin named like %s: add one, or make the file portable",
				first.name, known.name, strings.TrimSuffix(first.name, "."+first.dialect+".sql")+"."+known.name+".sql")
		}
	}

	return perDialect[d.name], nil
}

// migrationVersion parses the number before the first "_" of a file name
// such as "0001_init.sql".
func migrationVersion(name string) (int64, error) {
	prefix, _, found := strings.Cut(name, "_")
	if !found {
		return 0, fmt.Errorf("migration file name %q does not start with a version and \"_\"", name)
	}

	version, err := strconv.ParseInt(prefix, 10, 64)
	if err != nil || version < 1 {
		return 0, fmt.Errorf("migration file name %q does not start with a positive version", name)
	}

	return version, nil
}

// migrate applies, in one transaction, the migrations that the database has
// not recorded in schema_migrations. It rejects a database that recorded a
// version this binary does not know, because an older binary would
// misread a newer schema. In PostgreSQL the transaction first takes an
// advisory lock, so nodes that start at once migrate one after another and
// the later ones find nothing left to apply.
func migrate(ctx context.Context, db *sql.DB, d dialect, migrations []migration, logger *slog.Logger) error {
	return inTx(ctx, db, func(tx *sql.Tx) error {
		if d.migrationLock != "" {
			if _, err := tx.ExecContext(ctx, d.migrationLock); err != nil {
				return fmt.Errorf("lock migrations: %w", err)
			}
		}

		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    BIGINT NOT NULL PRIMARY KEY,
			applied_at BIGINT NOT NULL
		)`)
		if err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}

		applied, err := appliedVersions(ctx, tx)
		if err != nil {
			return err
		}

		if err := checkKnownVersions(applied, migrations); err != nil {
			return err
		}

		for _, m := range migrations {
			if applied[m.version] {
				continue
			}

			if err := applyMigration(ctx, tx, d, m); err != nil {
				return err
			}

			logger.Info("applied database migration", "version", m.version, "file", m.name)
		}

		return nil
	})
}

func applyMigration(ctx context.Context, tx *sql.Tx, d dialect, m migration) error {
	if _, err := tx.ExecContext(ctx, d.migrationSQL(m.sql)); err != nil {
		return fmt.Errorf("apply migration %s: %w", m.name, err)
	}

	_, err := tx.ExecContext(ctx, d.bind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`),
		m.version, time.Now().UTC().UnixNano())
	if err != nil {
		return fmt.Errorf("record migration %s: %w", m.name, err)
	}

	return nil
}

func appliedVersions(ctx context.Context, tx *sql.Tx) (map[int64]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()

	applied := make(map[int64]bool)
	for rows.Next() {
		var version int64
		if err := rows.Scan(&version); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[version] = true
	}

	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}

	return applied, nil
}

func checkKnownVersions(applied map[int64]bool, migrations []migration) error {
	known := make(map[int64]bool, len(migrations))
	for _, m := range migrations {
		known[m.version] = true
	}

	for version := range applied {
		if !known[version] {
			return fmt.Errorf("database has schema version %d, which this binary does not know: run a newer OpenACM", version)
		}
	}

	return nil
}
