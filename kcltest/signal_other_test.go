//go:build !unix

package kcltest_test

import (
	"errors"
	"runtime"
)

// canSignal says whether signalSelf works here.
const canSignal = false

func signalSelf() error {
	return errors.New("proc: signal=ACTION needs POSIX signals, which " + runtime.GOOS + " lacks")
}
