package sqlstore

import (
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
// carries each change.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int64
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations sorted by version.
func loadMigrations(files fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}

	var migrations []migration
	for _, entry := range entries {
		if entry.IsDir() || !strings.HasSuffix(entry.Name(), ".sql") {
			continue
		}

		version, err := migrationVersion(entry.Name())
		if err != nil {
			return nil, err
		}

		body, err := fs.ReadFile(files, path.Join(dir, entry.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", entry.Name(), err)
		}

		migrations = append(migrations, migration{version: version, name: entry.Name(), sql: string(body)})
	}

	slices.SortFunc(migrations, func(a, b migration) int { return int(a.version - b.version) })

	for i := 1; i < len(migrations); i++ {
		if migrations[i].version == migrations[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", migrations[i-1].name, migrations[i].name, migrations[i].version)
		}
	}

	return migrations, nil
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
// misread a newer schema.
func migrate(ctx context.Context, db *sql.DB, d dialect, migrations []migration, logger *slog.Logger) error {
	return inTx(ctx, db, func(tx *sql.Tx) error {
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
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
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
