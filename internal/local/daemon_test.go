package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kclgo/mld/internal/lease"
	"github.com/kclgo/mld/internal/stream"
	"github.com/kclgo/mld/internal/stream/kinesisfake"
	"github.com/kclgo/mld/protocol"
)

// syncBuffer is a log destination shared by goroutines.
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

// run is a Daemon under test, running in the background.
type run struct {
	t      *testing.T
	dir    string // the children's logs and the checkpoint file
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
	d      *Daemon
}

const testStream = "test-stream"

// startDaemon runs a Daemon against fake with test children of the given
// behaviours; edit adjusts the configuration. The daemon is stopped at
// cleanup if the test has not stopped it.
func startDaemon(t *testing.T, fake *kinesisfake.Server, dir string, edit func(*Config), behaviours ...string) *run {
	t.Helper()
	client, err := stream.NewClient(context.Background(), "", fake.URL)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	out := &LockedWriter{W: logs}
	cfg := Config{
		Stream:          testStream,
		InitialPosition: lease.TrimHorizon,
		IdleTime:        10 * time.Millisecond,
		Executable:      childArgs(dir, behaviours...),
		CheckpointFile:  filepath.Join(dir, "checkpoints.json"),
		ShardSync:       time.Hour,
		Progress:        -1,
		ExitTimeout:     5 * time.Second,
		Logger:          slog.New(NewLogHandler(out, slog.LevelDebug)),
		ChildStderr:     out,
	}
	if edit != nil {
		edit(&cfg)
	}
	d, err := New(cfg, client)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{t: t, dir: dir, logs: logs, cancel: cancel, done: make(chan error, 1), d: d}
	go func() { r.done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(20 * time.Second):
			d.Abort()
			<-r.done
		}
	})
	return r
}

// wait returns Run's error once it returns by itself.
func (r *run) wait() error {
	r.t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for cleanup
		return err
	case <-time.After(20 * time.Second):
		r.t.Fatalf("Run did not return within 20s; logs:\n%s", r.logs)
		return nil
	}
}

// stop cancels Run's context, as SIGTERM does, and returns its error.
func (r *run) stop() error {
	r.t.Helper()
	r.cancel()
	return r.wait()
}

// waitFor polls cond until it holds, failing the test after 20s.
func (r *run) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s; logs:\n%s", what, r.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkpoint returns the stored checkpoint of shard.
func (r *run) checkpoint(shard string) string {
	r.t.Helper()
	all, err := ReadCheckpointFile(filepath.Join(r.dir, "checkpoints.json"))
	if err != nil {
		return ""
	}
	return all[testStream][shard].SequenceNumber
}

func shard(i int) string { return fmt.Sprintf("shardId-%012d", i) }

