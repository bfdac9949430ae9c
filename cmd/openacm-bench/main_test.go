package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/app"
	"github.com/openacm/openacm/internal/config"
)

func startServer(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = listener.Addr().String()
	cfg.AutoValidateDelay = 50 * time.Millisecond
	running, err := app.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{Listener: listener})
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := running.Close(ctx); err != nil {
			t.Errorf("stop server: %v", err)
		}
	})
	return running.URL()
}

func TestScenariosAgainstServer(t *testing.T) {
	endpoint := startServer(t)
	jsonPath := filepath.Join(t.TempDir(), "results.jsonl")
	opts, err := parseFlags([]string{
		"-endpoint", endpoint, "-scenario", "all", "-workers", "2", "-count", "6",
		"-duration", "30s", "-certificates", "12", "-page-size", "5",
		"-key-algorithm", "EC_prime256v1", "-label", "test", "-json", jsonPath,
	}, io.Discard)
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}

	var out strings.Builder
	if err := run(context.Background(), opts, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}

	results := readResults(t, jsonPath)
	if len(results) != len(scenarios) {
		t.Fatalf("got %d JSON results, want %d", len(results), len(scenarios))
	}
	for _, res := range results {
		t.Run(res.Scenario, func(t *testing.T) {
			if res.Failed != "" || res.ErrorCount != 0 {
				t.Errorf("failed %q, errors %v", res.Failed, res.Errors)
			}
			if res.Iterations != 6 {
				t.Errorf("iterations = %d, want 6", res.Iterations)
			}
			if head := res.Operations[res.Headline]; head.Count == 0 {
				t.Errorf("no %s recorded: %+v", res.Headline, res.Operations)
			}
			if !strings.Contains(out.String(), "summary: target=test scenario="+res.Scenario+" ") {
				t.Errorf("no summary line for %s in output:\n%s", res.Scenario, out.String())
			}
		})
	}
	if got := results[scenarioIndex("list")].Operations["ListCertificates"].Count; got != 6*3 {
		t.Errorf("list made %d ListCertificates calls, want 18 (three pages of 5 per walk of 12)", got)
	}
	private := results[scenarioIndex("request-private")]
	if got := private.Operations["Issued"].Count; got != 6 {
		t.Errorf("request-private issued %d, want 6", got)
	}
	span := private.Extra["issue_seconds"]
	if span <= 0 {
		t.Errorf("request-private issue_seconds = %v, want above 0", span)
	}
	if got, want := private.Operations["Issued"].Throughput, 6/span; got != want {
		t.Errorf("request-private Issued rate = %v/s, want %v/s (6 over issue_seconds)", got, want)
	}
	if got := private.Extra["describe_calls"]; got < 6 {
		t.Errorf("request-private describe_calls = %v, want at least 6", got)
	}
}

func scenarioIndex(name string) int {
	for i, s := range scenarios {
		if s.name == name {
			return i
		}
	}
	return -1
}

func readResults(t *testing.T, path string) []result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open results: %v", err)
	}
	defer f.Close()
	var results []result
	scanner := bufio.NewScanner(f)
	scanner.Buffer(nil, 1<<20)
	for scanner.Scan() {
		var res result
		if err := json.Unmarshal(scanner.Bytes(), &res); err != nil {
			t.Fatalf("decode %q: %v", scanner.Text(), err)
		}
		results = append(results, res)
	}
	return results
}

func TestEndpointMustBeLoopback(t *testing.T) {
	cases := []struct {
		endpoint string
		ok       bool
	}{
		{"http://127.0.0.1:4566", true},
		{"http://127.9.9.9:80", true},
		{"http://[::1]:4566", true},
		{"http://localhost:4566", true},
		{"https://acm.us-east-1.amazonaws.com", false},
		{"http://10.0.0.1:4566", false},
		{"http://169.254.169.254", false},
		{"http://127.0.0.1.example.com", false},
		{"ftp://127.0.0.1", false},
	}
	for _, tc := range cases {
		t.Run(tc.endpoint, func(t *testing.T) {
			_, err := parseFlags([]string{"-endpoint", tc.endpoint}, io.Discard)
			if (err == nil) != tc.ok {
				t.Errorf("parseFlags(-endpoint %s) error = %v, want ok %v", tc.endpoint, err, tc.ok)
			}
		})
	}
}
