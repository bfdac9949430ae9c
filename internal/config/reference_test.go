package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReferencePageCurrent(t *testing.T) {
	stored, err := os.ReadFile(filepath.Join("..", "..", ReferencePage))
	if err != nil {
		t.Fatalf("read %s: %v (run go generate ./internal/config)", ReferencePage, err)
	}
	if string(stored) != ReferenceMarkdown() {
		t.Errorf("%s is stale: run go generate ./internal/config and commit the result", ReferencePage)
	}
}

func TestUsageListsEveryFlag(t *testing.T) {
	defaults := Default()
	flags := defaults.Flags()
	var out strings.Builder
	PrintUsage(&out, flags)
	usage := out.String()

	for _, f := range flags {
		t.Run(f.Name, func(t *testing.T) {
			if f.Unit == "" {
				t.Errorf("flag --%s has no unit", f.Name)
			}
			want := "--" + f.Name + "\n      " + f.Usage + "\n      value: " + f.Unit + "; default: " + displayDefault(f.Default) + "; env: " + f.Env() + "\n"
			if !strings.Contains(usage, want) {
				t.Errorf("usage lacks %q", want)
			}
		})
	}
}

// A string flag left to the "text" fallback gives no hint of its form,
// so every one needs an entry in flagUnits.
func TestStringFlagsHaveUnits(t *testing.T) {
	defaults := Default()
	for _, f := range defaults.Flags() {
		if _, named := flagUnits[f.Name]; f.Unit == "text" && !named {
			t.Errorf("flag --%s has no entry in flagUnits, so -h shows its value only as text", f.Name)
		}
	}
}
