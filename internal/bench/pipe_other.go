//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package bench

import "os"

// blockingPipe is os.Pipe here. On Windows its ends are synchronous,
// so reads and writes are direct system calls there too.
func blockingPipe() (r, w *os.File, err error) { return os.Pipe() }
