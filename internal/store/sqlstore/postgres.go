package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	// The "pgx" database/sql driver.
	_ "github.com/jackc/pgx/v5/stdlib"
)

// postgresConns is the size of the PostgreSQL pool of one node. Several
// nodes share one server, whose max_connections (100 by default) must
// cover nodes × postgresConns plus other clients.
const postgresConns = 16

// IsPostgresURL reports whether store names a PostgreSQL database: a URL
// with the scheme postgres or postgresql.
func IsPostgresURL(store string) bool {
	return strings.HasPrefix(store, "postgres://") || strings.HasPrefix(store, "postgresql://")
}

// OpenPostgres connects to the PostgreSQL database at the URL dsn
// (postgres://user:password@host:port/database?sslmode=…, with any
// parameter libpq takes, such as search_path) and applies migrations under
// an advisory lock, so several nodes may open one database at once. A nil
// logger discards log records.
func OpenPostgres(ctx context.Context, dsn string, logger *slog.Logger, options ...Option) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	name := RedactURL(dsn)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres database %s: %w", name, err)
	}

	db.SetMaxOpenConns(postgresConns)
	db.SetMaxIdleConns(postgresConns)
	// Recycling connections lets a pool follow a failover to another
	// server behind the same address.
	db.SetConnMaxLifetime(30 * time.Minute)

	migrations, err := loadMigrations(migrationFiles, "migrations", postgresDialect)
	if err != nil {
		db.Close()
		return nil, err
	}

	if err := migrate(ctx, db, postgresDialect, migrations, logger); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate postgres database %s: %w", name, err)
	}

	// One pool serves reads and writes: PostgreSQL runs both at once, and a
	// committed write is visible to every connection.
	s := &Store{writer: db, reader: db, dialect: postgresDialect, logger: logger, name: name}
	if err := s.finishOpen(ctx, options); err != nil {
		s.Close()
		return nil, err
	}

	logger.Info("opened postgres store", "database", name)
	return s, nil
}

// RedactURL returns the database URL with its password replaced by
// "xxxxx", for logs and messages. Text that is not a URL returns as
// "(unparsable database URL)", because it may hold a password anywhere.
func RedactURL(dsn string) string {
	parsed, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable database URL)"
	}

	query := parsed.Query()
	if query.Has("password") {
		query.Set("password", "xxxxx")
		parsed.RawQuery = query.Encode()
	}

	return parsed.Redacted()
}
