package kcl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kclgo/mld/protocol"
)

// The router's state transitions, first on routerState alone, then on a
// router reading a pipe, in a synctest bubble so that the watch timer runs
// on the bubble's clock.

var (
	replyLatest = protocol.CheckpointReply{}
	leaseLost   = protocol.LeaseLost{}
	eof         = inbound{err: io.EOF}
	malformed   = inbound{err: fmt.Errorf("a line: %w", protocol.ErrMalformed)}
)

func TestRouterStateRoute(t *testing.T) {
	for _, tc := range []struct {
		name      string
		st        routerState
		in        inbound
		endedCall bool
		delivered bool // to the waiter
		pending   int
		abandoned int
	}{
		{"queued without a waiter", routerState{inflight: 1}, inbound{m: replyLatest}, false, false, 1, 0},
		{"to the waiter", routerState{inflight: 1, waiter: make(chan inbound, 1)}, inbound{m: replyLatest}, false, true, 0, 0},
		{"a reply still due is dropped first", routerState{inflight: 1, waiter: make(chan inbound, 1), abandoned: 2}, inbound{m: replyLatest}, false, false, 0, 1},
		{"only a reply is taken as one still due", routerState{inflight: 1, waiter: make(chan inbound, 1), abandoned: 1}, inbound{m: leaseLost}, false, true, 0, 1},
		{"a bad line goes to the waiter", routerState{inflight: 1, waiter: make(chan inbound, 1)}, malformed, false, true, 0, 0},
		{"a bad line does not end the input", routerState{}, malformed, false, false, 1, 0},
		{"the end to the waiter", routerState{inflight: 1, waiter: make(chan inbound, 1), calling: true}, eof, true, true, 0, 0},
		{"the end between callbacks", routerState{}, eof, false, false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.st
			waiter := st.waiter
			if endedCall := st.route(tc.in); endedCall != tc.endedCall {
				t.Errorf("route = %v, want %v", endedCall, tc.endedCall)
			}
			if waiter != nil {
				if got := len(waiter) == 1; got != tc.delivered {
					t.Errorf("delivered to the waiter: %v, want %v", got, tc.delivered)
				}
				if tc.delivered && st.waiter != nil {
					t.Error("the waiter is still set after its input was delivered")
				}
			}
			if len(st.pending) != tc.pending || st.abandoned != tc.abandoned {
				t.Errorf("%d queued and %d replies due, want %d and %d", len(st.pending), st.abandoned, tc.pending, tc.abandoned)
			}
			if ends := tc.in.err == io.EOF; (st.ended != nil) != ends {
				t.Errorf("ended = %v after %v", st.ended, tc.in)
			}
			if b := st.broken(); b != "" {
				t.Errorf("state broken after route: %s", b)
			}
		})
	}
}

func TestRouterStateAwait(t *testing.T) {
	first, second := inbound{m: replyLatest}, inbound{m: leaseLost}
	st := routerState{inflight: 1, pending: []inbound{first, second}}
	reply := make(chan inbound, 1)
	st.await(reply)
	if got := <-reply; got != first || st.waiter != nil || len(st.pending) != 1 {
		t.Errorf("await with input queued gave %v, left waiter %v and %d queued; want the oldest, no waiter, 1 queued", got, st.waiter, len(st.pending))
	}
	st = routerState{inflight: 1, ended: io.EOF}
	st.await(reply)
	if got := <-reply; got.err != io.EOF || st.waiter != nil {
		t.Errorf("await after the end gave %v, want EOF", got)
	}
	st = routerState{inflight: 1}
	st.await(reply)
	if st.waiter != reply {
		t.Error("await with nothing queued did not make reply the waiter")
	}
}

