// Package e2e runs the whole pipeline as users do: kinesalite on the
// loopback interface, records written with the producer of kcl put, and
// the real kcl and sample-processor binaries, built once, with kcl local
// as a separate process. Small misbehaving children are this test binary,
// run again with "e2e-child" as its first argument. The processors in
// testdata/bindings, written with the official Python and Node.js
// bindings, run under kcl play and kcl local as they are. The real Java
// MultiLangDaemon of KCL 3.1.3, 2.7.2 and 1.15.3 runs the sample processor
// through internal/javastack.
//
// Without Node.js (or, for the Python binding, python3 with venv; for the
// Java daemon, java) the tests are skipped, unless the CI environment variable is set, in which
// case they fail.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kclgo/mld/internal/local"
	"github.com/kclgo/mld/internal/stream/kinesalite"
	"github.com/kclgo/mld/internal/stream/producer"
)

var _ = flag.Bool("update", false, "accepted so that go test ./... -update works; this package has no golden files")

var (
	bin        string             // the built kcl and sample-processor
	server     *kinesalite.Server // shared by the tests, one stream each
	skipReason string             // why there is no server
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "e2e-child" {
		os.Exit(child(os.Args[2:]))
	}
	os.Exit(setUp(m))
}

func setUp(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kcl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = dir
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator),
		"github.com/kclgo/mld/cmd/kcl", "github.com/kclgo/mld/cmd/sample-processor")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building kcl and sample-processor:", err)
		return 1
	}
	// A race-enabled child (this binary) would sleep a second at exit.
	if g := os.Getenv("GORACE"); !strings.Contains(g, "atexit_sleep_ms") {
		os.Setenv("GORACE", strings.TrimSpace(g+" atexit_sleep_ms=0"))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kdir, err := kinesalite.Install(ctx, os.Stderr)
	if err == nil {
		// Splits and merges take 100ms; every test has its own streams.
		server, err = kinesalite.Start(ctx, kdir, kinesalite.Options{CreateStreamMs: 10, UpdateStreamMs: 100, ShardLimit: 1000})
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			fmt.Fprintf(os.Stderr, "e2e: %v (CI is set, so these tests must run)\n", err)
			return 1
		}
		skipReason = fmt.Sprintf("e2e: kinesalite unavailable (%v); skipping (set CI to make this a failure)", err)
	} else {
		defer server.Stop()
	}
	return m.Run()
}

func needServer(t *testing.T) {
	t.Helper()
	if server == nil {
		t.Skip(skipReason)
	}
}

var streams atomic.Int64

// newStream creates a stream with n shards, named after prefix and
// numbered so that -count runs get new ones, and returns its name.
func newStream(t *testing.T, prefix string, shards int) (*kinesis.Client, string) {
	t.Helper()
	needServer(t)
	client := server.Client()
	name := fmt.Sprintf("%s-%d", prefix, streams.Add(1))
	if err := kinesalite.CreateStream(context.Background(), client, name, shards); err != nil {
		t.Fatal(err)
	}
	return client, name
}

// written is what the producer wrote.
type written struct {
	seqs   []string          // every sequence number, in order written
	shard  map[string]string // sequence number -> shard
	last   map[string]string // shard -> its last sequence number
	byShrd map[string][]string
}

