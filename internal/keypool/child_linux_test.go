package keypool

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/issuance"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// waitFor polls condition until it holds, failing the test after timeout.
func waitFor(t *testing.T, what string, timeout time.Duration, condition func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached after %v", what, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// processGone reports whether no process pid exists, so a child that was
// waited for reads as gone.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// threadSchedule is how the kernel schedules one thread.
type threadSchedule struct {
	nice   int
	policy int
}

// threadSchedules returns the nice value and scheduling policy of each
// thread of pid, by thread id, from fields 19 and 41 of
// /proc/PID/task/TID/stat.
func threadSchedules(t *testing.T, pid int) map[int]threadSchedule {
	t.Helper()
	taskDir := filepath.Join("/proc", strconv.Itoa(pid), "task")
	entries, err := os.ReadDir(taskDir)
	if err != nil {
		t.Fatalf("list the threads of child %d: %v", pid, err)
	}
	schedules := map[int]threadSchedule{}
	for _, entry := range entries {
		tid, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(taskDir, entry.Name(), "stat"))
		if err != nil {
			t.Fatalf("read the stat of thread %d of child %d: %v", tid, pid, err)
		}
		// The command name in field 2 may hold spaces, so fields are
		// counted from its closing parenthesis, which ends field 2.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 39 {
			t.Fatalf("stat of thread %d has %d fields after the name, want at least 39: %q", tid, len(fields), stat)
		}
		nice, niceErr := strconv.Atoi(fields[16])
		policy, policyErr := strconv.Atoi(fields[38])
		if err := errors.Join(niceErr, policyErr); err != nil {
			t.Fatalf("nice or policy field of thread %d is not a number: %v", tid, err)
		}
		schedules[tid] = threadSchedule{nice: nice, policy: policy}
	}
	return schedules
}

func TestChildGeneratesPooledKeys(t *testing.T) {
	pool := startPool(t, Options{Sizes: map[string]int{issuance.ECP256: 8, issuance.RSA2048: 2}, Generators: 2})
	waitFull(t, pool, issuance.ECP256, 8)
	waitFull(t, pool, issuance.RSA2048, 2)

	seen := map[string]bool{}
	for _, algorithm := range []string{issuance.ECP256, issuance.ECP256, issuance.ECP256, issuance.RSA2048, issuance.RSA2048} {
		key, err := pool.Take(context.Background(), algorithm)
		if err != nil {
			t.Fatalf("Take(%s): %v", algorithm, err)
		}
		checkKey(t, key, algorithm)
		if seen[string(key.PEM)] {
			t.Fatal("Take returned the same key twice")
		}
		seen[string(key.PEM)] = true
	}

	stats := pool.Stats()
	if stats.FromChild == 0 || stats.FromChild != stats.Generated {
		t.Fatalf("stats = %+v, want every generated key from the child", stats)
	}
	if os.Getenv(childEnv) != "" {
		t.Fatalf("%s is set in the parent's environment", childEnv)
	}
}

func TestChildKeysAddNoProcessors(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	pool := startPool(t, Options{Sizes: map[string]int{issuance.ECP256: 4}, Generators: 2})
	waitFull(t, pool, issuance.ECP256, 4)

	if stats := pool.Stats(); stats.FromChild != stats.Generated {
		t.Fatalf("stats = %+v, want every key from the child", stats)
	}
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Errorf("GOMAXPROCS = %d after the child generated every key, want %d as before", got, before)
	}
}

