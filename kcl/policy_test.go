package kcl_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kclgo/mld/kcl"
	"github.com/kclgo/mld/kcltest"
	"github.com/kclgo/mld/protocol"
)

var errBoom = errors.New("boom")

// panicInCallback panics; tests look for its name in stacks.
func panicInCallback() error { panic("kaboom") }

// failingIn returns a recorder whose callback for action runs fail.
func failingIn(action string, fail func() error) *recorder {
	r := &recorder{}
	switch action {
	case "initialize":
		r.onInitialize = func(context.Context, kcl.InitializeInput) error { return fail() }
	case "processRecords":
		r.onRecords = func(context.Context, kcl.ProcessRecordsInput, *kcl.Checkpointer) error { return fail() }
	case "shutdownRequested":
		r.onShutdownRequested = func(context.Context, kcl.ShutdownRequestedInput, *kcl.Checkpointer) error { return fail() }
	case "leaseLost":
		r.onLeaseLost = func(context.Context, kcl.LeaseLostInput) error { return fail() }
	case "shardEnded":
		r.onShardEnded = func(context.Context, kcl.ShardEndedInput, *kcl.Checkpointer) error { return fail() }
	}
	return r
}

// sendUpTo plays a session up to and including action and returns the
// result of sending it.
func sendUpTo(d *kcltest.Daemon, action string) (*kcltest.Exchange, error) {
	for _, m := range []protocol.Message{
		protocol.Initialize{ShardID: shard, SequenceNumber: protocol.Some("TRIM_HORIZON"), SubSequenceNumber: protocol.Some[int64](0)},
		protocol.ProcessRecords{Records: kcltest.Records("a", "b"), MillisBehindLatest: protocol.Some[int64](0)},
		protocol.ShutdownRequested{},
	} {
		if m.Action() == action {
			return d.Send(m)
		}
		if _, err := d.Send(m); err != nil {
			return nil, err
		}
	}
	if action == "leaseLost" {
		return d.Send(protocol.LeaseLost{})
	}
	return d.Send(protocol.ShardEnded{})
}

// TestFailureDefault checks the default failure policy for every
// callback: an error or a panic is logged, no status is sent, and Run
// returns a *CallbackError.
func TestFailureDefault(t *testing.T) {
	for _, action := range []string{"initialize", "processRecords", "shutdownRequested", "leaseLost", "shardEnded"} {
		for _, kind := range []string{"error", "panic"} {
			t.Run(action+"/"+kind, func(t *testing.T) {
				fail := func() error { return fmt.Errorf("wrapped: %w", errBoom) }
				if kind == "panic" {
					fail = panicInCallback
				}
				var logs syncBuffer
				d := newDaemon(t, failingIn(action, fail), logTo(&logs))
				x, err := sendUpTo(d, action)
				if err == nil {
					t.Fatalf("%s was acknowledged after the callback failed", action)
				}
				if x != nil {
					for _, l := range x.Lines {
						if l.FromChild {
							t.Errorf("child wrote %s, want nothing after a failed %s", l.Text, action)
						}
					}
				}
				runErr := exitResult(t, d)
				var ce *kcl.CallbackError
				if !errors.As(runErr, &ce) {
					t.Fatalf("Run = %v (%T), want a *kcl.CallbackError", runErr, runErr)
				}
				if ce.Action != action || ce.ShardID != shard || ce.Attempts != 1 {
					t.Errorf("CallbackError = %+v, want Action %q, ShardID %q, Attempts 1", ce, action, shard)
				}
				log := logs.String()
				if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "shard="+shard) {
					t.Errorf("no error logged with the shard:\n%s", log)
				}
				switch kind {
				case "error":
					if !errors.Is(runErr, errBoom) {
						t.Errorf("Run = %v, want it to wrap the callback's error", runErr)
					}
				case "panic":
					var pe *kcl.PanicError
					if !errors.As(runErr, &pe) || pe.Value != "kaboom" {
						t.Fatalf("Run = %v, want a *kcl.PanicError with the panic value", runErr)
					}
					if !strings.Contains(string(pe.Stack), "panicInCallback") {
						t.Errorf("PanicError.Stack does not name the panicking function:\n%s", pe.Stack)
					}
					if !strings.Contains(log, "panicInCallback") || !strings.Contains(log, "panic") {
						t.Errorf("the log does not show the panic's stack:\n%s", log)
					}
				}
			})
		}
	}
}

