package kcl_test

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// openPTY opens a pseudo-terminal and returns its controller and its
// terminal side.
func openPTY() (ptmx, tty *os.File, err error) {
	ptmx, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	unlock := int32(0)
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		ptmx.Close()
		return nil, nil, fmt.Errorf("TIOCSPTLCK: %w", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		ptmx.Close()
		return nil, nil, fmt.Errorf("TIOCGPTN: %w", errno)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		ptmx.Close()
		return nil, nil, err
	}
	return ptmx, tty, nil
}

// TestProcessStdinTerminal: a child started from a shell, with stdin a
// terminal, explains what it is and exits with status 2 without waiting
// for input.
func TestProcessStdinTerminal(t *testing.T) {
	ptmx, tty, err := openPTY()
	if err != nil {
		t.Skipf("cannot open a pseudo-terminal here (%v); the terminal check is not tested", err)
	}
	defer ptmx.Close()
	defer tty.Close()

	cmd := childCommand(t, "plain")
	cmd.Stdin = tty
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the child waited for input on a terminal; stderr:\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
	if s := stdout.String(); s != "" {
		t.Errorf("stdout = %q, want nothing", s)
	}
	if s := stderr.String(); !strings.Contains(s, "stdin is a terminal") || !strings.Contains(s, "MultiLangDaemon") {
		t.Errorf("stderr does not explain: %q", s)
	}
}
