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
// file when it starts the WAL over (PRAGMA journal_size_limit). It is above
// the 16 MiB of sqliteAutoCheckpointPages, so under load the file keeps its
// size and commits overwrite its blocks. At 4 MiB, the commits that grew
// the file again after each cut took 5 to 6 ms instead of under 1 ms, and
// held up every request in flight.
const sqliteWALSizeLimitBytes = 32 << 20

// checkpointInterval is the shortest time between two background
// checkpoints. Each one syncs the WAL and the database file once.
const checkpointInterval = 50 * time.Millisecond

// A background checkpoint runs once checkpointCommits commits are waiting,
// or checkpointMaxDelay after the first of them. A pass after every commit
// synced both files for each certificate issued one at a time (about 3
// fsync calls per certificate against 1.4 with the count). A request load
// of hundreds of commits a second still gets a pass about every 100 ms.
const (
	checkpointCommits  = 32
	checkpointMaxDelay = time.Second
)

// checkpointer copies the WAL of a SQLite store into the database file in
// the background (PRAGMA wal_checkpoint(PASSIVE)), on its own connection,
// so that writers rarely do it on the commit path. SQLite documents a
// passive checkpoint (sqlite3_wal_checkpoint_v2) as copying as many frames
// as it can without waiting for readers or writers, so the rest waits for
// the next pass.
type checkpointer struct {
	db     *sql.DB
	logger *slog.Logger
	// maxDelay is checkpointMaxDelay outside tests.
	maxDelay time.Duration

	// commits counts the commits since the last pass began.
	commits atomic.Int64
	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}

	// passes counts the checkpoints run, for tests.
	passes atomic.Int64
	// failing is whether the last checkpoint failed, so that only the first
	// of a run of failures is logged. Only run uses it.
	failing bool

	stopOnce  sync.Once
	closeOnce sync.Once
}

func newCheckpointer(db *sql.DB, logger *slog.Logger, maxDelay time.Duration) *checkpointer {
	c := &checkpointer{
		db:       db,
		logger:   logger,
		maxDelay: maxDelay,
		kick:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	go c.run()
	return c
}

// notify counts a commit without blocking. Only the first commit since
// the last pass and the checkpointCommits-th wake the checkpointer.
func (c *checkpointer) notify() {
	n := c.commits.Add(1)
	if n != 1 && n != checkpointCommits {
		return
	}
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
		if !c.waitForCommits(timer) {
			return
		}
		c.commits.Store(0)

		var busy, logFrames, checkpointed int64
		err := c.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).
			Scan(&busy, &logFrames, &checkpointed)
		if err != nil && !c.failing {
			c.logger.Warn("background WAL checkpoint failed, so commits checkpoint the WAL until it succeeds again",
				"error", err)
		}
		c.failing = err != nil
		c.passes.Add(1)

		// A reader on an older snapshot keeps frames from a passive
		// checkpoint. Counting a commit brings another pass after maxDelay,
		// even when no write follows.
		if err == nil && checkpointed < logFrames {
			c.notify()
		}

		timer.Reset(checkpointInterval)
		select {
		case <-timer.C:
		case <-c.stop:
			return
		}
	}
}

// waitForCommits waits until checkpointCommits commits are waiting or
// maxDelay has passed. It returns false when the checkpointer stops.
func (c *checkpointer) waitForCommits(timer *time.Timer) bool {
	timer.Reset(c.maxDelay)
	defer timer.Stop()
	for c.commits.Load() < checkpointCommits {
		select {
		case <-c.kick:
		case <-timer.C:
			return true
		case <-c.stop:
			return false
		}
	}
	return true
}

// stopRun stops the checkpointer's goroutine and waits for it to end.
func (c *checkpointer) stopRun() {
	c.stopOnce.Do(func() {
		close(c.stop)
		<-c.stopped
	})
}

// close stops the checkpointer and closes its connection. Calls after the
// first do nothing.
func (c *checkpointer) close() error {
	c.stopRun()
	var err error
	c.closeOnce.Do(func() {
		err = c.db.Close()
	})
	return err
}
