package sqlstore

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// sqliteAutoCheckpointPages is the WAL size, in pages, at which a commit of
// the group committer checkpoints the WAL itself, and then the next
// transaction starts the WAL over. SQLite's default is 1,000 pages, which
// the committer reached every few dozen commits, and each of those commits
// waited for the copy into the database file and its fsync. Between those
// points the background checkpointer copies the WAL, so the commit that
// reaches the limit copies only what the last background pass left.
const sqliteAutoCheckpointPages = 4000

// sqliteWALSizeLimitBytes is the size to which SQLite truncates the WAL
// file when it starts the WAL over (PRAGMA journal_size_limit). A WAL that
// grew to sqliteAutoCheckpointPages under load shrinks back to about what
// SQLite's default checkpoint size of 1,000 pages left on disk.
const sqliteWALSizeLimitBytes = 4 << 20

// checkpointInterval is the shortest time between two background
// checkpoints. Each one syncs the database file once.
const checkpointInterval = 50 * time.Millisecond

// checkpointer copies the WAL of a SQLite store into the database file in
// the background (PRAGMA wal_checkpoint(PASSIVE)), on its own connection,
// so that writers rarely do it on the commit path. SQLite documents a
// passive checkpoint (sqlite3_wal_checkpoint_v2) as copying as many frames
// as it can without waiting for readers or writers, so the rest waits for
// the next pass.
type checkpointer struct {
	db     *sql.DB
	logger *slog.Logger

	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}

	// passes counts the checkpoints run, for tests.
	passes atomic.Int64
	// failing is whether the last checkpoint failed, so that only the first
	// of a run of failures is logged. Only run uses it.
	failing bool

	closeOnce sync.Once
}

func newCheckpointer(db *sql.DB, logger *slog.Logger) *checkpointer {
	c := &checkpointer{
		db:      db,
		logger:  logger,
		kick:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go c.run()
	return c
}

// notify wakes the checkpointer after a commit. It never blocks.
func (c *checkpointer) notify() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.stopped)

	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-c.kick:
		case <-c.stop:
			return
		}

		var busy, logFrames, checkpointed int64
		err := c.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).
			Scan(&busy, &logFrames, &checkpointed)
		if err != nil && !c.failing {
			c.logger.Warn("background WAL checkpoint failed, so commits checkpoint the WAL until it succeeds again",
				"error", err)
		}
		c.failing = err != nil
		c.passes.Add(1)

		timer.Reset(checkpointInterval)
		select {
		case <-timer.C:
		case <-c.stop:
			return
		}
	}
}

// close stops the checkpointer and closes its connection. Calls after the
// first do nothing.
func (c *checkpointer) close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.stopped
		err = c.db.Close()
	})
	return err
}
