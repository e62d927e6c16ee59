//go:build !unix

package bench

import (
	"os/exec"
	"runtime"
)

// isolate does nothing: there are no process groups here.
func isolate(*exec.Cmd) {}

// killTree kills the child alone; the processes it started live on.
func killTree(cmd *exec.Cmd) { cmd.Process.Kill() }

// killNote is what a report of a killed child adds about what was killed.
const killNote = " (on " + runtime.GOOS + " the child alone: processes it started were not killed)"
