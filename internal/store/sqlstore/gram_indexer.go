package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The gram indexer writes the substring grams of the certificates listed
// in certificate_grams_deferred. A requested certificate is listed there,
// so neither its request nor the write that issues it writes grams, and
// both hold the single SQLite writer for less time.
//
// A CONTAINS search also checks the names of every listed certificate (see
// termMatch). Its results are therefore the same before and after the
// indexer reaches a certificate, and only its cost grows with the list.
const (
	// gramIndexInterval is how often the indexer looks for listed
	// certificates.
	gramIndexInterval = 250 * time.Millisecond
	// gramIndexQuiet is how long no other write must have run before the
	// indexer counts the writer as quiet.
	gramIndexQuiet = 50 * time.Millisecond
	// gramIndexBatch is how many certificates one indexing write takes.
	// Writes that arrive meanwhile wait for it, so it stays small: one took
	// about 9 ms, commit included, in BenchmarkIndexDeferredGrams on a busy
	// 2-core machine.
	gramIndexBatch = 25
	// gramBusyShare is how long one pass may index while the writer is
	// busy, a tenth of gramIndexInterval.
	gramBusyShare = gramIndexInterval / 10
	// gramBacklogLimit is the number of listed certificates above which
	// the indexer works even while the writer is busy, so that sustained
	// requests cannot grow the list, and the cost of CONTAINS searches,
	// without bound.
	gramBacklogLimit = 10000
	// gramInsertRows is how many grams one INSERT statement writes, well
	// under the bound parameters SQLite (32,766) and PostgreSQL (65,535)
	// take.
	gramInsertRows = 500
)

// writeActivity tracks the writes of this process, so background work can
// wait for a quiet moment. Writes by other processes or nodes do not
// count. The zero value is ready to use.
type writeActivity struct {
	inFlight atomic.Int64
	// lastEnd is when the last write ended, as time since activityEpoch,
	// so comparisons use the monotonic clock.
	lastEnd atomic.Int64
}

// activityEpoch is the origin of writeActivity's times.
var activityEpoch = time.Now()

// begin marks a write as started. The returned function marks it ended.
func (a *writeActivity) begin() (end func()) {
	a.inFlight.Add(1)
	return func() {
		a.lastEnd.Store(int64(time.Since(activityEpoch)))
		a.inFlight.Add(-1)
	}
}

// quiet reports whether no write is in flight and none ended within quiet.
func (a *writeActivity) quiet(quiet time.Duration) bool {
	if a.inFlight.Load() > 0 {
		return false
	}
	last := a.lastEnd.Load()
	return last == 0 || time.Since(activityEpoch)-time.Duration(last) >= quiet
}

// gramIndexer runs indexDeferredGrams in the background until closed.
type gramIndexer struct {
	store  *Store
	logger *slog.Logger

	stop    chan struct{}
	stopped chan struct{}
	// indexed counts the certificates indexed, for tests and logs.
	indexed atomic.Int64
	// failing is whether the last pass failed, so only the first failure
	// of a run is logged. Only run uses it.
	failing   bool
	closeOnce sync.Once
}

func newGramIndexer(s *Store) *gramIndexer {
	g := &gramIndexer{
		store:   s,
		logger:  s.logger,
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go g.run()
	return g
}

// close stops the indexer after its current write. Calls after the first
// do nothing.
func (g *gramIndexer) close() {
	g.closeOnce.Do(func() {
		close(g.stop)
		<-g.stopped
	})
}

func (g *gramIndexer) run() {
	defer close(g.stopped)

	ticker := time.NewTicker(gramIndexInterval)
	defer ticker.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-ticker.C:
		}
		g.pass()
	}
}

// pass indexes listed certificates batch after batch while the writer is
// quiet. While the writer is busy, pass indexes only when the list is
// longer than gramBacklogLimit, and for at most gramBusyShare.
func (g *gramIndexer) pass() {
	ctx := context.Background()
	started := time.Now()
	for {
		select {
		case <-g.stop:
			return
		default:
		}

		busy := !g.store.activity.quiet(gramIndexQuiet)
		if busy && time.Since(started) >= gramBusyShare {
			return
		}

		// The list is read on the reader pool first, so an idle server
		// does not take the write lock on every pass.
		backlog := 0
		if busy {
			backlog = gramBacklogLimit
		}
		over, err := g.store.gramBacklogOver(ctx, backlog)
		if err != nil {
			g.failed(err)
			return
		}
		if !over {
			return
		}

		batchStarted := time.Now()
		indexed, err := g.store.indexDeferredGrams(ctx, gramIndexBatch)
		if err != nil {
			g.failed(err)
			return
		}
		if g.failing {
			g.failing = false
			g.logger.Info("indexing deferred search grams works again")
		}
		g.indexed.Add(int64(indexed))
		g.logger.Debug("indexed deferred search grams", "certificates", indexed, "busy", busy,
			"duration", time.Since(batchStarted))
		if indexed < gramIndexBatch {
			return
		}
	}
}

