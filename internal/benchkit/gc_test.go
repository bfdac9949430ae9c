package benchkit

import (
	"runtime/debug"
	"testing"
)

func TestSetLoadToolGC(t *testing.T) {
	original := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(original) })

	t.Setenv("GOGC", "")
	SetLoadToolGC()
	if got := debug.SetGCPercent(100); got != loadToolGCPercent {
		t.Errorf("GOGC after SetLoadToolGC = %d, want %d", got, loadToolGCPercent)
	}

	t.Setenv("GOGC", "100")
	SetLoadToolGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC after SetLoadToolGC with GOGC=100 in the environment = %d, want 100 kept", got)
	}
}
