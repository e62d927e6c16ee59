//go:build unix

package javastack

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeKcl writes a script that stands in for kcl daemon: it starts a child
// in its process group, as java's processors are, notes both pids, and
// reacts to SIGTERM with onTerm.
func fakeKcl(t *testing.T, onTerm string) (*Stack, string) {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "kcl")
	body := "#!/bin/sh\n" +
		"trap '" + onTerm + "' TERM\n" +
		"sleep 60 &\n" +
		"echo \"$$ $!\" > " + dir + "/pids\n" +
		"echo 'kcl daemon: terminated: asking java (pid '$$') to shut down'\n" +
		"while :; do sleep 0.05; done\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return &Stack{cfg: Config{Kcl: script}, Dir: dir, Version: version(t, "3.1.3")}, filepath.Join(dir, "pids")
}

func waitPids(t *testing.T, path string) (int, int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var a, b int
		if data, err := os.ReadFile(path); err == nil {
			if n, _ := fmt.Sscan(string(data), &a, &b); n == 2 {
				return a, b
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never written", path)
	return 0, 0
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func TestStopGraceful(t *testing.T) {
	s, pids := fakeKcl(t, "kill $!; exit 143")
	d, err := s.StartDaemon()
	if err != nil {
		t.Fatal(err)
	}
	waitPids(t, pids)
	if _, err := s.StartDaemon(); err == nil {
		t.Errorf("a second StartDaemon while one runs succeeded")
	}
	code, err := d.Stop(5 * time.Second)
	if code != 143 || err != nil {
		t.Errorf("Stop = %d, %v; want 143, nil", code, err)
	}
	if c2, err2 := d.Stop(time.Second); c2 != code || err2 != err {
		t.Errorf("a second Stop = %d, %v; want the first's result", c2, err2)
	}
}

// A daemon that ignores SIGTERM is killed, with everything in its process
// group, and Stop says so.
func TestStopKillsAHungDaemon(t *testing.T) {
	s, pids := fakeKcl(t, "")
	d, err := s.StartDaemon()
	if err != nil {
		t.Fatal(err)
	}
	shell, child := waitPids(t, pids)
	t.Cleanup(func() { syscall.Kill(-shell, syscall.SIGKILL) })
	began := time.Now()
	_, err = d.Stop(200 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "ignored two SIGTERMs; killed its process groups") {
		t.Errorf("Stop = %v, want the kill reported", err)
	}
	if time.Since(began) > 5*time.Second {
		t.Errorf("Stop took %v", time.Since(began))
	}
	deadline := time.Now().Add(5 * time.Second)
	for (alive(shell) || alive(child)) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(child) {
		t.Errorf("the daemon's child (pid %d) outlived Stop", child)
	}
}