// TestFactoryFailure covers a factory that fails: no status for
// initialize, and a *CallbackError from Run.
func TestFactoryFailure(t *testing.T) {
	for _, tc := range []struct {
		name    string
		factory kcl.Factory
		check   func(error) bool
	}{
		{"error", func(string) (kcl.Processor, error) { return nil, errBoom }, func(err error) bool { return errors.Is(err, errBoom) }},
		{"nil processor", func(string) (kcl.Processor, error) { return nil, nil }, func(err error) bool { return err != nil }},
		{"panic", func(string) (kcl.Processor, error) { return nil, panicInCallback() }, func(err error) bool {
			var pe *kcl.PanicError
			return errors.As(err, &pe)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := kcltest.NewDaemon(t, tc.factory, kcltest.RunOptions(quiet), kcltest.Timeout(waitTimeout), kcltest.Canonical())
			if _, err := d.Send(protocol.Initialize{ShardID: shard}); err == nil {
				t.Fatal("initialize was acknowledged although the factory failed")
			}
			runErr := exitResult(t, d)
			var ce *kcl.CallbackError
			if !errors.As(runErr, &ce) || ce.Action != "initialize" || ce.ShardID != shard || !tc.check(runErr) {
				t.Errorf("Run = %v, want a *kcl.CallbackError for initialize of %s wrapping the failure", runErr, shard)
			}
		})
	}
}

func TestRetryCallbacks(t *testing.T) {
	var mu sync.Mutex
	var seen [][]string // the payloads of each attempt
	var failures int
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		mu.Lock()
		defer mu.Unlock()
		var payloads []string
		for _, r := range in.Records {
			payloads = append(payloads, r.SequenceNumber+"="+string(r.Data))
		}
		seen = append(seen, payloads)
		if len(seen) == 1 {
			return errBoom
		}
		if len(seen) == 2 {
			return panicInCallback()
		}
		return nil
	})
	d := newDaemon(t, p, kcl.RetryCallbacks(3, time.Millisecond),
		kcl.SkipFailed(func(context.Context, *kcl.Failure) error { failures++; return nil }))
	d.Initialize(shard, "TRIM_HORIZON")
	x := d.ProcessRecords(kcltest.Records("a", "b")...)
	checkLines(t, "processRecords", x.Lines[1:], statusLine("processRecords"))
	if len(seen) != 3 {
		t.Fatalf("ProcessRecords called %d times, want 3", len(seen))
	}
	want := []string{seq(1) + "=a", seq(2) + "=b"}
	for i, s := range seen {
		if !slices.Equal(s, want) {
			t.Errorf("attempt %d saw %v, want %v", i+1, s, want)
		}
	}
	if failures != 0 {
		t.Errorf("SkipFailed's report called %d times for a callback that succeeded on a retry", failures)
	}
	d.LeaseLost()
}

// TestRetryCallbacksBackoff checks the wait between attempts, doubling:
// three attempts with a 20ms backoff take at least 20ms + 40ms.
func TestRetryCallbacksBackoff(t *testing.T) {
	const backoff = 20 * time.Millisecond
	var times []time.Time
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		times = append(times, time.Now())
		if len(times) < 3 {
			return errBoom
		}
		return nil
	})
	d := newDaemon(t, p, kcl.RetryCallbacks(3, backoff))
	d.Initialize(shard, "TRIM_HORIZON")
	d.ProcessRecords(kcltest.Records("a")...)
	if len(times) != 3 {
		t.Fatalf("%d attempts, want 3", len(times))
	}
	if w := times[1].Sub(times[0]); w < backoff {
		t.Errorf("first wait %v, want at least %v", w, backoff)
	}
	if w := times[2].Sub(times[1]); w < 2*backoff {
		t.Errorf("second wait %v, want at least %v (doubled)", w, 2*backoff)
	}
	d.LeaseLost()
}

func TestRetryCallbacksExhausted(t *testing.T) {
	calls := 0
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		calls++
		return errBoom
	})
	d := newDaemon(t, p, kcl.RetryCallbacks(3, time.Millisecond))
	d.Initialize(shard, "TRIM_HORIZON")
	if _, err := d.Send(protocol.ProcessRecords{Records: kcltest.Records("a")}); err == nil {
		t.Fatal("processRecords was acknowledged after every attempt failed")
	}
	runErr := exitResult(t, d)
	var ce *kcl.CallbackError
	if !errors.As(runErr, &ce) || ce.Attempts != 3 || !errors.Is(runErr, errBoom) {
		t.Errorf("Run = %v, want a *kcl.CallbackError after 3 attempts wrapping the error", runErr)
	}
	if calls != 3 {
		t.Errorf("ProcessRecords called %d times, want 3", calls)
	}
}

