// Package worker runs the background loop that moves certificates through
// validation and issuance. It decides when to look at which certificate;
// the acm package decides what happens to it.
package worker

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/store"
)

// Advancer moves one certificate on and returns when to look at it again.
type Advancer interface {
	Advance(ctx context.Context, cert *store.Certificate) (next time.Time, err error)
}

// Observer is told about each pass of Run, for metrics. Its method must not block.
type Observer interface {
	// PassFinished reports how many pending certificates a pass read, how
	// late it started after the earliest due time the previous pass
	// returned, and how long it took.
	PassFinished(pending int, lag, elapsed time.Duration)
}

// Options tune the loop.
type Options struct {
	// Batch is how many pending certificates one pass reads, oldest first.
	// NOTE: with more than Batch certificates waiting on DNS records, the
	// newest ones wait until older ones leave PENDING_VALIDATION.
	Batch int
	// Parallelism is how many certificates are advanced at once; key
	// generation is CPU-bound, so one per core is a good value.
	Parallelism int
	// IdleInterval is the longest sleep between passes when nothing is due,
	// so work written by another node is picked up.
	IdleInterval time.Duration
	// SweepInterval is the least time, on the worker's clock, between two
	// sweeps over every issued certificate for expiry, renewal and events.
	SweepInterval time.Duration

	// Observer is told about every pass of Run; nil means nobody listens.
	Observer Observer
}

// Worker runs passes over pending certificates.
type Worker struct {
	store    store.Store
	advancer Advancer
	clock    clock.Clock
	logger   *slog.Logger
	options  Options
	wake     chan struct{}
	running  atomic.Bool

	// passMu makes passes run one at a time, so a test's RunOnce and the
	// loop never act on one certificate at once (and never send its
	// approval e-mail twice).
	passMu    sync.Mutex
	lastSweep time.Time
}

// New returns a Worker.
func New(st store.Store, advancer Advancer, clk clock.Clock, logger *slog.Logger, options Options) *Worker {
	if options.Batch <= 0 {
		options.Batch = 500
	}
	if options.Parallelism <= 0 {
		options.Parallelism = 1
	}
	if options.IdleInterval <= 0 {
		options.IdleInterval = 5 * time.Second
	}
	if options.SweepInterval <= 0 {
		options.SweepInterval = time.Minute
	}
	return &Worker{
		store:    st,
		advancer: advancer,
		clock:    clk,
		logger:   logger,
		options:  options,
		wake:     make(chan struct{}, 1),
	}
}

// Wake starts a pass soon without waiting for the current sleep to end.
// It does not block, because the wake channel has room for one signal.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Running reports whether Run is looping.
func (w *Worker) Running() bool {
	return w.running.Load()
}

// Start runs Run in a new goroutine and returns a channel closed when it
// ends. Running is true as soon as Start returns, so readiness checks never
// see a worker that is about to start as stopped.
func (w *Worker) Start(ctx context.Context) <-chan struct{} {
	w.running.Store(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	return done
}

// Run loops until ctx is cancelled: a pass, then a sleep until the earliest
// due time, the idle interval or a Wake, whichever comes first.
func (w *Worker) Run(ctx context.Context) {
	w.running.Store(true)
	defer w.running.Store(false)
	w.logger.Info("worker started", "parallelism", w.options.Parallelism, "idle_interval", w.options.IdleInterval)

	var due time.Time
	for {
		next, err := w.observedPass(ctx, due)
		due = next
		if err != nil && ctx.Err() == nil {
			w.logger.Error("worker pass failed; will retry", "error", err)
		}

		sleep := w.options.IdleInterval
		if !next.IsZero() {
			sleep = min(sleep, max(next.Sub(w.clock.Now()), 0))
		}

		timer := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			w.logger.Info("worker stopped")
			return
		case <-w.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// observedPass runs one pass and tells the observer about it. due is the
// earliest due time the previous pass returned, zero when there was none.
func (w *Worker) observedPass(ctx context.Context, due time.Time) (time.Time, error) {
	var lag time.Duration
	if !due.IsZero() {
		lag = max(w.clock.Now().Sub(due), 0)
	}

	started := time.Now()
	next, pending, err := w.pass(ctx)
	if w.options.Observer != nil && err == nil {
		w.options.Observer.PassFinished(pending, lag, time.Since(started))
	}
	return next, err
}

// RunOnce advances every pending certificate once, sweeps the issued ones
// when SweepInterval passed since the last sweep, and returns the earliest
// time a pending certificate is due again (zero when none is). Tests call
// it directly.
func (w *Worker) RunOnce(ctx context.Context) (time.Time, error) {
	next, _, err := w.pass(ctx)
	return next, err
}

// pass is RunOnce that also returns how many pending certificates it read.
func (w *Worker) pass(ctx context.Context) (time.Time, int, error) {
	w.passMu.Lock()
	defer w.passMu.Unlock()

	pending, err := w.store.PendingCertificates(ctx, w.options.Batch)
	if err != nil {
		return time.Time{}, 0, err
	}
	next := w.advanceAll(ctx, pending)

	if now := w.clock.Now(); w.lastSweep.IsZero() || !now.Before(w.lastSweep.Add(w.options.SweepInterval)) {
		if err := w.sweepIssued(ctx); err != nil {
			return next, len(pending), err
		}
		w.lastSweep = now
	}
	return next, len(pending), nil
}

// sweepIssued advances every issued certificate, a page at a time.
func (w *Worker) sweepIssued(ctx context.Context) error {
	after := ""
	for {
		issued, err := w.store.IssuedCertificates(ctx, after, w.options.Batch)
		if err != nil {
			return err
		}
		if len(issued) == 0 {
			return nil
		}
		w.advanceAll(ctx, issued)
		after = issued[len(issued)-1].ARN
	}
}

// advanceAll advances certs with up to Parallelism at once and returns the
// earliest due time they report.
func (w *Worker) advanceAll(ctx context.Context, certs []*store.Certificate) time.Time {
	var (
		mu    sync.Mutex
		next  time.Time
		group sync.WaitGroup
		slots = make(chan struct{}, w.options.Parallelism)
	)
	for _, cert := range certs {
		slots <- struct{}{}
		group.Go(func() {
			defer func() { <-slots }()

			due, err := w.advancer.Advance(ctx, cert)
			if err != nil {
				w.logger.Error("advance certificate failed; will retry", "arn", cert.ARN, "error", err)
				due = w.clock.Now().Add(w.options.IdleInterval)
			}

			mu.Lock()
			defer mu.Unlock()
			if !due.IsZero() && (next.IsZero() || due.Before(next)) {
				next = due
			}
		})
	}
	group.Wait()
	return next
}
