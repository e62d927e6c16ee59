package kcl_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kclgo/mld/kcl"
	"github.com/kclgo/mld/kcltest"
	"github.com/kclgo/mld/protocol"
)

// checkpointOnce returns a processor whose ProcessRecords runs do once and
// keeps its error in *got.
func checkpointOnce(got *error, do func(context.Context, kcl.ProcessRecordsInput, *kcl.Checkpointer) error) kcl.Processor {
	return kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		*got = do(ctx, in, cp)
		return nil
	})
}

func TestCheckpointLines(t *testing.T) {
	// One plain record, then the user records 0 and 1 of a KPL-aggregated
	// record.
	batch := []protocol.Record{
		{Data: []byte("a"), SequenceNumber: seq(1), PartitionKey: "pk", SubSequenceNumber: protocol.Some[int64](0)},
		{Data: []byte("b"), SequenceNumber: seq(2), PartitionKey: "pk", SubSequenceNumber: protocol.Some[int64](0)},
		{Data: []byte("c"), SequenceNumber: seq(2), PartitionKey: "pk", SubSequenceNumber: protocol.Some[int64](1)},
	}
	for _, tc := range []struct {
		name string
		do   func(context.Context, kcl.ProcessRecordsInput, *kcl.Checkpointer) error
		line string // the request; the reply echoes it with "error":null
		want kcltest.Position
	}{
		{
			"Checkpoint",
			func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
				return cp.Checkpoint(ctx)
			},
			`{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}`,
			kcltest.Position{SequenceNumber: seq(2), SubSequenceNumber: 1},
		},
		{
			"CheckpointSequence",
			func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
				return cp.CheckpointSequence(ctx, seq(1))
			},
			`{"action":"checkpoint","sequenceNumber":"` + seq(1) + `","subSequenceNumber":null}`,
			kcltest.Position{SequenceNumber: seq(1)},
		},
		{
			"CheckpointSubSequence",
			func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
				return cp.CheckpointSubSequence(ctx, seq(2), 1)
			},
			`{"action":"checkpoint","sequenceNumber":"` + seq(2) + `","subSequenceNumber":1}`,
			kcltest.Position{SequenceNumber: seq(2), SubSequenceNumber: 1},
		},
		{
			"CheckpointRecord",
			func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
				return cp.CheckpointRecord(ctx, in.Records[1])
			},
			`{"action":"checkpoint","sequenceNumber":"` + seq(2) + `","subSequenceNumber":0}`,
			kcltest.Position{SequenceNumber: seq(2)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			d := newDaemon(t, checkpointOnce(&err, tc.do))
			d.Initialize(shard, "TRIM_HORIZON")
			x := d.ProcessRecords(batch...)
			if err != nil {
				t.Fatalf("%s = %v, want nil", tc.name, err)
			}
			reply := strings.TrimSuffix(tc.line, "}") + `,"error":null}`
			checkLines(t, tc.name, x.Lines[1:], "child:  "+tc.line, "daemon: "+reply, statusLine("processRecords"))
			if got := d.Checkpoints(); !slices.Equal(got, []kcltest.Position{tc.want}) {
				t.Errorf("checkpoints = %v, want [%v]", got, tc.want)
			}
			d.LeaseLost()
		})
	}
}

func TestCheckpointErrors(t *testing.T) {
	for _, tc := range []struct {
		exception string
		sentinel  error // nil for an unknown name
		retryable bool
	}{
		{"ThrottlingException", kcl.ErrThrottled, true},
		{"ShutdownException", kcl.ErrShutdown, false},
		{"InvalidStateException", kcl.ErrInvalidState, false},
		{"KinesisClientLibDependencyException", kcl.ErrDependency, true},
		{"IllegalArgumentException", kcl.ErrInvalidArgument, false},
		{"NullPointerException", nil, false},
	} {
		t.Run(tc.exception, func(t *testing.T) {
			var err error
			d := newDaemon(t, checkpointOnce(&err, func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
				return cp.CheckpointSequence(ctx, in.Records[0].SequenceNumber)
			}), kcl.CheckpointRetries(1, 0))
			d.Initialize(shard, "TRIM_HORIZON")
			d.ReplyNext(tc.exception)
			x := d.ProcessRecords(kcltest.Records("a")...)
			if len(x.Checkpoints) != 1 {
				t.Fatalf("%d checkpoint requests, want 1", len(x.Checkpoints))
			}
			checkCheckpointError(t, err, tc.exception, seq(1), 1, tc.sentinel, tc.retryable)
			d.LeaseLost()
		})
	}
}

