package kcltest_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kclgo/mld/kcl"
	"github.com/kclgo/mld/kcltest"
	"github.com/kclgo/mld/protocol"
)

var update = flag.Bool("update", false, "rewrite the session files in ../testdata with the actual transcripts")

// childEnv selects a test processor: when it is set, the test binary runs
// kcl.Main with that processor instead of the tests. The golden test starts
// this binary as the child, so the real process wiring (stdout taken over,
// signals ignored, exit status) is what the sessions exercise.
const childEnv = "KCLTEST_GOLDEN_PROCESSOR"

func TestMain(m *testing.M) {
	if script, ok := os.LookupEnv(rawChildEnv); ok {
		os.Exit(rawChild(script))
	}
	if spec, ok := os.LookupEnv(childEnv); ok {
		p, err := parseProcessor(spec)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		kcl.Main(p.factory, p.opts...)
	}
	os.Exit(m.Run())
}

// TestGolden replays every session in ../testdata against its processor,
// run as a child process, and compares what the child did with the
// recording. See ../testdata/README.md.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no session files in ../testdata (%v)", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			t.Parallel()
			testSession(t, file)
		})
	}
}

func testSession(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, err := kcltest.ParseSession(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	spec := s.Processor()
	p, err := parseProcessor(spec)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if p.signal != "" && !canSignal {
		t.Skipf("%s: the processor signals itself, which needs POSIX signals", file)
	}
	// -test.run=^$ keeps the binary from running the tests should the
	// variable ever be lost.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// A child built with -race sleeps a second before it exits, unless told
	// not to.
	cmd.Env = append(os.Environ(), childEnv+"="+spec, "KCL_LOG_LEVEL=warn",
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	// Canonical: the SDK's own output is held to the bytes Append writes,
	// more than the daemon asks.
	d := kcltest.StartCommand(t, cmd, kcltest.Timeout(5*time.Second), kcltest.Canonical())
	res, err := kcltest.Replay(d, s)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	problems := s.Check(res)
	if *update && len(problems) > 0 {
		if res.Err != nil && s.ExitCode() == 0 {
			t.Errorf("%s not updated: the session expects exit status 0, but the daemon stopped: %v\n"+
				"If the child is meant to fail here, put its exit status in an -- exit -- section and run -update again.", file, res.Err)
			t.Logf("child stderr:\n%s", res.Stderr)
			return
		}
		s.Update(res)
		if err := os.WriteFile(file, s.Format(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", file)
		problems = s.Check(res) // what -update cannot fix: stderr-contains
	}
	for _, p := range problems {
		t.Errorf("%s: %s", file, p)
	}
	if t.Failed() && res.Err == nil { // an Err quotes the stderr already
		t.Logf("child stderr:\n%s", res.Stderr)
	}
}

// TestGoldenDaemonLines checks that every daemon line in ../testdata is
// exactly what the daemon writes: the encoder's form of the decoded line,
// which follows docs/protocol.md §2.2 (field order, nulls written, padded base64, the
// record's "action" last). Lines with an action the protocol package does
// not know, or that are not messages, are there on purpose and are skipped.
func TestGoldenDaemonLines(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "*.txtar"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		s, err := kcltest.ParseSession(data)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		for i, l := range s.Lines {
			if l.FromChild {
				continue
			}
			m, err := protocol.Decode([]byte(l.Text))
			if err != nil {
				continue
			}
			// protocol.Record holds a null partitionKey or sequenceNumber
			// (docs/protocol.md §2.2, a record with nulls) as "", so Append writes "".
			text := strings.NewReplacer(`"partitionKey":null`, `"partitionKey":""`,
				`"sequenceNumber":null,"approximateArrivalTimestamp"`, `"sequenceNumber":"","approximateArrivalTimestamp"`).Replace(l.Text)
			if want := string(protocol.Append(nil, m)); text != want {
				note := ""
				if strings.Contains(l.Text, "\r") {
					note = " (it ends in a carriage return: CRLF line endings?)"
				}
				t.Errorf("%s: session line %d is not the daemon's form%s:\n file %s\n want %s", file, i+1, note, l.Text, want)
			}
		}
	}
}

// processor is a test processor chosen by a session's processor section:
//
//	NAME [KEY=VALUE]...
//
// NAME is "full" (a processor with every optional handler) or "minimal"
// (ProcessRecords only). Every callback writes what it got to stderr,
// prefixed "proc: ", so sessions can check decoding with stderr-contains.
// Settings:
//
//	batch=none|latest|last|each|at:SEQ  what ProcessRecords checkpoints: nothing (default),
//	        the latest position (null), the last record, each record, or SEQ
//	shardEnded=checkpoint|none           full: checkpoint in ShardEnded or not (default none)
//	shutdownRequested=checkpoint|none    full: checkpoint in ShutdownRequested or not (default none)
//	onError=log|return                   a failed checkpoint is logged and ignored (default),
//	        or returned from the callback
//	fail=ACTION, panic=ACTION            that callback returns an error, or panics
//	stray=ACTION|all                     that callback prints stray lines to stdout
//	signal=ACTION                        that callback sends SIGTERM and SIGINT to the process
//	attempts=N, backoff=DURATION         kcl.CheckpointRetries
type processor struct {
	name              string
	batch             string
	shardEnded        string
	shutdownRequested string
	onError           string
	fail, panic       string
	stray             string
	signal            string
	opts              []kcl.Option
}

func parseProcessor(spec string) (*processor, error) {
	fields := strings.Fields(spec)
	if len(fields) == 0 {
		return nil, errors.New("no processor section: want \"full\" or \"minimal\" and settings")
	}
	p := &processor{name: fields[0], batch: "none", shardEnded: "none", shutdownRequested: "none", onError: "log"}
	if p.name != "full" && p.name != "minimal" {
		return nil, fmt.Errorf("processor %q: want full or minimal", p.name)
	}
	attempts, backoff := kcl.DefaultCheckpointAttempts, kcl.DefaultCheckpointBackoff
	for _, f := range fields[1:] {
		key, value, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("processor setting %q: want KEY=VALUE", f)
		}
		var err error
		switch key {
		case "batch":
			p.batch = value
			if !oneOf(value, "none", "latest", "last", "each") && !strings.HasPrefix(value, "at:") {
				err = errors.New("want none, latest, last, each or at:SEQ")
			}
		case "shardEnded":
			p.shardEnded, err = value, want(value, "checkpoint", "none")
		case "shutdownRequested":
			p.shutdownRequested, err = value, want(value, "checkpoint", "none")
		case "onError":
			p.onError, err = value, want(value, "log", "return")
		case "fail":
			p.fail, err = value, want(value, actions...)
		case "panic":
			p.panic, err = value, want(value, actions...)
		case "stray":
			p.stray, err = value, want(value, append([]string{"all"}, actions...)...)
		case "signal":
			p.signal, err = value, want(value, actions...)
		case "attempts":
			attempts, err = strconv.Atoi(value)
		case "backoff":
			backoff, err = time.ParseDuration(value)
		default:
			err = errors.New("unknown setting")
		}
		if err != nil {
			return nil, fmt.Errorf("processor setting %q: %v", f, err)
		}
	}
	p.opts = append(p.opts, kcl.CheckpointRetries(attempts, backoff))
	return p, nil
}

// actions are the callbacks, by the daemon's action names; shardEnded and
// leaseLost also stand for the 1.x shutdown that maps to them.
var actions = []string{"initialize", "processRecords", "shardEnded", "leaseLost", "shutdownRequested"}

func oneOf(v string, set ...string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

func want(v string, set ...string) error {
	if oneOf(v, set...) {
		return nil
	}
	return fmt.Errorf("want one of %s", strings.Join(set, ", "))
}

func (p *processor) factory(shardID string) (kcl.Processor, error) {
	if p.name == "minimal" {
		return minimal{p}, nil
	}
	return p, nil
}

// minimal hides the optional handlers.
type minimal struct{ p *processor }

func (m minimal) ProcessRecords(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
	return m.p.ProcessRecords(ctx, in, cp)
}

var (
	_ kcl.Initializer              = (*processor)(nil)
	_ kcl.LeaseLostHandler         = (*processor)(nil)
	_ kcl.ShardEndedHandler        = (*processor)(nil)
	_ kcl.ShutdownRequestedHandler = (*processor)(nil)
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "proc: "+format+"\n", args...)
}

// enter does what every callback does first: the settings that apply to
// any action.
func (p *processor) enter(action string) error {
	if p.stray == action || p.stray == "all" {
		// Stdout belongs to the protocol: kcl.Main must send these to stderr.
		fmt.Println("stray fmt.Println during " + action)
		fmt.Printf("{\"action\":\"status\",\"responseFor\":%q}\n", action)
		os.Stdout.WriteString("stray os.Stdout.WriteString during " + action + "\n")
	}
	if p.signal == action {
		// kcl.Main must keep serving: the daemon, not a signal, ends the
		// child. Were the signals fatal, the next exchange would see EOF.
		if err := signalSelf(); err != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
		logf("%s: still running after SIGTERM and SIGINT", action)
	}
	if p.panic == action {
		panic("proc: panicking in " + action + " as configured")
	}
	if p.fail == action {
		return errors.New("proc: failing " + action + " as configured")
	}
	return nil
}

func (p *processor) Initialize(ctx context.Context, in kcl.InitializeInput) error {
	logf("initialize shard=%s sequenceNumber=%q subSequenceNumber=%d", in.ShardID, in.SequenceNumber, in.SubSequenceNumber)
	return p.enter("initialize")
}

func (p *processor) ProcessRecords(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
	logf("processRecords shard=%s records=%d millisBehindLatest=%d", in.ShardID, len(in.Records), in.MillisBehindLatest)
	for _, r := range in.Records {
		data := "null"
		if r.Data != nil {
			data = strconv.Quote(string(r.Data))
		}
		at := "none"
		if !r.ApproximateArrivalTimestamp.IsZero() {
			at = strconv.FormatInt(r.ApproximateArrivalTimestamp.UnixMilli(), 10)
		}
		logf("record partitionKey=%q sequenceNumber=%q subSequenceNumber=%d arrival=%s data=%s",
			r.PartitionKey, r.SequenceNumber, r.SubSequenceNumber, at, data)
	}
	if err := p.enter("processRecords"); err != nil {
		return err
	}
	switch {
	case p.batch == "latest":
		return p.checkpoint("latest", func() error { return cp.Checkpoint(ctx) })
	case p.batch == "last" && len(in.Records) > 0:
		r := in.Records[len(in.Records)-1]
		return p.checkpoint(pos(r), func() error { return cp.CheckpointRecord(ctx, r) })
	case p.batch == "each":
		for _, r := range in.Records {
			if err := p.checkpoint(pos(r), func() error { return cp.CheckpointRecord(ctx, r) }); err != nil {
				return err
			}
		}
	case strings.HasPrefix(p.batch, "at:"):
		seq := strings.TrimPrefix(p.batch, "at:")
		return p.checkpoint(seq, func() error { return cp.CheckpointSequence(ctx, seq) })
	}
	return nil
}

func pos(r kcl.Record) string { return fmt.Sprintf("%s/%d", r.SequenceNumber, r.SubSequenceNumber) }

func (p *processor) ShardEnded(ctx context.Context, in kcl.ShardEndedInput, cp *kcl.Checkpointer) error {
	logf("shardEnded shard=%s", in.ShardID)
	if err := p.enter("shardEnded"); err != nil {
		return err
	}
	if p.shardEnded == "checkpoint" {
		return p.checkpoint("SHARD_END", func() error { return cp.Checkpoint(ctx) })
	}
	return nil
}

func (p *processor) ShutdownRequested(ctx context.Context, in kcl.ShutdownRequestedInput, cp *kcl.Checkpointer) error {
	logf("shutdownRequested shard=%s", in.ShardID)
	if err := p.enter("shutdownRequested"); err != nil {
		return err
	}
	if p.shutdownRequested == "checkpoint" {
		return p.checkpoint("latest", func() error { return cp.Checkpoint(ctx) })
	}
	return nil
}

func (p *processor) LeaseLost(ctx context.Context, in kcl.LeaseLostInput) error {
	logf("leaseLost shard=%s", in.ShardID)
	return p.enter("leaseLost")
}

// checkpoint runs one checkpoint call and logs its outcome, with the error
// classified the way a processor would: its sentinel and retryability.
func (p *processor) checkpoint(what string, call func() error) error {
	err := call()
	if err == nil {
		logf("checkpoint %s: ok", what)
		return nil
	}
	var ce *kcl.CheckpointError
	if errors.As(err, &ce) {
		logf("checkpoint %s: exception=%q attempts=%d sentinel=%s retryable=%t: %v",
			what, ce.Exception, ce.Attempts, sentinel(err), kcl.IsRetryable(err), err)
	} else {
		logf("checkpoint %s: %v", what, err)
	}
	if p.onError == "return" {
		return err
	}
	return nil
}

func sentinel(err error) string {
	for _, s := range []struct {
		name string
		err  error
	}{
		{"ErrThrottled", kcl.ErrThrottled},
		{"ErrShutdown", kcl.ErrShutdown},
		{"ErrInvalidState", kcl.ErrInvalidState},
		{"ErrDependency", kcl.ErrDependency},
		{"ErrInvalidArgument", kcl.ErrInvalidArgument},
	} {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return "none"
}
