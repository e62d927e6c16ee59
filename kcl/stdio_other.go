//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package kcl

import "os"

// takeStdout keeps file descriptor 1 for the protocol and points os.Stdout
// at stderr, so that fmt.Println and the like in Go code cannot reach the
// daemon. Without dup2 here, anything else writing to descriptor 1 (a
// subprocess, C code) still does.
func takeStdout() (*os.File, error) {
	out := os.NewFile(os.Stdout.Fd(), "protocol-stdout")
	os.Stdout = os.Stderr
	return out, nil
}

func isTerminal(f *os.File) bool { return false }
