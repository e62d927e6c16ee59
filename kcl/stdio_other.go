//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package kcl

import (
	"errors"
	"os"
)

// takeStdout is not available here: protocol messages share stdout with
// everything else, so nothing but the SDK may write to it.
func takeStdout() (*os.File, error) {
	return nil, errors.New("kcl: moving stdout is not supported on this platform; use KeepStdout")
}

func isTerminal(f *os.File) bool { return false }
