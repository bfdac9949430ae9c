package worker_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/clock"
	"github.com/openacm/openacm/internal/store"
	"github.com/openacm/openacm/internal/store/sqlstore"
	"github.com/openacm/openacm/internal/worker"
)

// countingAdvancer records how often each certificate was advanced and
// returns a fixed due time.
type countingAdvancer struct {
	due time.Time

	mu    sync.Mutex
	calls map[string]int
}

func (a *countingAdvancer) Advance(_ context.Context, cert *store.Certificate) (time.Time, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls[cert.ARN]++
	return a.due, nil
}

func (a *countingAdvancer) total() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	sum := 0
	for _, n := range a.calls {
		sum += n
	}
	return sum
}

func setup(t *testing.T, certificates int) (store.Store, *clock.Fake) {
	t.Helper()

	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "w.db"), nil)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { st.Close() })

	clk := clock.NewFake(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	for i := range certificates {
		cert := &store.Certificate{
			ARN:       fmt.Sprintf("arn:aws:acm:us-east-1:111122223333:certificate/%d", i),
			Account:   "111122223333",
			Region:    "us-east-1",
			Status:    "PENDING_VALIDATION",
			CreatedAt: clk.Now().Add(time.Duration(i) * time.Second),
		}
		if _, _, err := st.CreateCertificate(context.Background(), cert, nil, nil); err != nil {
			t.Fatalf("CreateCertificate: %v", err)
		}
	}

	return st, clk
}

func newWorker(st store.Store, advancer worker.Advancer, clk clock.Clock, holder string) *worker.Worker {
	return worker.New(st, advancer, clk, slog.New(slog.DiscardHandler), worker.Options{Holder: holder, Lease: time.Minute, Parallelism: 2})
}

func TestRunOnceSharesWorkBetweenNodes(t *testing.T) {
	const certificates = 8
	st, clk := setup(t, certificates)
	advancer := &countingAdvancer{due: clk.Now().Add(10 * time.Second), calls: map[string]int{}}

	nodes := []*worker.Worker{newWorker(st, advancer, clk, "a"), newWorker(st, advancer, clk, "b"), newWorker(st, advancer, clk, "c")}
	var wg sync.WaitGroup
	for _, w := range nodes {
		wg.Go(func() {
			if _, err := w.RunOnce(context.Background()); err != nil {
				t.Errorf("RunOnce: %v", err)
			}
		})
	}
	wg.Wait()

	if got := advancer.total(); got != certificates {
		t.Errorf("%d advances in one pass of three nodes, want %d (each certificate once)", got, certificates)
	}
}

func TestRunOnceWaitsForDueTime(t *testing.T) {
	st, clk := setup(t, 2)
	advancer := &countingAdvancer{due: clk.Now().Add(10 * time.Second), calls: map[string]int{}}
	first := newWorker(st, advancer, clk, "a")
	second := newWorker(st, advancer, clk, "b")

	next, err := first.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("first RunOnce: %v", err)
	}
	if !next.Equal(advancer.due) {
		t.Errorf("RunOnce next = %v, want the due time %v", next, advancer.due)
	}

	// The first node keeps the leases until the due time, so no node looks
	// at the certificates earlier, even after the claim lease would end:
	// not the other node, and not the first node's own next pass.
	clk.Advance(9 * time.Second)
	if _, err := second.RunOnce(context.Background()); err != nil {
		t.Fatalf("second RunOnce before due: %v", err)
	}
	if _, err := first.RunOnce(context.Background()); err != nil {
		t.Fatalf("first RunOnce before due: %v", err)
	}
	if got := advancer.total(); got != 2 {
		t.Errorf("%d advances before the due time, want 2", got)
	}

	clk.Advance(2 * time.Second)
	if _, err := second.RunOnce(context.Background()); err != nil {
		t.Fatalf("second RunOnce after due: %v", err)
	}
	if got := advancer.total(); got != 4 {
		t.Errorf("%d advances after the due time, want 4 (the other node took both over)", got)
	}
}

func TestReleaseLeasesHandsWorkOver(t *testing.T) {
	st, clk := setup(t, 3)
	advancer := &countingAdvancer{due: clk.Now().Add(time.Hour), calls: map[string]int{}}
	first := newWorker(st, advancer, clk, "a")
	second := newWorker(st, advancer, clk, "b")

	if _, err := first.RunOnce(context.Background()); err != nil {
		t.Fatalf("first RunOnce: %v", err)
	}
	if err := first.ReleaseLeases(context.Background()); err != nil {
		t.Fatalf("ReleaseLeases: %v", err)
	}
	if _, err := second.RunOnce(context.Background()); err != nil {
		t.Fatalf("second RunOnce: %v", err)
	}

	if got := advancer.total(); got != 6 {
		t.Errorf("%d advances, want 6: the second node takes all three at once after the release", got)
	}
}

