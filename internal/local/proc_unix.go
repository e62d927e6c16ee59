//go:build unix

package local

import (
	"os/exec"
	"syscall"
)

// procLimit is empty: process groups work here.
const procLimit = ""

// isolate puts the child in a process group of its own, so that a Ctrl-C
// at the terminal reaches the daemon only, and the daemon decides how each
// child ends (the shutdown sequence, or a kill).
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// kill kills the child's process group, so that processes it started die
// with it and cannot hold its pipes open.
func kill(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Process.Kill()
}
