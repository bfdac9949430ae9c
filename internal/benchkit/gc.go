package benchkit

import (
	"os"
	"runtime/debug"
)

// loadToolGCPercent is the GOGC of a load tool, unless the environment sets
// one. A tool's garbage collections run on the cores the server uses and
// pause the workers that time the calls, so they add to the latencies
// measured. Collecting when the heap has grown by four times the live
// heap, not once, makes them a quarter as frequent. The tool's own memory
// is not what it measures.
const loadToolGCPercent = 400

// SetLoadToolGC sets the garbage collector of a load tool to
// loadToolGCPercent, unless GOGC is set in the environment.
func SetLoadToolGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(loadToolGCPercent)
	}
}
