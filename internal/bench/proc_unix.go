//go:build unix

package bench

import (
	"os/exec"
	"syscall"
)

// isolate starts the child in a process group of its own, so that a hung
// wrapper script dies whole.
func isolate(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// killTree kills the child's process group.
func killTree(cmd *exec.Cmd) { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }

// killNote is what a report of a killed child adds about what was killed.
const killNote = ""
