//go:build !unix

package launch

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
)

var errNeedsUnix = errors.New("launch: starting the daemon needs a Unix system (a process group for java, signal forwarding), not " +
	runtime.GOOS + "; use --print-command and start it yourself")

// RunSupported reports why Run cannot start the daemon here.
func RunSupported() error { return errNeedsUnix }

// Run needs process groups and POSIX signals; on this system it only
// reports that.
func Run(cmd *exec.Cmd, sigs <-chan os.Signal, notify func(string)) (int, error) {
	return 0, errNeedsUnix
}