// TestCheckpointErrorEmptyName covers the "" exception name the daemon
// reports for an anonymous exception class: still a failure. (ReplyNext
// takes "" for a normal reply, so this one is scripted by hand.)
func TestCheckpointErrorEmptyName(t *testing.T) {
	var err error
	p := runRaw(t, factoryOf(checkpointOnce(&err, func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		return cp.Checkpoint(ctx)
	})))
	p.send(initLine)
	p.expect(rawStatusInit)
	p.send(recordsLine)
	p.expect(rawCpLatest)
	p.send(`{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":""}`)
	p.expect(rawStatusRecords)
	checkCheckpointError(t, err, "", "latest", 1, nil, false)
}

func checkCheckpointError(t *testing.T, err error, exception, position string, attempts int, sentinel error, retryable bool) {
	t.Helper()
	var ce *kcl.CheckpointError
	if !errors.As(err, &ce) {
		t.Fatalf("checkpoint error = %v (%T), want a *kcl.CheckpointError", err, err)
	}
	if ce.Exception != exception || ce.Position != position || ce.Attempts != attempts {
		t.Errorf("CheckpointError = %+v, want Exception %q, Position %q, Attempts %d", *ce, exception, position, attempts)
	}
	for _, s := range []error{kcl.ErrThrottled, kcl.ErrShutdown, kcl.ErrInvalidState, kcl.ErrDependency, kcl.ErrInvalidArgument} {
		if got := errors.Is(err, s); got != (s == sentinel) {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, s == sentinel)
		}
	}
	if sentinel == nil && ce.Unwrap() != nil {
		t.Errorf("Unwrap() = %v for unknown exception %q, want nil", ce.Unwrap(), exception)
	}
	if got := kcl.IsRetryable(err); got != retryable {
		t.Errorf("IsRetryable(%v) = %v, want %v", err, got, retryable)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "kcl: ") || !strings.Contains(msg, exception) || !strings.Contains(msg, position) {
		t.Errorf("Error() = %q, want the package prefix, the exception and the position", msg)
	}
	if attempts > 1 && !strings.Contains(err.Error(), fmt.Sprintf("after %d attempts", attempts)) {
		t.Errorf("Error() = %q, want the number of attempts", err.Error())
	}
}

func TestIsRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("other"), false},
		{kcl.ErrThrottled, true},
		{kcl.ErrDependency, true},
		{fmt.Errorf("wrapped: %w", &kcl.CheckpointError{Exception: "ThrottlingException"}), true},
		{&kcl.CheckpointError{Exception: "KinesisClientLibDependencyException"}, true},
		{&kcl.CheckpointError{Exception: "ShutdownException"}, false},
		{&kcl.CheckpointError{Exception: "InvalidStateException"}, false},
		{&kcl.CheckpointError{Exception: "IllegalArgumentException"}, false},
		{&kcl.CheckpointError{Exception: "SomethingElse"}, false},
		{kcl.ErrCheckpointerClosed, false},
		{context.Canceled, false},
	} {
		if got := kcl.IsRetryable(tc.err); got != tc.want {
			t.Errorf("IsRetryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestCheckpointRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		replies  []string
		attempts int    // as configured
		requests int    // checkpoint lines written
		fails    string // the exception returned; "" for success
	}{
		{"throttled twice then ok", []string{"ThrottlingException", "ThrottlingException"}, 3, 3, ""},
		{"throttled beyond the retries", []string{"ThrottlingException", "ThrottlingException", "ThrottlingException", ""}, 3, 3, "ThrottlingException"},
		{"dependency then ok", []string{"KinesisClientLibDependencyException"}, 3, 2, ""},
		{"dependency beyond the retries", []string{"KinesisClientLibDependencyException", "KinesisClientLibDependencyException"}, 2, 2, "KinesisClientLibDependencyException"},
		{"throttled then dependency then ok", []string{"ThrottlingException", "KinesisClientLibDependencyException"}, 5, 3, ""},
		{"no retries", []string{"ThrottlingException"}, 1, 1, "ThrottlingException"},
		{"shutdown not retried", []string{"ShutdownException"}, 5, 1, "ShutdownException"},
		{"invalid state not retried", []string{"InvalidStateException"}, 5, 1, "InvalidStateException"},
		{"invalid argument not retried", []string{"IllegalArgumentException"}, 5, 1, "IllegalArgumentException"},
		{"unknown not retried", []string{"RuntimeException"}, 5, 1, "RuntimeException"},
		{"throttled then shutdown", []string{"ThrottlingException", "ShutdownException"}, 5, 2, "ShutdownException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			d := newDaemon(t, checkpointOnce(&err, func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
				return cp.Checkpoint(ctx)
			}), kcl.CheckpointRetries(tc.attempts, time.Millisecond))
			d.Initialize(shard, "TRIM_HORIZON")
			d.ReplyNext(tc.replies...)
			x := d.ProcessRecords(kcltest.Records("a")...)
			if len(x.Checkpoints) != tc.requests {
				t.Errorf("%d checkpoint requests, want %d", len(x.Checkpoints), tc.requests)
			}
			if tc.fails == "" {
				if err != nil {
					t.Errorf("Checkpoint = %v, want nil", err)
				}
				if got := d.Checkpoints(); len(got) != 1 {
					t.Errorf("checkpoints = %v, want one", got)
				}
			} else {
				var ce *kcl.CheckpointError
				if !errors.As(err, &ce) || ce.Exception != tc.fails || ce.Attempts != tc.requests {
					t.Errorf("Checkpoint = %#v, want a CheckpointError %s after %d attempts", err, tc.fails, tc.requests)
				}
			}
			d.LeaseLost()
		})
	}
}

