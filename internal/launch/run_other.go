//go:build !unix

package launch

import (
	"errors"
	"os"
	"os/exec"
)

// Run needs process groups and POSIX signals; on this system it only
// reports that.
func Run(cmd *exec.Cmd, sigs <-chan os.Signal, notify func(string)) (int, error) {
	return 0, errors.New("launch: starting the daemon needs a Unix system (process groups, signal forwarding); use --print-command and start it yourself")
}
