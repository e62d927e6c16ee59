//go:build unix

package kcl_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kclgo/mld/kcl"
	"github.com/kclgo/mld/kcltest"
	"github.com/kclgo/mld/protocol"
)

// The child processes of these tests: this test binary, run again with
// childEnv naming one of them (see TestMain), calls kcl.Main.
func init() {
	plain := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		return cp.Checkpoint(ctx)
	})
	with := func(p kcl.Processor, opts ...kcl.Option) func() (kcl.Factory, []kcl.Option) {
		return func() (kcl.Factory, []kcl.Option) { return factoryOf(p), opts }
	}
	children["plain"] = with(plain)
	children["plain-long-grace"] = with(plain, kcl.EOFGrace(time.Hour))
	children["stray"] = with(kcl.ProcessorFunc(strayOutput))
	children["stray-keep-stdout"] = with(kcl.ProcessorFunc(strayText), kcl.KeepStdout())
	children["panic"] = with(kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		return explodeInProcessRecords(in)
	}))
	children["error"] = with(kcl.ProcessorFunc(func(context.Context, kcl.ProcessRecordsInput, *kcl.Checkpointer) error {
		return errors.New("the database is down")
	}))
	children["retry-exhausted"] = with(kcl.ProcessorFunc(func(context.Context, kcl.ProcessRecordsInput, *kcl.Checkpointer) error {
		return errors.New("the database is down")
	}), kcl.RetryCallbacks(2, time.Millisecond))
	children["waits-for-ctx"] = with(kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		fmt.Fprintln(os.Stderr, "callback started")
		<-ctx.Done()
		fmt.Fprintln(os.Stderr, "callback context:", ctx.Err())
		return ctx.Err()
	}), kcl.EOFGrace(50*time.Millisecond))
	children["ignores-ctx"] = with(kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		fmt.Fprintln(os.Stderr, "callback started")
		time.Sleep(time.Hour)
		return nil
	}), kcl.EOFGrace(50*time.Millisecond))
	children["max-line-1k"] = with(plain, kcl.MaxLineSize(1024))
	children["invalid-option"] = with(plain, kcl.MaxLineSize(0))
	children["nil-factory"] = func() (kcl.Factory, []kcl.Option) { return nil, nil }
}

// strayOutput writes to file descriptor 1 every way a program might, then
// checkpoints: none of it may reach the daemon.
func strayOutput(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
	fmt.Println("stray fmt.Println")
	os.Stdout.WriteString("stray os.Stdout\n")
	syscall.Write(1, []byte("stray syscall.Write\n"))
	// A line the daemon would take for this batch's status.
	fmt.Println(`{"action":"status","responseFor":"processRecords"}`)
	// A subprocess given the process's stdout.
	sub := exec.Command("/bin/sh", "-c", "echo stray subprocess")
	sub.Stdout = os.Stdout
	if err := sub.Run(); err != nil {
		return err
	}
	return cp.Checkpoint(ctx)
}

func strayText(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
	fmt.Println("stray fmt.Println")
	syscall.Write(1, []byte("stray syscall.Write\n"))
	return nil
}

// explodeInProcessRecords panics; the test looks for its name on stderr.
func explodeInProcessRecords(in kcl.ProcessRecordsInput) error {
	panic(fmt.Sprintf("cannot handle record %s", in.Records[0].Data))
}

// startChild starts the named child under a kcltest.Daemon.
func startChild(t *testing.T, name string) *kcltest.Daemon {
	t.Helper()
	return kcltest.StartCommand(t, childCommand(t, name), kcltest.Timeout(waitTimeout), kcltest.Canonical())
}

// exitCodeOf returns the exit status in a kcltest.Daemon's result.
func exitCodeOf(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child result = %v, want an exit status", err)
	}
	return ee.ExitCode()
}

func TestProcessLifecycle(t *testing.T) {
	d := startChild(t, "plain")
	d.Initialize(shard, "TRIM_HORIZON")
	d.ProcessRecords(kcltest.Records("a", "b")...)
	d.ShutdownRequested()
	d.ProcessRecords(kcltest.Records("c")...)
	d.ShardEnded()
	if err := d.Close(); err != nil {
		t.Errorf("child exit: %v\nstderr:\n%s", err, d.Stderr())
	}
	if s := d.Stderr(); s != "" {
		t.Errorf("a child that works writes nothing to stderr at the default level; got:\n%s", s)
	}
}

