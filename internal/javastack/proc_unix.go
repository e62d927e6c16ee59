//go:build unix

package javastack

import (
	"os/exec"
	"syscall"
)

// isolate gives kcl daemon a process group of its own, so that a Ctrl-C
// meant for a test or make run-java reaches it once, from here.
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func terminate(cmd *exec.Cmd) { cmd.Process.Signal(syscall.SIGTERM) }

func killGroup(pid int) { syscall.Kill(-pid, syscall.SIGKILL) }