// TestCheckpointRetryBackoff checks that retries wait, doubling the wait:
// three attempts with a 20ms backoff take at least 20ms + 40ms.
func TestCheckpointRetryBackoff(t *testing.T) {
	const backoff = 20 * time.Millisecond
	var err error
	var took time.Duration
	d := newDaemon(t, checkpointOnce(&err, func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		start := time.Now()
		defer func() { took = time.Since(start) }()
		return cp.Checkpoint(ctx)
	}), kcl.CheckpointRetries(3, backoff))
	d.Initialize(shard, "TRIM_HORIZON")
	d.ReplyNext("ThrottlingException", "ThrottlingException", "ThrottlingException")
	d.ProcessRecords(kcltest.Records("a")...)
	if !errors.Is(err, kcl.ErrThrottled) {
		t.Fatalf("Checkpoint = %v, want throttled", err)
	}
	if took < 3*backoff {
		t.Errorf("3 attempts took %v, want at least %v (backoff %v, doubled)", took, 3*backoff, backoff)
	}
	d.LeaseLost()
}

// onLog is a slog.Handler that calls f with every message: tests use it to
// act at a precise point of the SDK's work.
type onLog func(msg string)

func (f onLog) Enabled(context.Context, slog.Level) bool      { return true }
func (f onLog) Handle(_ context.Context, r slog.Record) error { f(r.Message); return nil }
func (f onLog) WithAttrs([]slog.Attr) slog.Handler            { return f }
func (f onLog) WithGroup(string) slog.Handler                 { return f }

// TestCheckpointRetryStopsWhenContextEnds cancels the context while the
// checkpointer waits to retry: it must return at once, without another
// request.
func TestCheckpointRetryStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logger := slog.New(onLog(func(msg string) {
		if strings.Contains(msg, "retrying") {
			cancel()
		}
	}))
	var err error
	var took time.Duration
	d := newDaemon(t, checkpointOnce(&err, func(_ context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		start := time.Now()
		defer func() { took = time.Since(start) }()
		return cp.Checkpoint(ctx)
	}), kcl.CheckpointRetries(5, time.Hour), kcl.WithLogger(logger))
	d.Initialize(shard, "TRIM_HORIZON")
	d.ReplyNext("ThrottlingException", "ThrottlingException")
	x := d.ProcessRecords(kcltest.Records("a")...)
	if len(x.Checkpoints) != 1 {
		t.Errorf("%d checkpoint requests, want 1: the retry must stop with the context", len(x.Checkpoints))
	}
	if err == nil || took > waitTimeout/2 {
		t.Errorf("Checkpoint = %v after %v, want an error at once", err, took)
	}
	d.LeaseLost()
}

