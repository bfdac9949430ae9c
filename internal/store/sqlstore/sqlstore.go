// Package sqlstore implements store.Store on a SQL database through
// database/sql. It owns the schema, its migrations and every query.
// OpenSQLite opens a SQLite file with the pure-Go modernc.org/sqlite
// driver, and OpenPostgres a PostgreSQL database with pgx.
//
// Queries are written once with "?" placeholders and pass through a
// dialect, so both databases run the same queries.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"

	"github.com/openacm/openacm/internal/keys"
	"github.com/openacm/openacm/internal/store"

	// The "sqlite" database/sql driver.
	_ "modernc.org/sqlite"
)

// ErrBadCursor is store.ErrBadCursor, kept here for callers of this package.
var ErrBadCursor = store.ErrBadCursor

// sqliteReaderConns is the size of the reader pool. WAL mode lets these
// read while the single writer writes.
const sqliteReaderConns = 4

// sqliteWriterConns is the size of the writer pool. Only the group
// committer writes, one transaction at a time. The second connection lets
// a statement be prepared for the cache while the committer's transaction
// holds the first, where one connection would wait for itself.
const sqliteWriterConns = 2

// sqliteBusyTimeoutMillis is how long a connection waits for a lock that
// another process (or a checkpoint) holds before it fails with SQLITE_BUSY.
const sqliteBusyTimeoutMillis = 10000

// Store keeps OpenACM's records in a SQL database. It is safe for
// concurrent use.
type Store struct {
	// writer is the pool that writes. In SQLite, which allows one writer at
	// a time, only the group committer uses it, so writes queue in the
	// committer and never retry SQLITE_BUSY.
	writer *sql.DB
	// reader serves the queries that change nothing, so reads never wait
	// behind writes.
	reader *sql.DB

	dialect dialect
	logger  *slog.Logger
	name    string
	// keyring seals private keys and secrets; nil refuses to store them.
	keyring *keys.Keyring

	// committer runs the SQLite writes, several to a transaction; nil for
	// PostgreSQL, where each write has its own transaction.
	committer *groupCommitter
	// checkpointer copies the SQLite WAL into the database file in the
	// background; nil for PostgreSQL.
	checkpointer *checkpointer
	// readerStmts and writerStmts keep prepared statements of the SQLite
	// pools; nil for PostgreSQL, whose driver keeps its own.
	readerStmts *stmtCache
	writerStmts *stmtCache
	// versionDB has the one connection that reads PRAGMA data_version
	// (see DataVersion); nil for PostgreSQL.
	versionDB *sql.DB

	// scopes caches certificate_scopes ids by scopeKey, and chains the
	// chains of certificate_chains by digest. Neither table has rows
	// deleted, so an entry never goes stale.
	scopes sync.Map
	chains sync.Map
	// authorities caches opened CAs; see authorityCache.
	authorities authorityCache

	// activity tracks writes, and grams writes the search grams that
	// requests deferred while the writer is quiet (see gram_indexer.go).
	activity writeActivity
	grams    *gramIndexer
}

// Option changes how a store is opened.
type Option func(*Store)

// WithKeyring makes the store seal private keys and secrets with keyring's
// master keys. Without it the store rejects them.
func WithKeyring(keyring *keys.Keyring) Option {
	return func(s *Store) { s.keyring = keyring }
}

var _ store.Store = (*Store)(nil)

// OpenSQLite opens (creating if needed) the SQLite database at path and
// applies migrations. A nil logger discards log records. With a keyring, it
// also seals any private key still stored in clear.
func OpenSQLite(ctx context.Context, path string, logger *slog.Logger, options ...Option) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	writerDSN, readerDSN, err := sqliteDSNs(path)
	if err != nil {
		return nil, err
	}

	writer, err := openPool(writerDSN, sqliteWriterConns)
	if err != nil {
		return nil, err
	}

	migrations, err := loadMigrations(migrationFiles, "migrations", sqliteDialect)
	if err != nil {
		writer.Close()
		return nil, err
	}

	// Migrating before the reader pool opens also puts the file in WAL
	// mode, which the readers' query_only connections could not do.
	if err := migrate(ctx, writer, sqliteDialect, migrations, logger); err != nil {
		writer.Close()
		return nil, fmt.Errorf("migrate sqlite database %s: %w", path, err)
	}

	reader, err := openPool(readerDSN, sqliteReaderConns)
	if err != nil {
		writer.Close()
		return nil, err
	}

	if err := reader.PingContext(ctx); err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("open sqlite database %s for reading: %w", path, err)
	}

	checkpointDB, err := openPool(writerDSN, 1)
	if err != nil {
		writer.Close()
		reader.Close()
		return nil, err
	}
	checkpoints := newCheckpointer(checkpointDB, logger, checkpointMaxDelay)

	versionDB, err := openPool(readerDSN, 1)
	if err != nil {
		writer.Close()
		reader.Close()
		checkpoints.close()
		return nil, err
	}

	s := &Store{
		writer:       writer,
		reader:       reader,
		dialect:      sqliteDialect,
		logger:       logger,
		name:         path,
		committer:    newGroupCommitter(writer, logger, checkpoints.notify),
		checkpointer: checkpoints,
		readerStmts:  newStmtCache(reader),
		writerStmts:  newStmtCache(writer),
		versionDB:    versionDB,
	}
	if err := s.finishOpen(ctx, options); err != nil {
		s.Close()
		return nil, err
	}

	logger.Info("opened sqlite store", "path", path)

	return s, nil
}

