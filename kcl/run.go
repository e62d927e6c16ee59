package kcl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/kclgo/mld/protocol"
)

// Run serves one shard: it reads the daemon's messages from r, calls the
// processor that factory returns, and writes statuses and checkpoints to w.
// It returns nil when r reaches EOF, which is how the daemon ends a child.
// It never touches the process: Main wires stdin, stdout, signals and the
// exit status around it, and tests (see package kcltest) call it directly.
//
// Every action gets exactly one status, written once its callback returned
// nil, except when the failure policy ends the session. By default a
// callback that returns an error or panics is logged (with the stack for a
// panic) and Run returns a *CallbackError without a status. Main then exits
// non-zero; the daemon treats that as a failed child and stops the worker,
// every shard of it, and after a restart the shard is read again from its
// last checkpoint. Nothing is skipped: delivery is at least once. See
// CallbackRetries and SkipFailed for the alternatives.
//
// A line that is not a message (not JSON, or no action) ends the session
// with a *ProtocolError and no status. A message with an unknown action is
// logged and acknowledged with a status for that action.
//
// Callbacks run one at a time on a goroutine that also reads r, so that a
// batch's round trip involves no goroutine switch; a callback that runs
// longer than a few milliseconds, or waits for a checkpoint reply, gets a
// second goroutine reading r meanwhile. When r ends while a callback runs,
// the callback's context is cancelled after the EOFGrace period, and Run
// returns nil after the same time again even if the callback has not
// returned. If ctx is cancelled, Run returns ctx.Err(), after the same grace
// periods if a callback is running. Run does not close r or w; a goroutine
// blocked reading r ends when r does.
func Run(ctx context.Context, factory Factory, r io.Reader, w io.Writer, opts ...Option) error {
	if factory == nil {
		return errors.New("kcl: Run: nil factory")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return err
	}
	s := &session{
		cfg:     cfg,
		factory: factory,
		r:       protocol.NewReader(r),
		w:       protocol.NewWriter(w),
		idle:    make(chan struct{}, 1),
		abandon: make(chan struct{}),
		log:     cfg.logger,
	}
	if cfg.maxLineSize > 0 {
		s.r.SetMaxLineSize(cfg.maxLineSize)
	}
	s.cctx, s.cancel = context.WithCancel(ctx)
	defer s.cancel()
	s.watchTimer = time.AfterFunc(time.Hour, s.watchTimerFired)
	s.watchTimer.Stop()
	defer s.watchTimer.Stop()

	// The session runs on its own goroutine so that Run can give up on a
	// callback that outlives the input (see beginGrace) or ctx.
	result := make(chan error, 1)
	go func() {
		returned := false
		defer func() {
			if !returned { // runtime.Goexit in a callback: neither a return nor a panic
				err := &CallbackError{ShardID: s.shardID, Action: s.action, Attempts: 1,
					Err: errors.New("the callback called runtime.Goexit (t.FailNow, say) instead of returning")}
				s.logFatal(err)
				result <- err
			}
		}()
		err := s.serve(ctx)
		returned = true
		result <- err
	}()
	select {
	case err := <-result:
		return err
	case <-s.abandon:
		s.log.Warn("callback still running after the daemon closed stdin; abandoned", "action", s.currentAction())
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		running := s.running
		s.mu.Unlock()
		if running { // give the callback its grace periods
			s.beginGrace()
			select {
			case <-result:
			case <-s.abandon:
			}
		}
		return ctx.Err()
	}
}

type inbound struct {
	m   protocol.Message
	err error
}

