package kcl

import (
	"fmt"
	"os"
	"syscall"
)

// stdOutputHandle is STD_OUTPUT_HANDLE, -11, as the DWORD Windows takes.
var stdOutputHandle = int32(syscall.STD_OUTPUT_HANDLE)

var setStdHandle = syscall.NewLazyDLL("kernel32.dll").NewProc("SetStdHandle")

// takeStdout keeps the process's standard output handle for the protocol
// and makes stderr the standard output from here on: for the process
// (SetStdHandle, which subprocesses started later inherit) and for Go code
// (os.Stdout, which fmt.Println writes to). Go passes a subprocess only
// the handles it is given, so none inherits the protocol's.
func takeStdout() (*os.File, error) {
	out := os.NewFile(os.Stdout.Fd(), "protocol-stdout")
	r, _, err := setStdHandle.Call(uintptr(uint32(stdOutputHandle)), os.Stderr.Fd())
	if r == 0 {
		return nil, fmt.Errorf("kcl: pointing standard output at stderr: %w", err)
	}
	os.Stdout = os.Stderr
	return out, nil
}

// isTerminal reports whether f is a console.
func isTerminal(f *os.File) bool {
	var mode uint32
	return syscall.GetConsoleMode(syscall.Handle(f.Fd()), &mode) == nil
}
