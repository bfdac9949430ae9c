package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/openacm/openacm/internal/benchkit"
)

// recorder collects the latencies and errors of one worker, so workers
// never share a lock while the clock runs.
type recorder struct {
	latencies map[string][]time.Duration
	errors    map[string]int
}

func newRecorder() *recorder {
	return &recorder{latencies: map[string][]time.Duration{}, errors: map[string]int{}}
}

// call runs one API call and records its latency, or its error by type.
func (r *recorder) call(operation string, f func() error) error {
	start := time.Now()
	err := f()
	elapsed := time.Since(start)
	if err != nil {
		// A call cut off by the end of the run is not a server error.
		if kind := errorType(err); kind != "canceled" {
			r.errors[operation+": "+kind]++
		}
		return err
	}
	r.latencies[operation] = append(r.latencies[operation], elapsed)
	return nil
}

// record adds a latency measured by the caller, such as time to issue.
func (r *recorder) record(operation string, elapsed time.Duration) {
	r.latencies[operation] = append(r.latencies[operation], elapsed)
}

func (r *recorder) merge(other *recorder) {
	for op, values := range other.latencies {
		r.latencies[op] = append(r.latencies[op], values...)
	}
	for kind, n := range other.errors {
		r.errors[kind] += n
	}
}

// errorType names an error by its AWS error code and HTTP status, or as a
// transport error when no response came back.
func errorType(err error) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "canceled"
	}
	status := 0
	var responseErr *smithyhttp.ResponseError
	if errors.As(err, &responseErr) {
		status = responseErr.HTTPStatusCode()
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if status != 0 {
			return fmt.Sprintf("%s (HTTP %d)", apiErr.ErrorCode(), status)
		}
		return apiErr.ErrorCode()
	}
	if status != 0 {
		return fmt.Sprintf("HTTP %d", status)
	}
	var benchErr benchError
	if errors.As(err, &benchErr) {
		return string(benchErr)
	}
	return "transport"
}

// benchError is a failure the tool detects itself, such as a certificate
// that failed to issue.
type benchError string

func (e benchError) Error() string { return string(e) }

// iteration is one unit of a scenario's work done by worker number worker.
type iteration func(ctx context.Context, worker, n int, r *recorder) error

// inFlightGrace bounds how long a timed run waits for the iterations still
// in flight when its duration has passed, so a server that stops
// responding cannot hang the run.
const inFlightGrace = 30 * time.Second

// loop runs iterate on workers concurrently until duration passes or count
// iterations have started, whichever comes first, and returns the merged
// recorder and the time it took. Once duration has passed, workers start
// no new iteration but finish the one in flight (for at most
// inFlightGrace), and the time taken runs until the last one ends.
// Cancelling the calls in flight instead would leave the server working on
// them while the next run starts. In scripts/bench that run measures the
// other server, and moto spent about a third of a core for a second on the
// calls that a 16-worker run left behind.
func loop(ctx context.Context, workers int, duration time.Duration, count int, iterate iteration) (*recorder, time.Duration, int) {
	if duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, duration+inFlightGrace)
		defer cancel()
	}

	var started atomic.Int64
	recorders := make([]*recorder, workers)
	var wg sync.WaitGroup
	start := time.Now()
	running := func() bool {
		return ctx.Err() == nil && (duration <= 0 || time.Since(start) < duration)
	}
	for w := range workers {
		recorders[w] = newRecorder()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for running() {
				n := int(started.Add(1))
				if count > 0 && n > count {
					return
				}
				_ = iterate(ctx, w, n, recorders[w])
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	total := newRecorder()
	for _, r := range recorders {
		total.merge(r)
	}
	done := int(started.Load())
	if count > 0 && done > count {
		done = count
	}
	return total, elapsed, done
}

// operationStats are the numbers reported for one operation.
type operationStats struct {
	Count      int     `json:"count"`
	Throughput float64 `json:"throughput_per_s"`
	P50        float64 `json:"p50_ms"`
	P90        float64 `json:"p90_ms"`
	P99        float64 `json:"p99_ms"`
	Max        float64 `json:"max_ms"`
}

func summarize(values []time.Duration, elapsed time.Duration) operationStats {
	sorted := benchkit.SortLatencies(values)
	stats := operationStats{Count: len(sorted)}
	if elapsed > 0 {
		stats.Throughput = float64(len(sorted)) / elapsed.Seconds()
	}
	stats.P50 = sorted.Percentile(0.50)
	stats.P90 = sorted.Percentile(0.90)
	stats.P99 = sorted.Percentile(0.99)
	stats.Max = sorted.Max()
	return stats
}
