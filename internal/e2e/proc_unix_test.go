//go:build unix

package e2e

import (
	"syscall"
	"testing"
)

// checkGone reports an error if a child of kcl local (pid) still runs
// after kcl local exited.
func checkGone(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Errorf("a child (pid %d) is still there after kcl local exited: %v", pid, err)
	}
}