// A whole shard, start to end: every daemon line is exactly what the Java
// daemon writes, and every checkpoint gets the daemon's answer.
func TestShardLifecycle(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 1)
	fake.PutToShard(testStream, shard(0), "pk-1", []byte("hello"))
	fake.PutToShard(testStream, shard(0), "é\t\x01", []byte{}) // raw UTF-8, escapes, empty data
	fake.PutToShard(testStream, shard(0), "pk-3", []byte{0xff, 0xfe, 0, 1})
	fake.CloseShard(testStream, shard(0))
	dir := t.TempDir()
	r := startDaemon(t, fake, dir, func(c *Config) { c.MaxRecords = 2 }, "probe")
	if err := r.wait(); err != nil {
		t.Fatalf("Run = %v, want nil once the only shard is finished; logs:\n%s", err, r.logs)
	}
	recs := fake.Records(testStream, shard(0))
	batch := func(rs ...kinesisfake.Record) string {
		var pr protocol.ProcessRecords
		for _, rec := range rs {
			pr.Records = append(pr.Records, protocol.Record{Data: append([]byte{}, rec.Data...), PartitionKey: rec.PartitionKey, SequenceNumber: rec.SequenceNumber,
				ApproximateArrivalTimestamp: protocol.Some(rec.Arrival.UnixMilli()), SubSequenceNumber: protocol.Some[int64](0)})
		}
		pr.MillisBehindLatest = protocol.Some[int64](0)
		return string(protocol.Append(nil, pr))
	}
	reply := func(seq, sub, exc string) string {
		return `< {"action":"checkpoint","sequenceNumber":` + seq + `,"subSequenceNumber":` + sub + `,"error":` + exc + `}`
	}
	q := func(s string) string { return `"` + s + `"` }
	probes := func(first, last string) []string {
		return []string{
			`> {"action":"checkpoint","sequenceNumber":"` + last + `","subSequenceNumber":1}`, reply(q(last), "1", q(lease.IllegalArgument)),
			`> {"action":"checkpoint","sequenceNumber":"SHARD_END","subSequenceNumber":null}`, reply(q("SHARD_END"), "null", q(lease.IllegalArgument)),
			`> {"action":"checkpoint","sequenceNumber":"not-a-number","subSequenceNumber":null}`, reply(q("not-a-number"), "null", q(lease.IllegalArgument)),
			`> {"action":"checkpoint","sequenceNumber":"` + first + `","subSequenceNumber":-1}`, reply(q(first), "-1", q(lease.IllegalArgument)),
			`> {"action":"checkpoint","sequenceNumber":"` + first + `","subSequenceNumber":0}`, reply(q(first), "0", "null"),
			`> {"action":"checkpoint","sequenceNumber":"1","subSequenceNumber":0}`, reply(q("1"), "0", q(lease.IllegalArgument)),
			`> {"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}`, reply("null", "null", "null"),
			`> {"action":"status","responseFor":"processRecords"}`,
		}
	}
	want := []string{
		`< {"action":"initialize","shardId":"shardId-000000000000","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}`,
		`> {"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}`, reply("null", "null", q(lease.InvalidState)),
		`> {"action":"status","responseFor":"initialize"}`,
		"< " + batch(recs[0], recs[1]),
	}
	want = append(want, probes(recs[0].SequenceNumber, recs[1].SequenceNumber)...)
	want = append(want, "< "+batch(recs[2]))
	want = append(want, probes(recs[2].SequenceNumber, recs[2].SequenceNumber)...)
	want = append(want,
		`< {"action":"shardEnded"}`,
		`> {"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}`, reply("null", "null", "null"),
		`> {"action":"status","responseFor":"shardEnded"}`,
	)
	got := readLog(t, dir, shard(0))
	// The batch lines carry millisBehindLatest, which depends on timing.
	for i := range got {
		if strings.HasPrefix(got[i][2:], `{"action":"processRecords"`) {
			got[i] = stripBehind(t, got[i])
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("the child's transcript:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if cp := r.checkpoint(shard(0)); cp != lease.ShardEndSeq {
		t.Errorf("stored checkpoint %q, want SHARD_END", cp)
	}
	for _, s := range []string{"checkpoint refused", "exception=IllegalArgumentException", "shard finished", "[shardId-000000000000] initialized at TRIM_HORIZON"} {
		if !strings.Contains(r.logs.String(), s) {
			t.Errorf("logs lack %q:\n%s", s, r.logs)
		}
	}
}

// stripBehind replaces a batch line's millisBehindLatest with 0, after
// checking that the line is in the daemon's exact form.
func stripBehind(t *testing.T, line string) string {
	t.Helper()
	prefix := line[:2]
	m, err := protocol.Decode([]byte(line[2:]))
	if err != nil {
		t.Fatalf("batch line %q: %v", line, err)
	}
	if canon := string(protocol.Append(nil, m)); canon != line[2:] {
		t.Errorf("batch line %q is not in the daemon's form %q", line[2:], canon)
	}
	pr := m.(protocol.ProcessRecords)
	if !pr.MillisBehindLatest.Valid {
		t.Errorf("batch line %q has a null millisBehindLatest", line)
	}
	pr.MillisBehindLatest = protocol.Some[int64](0)
	return prefix + string(protocol.Append(nil, pr))
}

// A graceful shutdown gives every child shutdownRequested, then leaseLost,
// then EOF; a restart resumes after the checkpoint made during
// shutdownRequested.
func TestShutdownAndRestart(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 2)
	for i := range 10 {
		fake.Put(testStream, fmt.Sprintf("key-%d", i), []byte("first run"))
	}
	dir := t.TempDir()
	r := startDaemon(t, fake, dir, nil)
	r.waitFor("both shards' batches", func() bool {
		return strings.Count(strings.Join(readEvents(t, dir), "\n"), "processRecords") == 2
	})
	if err := r.stop(); err != nil {
		t.Fatalf("Run = %v, want nil; logs:\n%s", err, r.logs)
	}
	for _, s := range []string{shard(0), shard(1)} {
		var got []string
		for _, e := range readEvents(t, dir) {
			if id, action, _ := strings.Cut(e, " "); id == s {
				got = append(got, action)
			}
		}
		want := []string{"initialize", "processRecords", "shutdownRequested", "leaseLost"}
		if !slices.Equal(got, want) {
			t.Errorf("%s got %v, want %v", s, got, want)
		}
		recs := fake.Records(testStream, s)
		if cp := r.checkpoint(s); cp != recs[len(recs)-1].SequenceNumber {
			t.Errorf("%s: checkpoint %q, want the last record %q", s, cp, recs[len(recs)-1].SequenceNumber)
		}
		if !strings.Contains(r.logs.String(), fmt.Sprintf("the child exited with status 0 shard=%s after=leaseLost", s)) {
			t.Errorf("%s: no clean exit logged:\n%s", s, r.logs)
		}
	}

	// The second run starts after the checkpoints and sees only new records.
	os.Remove(filepath.Join(dir, "events"))
	for i := range 4 {
		fake.Put(testStream, fmt.Sprintf("key-%d", i), []byte("second run"))
	}
	r2 := startDaemon(t, fake, dir, nil)
	r2.waitFor("the new records", func() bool {
		n := 0
		for _, s := range []string{shard(0), shard(1)} {
			for _, l := range readLog(t, dir, s) {
				n += strings.Count(l, `"partitionKey"`)
			}
		}
		return n == 14
	})
	if err := r2.stop(); err != nil {
		t.Fatalf("second Run = %v; logs:\n%s", err, r2.logs)
	}
	for _, s := range []string{shard(0), shard(1)} {
		log := strings.Join(readLog(t, dir, s), "\n")
		recs := fake.Records(testStream, s)
		var firstRun int
		for _, rec := range recs {
			if string(rec.Data) == "first run" {
				firstRun++
			}
		}
		wantInit := fmt.Sprintf(`"sequenceNumber":"%s","subSequenceNumber":0}`, recs[firstRun-1].SequenceNumber)
		if !strings.Contains(log, `{"action":"initialize","shardId":"`+s+`",`+wantInit) {
			t.Errorf("%s: the second run did not initialize at the checkpoint %s:\n%s", s, wantInit, log)
		}
		for _, rec := range recs {
			if n := strings.Count(log, `"sequenceNumber":"`+rec.SequenceNumber+`","approximateArrivalTimestamp"`); n != 1 {
				t.Errorf("%s: record %s delivered %d times over both runs, want once", s, rec.SequenceNumber, n)
			}
		}
	}
}