type session struct {
	cfg     *config
	factory Factory
	r       *protocol.Reader
	w       *protocol.Writer
	wmu     sync.Mutex
	rmu     sync.Mutex    // held while reading from r
	idle    chan struct{} // a checkpoint finished
	abandon chan struct{} // closed when a callback outlived the grace periods
	// cctx is the context of every callback: it is cancelled only when the
	// session is given up.
	cctx       context.Context
	cancel     context.CancelFunc
	watchTimer *time.Timer // starts a watcher when a callback runs long
	log        *slog.Logger
	proc       Processor
	shardID    string
	records    []Record
	// batch is the batch being processed, whose memory goes back to the
	// Reader once its callback has returned for good.
	batch    protocol.ProcessRecords
	hasBatch bool

	mu        sync.Mutex
	waiter    chan inbound // a checkpoint waiting for the daemon's reply
	pending   []inbound    // input read while a callback ran, not yet used
	inflight  bool         // a checkpoint exchange is under way
	abandoned int          // replies still due for checkpoints that stopped waiting
	ended     error        // why the input ended, once it did
	desync    error        // why the conversation is out of step, if it is
	action    string       // the action being served
	running   bool         // a callback is running
	watching  bool         // a watcher goroutine reads the input
	callStart time.Time    // when the running callback started
	armed     bool         // watchTimer is set to fire
	grace     bool         // the grace periods have started
}

// errStop ends serve without an error: the input ended during a callback.
var errStop = errors.New("kcl: input ended")

// watchAfter is how long a callback runs before a watcher goroutine starts
// reading the input, to see the daemon close stdin while it runs. Reading
// on the serving goroutine otherwise keeps a batch's round trip free of
// goroutine switches.
const watchAfter = 10 * time.Millisecond

// watch starts a watcher goroutine, unless one runs: it reads and routes the
// input while a callback runs or a checkpoint waits for its reply. The
// daemon sends nothing unasked, so the next line is either the answer to
// what the child just wrote, or EOF.
func (s *session) watch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watchLocked()
}

// watchTimerFired starts a watcher if the running callback has run for
// watchAfter, or sets the timer again for when the callback running now
// will have. The timer is not set and stopped around every callback: at
// tens of thousands of small batches a second, resetting a timer (which can
// wake an idle thread) would cost more than the rest of the round trip.
func (s *session) watchTimerFired() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed = false
	if !s.running {
		return
	}
	if ran := time.Since(s.callStart); ran < watchAfter {
		s.armed = true
		s.watchTimer.Reset(watchAfter - ran)
		return
	}
	s.watchLocked()
}

// watchLocked is watch with s.mu held.
func (s *session) watchLocked() {
	if s.watching || s.ended != nil || (!s.running && !s.inflight) {
		return
	}
	s.watching = true
	go func() {
		for {
			s.rmu.Lock()
			s.mu.Lock()
			if s.ended != nil || (!s.running && !s.inflight) {
				s.watching = false
				s.mu.Unlock()
				s.rmu.Unlock()
				return
			}
			s.mu.Unlock()
			m, err := s.r.Read()
			// Routed before the read lock goes: the serving goroutine
			// takes that lock to read, and must find this input queued.
			s.route(inbound{m, err})
			s.rmu.Unlock()
		}
	}()
}

// read returns the next input for the serving goroutine: input a watcher
// read ahead, or the next message from the Reader.
func (s *session) read() inbound {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if in, ok := s.next(); ok { // read ahead, possibly while we waited for the lock
		return in
	}
	m, err := s.r.Read()
	if err != nil && inputEnded(err) {
		s.mu.Lock()
		s.ended = err
		s.mu.Unlock()
	}
	return inbound{m, err}
}

// inputEnded reports whether a Read error ends the input, as opposed to a
// line that did not decode.
func inputEnded(err error) bool {
	return !errors.Is(err, protocol.ErrMalformed) && !errors.Is(err, protocol.ErrUnknownAction) &&
		!errors.Is(err, protocol.ErrLineTooLong)
}

func (s *session) serve(ctx context.Context) error {
	for {
		in := s.read()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if in.err != nil {
			var unknown *protocol.UnknownActionError
			switch {
			case errors.As(in.err, &unknown):
				s.log.Warn("unknown action from the daemon; acknowledging it", "action", unknown.Action)
				if err := s.status(unknown.Action); err != nil {
					return err
				}
				continue
			case inputEnded(in.err):
				return s.endOfInput(in.err)
			default:
				s.log.Error("cannot read the daemon's message; exiting without a status", "error", in.err)
				return &ProtocolError{Err: in.err}
			}
		}
		if err := s.handle(ctx, in.m); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
	}
}

// next takes the oldest input read ahead during a callback, or the end of
// input once everything before it was used.
func (s *session) next() (inbound, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) > 0 {
		in := s.pending[0]
		s.pending = s.pending[1:]
		return in, true
	}
	if s.ended != nil {
		return inbound{err: s.ended}, true
	}
	return inbound{}, false
}

