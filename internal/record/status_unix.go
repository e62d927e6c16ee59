//go:build unix

package record

import (
	"fmt"
	"os"
	"syscall"
)

// exitStatus returns the status to exit with, the one kcltest reports for
// the same end (the exit section), and a note for what neither says.
func exitStatus(ps *os.ProcessState) (status, recorded int, note string) {
	if ps == nil {
		return 1, 1, "kcl record could not learn how the child ended."
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), -1, fmt.Sprintf("The child was killed by signal %d (%v); kcl record exited with %d.", int(ws.Signal()), ws.Signal(), 128+int(ws.Signal()))
	}
	return ps.ExitCode(), ps.ExitCode(), ""
}
