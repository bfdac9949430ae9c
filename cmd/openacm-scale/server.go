package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a running openacm process.
type server struct {
	cmd          *exec.Cmd
	endpoint     string
	startToReady time.Duration
	done         chan error
	stopped      bool
	// logPath is the server's JSON log, with a line per request.
	logPath string
}

// readyTimeout bounds the wait for /readyz. Opening a large database
// checks every sealed key first, which takes a while at a million rows.
const readyTimeout = 15 * time.Minute

// startServer starts binary on dataDir and waits until /readyz returns 200.
// The server's log, in JSON, goes to DIR-server.log next to the data dir.
func startServer(ctx context.Context, binary, dataDir, listen string) (*server, error) {
	logFile, err := os.Create(filepath.Join(filepath.Dir(dataDir), filepath.Base(dataDir)+"-server.log"))
	if err != nil {
		return nil, fmt.Errorf("create server log: %w", err)
	}

	cmd := exec.Command(binary, "serve", "--listen", listen, "--data-dir", dataDir, "--log-format", "json")
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	started := time.Now()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	s := &server{cmd: cmd, endpoint: "http://" + listen, done: make(chan error, 1), logPath: logFile.Name()}
	go func() {
		s.done <- cmd.Wait()
		logFile.Close()
	}()

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case err := <-s.done:
			s.stopped = true
			return nil, fmt.Errorf("%s exited before it was ready (see %s): %v", binary, logFile.Name(), err)
		case <-ctx.Done():
			_ = s.stop()
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		resp, err := client.Get(s.endpoint + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.startToReady = time.Since(started)
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			_ = s.stop()
			return nil, fmt.Errorf("%s not ready after %s (see %s)", binary, readyTimeout, logFile.Name())
		}
	}
}

// stop ends the server with SIGTERM, and kills it when it has not exited
// within a minute.
func (s *server) stop() error {
	if s.stopped {
		return nil
	}
	s.stopped = true
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop server: %w", err)
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("server did not stop within a minute of SIGTERM and was killed")
	}
}

// rss returns the server's resident set size (VmRSS) in bytes.
func (s *server) rss() (int64, error) {
	return s.statusBytes("VmRSS")
}

// peakRSS returns the server's peak resident set size (VmHWM) in bytes.
func (s *server) peakRSS() (int64, error) {
	return s.statusBytes("VmHWM")
}

// statusBytes reads a "kB" field of /proc/PID/status.
func (s *server) statusBytes(field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read server memory: %w", err)
	}
	defer f.Close()

	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		name, value, ok := strings.Cut(scanner.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s %q: %w", field, value, err)
		}
		return kb * 1024, nil
	}
	if err := scanner.Err(); err != nil {
		return 0, fmt.Errorf("read server memory: %w", err)
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, s.cmd.Process.Pid)
}

// databaseBytes returns the size of the SQLite database and its WAL.
func databaseBytes(dataDir string) (int64, error) {
	var total int64
	for _, name := range []string{"openacm.db", "openacm.db-wal"} {
		info, err := os.Stat(filepath.Join(dataDir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("measure database: %w", err)
		}
		total += info.Size()
	}
	return total, nil
}

// requestLatencies returns the latency the server logged for each request
// ID in ids. The server times a call from the start of its handler to the
// last byte of the response written to the socket.
func (s *server) requestLatencies(ids map[string]bool) (map[string]time.Duration, error) {
	f, err := os.Open(s.logPath)
	if err != nil {
		return nil, fmt.Errorf("read server log: %w", err)
	}
	defer f.Close()

	latencies := make(map[string]time.Duration, len(ids))
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		var line struct {
			Msg       string  `json:"msg"`
			RequestID string  `json:"request_id"`
			LatencyMS float64 `json:"latency_ms"`
		}
		if json.Unmarshal(scanner.Bytes(), &line) != nil || line.Msg != "request" || !ids[line.RequestID] {
			continue
		}
		latencies[line.RequestID] = time.Duration(line.LatencyMS * float64(time.Millisecond))
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("read server log %s: %w", s.logPath, err)
	}
	return latencies, nil
}

// idleCPUTicks is the most CPU time, in clock ticks of 10 ms, that an idle
// server uses in one idleWindow, 5 % of a core.
const (
	idleWindow   = time.Second
	idleCPUTicks = 5
)

// waitIdle waits at least minWait, then until the server used less than
// idleCPUTicks of CPU time in one idleWindow, and returns how long it
// waited. It fails after maxWait.
func (s *server) waitIdle(ctx context.Context, minWait, maxWait time.Duration) (time.Duration, error) {
	started := time.Now()
	if err := sleep(ctx, minWait); err != nil {
		return 0, err
	}

	before, err := s.cpuTicks()
	if err != nil {
		return 0, err
	}
	for {
		if err := sleep(ctx, idleWindow); err != nil {
			return 0, err
		}
		now, err := s.cpuTicks()
		if err != nil {
			return 0, err
		}
		if now-before < idleCPUTicks {
			return time.Since(started), nil
		}
		if time.Since(started) > maxWait {
			return 0, fmt.Errorf("server still used %d ticks of CPU a second after %s; see %s", now-before, maxWait, s.logPath)
		}
		before = now
	}
}

// cpuTicks returns the user and system CPU time of the server and of its
// running child processes, such as the key generator, in clock ticks.
func (s *server) cpuTicks() (int64, error) {
	pid := s.cmd.Process.Pid
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read server CPU time: %w", err)
	}
	total, _, err := parseCPUTicks(string(data))
	if err != nil {
		return 0, err
	}

	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("list processes: %w", err)
	}
	for _, entry := range entries {
		if _, err := strconv.Atoi(entry.Name()); err != nil {
			continue
		}
		// A process may exit between the listing and the read.
		data, err := os.ReadFile(filepath.Join("/proc", entry.Name(), "stat"))
		if err != nil {
			continue
		}
		ticks, parent, err := parseCPUTicks(string(data))
		if err == nil && parent == pid {
			total += ticks
		}
	}
	return total, nil
}

// parseCPUTicks returns utime plus stime, and the parent process id, of a
// /proc/PID/stat line. The command name in parentheses may contain
// spaces, so fields are counted from the last ")".
func parseCPUTicks(stat string) (ticks int64, parent int, err error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, 0, fmt.Errorf("invalid /proc stat line %q", stat)
	}
	// After the name come state (field 3), the parent id (field 4) and so
	// on; utime and stime are fields 14 and 15.
	fields := strings.Fields(stat[end+1:])
	if len(fields) < 13 {
		return 0, 0, fmt.Errorf("invalid /proc stat line %q: %d fields after the name", stat, len(fields))
	}
	parent, err = strconv.Atoi(fields[1])
	if err != nil {
		return 0, 0, fmt.Errorf("invalid parent id %q in /proc stat line: %w", fields[1], err)
	}
	for _, field := range fields[11:13] {
		value, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("invalid CPU time %q in /proc stat line: %w", field, err)
		}
		ticks += value
	}
	return ticks, parent, nil
}
