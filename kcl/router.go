package kcl

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kclgo/mld/protocol"
)

// inbound is what one read of the daemon's input gave: a message, or the
// error reading it.
type inbound struct {
	m   protocol.Message
	err error
}

// inputEnded reports whether a Read error ends the input, as opposed to a
// line that did not decode.
func inputEnded(err error) bool {
	return !errors.Is(err, protocol.ErrMalformed) && !errors.Is(err, protocol.ErrUnknownAction) &&
		!errors.Is(err, protocol.ErrLineTooLong)
}

// watchAfter is how long a callback runs before a watcher goroutine starts
// reading the input, to see the daemon close stdin while it runs.
const watchAfter = 10 * time.Millisecond

// router owns the reading of the daemon's input. Between callbacks the
// serving goroutine reads it itself (read), so that a batch's round trip
// involves no goroutine switch. While a callback has run for watchAfter,
// or a checkpoint waits for its reply, a watcher goroutine reads it
// instead, until no callback runs and no checkpoint is under way, or the
// input ended. It routes what it reads: the end of the input goes to a
// waiting checkpoint and starts the grace periods (atEnd); a reply still
// due to a checkpoint that stopped waiting is dropped; anything else goes
// to the waiting checkpoint or, if none waits, to a queue that the serving
// goroutine reads first. The daemon sends nothing unasked, so the next
// line is the answer to what the child just wrote, or EOF; queued input
// was written ahead of time (a replayed session, say).
//
// The watch timer is set when a callback begins and is not stopped when it
// returns: at tens of thousands of small batches a second, resetting a
// timer around every callback (which can wake an idle thread) would cost
// more than the rest of the round trip. When it fires, it starts a watcher
// if the callback running then has run for watchAfter, or sets itself for
// when that callback will have.
//
// The state st changes only in update, under mu. After every change update
// checks that
//
//   - a reply is awaited only by a checkpoint under way, only while no
//     input is queued (so that input reaches checkpoints in the order it
//     was read), and only until the input ends: waiter != nil implies
//     inflight > 0, len(pending) == 0 and ended == nil;
//   - a checkpointer is open only while its callback runs: open != nil
//     implies calling;
//   - the counts inflight and abandoned are not negative;
//
// and starts a watcher goroutine when watching turns true. Only the watcher
// sets watching back to false, as it stops, so at most one runs. ended and
// desync are set once and never cleared.
//
// rmu is held across each Read and the routing of what it gave, so that the
// serving goroutine, which takes rmu to read, finds input a watcher read
// already queued.
type router struct {
	r     *protocol.Reader
	rmu   sync.Mutex    // held while reading r and routing what was read
	timer *time.Timer   // starts a watcher when a callback runs long
	idle  chan struct{} // a checkpoint exchange ended
	atEnd func()        // called when the input ends while a callback runs

	mu sync.Mutex
	st routerState
}

// routerState is a router's state; router documents its invariants.
type routerState struct {
	action  string        // the action being served
	calling bool          // its callback is running
	since   time.Time     // when the callback began
	armed   bool          // the watch timer is set
	open    *Checkpointer // the checkpointer that may exchange; nil when none may

	inflight  int          // checkpoint exchanges under way
	waiter    chan inbound // the checkpoint awaiting the next input as its reply
	abandoned int          // replies still due to checkpoints that stopped waiting

	pending  []inbound // input read ahead and not yet used, oldest first
	watching bool      // a watcher goroutine reads the input
	ended    error     // why the input ended, once it did
	desync   error     // why the conversation is out of step, once it is
}

func newRouter(r *protocol.Reader, atEnd func()) *router {
	rt := &router{r: r, idle: make(chan struct{}, 1), atEnd: atEnd}
	rt.timer = time.AfterFunc(time.Hour, rt.timerFired)
	rt.timer.Stop()
	return rt
}

// update applies f to the state under the lock, checks the invariants, and
// starts a watcher if f asked for one.
func (rt *router) update(f func(st *routerState)) {
	rt.mu.Lock()
	watching := rt.st.watching
	f(&rt.st)
	if broken := rt.st.broken(); broken != "" {
		rt.mu.Unlock()
		panic("kcl: internal error: input router: " + broken)
	}
	start := rt.st.watching && !watching
	rt.mu.Unlock()
	if start {
		go rt.watchInput()
	}
}