// A split and a merge during the run: each child shard starts only once
// its parents are at SHARD_END, from TRIM_HORIZON, even though the stream
// is read from LATEST, and nothing written to the children is missed.
func TestReshardingDuringTheRun(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 1)
	fake.Put(testStream, "before", []byte("written before the start: LATEST skips it"))
	dir := t.TempDir()
	r := startDaemon(t, fake, dir, func(c *Config) { c.InitialPosition = lease.Latest }, "every-batch")
	r.waitFor("the first GetRecords", func() bool { return fake.Calls("GetRecords") > 0 })
	for i := range 20 {
		fake.Put(testStream, fmt.Sprintf("parent-%d", i), []byte("p"))
	}
	kids := fake.Split(testStream, shard(0))
	for i := range 20 {
		fake.Put(testStream, fmt.Sprintf("child-%d", i), []byte("c"))
	}
	grandchild := fake.Merge(testStream, kids[0], kids[1])
	for i := range 10 {
		fake.Put(testStream, fmt.Sprintf("grandchild-%d", i), []byte("g"))
	}
	recs := fake.Records(testStream, grandchild)
	r.waitFor("the grandchild's last checkpoint", func() bool { return r.checkpoint(grandchild) == recs[len(recs)-1].SequenceNumber })
	if err := r.stop(); err != nil {
		t.Fatalf("Run = %v; logs:\n%s", err, r.logs)
	}
	events := readEvents(t, dir)
	index := func(e string) int {
		i := slices.Index(events, e)
		if i < 0 {
			t.Fatalf("no event %q in %v", e, events)
		}
		return i
	}
	for _, k := range kids {
		if index(shard(0)+" shardEnded") > index(k+" initialize") {
			t.Errorf("%s started before its parent ended: %v", k, events)
		}
		if index(k+" shardEnded") > index(grandchild+" initialize") {
			t.Errorf("%s started before its parent %s ended: %v", grandchild, k, events)
		}
	}
	for _, s := range []string{shard(0), kids[0], kids[1], grandchild} {
		log := strings.Join(readLog(t, dir, s), "\n")
		if s != shard(0) && !strings.Contains(log, `"sequenceNumber":"TRIM_HORIZON"`) {
			t.Errorf("%s did not start at TRIM_HORIZON:\n%s", s, log)
		}
		for _, rec := range fake.Records(testStream, s)[boolInt(s == shard(0)):] {
			if !strings.Contains(log, rec.SequenceNumber) {
				t.Errorf("%s: record %s (%s) never delivered", s, rec.SequenceNumber, rec.PartitionKey)
			}
		}
		if s != grandchild && r.checkpoint(s) != lease.ShardEndSeq {
			t.Errorf("%s: checkpoint %q, want SHARD_END", s, r.checkpoint(s))
		}
	}
	if log := strings.Join(readLog(t, dir, shard(0)), "\n"); strings.Contains(log, "written before the start") {
		t.Errorf("LATEST delivered a record written before the start")
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Each way a child can fail stops its shard only, with a report naming the
// shard, what was sent and what came back; Run then returns a
// *FailedError.
func TestChildFailures(t *testing.T) {
	const batch = "sent processRecords (2 records, 49590338271490256608559692538361571095921575989136000001/0 to 49590338271490256608559692538361571095921575989136000002/0)"
	tests := []struct {
		name      string
		behaviour string
		edit      func(*Config)
		want      string   // the failure
		logs      []string // more in the logs
	}{
		{"wrong status", "wrong-status", nil,
			"shard shardId-000000000000 failed: " + batch + `; got "{\"action\":\"status\",\"responseFor\":\"initialize\"}": a status for "initialize", not for "processRecords"; the Java daemon exits (System.exit(1)), stopping every shard; kcl local stops this shard only`,
			[]string{"the failed shard's child exited with status 0"}},
		{"exit in a batch", "exit-on-batch", nil,
			"shard shardId-000000000000 failed: " + batch + "; got the end of its output (the child exited with status 3): the Java daemon exits",
			[]string{"[shardId-000000000000] exiting in the middle of a batch"}},
		{"hang", "hang", func(c *Config) { c.Timeout = time.Second },
			"shard shardId-000000000000 failed: " + batch + "; got nothing within timeoutInSeconds=1: the Java daemon halts (Runtime.halt(1)), ending every shard at once; kcl local killed this child",
			[]string{"the failed shard's child killed: signal: killed"}},
		{"null", "null", nil,
			"shard shardId-000000000000 failed: " + batch + `; got "null": the JSON literal null makes the Java daemon fail with a NullPointerException`,
			nil},
		{"no SHARD_END", "no-shard-end", nil,
			"shard shardId-000000000000 failed: sent shardEnded; got a status with no SHARD_END checkpoint (the checkpoint is TRIM_HORIZON): the child must checkpoint with a null sequence number before its status",
			nil},
		{"no exit on EOF", "ignore-eof", func(c *Config) { c.ExitTimeout = 300 * time.Millisecond },
			"shard shardId-000000000000 failed: sent shardEnded, then EOF on stdin; got no exit within 300ms: a child must exit when its stdin closes; the Java daemon would wait for ever, blocking this shard; kcl local killed it (killed: signal: killed)",
			[]string{"shard finished: SHARD_END is checkpointed"}},
		{"cannot start", "", func(c *Config) { c.Executable = []string{"/nonexistent/processor"} },
			`shard shardId-000000000000 failed: sent nothing; got no process: cannot start executableName "/nonexistent/processor": fork/exec /nonexistent/processor: no such file or directory`,
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := kinesisfake.New()
			defer fake.Close()
			fake.CreateStream(testStream, 1)
			fake.PutToShard(testStream, shard(0), "a", []byte("1"))
			fake.PutToShard(testStream, shard(0), "b", []byte("2"))
			if tt.behaviour == "no-shard-end" || tt.behaviour == "ignore-eof" {
				fake.PutToShard(testStream, shard(0), "c", []byte("3"))
			}
			fake.CloseShard(testStream, shard(0))
			dir := t.TempDir()
			edit := func(c *Config) {
				if tt.behaviour == "no-shard-end" || tt.behaviour == "ignore-eof" {
					c.MaxRecords = 3 // the batch is not the one checked above
				}
				if tt.edit != nil {
					tt.edit(c)
				}
			}
			r := startDaemon(t, fake, dir, edit, tt.behaviour)
			err := r.wait()
			var fe *FailedError
			if !errors.As(err, &fe) || !errors.Is(err, ErrShardsFailed) || len(fe.Failures) != 1 {
				t.Fatalf("Run = %v, want a *FailedError with one failure; logs:\n%s", err, r.logs)
			}
			if got := fe.Failures[0].Error(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("failure:\n%s\nwant it to start with:\n%s", got, tt.want)
			}
			logs := r.logs.String()
			for _, w := range append(tt.logs, "ERROR shard shardId-000000000000 failed: "+strings.TrimPrefix(tt.want, "shard shardId-000000000000 failed: ")) {
				if !strings.Contains(logs, w) {
					t.Errorf("logs lack %q:\n%s", w, logs)
				}
			}
		})
	}
}