func TestSkipFailed(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fail     func() error
		attempts int
	}{
		{"error", func() error { return errBoom }, 1},
		{"panic", panicInCallback, 1},
		{"error after retries", func() error { return errBoom }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var reports []kcl.Failure
			var reportRecords [][]string
			report := func(ctx context.Context, f *kcl.Failure) error {
				reports = append(reports, *f)
				var rs []string
				for _, r := range f.Records {
					rs = append(rs, r.SequenceNumber+"="+string(r.Data))
				}
				reportRecords = append(reportRecords, rs)
				return nil
			}
			calls := 0
			p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
				calls++
				if len(in.Records) == 2 {
					return tc.fail()
				}
				return nil
			})
			d := newDaemon(t, p, kcl.SkipFailed(report), kcl.RetryCallbacks(tc.attempts, time.Millisecond))
			d.Initialize(shard, "TRIM_HORIZON")
			x := d.ProcessRecords(kcltest.Records("a", "b")...)
			checkLines(t, "failed batch", x.Lines[1:], statusLine("processRecords"))
			d.ProcessRecords(kcltest.Records("c")...)
			d.LeaseLost()
			if err := d.Close(); err != nil {
				t.Errorf("session result = %v, want nil", err)
			}
			if calls != tc.attempts+1 {
				t.Errorf("ProcessRecords called %d times, want %d", calls, tc.attempts+1)
			}
			if len(reports) != 1 {
				t.Fatalf("report called %d times, want once", len(reports))
			}
			f := reports[0]
			if f.ShardID != shard || f.Action != "processRecords" || f.Attempts != tc.attempts {
				t.Errorf("Failure = %+v, want ShardID %q, Action processRecords, Attempts %d", f, shard, tc.attempts)
			}
			if want := []string{seq(1) + "=a", seq(2) + "=b"}; !slices.Equal(reportRecords[0], want) {
				t.Errorf("Failure.Records = %v, want %v", reportRecords[0], want)
			}
			var pe *kcl.PanicError
			if isPanic := errors.As(f.Err, &pe); isPanic != (tc.name == "panic") {
				t.Errorf("Failure.Err = %v (%T); a *kcl.PanicError: %v, want %v", f.Err, f.Err, isPanic, tc.name == "panic")
			} else if !isPanic && !errors.Is(f.Err, errBoom) {
				t.Errorf("Failure.Err = %v, want the callback's error", f.Err)
			}
		})
	}
}

// TestSkipFailedOtherActions checks that SkipFailed covers every callback,
// with no records for actions that have none.
func TestSkipFailedOtherActions(t *testing.T) {
	var reports []kcl.Failure
	report := func(ctx context.Context, f *kcl.Failure) error {
		reports = append(reports, *f)
		return nil
	}
	r := &recorder{
		onInitialize:        func(context.Context, kcl.InitializeInput) error { return errBoom },
		onShutdownRequested: func(context.Context, kcl.ShutdownRequestedInput, *kcl.Checkpointer) error { return errBoom },
		onLeaseLost:         func(context.Context, kcl.LeaseLostInput) error { return errBoom },
	}
	d := newDaemon(t, r, kcl.SkipFailed(report))
	d.Initialize(shard, "TRIM_HORIZON")
	d.ShutdownRequested()
	d.LeaseLost()
	var got []string
	for _, f := range reports {
		got = append(got, f.Action)
		if f.Records != nil {
			t.Errorf("%s: Failure.Records = %v, want nil", f.Action, f.Records)
		}
	}
	if want := []string{"initialize", "shutdownRequested", "leaseLost"}; !slices.Equal(got, want) {
		t.Errorf("reported %v, want %v", got, want)
	}
}

// TestSkipFailedShardEnded: a failed shardEnded callback that is reported
// and skipped still gets the SDK's SHARD_END checkpoint before its status.
func TestSkipFailedShardEnded(t *testing.T) {
	r := &recorder{onShardEnded: func(context.Context, kcl.ShardEndedInput, *kcl.Checkpointer) error { return errBoom }}
	d := newDaemon(t, r, kcl.SkipFailed(func(context.Context, *kcl.Failure) error { return nil }))
	d.Initialize(shard, "TRIM_HORIZON")
	d.ProcessRecords(kcltest.Records("a")...)
	x := d.ShardEnded()
	checkLines(t, "shardEnded", x.Lines[1:], cpLatest, replyLatestOK, statusLine("shardEnded"))
}

func TestSkipFailedReportFails(t *testing.T) {
	for _, tc := range []struct {
		name   string
		report func(context.Context, *kcl.Failure) error
	}{
		{"error", func(context.Context, *kcl.Failure) error { return errors.New("dead-letter queue unavailable") }},
		{"panic", func(context.Context, *kcl.Failure) error { panic("report exploded") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := kcl.ProcessorFunc(func(context.Context, kcl.ProcessRecordsInput, *kcl.Checkpointer) error { return errBoom })
			d := newDaemon(t, p, kcl.SkipFailed(tc.report))
			d.Initialize(shard, "TRIM_HORIZON")
			if _, err := d.Send(protocol.ProcessRecords{Records: kcltest.Records("a")}); err == nil {
				t.Fatal("processRecords was acknowledged although the report failed")
			}
			runErr := exitResult(t, d)
			var ce *kcl.CallbackError
			if !errors.As(runErr, &ce) || !errors.Is(runErr, errBoom) {
				t.Fatalf("Run = %v, want a *kcl.CallbackError wrapping the callback's error", runErr)
			}
			if !strings.Contains(runErr.Error(), "report") {
				t.Errorf("Run = %q, want it to say the report failed", runErr)
			}
		})
	}
}