// broken names the invariant the state breaks, if any.
func (st *routerState) broken() string {
	switch {
	case st.waiter != nil && st.inflight == 0:
		return "a reply is awaited with no checkpoint under way"
	case st.waiter != nil && len(st.pending) > 0:
		return "a reply is awaited while input is queued"
	case st.waiter != nil && st.ended != nil:
		return "a reply is awaited after the input ended"
	case st.open != nil && !st.calling:
		return "a checkpointer is open outside its callback"
	case st.inflight < 0 || st.abandoned < 0:
		return fmt.Sprintf("negative count: %d checkpoints under way, %d replies due", st.inflight, st.abandoned)
	}
	return ""
}

// stop stops the watch timer, once the session is over.
func (rt *router) stop() { rt.timer.Stop() }

// read returns the next input for the serving goroutine: input read ahead,
// or the next message from the Reader.
func (rt *router) read() inbound {
	rt.rmu.Lock()
	defer rt.rmu.Unlock()
	var in inbound
	var queued bool
	rt.update(func(st *routerState) { in, queued = st.next() }) // read ahead, possibly while we waited for rmu
	if queued {
		return in
	}
	m, err := rt.r.Read()
	in = inbound{m, err}
	if err != nil && inputEnded(err) {
		rt.update(func(st *routerState) { st.end(in) })
	}
	return in
}

// release hands a batch's memory back to the Reader.
func (rt *router) release(m protocol.Message) { rt.r.Release(m) }

// begin records that the callback for action runs, with cp as the
// checkpointer that may exchange (nil for none), and sets the watch timer
// unless it is set.
func (rt *router) begin(action string, cp *Checkpointer) {
	rt.update(func(st *routerState) {
		st.action, st.calling, st.open = action, true, cp
		st.since = time.Now()
		if !st.armed {
			st.armed = true
			rt.timer.Reset(watchAfter)
		}
	})
}

// finish records that the callback returned and closes its checkpointer,
// first letting a checkpoint already under way on another goroutine get
// its reply (a watcher reads it). It returns why the input ended and why
// the conversation is out of step, if either.
func (rt *router) finish() (ended, desync error) {
	for {
		busy := false
		rt.update(func(st *routerState) {
			st.calling, st.open = false, nil
			ended, desync = st.ended, st.desync
			busy = st.inflight > 0 && st.ended == nil
		})
		if !busy {
			return ended, desync
		}
		<-rt.idle
	}
}

// serving returns the action being served, or served last, and whether its
// callback is running.
func (rt *router) serving() (action string, calling bool) {
	rt.update(func(st *routerState) { action, calling = st.action, st.calling })
	return action, calling
}

// lateReply reports whether a checkpoint reply that the serving goroutine
// read is one still due to a checkpoint that stopped waiting, and if so
// counts it as arrived.
func (rt *router) lateReply() (late bool) {
	rt.update(func(st *routerState) {
		if st.abandoned > 0 {
			st.abandoned--
			late = true
		}
	})
	return late
}

// timerFired starts a watcher if the running callback has run for
// watchAfter, or sets the timer again for when it will have.
func (rt *router) timerFired() {
	rt.update(func(st *routerState) {
		st.armed = false
		if !st.calling {
			return
		}
		if ran := time.Since(st.since); ran < watchAfter {
			st.armed = true
			rt.timer.Reset(watchAfter - ran)
			return
		}
		st.watch()
	})
}

// watchInput is the watcher goroutine: it reads and routes the input while
// a callback runs or a checkpoint is under way, until the input ends.
func (rt *router) watchInput() {
	for {
		rt.rmu.Lock()
		stop := false
		rt.update(func(st *routerState) {
			if st.ended != nil || (!st.calling && st.inflight == 0) {
				st.watching, stop = false, true
			}
		})
		if stop {
			rt.rmu.Unlock()
			return
		}
		m, err := rt.r.Read()
		endedCall := false
		// Routed before rmu goes: the serving goroutine takes rmu to read,
		// and must find this input queued.
		rt.update(func(st *routerState) { endedCall = st.route(inbound{m, err}) })
		rt.rmu.Unlock()
		if endedCall {
			rt.atEnd()
		}
	}
}