func TestChildThreadsRunAtLowestPriority(t *testing.T) {
	generator := newChildGenerator(testLogger(t))
	t.Cleanup(generator.stop)

	// Keys generated at once make the child's runtime start more threads.
	var group sync.WaitGroup
	for range 4 {
		group.Go(func() {
			key, err := generator.generate(issuance.RSA2048)
			if err != nil {
				t.Errorf("generate: %v", err)
				return
			}
			clear(key.pem)
		})
	}
	group.Wait()

	pid := generator.pid()
	if pid == 0 {
		t.Fatal("no child runs after generating keys")
	}
	schedules := threadSchedules(t, pid)
	if len(schedules) < 2 {
		t.Fatalf("child %d has %d threads, want the several a Go runtime starts", pid, len(schedules))
	}
	for tid, schedule := range schedules {
		if schedule.nice != generatorNice || schedule.policy != schedIdle {
			t.Errorf("thread %d of child %d runs at nice %d in policy %d, want nice %d in SCHED_IDLE (%d)",
				tid, pid, schedule.nice, schedule.policy, generatorNice, schedIdle)
		}
	}
	own := threadSchedules(t, os.Getpid())[syscall.Gettid()]
	if own.nice == generatorNice || own.policy == schedIdle {
		t.Errorf("the test's own thread runs at nice %d in policy %d after starting the child, want its own unchanged", own.nice, own.policy)
	}
}

// TestChildPipesDoNotBlock checks that the child reads and writes its
// pipes in non-blocking mode, through the Go runtime's poller, so a
// goroutine waiting for the next request holds no thread in a system call.
func TestChildPipesDoNotBlock(t *testing.T) {
	generator := newChildGenerator(testLogger(t))
	t.Cleanup(generator.stop)

	key, err := generator.generate(issuance.ECP256)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	clear(key.pem)

	pid := generator.pid()
	if pid == 0 {
		t.Fatal("no child runs after generating a key")
	}
	for _, fd := range []int{childRequestsFD, childResponsesFD} {
		path := fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd)
		info, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		flags, ok := fdinfoFlags(string(info))
		if !ok {
			t.Fatalf("%s has no flags line: %q", path, info)
		}
		if flags&syscall.O_NONBLOCK == 0 {
			t.Errorf("descriptor %d of child %d has flags %#o, want O_NONBLOCK (%#o) set", fd, pid, flags, syscall.O_NONBLOCK)
		}
	}
}

// fdinfoFlags returns the octal flags field of a /proc/PID/fdinfo file.
func fdinfoFlags(info string) (int64, bool) {
	for line := range strings.Lines(info) {
		value, found := strings.CutPrefix(line, "flags:")
		if !found {
			continue
		}
		flags, err := strconv.ParseInt(strings.TrimSpace(value), 8, 64)
		return flags, err == nil
	}
	return 0, false
}

func TestChildStopsWhenPoolIsFull(t *testing.T) {
	pool := startPool(t, Options{Sizes: map[string]int{issuance.ECP256: 4}, Generators: 2})
	waitFull(t, pool, issuance.ECP256, 4)
	waitFor(t, "child stopped once the pool is full", 10*time.Second, func() bool { return pool.child.pid() == 0 })
	if starts := pool.child.startCount(); starts != 1 {
		t.Fatalf("pool started %d children to fill, want 1", starts)
	}

	key, err := pool.Take(context.Background(), issuance.ECP256)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	checkKey(t, key, issuance.ECP256)
	waitFull(t, pool, issuance.ECP256, 4)
	waitFor(t, "child stopped once the pool is full again", 10*time.Second, func() bool { return pool.child.pid() == 0 })

	if starts := pool.child.startCount(); starts != 2 {
		t.Fatalf("pool started %d children, want a second one for the taken key", starts)
	}
	if stats := pool.Stats(); stats.FromChild != 5 {
		t.Fatalf("FromChild = %d, want 5", stats.FromChild)
	}
}

