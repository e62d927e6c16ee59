package kcl

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// The failure policy: what happens to a callback that returns an error or
// panics. By default it is logged and the session ends without a status;
// CallbackRetries, SkipFailed and CallbackTimeout change that.

// Failure describes a callback that failed every attempt. It is passed to
// the SkipFailed report function.
type Failure struct {
	ShardID string
	// Action is the daemon's action: "initialize", "processRecords",
	// "leaseLost", "shardEnded", "shutdownRequested" or, from KCL 1.x,
	// "shutdown".
	Action string
	// Err is the last attempt's error; a *PanicError for a panic.
	Err      error
	Attempts int
	// Records is the failed batch for processRecords, nil otherwise. It is
	// valid only during the report call; see Record.Clone.
	Records []Record
}

// maxBackoff caps the doubling waits between attempts, of callbacks and of
// checkpoints alike.
const maxBackoff = 10 * time.Second

// attempt applies the failure policy to one callback; a nil call stands for
// a callback the processor does not implement.
func (s *session) attempt(ctx context.Context, action string, batch []Record, call func(context.Context) error) error {
	if call == nil {
		return nil
	}
	backoff := s.cfg.cbBackoff
	var err error
	attempts := 0
	for attempts < s.cfg.cbAttempts {
		if attempts > 0 {
			s.log.Warn("callback failed; retrying", "action", action, "attempt", attempts, "error", err, "backoff", backoff)
			if !sleep(ctx, backoff) {
				break
			}
			backoff = min(2*backoff, maxBackoff)
		}
		attempts++
		err = s.safeCall(ctx, call)
		if err == nil {
			return nil
		}
	}
	if s.cfg.skip != nil && ctx.Err() == nil {
		f := &Failure{ShardID: s.shardID, Action: action, Err: err, Attempts: attempts, Records: batch}
		rerr := s.safeCall(ctx, func(ctx context.Context) error { return s.cfg.skip(ctx, f) })
		if rerr == nil {
			s.log.Warn("callback failed; reported and skipped", "action", action, "attempts", attempts, "error", err, "records", len(batch))
			return nil
		}
		err = fmt.Errorf("%w (and SkipFailed's report failed: %v)", err, rerr)
	}
	return &CallbackError{ShardID: s.shardID, Action: action, Attempts: attempts, Err: err}
}

// safeCall runs call, turning a panic into a *PanicError, with a deadline if
// CallbackTimeout is set.
func (s *session) safeCall(ctx context.Context, call func(context.Context) error) (err error) {
	if s.cfg.callbackTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.callbackTimeout)
		defer cancel()
	}
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return call(ctx)
}

// sleep waits for d or until ctx is done, reporting whether it waited the
// whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// logFatal reports a failure that ends the session.
func (s *session) logFatal(err error) {
	args := []any{"error", err}
	var ce *CallbackError
	if errors.As(err, &ce) {
		args = append(args, "action", ce.Action, "attempts", ce.Attempts)
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		args = append(args, "stack", string(pe.Stack))
	}
	s.log.Error("callback failed; exiting without a status: the daemon stops this worker, and after a restart the shard is read again from its last checkpoint", args...)
}
