//go:build !unix

package local

import "runtime"

// lockLimit is what Run warns of: lockFile cannot lock here.
const lockLimit = "no file locks on " + runtime.GOOS + ": a second kcl local on the same checkpoint file is not detected, and the two would overwrite each other's checkpoints"

// lockFile does nothing where flock is not available: running two daemons
// on one checkpoint file there is not detected (see lockLimit).
func lockFile(path string) (func(), error) { return func() {}, nil }
