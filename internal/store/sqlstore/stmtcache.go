package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxCachedStatements bounds a statement cache. Queries are fixed texts
// or built from a few filter combinations, so real use stays far below
// it; past it, queries run unprepared.
const maxCachedStatements = 256

// stmtCache keeps the prepared statements of one pool by query text, so a
// hot query is parsed once per connection and not on every call. SQLite
// parsing a statement costs about as much as running a lookup by primary
// key. database/sql prepares a cached statement on each connection the
// first time it runs there.
type stmtCache struct {
	db *sql.DB

	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: make(map[string]*sql.Stmt)}
}

// get returns the prepared statement of query, preparing it on first use.
// It returns nil, and no error, when the cache is full.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	stmt, ok := c.stmts[query]
	c.mu.RUnlock()
	if ok {
		return stmt, nil
	}

	c.mu.Lock()
	defer c.mu.Unlock()

	if stmt, ok := c.stmts[query]; ok {
		return stmt, nil
	}
	if len(c.stmts) >= maxCachedStatements {
		return nil, nil
	}

	stmt, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = stmt
	return stmt, nil
}

// close closes every cached statement.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()

	var errs []error
	for query, stmt := range c.stmts {
		errs = append(errs, stmt.Close())
		delete(c.stmts, query)
	}
	return errors.Join(errs...)
}

// queryRow runs a query that returns at most one row on the reader pool,
// through a prepared statement when the store caches them.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	query = s.dialect.bind(query)
	if s.readerStmts != nil {
		stmt, err := s.readerStmts.get(ctx, query)
		if err == nil && stmt != nil {
			return stmt.QueryRowContext(ctx, args...)
		}
	}
	return s.reader.QueryRowContext(ctx, query, args...)
}

// query runs a query on the reader pool, through a prepared statement when
// the store caches them.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = s.dialect.bind(query)
	if s.readerStmts != nil {
		stmt, err := s.readerStmts.get(ctx, query)
		if err == nil && stmt != nil {
			return stmt.QueryContext(ctx, args...)
		}
	}
	return s.reader.QueryContext(ctx, query, args...)
}

// queryRowTx runs a query that returns at most one row in tx, through a
// prepared statement of the writer pool when the store caches them.
func (s *Store) queryRowTx(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	query = s.dialect.bind(query)
	if s.writerStmts != nil {
		stmt, err := s.writerStmts.get(ctx, query)
		if err == nil && stmt != nil {
			return tx.StmtContext(ctx, stmt).QueryRowContext(ctx, args...)
		}
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// queryTx runs a query in tx, through a prepared statement of the writer
// pool when the store caches them.
func (s *Store) queryTx(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	query = s.dialect.bind(query)
	if s.writerStmts != nil {
		stmt, err := s.writerStmts.get(ctx, query)
		if err == nil && stmt != nil {
			return tx.StmtContext(ctx, stmt).QueryContext(ctx, args...)
		}
	}
	return tx.QueryContext(ctx, query, args...)
}
