//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package kcl

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// takeStdout duplicates file descriptor 1 to a private descriptor for the
// protocol, closed on exec, then points 1 at stderr. Only protocol messages
// reach the daemon's pipe afterwards, whatever else writes to fd 1, and a
// subprocess started by the processor does not inherit the pipe.
func takeStdout() (*os.File, error) {
	fd, _, errno := syscall.Syscall(syscall.SYS_FCNTL, 1, syscall.F_DUPFD_CLOEXEC, 3)
	if errno != 0 {
		return nil, fmt.Errorf("kcl: duplicating stdout: %w", errno)
	}
	if err := dup2(2, 1); err != nil {
		syscall.Close(int(fd))
		return nil, fmt.Errorf("kcl: pointing stdout at stderr: %w", err)
	}
	return os.NewFile(fd, "protocol-stdout"), nil
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), ioctlGetTermios, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}
