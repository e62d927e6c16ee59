//go:build linux

package bench

import (
	"os"
	"syscall"
)

// blockingPipe returns a pipe whose ends block: os.Pipe's would go through
// the netpoller. Both ends are closed on exec; exec.Cmd duplicates the
// child's end into it.
func blockingPipe() (r, w *os.File, err error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(p[0]), "|0"), os.NewFile(uintptr(p[1]), "|1"), nil
}
