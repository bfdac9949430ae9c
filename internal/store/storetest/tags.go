package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/openacm/openacm/internal/store"
)

func testAddTags(t *testing.T, s store.Store) {
	ctx := context.Background()
	cert := newCertificate(account, region, 1)
	mustCreate(t, s, cert, store.Tag{Key: "a", Value: strPtr("1")})

	steps := []struct {
		name string
		add  []store.Tag
		want []store.Tag
	}{
		{
			name: "new keys append",
			add:  []store.Tag{{Key: "b"}, {Key: "c", Value: strPtr("")}},
			want: []store.Tag{{Key: "a", Value: strPtr("1")}, {Key: "b"}, {Key: "c", Value: strPtr("")}},
		},
		{
			name: "existing key keeps position",
			add:  []store.Tag{{Key: "d", Value: strPtr("4")}, {Key: "a", Value: strPtr("2")}},
			want: []store.Tag{{Key: "a", Value: strPtr("2")}, {Key: "b"}, {Key: "c", Value: strPtr("")}, {Key: "d", Value: strPtr("4")}},
		},
		{
			name: "nil value becomes a value",
			add:  []store.Tag{{Key: "b", Value: strPtr("now")}},
			want: []store.Tag{{Key: "a", Value: strPtr("2")}, {Key: "b", Value: strPtr("now")}, {Key: "c", Value: strPtr("")}, {Key: "d", Value: strPtr("4")}},
		},
		{
			name: "empty value becomes nil",
			add:  []store.Tag{{Key: "c"}},
			want: []store.Tag{{Key: "a", Value: strPtr("2")}, {Key: "b", Value: strPtr("now")}, {Key: "c"}, {Key: "d", Value: strPtr("4")}},
		},
		{
			name: "repeated key last wins",
			add:  []store.Tag{{Key: "e", Value: strPtr("1")}, {Key: "e", Value: strPtr("2")}},
			want: []store.Tag{{Key: "a", Value: strPtr("2")}, {Key: "b", Value: strPtr("now")}, {Key: "c"}, {Key: "d", Value: strPtr("4")}, {Key: "e", Value: strPtr("2")}},
		},
		{
			name: "no tags",
			add:  nil,
			want: []store.Tag{{Key: "a", Value: strPtr("2")}, {Key: "b", Value: strPtr("now")}, {Key: "c"}, {Key: "d", Value: strPtr("4")}, {Key: "e", Value: strPtr("2")}},
		},
	}

	// The steps build on each other, so they run in order and stop at the
	// first failure.
	for _, step := range steps {
		if err := s.AddTags(ctx, account, region, cert.ARN, step.add, 50); err != nil {
			t.Fatalf("%s: AddTags: %v", step.name, err)
		}

		got := mustListTags(t, s, account, region, cert.ARN)
		if formatTags(got) != formatTags(step.want) {
			t.Fatalf("%s: tags = %s, want %s", step.name, formatTags(got), formatTags(step.want))
		}
	}
}

func testTagLimit(t *testing.T, s store.Store) {
	ctx := context.Background()
	const maxTags = 3
	cert := newCertificate(account, region, 1)
	mustCreate(t, s, cert, store.Tag{Key: "a", Value: strPtr("1")})

	if err := s.AddTags(ctx, account, region, cert.ARN, []store.Tag{{Key: "b"}, {Key: "c"}}, maxTags); err != nil {
		t.Fatalf("AddTags up to the limit: %v", err)
	}
	full := []store.Tag{{Key: "a", Value: strPtr("1")}, {Key: "b"}, {Key: "c"}}
	checkTags(t, mustListTags(t, s, account, region, cert.ARN), full)

	rejected := []struct {
		name string
		add  []store.Tag
	}{
		{"one new key", []store.Tag{{Key: "d"}}},
		// The overwrite of "a" must not happen either: a rejected call
		// changes nothing.
		{"overwrite and new key", []store.Tag{{Key: "a", Value: strPtr("changed")}, {Key: "d"}}},
	}
	for _, r := range rejected {
		err := s.AddTags(ctx, account, region, cert.ARN, r.add, maxTags)
		if !errors.Is(err, store.ErrTooManyTags) {
			t.Errorf("AddTags(%s) past the limit error = %v, want ErrTooManyTags", r.name, err)
		}
		checkTags(t, mustListTags(t, s, account, region, cert.ARN), full)
	}

	// Overwriting keys at the limit adds none, so it is allowed.
	overwrite := []store.Tag{{Key: "a", Value: strPtr("2")}, {Key: "c", Value: strPtr("3")}}
	if err := s.AddTags(ctx, account, region, cert.ARN, overwrite, maxTags); err != nil {
		t.Fatalf("AddTags(overwrite at the limit): %v", err)
	}
	checkTags(t, mustListTags(t, s, account, region, cert.ARN), []store.Tag{{Key: "a", Value: strPtr("2")}, {Key: "b"}, {Key: "c", Value: strPtr("3")}})

	// A key repeated within one call counts once.
	other := newCertificate(account, region, 2)
	mustCreate(t, s, other)
	if err := s.AddTags(ctx, account, region, other.ARN, []store.Tag{{Key: "x"}, {Key: "x"}, {Key: "y"}}, 2); err != nil {
		t.Errorf("AddTags(repeated key within the limit): %v", err)
	}
}

