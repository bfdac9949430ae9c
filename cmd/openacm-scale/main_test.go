package main

import (
	"io"
	"testing"
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
