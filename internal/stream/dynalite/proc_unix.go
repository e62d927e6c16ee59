//go:build unix

package dynalite

import (
	"os/exec"
	"syscall"
)

// isolate gives node a process group of its own, so that kill reaches
// anything it started, and a Ctrl-C meant for a test or demo does not
// stop the emulator under it.
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func kill(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Process.Kill()
	}
}