// A shard ended without SHARD_END holds its children back, as in the KCL.
func TestNoShardEndHoldsChildrenBack(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 1)
	fake.PutToShard(testStream, shard(0), "a", []byte("1"))
	kids := fake.Split(testStream, shard(0))
	fake.Put(testStream, "b", []byte("2"))
	dir := t.TempDir()
	r := startDaemon(t, fake, dir, nil, "no-shard-end")
	if err := r.wait(); !errors.Is(err, ErrShardsFailed) {
		t.Fatalf("Run = %v, want ErrShardsFailed; logs:\n%s", err, r.logs)
	}
	events := strings.Join(readEvents(t, dir), "\n")
	for _, k := range kids {
		if strings.Contains(events, k) {
			t.Errorf("child shard %s started although its parent has no SHARD_END:\n%s", k, events)
		}
	}
	if cp := r.checkpoint(shard(0)); cp == lease.ShardEndSeq {
		t.Errorf("the parent's checkpoint is SHARD_END")
	}
}

// The daemon skips the lines its Jackson reader skips (blank, not JSON,
// an unknown field, a line cut by a carriage return) and ignores messages
// it does not expect.
func TestSkipsLinesAsTheDaemonDoes(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 1)
	fake.PutToShard(testStream, shard(0), "a", []byte("1"))
	fake.CloseShard(testStream, shard(0))
	dir := t.TempDir()
	r := startDaemon(t, fake, dir, nil, "noise")
	if err := r.wait(); err != nil {
		t.Fatalf("Run = %v, want nil; logs:\n%s", err, r.logs)
	}
	logs := r.logs.String()
	for _, w := range []string{
		`skipping an unexpected line on the child's stdout, as the daemon does shard=shardId-000000000000 line="not json at all"`,
		`why="a status message has no field \"extra\""`,
		`why="a checkpoint message has no field \"checkpoint\""`,
		`line="{\"action\":\"status\"," why="not JSON"`,
		`ignoring a message the daemon does not expect from a child`,
		"shard finished",
	} {
		if !strings.Contains(logs, w) {
			t.Errorf("logs lack %q:\n%s", w, logs)
		}
	}
}

