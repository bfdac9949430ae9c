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
