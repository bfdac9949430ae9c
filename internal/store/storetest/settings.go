package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/openacm/openacm/internal/store"
)

func testSwapSetting(t *testing.T, s store.Store) {
	ctx := context.Background()

	cases := []struct {
		name   string
		old    []byte
		value  []byte
		stored bool
		want   []byte
	}{
		{"insert when absent", nil, []byte("one\x00"), true, []byte("one\x00")},
		{"insert when present", nil, []byte("two"), false, []byte("one\x00")},
		{"stale old value", []byte("other"), []byte("two"), false, []byte("one\x00")},
		{"matching old value", []byte("one\x00"), []byte("two"), true, []byte("two")},
		{"swap to empty", []byte("two"), []byte{}, true, []byte{}},
		{"swap from empty", []byte{}, []byte("three"), true, []byte("three")},
	}

	for _, tc := range cases {
		stored, err := s.SwapSetting(ctx, "swapped", tc.old, tc.value)
		if err != nil {
			t.Fatalf("%s: SwapSetting: %v", tc.name, err)
		}
		if stored != tc.stored {
			t.Errorf("%s: SwapSetting stored = %v, want %v", tc.name, stored, tc.stored)
		}
		got, err := s.GetSetting(ctx, "swapped")
		if err != nil {
			t.Fatalf("%s: GetSetting: %v", tc.name, err)
		}
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%s: value after SwapSetting = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// testSwapSettingRace swaps from one old value at once: exactly one caller
// must succeed, and the stored value must be its value.
func testSwapSettingRace(t *testing.T, s store.Store) {
	const callers = 20
	ctx := context.Background()
	if _, err := s.InitSetting(ctx, "swap-race", []byte("start")); err != nil {
		t.Fatalf("InitSetting: %v", err)
	}

	stored := make([]bool, callers)
	errs := make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			stored[i], errs[i] = s.SwapSetting(ctx, "swap-race", []byte("start"), fmt.Appendf(nil, "value-%d", i))
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: SwapSetting: %v", i, errs[i])
		}
		if !stored[i] {
			continue
		}
		if winner >= 0 {
			t.Errorf("callers %d and %d both swapped from the same value", winner, i)
		}
		winner = i
	}
	if winner < 0 {
		t.Fatalf("no caller swapped the value")
	}

	got, err := s.GetSetting(ctx, "swap-race")
	if err != nil {
		t.Fatalf("GetSetting: %v", err)
	}
	if want := fmt.Sprintf("value-%d", winner); string(got) != want {
		t.Errorf("stored value = %q, want the winner's %q", got, want)
	}
}
