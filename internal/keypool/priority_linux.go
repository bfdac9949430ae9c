package keypool

import (
	"runtime"
	"syscall"
	"unsafe"
)

// generatorNice is the nice value of generator threads, the lowest
// priority. The kernel then runs request handling first whenever both need
// a core, so generation gets only the CPU time nothing else uses.
const generatorNice = 19

// schedIdle is Linux's SCHED_IDLE scheduling policy (sched.h).
const schedIdle = 5

// lowerThreadPriority locks the calling goroutine to its thread and gives
// that thread the lowest priority. On Linux, a nice value set for a thread
// id applies to that thread only. The lock is never released, so the
// thread exits with the goroutine and no other goroutine inherits it.
func lowerThreadPriority() error {
	runtime.LockOSThread()
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), generatorNice)
}

// idleThreadPolicy puts the calling thread, which must be locked, in the
// SCHED_IDLE policy. Such a thread runs only when no other thread wants the
// core, and a waking thread of any other policy takes the core from it at
// once. At nice 19 alone, a waking request could wait for the rest of the
// generator's time slice.
func idleThreadPolicy() error {
	var param struct{ priority int32 }
	_, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER,
		uintptr(syscall.Gettid()), schedIdle, uintptr(unsafe.Pointer(&param)))
	if errno != 0 {
		return errno
	}
	return nil
}