// sqliteDSNs returns the data source names of the writer and reader pools.
// Pragmas go in the DSN because the driver runs them on every new pooled
// connection, and a pragma run once through *sql.DB reaches only one.
func sqliteDSNs(path string) (writer, reader string, err error) {
	if path == "" {
		return "", "", errors.New("sqlite database path is empty")
	}

	// The driver splits the DSN at the first "?", so a path containing one
	// would lose its tail.
	if strings.Contains(path, "?") {
		return "", "", fmt.Errorf("sqlite database path %q contains \"?\": choose a path without it", path)
	}

	common := url.Values{}
	common.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeoutMillis))
	common.Add("_pragma", "foreign_keys(1)")

	// synchronous=FULL syncs the WAL on every commit, so a committed change
	// survives power loss, as store.Store promises.
	writerParams := cloneValues(common)
	writerParams.Add("_pragma", "journal_mode(WAL)")
	writerParams.Add("_pragma", "synchronous(FULL)")
	writerParams.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", sqliteAutoCheckpointPages))
	writerParams.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", sqliteWALSizeLimitBytes))
	// The group committer runs each write in a savepoint, and SQLite keeps
	// the pages a savepoint may have to restore in a sub-journal. In memory
	// it costs no file writes. It lives only until the transaction ends, so
	// it is never needed for recovery.
	writerParams.Add("_pragma", "temp_store(MEMORY)")
	// BEGIN IMMEDIATE takes the write lock at the start, so a transaction
	// never fails while upgrading a read lock to a write lock.
	writerParams.Set("_txlock", "immediate")

	readerParams := cloneValues(common)
	readerParams.Add("_pragma", "query_only(1)")
	// A small page cache per reader (256 KiB, against SQLite's default of
	// 2,000 KiB) keeps idle memory down. Four full default caches took
	// about 9 MB more RSS after a restart on 10,000 certificates. It costs
	// little, because in WAL mode SQLite empties a reader's cache whenever
	// another connection has committed since its last read.
	readerParams.Add("_pragma", "cache_size(-256)")

	return path + "?" + writerParams.Encode(), path + "?" + readerParams.Encode(), nil
}

func cloneValues(values url.Values) url.Values {
	clone := make(url.Values, len(values))
	for key, list := range values {
		clone[key] = append([]string(nil), list...)
	}

	return clone
}

func openPool(dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database: %w", err)
	}

	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	// Connections are kept for the life of the pool: reopening one costs
	// the pragmas and a cold page cache, and nothing here expires.
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	return db, nil
}

// Ping checks that both pools reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s writer: %w", s.dialect.name, err)
	}

	if err := s.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s reader: %w", s.dialect.name, err)
	}

	return nil
}

// Close stops the group committer after its current transaction and
// closes both pools. The store must not be used afterwards.
func (s *Store) Close() error {
	// The indexer writes through the committer, so it stops first.
	if s.grams != nil {
		s.grams.close()
	}
	if s.committer != nil {
		s.committer.close()
	}
	var checkpointErr, versionErr error
	if s.checkpointer != nil {
		checkpointErr = s.checkpointer.close()
	}
	if s.versionDB != nil {
		versionErr = s.versionDB.Close()
	}

	var stmtErrs []error
	for _, cache := range []*stmtCache{s.readerStmts, s.writerStmts} {
		if cache != nil {
			stmtErrs = append(stmtErrs, cache.close())
		}
	}

	var readerErr error
	if s.reader != s.writer {
		readerErr = s.reader.Close()
	}
	writerErr := s.writer.Close()

	if err := errors.Join(append(stmtErrs, checkpointErr, versionErr, readerErr, writerErr)...); err != nil {
		s.logger.Error("closing store failed", "database", s.name, "error", err)
		return fmt.Errorf("close %s store: %w", s.dialect.name, err)
	}

	s.logger.Info("closed store", "database", s.name)

	return nil
}

// write runs fn in a transaction on the writer pool and commits when fn
// returns nil. In SQLite the transaction may hold other callers' writes
// too, each in its own savepoint (see groupCommitter), so fn must use ctx
// only for its statements and must not end tx.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	defer s.activity.begin()()
	return s.writeBackground(ctx, fn)
}

// writeBackground is write for background work, such as the gram indexer,
// which waits for the other writes and so does not count as one.
func (s *Store) writeBackground(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.committer != nil {
		return s.committer.write(ctx, fn)
	}
	return inTx(ctx, s.writer, fn)
}

// inTx runs fn in a transaction on db, committing when fn returns nil and
// rolling back otherwise.
func inTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}

	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}

	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}

	return nil
}

// exec runs one bound statement in tx, through a prepared statement when
// the store caches them.
func (s *Store) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	query = s.dialect.bind(query)
	if s.writerStmts != nil {
		stmt, err := s.writerStmts.get(ctx, query)
		if err == nil && stmt != nil {
			return tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
		}
	}
	return tx.ExecContext(ctx, query, args...)
}

// finishOpen applies options and brings rows written by older versions up
// to date: it seals private keys stored in clear and indexes certificates
// that the search index lacks.
func (s *Store) finishOpen(ctx context.Context, options []Option) error {
	for _, option := range options {
		option(s)
	}

	if s.keyring != nil {
		if err := s.sealClearValues(ctx); err != nil {
			return fmt.Errorf("seal private keys stored in clear in %s: %w", s.name, err)
		}
	}

	if err := s.moveInlineChains(ctx); err != nil {
		return fmt.Errorf("move certificate chains in %s: %w", s.name, err)
	}

	if err := s.indexMissing(ctx); err != nil {
		return fmt.Errorf("index certificates in %s: %w", s.name, err)
	}
	s.grams = newGramIndexer(s)
	return nil
}
