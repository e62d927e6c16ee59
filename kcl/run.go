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
// processor that factory returns, one callback at a time, and writes
// statuses and checkpoint requests to w. It never touches the process:
// Main wires stdin, stdout, signals and the exit status around it, and
// tests (see package kcltest) call it directly.
//
// Every action is answered with one status, written once its callback
// returned nil. A message with an unknown action is logged and answered
// too. A callback that returns an error or panics is logged (with the
// stack for a panic) and ends the session without a status, so that the
// daemon stops the worker and, after a restart, reads the shard again from
// its last checkpoint; CallbackRetries, SkipFailed and CallbackTimeout
// change that.
//
// Run returns
//   - nil when r ends, which is how the daemon ends a child;
//   - a *CallbackError when a callback failed and the failure policy ended
//     the session;
//   - a *ProtocolError when a line is not a message (not JSON, no action,
//     longer than MaxLineSize), or the daemon answered a checkpoint with
//     something else (see ErrUnexpectedReply);
//   - ctx.Err() when ctx is cancelled, which also cancels the callback's
//     context;
//   - an error naming the invalid options, before anything is read or
//     written, and any other error reading r or writing w.
//
// When r ends while a callback runs, the callback's context is cancelled
// after EOFGrace. Run waits for a running callback to return, after r
// ended or ctx was cancelled, for twice EOFGrace at most, then returns
// without it; a callback that ignores its context is left running. Run
// does not close r or w, so if it returns before r ends, a read of r may
// still be blocked until r ends.
func Run(ctx context.Context, factory Factory, r io.Reader, w io.Writer, opts ...Option) error {
	if factory == nil {
		return errors.New("kcl: Run: nil factory")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return err
	}
	pr := protocol.NewReader(r)
	if cfg.maxLineSize > 0 {
		pr.SetMaxLineSize(cfg.maxLineSize)
	}
	s := &session{
		cfg:     cfg,
		factory: factory,
		w:       protocol.NewWriter(w),
		abandon: make(chan struct{}),
		log:     cfg.logger,
	}
	s.in = newRouter(pr, s.beginGrace)
	defer s.in.stop()
	s.cctx, s.cancel = context.WithCancel(ctx)
	defer s.cancel()

	// The session runs on its own goroutine so that Run can give up on a
	// callback that outlives the input (see beginGrace) or ctx.
	result := make(chan error, 1)
	go func() {
		returned := false
		defer func() {
			if !returned { // runtime.Goexit in a callback: neither a return nor a panic
				action, _ := s.in.serving()
				err := &CallbackError{ShardID: s.shardID, Action: action, Attempts: 1,
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
		action, _ := s.in.serving()
		s.log.Warn("callback still running after the daemon closed stdin; abandoned", "action", action)
		return nil
	case <-ctx.Done():
		if _, calling := s.in.serving(); calling { // give the callback its grace periods
			s.beginGrace()
			select {
			case <-result:
			case <-s.abandon:
			}
		}
		return ctx.Err()
	}
}

// session serves one shard. Its serving goroutine reads an action, runs
// the processor's callback for it and writes the status, one action at a
// time; checkpoints may come from any goroutine the callback starts.
type session struct {
	cfg     *config
	factory Factory
	in      *router // the daemon's input
	w       *protocol.Writer
	wmu     sync.Mutex // one write at a time
	log     *slog.Logger
	// cctx is the context of every callback: it is cancelled only when the
	// session is given up.
	cctx    context.Context
	cancel  context.CancelFunc
	grace   sync.Once
	abandon chan struct{} // closed when a callback outlived the grace periods

	// Used by the serving goroutine only.
	proc    Processor
	shardID string
	records []Record
	// batch is the batch being processed, whose memory goes back to the
	// Reader once its callback has returned for good.
	batch    protocol.ProcessRecords
	hasBatch bool
}

// errStop ends serve without an error: the input ended during a callback.
var errStop = errors.New("kcl: input ended")

// serve is the serving goroutine's loop: read an action, dispatch it, answer
// it with a status; until the input ends or something ends the session.
func (s *session) serve(ctx context.Context) error {
	for {
		in := s.in.read()
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

// handle dispatches one message to its action's handler (see actions.go).
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
		if !s.in.lateReply() {
			s.log.Warn("checkpoint reply with no checkpoint pending; ignored", "reply", m)
		}
		return nil
	default:
		s.log.Warn("message the daemon does not send; ignored", "action", m.Action())
		return nil
	}
}

// exchange runs fn as the callback for action, with cp as its checkpointer
// (nil for none), then answers the action with a status unless the
// callback failed or the conversation cannot go on.
func (s *session) exchange(ctx context.Context, action string, cp *Checkpointer, fn func(context.Context) error) error {
	s.in.begin(action, cp)
	err := fn(s.cctx)
	ended, desync := s.in.finish()
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
		s.in.release(s.batch)
	}
	if err := s.status(action); err != nil {
		if ended != nil {
			return errStop // nobody is listening any more
		}
		return err
	}
	return nil
}

// beginGrace starts the grace periods, once, when the input ended or ctx
// was cancelled while a callback runs: after EOFGrace the callbacks'
// context is cancelled, and after the same time again Run stops waiting
// for a callback still running.
func (s *session) beginGrace() {
	s.grace.Do(func() {
		time.AfterFunc(s.cfg.eofGrace, func() {
			s.cancel()
			time.AfterFunc(s.cfg.eofGrace, func() { close(s.abandon) })
		})
	})
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