func TestKilledChildIsReplaced(t *testing.T) {
	// The closed gate holds the generators after the child sent their keys, so
	// the child stays up, idle, until the test kills it.
	gate := make(chan struct{})
	pool := startPool(t, Options{Sizes: map[string]int{issuance.ECP256: 2}, Generators: 2, Sealer: gatedSeal{testKeyring(t), gate}})
	pool.child.mu.Lock()
	pool.child.retryDelay = 50 * time.Millisecond
	pool.child.mu.Unlock()

	var pid int
	waitFor(t, "child started", 10*time.Second, func() bool { pid = pool.child.pid(); return pid != 0 })
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill child %d: %v", pid, err)
	}
	waitFor(t, "killed child waited for", 10*time.Second, func() bool { return pool.child.pid() == 0 && processGone(pid) })
	close(gate)

	for range 6 {
		key, err := pool.Take(context.Background(), issuance.ECP256)
		if err != nil {
			t.Fatalf("Take after the child was killed: %v", err)
		}
		checkKey(t, key, issuance.ECP256)
		time.Sleep(20 * time.Millisecond)
	}
	waitFor(t, "a new child generated keys", 10*time.Second, func() bool {
		return pool.child.startCount() >= 2 && pool.Stats().FromChild > 2
	})
}

// runningChild returns a generator whose child has generated one key, and
// that child.
func runningChild(t *testing.T) (*childGenerator, *childProcess) {
	t.Helper()
	generator := newChildGenerator(testLogger(t))
	t.Cleanup(generator.stop)
	if _, err := generator.generate(issuance.ECP256); err != nil {
		t.Fatalf("generate: %v", err)
	}
	generator.mu.Lock()
	defer generator.mu.Unlock()
	return generator, generator.process
}

