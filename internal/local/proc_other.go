//go:build !unix

package local

import (
	"os/exec"
	"runtime"
)

// procLimit is what Run warns of: there are no process groups here.
const procLimit = "no process groups on " + runtime.GOOS + ": a Ctrl-C in the console reaches the children too, and a child is killed alone, while processes it started live on and may keep its pipes open"

// isolate does nothing: there are no process groups here.
func isolate(cmd *exec.Cmd) {}

// kill kills the child alone.
func kill(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}
