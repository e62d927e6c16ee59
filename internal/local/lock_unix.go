//go:build unix

package local

import (
	"os"
	"syscall"
)

// lockLimit is empty: lockFile works here.
const lockLimit = ""

// lockFile takes an exclusive advisory lock on path, creating it, and
// returns its release, or errLocked if another process holds it. The kernel drops the lock when the process dies, so
// a crash never leaves a stale lock behind.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if err == syscall.EWOULDBLOCK {
			return nil, errLocked
		}
		return nil, err
	}
	return func() { f.Close() }, nil
}
