package keypool

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/issuance"
	"github.com/openacm/openacm/internal/keys"
)

func testKeyring(t *testing.T) *keys.Keyring {
	t.Helper()
	master := make([]byte, keys.KeySize)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	keyring, err := keys.NewKeyring(master)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return keyring
}

// startPool runs a pool until the test ends.
func startPool(t *testing.T, options Options) *Pool {
	t.Helper()
	if options.Sealer == nil {
		options.Sealer = testKeyring(t)
	}
	pool, err := New(options)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	runPool(t, pool)
	return pool
}

// runPool runs pool until the test ends.
func runPool(t *testing.T, pool *Pool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		pool.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	for !pool.isRunning() {
		time.Sleep(time.Millisecond)
	}
}

// waitFull waits until the pool holds want keys of algorithm.
func waitFull(t *testing.T, pool *Pool, algorithm string, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for pool.Stats().Ready[algorithm] < want {
		if time.Now().After(deadline) {
			t.Fatalf("pool holds %d %s keys after 30s, want %d", pool.Stats().Ready[algorithm], algorithm, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// checkKey checks that key.PEM is a key of algorithm whose public key is key.Public.
func checkKey(t *testing.T, key Key, algorithm string) {
	t.Helper()
	signer, err := issuance.ParsePrivateKey(key.PEM)
	if err != nil {
		t.Fatalf("ParsePrivateKey: %v", err)
	}
	got, err := issuance.KeyAlgorithmOf(signer.Public())
	if err != nil || got != algorithm {
		t.Fatalf("key algorithm = %q (%v), want %s", got, err, algorithm)
	}
	type equaler interface {
		Equal(other crypto.PublicKey) bool
	}
	if !signer.Public().(equaler).Equal(key.Public) {
		t.Fatal("Public does not match the key in PEM")
	}
}

func TestNilPoolGeneratesInline(t *testing.T) {
	var pool *Pool
	key, err := pool.Take(context.Background(), issuance.ECP256)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	checkKey(t, key, issuance.ECP256)
	release := pool.Hold()
	release()
}

func TestNewRejectsBadSizes(t *testing.T) {
	cases := map[string]map[string]int{
		"negative size":     {issuance.RSA2048: -1},
		"unknown algorithm": {"DSA_1024": 4},
	}
	for name, sizes := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := New(Options{Sizes: sizes, Sealer: testKeyring(t)}); err == nil {
				t.Fatal("New returned no error")
			}
		})
	}
	if _, err := New(Options{Sizes: map[string]int{issuance.ECP256: 1}}); err == nil {
		t.Fatal("New without a sealer returned no error")
	}
}

func TestPoolFillsAndRefills(t *testing.T) {
	pool := startPool(t, Options{Sizes: map[string]int{issuance.ECP256: 4, issuance.RSA2048: 1}, Generators: 2})
	waitFull(t, pool, issuance.ECP256, 4)
	waitFull(t, pool, issuance.RSA2048, 1)

	for _, algorithm := range []string{issuance.ECP256, issuance.RSA2048} {
		key, err := pool.Take(context.Background(), algorithm)
		if err != nil {
			t.Fatalf("Take(%s): %v", algorithm, err)
		}
		checkKey(t, key, algorithm)
	}
	waitFull(t, pool, issuance.ECP256, 4)
	waitFull(t, pool, issuance.RSA2048, 1)

	stats := pool.Stats()
	if stats.Taken != 2 || stats.Inline != 0 {
		t.Fatalf("stats = %+v, want 2 taken from the pool and none generated inline", stats)
	}
	if stats.Ready[issuance.ECP256] > 4 {
		t.Fatalf("pool holds %d keys, more than its size 4", stats.Ready[issuance.ECP256])
	}
}

func TestPoolHandsOutEachKeyOnce(t *testing.T) {
	pool := startPool(t, Options{Sizes: map[string]int{issuance.ECP256: 8}, Generators: 2})
	waitFull(t, pool, issuance.ECP256, 8)

	const takers, perTaker = 8, 25
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
		wg   sync.WaitGroup
	)
	for range takers {
		wg.Go(func() {
			for range perTaker {
				key, err := pool.Take(context.Background(), issuance.ECP256)
				if err != nil {
					t.Errorf("Take: %v", err)
					return
				}
				mu.Lock()
				if seen[string(key.PEM)] {
					t.Error("a key was handed out twice")
				}
				seen[string(key.PEM)] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != takers*perTaker {
		t.Fatalf("got %d distinct keys, want %d", len(seen), takers*perTaker)
	}
}

func TestPoolKeysAreSealed(t *testing.T) {
	pool := startPool(t, Options{Sizes: map[string]int{issuance.ECP256: 1}})
	waitFull(t, pool, issuance.ECP256, 1)

	q := pool.queues[issuance.ECP256]
	sealed := <-q.ready
	if !keys.IsSealed(sealed.sealed) || bytes.Contains(sealed.sealed, []byte("PRIVATE KEY")) {
		t.Fatal("a pooled key is kept in clear")
	}
	q.ready <- sealed
}

// failingOpen seals like its keyring but fails every Open.
type failingOpen struct{ *keys.Keyring }

func (failingOpen) Open(string, []byte) ([]byte, error) { return nil, errors.New("unknown master key") }

func TestPoolReplacesKeyThatFailsToOpen(t *testing.T) {
	pool := startPool(t, Options{Sizes: map[string]int{issuance.ECP256: 1}, Sealer: failingOpen{testKeyring(t)}})
	waitFull(t, pool, issuance.ECP256, 1)

	key, err := pool.Take(context.Background(), issuance.ECP256)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	checkKey(t, key, issuance.ECP256)
	if stats := pool.Stats(); stats.Inline != 1 {
		t.Fatalf("Inline = %d, want 1", stats.Inline)
	}
}

func TestTakeWithoutPoolOrRun(t *testing.T) {
	pool, err := New(Options{Sizes: map[string]int{issuance.ECP256: 2}, Sealer: testKeyring(t)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, algorithm := range []string{issuance.ECP256, issuance.ECP384} {
		key, err := pool.Take(context.Background(), algorithm)
		if err != nil {
			t.Fatalf("Take(%s) without Run: %v", algorithm, err)
		}
		checkKey(t, key, algorithm)
	}
	if stats := pool.Stats(); stats.Inline != 2 {
		t.Fatalf("Inline = %d, want 2", stats.Inline)
	}
}

// gatedSeal seals like its keyring once gate is closed.
type gatedSeal struct {
	*keys.Keyring
	gate chan struct{}
}

func (g gatedSeal) Seal(recordID string, plaintext []byte) ([]byte, error) {
	<-g.gate
	return g.Keyring.Seal(recordID, plaintext)
}

func TestTakeStopsWithContext(t *testing.T) {
	gate := make(chan struct{})
	defer close(gate)
	pool := startPool(t, Options{Sizes: map[string]int{issuance.ECP256: 1}, Sealer: gatedSeal{testKeyring(t), gate}})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := pool.Take(ctx, issuance.ECP256); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Take = %v, want a deadline error", err)
	}
}

func TestHoldMakesPoolBusy(t *testing.T) {
	pool, err := New(Options{Sizes: map[string]int{issuance.ECP256: 1}, Generators: 4, BusyGenerators: 1, Sealer: testKeyring(t)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if pool.busy() {
		t.Fatal("a new pool is busy")
	}
	if got := pool.generatorLimit(false); got != 4 {
		t.Fatalf("idle limit = %d, want 4", got)
	}
	if got := pool.generatorLimit(true); got != 4 {
		t.Fatalf("busy limit with no request in flight = %d, want 4", got)
	}

	release := pool.Hold()
	if !pool.busy() {
		t.Fatal("pool is not busy while work is held")
	}
	if got := pool.generatorLimit(true); got != 3 {
		t.Fatalf("busy limit with 1 request in flight = %d, want 3", got)
	}
	var more []func()
	for range 5 {
		more = append(more, pool.Hold())
	}
	if got := pool.generatorLimit(true); got != 1 {
		t.Fatalf("busy limit with 6 requests in flight = %d, want BusyGenerators 1", got)
	}
	for _, r := range more {
		r()
	}
	release()
	if !pool.busy() {
		t.Fatal("pool is not busy right after work ended")
	}
	pool.lastRelease.Store(int64(time.Since(pool.epoch) - 2*quietPeriod))
	if pool.busy() {
		t.Fatal("pool is busy a quiet period after work ended")
	}
}

func TestBusyPoolFillsOnlyLowOrAwaitedQueues(t *testing.T) {
	pool, err := New(Options{Sizes: map[string]int{issuance.ECP256: 4}, Sealer: testKeyring(t)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	q := pool.queues[issuance.ECP256]
	cases := []struct {
		name             string
		pending, waiting int
		busy             bool
		want             bool
	}{
		{"idle with room", 3, 0, false, true},
		{"idle and full", 4, 0, false, false},
		{"busy and half full", 2, 0, true, false},
		{"busy under half full", 1, 0, true, true},
		{"busy with a waiting caller", 3, 1, true, true},
		{"busy, full, waiting caller", 4, 1, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q.pending, q.waiting = tc.pending, tc.waiting
			if got := pool.queueToFill(tc.busy) != nil; got != tc.want {
				t.Fatalf("queueToFill(busy=%v) found a queue = %v, want %v", tc.busy, got, tc.want)
			}
		})
	}
}

func TestAwaitedKeyIsUrgent(t *testing.T) {
	pool, err := New(Options{Sizes: map[string]int{issuance.ECP256: 4}, Sealer: testKeyring(t)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	pool.running = true
	q := pool.queues[issuance.ECP256]

	got, urgent := pool.nextQueue()
	if got != q {
		t.Fatalf("nextQueue returned %v, want the EC queue", got)
	}
	if urgent {
		t.Fatal("nextQueue reported a refill with no caller waiting as urgent")
	}

	// Give the reservation back, so the generator limit allows the next.
	pool.active, q.pending = 0, 0
	q.waiting = 1
	got, urgent = pool.nextQueue()
	if got != q {
		t.Fatalf("nextQueue returned %v, want the EC queue", got)
	}
	if !urgent {
		t.Fatal("nextQueue reported a key a caller waits for as not urgent")
	}
}

func TestInProcessKeyIsSealed(t *testing.T) {
	keyring := testKeyring(t)
	pool, err := New(Options{Sizes: map[string]int{issuance.ECP256: 1}, Sealer: keyring})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, urgent := range []bool{false, true} {
		key, err := pool.generateInProcess(issuance.ECP256, urgent)
		if err != nil {
			t.Fatalf("generateInProcess(urgent=%v): %v", urgent, err)
		}
		if bytes.Contains(key.sealed, []byte("PRIVATE KEY")) {
			t.Fatalf("key generated with urgent=%v is held as plaintext PEM", urgent)
		}
		if _, err := keyring.Open(key.recordID, key.sealed); err != nil {
			t.Fatalf("key generated with urgent=%v does not open under its record id: %v", urgent, err)
		}
	}
}

// BenchmarkTake compares generating a key in Take (inline) with handing
// out a key already in the pool, which opens its sealed PEM (open).
func BenchmarkTake(b *testing.B) {
	keyring, err := keys.NewKeyring(make([]byte, keys.KeySize))
	if err != nil {
		b.Fatalf("NewKeyring: %v", err)
	}
	for _, algorithm := range []string{issuance.ECP256, issuance.RSA2048} {
		b.Run(algorithm+"/inline", func(b *testing.B) {
			var pool *Pool
			for b.Loop() {
				if _, err := pool.Take(context.Background(), algorithm); err != nil {
					b.Fatalf("Take: %v", err)
				}
			}
		})
		b.Run(algorithm+"/open", func(b *testing.B) {
			pool, err := New(Options{Sizes: map[string]int{algorithm: 1}, Sealer: keyring})
			if err != nil {
				b.Fatalf("New: %v", err)
			}
			sealed, err := pool.generateSealed(algorithm)
			if err != nil {
				b.Fatalf("generateSealed: %v", err)
			}
			q := pool.queues[algorithm]
			for b.Loop() {
				q.pending++
				if _, err := pool.handOut(q, sealed); err != nil {
					b.Fatalf("handOut: %v", err)
				}
			}
		})
	}
}