// TestProcessLogLevel: KCL_LOG_LEVEL makes the default logger chattier.
func TestProcessLogLevel(t *testing.T) {
	d := kcltest.StartCommand(t, childCommand(t, "plain", "KCL_LOG_LEVEL=debug"), kcltest.Timeout(waitTimeout), kcltest.Canonical())
	d.Initialize(shard, "TRIM_HORIZON")
	d.ProcessRecords(kcltest.Records("a")...)
	d.LeaseLost()
	if stderr := d.Stderr(); !strings.Contains(stderr, "level=DEBUG") || !strings.Contains(stderr, "shard="+shard) {
		t.Errorf("KCL_LOG_LEVEL=debug: stderr lacks debug logs with the shard:\n%s", stderr)
	}
}

// TestProcessStrayStdout writes to fd 1 from a callback: the daemon sees
// only protocol lines, and the stray output shows on stderr.
func TestProcessStrayStdout(t *testing.T) {
	d := startChild(t, "stray")
	d.Initialize(shard, "TRIM_HORIZON")
	x := d.ProcessRecords(kcltest.Records("a")...)
	checkLines(t, "processRecords", x.Lines[1:], cpLatest, replyLatestOK, statusLine("processRecords"))
	d.LeaseLost()
	if err := d.Close(); err != nil {
		t.Errorf("child exit: %v", err)
	}
	for _, l := range d.Transcript() {
		if !l.FromChild {
			continue
		}
		if _, err := protocol.DecodeChild([]byte(l.Text)); err != nil {
			t.Errorf("child wrote %q to the daemon: %v", l.Text, err)
		}
	}
	stderr := d.Stderr()
	for _, s := range []string{"stray fmt.Println", "stray os.Stdout", "stray syscall.Write", `{"action":"status","responseFor":"processRecords"}`, "stray subprocess"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}
}

// TestProcessKeepStdout opts out of the stdout takeover: stray output
// reaches stdout.
func TestProcessKeepStdout(t *testing.T) {
	p := startRaw(t, "stray-keep-stdout")
	p.send(initLine)
	p.expect(rawStatusInit)
	p.send(recordsLine)
	p.expect("stray fmt.Println")
	p.expect("stray syscall.Write")
	p.expect(rawStatusRecords)
	p.close()
	if code := p.exitCode(); code != 0 {
		t.Errorf("exit status %d, want 0\nstderr:\n%s", code, p.stderr)
	}
	if strings.Contains(p.stderr.String(), "stray") {
		t.Errorf("stray output on stderr with KeepStdout:\n%s", p.stderr)
	}
}

// TestProcessCallbackFailure covers the default policy in a real process:
// no status on stdout, a non-zero exit, and the reason on stderr.
func TestProcessCallbackFailure(t *testing.T) {
	for _, tc := range []struct {
		child  string
		stderr []string
	}{
		{"panic", []string{"panic", "cannot handle record a", "explodeInProcessRecords", "processRecords"}},
		{"error", []string{"the database is down", "processRecords", "level=ERROR"}},
		{"retry-exhausted", []string{"the database is down", "2 attempt", "level=ERROR"}},
	} {
		t.Run(tc.child, func(t *testing.T) {
			d := startChild(t, tc.child)
			d.Initialize(shard, "TRIM_HORIZON")
			x, err := d.Send(protocol.ProcessRecords{Records: kcltest.Records("a")})
			if err == nil {
				t.Fatal("processRecords was acknowledged after the callback failed")
			}
			for _, l := range x.Lines {
				if l.FromChild {
					t.Errorf("child wrote %s, want nothing", l.Text)
				}
			}
			runErr := d.Close()
			if code := exitCodeOf(t, runErr); code == 0 {
				t.Errorf("exit status 0, want non-zero")
			}
			stderr := d.Stderr()
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
}

// TestProcessShardEndCheckpointFails: the SDK's SHARD_END checkpoint is
// refused, so the child exits non-zero with no status, saying why; unless
// the lease was lost (ShutdownException), which is logged and acknowledged.
func TestProcessShardEndCheckpointFails(t *testing.T) {
	for _, tc := range []struct {
		exception string
		exit      bool
	}{
		{"InvalidStateException", true},
		{"ShutdownException", false},
	} {
		t.Run(tc.exception, func(t *testing.T) {
			d := startChild(t, "plain")
			d.Initialize(shard, "TRIM_HORIZON")
			d.ReplyNext(tc.exception)
			x, _ := d.Send(protocol.ShardEnded{})
			acked := false
			for _, l := range x.Lines {
				acked = acked || (l.FromChild && strings.Contains(l.Text, `"status"`))
			}
			if acked == tc.exit {
				t.Errorf("status sent: %v, want %v; exchange:\n%s", acked, !tc.exit, strings.Join(lines(x.Lines), "\n"))
			}
			if code := exitCodeOf(t, d.Close()); (code != 0) != tc.exit {
				t.Errorf("exit status %d, want non-zero: %v", code, tc.exit)
			}
			if stderr := d.Stderr(); !strings.Contains(stderr, "SHARD_END") || !strings.Contains(stderr, tc.exception) || !strings.Contains(stderr, "level=ERROR") {
				t.Errorf("stderr does not explain the failed SHARD_END checkpoint:\n%s", stderr)
			}
		})
	}
}

// TestProcessSignals: SIGINT and SIGTERM do not end the child, which
// answers the next actions and exits 0 at EOF.
func TestProcessSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := childCommand(t, "plain")
			d := kcltest.StartCommand(t, cmd, kcltest.Timeout(waitTimeout), kcltest.Canonical())
			d.Initialize(shard, "TRIM_HORIZON")
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the child to log the signal", func() bool { return strings.Contains(d.Stderr(), "signal received") })
			d.ProcessRecords(kcltest.Records("a")...)
			d.ShutdownRequested()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			d.LeaseLost()
			if err := d.Close(); err != nil {
				t.Errorf("child exit: %v\nstderr:\n%s", err, d.Stderr())
			}
		})
	}
}

