package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestRecordKilledTakesTheChild kills kcl record with SIGKILL, which it
// cannot catch, while its child ignores the usual signals and does not
// read its stdin: the parent-death signal must end the child.
func TestRecordKilledTakesTheChild(t *testing.T) {
	r := startRecorder(t, "trap '' INT TERM HUP; exec sleep 60")
	if _, err := r.in.Write([]byte(recordInit + "\n")); err != nil {
		t.Fatal(err)
	}
	var child int
	waitFor(t, "the recording's comment", func() bool {
		data, _ := os.ReadFile(r.file)
		_, after, ok := strings.Cut(string(data), "child pid ")
		return ok && func() bool { _, err := fmt.Sscanf(after, "%d)", &child); return err == nil }()
	})
	t.Cleanup(func() { syscall.Kill(child, syscall.SIGKILL) })
	r.cmd.Process.Kill()
	r.cmd.Process.Wait() // not cmd.Wait: a live child would hold its stderr pipe
	waitFor(t, fmt.Sprintf("the child, pid %d, to die", child), func() bool {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			return true
		}
		// A zombie is dead too: its new parent may be slow to reap it.
		_, rest, _ := strings.Cut(string(stat), ") ")
		return strings.HasPrefix(rest, "Z")
	})
}
