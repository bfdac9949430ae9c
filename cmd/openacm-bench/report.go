package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// result is the outcome of one scenario against one target; -json writes
// it as one line.
type result struct {
	Time         string                    `json:"time"`
	Label        string                    `json:"label"`
	Endpoint     string                    `json:"endpoint"`
	Scenario     string                    `json:"scenario"`
	Workers      int                       `json:"workers"`
	KeyAlgorithm string                    `json:"key_algorithm,omitempty"`
	Seconds      float64                   `json:"seconds"`
	Iterations   int                       `json:"iterations"`
	Headline     string                    `json:"headline"`
	Rate         float64                   `json:"rate_per_s"`
	Operations   map[string]operationStats `json:"operations"`
	Errors       map[string]int            `json:"errors"`
	ErrorCount   int                       `json:"error_count"`
	Extra        map[string]float64        `json:"extra,omitempty"`
	// ClientRetries counts calls retried after the client closed its own
	// connection. They are not errors of the target; see newClosedConnRetryer.
	ClientRetries int64 `json:"client_retries"`
	// Failed is set when set-up or the final wait failed, so the numbers
	// are not comparable.
	Failed string `json:"failed,omitempty"`
}

func (res *result) addErrors(errs map[string]int) {
	for kind, n := range errs {
		res.Errors[kind] += n
		res.ErrorCount += n
	}
}

// run runs each selected scenario in turn and prints its report.
func run(ctx context.Context, opts options, out io.Writer) error {
	b := newBench(opts)
	if opts.Drain {
		return drain(ctx, b, out)
	}

	failed := 0
	for _, name := range opts.Scenarios {
		s, _ := findScenario(name)
		res := runScenario(ctx, b, s)
		printResult(out, res)
		if opts.JSONPath != "" {
			if err := appendJSON(opts.JSONPath, res); err != nil {
				return err
			}
		}
		if res.Failed != "" {
			failed++
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d scenarios failed", failed, len(opts.Scenarios))
	}
	return nil
}

func runScenario(ctx context.Context, b *bench, s scenario) *result {
	opts := b.opts
	res := &result{
		Time: time.Now().UTC().Format(time.RFC3339), Label: opts.Label, Endpoint: opts.Endpoint,
		Scenario: s.name, Workers: opts.Workers, Headline: s.headline,
		Operations: map[string]operationStats{}, Errors: map[string]int{},
	}
	if strings.Contains(s.name, "private") || s.name == "time-to-issued" {
		res.KeyAlgorithm = opts.KeyAlgorithm
	}

	iterate, err := s.prepare(ctx, b)
	if err != nil {
		res.Failed = "set-up: " + err.Error()
		return res
	}
	start := time.Now()
	retriesBefore := b.closedConnRetries.Load()
	rec, elapsed, iterations := loop(ctx, opts.Workers, opts.Duration, opts.Count, iterate)
	res.ClientRetries = b.closedConnRetries.Load() - retriesBefore
	res.Iterations = iterations
	res.addErrors(rec.errors)
	for op, values := range rec.latencies {
		res.Operations[op] = summarize(values, elapsed)
	}
	res.Seconds = elapsed.Seconds()

	if s.finish != nil {
		if err := s.finish(ctx, b, res, start); err != nil {
			res.Failed = err.Error()
		}
	}
	res.Rate = res.Operations[s.headline].Throughput
	return res
}

func printResult(out io.Writer, res *result) {
	fmt.Fprintf(out, "\n== %s against %s: %d workers, %.1f s, %d iterations\n", res.Scenario, res.Label, res.Workers, res.Seconds, res.Iterations)
	if res.Failed != "" {
		fmt.Fprintf(out, "FAILED: %s\n", res.Failed)
	}
	fmt.Fprintf(out, "%-22s %8s %10s %9s %9s %9s %9s\n", "operation", "count", "per s", "p50 ms", "p90 ms", "p99 ms", "max ms")
	for _, op := range sortedKeys(res.Operations) {
		st := res.Operations[op]
		fmt.Fprintf(out, "%-22s %8d %10.1f %9.2f %9.2f %9.2f %9.2f\n", op, st.Count, st.Throughput, st.P50, st.P90, st.P99, st.Max)
	}
	for _, kind := range sortedKeys(res.Errors) {
		fmt.Fprintf(out, "error %-40s %d\n", kind, res.Errors[kind])
	}
	if res.ClientRetries > 0 {
		fmt.Fprintf(out, "client retries after the client closed its own connection: %d\n", res.ClientRetries)
	}
	head := res.Operations[res.Headline]
	fmt.Fprintf(out, "summary: target=%s scenario=%s workers=%d %s=%.1f/s p50=%.2fms p99=%.2fms errors=%d\n",
		res.Label, res.Scenario, res.Workers, res.Headline, res.Rate, head.P50, head.P99, res.ErrorCount)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func appendJSON(path string, res *result) error {
	line, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open -json file: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write -json file: %w", err)
	}
	return f.Close()
}
