//go:build unix

package main

import (
	"bufio"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const recordInit = `{"action":"initialize","shardId":"shardId-000000000000","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}`

// recorder is kcl record running in a process group of its own, as under
// a terminal, with a shell script for the child.
type recorder struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *syncBuffer
	file   string
}

func startRecorder(t *testing.T, script string) *recorder {
	t.Helper()
	r := &recorder{stderr: &syncBuffer{}, file: filepath.Join(t.TempDir(), "session.txtar")}
	r.cmd = kclCommand(t, "record", "-o", r.file, "--", "sh", "-c", script)
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r.cmd.Stderr = r.stderr
	r.cmd.WaitDelay = 5 * time.Second // for a child left behind holding stderr
	var err error
	if r.in, err = r.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r.out = bufio.NewReader(out)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		r.cmd.Wait()
	})
	return r
}

// echo writes line and reads it back from a child that copies its input.
func (r *recorder) echo(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(r.in, line+"\n"); err != nil {
		t.Fatalf("writing %q: %v; stderr:\n%s", line, err, r.stderr)
	}
	got, err := r.out.ReadString('\n')
	if err != nil || got != line+"\n" {
		t.Fatalf("read back %q, %v; want %q; stderr:\n%s", got, err, line, r.stderr)
	}
}

// end closes stdin, as the daemon ends a child, and returns the exit
// status.
func (r *recorder) end(t *testing.T) int {
	t.Helper()
	r.in.Close()
	err := r.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return r.cmd.ProcessState.ExitCode()
}

// TestRecordIgnoresSignals sends SIGINT, SIGTERM and SIGHUP to the process
// group, as a terminal does: kcl record and a child that ignores them run
// on, and the end of input ends both with the child's status.
func TestRecordIgnoresSignals(t *testing.T) {
	r := startRecorder(t, "trap '' INT TERM HUP; cat; exit 3")
	r.echo(t, recordInit)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		if err := syscall.Kill(-r.cmd.Process.Pid, sig); err != nil {
			t.Fatal(err)
		}
		waitFor(t, sig.String()+" to be ignored", func() bool { return strings.Contains(r.stderr.String(), sig.String()+" ignored") })
	}
	r.echo(t, "after the signals")
	if code := r.end(t); code != 3 {
		t.Errorf("exit status %d, want the child's 3; stderr:\n%s", code, r.stderr)
	}
	s := readRecording(t, r.file)
	if s.ExitCode() != 3 || len(s.Lines) != 4 || s.Lines[3].Text != "after the signals" {
		t.Errorf("recorded exit %d and lines %q", s.ExitCode(), s.Lines)
	}
}

// TestRecordChildKeepsDefaultSignals checks that kcl record catches the
// signals rather than ignoring them, which the child would inherit: a
// shell child dies of SIGTERM as it would without kcl record, which exits
// as a shell reports that.
func TestRecordChildKeepsDefaultSignals(t *testing.T) {
	r := startRecorder(t, "cat; exit 3")
	r.echo(t, recordInit)
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
	if code := r.end(t); code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit status %d, want %d; stderr:\n%s", code, 128+int(syscall.SIGTERM), r.stderr)
	}
	s := readRecording(t, r.file)
	notes, _ := s.Section("notes")
	if s.ExitCode() != -1 || !strings.Contains(notes, "killed by signal 15") {
		t.Errorf("recorded exit %d, notes %q; want -1 (as kcltest reports a killed child) and a note", s.ExitCode(), notes)
	}
}