// TestCheckpointerClosedAfterCallback uses a checkpointer after its
// callback returned, from the test and from a goroutine the callback
// started: ErrCheckpointerClosed, and nothing reaches the daemon.
func TestCheckpointerClosedAfterCallback(t *testing.T) {
	var kept *kcl.Checkpointer
	release := make(chan struct{})
	late := make(chan error, 1)
	p := &recorder{
		onRecords: func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
			if kept != nil {
				return nil // only the first batch
			}
			kept = cp
			go func() {
				<-release
				late <- cp.Checkpoint(context.Background())
			}()
			return nil
		},
		onShutdownRequested: func(ctx context.Context, in kcl.ShutdownRequestedInput, cp *kcl.Checkpointer) error {
			kept = cp
			return nil
		},
	}
	d := newDaemon(t, p)
	d.Initialize(shard, "TRIM_HORIZON")
	d.ProcessRecords(kcltest.Records("a", "b")...)
	before := len(d.Transcript())

	ctx := context.Background()
	rec := kcl.Record{SequenceNumber: seq(1)}
	for name, call := range map[string]func() error{
		"Checkpoint":            func() error { return kept.Checkpoint(ctx) },
		"CheckpointSequence":    func() error { return kept.CheckpointSequence(ctx, seq(1)) },
		"CheckpointSubSequence": func() error { return kept.CheckpointSubSequence(ctx, seq(1), 0) },
		"CheckpointRecord":      func() error { return kept.CheckpointRecord(ctx, rec) },
	} {
		if err := call(); !errors.Is(err, kcl.ErrCheckpointerClosed) {
			t.Errorf("%s after the callback = %v, want ErrCheckpointerClosed", name, err)
		}
	}
	close(release)
	select {
	case err := <-late:
		if !errors.Is(err, kcl.ErrCheckpointerClosed) {
			t.Errorf("Checkpoint from a goroutine after the callback = %v, want ErrCheckpointerClosed", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("a late Checkpoint did not return")
	}
	// Give a stray write time to show; there must be none.
	time.Sleep(20 * time.Millisecond)
	if after := d.Transcript(); len(after) != before {
		t.Errorf("transcript grew after the callback:\n%s", strings.Join(lines(after[before:]), "\n"))
	}
	// The conversation is intact, and so it is for the next callbacks.
	x := d.ProcessRecords(kcltest.Records("c")...)
	checkLines(t, "next batch", x.Lines[1:], statusLine("processRecords"))
	kept = nil
	d.ShutdownRequested()
	if err := kept.Checkpoint(ctx); !errors.Is(err, kcl.ErrCheckpointerClosed) {
		t.Errorf("shutdownRequested's checkpointer after the callback = %v, want ErrCheckpointerClosed", err)
	}
	d.LeaseLost()
	if got := d.Checkpoints(); len(got) != 0 {
		t.Errorf("checkpoints = %v, want none", got)
	}
}

// TestCheckpointConcurrent checkpoints from many goroutines during one
// callback: the calls are serialized, each request followed by its reply.
func TestCheckpointConcurrent(t *testing.T) {
	const goroutines, each = 16, 4
	var mu sync.Mutex
	var errs []error
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					var err error
					switch (g + i) % 3 {
					case 0:
						err = cp.Checkpoint(ctx)
					case 1:
						err = cp.CheckpointRecord(ctx, in.Records[len(in.Records)-1])
					case 2:
						last := in.Records[len(in.Records)-1]
						err = cp.CheckpointSubSequence(ctx, last.SequenceNumber, last.SubSequenceNumber)
					}
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return nil
	})
	d := newDaemon(t, p)
	d.Initialize(shard, "TRIM_HORIZON")
	x := d.ProcessRecords(kcltest.Records("a", "b", "c")...)
	if len(errs) != goroutines*each {
		t.Fatalf("%d checkpoint calls returned, want %d", len(errs), goroutines*each)
	}
	for _, err := range errs {
		if err != nil {
			t.Errorf("concurrent checkpoint = %v, want nil", err)
		}
	}
	if len(x.Checkpoints) != goroutines*each {
		t.Errorf("%d checkpoint requests, want %d", len(x.Checkpoints), goroutines*each)
	}
	body := x.Lines[1 : len(x.Lines)-1]
	for i := 0; i+1 < len(body); i += 2 {
		if !body[i].FromChild || body[i+1].FromChild {
			t.Fatalf("lines %d and %d are not a request and its reply:\n%s", i, i+1, strings.Join(lines(body), "\n"))
		}
	}
	if got := d.Checkpoints(); !slices.Equal(got, []kcltest.Position{{SequenceNumber: seq(3)}}) {
		t.Errorf("checkpoints = %v, want the last record once", got)
	}
	d.LeaseLost()
}