// endOfInput turns the end of the daemon's input into Run's result: EOF is
// the normal end of a child.
func (s *session) endOfInput(err error) error {
	switch {
	case errors.Is(err, io.EOF):
		s.log.Debug("stdin closed; exiting")
		return nil
	case errors.Is(err, io.ErrUnexpectedEOF):
		s.log.Warn("stdin closed in the middle of a line; exiting")
		return nil
	}
	return fmt.Errorf("kcl: reading from the daemon: %w", err)
}

func (s *session) handle(ctx context.Context, m protocol.Message) error {
	switch m := m.(type) {
	case protocol.Initialize:
		return s.initialize(ctx, m)
	case protocol.ProcessRecords:
		return s.processRecords(ctx, m)
	case protocol.LeaseLost:
		return s.leaseLost(ctx, m.Action())
	case protocol.ShardEnded:
		return s.shardEnded(ctx, m.Action())
	case protocol.ShutdownRequested:
		return s.shutdownRequested(ctx)
	case protocol.Shutdown:
		return s.shutdown(ctx, m)
	case protocol.CheckpointReply:
		s.mu.Lock()
		late := s.abandoned > 0
		if late {
			s.abandoned--
		}
		s.mu.Unlock()
		if !late {
			s.log.Warn("checkpoint reply with no checkpoint pending; ignored", "reply", m)
		}
		return nil
	default:
		s.log.Warn("message the daemon does not send; ignored", "action", m.Action())
		return nil
	}
}

// exchange runs fn for one action while serving the daemon's input, then
// answers the action with a status unless fn failed.
func (s *session) exchange(ctx context.Context, action string, cp *Checkpointer, fn func(context.Context) error) error {
	err := s.invoke(action, fn)
	if cp != nil {
		s.closeCheckpointer(cp)
	}
	s.mu.Lock()
	ended, desync := s.ended, s.desync
	s.mu.Unlock()
	switch {
	case ended != nil && err != nil:
		s.log.Warn("callback failed after the daemon closed stdin", "action", action, "error", err)
		return errStop
	case ctx.Err() != nil:
		return ctx.Err()
	case desync != nil:
		err = &ProtocolError{Err: desync}
		s.log.Error("conversation with the daemon is out of step; exiting without a status", "action", action, "error", desync)
		return err
	case err != nil:
		s.logFatal(err)
		return err
	}
	if s.hasBatch {
		clear(s.records)
		s.r.Release(s.batch)
	}
	if err := s.status(action); err != nil {
		if ended != nil {
			return errStop // nobody is listening any more
		}
		return err
	}
	return nil
}

// invoke runs fn for action on the serving goroutine. If it runs longer
// than watchAfter, a watcher starts reading the input meanwhile.
func (s *session) invoke(action string, fn func(context.Context) error) error {
	s.mu.Lock()
	s.action, s.running = action, true
	s.callStart = time.Now()
	if !s.armed {
		s.armed = true
		s.watchTimer.Reset(watchAfter)
	}
	s.mu.Unlock()
	err := fn(s.cctx)
	s.mu.Lock()
	s.running = false
	s.mu.Unlock()
	return err
}

func (s *session) currentAction() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.action
}

// beginGrace starts the grace periods once the input ended or ctx was
// cancelled: after EOFGrace the callbacks' context is cancelled, and after
// the same time again Run stops waiting for a callback still running.
func (s *session) beginGrace() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.graceLocked()
}

func (s *session) graceLocked() {
	if s.grace {
		return
	}
	s.grace = true
	time.AfterFunc(s.cfg.eofGrace, func() {
		s.cancel()
		time.AfterFunc(s.cfg.eofGrace, func() { close(s.abandon) })
	})
}

