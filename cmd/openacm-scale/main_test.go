package main

import (
	"context"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseFlagsRejectsNonLoopback(t *testing.T) {
	cases := []string{"10.0.0.1:47150", "example.com:47150", "0.0.0.0:47150", "[2001:db8::1]:47150"}
	for _, listen := range cases {
		if _, err := parseFlags([]string{"-work-dir", t.TempDir(), "-listen", listen}, io.Discard); err == nil {
			t.Errorf("parseFlags -listen %s: error = nil, want a rejection", listen)
		}
	}
}

func TestParseFlagsAcceptsLoopback(t *testing.T) {
	for _, listen := range []string{"127.0.0.1:47150", "[::1]:47150", "localhost:47150"} {
		if _, err := parseFlags([]string{"-work-dir", t.TempDir(), "-listen", listen}, io.Discard); err != nil {
			t.Errorf("parseFlags -listen %s: %v", listen, err)
		}
	}
}

func TestParseFlagsCounts(t *testing.T) {
	opts, err := parseFlags([]string{"-work-dir", t.TempDir(), "-counts", "10, 200"}, io.Discard)
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	if len(opts.Counts) != 2 || opts.Counts[0] != 10 || opts.Counts[1] != 200 {
		t.Errorf("counts = %v, want [10 200]", opts.Counts)
	}

	for _, bad := range []string{"0", "ten", "10,,20"} {
		if _, err := parseFlags([]string{"-work-dir", t.TempDir(), "-counts", bad}, io.Discard); err == nil {
			t.Errorf("parseFlags -counts %q: error = nil, want a rejection", bad)
		}
	}
}

func TestCommonNamesDistinct(t *testing.T) {
	seen := map[string]bool{}
	for i := range 20000 {
		name := commonName(i)
		if seen[name] {
			t.Fatalf("commonName(%d) = %s repeats an earlier name", i, name)
		}
		seen[name] = true
	}
}

func TestRequestLatenciesFromServerLog(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "server.log")
	log := `{"time":"2026-12-05T13:00:00Z","level":"INFO","msg":"opened sqlite store","path":"x"}
{"time":"2026-12-05T13:00:01Z","level":"INFO","msg":"request","request_id":"a","operation":"ListCertificates","latency_ms":4.25}
{"time":"2026-12-05T13:00:01Z","level":"INFO","msg":"request","request_id":"b","operation":"ListCertificates","latency_ms":0.5}
{"time":"2026-12-05T13:00:01Z","level":"INFO","msg":"audit","request_id":"a","latency_ms":99}
not json
{"time":"2026-12-05T13:00:02Z","level":"INFO","msg":"request","request_id":"c","operation":"ListCertificates","latency_ms":7}
`
	if err := os.WriteFile(logPath, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := &server{logPath: logPath}

	got, err := srv.requestLatencies(map[string]bool{"a": true, "c": true, "missing": true})
	if err != nil {
		t.Fatalf("requestLatencies: %v", err)
	}
	want := map[string]time.Duration{"a": 4250 * time.Microsecond, "c": 7 * time.Millisecond}
	if !maps.Equal(got, want) {
		t.Errorf("requestLatencies = %v, want %v", got, want)
	}

	_, err = serverLatency(context.Background(), srv, []string{"a", "missing"})
	if err == nil || !strings.Contains(err.Error(), "has 1 of the 2 requests") {
		t.Errorf("serverLatency with a request missing from the log: error %v, want one that counts them", err)
	}
}

func TestParseCPUTicks(t *testing.T) {
	stat := "4242 (open acm) S 1 4242 4242 0 -1 4194560 1200 0 0 0 731 86 0 0 20 0 9 0 55 1000 200 18446744073709551615"
	ticks, parent, err := parseCPUTicks(stat)
	if err != nil {
		t.Fatalf("parseCPUTicks: %v", err)
	}
	if ticks != 817 {
		t.Errorf("parseCPUTicks ticks = %d, want 731 + 86 = 817", ticks)
	}
	if parent != 1 {
		t.Errorf("parseCPUTicks parent = %d, want 1", parent)
	}

	if _, _, err := parseCPUTicks("4242 (openacm) S 1 2"); err == nil {
		t.Error("parseCPUTicks of a short line: no error")
	}
}

func TestServerLatencyWaitsForLateLine(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "server.log")
	first := `{"msg":"request","request_id":"a","latency_ms":1}` + "\n"
	if err := os.WriteFile(logPath, []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(3 * logPoll)
		f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = f.WriteString(`{"msg":"request","request_id":"b","latency_ms":3}` + "\n")
	}()

	got, err := serverLatency(context.Background(), &server{logPath: logPath}, []string{"a", "b"})
	if err != nil {
		t.Fatalf("serverLatency: %v", err)
	}
	if got.Calls != 2 || got.Max != 3 {
		t.Errorf("serverLatency = %+v, want 2 calls with a max of 3 ms", got)
	}
}

func TestCPUTicksCountsChildren(t *testing.T) {
	// The shell only waits; its child does the work, as the key generator
	// child does for the server.
	cmd := exec.Command("sh", "-c", "yes >/dev/null & wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	srv := &server{cmd: cmd}

	before, err := srv.cpuTicks()
	if err != nil {
		t.Fatalf("cpuTicks: %v", err)
	}
	time.Sleep(500 * time.Millisecond)
	after, err := srv.cpuTicks()
	if err != nil {
		t.Fatalf("cpuTicks: %v", err)
	}
	if after-before < 10 {
		t.Errorf("cpuTicks grew by %d ticks in 0.5 s of a busy child, want at least 10", after-before)
	}
}