// TestUnexpectedReply answers a checkpoint with something other than its
// reply. The checkpoint returns ErrUnexpectedReply, and since the
// conversation is out of step, the session ends with a *ProtocolError and
// no status, even if the processor ignores the error.
func TestUnexpectedReply(t *testing.T) {
	// A reply that does not decode is as out of step as a wrong one.
	for _, tc := range []struct {
		name  string
		reply string
	}{
		{"another message", `{"action":"leaseLost"}`},
		{"another position", `{"action":"checkpoint","sequenceNumber":"123","subSequenceNumber":null,"error":null}`},
		{"a status", `{"action":"status","responseFor":"processRecords"}`},
		{"not JSON", `this is not JSON`},
		{"no action", `{"sequenceNumber":null,"subSequenceNumber":null,"error":null}`},
		{"unknown action", `{"action":"checkpointReply","sequenceNumber":null}`},
		{"null", `null`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cpErr error
			p := runRaw(t, factoryOf(checkpointOnce(&cpErr, func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
				return cp.Checkpoint(ctx)
			})))
			p.send(initLine)
			p.expect(rawStatusInit)
			p.send(recordsLine)
			p.expect(rawCpLatest)
			p.send(tc.reply)
			if line, ok := p.next(); ok {
				t.Errorf("after the bad reply the child wrote %s, want nothing", line)
				p.close()
			}
			err := p.wait()
			if !errors.Is(cpErr, kcl.ErrUnexpectedReply) {
				t.Errorf("Checkpoint = %v, want ErrUnexpectedReply", cpErr)
			}
			var pe *kcl.ProtocolError
			if !errors.As(err, &pe) {
				t.Errorf("Run = %v (%T), want a *kcl.ProtocolError", err, err)
			}
			if !strings.Contains(p.stderr.String(), "level=ERROR") {
				t.Errorf("no error logged:\n%s", p.stderr)
			}
		})
	}
}

// TestProtocolErrorText: Run's error for a conversation out of step reads
// like every other error of the package, with one "kcl: " prefix.
func TestProtocolErrorText(t *testing.T) {
	p := runRaw(t, factoryOf(checkpointOnce(new(error), func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		return cp.Checkpoint(ctx)
	})))
	p.send(initLine)
	p.expect(rawStatusInit)
	p.send(recordsLine)
	p.expect(rawCpLatest)
	p.send(`{"action":"leaseLost"}`)
	err := p.wait()
	if err == nil || strings.Contains(err.Error(), "kcl: kcl:") || !strings.HasPrefix(err.Error(), "kcl: ") {
		t.Errorf("Run = %q, want one package prefix", err)
	}
}