func TestRouterStateBroken(t *testing.T) {
	w := make(chan inbound, 1)
	cp := &Checkpointer{}
	for _, tc := range []struct {
		st   routerState
		want string // in the message; "" for a valid state
	}{
		{routerState{}, ""},
		{routerState{calling: true, open: cp, inflight: 1, waiter: w, abandoned: 1}, ""},
		{routerState{inflight: 2, pending: []inbound{eof}, ended: io.EOF}, ""},
		{routerState{waiter: w}, "no checkpoint under way"},
		{routerState{inflight: 1, waiter: w, pending: []inbound{eof}}, "input is queued"},
		{routerState{inflight: 1, waiter: w, ended: io.EOF}, "after the input ended"},
		{routerState{open: cp}, "outside its callback"},
		{routerState{inflight: -1}, "negative"},
		{routerState{abandoned: -1}, "negative"},
	} {
		if got := tc.st.broken(); (got == "") != (tc.want == "") || !strings.Contains(got, tc.want) {
			t.Errorf("broken(%+v) = %q, want %q", tc.st, got, tc.want)
		}
	}
}

// routerTest is a router reading what the test writes as the daemon.
type routerTest struct {
	t     *testing.T
	rt    *router
	w     *io.PipeWriter
	ends  atomic.Int32 // calls of atEnd
	sends atomic.Int32 // checkpoint requests written
}

func newRouterTest(t *testing.T) *routerTest {
	r, w := io.Pipe()
	x := &routerTest{t: t, w: w}
	x.rt = newRouter(protocol.NewReader(r), func() { x.ends.Add(1) })
	t.Cleanup(func() {
		w.Close() // ends the watcher, if one reads
		synctest.Wait()
		x.rt.stop()
	})
	return x
}

// send writes the daemon's lines, and returns once they were read.
func (x *routerTest) send(lines ...string) {
	go io.WriteString(x.w, strings.Join(lines, "\n")+"\n")
	synctest.Wait()
}

func (x *routerTest) state() routerState {
	x.rt.mu.Lock()
	defer x.rt.mu.Unlock()
	return x.rt.st
}

// checkpoint starts a checkpoint for cp at req and returns its result.
func (x *routerTest) checkpoint(ctx context.Context, cp *Checkpointer, req protocol.Checkpoint) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := x.rt.checkpoint(ctx, cp, req, func() error { x.sends.Add(1); return nil })
		done <- err
	}()
	synctest.Wait()
	return done
}

const (
	lineReplyLatest = `{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}`
	lineReply7      = `{"action":"checkpoint","sequenceNumber":"7","subSequenceNumber":null,"error":null}`
	lineLeaseLost   = `{"action":"leaseLost"}`
)

var checkpointAt7 = protocol.Checkpoint{SequenceNumber: protocol.Some("7")}

// result returns what done has, failing if it has nothing yet.
func result(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	default:
		t.Fatal("the checkpoint has not returned")
		return nil
	}
}

// TestRouterWatchesLongCallback: no watcher reads while a callback is
// short; after watchAfter one does, and sees the end of the input.
func TestRouterWatchesLongCallback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRouterTest(t)
		x.rt.begin("processRecords", nil)
		time.Sleep(watchAfter - time.Millisecond)
		synctest.Wait()
		if st := x.state(); st.watching || !st.armed {
			t.Fatalf("before watchAfter: watching %v, armed %v; want no watcher yet and the timer set", st.watching, st.armed)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if !x.state().watching {
			t.Fatal("no watcher after the callback ran for watchAfter")
		}
		x.w.Close()
		synctest.Wait()
		if st := x.state(); st.ended != io.EOF || st.watching {
			t.Errorf("after EOF: ended %v, watching %v; want EOF and the watcher gone", st.ended, st.watching)
		}
		if n := x.ends.Load(); n != 1 {
			t.Errorf("atEnd called %d times, want once", n)
		}
		if ended, _ := x.rt.finish(); ended != io.EOF {
			t.Errorf("finish = %v, want EOF", ended)
		}
	})
}

// TestRouterTimerOutlivesShortCallbacks: the timer is set once for many
// short callbacks, and firing between them starts nothing.
func TestRouterTimerOutlivesShortCallbacks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRouterTest(t)
		for range 5 {
			x.rt.begin("processRecords", nil)
			time.Sleep(watchAfter / 4)
			x.rt.finish()
		}
		time.Sleep(watchAfter)
		synctest.Wait()
		if st := x.state(); st.watching || st.armed {
			t.Errorf("after short callbacks: watching %v, armed %v; want neither", st.watching, st.armed)
		}
		x.w.Close()
		if in := x.rt.read(); in.err != io.EOF {
			t.Errorf("read = %v, want EOF", in)
		}
		if n := x.ends.Load(); n != 0 {
			t.Errorf("atEnd called %d times between callbacks, want never", n)
		}
	})
}

