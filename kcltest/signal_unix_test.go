//go:build unix

package kcltest_test

import (
	"os"
	"syscall"
)

// canSignal says whether signalSelf works here.
const canSignal = true

// signalSelf sends the process SIGTERM and SIGINT, as a Ctrl-C in the
// daemon's terminal or a signal to its process group would.
func signalSelf() error {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			return err
		}
	}
	return nil
}