// Failing Kinesis calls are retried; an expired iterator is replaced
// after the last record delivered, so nothing is delivered twice.
func TestKinesisErrorsAreRetried(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 1)
	fake.SetPageSize(1)
	for i := range 4 {
		fake.PutToShard(testStream, shard(0), "k", fmt.Appendf(nil, "%d", i))
	}
	fake.FailNext("GetShardIterator", "KMSNotFoundException")
	fake.FailNext("GetRecords", "KMSNotFoundException", "ExpiredIteratorException")
	dir := t.TempDir()
	r := startDaemon(t, fake, dir, func(c *Config) { c.MaxRecords = 1 }, "every-batch")
	recs := fake.Records(testStream, shard(0))
	r.waitFor("every record", func() bool { return r.checkpoint(shard(0)) == recs[3].SequenceNumber })
	fake.FailNext("GetRecords", "ExpiredIteratorException")
	fake.PutToShard(testStream, shard(0), "k", []byte("after expiry"))
	recs = fake.Records(testStream, shard(0))
	r.waitFor("the record after the expiry", func() bool { return r.checkpoint(shard(0)) == recs[4].SequenceNumber })
	if err := r.stop(); err != nil {
		t.Fatalf("Run = %v; logs:\n%s", err, r.logs)
	}
	log := strings.Join(readLog(t, dir, shard(0)), "\n")
	for _, rec := range recs {
		if n := strings.Count(log, `"sequenceNumber":"`+rec.SequenceNumber+`","approximateArrivalTimestamp"`); n != 1 {
			t.Errorf("record %s delivered %d times, want once", rec.SequenceNumber, n)
		}
	}
	for _, w := range []string{"GetShardIterator failed; retrying", "GetRecords failed; retrying", "the shard iterator expired"} {
		if !strings.Contains(r.logs.String(), w) {
			t.Errorf("logs lack %q", w)
		}
	}
}

