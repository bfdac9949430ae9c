// Package gctune keeps the Go garbage collector from running too often
// when the live heap is small.
//
// At GOGC=100 the collector runs each time the program has allocated as
// much as is live. The server keeps its data in the database, so its live
// heap is 2 to 3 MiB, and under load it ran about 45 collections a second.
// On a machine whose cores the clients share, stopping the world for one
// of them took up to 1 ms, which showed in the p99 latency. A headroom in
// bytes keeps the heap goal about that far above the live heap, and a
// large live heap still gets the proportional goal of GOGC.
package gctune

import (
	"log/slog"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// runtimeHeapMinimum is the Go runtime's smallest heap goal at GOGC=100
// (defaultHeapMinimum in runtime/mgcpacer.go). The runtime scales it with
// GOGC, so Percent limits GOGC to keep it under the wanted goal.
const runtimeHeapMinimum = 4 << 20

// Metric names read after each collection.
const (
	liveHeapMetric = "/gc/heap/live:bytes"
	stackMetric    = "/gc/scan/stack:bytes"
	globalsMetric  = "/gc/scan/globals:bytes"
	gogcMetric     = "/gc/gogc:percent"
)

// Percent returns the GOGC value that puts the heap goal about headroom
// bytes above live (rounded down), or base when base already gives more.
//
// The runtime's goal is live + scanned * GOGC / 100, and at least
// 4 MiB * GOGC / 100, where scanned is live + stacks + globals.
func Percent(live, scanned, headroom uint64, base int) int {
	if headroom == 0 || scanned == 0 {
		return base
	}

	percent := headroom * 100 / scanned
	// Past this value the runtime's smallest goal alone would be above
	// live + headroom.
	byMinimum := (live + headroom) * 100 / runtimeHeapMinimum
	percent = min(percent, byMinimum)

	// GOGC is an int32 in the runtime.
	percent = min(percent, 1<<30)
	return max(base, int(percent))
}

// Tuner sets GOGC after each collection from the live heap it left.
type Tuner struct {
	headroom uint64
	base     int
	logger   *slog.Logger
	samples  []metrics.Sample

	mu      sync.Mutex
	stopped bool
	current int
}

// Start keeps the heap goal about headroom bytes above the live heap from
// the next collection on, with GOGC at its value at start as the floor.
//
// Start does nothing when headroom is 0 or GOGC is 0 (collect on every
// allocation) or off. GOMEMLIMIT still bounds the heap. Stop restores GOGC.
func Start(headroom uint64, logger *slog.Logger) *Tuner {
	base := currentGOGC()

	t := &Tuner{
		headroom: headroom,
		base:     base,
		logger:   logger,
		current:  base,
		samples: []metrics.Sample{
			{Name: liveHeapMetric},
			{Name: stackMetric},
			{Name: globalsMetric},
		},
	}
	if headroom == 0 || base <= 0 {
		t.stopped = true
		logger.Info("garbage collector headroom off", "headroom_mib", headroom>>20, "gogc", base)
		return t
	}

	logger.Info("garbage collector headroom set", "headroom_mib", headroom>>20, "gogc", base)
	t.watchNextCollection()
	return t
}

// currentGOGC returns GOGC, -1 when it is off, without changing it.
func currentGOGC() int {
	sample := []metrics.Sample{{Name: gogcMetric}}
	metrics.Read(sample)

	// The runtime reports off, GOGC=-1, as the largest uint64.
	percent := sampleValue(sample[0])
	if percent > 1<<30 {
		return -1
	}
	return int(percent)
}

// sentinel is an object that is garbage as soon as it is made, so its
// cleanup runs after the next collection. It holds a pointer because the
// runtime batches small pointer-free objects, which delays their cleanup.
type sentinel struct {
	_ *byte
}

func (t *Tuner) watchNextCollection() {
	runtime.AddCleanup(new(sentinel), func(t *Tuner) { t.afterCollection() }, t)
}

// afterCollection runs on the runtime's cleanup goroutine after each
// collection and sets GOGC for the next one.
func (t *Tuner) afterCollection() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}

	metrics.Read(t.samples)
	live := sampleValue(t.samples[0])
	scanned := live + sampleValue(t.samples[1]) + sampleValue(t.samples[2])
	if percent := Percent(live, scanned, t.headroom, t.base); percent != t.current {
		debug.SetGCPercent(percent)
		t.current = percent
	}
	t.watchNextCollection()
}

// sampleValue returns a metric's value, or 0 when this Go version does not
// have the metric.
func sampleValue(s metrics.Sample) uint64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s.Value.Uint64()
}

// GOGC returns the value the tuner last set.
func (t *Tuner) GOGC() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.current
}

// Stop restores GOGC to its value before Start. The cleanup armed last
// still runs after the next collection, and then does nothing.
func (t *Tuner) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	t.stopped = true
	debug.SetGCPercent(t.base)
	t.current = t.base
}