// TestProcessEOF: stdin closed between actions ends the child at once,
// with status 0. The child's EOFGrace is an hour: nothing may wait for it.
func TestProcessEOF(t *testing.T) {
	d := startChild(t, "plain-long-grace")
	d.Initialize(shard, "TRIM_HORIZON")
	d.ProcessRecords(kcltest.Records("a")...)
	start := time.Now()
	if err := d.Close(); err != nil {
		t.Errorf("child exit: %v\nstderr:\n%s", err, d.Stderr())
	}
	// Generous for a loaded machine: it takes milliseconds.
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the child took %v to exit after EOF", took)
	}
}

// TestProcessEOFDuringCallback closes stdin while a callback runs: its
// context is cancelled after the EOF grace period and the child exits 0,
// whether the callback returns then or ignores its context.
func TestProcessEOFDuringCallback(t *testing.T) {
	for _, tc := range []struct {
		child  string
		stderr string
	}{
		{"waits-for-ctx", "callback context: context canceled"},
		{"ignores-ctx", "callback started"},
	} {
		t.Run(tc.child, func(t *testing.T) {
			p := startRaw(t, tc.child)
			p.send(initLine)
			p.expect(rawStatusInit)
			p.send(recordsLine)
			waitFor(t, "the callback to start", func() bool { return strings.Contains(p.stderr.String(), "callback started") })
			p.close()
			start := time.Now()
			for _, line := range p.rest() {
				if strings.Contains(line, "checkpoint") {
					t.Errorf("child wrote %s after EOF", line)
				}
			}
			if code := p.exitCode(); code != 0 {
				t.Errorf("exit status %d, want 0\nstderr:\n%s", code, p.stderr)
			}
			// Twice the grace period (50ms) at most, and generous for a
			// loaded machine.
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("exit took %v after EOF with an EOF grace of 50ms", took)
			}
			if !strings.Contains(p.stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, p.stderr)
			}
		})
	}
}

// TestProcessMalformedInput: a line that is not a message ends the child
// with a non-zero status and an error quoting the line, and no status.
func TestProcessMalformedInput(t *testing.T) {
	for _, tc := range []struct {
		name, line, quoted string
	}{
		{"not JSON", "hello, this is not JSON at all", "hello, this is not JSON"},
		{"no action", `{"shardId":"shardId-000000000001","sequenceNumber":"TRIM_HORIZON"}`, `shardId-000000000001`},
		{"null", "null", "null"},
		{"action not a string", `{"action":7}`, `action`},
		{"array", `[{"action":"leaseLost"}]`, `leaseLost`},
		{"bad base64", `{"action":"processRecords","records":[{"data":"!!!","partitionKey":"k","sequenceNumber":"1","approximateArrivalTimestamp":1,"subSequenceNumber":0,"action":"record"}],"millisBehindLatest":0}`, `processRecords`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startRaw(t, "plain")
			p.send(initLine)
			p.expect(rawStatusInit)
			p.send(tc.line)
			if rest := p.rest(); len(rest) != 0 {
				t.Errorf("child wrote %q after the malformed line, want nothing", rest)
			}
			if code := p.exitCode(); code == 0 {
				t.Errorf("exit status 0, want non-zero")
			}
			stderr := p.stderr.String()
			if !strings.Contains(stderr, "level=ERROR") || !strings.Contains(stderr, tc.quoted) {
				t.Errorf("stderr does not quote the start of the line (%q):\n%s", tc.quoted, stderr)
			}
		})
	}
}

