// Package worker runs the background loop that moves certificates through
// validation and issuance. It decides when to look at which certificate;
// the acm package decides what happens to it.
//
// Nodes that share one database share the work through leases in the
// store: a pass claims pending certificates that no other node holds, and
// after advancing one the worker keeps its lease until the certificate is
// due again, so no other node looks at it before then. A node that dies
// keeps its leases until they expire, and then another node takes them.
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/store"
)

// Advancer moves one certificate on and returns when to look at it again.
type Advancer interface {
	Advance(ctx context.Context, cert *store.Certificate) (next time.Time, err error)
}

// ClaimedAdvancer is an Advancer that can end the worker lease of a claimed
// certificate in the same store write that advances it, which saves the
// worker a write of its own. The worker calls AdvanceClaimed in place of
// Advance when the advancer implements it.
type ClaimedAdvancer interface {
	// AdvanceClaimed is Advance for a certificate that holder claimed.
	// released reports that the lease has ended.
	AdvanceClaimed(ctx context.Context, cert *store.Certificate, holder string) (next time.Time, released bool, err error)
}

// Observer receives a report of each pass of Run, for metrics. Its method must not block.
type Observer interface {
	// PassFinished reports how many pending certificates a pass read, how
	// late it started after the earliest due time the previous pass
	// returned, and how long it took.
	PassFinished(pending int, lag, elapsed time.Duration)
}

// sweepLease is the lease that lets one node at a time sweep the issued
// certificates for expiry, renewal and events.
const sweepLease = "sweep:issued-certificates"

