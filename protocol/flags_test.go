package protocol

import "flag"

// go test ./... -update passes -update to every package's tests.
var _ = flag.Bool("update", false, "unused: no golden files in this package")
