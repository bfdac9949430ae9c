package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// maxGroupCommitWrites caps how many writes share one SQLite transaction,
// which bounds how long a write waits behind the batch ahead of it.
const maxGroupCommitWrites = 64

// errStoreClosed is returned by writes submitted after Close.
var errStoreClosed = errors.New("store is closed")

// groupCommitter runs the writes of a SQLite store one transaction at a
// time and commits the writes that arrive together in one transaction.
// With synchronous=FULL each commit costs an fsync of the WAL, so sharing
// a commit among concurrent callers divides that cost between them, while
// every caller still returns only after its change is durable.
//
// Each write runs inside its own savepoint. A write whose function fails
// is rolled back to its savepoint and reported to its caller alone, and
// the other writes of the batch go on. Only a failure of the transaction
// itself (begin, savepoint bookkeeping or commit) fails every write of the
// batch, and then none of them is stored.
type groupCommitter struct {
	db     *sql.DB
	logger *slog.Logger

	requests chan *writeRequest
	stop     chan struct{}
	stopped  chan struct{}

	// savepointStmts keeps the savepoint statements prepared, by text.
	// Only run uses it.
	savepointStmts map[string]*sql.Stmt

	// afterCommit, when not nil, runs after each batch.
	afterCommit func()

	closeOnce sync.Once
}

// Savepoint statements around each write of a batch.
const (
	savepointStart    = "SAVEPOINT group_write"
	savepointRollback = "ROLLBACK TO group_write"
	savepointRelease  = "RELEASE group_write"
)

// writeRequest is one caller's write. Its fn runs in the batch transaction,
// and done receives its outcome once the batch has committed or failed.
type writeRequest struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error
}

// newGroupCommitter starts a committer on db. afterCommit, when not nil,
// runs after each batch.
func newGroupCommitter(db *sql.DB, logger *slog.Logger, afterCommit func()) *groupCommitter {
	c := &groupCommitter{
		db:             db,
		logger:         logger,
		afterCommit:    afterCommit,
		requests:       make(chan *writeRequest),
		stop:           make(chan struct{}),
		stopped:        make(chan struct{}),
		savepointStmts: make(map[string]*sql.Stmt),
	}
	go c.run()
	return c
}

// write runs fn in a transaction shared with other concurrent writes and
// returns after that transaction committed or failed. A nil result means
// fn's changes are committed.
//
// The caller waits for the outcome even when ctx ends, because once fn has
// run only the commit decides whether its changes are stored. A ctx that
// has ended before fn starts makes the write fail without running fn.
func (c *groupCommitter) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	request := &writeRequest{ctx: ctx, fn: fn, done: make(chan error, 1)}

	select {
	case c.requests <- request:
	case <-c.stop:
		return errStoreClosed
	case <-ctx.Done():
		return ctx.Err()
	}

	return <-request.done
}

// close stops the committer after its current batch. Writes submitted
// afterwards fail with errStoreClosed. Calls after the first do nothing.
func (c *groupCommitter) close() {
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.stopped
		for _, stmt := range c.savepointStmts {
			_ = stmt.Close()
		}
	})
}

func (c *groupCommitter) run() {
	defer close(c.stopped)

	batch := make([]*writeRequest, 0, maxGroupCommitWrites)
	for {
		select {
		case request := <-c.requests:
			batch = append(batch[:0], request)
		case <-c.stop:
			return
		}

		// Writers that arrived while the previous batch committed wait on
		// the unbuffered channel, so these receives find them ready.
	collect:
		for len(batch) < maxGroupCommitWrites {
			select {
			case request := <-c.requests:
				batch = append(batch, request)
			default:
				break collect
			}
		}

		c.commit(batch)
		clear(batch)
		if c.afterCommit != nil {
			c.afterCommit()
		}
	}
}

// commit runs batch in one transaction and sends each caller its outcome.
func (c *groupCommitter) commit(batch []*writeRequest) {
	results := make([]error, len(batch))

	err := c.runBatch(batch, results)
	for i, request := range batch {
		if err != nil && results[i] == nil {
			results[i] = err
		}
		request.done <- results[i]
	}
}

// runBatch runs each request's function in its own savepoint of one
// transaction, storing each function's error in results, and commits. Its
// error applies to every request whose result is nil.
func (c *groupCommitter) runBatch(batch []*writeRequest, results []error) error {
	// The transaction uses no caller's context, because a caller that goes
	// away must not roll back the other callers' writes.
	ctx := context.Background()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}

	// A lone write needs no savepoint, because the whole transaction is its own.
	if len(batch) == 1 {
		results[0] = runWrite(tx, batch[0])
		if results[0] != nil {
			_ = tx.Rollback()
			return nil
		}
		return commitTx(tx)
	}

	committed := 0
	for i, request := range batch {
		results[i], err = c.runInSavepoint(ctx, tx, request)
		if err != nil {
			// The savepoint could not be rolled back or released, so the
			// transaction may hold part of the failed write or be gone
			// altogether. None of the batch can be committed.
			_ = tx.Rollback()
			c.logger.Error("group commit batch failed and was rolled back",
				"writes", len(batch), "error", err)
			return err
		}
		if results[i] == nil {
			committed++
		}
	}

	if committed == 0 {
		_ = tx.Rollback()
		return nil
	}
	return commitTx(tx)
}

// runInSavepoint runs request's function between SAVEPOINT and RELEASE,
// rolling back to the savepoint when the function fails. It returns the
// function's error, and separately an error of the savepoint statements,
// which leaves the transaction unusable.
func (c *groupCommitter) runInSavepoint(ctx context.Context, tx *sql.Tx, request *writeRequest) (writeErr, txErr error) {
	if err := c.execSavepoint(ctx, tx, savepointStart); err != nil {
		return nil, fmt.Errorf("start savepoint: %w", err)
	}

	writeErr = runWrite(tx, request)
	if writeErr != nil {
		// ROLLBACK TO fails when SQLite already rolled back the whole
		// transaction, as it does after some I/O errors and interrupts.
		if err := c.execSavepoint(ctx, tx, savepointRollback); err != nil {
			return writeErr, fmt.Errorf("roll back to savepoint: %w", err)
		}
	}

	if err := c.execSavepoint(ctx, tx, savepointRelease); err != nil {
		return writeErr, fmt.Errorf("release savepoint: %w", err)
	}
	return writeErr, nil
}

// execSavepoint runs one of the savepoint statements in tx, prepared once
// so that SQLite does not parse it again for every write.
func (c *groupCommitter) execSavepoint(ctx context.Context, tx *sql.Tx, query string) error {
	stmt, ok := c.savepointStmts[query]
	if !ok {
		prepared, err := c.db.PrepareContext(ctx, query)
		if err != nil {
			_, err = tx.ExecContext(ctx, query)
			return err
		}
		c.savepointStmts[query] = prepared
		stmt = prepared
	}
	_, err := tx.StmtContext(ctx, stmt).ExecContext(ctx)
	return err
}

// runWrite calls request's function unless its context has already ended.
// A panic in the function becomes its error, so the committer goroutine
// and the other callers of the batch carry on.
func runWrite(tx *sql.Tx, request *writeRequest) (err error) {
	if err := request.ctx.Err(); err != nil {
		return err
	}

	defer func() {
		if recovered := recover(); recovered != nil {
			err = fmt.Errorf("write panicked: %v", recovered)
		}
	}()
	return request.fn(tx)
}

func commitTx(tx *sql.Tx) error {
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}
