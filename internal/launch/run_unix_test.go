//go:build unix

package launch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// signalScript waits for signals, records each one and its process group,
// and reacts as onTerm and onInt say.
func signalScript(t *testing.T, dir, onInt, onTerm string) string {
	return writeScript(t, filepath.Join(dir, "java"), `
trap 'echo INT >> `+dir+`/signals; `+onInt+`' INT
trap 'echo TERM >> `+dir+`/signals; `+onTerm+`' TERM
echo "$$ $(ps -o pgid= -p $$)" > `+dir+`/pid
while :; do sleep 0.05; done
`)
}

// waitFile waits for a file to have content.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 && b[len(b)-1] == '\n' {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never written", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRun(t *testing.T) {
	t.Run("exit status", func(t *testing.T) {
		java := writeScript(t, filepath.Join(t.TempDir(), "java"), "exit 7\n")
		code, err := Run(exec.Command(java), nil, nil)
		if err != nil || code != 7 {
			t.Errorf("Run = %d, %v; want 7", code, err)
		}
	})
	t.Run("killed by a signal", func(t *testing.T) {
		java := writeScript(t, filepath.Join(t.TempDir(), "java"), "kill -TERM $$\nsleep 5\n")
		code, err := Run(exec.Command(java), nil, nil)
		if err != nil || code != 128+15 {
			t.Errorf("Run = %d, %v; want 143", code, err)
		}
	})
	t.Run("cannot start", func(t *testing.T) {
		_, err := Run(exec.Command(filepath.Join(t.TempDir(), "nope")), nil, nil)
		if err == nil || !strings.Contains(err.Error(), "launch: starting ") {
			t.Errorf("Run = %v", err)
		}
	})
	t.Run("forwards one signal to the process", func(t *testing.T) {
		dir := t.TempDir()
		java := signalScript(t, dir, "exit 3", "exit 4")
		sigs := make(chan os.Signal, 1)
		var notes []string
		type result struct {
			code int
			err  error
		}
		done := make(chan result, 1)
		go func() {
			code, err := Run(exec.Command(java), sigs, func(s string) { notes = append(notes, s) })
			done <- result{code, err}
		}()
		var pid, pgid int
		parse(t, waitFile(t, filepath.Join(dir, "pid")), &pid, &pgid)
		t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL) })
		if pgid != pid || pgid == syscall.Getpgrp() {
			t.Errorf("java's process group is %d (pid %d, ours %d), want a group of its own", pgid, pid, syscall.Getpgrp())
		}
		sigs <- syscall.SIGTERM
		var r result
		select {
		case r = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after the signal")
		}
		if r.err != nil || r.code != 4 {
			t.Errorf("Run = %d, %v; want 4, the script's exit on TERM", r.code, r.err)
		}
		if got := waitFile(t, filepath.Join(dir, "signals")); got != "TERM\n" {
			t.Errorf("signals received: %q, want TERM once", got)
		}
		if len(notes) != 1 || !strings.Contains(notes[0], "asking java (pid ") {
			t.Errorf("notes: %q", notes)
		}
	})
	t.Run("a second signal kills the group", func(t *testing.T) {
		dir := t.TempDir()
		// A JVM whose shutdown hangs: it notes the signal and goes on.
		java := signalScript(t, dir, ":", ":")
		sigs := make(chan os.Signal, 2)
		var notes []string
		done := make(chan int, 1)
		go func() {
			code, _ := Run(exec.Command(java), sigs, func(s string) { notes = append(notes, s) })
			done <- code
		}()
		var pid, pgid int
		parse(t, waitFile(t, filepath.Join(dir, "pid")), &pid, &pgid)
		t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL) })
		sigs <- syscall.SIGINT
		waitFile(t, filepath.Join(dir, "signals"))
		sigs <- syscall.SIGINT
		select {
		case code := <-done:
			if code != 128+9 {
				t.Errorf("Run = %d, want 137 (SIGKILL)", code)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after the second signal")
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "signals")); string(got) != "INT\n" {
			t.Errorf("signals received: %q, want INT once", got)
		}
		if len(notes) != 2 || !strings.Contains(notes[1], "again: killing java and its record processors (process group ") {
			t.Errorf("notes: %q", notes)
		}
	})
}

func parse(t *testing.T, s string, pid, pgid *int) {
	t.Helper()
	f := strings.Fields(s)
	var err1, err2 error
	if len(f) == 2 {
		*pid, err1 = strconv.Atoi(f[0])
		*pgid, err2 = strconv.Atoi(f[1])
	}
	if len(f) != 2 || err1 != nil || err2 != nil {
		t.Fatalf("pid file %q: want pid and process group", s)
	}
}
