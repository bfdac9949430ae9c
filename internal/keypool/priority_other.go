//go:build !linux

package keypool

// lowerThreadPriority does nothing on systems where this package does not
// set a thread's priority. Generation then competes with requests as an equal.
func lowerThreadPriority() error { return nil }
