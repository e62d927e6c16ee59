package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kclgo/mld/internal/bindings"
)

// binding is a record processor written with an official binding of the
// MultiLangDaemon, in testdata/bindings: the command that runs it, and
// the environment it needs.
type binding struct {
	name string
	argv []string
	env  []string
}

// forEachBinding runs f on each binding's processor, in a subtest of its
// own, installing the binding if need be (the subtest is skipped without
// the language, unless CI is set).
func forEachBinding(t *testing.T, f func(t *testing.T, b binding)) {
	app := func(t *testing.T, rel string) string {
		t.Helper()
		p, err := filepath.Abs(filepath.Join("..", "..", "testdata", "bindings", rel))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("python", func(t *testing.T) {
		python := bindings.PythonForTest(t)
		f(t, binding{name: "python", argv: []string{python, app(t, "python/app.py")}})
	})
	t.Run("node", func(t *testing.T) {
		dir := bindings.NodeForTest(t)
		f(t, binding{name: "node", argv: []string{"node", app(t, "node/app.js")},
			env: []string{"NODE_PATH=" + filepath.Join(dir, "node_modules")}})
	})
}

// kcl play plays a whole session against each binding's processor, as it
// is: the first checkpoint is throttled and retried, every record is
// delivered, the checkpoints land where the processor asked, and every
// line the binding writes is read as the daemon reads it, none skipped
// with a reason.
func TestBindingsPlay(t *testing.T) {
	const last = "49590338271490256608559692538361571095921575989130000012/0"
	tests := []struct {
		end     string
		summary string
		logs    []string
	}{
		{"requested", "kcl play: 12 records in 3 batches delivered; checkpoint now " + last + " (3 stored); child exited 0",
			[]string{"shutdown requested", "checkpointed the last batch", "lease lost"}},
		{"shardEnded", "kcl play: 12 records in 3 batches delivered; checkpoint now SHARD_END (4 stored); child exited 0",
			[]string{"shard ended", "checkpointed the last batch"}},
		{"leaseLost", "kcl play: 12 records in 3 batches delivered; checkpoint now " + last + " (3 stored); child exited 0",
			[]string{"lease lost"}},
	}
	forEachBinding(t, func(t *testing.T, b binding) {
		for _, tt := range tests {
			t.Run(tt.end, func(t *testing.T) {
				args := append([]string{"play", "-batches", "3", "-records", "4", "-end", tt.end, "-width", "0", "--"}, b.argv...)
				cmd := exec.Command(filepath.Join(bin, "kcl"), args...)
				cmd.Env = append(os.Environ(), b.env...)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				start := time.Now()
				err := cmd.Run()
				t.Logf("kcl play -end %s took %v", tt.end, time.Since(start).Round(time.Millisecond))
				if err != nil {
					t.Fatalf("kcl play: %v, want exit status 0; output:\n%s", err, &out)
				}
				got := out.String()
				if !strings.Contains(got, tt.summary+"\n") {
					t.Errorf("the output lacks the summary %q:\n%s", tt.summary, got)
				}
				if n := strings.Count(got, "child stderr | record key="); n != 12 {
					t.Errorf("the processor logged %d records, want 12:\n%s", n, got)
				}
				want := append([]string{"initialize shard=shardId-000000000000 at=TRIM_HORIZON", "checkpoint throttled (attempt 1); trying again"}, tt.logs...)
				for _, s := range want {
					if !strings.Contains(got, "child stderr | "+s+"\n") {
						t.Errorf("the processor did not log %q:\n%s", s, got)
					}
				}
				// kcl play marks a line the daemon skips or ignores with
				// "^ " and the reason; the bindings' blank lines before
				// each message are skipped silently, as the daemon does.
				if strings.Contains(got, "\n                 ^ ") {
					t.Errorf("the daemon would skip or ignore a line of the processor's:\n%s", got)
				}
			})
		}
	})
}

// bindingRecord matches the line the bindings' processors log for each
// record, as kcl local shows it.
var bindingRecord = regexp.MustCompile(`(?m)^\[(shardId-\d+)\] record key=(\S+) seq=(\d+) data=(.*)$`)

// kcl local runs each binding's processor on every shard of a stream, as
// the Java daemon runs executableName: every record reaches it once, and
// after a SIGTERM each shard is checkpointed at its last record.
func TestBindingsLocal(t *testing.T) {
	forEachBinding(t, func(t *testing.T, b binding) {
		client, stream := newStream(t, "e2e-bindings-"+b.name, 2)
		var w written
		const n = 40
		produce(t, client, stream, b.name, n, &w)
		if len(w.last) != 2 {
			t.Fatalf("the producer wrote to %d shards, want 2", len(w.last))
		}
		for _, a := range b.argv {
			if strings.ContainsAny(a, " \t") {
				t.Fatalf("%q has a space, and executableName is split on spaces; set %s or %s to a directory without one",
					a, bindings.PythonDirEnv, bindings.NodeDirEnv)
			}
		}
		for _, e := range b.env {
			k, v, _ := strings.Cut(e, "=")
			t.Setenv(k, v) // kcl local passes its environment to the children
		}
		dir := t.TempDir()
		props := writeProps(t, dir, stream, strings.Join(b.argv, " "), "maxRecords = 15")
		cps := filepath.Join(dir, "checkpoints.json")
		start := time.Now()
		r := startLocal(t, props, cps)
		r.waitFor("every record logged by the processor", time.Minute, func() bool {
			return len(bindingRecord.FindAllString(r.stderr.String(), -1)) >= n
		})
		r.waitFor("each shard's last record checkpointed", 30*time.Second, func() bool {
			for _, last := range w.last {
				if !strings.Contains(r.stderr.String(), "] checkpointed "+last+"\n") {
					return false
				}
			}
			return true
		})
		if code := r.stop(); code != 0 {
			t.Fatalf("kcl local exited %d after SIGTERM, want 0", code)
		}
		t.Logf("%d records on 2 shards processed and kcl local stopped in %v", n, time.Since(start).Round(time.Millisecond))
		stderr := r.stderr.String()

		seen := map[string]int{}
		keys := map[string]bool{}
		for _, m := range bindingRecord.FindAllStringSubmatch(stderr, -1) {
			shard, key, seq, data := m[1], m[2], m[3], m[4]
			seen[seq]++
			keys[key] = true
			if w.shard[seq] != shard {
				t.Errorf("record %s logged on %s, written to %q", seq, shard, w.shard[seq])
			}
			if want := `{"record":"` + key + `"}`; data != want {
				t.Errorf("record %s: data %q, want %q", seq, data, want)
			}
		}
		for _, s := range w.seqs {
			if seen[s] != 1 {
				t.Errorf("record %s logged %d times, want once", s, seen[s])
			}
		}
		for i := range n {
			if k := fmt.Sprintf("%s-%d", b.name, i); !keys[k] {
				t.Errorf("no record with partition key %s", k)
			}
		}

		got := checkpoints(t, cps, stream)
		for shard, last := range w.last {
			if got[shard].SequenceNumber != last {
				t.Errorf("%s: checkpoint %q, want its last record %q", shard, got[shard].SequenceNumber, last)
			}
			for _, s := range []string{
				"[" + shard + "] initialize shard=" + shard + " at=TRIM_HORIZON",
				"[" + shard + "] shutdown requested",
				"[" + shard + "] lease lost",
				"the child exited with status 0 shard=" + shard + " after=leaseLost",
			} {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q", s)
				}
			}
		}
	})
}