// TestRouterCheckpointReply: a checkpoint gets its reply through a
// watcher, which goes on reading while the callback runs; what it reads
// after is queued for read.
func TestRouterCheckpointReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRouterTest(t)
		cp := &Checkpointer{}
		x.rt.begin("processRecords", cp)
		done := x.checkpoint(context.Background(), cp, protocol.Checkpoint{})
		if st := x.state(); x.sends.Load() != 1 || st.waiter == nil || !st.watching {
			t.Fatalf("checkpoint under way: %d sent, waiter %v, watching %v; want 1, a waiter and a watcher", x.sends.Load(), st.waiter, st.watching)
		}
		x.send(lineReplyLatest)
		if err := result(t, done); err != nil {
			t.Fatalf("checkpoint = %v, want nil", err)
		}
		if st := x.state(); st.inflight != 0 || st.waiter != nil {
			t.Errorf("after the reply: %d under way, waiter %v", st.inflight, st.waiter)
		}
		x.rt.finish()
		x.send(lineLeaseLost) // read by the watcher, which then stops
		if st := x.state(); st.watching || len(st.pending) != 1 {
			t.Errorf("after the callback: watching %v, %d queued; want no watcher and the next action queued", st.watching, len(st.pending))
		}
		if in := x.rt.read(); in.m != leaseLost {
			t.Errorf("read = %v, want the queued leaseLost", in)
		}
	})
}

// TestRouterAbandonedReply: a checkpoint that stops waiting leaves its
// reply due; the next checkpoint skips it and gets its own.
func TestRouterAbandonedReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRouterTest(t)
		cp := &Checkpointer{}
		x.rt.begin("processRecords", cp)
		ctx, cancel := context.WithCancel(context.Background())
		first := x.checkpoint(ctx, cp, checkpointAt7)
		cancel()
		synctest.Wait()
		if err := result(t, first); !errors.Is(err, context.Canceled) {
			t.Fatalf("abandoned checkpoint = %v, want context.Canceled", err)
		}
		if st := x.state(); st.abandoned != 1 || st.waiter != nil || st.inflight != 0 {
			t.Fatalf("after giving up: %d due, waiter %v, %d under way; want 1, none, 0", st.abandoned, st.waiter, st.inflight)
		}
		second := x.checkpoint(context.Background(), cp, protocol.Checkpoint{})
		x.send(lineReply7, lineReplyLatest)
		if err := result(t, second); err != nil {
			t.Errorf("second checkpoint = %v, want nil: the first reply was due to the abandoned one", err)
		}
		if st := x.state(); st.abandoned != 0 || st.desync != nil {
			t.Errorf("after both replies: %d due, desync %v", st.abandoned, st.desync)
		}
		x.rt.finish()
	})
}

// TestRouterQueuedReply: input a watcher read ahead during a callback is
// the reply of the next checkpoint, oldest first, taken once the request
// is written; no waiter is set.
func TestRouterQueuedReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRouterTest(t)
		cp := &Checkpointer{}
		x.rt.begin("processRecords", cp)
		time.Sleep(watchAfter + time.Millisecond)
		x.send(lineReplyLatest, lineLeaseLost)
		if n := len(x.state().pending); n != 2 {
			t.Fatalf("%d lines queued, want 2", n)
		}
		done := x.checkpoint(context.Background(), cp, protocol.Checkpoint{})
		if err := result(t, done); err != nil {
			t.Errorf("checkpoint = %v, want nil", err)
		}
		if st := x.state(); len(st.pending) != 1 || st.pending[0].m != leaseLost || st.waiter != nil {
			t.Errorf("after the checkpoint: queued %v, waiter %v; want leaseLost alone, no waiter", st.pending, st.waiter)
		}
		x.rt.finish()
		x.w.Close() // the watcher, blocked reading, sees the end and stops
		if in := x.rt.read(); in.m != leaseLost {
			t.Errorf("read = %v, want the queued leaseLost", in)
		}
		if in := x.rt.read(); in.err != io.EOF {
			t.Errorf("read = %v, want EOF after the queued input", in)
		}
	})
}

