package gctune

import (
	"io"
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

const mib = 1 << 20

func TestPercent(t *testing.T) {
	cases := []struct {
		name                    string
		live, scanned, headroom uint64
		base                    int
		want                    int
	}{
		// 16 MiB over 8 MiB scanned is GOGC=200, and the runtime's
		// smallest goal, 4 MiB * 2, stays under the wanted 24 MiB.
		{"small live heap", 8 * mib, 8 * mib, 16 * mib, 100, 200},
		// 16 MiB over 2 MiB would be GOGC=800, whose smallest goal of
		// 32 MiB is above live + headroom = 18 MiB. GOGC=450 gives 18 MiB.
		{"tiny live heap", 2 * mib, 2 * mib, 16 * mib, 100, 450},
		// Stacks and globals count in the runtime's goal too.
		{"stacks and globals", 8 * mib, 10 * mib, 16 * mib, 100, 160},
		// A live heap larger than the headroom keeps GOGC.
		{"large live heap", 64 * mib, 64 * mib, 16 * mib, 100, 100},
		{"GOGC from the environment wins when larger", 8 * mib, 8 * mib, 16 * mib, 400, 400},
		{"no headroom", 8 * mib, 8 * mib, 0, 100, 100},
		{"nothing scanned yet", 0, 0, 16 * mib, 100, 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percent(tc.live, tc.scanned, tc.headroom, tc.base); got != tc.want {
				t.Errorf("Percent(%d, %d, %d, %d) = %d, want %d", tc.live, tc.scanned, tc.headroom, tc.base, got, tc.want)
			}
		})
	}
}

// TestTunerKeepsHeadroom runs real collections and reads the runtime's own
// heap goal, so it shows the goal the collector uses, not only the GOGC
// the tuner computed.
func TestTunerKeepsHeadroom(t *testing.T) {
	original := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(original) })
	// A GOMEMLIMIT in the environment would set the goal instead.
	limit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetMemoryLimit(limit) })

	const headroom = 64 * mib
	tuner := Start(headroom, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(tuner.Stop)

	// The tuner sets GOGC on the runtime's cleanup goroutine after a
	// collection, so collect until it has.
	deadline := time.Now().Add(5 * time.Second)
	for tuner.GOGC() == 100 {
		if time.Now().After(deadline) {
			t.Fatal("GOGC still 100 after 5 s of collections; the tuner did not run")
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := debug.SetGCPercent(tuner.GOGC()); got != tuner.GOGC() {
		t.Errorf("runtime GOGC = %d, want the tuner's %d", got, tuner.GOGC())
	}

	// One more collection applies the new GOGC to a fresh goal.
	runtime.GC()
	samples := []metrics.Sample{{Name: liveHeapMetric}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(samples)
	live, goal := samples[0].Value.Uint64(), samples[1].Value.Uint64()
	// The goal lands near live + headroom, because the live heap moved a
	// little between the tuner's reading and this one.
	if goal < live+headroom*9/10 || goal > live+headroom*11/10 {
		t.Errorf("heap goal %d MiB with %d MiB live, want about %d MiB above live",
			goal/mib, live/mib, headroom/mib)
	}

	tuner.Stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC after Stop = %d, want 100, its value before Start", got)
	}
	if got := tuner.GOGC(); got != 100 {
		t.Errorf("tuner GOGC after Stop = %d, want 100", got)
	}
}

func TestStartLeavesGOGCAlone(t *testing.T) {
	original := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(original) })

	for _, tc := range []struct {
		name     string
		gogc     int
		headroom uint64
	}{
		{"headroom 0", 100, 0},
		{"GOGC off", -1, 64 * mib},
		{"GOGC 0", 0, 64 * mib},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(tc.gogc)
			tuner := Start(tc.headroom, slog.New(slog.NewTextHandler(io.Discard, nil)))
			runtime.GC()
			runtime.GC()
			time.Sleep(50 * time.Millisecond)
			tuner.Stop()
			if got := debug.SetGCPercent(100); got != tc.gogc {
				t.Errorf("GOGC = %d, want %d left alone", got, tc.gogc)
			}
		})
	}
}

func TestCurrentGOGC(t *testing.T) {
	original := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(original) })

	for _, want := range []int{250, 0, -1} {
		debug.SetGCPercent(want)
		if got := currentGOGC(); got != want {
			t.Errorf("currentGOGC() = %d after SetGCPercent(%d)", got, want)
		}
	}
}
