package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kclgo/mld/internal/javastack"
	"github.com/kclgo/mld/internal/kclprops"
	"github.com/kclgo/mld/internal/stream/dynalite"
	"github.com/kclgo/mld/internal/stream/kinesalite"
)

// The real MultiLangDaemon of each KCL line runs the sample processor on a
// stream of two shards: every record written reaches a processor, and
// after a SIGTERM through kcl daemon's graceful path each shard's
// checkpoint in the lease table is its last record.
func TestJavaDaemon(t *testing.T) {
	for _, version := range []string{"3.1.3", "2.7.2", "1.15.3"} {
		t.Run(version, func(t *testing.T) { testJavaDaemon(t, version) })
	}
}

func testJavaDaemon(t *testing.T, version string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sample, _ := filepath.Abs(filepath.Join(bin, "sample-processor"))
	began := time.Now()
	s, err := javastack.Start(ctx, javastack.Config{
		KCL: version, Kcl: filepath.Join(bin, "kcl"), Shards: 2,
		Executable: sample + " -checkpoint-every-records 5",
		Log:        testWriter{t},
	})
	if err != nil {
		javaUnavailable(t, err)
	}
	defer s.Close()
	setUp := time.Since(began)

	// kcl check passes the file without a word: no error, no warning.
	f, err := kclprops.Load(s.Properties)
	if err != nil {
		t.Fatal(err)
	}
	if rep := kclprops.Check(f, s.Version); len(rep.Problems) > 0 {
		var b strings.Builder
		rep.Write(&b, s.Properties)
		t.Errorf("kcl check -kcl %s finds problems in the written properties:\n%s", s.Version, b.String())
	}

	d, err := s.StartDaemon()
	if err != nil {
		t.Fatal(err)
	}
	var w written
	produce(t, s.KinesisClient(), s.Stream, "java", 50, &w)

	seen := map[string]bool{}
	var firstInit, allSeen time.Duration
	for len(seen) < len(w.seqs) {
		out := d.Output()
		if firstInit == 0 && strings.Contains(out, `msg="shard assigned"`) {
			firstInit = d.Since()
		}
		for _, m := range recordSeq.FindAllStringSubmatch(out, -1) {
			seen[m[1]] = true
		}
		if len(seen) >= len(w.seqs) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("KCL %s: %d of %d records processed within the time limit; the daemon's output:\n%s", version, len(seen), len(w.seqs), out)
		case <-d.Done():
			t.Fatalf("KCL %s: the daemon ended early; its output:\n%s", version, out)
		case <-time.After(100 * time.Millisecond):
		}
	}
	allSeen = d.Since()
	for _, seq := range w.seqs {
		if !seen[seq] {
			t.Errorf("record %s (%s) never reached a processor", seq, w.shard[seq])
		}
	}

	stopAt := time.Now()
	code, err := d.Stop(60 * time.Second)
	stopped := time.Since(stopAt)
	if err != nil {
		t.Errorf("KCL %s: %v", version, err)
	}
	t.Logf("KCL %s: set-up %v, first initialize %v after start, all %d records %v after start, stop %v (exit status %d)",
		version, setUp.Round(time.Millisecond), firstInit.Round(time.Millisecond), len(w.seqs),
		allSeen.Round(time.Millisecond), stopped.Round(time.Millisecond), code)

	leases, err := s.Leases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]dynalite.Lease{}
	for _, l := range leases {
		got[l.Key] = l
	}
	for shard, last := range w.last {
		if l := got[shard]; l.Checkpoint != last || l.SubSequenceNumber != 0 {
			t.Errorf("KCL %s: lease %s checkpoint %s/%d, want its last record %s/0", version, shard, l.Checkpoint, l.SubSequenceNumber, last)
		}
	}
	if t.Failed() {
		t.Logf("the daemon's output:\n%s", d.Output())
	}
}

var recordSeq = regexp.MustCompile(`msg=record .*?sequenceNumber=(\d+)`)

// javaUnavailable skips the test when what the real daemon needs is not on
// this machine (java, node and npm, the jars), unless CI is set.
func javaUnavailable(t *testing.T, err error) {
	t.Helper()
	missing := errors.Is(err, javastack.ErrJava) || errors.Is(err, kinesalite.ErrNoNode) || errors.Is(err, dynalite.ErrNoNode)
	if os.Getenv("CI") != "" || !missing && !strings.Contains(err.Error(), "jars:") {
		t.Fatalf("%v (CI is set, so the real daemon must run)", err)
	}
	t.Skipf("%v; skipping (set CI to make this a failure)", err)
}

// testWriter logs each write.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