// TestRouterFinishWaitsForCheckpoint: a checkpoint under way on another
// goroutine when the callback returns gets its reply before finish
// returns; then the checkpointer is closed.
func TestRouterFinishWaitsForCheckpoint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRouterTest(t)
		cp := &Checkpointer{}
		x.rt.begin("processRecords", cp)
		cpDone := x.checkpoint(context.Background(), cp, protocol.Checkpoint{})
		finished := make(chan struct{})
		go func() { x.rt.finish(); close(finished) }()
		synctest.Wait()
		select {
		case <-finished:
			t.Fatal("finish returned while a checkpoint waited for its reply")
		default:
		}
		x.send(lineReplyLatest)
		<-finished
		synctest.Wait()
		if err := result(t, cpDone); err != nil {
			t.Errorf("checkpoint = %v, want nil", err)
		}
		before := x.sends.Load()
		late := x.checkpoint(context.Background(), cp, protocol.Checkpoint{})
		if err := result(t, late); err != ErrCheckpointerClosed || x.sends.Load() != before {
			t.Errorf("checkpoint after finish = %v with %d requests written, want ErrCheckpointerClosed and none", err, x.sends.Load()-before)
		}
		x.rt.begin("processRecords", &Checkpointer{})
		late = x.checkpoint(context.Background(), cp, protocol.Checkpoint{})
		if err := result(t, late); err != ErrCheckpointerClosed {
			t.Errorf("an earlier callback's checkpointer during the next = %v, want ErrCheckpointerClosed", err)
		}
		x.rt.finish()
	})
}

// TestRouterEndWhileWaiting: the end of the input reaches a waiting
// checkpoint, and later checkpoints write nothing.
func TestRouterEndWhileWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRouterTest(t)
		cp := &Checkpointer{}
		x.rt.begin("processRecords", cp)
		done := x.checkpoint(context.Background(), cp, protocol.Checkpoint{})
		x.w.Close()
		synctest.Wait()
		if err := result(t, done); err != ErrDaemonGone {
			t.Errorf("checkpoint = %v, want ErrDaemonGone", err)
		}
		if n := x.ends.Load(); n != 1 {
			t.Errorf("atEnd called %d times, want once", n)
		}
		before := x.sends.Load()
		if err := result(t, x.checkpoint(context.Background(), cp, protocol.Checkpoint{})); err != ErrDaemonGone || x.sends.Load() != before {
			t.Errorf("checkpoint after the end = %v with %d written, want ErrDaemonGone and none", err, x.sends.Load()-before)
		}
		if ended, _ := x.rt.finish(); ended != io.EOF {
			t.Errorf("finish = %v, want EOF", ended)
		}
	})
}

// TestRouterDesync: a wrong reply puts the conversation out of step for
// good: finish reports it, and a later checkpoint writes nothing.
func TestRouterDesync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRouterTest(t)
		cp := &Checkpointer{}
		x.rt.begin("processRecords", cp)
		done := x.checkpoint(context.Background(), cp, checkpointAt7)
		x.send(lineReplyLatest)
		first := result(t, done)
		if !errors.Is(first, ErrUnexpectedReply) {
			t.Fatalf("checkpoint = %v, want ErrUnexpectedReply", first)
		}
		before := x.sends.Load()
		second := result(t, x.checkpoint(context.Background(), cp, protocol.Checkpoint{}))
		if !errors.Is(second, ErrUnexpectedReply) || x.sends.Load() != before {
			t.Errorf("checkpoint after the desync = %v with %d written, want ErrUnexpectedReply and none", second, x.sends.Load()-before)
		}
		if _, desync := x.rt.finish(); desync != first {
			t.Errorf("finish desync = %v, want the first checkpoint's error", desync)
		}
	})
}
