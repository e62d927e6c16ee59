//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// isolate gives a command its own process group, so that a Ctrl-C at the
// terminal reaches the demo only, which passes it on once.
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