func (g *gramIndexer) failed(err error) {
	if !g.failing {
		g.logger.Error("indexing deferred search grams failed; retrying in the next pass",
			"database", g.store.name, "error", err)
	}
	g.failing = true
}

// gramBacklogOver reports whether more than limit certificates are listed
// in certificate_grams_deferred, reading at most limit+1 list rows.
func (s *Store) gramBacklogOver(ctx context.Context, limit int) (bool, error) {
	var listed int
	err := s.queryRow(ctx, `SELECT count(*) FROM (SELECT id FROM certificate_grams_deferred LIMIT ?) AS listed`,
		limit+1).Scan(&listed)
	if err != nil {
		return false, fmt.Errorf("count deferred search grams: %w", err)
	}
	return listed > limit, nil
}

// indexDeferredGrams writes the grams of up to limit certificates listed
// in certificate_grams_deferred, from the terms stored for them, and takes
// them off the list, in one write. It returns how many it indexed. In
// PostgreSQL it skips list rows that another transaction holds, so the
// indexers of several nodes take different certificates.
func (s *Store) indexDeferredGrams(ctx context.Context, limit int) (int, error) {
	var indexed int
	err := s.writeBackground(ctx, func(tx *sql.Tx) error {
		indexed = 0
		ids, err := s.takeDeferredGrams(ctx, tx, limit)
		if err != nil || len(ids) == 0 {
			return err
		}

		names, err := s.readNameTerms(ctx, tx, ids)
		if err != nil {
			return err
		}

		// Grams in index order land on neighbouring pages.
		type posting struct {
			gram string
			id   int64
		}
		var postings []posting
		for id, terms := range names {
			for _, gram := range namesGrams(terms) {
				postings = append(postings, posting{gram, id})
			}
		}
		slices.SortFunc(postings, func(a, b posting) int {
			return cmp.Or(strings.Compare(a.gram, b.gram), cmp.Compare(a.id, b.id))
		})

		for chunk := range slices.Chunk(postings, gramInsertRows) {
			args := make([]any, 0, 2*len(chunk))
			for _, p := range chunk {
				args = append(args, p.gram, p.id)
			}
			_, err := tx.ExecContext(ctx, s.dialect.bind(`INSERT INTO certificate_term_grams (gram, id) VALUES `+
				valueRows(len(chunk), 2)+` ON CONFLICT DO NOTHING`), args...)
			if err != nil {
				return fmt.Errorf("insert deferred search grams: %w", err)
			}
		}
		indexed = len(ids)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return indexed, nil
}

// takeDeferredGrams removes up to limit ids from certificate_grams_deferred
// in tx and returns them.
func (s *Store) takeDeferredGrams(ctx context.Context, tx *sql.Tx, limit int) ([]int64, error) {
	rows, err := s.queryTx(ctx, tx, `DELETE FROM certificate_grams_deferred WHERE id IN (
		SELECT id FROM certificate_grams_deferred ORDER BY id LIMIT ?`+s.dialect.skipLocked+`) RETURNING id`, limit)
	if err != nil {
		return nil, fmt.Errorf("take deferred search grams: %w", err)
	}
	defer rows.Close()

	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("take deferred search grams: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("take deferred search grams: %w", err)
	}
	return ids, nil
}

// readNameTerms returns the common name and DNS name terms of ids, by id.
// An id without such terms is left out.
func (s *Store) readNameTerms(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64][]searchTerm, error) {
	args := make([]any, 0, len(ids)+2)
	args = append(args, termCommonName, termDNSName)
	for _, id := range ids {
		args = append(args, id)
	}
	// The statement is not cached: its placeholder count changes with ids.
	rows, err := tx.QueryContext(ctx, s.dialect.bind(`SELECT id, kind, term FROM certificate_terms
		WHERE kind IN (?, ?) AND id IN (`+placeholders(len(ids))+`)`), args...)
	if err != nil {
		return nil, fmt.Errorf("read search names: %w", err)
	}
	defer rows.Close()

	names := make(map[int64][]searchTerm, len(ids))
	for rows.Next() {
		var id int64
		var term searchTerm
		if err := rows.Scan(&id, &term.kind, &term.value); err != nil {
			return nil, fmt.Errorf("read search names: %w", err)
		}
		names[id] = append(names[id], term)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read search names: %w", err)
	}
	return names, nil
}
