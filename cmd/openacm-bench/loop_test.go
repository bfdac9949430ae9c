package main

import (
	"context"
	"testing"
	"time"
)

func TestLoopFinishesIterationsInFlight(t *testing.T) {
	const (
		workers  = 3
		duration = 50 * time.Millisecond
		callTime = 200 * time.Millisecond
	)
	rec, elapsed, started := loop(context.Background(), workers, duration, 0, func(ctx context.Context, _, _ int, r *recorder) error {
		return r.call("Slow", func() error {
			time.Sleep(callTime)
			return ctx.Err()
		})
	})

	if started != workers {
		t.Errorf("started %d iterations, want %d: one per worker, none after the duration", started, workers)
	}
	if got := len(rec.latencies["Slow"]); got != workers {
		t.Errorf("recorded %d calls, want %d: calls in flight at the end of the duration finish and count", got, workers)
	}
	if len(rec.errors) != 0 {
		t.Errorf("errors = %v, want none", rec.errors)
	}
	if elapsed < callTime {
		t.Errorf("elapsed = %v, want at least %v, until the last call ended", elapsed, callTime)
	}
}
