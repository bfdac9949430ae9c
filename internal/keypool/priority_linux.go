package keypool

import (
	"runtime"
	"syscall"
)

// generatorNice is the nice value of generator threads, the lowest
// priority. The kernel then runs request handling first whenever both need
// a core, so generation gets only the CPU time nothing else uses.
const generatorNice = 19

// lowerThreadPriority locks the calling goroutine to its thread and gives
// that thread the lowest priority. On Linux, a nice value set for a thread
// id applies to that thread only. The lock is never released, so the
// thread exits with the goroutine and no other goroutine inherits it.
func lowerThreadPriority() error {
	runtime.LockOSThread()
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), generatorNice)
}