// ListShards is followed through NextToken; progress lines report each
// shard.
func TestPaginationAndProgress(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 3)
	fake.SetPageSize(1)
	for i := range 3 {
		fake.PutToShard(testStream, shard(i), "k", []byte("x"))
	}
	dir := t.TempDir()
	r := startDaemon(t, fake, dir, func(c *Config) { c.Progress = 20 * time.Millisecond }, "every-batch")
	r.waitFor("a checkpoint on every shard", func() bool {
		return r.checkpoint(shard(0)) != "" && r.checkpoint(shard(1)) != "" && r.checkpoint(shard(2)) != ""
	})
	r.waitFor("progress lines", func() bool {
		return strings.Contains(r.logs.String(), "progress shard=shardId-000000000002 records=1 millisBehindLatest=0 checkpoint=")
	})
	if err := r.stop(); err != nil {
		t.Fatalf("Run = %v; logs:\n%s", err, r.logs)
	}
}

// A listing that fails at the start ends Run with an error naming the
// settings to check.
func TestUnknownStream(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	r := startDaemon(t, fake, t.TempDir(), nil)
	err := r.wait()
	if err == nil || !strings.Contains(err.Error(), `listing the shards of stream "test-stream"`) || !strings.Contains(err.Error(), "check streamName") {
		t.Errorf("Run = %v, want an error about listing the shards", err)
	}
}

// Two daemons cannot share a checkpoint file.
func TestCheckpointFileInUse(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 1)
	dir := t.TempDir()
	s, err := OpenStore(filepath.Join(dir, "checkpoints.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := startDaemon(t, fake, dir, nil)
	if err := r.wait(); err == nil || !strings.Contains(err.Error(), "is in use") {
		t.Errorf("Run = %v, want the checkpoint file in use", err)
	}
}

// A wrong status for shutdownRequested is only logged, as by the daemon;
// leaseLost follows.
func TestBadShutdownStatusIsLogged(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 1)
	dir := t.TempDir()
	r := startDaemon(t, fake, dir, nil, "bad-shutdown")
	r.waitFor("the first GetRecords", func() bool { return fake.Calls("GetRecords") > 0 })
	if err := r.stop(); err != nil {
		t.Fatalf("Run = %v, want nil; logs:\n%s", err, r.logs)
	}
	if got, want := readEvents(t, dir), []string{shard(0) + " initialize", shard(0) + " shutdownRequested", shard(0) + " leaseLost"}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if !strings.Contains(r.logs.String(), `the child failed to complete the shutdown notification, as the daemon logs it; going on shard=shardId-000000000000 sent=shutdownRequested got="{\"action\":\"status\",\"responseFor\":\"leaseLost\"}"`) {
		t.Errorf("the wrong status is not logged:\n%s", r.logs)
	}
}

