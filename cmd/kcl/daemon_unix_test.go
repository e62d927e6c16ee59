//go:build unix

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kclgo/mld/internal/jars/jarstest"
)

// The tests of how kcl daemon passes signals on and puts java in a process
// group of its own; both exist on Unix only (see launch.Run).

// wait waits for a file the fake java writes.
func (j *fakeJava) wait(t *testing.T, name string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if s := j.read(name); s != "" {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fake java never wrote %s", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startKCL runs kcl as a process of its own, in a process group of its own
// as a shell puts a foreground job, with stdout and stderr in files.
func startKCL(t *testing.T, args ...string) (*exec.Cmd, <-chan error, func() string) {
	t.Helper()
	cmd := kclCommand(t, args...)
	out, err := os.Create(filepath.Join(t.TempDir(), "output"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); out.Close() }()
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	output := func() string { b, _ := os.ReadFile(out.Name()); return string(b) }
	return cmd, done, output
}

func exitStatus(t *testing.T, done <-chan error, output func() string) int {
	t.Helper()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err == nil {
			return 0
		}
		if !errors.As(err, &ee) {
			t.Fatalf("kcl: %v", err)
		}
		return ee.ExitCode()
	case <-time.After(20 * time.Second):
		t.Fatalf("kcl did not exit:\n%s", output())
		return 0
	}
}

// gone waits until no process has pid.
func gone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Errorf("process %d still runs", pid)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDaemonSignals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		onInt  string
		onTerm string
		send   func(kcl int) // signals kcl as the test says
		code   int
		recv   string // the INT and TERM java got (the fake java does not trap HUP: it dies of it)
		note   string
	}{
		{"SIGTERM is forwarded", "", `trap - TERM; kill -TERM $$`,
			func(kcl int) { syscall.Kill(kcl, syscall.SIGTERM) }, 128 + 15, "TERM\n", "kcl daemon: terminated: asking java (pid "},
		{"SIGHUP is forwarded", "", "",
			func(kcl int) { syscall.Kill(kcl, syscall.SIGHUP) }, 128 + 1, "", "kcl daemon: hangup: asking java (pid "},
		{"Ctrl-C reaches java once, through kcl", "exit 0", "",
			func(kcl int) { syscall.Kill(-kcl, syscall.SIGINT) }, 0, "INT\n", "kcl daemon: interrupt: asking java (pid "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newDaemonEnv(t, "3.1.3", newFakeJava(t, "17.0.15", 0, tc.onInt, tc.onTerm))
			cmd, done, output := startKCL(t, e.args()...)
			var pid, pgid int
			parsePids(t, e.java.wait(t, "pid"), &pid, &pgid)
			t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL) })
			kclGroup, _ := syscall.Getpgid(cmd.Process.Pid)
			if pgid != pid || pgid == kclGroup {
				t.Errorf("java's process group is %d (its pid %d, kcl's group %d): want one of its own", pgid, pid, kclGroup)
			}
			tc.send(cmd.Process.Pid)
			if code := exitStatus(t, done, output); code != tc.code {
				t.Errorf("kcl exit %d, want %d:\n%s", code, tc.code, output())
			}
			if got := e.java.read("signals"); got != tc.recv {
				t.Errorf("java got signals %q, want %q", got, tc.recv)
			}
			if !strings.Contains(output(), tc.note) {
				t.Errorf("output lacks %q:\n%s", tc.note, output())
			}
			// The record processor was not signalled: it still runs
			// until java's exit closes its world (here, the test kills it).
			child, _ := strconv.Atoi(strings.TrimSpace(e.java.wait(t, "child")))
			if err := syscall.Kill(child, 0); err != nil {
				t.Errorf("the record processor died with java's signal: %v", err)
			}
			syscall.Kill(child, syscall.SIGKILL)
		})
	}
}

func TestDaemonSecondInterrupt(t *testing.T) {
	// A JVM whose shutdown hangs: it notes each Ctrl-C and goes on.
	e := newDaemonEnv(t, "3.1.3", newFakeJava(t, "17.0.15", 0, ":", ":"))
	cmd, done, output := startKCL(t, e.args()...)
	var pid, pgid int
	parsePids(t, e.java.wait(t, "pid"), &pid, &pgid)
	t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL) })
	child, _ := strconv.Atoi(strings.TrimSpace(e.java.wait(t, "child")))
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	e.java.wait(t, "signals")
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	if code := exitStatus(t, done, output); code != 128+9 {
		t.Errorf("kcl exit %d, want 137 (java killed):\n%s", code, output())
	}
	if got := e.java.read("signals"); got != "INT\n" {
		t.Errorf("java got signals %q, want one INT", got)
	}
	if !strings.Contains(output(), "kcl daemon: interrupt again: killing java and its record processors (process group "+strconv.Itoa(pid)+")") {
		t.Errorf("output:\n%s", output())
	}
	gone(t, pid)
	gone(t, child)
}

func parsePids(t *testing.T, s string, pid, pgid *int) {
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

func TestDaemonInterruptedFetch(t *testing.T) {
	e := newDaemonEnv(t, "3.1.3", newFakeJava(t, "17.0.15", 0, "", "").release())
	e.repo.Fail(e.list.Jars[2].RepoPath(), jarstest.StallBody())
	cmd, done, output := startKCL(t, e.args("-idle-timeout", "1m")...)
	select {
	case <-e.repo.Stalls():
	case <-time.After(20 * time.Second):
		t.Fatalf("the download never stalled:\n%s", output())
	}
	syscall.Kill(cmd.Process.Pid, syscall.SIGINT)
	if code := exitStatus(t, done, output); code != 130 || !strings.Contains(output(), "kcl daemon: interrupted; no partial jar was left") {
		t.Errorf("exit %d, want 130:\n%s", code, output())
	}
	if e.java.args() != nil {
		t.Error("java was started")
	}
	entries, _ := os.ReadDir(e.dir)
	for _, en := range entries {
		if en.Name() == e.list.Jars[2].FileName() || strings.HasSuffix(en.Name(), ".tmp") {
			t.Errorf("left in the jar directory: %s", en.Name())
		}
	}
}