// checkpoint exchanges a checkpoint request for cp: it calls send to write
// req and returns the daemon's reply to it. A checkpoint whose context ends
// while it waits returns the context's error, and the reply still due to it
// is dropped when it comes.
func (rt *router) checkpoint(ctx context.Context, cp *Checkpointer, req protocol.Checkpoint, send func() error) (protocol.CheckpointReply, error) {
	var reply chan inbound
	var queued bool // the reply is input read ahead, taken once req is written
	var err error
	rt.update(func(st *routerState) {
		switch {
		case st.open != cp:
			err = ErrCheckpointerClosed
		case st.desync != nil: // it wraps ErrUnexpectedReply already
			err = fmt.Errorf("%w; checkpoint at %s not sent: the conversation with the daemon is out of step", st.desync, position(req))
		case ctx.Err() != nil:
			err = ctx.Err() // nothing written: the daemon records nothing
		case st.ended != nil && len(st.pending) == 0:
			err = ErrDaemonGone
		default:
			st.inflight++
			reply = make(chan inbound, 1)
			if queued = len(st.pending) > 0; !queued {
				st.waiter = reply
			}
		}
	})
	if err != nil {
		return protocol.CheckpointReply{}, err
	}
	defer func() {
		rt.update(func(st *routerState) { st.inflight-- })
		select {
		case rt.idle <- struct{}{}:
		default:
		}
	}()

	if err := send(); err != nil {
		rt.update(func(st *routerState) {
			if st.waiter == reply {
				st.waiter = nil
			}
		})
		return protocol.CheckpointReply{}, fmt.Errorf("kcl: writing checkpoint: %w", err)
	}
	rt.update(func(st *routerState) {
		if queued {
			st.await(reply)
		}
		st.watch() // the reply is read by a watcher, so that waiting can be cancelled
	})
	var in inbound
	select {
	case in = <-reply:
	case <-ctx.Done():
		gaveUp := false
		rt.update(func(st *routerState) {
			if st.waiter == reply {
				st.waiter = nil
				st.abandoned++
				gaveUp = true
			}
		})
		if gaveUp {
			return protocol.CheckpointReply{}, ctx.Err()
		}
		in = <-reply // delivered while giving up
	}
	if in.err != nil && inputEnded(in.err) {
		return protocol.CheckpointReply{}, ErrDaemonGone
	}
	rep, err := matchReply(req, in)
	if err != nil {
		// Recorded before the exchange ends, so that the status it would
		// otherwise let through is not written.
		rt.update(func(st *routerState) {
			if st.desync == nil {
				st.desync = err
			}
		})
	}
	return rep, err
}

// The state transitions, called only within update.

// next takes the oldest input queued, or the end of the input once nothing
// is queued.
func (st *routerState) next() (inbound, bool) {
	if len(st.pending) > 0 {
		in := st.pending[0]
		st.pending = st.pending[1:]
		return in, true
	}
	if st.ended != nil {
		return inbound{err: st.ended}, true
	}
	return inbound{}, false
}

// end records the end of the input and hands it to a waiting checkpoint.
func (st *routerState) end(in inbound) {
	st.ended = in.err
	if st.waiter != nil {
		st.waiter <- in
		st.waiter = nil
	}
}

// route delivers input a watcher read, and reports whether it ended the
// input while a callback runs.
func (st *routerState) route(in inbound) (endedCall bool) {
	if in.err != nil && inputEnded(in.err) {
		st.end(in)
		return st.calling
	}
	// The daemon answers in order: a reply still due to a checkpoint that
	// stopped waiting comes before any later checkpoint's.
	if _, ok := in.m.(protocol.CheckpointReply); ok && st.abandoned > 0 {
		st.abandoned--
		return false
	}
	if st.waiter != nil {
		st.waiter <- in
		st.waiter = nil
		return false
	}
	// The daemon waits for the status before it sends the next action, so
	// this is input written ahead of time: keep it for when it is due.
	st.pending = append(st.pending, in)
	return false
}

// await gives reply the oldest input queued, or the end of the input, or
// else makes it the waiter for the next input.
func (st *routerState) await(reply chan inbound) {
	if in, ok := st.next(); ok {
		reply <- in
		return
	}
	st.waiter = reply
}

// watch asks for a watcher while the input may still bring something a
// callback or a checkpoint awaits.
func (st *routerState) watch() {
	if st.ended == nil && (st.calling || st.inflight > 0) {
		st.watching = true
	}
}