// A child stuck in shutdownRequested is killed once the shutdown timeout
// has passed, and reported.
func TestShutdownTimeout(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 1)
	dir := t.TempDir()
	r := startDaemon(t, fake, dir, func(c *Config) { c.ShutdownTimeout = 300 * time.Millisecond }, "hang-shutdown")
	r.waitFor("the first GetRecords", func() bool { return fake.Calls("GetRecords") > 0 })
	err := r.stop()
	var fe *FailedError
	if !errors.As(err, &fe) {
		t.Fatalf("Run = %v, want a *FailedError; logs:\n%s", err, r.logs)
	}
	want := "shard shardId-000000000000 failed: sent shutdownRequested; got no status before kcl local had to stop (shutdown timeout or a second interrupt): killed the child"
	if got := fe.Failures[0].Error(); got != want {
		t.Errorf("failure %q, want %q", got, want)
	}
}

// Abort kills the children at once, whatever they are doing.
func TestAbort(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 1)
	dir := t.TempDir()
	r := startDaemon(t, fake, dir, nil, "hang-shutdown")
	r.waitFor("the first GetRecords", func() bool { return fake.Calls("GetRecords") > 0 })
	r.cancel()
	r.waitFor("shutdownRequested", func() bool { return len(readEvents(t, dir)) == 2 })
	r.d.Abort()
	if err := r.wait(); !errors.Is(err, ErrShardsFailed) {
		t.Fatalf("Run = %v, want ErrShardsFailed", err)
	}
}

// A checkpoint that cannot be stored is refused, as a failing lease table
// makes the daemon refuse it.
func TestCheckpointWriteFailure(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 1)
	dir, cpDir := t.TempDir(), t.TempDir()
	r := startDaemon(t, fake, dir, func(c *Config) { c.CheckpointFile = filepath.Join(cpDir, "cp.json") }, "every-batch")
	r.waitFor("the first GetRecords", func() bool { return fake.Calls("GetRecords") > 0 })
	os.RemoveAll(cpDir)
	fake.PutToShard(testStream, shard(0), "k", []byte("x"))
	r.waitFor("the refused checkpoint", func() bool {
		return strings.Contains(strings.Join(readLog(t, dir, shard(0)), "\n"), `"error":"KinesisClientLibDependencyException"`)
	})
	r.stop()
	if !strings.Contains(r.logs.String(), "cannot store the checkpoint") {
		t.Errorf("the failed write is not logged:\n%s", r.logs)
	}
}

// AT_TIMESTAMP starts each shard at the first record that arrived at or
// after the time, and initializes the child with the sentinel.
func TestAtTimestamp(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 1)
	fake.PutToShard(testStream, shard(0), "old", []byte("before"))
	time.Sleep(20 * time.Millisecond)
	at := time.Now()
	time.Sleep(20 * time.Millisecond)
	seq := fake.PutToShard(testStream, shard(0), "new", []byte("after"))
	fake.CloseShard(testStream, shard(0))
	dir := t.TempDir()
	r := startDaemon(t, fake, dir, func(c *Config) { c.InitialPosition, c.Timestamp = lease.AtTimestamp, at }, "every-batch")
	if err := r.wait(); err != nil {
		t.Fatalf("Run = %v; logs:\n%s", err, r.logs)
	}
	log := strings.Join(readLog(t, dir, shard(0)), "\n")
	if !strings.Contains(log, `"sequenceNumber":"AT_TIMESTAMP","subSequenceNumber":0}`) || strings.Contains(log, `"partitionKey":"old"`) ||
		!strings.Contains(log, `"sequenceNumber":"`+seq+`"`) {
		t.Errorf("AT_TIMESTAMP: the child's transcript:\n%s", log)
	}
}

// With LATEST, shards already closed at the start are not read (the KCL
// makes no leases for them), and their children start at LATEST.
func TestLatestSkipsClosedShards(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 1)
	fake.PutToShard(testStream, shard(0), "k", []byte("old"))
	kids := fake.Split(testStream, shard(0))
	dir := t.TempDir()
	r := startDaemon(t, fake, dir, func(c *Config) { c.InitialPosition = lease.Latest }, "every-batch")
	r.waitFor("both children", func() bool { return len(readEvents(t, dir)) == 2 })
	if err := r.stop(); err != nil {
		t.Fatalf("Run = %v; logs:\n%s", err, r.logs)
	}
	events := strings.Join(readEvents(t, dir), "\n")
	if strings.Contains(events, shard(0)) {
		t.Errorf("the closed parent was read with LATEST:\n%s", events)
	}
	for _, k := range kids {
		if log := strings.Join(readLog(t, dir, k), "\n"); !strings.Contains(log, `"sequenceNumber":"LATEST"`) {
			t.Errorf("%s did not start at LATEST:\n%s", k, log)
		}
	}
}