// TestProcessUnknownAction: an action this SDK does not know is logged and
// acknowledged, and the session goes on.
func TestProcessUnknownAction(t *testing.T) {
	p := startRaw(t, "plain")
	p.send(initLine)
	p.expect(rawStatusInit)
	p.send(`{"action":"rebalanceHint","weight":3}`)
	p.expect(`{"action":"status","responseFor":"rebalanceHint"}`)
	p.send(recordsLine)
	p.expect(rawCpLatest)
	p.send(rawReplyLatestOK)
	p.expect(rawStatusRecords)
	p.close()
	if code := p.exitCode(); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	if !strings.Contains(p.stderr.String(), "rebalanceHint") {
		t.Errorf("the unknown action is not logged:\n%s", p.stderr)
	}
}

// TestProcessLineTooLong: a line over MaxLineSize ends the child with a
// clear error.
func TestProcessLineTooLong(t *testing.T) {
	skipUnlessShortLimit(t)
	p := startRaw(t, "max-line-1k")
	p.send(initLine)
	p.expect(rawStatusInit)
	big := `{"action":"processRecords","records":[{"data":"` + strings.Repeat("QUJD", 1024) + `","partitionKey":"k","sequenceNumber":"1","approximateArrivalTimestamp":1,"subSequenceNumber":0,"action":"record"}],"millisBehindLatest":0}`
	p.trySend(big) // the child may exit before reading all of it
	if line, ok := p.next(); ok {
		t.Errorf("child accepted a %d-byte line with MaxLineSize(1024) and wrote %s", len(big), line)
		p.close()
	}
	if code := p.exitCode(); code == 0 {
		t.Errorf("exit status 0, want non-zero")
	}
	if stderr := p.stderr.String(); !strings.Contains(stderr, "line too long") || !strings.Contains(stderr, "1024") {
		t.Errorf("stderr does not explain the long line:\n%s", stderr)
	}
}

// TestProcessInvalidOption: Main refuses an invalid option before reading
// anything, with a message and status 2.
func TestProcessInvalidOption(t *testing.T) {
	p := startRaw(t, "invalid-option")
	if rest := p.rest(); len(rest) != 0 {
		t.Errorf("child wrote %q, want nothing", rest)
	}
	if code := p.exitCode(); code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
	if !strings.Contains(p.stderr.String(), "MaxLineSize(0)") {
		t.Errorf("stderr does not name the invalid option:\n%s", p.stderr)
	}
}

// TestProcessNilFactory: kcl.Main(nil) must say what is wrong, not exit
// with nothing on stderr.
func TestProcessNilFactory(t *testing.T) {
	p := startRaw(t, "nil-factory")
	p.close()
	if rest := p.rest(); len(rest) != 0 {
		t.Errorf("child wrote %q, want nothing", rest)
	}
	if code := p.exitCode(); code == 0 {
		t.Errorf("exit status 0, want non-zero")
	}
	if !strings.Contains(p.stderr.String(), "nil factory") {
		t.Errorf("stderr does not explain the failure: %q", p.stderr)
	}
}

// TestProcessStdoutClosed: the child cannot write its status (the daemon's
// end of stdout is gone). It exits non-zero and says why on stderr.
func TestProcessStdoutClosed(t *testing.T) {
	p := startRaw(t, "plain")
	p.stdout.Close()
	p.send(initLine)
	if code := p.exitCode(); code == 0 {
		t.Errorf("exit status 0, want non-zero")
	}
	if stderr := p.stderr.String(); !strings.Contains(stderr, "initialize") || !strings.Contains(stderr, "broken pipe") {
		t.Errorf("stderr does not explain the failed write: %q", stderr)
	}
}
