//go:build !unix

package javastack

import "os/exec"

func isolate(cmd *exec.Cmd) {}

// terminate kills: without POSIX signals there is no graceful path (kcl
// daemon itself needs a Unix system).
func terminate(cmd *exec.Cmd) { cmd.Process.Kill() }

func killGroup(pid int) {}
