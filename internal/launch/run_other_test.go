//go:build !unix

package launch

import (
	"os/exec"
	"strings"
	"testing"
)

// Without process groups and POSIX signals, Run starts nothing and says
// what to do instead.
func TestRunNeedsUnix(t *testing.T) {
	code, err := Run(exec.Command("java"), nil, nil)
	if err == nil || code != 0 || !strings.Contains(err.Error(), "--print-command") {
		t.Errorf("Run = %d, %v; want an error pointing to --print-command", code, err)
	}
	if RunSupported() != err {
		t.Errorf("RunSupported = %v, want Run's error", RunSupported())
	}
}
