package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kclgo/mld/kcltest"
)

// sampleArgs runs the sample processor with checkpoints by count only, so
// that a replay makes the same ones.
func sampleArgs() []string {
	return []string{sample, "-checkpoint-every-records", "3", "-checkpoint-every", "0"}
}

func readRecording(t *testing.T, path string) *kcltest.Session {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := kcltest.ParseSession(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

// TestRecordReplays records a whole session of the sample processor under
// kcl record, as the daemon would start it from executableName, and
// replays the recording against the sample processor.
func TestRecordReplays(t *testing.T) {
	dir := t.TempDir()
	cmd := kclCommand(t, append([]string{"record", "-o", filepath.Join(dir, "{shard}-{pid}.txtar"), "--"}, sampleArgs()...)...)
	d := kcltest.StartCommand(t, cmd)
	d.Initialize("shardId-000000000007", "TRIM_HORIZON")

	path := filepath.Join(dir, fmt.Sprintf("shardId-000000000007-%d.txtar", cmd.Process.Pid))
	// Written as the lines pass: a recording cut short here is a session.
	if s := readRecording(t, path); kcltest.DiffLines(s.Lines, d.Transcript()) != "" {
		t.Errorf("after initialize the file holds %q, want %q", s.Lines, d.Transcript())
	}
	d.ReplyNext("ThrottlingException")
	for i := range 3 {
		d.ProcessRecords(kcltest.Records(fmt.Sprintf(`{"batch":%d,"n":1}`, i), `{"n":2}`, `{"n":3}`)...)
	}
	d.ShutdownRequested()
	d.LeaseLost()
	if err := d.Close(); err != nil {
		t.Fatalf("kcl record: %v\n%s", err, d.Stderr())
	}

	s := readRecording(t, path)
	if diff := kcltest.DiffLines(d.Transcript(), s.Lines); diff != "" {
		t.Errorf("recording (- what the daemon saw, + recorded):\n%s", diff)
	}
	if _, ok := s.Section(kcltest.SectionExit); ok {
		t.Errorf("an exit section for a child that exited 0")
	}
	if timing, _ := s.Section("timing"); strings.Count(timing, "\n") != len(s.Lines) {
		t.Errorf("timing section %q for %d lines", timing, len(s.Lines))
	}
	if !strings.Contains(s.Comment, "# shard: shardId-000000000007\n") {
		t.Errorf("comment does not name the shard:\n%s", s.Comment)
	}

	args := sampleArgs()
	r, err := kcltest.Replay(kcltest.StartCommand(t, exec.Command(args[0], args[1:]...)), s)
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Check(r); p != nil {
		t.Errorf("replay: %s", strings.Join(p, "\n"))
	}
}

func TestRecordNeedsACommand(t *testing.T) {
	if code, _, stderr := kclRun("record", "-o", filepath.Join(t.TempDir(), "x.txtar")); code != 2 || !strings.Contains(stderr, "no command to run") {
		t.Errorf("exit %d, stderr %q; want 2 and a word on the missing command", code, stderr)
	}
	if code, _, stderr := kclRun("record", "-h"); code != 0 || !strings.Contains(stderr, "executableName = kcl record") {
		t.Errorf("-h: exit %d, stderr %q", code, stderr)
	}
}

// syncBuffer is a bytes.Buffer a test reads while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