// route delivers input that arrives while a callback runs, and reports
// whether the input has ended.
func (s *session) route(in inbound) (ended bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.err != nil && inputEnded(in.err) {
		s.ended = in.err
		if s.waiter != nil {
			s.waiter <- in
			s.waiter = nil
		}
		if s.running {
			s.graceLocked()
		}
		return true
	}
	// The daemon answers in order: a reply still owed to a checkpoint that
	// stopped waiting comes before any later checkpoint's.
	if _, ok := in.m.(protocol.CheckpointReply); ok && s.abandoned > 0 {
		s.abandoned--
		return false
	}
	if s.waiter != nil {
		s.waiter <- in
		s.waiter = nil
		return false
	}
	// The daemon waits for the status before it sends the next action, so
	// this is input written ahead of time (a replayed session, say): keep it
	// for when it is due.
	s.pending = append(s.pending, in)
	return false
}

// closeCheckpointer ends cp's window, first letting a checkpoint already
// under way on another goroutine get its reply (a watcher reads it).
func (s *session) closeCheckpointer(cp *Checkpointer) {
	for {
		s.mu.Lock()
		cp.closed = true
		busy := s.inflight && s.ended == nil
		s.mu.Unlock()
		if !busy {
			return
		}
		<-s.idle
	}
}

// exchangeCheckpoint writes one checkpoint request and waits for the reply.
func (s *session) exchangeCheckpoint(ctx context.Context, cp *Checkpointer, req protocol.Checkpoint) error {
	s.mu.Lock()
	switch {
	case cp.closed:
		s.mu.Unlock()
		return ErrCheckpointerClosed
	case s.desync != nil:
		s.mu.Unlock()
		return fmt.Errorf("%w: %v", ErrUnexpectedReply, s.desync)
	case ctx.Err() != nil:
		s.mu.Unlock()
		return ctx.Err() // nothing written: the daemon records nothing
	case s.ended != nil && len(s.pending) == 0:
		s.mu.Unlock()
		return ErrDaemonGone
	}
	reply := make(chan inbound, 1)
	s.waiter, s.inflight = reply, true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight = false
		s.mu.Unlock()
		select {
		case s.idle <- struct{}{}:
		default:
		}
	}()

	if err := s.write(req); err != nil {
		s.mu.Lock()
		if s.waiter == reply {
			s.waiter = nil
		}
		s.mu.Unlock()
		return fmt.Errorf("kcl: writing checkpoint: %w", err)
	}
	s.mu.Lock()
	if len(s.pending) > 0 && s.waiter == reply { // the reply was read ahead
		s.waiter = nil
		reply <- s.pending[0]
		s.pending = s.pending[1:]
	}
	s.mu.Unlock()
	s.watch() // the reply is read by a watcher, so that waiting can be cancelled
	var in inbound
	select {
	case in = <-reply:
	case <-ctx.Done():
		s.mu.Lock()
		if s.waiter == reply {
			s.waiter = nil
			s.abandoned++
			s.mu.Unlock()
			return ctx.Err()
		}
		s.mu.Unlock()
		in = <-reply // delivered while giving up
	}
	if in.err != nil && inputEnded(in.err) {
		return ErrDaemonGone
	}
	rep, ok := in.m.(protocol.CheckpointReply)
	if in.err != nil || !ok || rep.SequenceNumber != req.SequenceNumber || (req.SequenceNumber.Valid && rep.SubSequenceNumber != req.SubSequenceNumber) {
		got := in.err
		if got == nil {
			got = errors.New(describe(in.m))
		}
		err := fmt.Errorf("%w: sent checkpoint at %s, got %v", ErrUnexpectedReply, position(req), got)
		s.mu.Lock()
		if s.desync == nil {
			s.desync = err
		}
		s.mu.Unlock()
		return err
	}
	if rep.Error.Valid {
		return &CheckpointError{Exception: rep.Error.V, Position: position(req)}
	}
	s.log.Debug("checkpointed", "position", position(req))
	return nil
}

func describe(m protocol.Message) string {
	if rep, ok := m.(protocol.CheckpointReply); ok {
		return "a reply for " + position(protocol.Checkpoint{SequenceNumber: rep.SequenceNumber, SubSequenceNumber: rep.SubSequenceNumber})
	}
	return m.Action()
}

func (s *session) status(action string) error {
	if err := s.write(protocol.Status{ResponseFor: action}); err != nil {
		return fmt.Errorf("kcl: writing status for %s: %w", action, err)
	}
	return nil
}

func (s *session) write(m protocol.Message) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.w.Write(m)
}
