package kcl_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kclgo/mld/kcl"
)

// TestEOFDuringCallback closes stdin while ProcessRecords runs: the
// callback's context is cancelled after EOFGrace, and Run returns nil
// without a status.
func TestEOFDuringCallback(t *testing.T) {
	const grace = 30 * time.Millisecond
	ctxErr := make(chan error, 1)
	var waited time.Duration
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		start := time.Now()
		<-ctx.Done()
		waited = time.Since(start)
		ctxErr <- ctx.Err()
		return ctx.Err()
	})
	peer := runRaw(t, factoryOf(p), kcl.EOFGrace(grace))
	peer.send(initLine)
	peer.expect(rawStatusInit)
	peer.send(recordsLine)
	peer.close()
	if err := peer.wait(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if rest := peer.rest(); len(rest) != 0 {
		t.Errorf("child wrote %q after EOF, want nothing", rest)
	}
	if err := <-ctxErr; !errors.Is(err, context.Canceled) {
		t.Errorf("callback's ctx.Err() = %v, want context.Canceled", err)
	}
	if waited < grace {
		t.Errorf("the context was cancelled %v after EOF, want the grace period (%v) first", waited, grace)
	}
}

// TestEOFDuringCallbackGraceUsed: a callback that finishes within the
// grace period after EOF is not cancelled, and Run returns once it did.
func TestEOFDuringCallbackGraceUsed(t *testing.T) {
	finished := make(chan error, 1)
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		time.Sleep(20 * time.Millisecond)
		finished <- ctx.Err()
		return nil
	})
	peer := runRaw(t, factoryOf(p), kcl.EOFGrace(waitTimeout/2))
	peer.send(initLine)
	peer.expect(rawStatusInit)
	peer.send(recordsLine)
	peer.close()
	start := time.Now()
	if err := peer.wait(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if err := <-finished; err != nil {
		t.Errorf("the callback's context ended (%v) within the grace period", err)
	}
	if took := time.Since(start); took > waitTimeout/4 {
		t.Errorf("Run took %v to return after the callback did", took)
	}
}

// TestEOFWhileCheckpointing closes stdin instead of answering a
// checkpoint: the checkpoint returns ErrDaemonGone and Run returns nil.
func TestEOFWhileCheckpointing(t *testing.T) {
	got := make(chan error, 1)
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		err := cp.Checkpoint(ctx)
		got <- err
		return err
	})
	peer := runRaw(t, factoryOf(p))
	peer.send(initLine)
	peer.expect(rawStatusInit)
	peer.send(recordsLine)
	peer.expect(rawCpLatest)
	peer.close()
	if err := peer.wait(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if err := <-got; !errors.Is(err, kcl.ErrDaemonGone) {
		t.Errorf("Checkpoint = %v, want ErrDaemonGone", err)
	}
}

// TestAbandonedCallbackKeepsItsRecords: Run gives up on a callback that
// ignores its context after twice EOFGrace, but the records stay valid for
// the callback, which has not returned: "Records is valid only until
// ProcessRecords returns".
func TestAbandonedCallbackKeepsItsRecords(t *testing.T) {
	release := make(chan struct{})
	seen := make(chan string, 1)
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		<-release // ignores ctx
		seen <- in.Records[0].SequenceNumber + " " + string(in.Records[0].Data)
		return nil
	})
	peer := runRaw(t, factoryOf(p), kcl.EOFGrace(5*time.Millisecond))
	peer.send(initLine)
	peer.expect(rawStatusInit)
	peer.send(recordsLine)
	peer.close()
	if err := peer.wait(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if !strings.Contains(peer.stderr.String(), "abandoned") {
		t.Errorf("the abandoned callback is not logged:\n%s", peer.stderr)
	}
	close(release)
	if got, want := <-seen, "49590338271490256608559692538361571095921575989136588898 hello world"; got != want {
		t.Errorf("after Run returned, the abandoned callback saw the record as %q, want %q", got, want)
	}
}