func produce(t *testing.T, client *kinesis.Client, stream, prefix string, n int, w *written) {
	t.Helper()
	if w.shard == nil {
		w.shard, w.last, w.byShrd = map[string]string{}, map[string]string{}, map[string][]string{}
	}
	p := producer.New(client, stream, producer.Options{OnWritten: func(r producer.Record, out producer.Written) {
		w.seqs = append(w.seqs, out.SequenceNumber)
		w.shard[out.SequenceNumber] = out.ShardID
		w.last[out.ShardID] = out.SequenceNumber
		w.byShrd[out.ShardID] = append(w.byShrd[out.ShardID], out.SequenceNumber)
	}})
	ctx := context.Background()
	for i := range n {
		key := fmt.Sprintf("%s-%d", prefix, i)
		if err := p.Add(ctx, producer.Record{PartitionKey: key, Data: []byte(`{"record":"` + key + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// writeProps writes a kcl.properties for the shared server.
func writeProps(t *testing.T, dir, stream, executable string, extra ...string) string {
	t.Helper()
	path := filepath.Join(dir, "kcl.properties")
	content := fmt.Sprintf("streamName = %s\nkinesisEndpoint = %s\nregionName = us-east-1\ninitialPositionInStream = TRIM_HORIZON\nexecutableName = %s\n%s\n",
		stream, server.URL, executable, strings.Join(extra, "\n"))
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// localRun is a kcl local process.
type localRun struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	code   int
}

// startLocal runs "kcl local" with props, the checkpoint file cps, a short
// poll interval and bounded shutdown waits.
func startLocal(t *testing.T, props, cps string, args ...string) *localRun {
	t.Helper()
	args = append([]string{"local", "-p", props, "-checkpoints", cps, "-idle", "50ms",
		"-progress", "1s", "-exit-timeout", "5s", "-shutdown-timeout", "15s"}, args...)
	cmd := exec.Command(filepath.Join(bin, "kcl"), args...)
	r := &localRun{t: t, cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = r.stderr
	cmd.Stdout = r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		r.code = 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
		} else if err != nil {
			r.code = -1
		}
		close(r.done)
	}()
	t.Cleanup(func() {
		// A graceful stop first, so that kcl local ends its children.
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-r.done
		}
		if t.Failed() {
			t.Logf("kcl local's stderr:\n%s", r.stderr)
		}
	})
	return r
}

// wait waits for kcl local to exit, at most d, and returns its status.
func (r *localRun) wait(d time.Duration) int {
	r.t.Helper()
	select {
	case <-r.done:
		return r.code
	case <-time.After(d):
		r.t.Fatalf("kcl local did not exit within %v; stderr:\n%s", d, r.stderr)
		return 0
	}
}

// stop sends SIGTERM and returns the exit status.
func (r *localRun) stop() int {
	r.t.Helper()
	r.cmd.Process.Signal(syscall.SIGTERM)
	return r.wait(30 * time.Second)
}

// waitFor polls cond for at most d.
func (r *localRun) waitFor(what string, d time.Duration, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		select {
		case <-r.done:
			r.t.Fatalf("kcl local exited (status %d) while waiting for %s; stderr:\n%s", r.code, what, r.stderr)
		default:
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out after %v waiting for %s; stderr:\n%s", d, what, r.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// recordLine matches the line a processor logs for each record: the
// sample processor's, and the crashing test child's.
var recordLine = regexp.MustCompile(`^\[(shardId-\d+)\] .*msg=record .*sequenceNumber=(\d+)`)

// processed returns the records a run's processors logged, as shard and
// sequence number, in order.
func processed(stderr string) [][2]string {
	var out [][2]string
	for _, l := range strings.Split(stderr, "\n") {
		if m := recordLine.FindStringSubmatch(l); m != nil {
			out = append(out, [2]string{m[1], m[2]})
		}
	}
	return out
}

// counts returns how often each sequence number was processed.
func counts(runs ...string) map[string]int {
	c := map[string]int{}
	for _, s := range runs {
		for _, p := range processed(s) {
			c[p[1]]++
		}
	}
	return c
}

func allSeen(w *written, runs ...func() string) func() bool {
	return func() bool {
		var all []string
		for _, r := range runs {
			all = append(all, r())
		}
		c := counts(all...)
		for _, s := range w.seqs {
			if c[s] == 0 {
				return false
			}
		}
		return true
	}
}

func checkpoints(t *testing.T, cps, stream string) map[string]local.StoredCheckpoint {
	t.Helper()
	all, err := local.ReadCheckpointFile(cps)
	if err != nil {
		t.Fatalf("reading the checkpoint file: %v", err)
	}
	return all[stream]
}

// lineIndex returns the index of the first stderr line containing s, or -1.
func lineIndex(stderr, s string) int {
	for i, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, s) {
			return i
		}
	}
	return -1
}

func cmpSeq(a, b string) int {
	x, _ := new(big.Int).SetString(a, 10)
	y, _ := new(big.Int).SetString(b, 10)
	return x.Cmp(y)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// listShards returns the stream's shards.
func listShards(t *testing.T, client *kinesis.Client, stream string) *kinesis.ListShardsOutput {
	t.Helper()
	out, err := client.ListShards(context.Background(), &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
