//go:build !unix

package record

import "os"

// exitStatus returns the status to exit with, the one kcltest reports for
// the same end (the exit section), and a note for what neither says.
func exitStatus(ps *os.ProcessState) (status, recorded int, note string) {
	if ps == nil {
		return 1, 1, "kcl record could not learn how the child ended."
	}
	return ps.ExitCode(), ps.ExitCode(), ""
}
