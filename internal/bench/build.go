package bench

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
)

// BuildChildren builds internal/cmd/bench-noop (the SDK child) and
// internal/cmd/bench-ceiling into dir with "go build", which works inside
// this module only, and returns their paths.
func BuildChildren(dir string) (sdk, ceiling string, err error) {
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"github.com/kclgo/mld/internal/cmd/bench-noop", "github.com/kclgo/mld/internal/cmd/bench-ceiling")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	return filepath.Join(dir, "bench-noop"+exe), filepath.Join(dir, "bench-ceiling"+exe), nil
}