// Options tune the loop.
type Options struct {
	// Holder is this node's name in leases; it must differ between nodes
	// that share a database. Empty picks a random one.
	Holder string
	// Lease is how long a claim lasts while a certificate is advanced.
	// NOTE: the lease is not renewed during one Advance, so an Advance that
	// outlasts it may run on two nodes at once. The store's version check
	// then keeps only the first save.
	Lease time.Duration
	// Batch is how many pending certificates one pass claims, oldest first.
	// Certificates not due yet stay leased and are skipped, so a batch fills
	// with due ones.
	Batch int
	// Parallelism is how many certificates are advanced at once. An
	// advance mostly waits for the key pool, for DNS or for its store
	// write, and SQLite commits the writes in flight at the same time
	// together. So several advances per core keep the cores busy and let
	// one commit carry many certificates.
	Parallelism int
	// IdleInterval is the longest sleep between passes when nothing is due,
	// so work written by another node is picked up.
	IdleInterval time.Duration
	// SweepInterval is the least time, on the worker's clock, between two
	// sweeps over every issued certificate for expiry, renewal and events.
	SweepInterval time.Duration

	// Observer receives a report of every pass of Run; nil disables the reports.
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
	if options.Lease <= 0 {
		options.Lease = time.Minute
	}
	if options.Holder == "" {
		options.Holder = "node-" + uuid.NewString()
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
	w.logger.Info("worker started", "holder", w.options.Holder, "parallelism", w.options.Parallelism,
		"idle_interval", w.options.IdleInterval, "lease", w.options.Lease)

	var due time.Time
	for {
		next, claimed, err := w.observedPass(ctx, due)
		due = next
		if err != nil && ctx.Err() == nil {
			w.logger.Error("worker pass failed; will retry", "error", err)
		}

		sleep := w.options.IdleInterval
		if !next.IsZero() {
			sleep = min(sleep, max(next.Sub(w.clock.Now()), 0))
		}
		// A full batch may have left pending certificates unclaimed. Their
		// requests woke the worker while the pass ran, and the pass used
		// that wake up, so without this the rest waited for the idle
		// interval.
		if err == nil && claimed >= w.options.Batch {
			sleep = 0
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

// observedPass runs one pass and reports it to the observer. due is the
// earliest due time the previous pass returned, zero when there was none.
// It returns the pass's earliest due time and how many certificates it
// claimed.
func (w *Worker) observedPass(ctx context.Context, due time.Time) (time.Time, int, error) {
	var lag time.Duration
	if !due.IsZero() {
		lag = max(w.clock.Now().Sub(due), 0)
	}

	started := time.Now()
	next, pending, err := w.pass(ctx)
	if w.options.Observer != nil && err == nil {
		w.options.Observer.PassFinished(pending, lag, time.Since(started))
	}
	return next, pending, err
}

// RunOnce claims the pending certificates no other node holds, advances
// each once, sweeps the issued ones when SweepInterval passed since the
// last sweep, and returns the earliest time a pending certificate is due
// again (zero when none is). Tests call it directly.
func (w *Worker) RunOnce(ctx context.Context) (time.Time, error) {
	next, _, err := w.pass(ctx)
	return next, err
}

// pass is RunOnce that also returns how many pending certificates it claimed.
func (w *Worker) pass(ctx context.Context) (time.Time, int, error) {
	w.passMu.Lock()
	defer w.passMu.Unlock()

	now := w.clock.Now()
	pending, err := w.store.ClaimPendingCertificates(ctx, w.options.Holder, now, now.Add(w.options.Lease), w.options.Batch)
	if err != nil {
		return time.Time{}, 0, err
	}
	next := w.advanceAll(ctx, pending, w.advance)

	if err := w.sweepWhenDue(ctx); err != nil {
		return next, len(pending), err
	}
	return next, len(pending), nil
}

// sweepWhenDue sweeps the issued certificates when SweepInterval passed
// since this node's last sweep and no other node holds the sweep lease.
func (w *Worker) sweepWhenDue(ctx context.Context) error {
	now := w.clock.Now()
	if !w.lastSweep.IsZero() && now.Before(w.lastSweep.Add(w.options.SweepInterval)) {
		return nil
	}

	held, err := w.store.AcquireLease(ctx, sweepLease, w.options.Holder, now, now.Add(w.options.SweepInterval))
	if err != nil {
		return fmt.Errorf("take the sweep lease: %w", err)
	}
	w.lastSweep = now
	if !held {
		return nil
	}
	return w.sweepIssued(ctx)
}

// SweepWithin is how long before NotAfter the sweep starts to look at an
// issued certificate: managed renewal starts 60 days before NotAfter, and
// the store widens it to the longest DaysBeforeExpiry of any account.
const SweepWithin = 60 * 24 * time.Hour

// sweepIssued advances, a page at a time, every issued certificate that
// is within SweepWithin of NotAfter, for expiry, renewal and events. The
// others cost it nothing.
func (w *Worker) sweepIssued(ctx context.Context) error {
	now := w.clock.Now()
	after := ""
	for ctx.Err() == nil {
		issued, next, err := w.store.DueIssuedCertificates(ctx, now, SweepWithin, after, w.options.Batch)
		if err != nil {
			return err
		}
		w.advanceAll(ctx, issued, w.advanceIssued)
		if next == "" {
			return nil
		}
		after = next
	}
	return nil
}

// advanceIssued moves one issued certificate on; no lease guards it, since
// only the holder of the sweep lease sweeps.
func (w *Worker) advanceIssued(ctx context.Context, cert *store.Certificate) time.Time {
	due, err := w.advancer.Advance(ctx, cert)
	if err != nil {
		w.logger.Error("advance issued certificate failed; will retry at the next sweep", "arn", cert.ARN, "error", err)
	}
	return due
}

// advanceAll runs step on certs with up to Parallelism at once and returns
// the earliest due time they report.
//
// A step that has started finishes even when ctx is cancelled, so a stop
// never throws away a signed certificate before it is saved. A cancelled
// ctx only keeps further steps from starting.
func (w *Worker) advanceAll(ctx context.Context, certs []*store.Certificate, step func(context.Context, *store.Certificate) time.Time) time.Time {
	workCtx := context.WithoutCancel(ctx)
	var (
		mu    sync.Mutex
		next  time.Time
		group sync.WaitGroup
		slots = make(chan struct{}, w.options.Parallelism)
	)
	for _, cert := range certs {
		slots <- struct{}{}
		if ctx.Err() != nil {
			// Close releases the leases of the certificates not started.
			<-slots
			break
		}

		group.Go(func() {
			defer func() { <-slots }()

			due := step(workCtx, cert)

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

// advance moves one claimed certificate on, then keeps its lease until it
// is due again or, when only an outside event can move it, releases it.
func (w *Worker) advance(ctx context.Context, cert *store.Certificate) time.Time {
	due, released, err := w.advanceClaimed(ctx, cert)
	if err != nil {
		w.logger.Error("advance certificate failed; will retry", "arn", cert.ARN, "error", err)
		due = w.clock.Now().Add(w.options.IdleInterval)
	}
	if released && due.IsZero() {
		return due
	}

	lease := store.CertificateLease(cert.ARN)
	if due.IsZero() {
		if err := w.store.ReleaseLease(ctx, lease, w.options.Holder); err != nil {
			w.logger.Warn("releasing certificate lease failed; it expires on its own", "arn", cert.ARN, "error", err)
		}
		return due
	}

	// The lease is extended, never taken again. An approval or resend that
	// ran during this advance ended it in its own update, and taking it
	// again would hide that change from every claim until due.
	extended, err := w.store.KeepLease(ctx, lease, w.options.Holder, due)
	switch {
	case err != nil:
		w.logger.Warn("keeping certificate lease failed; another node may look at it early", "arn", cert.ARN, "error", err)
	case !extended:
		w.logger.Info("certificate lease ended during advance; the next claim takes the certificate again",
			"arn", cert.ARN, "lease", w.options.Lease)
	}
	return due
}

// advanceClaimed advances a certificate that this worker claimed, through
// ClaimedAdvancer when the advancer has it.
func (w *Worker) advanceClaimed(ctx context.Context, cert *store.Certificate) (time.Time, bool, error) {
	if claimed, ok := w.advancer.(ClaimedAdvancer); ok {
		return claimed.AdvanceClaimed(ctx, cert, w.options.Holder)
	}
	due, err := w.advancer.Advance(ctx, cert)
	return due, false, err
}

// ReleaseLeases ends every lease this worker holds, so other nodes take
// its pending certificates at once instead of when the leases expire. Call
// it after Run has returned.
func (w *Worker) ReleaseLeases(ctx context.Context) error {
	released, err := w.store.ReleaseLeases(ctx, w.options.Holder)
	if err != nil {
		return fmt.Errorf("release worker leases of %s: %w", w.options.Holder, err)
	}
	w.logger.Info("released worker leases", "holder", w.options.Holder, "count", released)
	return nil
}

// Holder returns the name this worker's leases carry.
func (w *Worker) Holder() string {
	return w.options.Holder
}