func TestCallbackTimeout(t *testing.T) {
	const timeout = 50 * time.Millisecond
	t.Run("deadline", func(t *testing.T) {
		var deadlines []time.Duration
		var hasDeadline []bool
		p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
			dl, ok := ctx.Deadline()
			hasDeadline = append(hasDeadline, ok)
			deadlines = append(deadlines, time.Until(dl))
			return nil
		})
		d := newDaemon(t, p, kcl.CallbackTimeout(timeout))
		d.Initialize(shard, "TRIM_HORIZON")
		d.ProcessRecords(kcltest.Records("a")...)
		d.ProcessRecords(kcltest.Records("b")...)
		for i, ok := range hasDeadline {
			if !ok || deadlines[i] > timeout {
				t.Errorf("call %d: deadline %v in %v, want one within %v", i, ok, deadlines[i], timeout)
			}
		}
		d.LeaseLost()
	})
	t.Run("no deadline by default", func(t *testing.T) {
		p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
			if _, ok := ctx.Deadline(); ok {
				return errors.New("unexpected deadline")
			}
			return nil
		})
		d := newDaemon(t, p)
		d.Initialize(shard, "TRIM_HORIZON")
		d.ProcessRecords(kcltest.Records("a")...)
		d.LeaseLost()
	})
	t.Run("exceeded", func(t *testing.T) {
		attempts := 0
		r := &recorder{onRecords: func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
			attempts++
			<-ctx.Done()
			return ctx.Err()
		}}
		d := newDaemon(t, r, kcl.CallbackTimeout(timeout), kcl.RetryCallbacks(2, time.Millisecond))
		d.Initialize(shard, "TRIM_HORIZON")
		start := time.Now()
		if _, err := d.Send(protocol.ProcessRecords{Records: kcltest.Records("a")}); err == nil {
			t.Fatal("processRecords was acknowledged after the callback timed out")
		}
		if took := time.Since(start); took < 2*timeout {
			t.Errorf("2 attempts took %v, want at least %v: each attempt gets its own deadline", took, 2*timeout)
		}
		runErr := exitResult(t, d)
		if !errors.Is(runErr, context.DeadlineExceeded) || attempts != 2 {
			t.Errorf("Run = %v after %d attempts, want DeadlineExceeded after 2", runErr, attempts)
		}
	})
	t.Run("other callbacks", func(t *testing.T) {
		var missing []string
		check := func(name string, ctx context.Context) {
			if _, ok := ctx.Deadline(); !ok {
				missing = append(missing, name)
			}
		}
		r := &recorder{
			onInitialize: func(ctx context.Context, _ kcl.InitializeInput) error { check("initialize", ctx); return nil },
			onShutdownRequested: func(ctx context.Context, _ kcl.ShutdownRequestedInput, _ *kcl.Checkpointer) error {
				check("shutdownRequested", ctx)
				return nil
			},
			onShardEnded: func(ctx context.Context, _ kcl.ShardEndedInput, _ *kcl.Checkpointer) error {
				check("shardEnded", ctx)
				return nil
			},
		}
		d := newDaemon(t, r, kcl.CallbackTimeout(time.Minute))
		d.Initialize(shard, "TRIM_HORIZON")
		d.ShutdownRequested()
		d.ShardEnded()
		if len(missing) > 0 {
			t.Errorf("no deadline in %v", missing)
		}
	})
}

// TestCallbackGoexit: a callback that ends its goroutine with
// runtime.Goexit (t.FailNow, log.Fatal's cousins in test helpers) neither
// returns nor panics. It must still follow the failure policy, not leave
// the daemon waiting for a status forever.
func TestCallbackGoexit(t *testing.T) {
	p := kcl.ProcessorFunc(func(context.Context, kcl.ProcessRecordsInput, *kcl.Checkpointer) error {
		runtime.Goexit()
		return nil
	})
	d := kcltest.NewDaemon(t, factoryOf(p), kcltest.RunOptions(quiet), kcltest.Timeout(time.Second), kcltest.Canonical())
	d.Initialize(shard, "TRIM_HORIZON")
	if _, err := d.Send(protocol.ProcessRecords{Records: kcltest.Records("a")}); err == nil {
		t.Fatal("processRecords was acknowledged")
	}
	var ce *kcl.CallbackError
	if err := exitResult(t, d); !errors.As(err, &ce) {
		t.Errorf("Run = %v, want a *kcl.CallbackError", err)
	}
}