// A parent finished in an earlier run (SHARD_END in the file) is not read
// again, and its children start at TRIM_HORIZON whatever the initial
// position, so that nothing written to them is missed.
func TestFinishedParentFromAnEarlierRun(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 1)
	kids := fake.Split(testStream, shard(0))
	fake.Put(testStream, "k", []byte("written before this run"))
	dir := t.TempDir()
	s, err := OpenStore(filepath.Join(dir, "checkpoints.json"))
	if err != nil {
		t.Fatal(err)
	}
	s.Set(testStream, shard(0), lease.ShardEnd)
	s.Close()
	r := startDaemon(t, fake, dir, func(c *Config) { c.InitialPosition = lease.Latest }, "every-batch")
	r.waitFor("both children", func() bool { return len(readEvents(t, dir)) >= 2 })
	r.waitFor("the record", func() bool { return r.checkpoint(kids[0]) != "" || r.checkpoint(kids[1]) != "" })
	if err := r.stop(); err != nil {
		t.Fatalf("Run = %v; logs:\n%s", err, r.logs)
	}
	if events := strings.Join(readEvents(t, dir), "\n"); strings.Contains(events, shard(0)) {
		t.Errorf("the finished parent was read again:\n%s", events)
	}
	for _, k := range kids {
		if log := strings.Join(readLog(t, dir, k), "\n"); !strings.Contains(log, `"sequenceNumber":"TRIM_HORIZON"`) {
			t.Errorf("%s did not start at TRIM_HORIZON:\n%s", k, log)
		}
	}
}

// A child that stops reading its stdin cannot block the daemon: a batch
// larger than the pipe's buffer does not fit, yet timeoutInSeconds still
// applies, and without it the shutdown timeout still ends the child.
func TestChildNotReadingStdin(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"timeoutInSeconds", func(c *Config) { c.Timeout = time.Second },
			"; got nothing within timeoutInSeconds=1: the Java daemon halts"},
		{"shutdown timeout", func(c *Config) { c.ShutdownTimeout = 300 * time.Millisecond },
			"; got no status before kcl local had to stop (shutdown timeout or a second interrupt): killed the child"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := kinesisfake.New()
			defer fake.Close()
			fake.CreateStream(testStream, 1)
			data := bytes.Repeat([]byte("x"), 4<<10)
			for range 64 { // about 350 KiB of base64: more than any pipe buffer
				fake.PutToShard(testStream, shard(0), "k", data)
			}
			dir := t.TempDir()
			r := startDaemon(t, fake, dir, tt.edit, "stop-reading")
			r.waitFor("the first GetRecords", func() bool { return fake.Calls("GetRecords") > 0 })
			var err error
			if tt.name == "shutdown timeout" {
				time.Sleep(100 * time.Millisecond) // the batch is being written
				err = r.stop()
			} else {
				err = r.wait()
			}
			var fe *FailedError
			if !errors.As(err, &fe) || len(fe.Failures) != 1 {
				t.Fatalf("Run = %v, want a *FailedError with one failure; logs:\n%s", err, r.logs)
			}
			got := fe.Failures[0].Error()
			if !strings.HasPrefix(got, "shard shardId-000000000000 failed: sent processRecords (64 records, ") || !strings.Contains(got, tt.want) {
				t.Errorf("failure:\n%s\nwant the batch and %q", got, tt.want)
			}
		})
	}
}

// timeoutInSeconds bounds each wait for the child's next message, not the
// exchange: a message the daemon ignores still restarts the wait, as in
// the Java daemon.
func TestTimeoutIsPerMessage(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream(testStream, 1)
	fake.PutToShard(testStream, shard(0), "a", []byte("1"))
	fake.CloseShard(testStream, shard(0))
	dir := t.TempDir()
	r := startDaemon(t, fake, dir, func(c *Config) { c.Timeout = time.Second }, "slow-messages")
	if err := r.wait(); err != nil {
		t.Fatalf("Run = %v, want nil: no wait for a message was longer than timeoutInSeconds; logs:\n%s", err, r.logs)
	}
}
