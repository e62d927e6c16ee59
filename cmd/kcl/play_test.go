package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var _ = flag.Bool("update", false, "unused: no golden files in this package")

// sample is the sample processor, built once for the package.
var sample string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kcl-play-test")
	if err != nil {
		panic(err)
	}
	sample = filepath.Join(dir, "sample-processor")
	build := exec.Command("go", "build", "-o", sample, "github.com/kclgo/mld/cmd/sample-processor")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building the sample processor: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func play(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(append([]string{"play"}, args...), &out, &out)
	return code, out.String()
}

func TestPlayGenerated(t *testing.T) {
	for _, tc := range []struct {
		end  string
		want []string
	}{
		{"requested", []string{`{"action":"shutdownRequested"}`, `"responseFor":"leaseLost"`, "checkpoint now 4959"}},
		{"shardEnded", []string{`"responseFor":"shardEnded"`, "checkpoint now SHARD_END"}},
		{"leaseLost", []string{`"responseFor":"leaseLost"`}},
	} {
		t.Run(tc.end, func(t *testing.T) {
			code, out := play(t, "-end", tc.end, "-batches", "2", "-records", "3", "--", sample, "-checkpoint-every-records", "3")
			if code != 0 {
				t.Fatalf("exit %d, want 0:\n%s", code, out)
			}
			want := append([]string{
				`"error":"ThrottlingException"`, // the first checkpoint is throttled
				`"records":[{"data":"`,
				"child stderr | ",
				"6 records in 2 batches delivered",
			}, tc.want...)
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestPlaySession(t *testing.T) {
	code, out := play(t, "-session", "../../testdata/kpl-subsequence.txtar", "--", sample)
	if code != 0 || !strings.Contains(out, "session played; child exit status 0") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestPlayBrokenChild(t *testing.T) {
	// A child that exits at once never answers initialize; depending on
	// timing the daemon notices when writing initialize or when reading.
	code, out := play(t, "--", "true")
	if code != 1 || !strings.Contains(out, "kcltest: initialize: ") {
		t.Fatalf("exit %d, want 1 naming initialize:\n%s", code, out)
	}
}

func TestPlayUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"-end", "never", "--", "true"}, {"-session", "/nonexistent", "--", "true"}} {
		if code, out := play(t, args...); code != 2 {
			t.Errorf("play %q: exit %d, want 2:\n%s", args, code, out)
		}
	}
	var out bytes.Buffer
	if code := run([]string{"bogus"}, &out, &out); code != 2 || !strings.Contains(out.String(), "unknown command") {
		t.Errorf("kcl bogus: exit %d:\n%s", code, out.String())
	}
}

// The child's stderr shows up after the daemon line that caused it, and a
// line the daemon would skip is shown with the reason and skipped.
func TestPlayShowsLinesInOrder(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	script := `read l; echo "read initialize" >&2
echo; echo '{"action": "status", "responseFor": "initialize"}'
read l; echo '{"action":"checkpoint","checkpoint":"1"}'; echo '{"action":"status","responseFor":"leaseLost"}'
cat >/dev/null`
	code, out := play(t, "-batches", "0", "-end", "leaseLost", "--", sh, "-c", script)
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	init := strings.Index(out, `daemon > child   {"action":"initialize"`)
	stderr := strings.Index(out, "child stderr | read initialize")
	status := strings.Index(out, `child  > daemon  {"action": "status", "responseFor": "initialize"}`)
	if init < 0 || stderr < init || status < 0 {
		t.Errorf("want the initialize line, then the child's stderr line, then its status:\n%s", out)
	}
	skip := "child  > daemon  {\"action\":\"checkpoint\",\"checkpoint\":\"1\"}\n                 ^ the daemon skips this line: a checkpoint message has no field \"checkpoint\"\n"
	if !strings.Contains(out, skip) {
		t.Errorf("output lacks %q:\n%s", skip, out)
	}
}

// A child's stderr line written in pieces, or left without its newline at
// exit, is shown as one line.
func TestPlayJoinsStderrPieces(t *testing.T) {
	var out bytes.Buffer
	pw := &prefixWriter{w: &out, prefix: "| "}
	for _, piece := range []string{"rec", "ord 1", "\n", "\nrecord 2\nrecord", " 3\n", "no newline"} {
		pw.Write([]byte(piece))
	}
	pw.flush()
	pw.flush()
	if want := "| record 1\n| \n| record 2\n| record 3\n| no newline\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
}