func testRemoveTags(t *testing.T, s store.Store) {
	ctx := context.Background()
	initial := []store.Tag{
		{Key: "k1", Value: strPtr("v1")},
		{Key: "k2", Value: strPtr("")},
		{Key: "k3"},
		{Key: "k4", Value: strPtr("v4")},
	}
	without := func(keys ...string) []store.Tag {
		var out []store.Tag
		for _, tag := range initial {
			removed := false
			for _, key := range keys {
				removed = removed || tag.Key == key
			}
			if !removed {
				out = append(out, tag)
			}
		}
		return out
	}

	cases := []struct {
		name   string
		remove []store.Tag
		want   []store.Tag
	}{
		{"key only removes any value", []store.Tag{{Key: "k1"}}, without("k1")},
		{"key only removes no value", []store.Tag{{Key: "k3"}}, without("k3")},
		{"matching value", []store.Tag{{Key: "k1", Value: strPtr("v1")}}, without("k1")},
		{"other value keeps tag", []store.Tag{{Key: "k1", Value: strPtr("v2")}}, initial},
		{"empty value keeps tag with value", []store.Tag{{Key: "k1", Value: strPtr("")}}, initial},
		{"empty value matches empty", []store.Tag{{Key: "k2", Value: strPtr("")}}, without("k2")},
		{"empty value matches no value", []store.Tag{{Key: "k3", Value: strPtr("")}}, without("k3")},
		{"value keeps tag without value", []store.Tag{{Key: "k3", Value: strPtr("x")}}, initial},
		{"missing key ignored", []store.Tag{{Key: "absent"}}, initial},
		{"several tags", []store.Tag{{Key: "k1"}, {Key: "k4", Value: strPtr("v4")}, {Key: "k2", Value: strPtr("no")}}, without("k1", "k4")},
		{"no tags", nil, initial},
	}

	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cert := newCertificate(account, region, 10+i)
			mustCreate(t, s, cert, initial...)

			if err := s.RemoveTags(ctx, account, region, cert.ARN, tc.remove); err != nil {
				t.Fatalf("RemoveTags(%s): %v", formatTags(tc.remove), err)
			}

			checkTags(t, mustListTags(t, s, account, region, cert.ARN), tc.want)
		})
	}
}

func testInitSetting(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := []byte("first\x00\xff")

	cases := []struct {
		name  string
		key   string
		value []byte
		want  []byte
	}{
		{"first value stored", "signing-key", first, first},
		{"later value ignored", "signing-key", []byte("second"), first},
		{"names are separate", "other", []byte("other"), []byte("other")},
		{"empty value stored", "empty", []byte{}, []byte{}},
		{"empty value kept", "empty", []byte("late"), []byte{}},
	}

	for _, tc := range cases {
		got, err := s.InitSetting(ctx, tc.key, tc.value)
		if err != nil {
			t.Fatalf("%s: InitSetting(%q): %v", tc.name, tc.key, err)
		}
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%s: InitSetting(%q) = %q, want %q", tc.name, tc.key, got, tc.want)
		}
	}
}

func testGetSetting(t *testing.T, s store.Store) {
	ctx := context.Background()

	if _, err := s.GetSetting(ctx, "absent"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSetting(absent) error = %v, want store.ErrNotFound", err)
	}

	if _, err := s.InitSetting(ctx, "present", []byte("value")); err != nil {
		t.Fatalf("InitSetting(present): %v", err)
	}
	got, err := s.GetSetting(ctx, "present")
	if err != nil {
		t.Fatalf("GetSetting(present): %v", err)
	}
	if string(got) != "value" {
		t.Errorf("GetSetting(present) = %q, want %q", got, "value")
	}
}

func testInitSettingRace(t *testing.T, s store.Store) {
	const callers = 20
	ctx := context.Background()
	results := make([][]byte, callers)
	errs := make([]error, callers)
	start := make(chan struct{})

	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = s.InitSetting(ctx, "race", fmt.Appendf(nil, "value-%d", i))
		}()
	}
	close(start)
	wg.Wait()

	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: InitSetting: %v", i, errs[i])
		}
		if !bytes.Equal(results[i], results[0]) {
			t.Errorf("caller %d got %q, caller 0 got %q", i, results[i], results[0])
		}
	}

	if !bytes.HasPrefix(results[0], []byte("value-")) {
		t.Errorf("stored value %q is none of the values given", results[0])
	}

	later, err := s.InitSetting(ctx, "race", []byte("later"))
	if err != nil {
		t.Fatalf("InitSetting after race: %v", err)
	}
	if !bytes.Equal(later, results[0]) {
		t.Errorf("InitSetting after race = %q, want %q", later, results[0])
	}
}