// releasingAdvancer is a ClaimedAdvancer that reports the lease as ended
// without ending it, so a lease still free afterwards shows that the
// worker released it on its own.
type releasingAdvancer struct {
	countingAdvancer
	released bool

	holders []string
}

func (a *releasingAdvancer) AdvanceClaimed(ctx context.Context, cert *store.Certificate, holder string) (time.Time, bool, error) {
	a.mu.Lock()
	a.holders = append(a.holders, holder)
	a.mu.Unlock()
	due, err := a.Advance(ctx, cert)
	return due, a.released, err
}

func TestClaimedAdvancerEndsLease(t *testing.T) {
	for _, released := range []bool{true, false} {
		t.Run(fmt.Sprintf("released %t", released), func(t *testing.T) {
			st, clk := setup(t, 1)
			advancer := &releasingAdvancer{countingAdvancer: countingAdvancer{calls: map[string]int{}}, released: released}

			if _, err := newWorker(st, advancer, clk, "a").RunOnce(context.Background()); err != nil {
				t.Fatalf("RunOnce: %v", err)
			}
			if len(advancer.holders) != 1 || advancer.holders[0] != "a" {
				t.Fatalf("AdvanceClaimed holders = %v, want [a]", advancer.holders)
			}

			// The advancer only reported the release, so the lease stays
			// held exactly when the worker trusted that report.
			lease := store.CertificateLease("arn:aws:acm:us-east-1:111122223333:certificate/0")
			free, err := st.AcquireLease(context.Background(), lease, "b", clk.Now(), clk.Now().Add(time.Minute))
			if err != nil {
				t.Fatalf("AcquireLease: %v", err)
			}
			if free == released {
				t.Errorf("lease free for another holder = %t after AdvanceClaimed reported released %t", free, released)
			}
		})
	}
}

// TestRunClaimsPastAFullBatch checks that Run goes on to the next pass at
// once when a pass claimed a whole batch. The requests of the unclaimed
// certificates woke the worker before that pass, so no wake is left to
// start the next one, and they used to wait for the idle interval.
func TestRunClaimsPastAFullBatch(t *testing.T) {
	const certificates = 8
	st, clk := setup(t, certificates)
	advancer := &countingAdvancer{due: clk.Now().Add(time.Hour), calls: map[string]int{}}
	w := worker.New(st, advancer, clk, slog.New(slog.DiscardHandler), worker.Options{
		Holder: "a", Lease: time.Minute, Parallelism: 2, Batch: 3, IdleInterval: time.Hour,
	})

	ctx, cancel := context.WithCancel(context.Background())
	done := w.Start(ctx)
	defer func() {
		cancel()
		<-done
	}()

	deadline := time.Now().Add(10 * time.Second)
	for advancer.total() < certificates {
		if time.Now().After(deadline) {
			t.Fatalf("advanced %d of %d certificates in 10 s; the worker waited for its idle interval after a full batch", advancer.total(), certificates)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// approvingAdvancer ends each certificate's lease through
// UpdateCertificateAndEndLease while it advances it, as an e-mail approval
// that arrives during a pass does, and then reports a due time an hour on.
type approvingAdvancer struct {
	countingAdvancer
	st store.Store
}

func (a *approvingAdvancer) Advance(ctx context.Context, cert *store.Certificate) (time.Time, error) {
	approved := *cert
	if err := a.st.UpdateCertificateAndEndLease(ctx, &approved); err != nil {
		return time.Time{}, err
	}
	return a.countingAdvancer.Advance(ctx, cert)
}

// TestAdvanceLeavesAnEndedLeaseEnded checks that a lease ended during an
// advance stays ended, so the next pass takes the certificate again
// instead of waiting until the due time the advance reported.
func TestAdvanceLeavesAnEndedLeaseEnded(t *testing.T) {
	st, clk := setup(t, 1)
	advancer := &approvingAdvancer{countingAdvancer: countingAdvancer{due: clk.Now().Add(time.Hour), calls: map[string]int{}}, st: st}
	w := newWorker(st, advancer, clk, "a")

	for pass := 1; pass <= 2; pass++ {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatalf("RunOnce %d: %v", pass, err)
		}
		if got := advancer.total(); got != pass {
			t.Fatalf("after pass %d the certificate was advanced %d times, want %d", pass, got, pass)
		}
	}
}
