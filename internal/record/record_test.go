package record

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kclgo/mld/kcltest"
)

// go test ./... -update is run across the module, and a test binary fails
// on a flag it does not define.
var _ = flag.Bool("update", false, "unused: no golden files in this package")

// childEnv makes the test binary the child of the tests: it writes
// oddOutput, copies its stdin to its stdout byte for byte, writes "bye"
// without a newline and exits 3. It stands for a processor in any
// language.
const childEnv = "KCL_RECORD_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Stdout.WriteString(oddOutput)
		io.Copy(os.Stdout, os.Stdin)
		os.Stdout.WriteString("bye")
		os.Exit(3)
	}
	os.Exit(m.Run())
}

const initLine = `{"action":"initialize","shardId":"shardId-000000000000","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}`

// long returns a line of n bytes made of pattern, without a newline.
func long(n int, pattern string) string {
	return strings.Repeat(pattern, n/len(pattern)+1)[:n]
}

// The lines the session format must hold byte for byte: blank ones, spaces
// only, "\r" at the end and alone and inside, NUL and invalid UTF-8, lines
// that look like the file's own syntax, and long ones.
var (
	oddOutput = "\n   \n\t \nstatus\r\n\r\na\rb\nnul\x00 and \xff\xfe\n-- exit --\n> not the daemon's\n" +
		long(3<<20, "child \r\x00\xff{\"a\":1} ") + "\n"
	oddInput = initLine + "\n\n  \nreply\r\n" + long(5<<20, `{"data":"aGVsbG8=","é":"\t"}`+"\r") + "\n\r\n-- session --\n< not the child's\nlast, without a newline"
)

// lines splits s as kcl record does: at "\n", keeping a last line that
// did not end.
func lines(s string) []string {
	out := strings.SplitAfter(s, "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	for i := range out {
		out[i] = strings.TrimSuffix(out[i], "\n")
	}
	return out
}

func child(t *testing.T) []string {
	t.Helper()
	t.Setenv(childEnv, "1")
	return []string{os.Args[0], "-test.run=^$"}
}

func readSession(t *testing.T, path string) *kcltest.Session {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := kcltest.ParseSession(data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOddLinesPassAndAreRecordedByteForByte(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	status, err := Run(Config{
		Command: child(t),
		File:    filepath.Join(dir, "{shard}.txtar"),
		Stdin:   strings.NewReader(oddInput),
		Stdout:  &stdout,
		Stderr:  &stderr,
	})
	if err != nil || status != 3 {
		t.Fatalf("Run = %d, %v; want the child's status 3; stderr:\n%s", status, err, stderr.String())
	}
	wantOut := oddOutput + oddInput + "bye"
	if stdout.String() != wantOut {
		t.Errorf("stdout differs from what the child wrote: %d bytes, want %d", stdout.Len(), len(wantOut))
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr: %s", stderr.String())
	}

	s := readSession(t, filepath.Join(dir, "shardId-000000000000.txtar"))
	var daemon, child []string
	for _, l := range s.Lines {
		if l.FromChild {
			child = append(child, l.Text)
		} else {
			daemon = append(daemon, l.Text)
		}
	}
	for _, side := range []struct {
		name      string
		got, want []string
	}{{"daemon", daemon, lines(oddInput)}, {"child", child, lines(wantOut)}} {
		if !slices.Equal(side.got, side.want) {
			t.Errorf("%s lines: got %d, want %d, or they differ", side.name, len(side.got), len(side.want))
			for i := range min(len(side.got), len(side.want)) {
				if side.got[i] != side.want[i] {
					t.Errorf("first difference, line %d: got %.60q, want %.60q", i, side.got[i], side.want[i])
					break
				}
			}
		}
	}
	if s.ExitCode() != 3 {
		t.Errorf("exit section %d, want 3", s.ExitCode())
	}
	notes, _ := s.Section("notes")
	for _, want := range []string{cutShort(false), cutShort(true)} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	timing, _ := s.Section("timing")
	if n := strings.Count(timing, "\n"); n != len(s.Lines) {
		t.Errorf("%d timing lines for %d session lines", n, len(s.Lines))
	}
	for _, want := range []string{"# command: " + os.Args[0] + " -test.run=^$\n", "# shard: shardId-000000000000\n"} {
		if !strings.Contains(s.Comment, want) {
			t.Errorf("comment lacks %q:\n%s", want, s.Comment)
		}
	}
}

func TestExistingFileIsKept(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shardId-000000000000.txtar")
	if err := os.WriteFile(path, []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	in := initLine + "\n"
	status, err := Run(Config{Command: child(t), File: filepath.Join(dir, "{shard}.txtar"), Stdin: strings.NewReader(in), Stdout: &stdout, Stderr: &stderr})
	if err != nil || status != 3 {
		t.Fatalf("Run = %d, %v; want 3", status, err)
	}
	if stdout.String() != oddOutput+in+"bye" {
		t.Error("the lines did not pass unchanged")
	}
	if !strings.Contains(stderr.String(), path+" exists") {
		t.Errorf("stderr does not say the file exists: %q", stderr.String())
	}
	if data, _ := os.ReadFile(path); string(data) != "keep\n" {
		t.Errorf("the existing file was overwritten: %.80q", data)
	}
}

func TestNoInitialize(t *testing.T) {
	dir := t.TempDir()
	var stdout bytes.Buffer
	if _, err := Run(Config{Command: child(t), File: filepath.Join(dir, "kcl-{shard}-{pid}.txtar"), Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: io.Discard}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "kcl-unknown-*.txtar"))
	if len(files) != 1 {
		t.Fatalf("files %q, want one kcl-unknown-PID.txtar", files)
	}
	s := readSession(t, files[0])
	if !strings.Contains(s.Comment, "# shard: unknown") || len(s.Lines) != len(lines(oddOutput+"bye")) {
		t.Errorf("comment %q, %d lines", s.Comment, len(s.Lines))
	}
}

func TestCommandNotFound(t *testing.T) {
	dir := t.TempDir()
	status, err := Run(Config{Command: []string{filepath.Join(dir, "missing")}, File: filepath.Join(dir, "x.txtar"), Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	if status != 127 || err == nil {
		t.Errorf("Run = %d, %v; want 127 and an error", status, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.txtar")); err == nil {
		t.Error("a file was recorded for a child that never started")
	}
}

func TestFileName(t *testing.T) {
	for _, tc := range []struct {
		pattern, shard string
		want           string
	}{
		{DefaultFile, "shardId-000000000001", "kcl-record-shardId-000000000001-42.txtar"},
		{"/var/tmp/{shard}/{shard}.txtar", "shardId-1", "/var/tmp/shardId-1/shardId-1.txtar"},
		{"fixed.txtar", "shardId-1", "fixed.txtar"},
		{"{shard}.txtar", "", "unknown.txtar"},
		{"{shard}.txtar", "../../etc/passwd", "______etc_passwd.txtar"},
		{"{shard}.txtar", "é\n", "__.txtar"},
	} {
		if got := fileName(tc.pattern, tc.shard, 42); got != tc.want {
			t.Errorf("fileName(%q, %q, 42) = %q, want %q", tc.pattern, tc.shard, got, tc.want)
		}
	}
}