// TestUnexpectedReplyText: the error for a reply out of step says what
// was sent, what reply that called for, and what came instead.
func TestUnexpectedReplyText(t *testing.T) {
	const recordSeq = "49590338271490256608559692538361571095921575989136588898"
	for _, tc := range []struct {
		name    string
		do      func(context.Context, *kcl.Checkpointer) error
		request string
		reply   string
		want    string // the error, after "kcl: unexpected answer to a checkpoint: "
	}{
		{
			"latest, another message",
			func(ctx context.Context, cp *kcl.Checkpointer) error { return cp.Checkpoint(ctx) },
			rawCpLatest,
			`{"action":"leaseLost"}`,
			`sent checkpoint at latest, expected a checkpoint reply echoing sequenceNumber null, got a leaseLost message`,
		},
		{
			"sequence, another position",
			func(ctx context.Context, cp *kcl.Checkpointer) error { return cp.CheckpointSequence(ctx, recordSeq) },
			`{"action":"checkpoint","sequenceNumber":"` + recordSeq + `","subSequenceNumber":null}`,
			`{"action":"checkpoint","sequenceNumber":"123","subSequenceNumber":null,"error":null}`,
			`sent checkpoint at ` + recordSeq + `, expected a checkpoint reply echoing sequenceNumber "` + recordSeq +
				`" and subSequenceNumber null, got a checkpoint reply with sequenceNumber "123" and subSequenceNumber null`,
		},
		{
			"sub-sequence not echoed",
			func(ctx context.Context, cp *kcl.Checkpointer) error {
				return cp.CheckpointSubSequence(ctx, recordSeq, 0)
			},
			`{"action":"checkpoint","sequenceNumber":"` + recordSeq + `","subSequenceNumber":0}`,
			`{"action":"checkpoint","sequenceNumber":"` + recordSeq + `","subSequenceNumber":null,"error":null}`,
			`sent checkpoint at ` + recordSeq + `/0, expected a checkpoint reply echoing sequenceNumber "` + recordSeq +
				`" and subSequenceNumber 0, got a checkpoint reply with sequenceNumber "` + recordSeq + `" and subSequenceNumber null`,
		},
		{
			"not a message",
			func(ctx context.Context, cp *kcl.Checkpointer) error { return cp.Checkpoint(ctx) },
			rawCpLatest,
			`this is not JSON`,
			`sent checkpoint at latest, expected a checkpoint reply echoing sequenceNumber null, got protocol: malformed message`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			p := runRaw(t, factoryOf(checkpointOnce(&err, func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
				return tc.do(ctx, cp)
			})))
			p.send(initLine)
			p.expect(rawStatusInit)
			p.send(recordsLine)
			p.expect(tc.request)
			p.send(tc.reply)
			p.rest()
			p.wait()
			want := kcl.ErrUnexpectedReply.Error() + ": " + tc.want
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Checkpoint = %v\nwant %s", err, want)
			}
		})
	}
}

// TestCheckpointAfterUnexpectedReply checkpoints again after a reply out
// of step: nothing is written, and the error names the earlier failure
// with the sentinel's text once.
func TestCheckpointAfterUnexpectedReply(t *testing.T) {
	var first, second error
	p := runRaw(t, factoryOf(checkpointOnce(new(error), func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		first = cp.Checkpoint(ctx)
		second = cp.Checkpoint(ctx)
		return nil
	})))
	p.send(initLine)
	p.expect(rawStatusInit)
	p.send(recordsLine)
	p.expect(rawCpLatest)
	p.send(`{"action":"leaseLost"}`)
	if rest := p.rest(); len(rest) != 0 {
		t.Errorf("after the bad reply the child wrote %q, want nothing", rest)
	}
	p.wait()
	if !errors.Is(first, kcl.ErrUnexpectedReply) {
		t.Fatalf("first Checkpoint = %v, want ErrUnexpectedReply", first)
	}
	if !errors.Is(second, kcl.ErrUnexpectedReply) {
		t.Fatalf("second Checkpoint = %v, want ErrUnexpectedReply", second)
	}
	msg := second.Error()
	if n := strings.Count(msg, kcl.ErrUnexpectedReply.Error()); n != 1 {
		t.Errorf("second Checkpoint = %q: %d times %q, want once", msg, n, kcl.ErrUnexpectedReply)
	}
	if !strings.HasPrefix(msg, first.Error()) || !strings.Contains(msg, "not sent") {
		t.Errorf("second Checkpoint = %q, want the first error (%q) and that nothing was sent", msg, first)
	}
}

// TestAbandonedCheckpointReply gives up waiting for one checkpoint's reply
// (its context ends) and checkpoints again before the daemon answered the
// first. The daemon answers in order, so the first reply belongs to the
// abandoned request and the second to the new one.
func TestAbandonedCheckpointReply(t *testing.T) {
	const recordSeq = "49590338271490256608559692538361571095921575989136588898"
	abandon := make(chan struct{})
	var first, second error
	proc := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		ctx1, cancel := context.WithCancel(ctx)
		go func() { <-abandon; cancel() }()
		first = cp.CheckpointSequence(ctx1, recordSeq)
		second = cp.Checkpoint(ctx)
		return second
	})
	p := runRaw(t, factoryOf(proc))
	p.send(initLine)
	p.expect(rawStatusInit)
	p.send(recordsLine)
	p.expect(`{"action":"checkpoint","sequenceNumber":"` + recordSeq + `","subSequenceNumber":null}`)
	close(abandon)
	p.expect(rawCpLatest)
	p.send(`{"action":"checkpoint","sequenceNumber":"` + recordSeq + `","subSequenceNumber":null,"error":null}`)
	if err := p.trySend(rawReplyLatestOK); err != nil {
		t.Errorf("the session ended before the second reply: %v", err)
	}
	if line, _ := p.next(); line != rawStatusRecords {
		t.Errorf("after both replies the child wrote %q, want %s", line, rawStatusRecords)
	}
	p.close()
	if err := p.wait(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if !errors.Is(first, context.Canceled) {
		t.Errorf("abandoned checkpoint = %v, want context.Canceled", first)
	}
	if second != nil {
		t.Errorf("second checkpoint = %v, want nil", second)
	}
}