func TestKilledChildFailsRequestInFlight(t *testing.T) {
	generator, process := runningChild(t)

	// An RSA-4096 key at nice 19 takes far longer than the kill below.
	failed := make(chan error, 1)
	go func() {
		_, err := generator.generate(issuance.RSA4096)
		failed <- err
	}()
	waitFor(t, "request in flight", 10*time.Second, func() bool {
		process.mu.Lock()
		defer process.mu.Unlock()
		return len(process.calls) == 1
	})
	if err := syscall.Kill(process.pid(), syscall.SIGKILL); err != nil {
		t.Fatalf("kill child: %v", err)
	}

	select {
	case err := <-failed:
		if !errors.Is(err, errChildExited) {
			t.Fatalf("generate = %v, want an error wrapping errChildExited", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("request in flight still waits 10s after its child was killed")
	}
	if _, err := generator.generate(issuance.ECP256); !errors.Is(err, errChildUnavailable) {
		t.Fatalf("generate right after the child died = %v, want errChildUnavailable until the retry delay passed", err)
	}
}

// runUntilChildStarts runs pool until its child has started. It returns
// the function that ends Run, a channel closed once Run returned, and the
// child's process id.
func runUntilChildStarts(t *testing.T, pool *Pool) (context.CancelFunc, <-chan struct{}, int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan struct{})
	go func() {
		defer close(done)
		pool.Run(ctx)
	}()

	var pid int
	waitFor(t, "child started", 10*time.Second, func() bool { pid = pool.child.pid(); return pid != 0 })
	return cancel, done, pid
}

func TestRunEndStopsChild(t *testing.T) {
	gate := make(chan struct{})
	pool, err := New(Options{Sizes: map[string]int{issuance.ECP256: 2}, Sealer: gatedSeal{testKeyring(t), gate}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	cancel, done, pid := runUntilChildStarts(t, pool)
	cancel()
	close(gate)
	<-done

	if !processGone(pid) {
		t.Fatalf("child %d still exists after Run returned", pid)
	}
	if got := pool.child.pid(); got != 0 {
		t.Fatalf("pool still records child %d after Run returned", got)
	}
}

func TestChildUnavailableFallsBackInProcess(t *testing.T) {
	pool, err := New(Options{Sizes: map[string]int{issuance.ECP256: 2}, Sealer: testKeyring(t)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	pool.child.retryAt = time.Now().Add(time.Hour)
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	runPool(t, pool)

	waitFull(t, pool, issuance.ECP256, 2)
	if got, want := runtime.GOMAXPROCS(0), before+pool.options.Generators; got != want {
		t.Errorf("GOMAXPROCS = %d after keys were generated in process, want %d, one more per generator", got, want)
	}
	key, err := pool.Take(context.Background(), issuance.ECP256)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	checkKey(t, key, issuance.ECP256)
	if stats := pool.Stats(); stats.FromChild != 0 || stats.Generated < 2 {
		t.Fatalf("stats = %+v, want keys generated in process only", stats)
	}
}

func TestChildServesRequestsOverPipes(t *testing.T) {
	requestsRead, requestsWrite := io.Pipe()
	responsesRead, responsesWrite := io.Pipe()
	served := make(chan error, 1)
	go func() { served <- serveKeyRequests(requestsRead, responsesWrite) }()

	requests := []keyRequest{{id: 7, algorithm: issuance.ECP256}, {id: 9, algorithm: "DSA_1024"}}
	for _, request := range requests {
		frame, err := encodeRequest(request)
		if err != nil {
			t.Fatalf("encodeRequest: %v", err)
		}
		if _, err := requestsWrite.Write(frame); err != nil {
			t.Fatalf("write request: %v", err)
		}
	}

	responses := map[uint64]keyResponse{}
	for range requests {
		payload, err := readFrame(responsesRead)
		if err != nil {
			t.Fatalf("readFrame: %v", err)
		}
		response, err := decodeResponse(payload)
		if err != nil {
			t.Fatalf("decodeResponse: %v", err)
		}
		responses[response.id] = response
	}
	requestsWrite.Close()
	if err := <-served; err != nil {
		t.Fatalf("serveKeyRequests after the requests closed = %v, want nil", err)
	}

	result := parseResponse(responses[7])
	if result.err != nil {
		t.Fatalf("response 7: %v", result.err)
	}
	checkKey(t, Key{PEM: result.key.pem, Public: result.key.public}, issuance.ECP256)
	if !strings.Contains(responses[9].err, "DSA_1024") {
		t.Fatalf("response 9 error = %q, want one naming DSA_1024", responses[9].err)
	}
}

func TestFrameOverLimitIsRejected(t *testing.T) {
	var header [frameHeaderSize]byte
	binary.BigEndian.PutUint32(header[:], maxFrameSize+1)
	if _, err := readFrame(bytes.NewReader(header[:])); err == nil {
		t.Fatal("readFrame accepted a frame over the limit")
	}
	if _, err := encodeResponse(keyResponse{id: 1, pem: make([]byte, maxFrameSize)}); err == nil {
		t.Fatal("encodeResponse built a frame over the limit")
	}
}

func TestMalformedResponsesAreRejected(t *testing.T) {
	cases := map[string][]byte{
		"short":              {0, 0, 0},
		"unknown status":     append(make([]byte, requestIDSize), 9),
		"no PEM length":      append(make([]byte, requestIDSize), keyGenerated, 0),
		"PEM length too big": append(make([]byte, requestIDSize), keyGenerated, 0, 0, 1, 0, 'x'),
	}
	for name, payload := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeResponse(payload); err == nil {
				t.Fatal("decodeResponse accepted a malformed response")
			}
		})
	}
	if _, err := readFrame(bytes.NewReader([]byte{0, 0, 0, 8, 1, 2})); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("readFrame of a cut frame = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestRequestDuringStopIsAnswered(t *testing.T) {
	generator, process := runningChild(t)

	generated := make(chan error, 1)
	go func() {
		key, err := generator.generate(issuance.RSA2048)
		clear(key.pem)
		generated <- err
	}()
	waitFor(t, "request in flight", 10*time.Second, func() bool {
		process.mu.Lock()
		defer process.mu.Unlock()
		return len(process.calls) == 1
	})
	generator.stop()
	if err := <-generated; err != nil {
		t.Fatalf("request sent before the stop = %v, want a key", err)
	}

	// A call that still holds the stopped child moves on to a new one.
	key, err := process.generate(issuance.ECP256)
	if !errors.Is(err, errChildStopping) {
		t.Fatalf("stopped child's generate = %v, want errChildStopping", err)
	}
	clear(key.pem)
	if _, err := generator.generate(issuance.ECP256); err != nil {
		t.Fatalf("generate after the stop: %v", err)
	}
	if starts := generator.startCount(); starts != 2 {
		t.Fatalf("generator started %d children, want 2", starts)
	}
}

// TestStoppedChildIsKilled stops the child with SIGSTOP while it holds a
// request. The request must fail within the response timeout, and the
// child must be killed.
func TestStoppedChildIsKilled(t *testing.T) {
	generator := newChildGenerator(testLogger(t))
	generator.responseTimeout = 300 * time.Millisecond
	t.Cleanup(generator.stop)
	if _, err := generator.generate(issuance.ECP256); err != nil {
		t.Fatalf("generate: %v", err)
	}
	pid := generator.pid()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("stop child: %v", err)
	}

	failed := make(chan error, 1)
	go func() {
		_, err := generator.generate(issuance.ECP256)
		failed <- err
	}()
	select {
	case err := <-failed:
		if !errors.Is(err, errChildExited) {
			t.Fatalf("generate from a stopped child = %v, want an error wrapping errChildExited", err)
		}
	case <-time.After(10 * time.Second):
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatal("request to a stopped child still waits after 10 s")
	}
	waitFor(t, "stopped child killed", 10*time.Second, func() bool { return processGone(pid) })
}

// TestRunEndKillsStoppedChild cancels Run while the child is stopped with
// SIGSTOP. Run must return, after childStopTimeout, with the child gone.
func TestRunEndKillsStoppedChild(t *testing.T) {
	pool, err := New(Options{Sizes: map[string]int{issuance.RSA4096: 4}, Sealer: testKeyring(t)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	cancel, done, pid := runUntilChildStarts(t, pool)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("stop child: %v", err)
	}
	cancel()

	select {
	case <-done:
	case <-time.After(childStopTimeout + 10*time.Second):
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatal("Run did not return after its context ended while the child was stopped")
	}
	if !processGone(pid) {
		t.Fatalf("child %d still exists after Run returned", pid)
	}
}

func TestChildRequestedOnlyByParent(t *testing.T) {
	t.Setenv(childEnv, "1")
	if childRequested() {
		t.Error("childRequested with a value that names no parent = true, want false")
	}
	if _, ok := os.LookupEnv(childEnv); ok {
		t.Errorf("%s is still set after it named another process", childEnv)
	}

	t.Setenv(childEnv, strconv.Itoa(os.Getppid()))
	if !childRequested() {
		t.Error("childRequested with the parent's process id = false, want true")
	}
}

func TestChildOutputLogsLines(t *testing.T) {
	var logs bytes.Buffer
	output := &childOutput{logger: slog.New(slog.NewJSONHandler(&logs, nil))}

	for _, chunk := range []string{"first li", "ne\nsecond line\n", strings.Repeat("x", maxChildOutputLine+10)} {
		if n, err := output.Write([]byte(chunk)); err != nil || n != len(chunk) {
			t.Fatalf("Write(%d bytes) = %d, %v", len(chunk), n, err)
		}
	}

	var lines []string
	for _, record := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry struct{ Line string }
		if err := json.Unmarshal([]byte(record), &entry); err != nil {
			t.Fatalf("log record %q: %v", record, err)
		}
		lines = append(lines, entry.Line)
	}
	want := []string{"first line", "second line", strings.Repeat("x", maxChildOutputLine)}
	if !slices.Equal(lines, want) {
		t.Errorf("logged lines = %q, want %q", lines, want)
	}
	if got := string(output.pending); got != strings.Repeat("x", 10) {
		t.Errorf("pending output = %q, want the 10 bytes past the limit", got)
	}
}