// TestCheckpointAfterStdinClosed checkpoints in a callback that outlived
// stdin: ErrDaemonGone, and nothing is written.
func TestCheckpointAfterStdinClosed(t *testing.T) {
	got := make(chan error, 1)
	proc := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		<-ctx.Done() // cancelled once the grace period after EOF is over
		got <- cp.Checkpoint(context.Background())
		return nil
	})
	p := runRaw(t, factoryOf(proc), kcl.EOFGrace(10*time.Millisecond))
	p.send(initLine)
	p.expect(rawStatusInit)
	p.send(recordsLine)
	p.close()
	if err := p.wait(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	select {
	case err := <-got:
		if !errors.Is(err, kcl.ErrDaemonGone) {
			t.Errorf("Checkpoint after EOF = %v, want ErrDaemonGone", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("the callback did not checkpoint")
	}
	for _, line := range p.rest() {
		if strings.Contains(line, `"checkpoint"`) {
			t.Errorf("child wrote %s after EOF, want no checkpoint", line)
		}
	}
}

// TestCheckpointContextAlreadyDone: a checkpoint with a context that has
// already ended returns the context's error and asks the daemon nothing.
// (Writing the request anyway lets the daemon record a checkpoint that
// the caller is told failed, or not, at random.)
func TestCheckpointContextAlreadyDone(t *testing.T) {
	var err error
	d := newDaemon(t, checkpointOnce(&err, func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		done, cancel := context.WithCancel(ctx)
		cancel()
		return cp.Checkpoint(done)
	}))
	d.Initialize(shard, "TRIM_HORIZON")
	x := d.ProcessRecords(kcltest.Records("a")...)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Checkpoint with a cancelled context = %v, want context.Canceled", err)
	}
	if len(x.Checkpoints) != 0 {
		t.Errorf("Checkpoint with a cancelled context sent %d requests, want none", len(x.Checkpoints))
	}
	d.LeaseLost()
}

// TestCheckpointRacingCallbackReturn checkpoints from a goroutine while
// the callback returns, many times: each checkpoint either completes
// before the status (nil) or is refused (ErrCheckpointerClosed), and the
// daemon sees exactly the ones that completed, in their own exchange.
func TestCheckpointRacingCallbackReturn(t *testing.T) {
	const batches = 50
	results := make(chan error, batches)
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		go func() { results <- cp.Checkpoint(context.Background()) }()
		return nil
	})
	d := newDaemon(t, p)
	d.Initialize(shard, "TRIM_HORIZON")
	for i := range batches {
		x := d.ProcessRecords(kcltest.Records(fmt.Sprint(i))...)
		var err error
		select {
		case err = <-results:
		case <-time.After(waitTimeout):
			t.Fatalf("batch %d: the checkpoint did not return", i)
		}
		switch {
		case err == nil && len(x.Checkpoints) != 1:
			t.Errorf("batch %d: Checkpoint = nil with %d requests in the exchange, want 1", i, len(x.Checkpoints))
		case errors.Is(err, kcl.ErrCheckpointerClosed) && len(x.Checkpoints) != 0:
			t.Errorf("batch %d: Checkpoint = %v with %d requests in the exchange, want none", i, err, len(x.Checkpoints))
		case err != nil && !errors.Is(err, kcl.ErrCheckpointerClosed):
			t.Errorf("batch %d: Checkpoint = %v, want nil or ErrCheckpointerClosed", i, err)
		}
	}
	d.LeaseLost()
}
