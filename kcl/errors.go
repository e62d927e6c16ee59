package kcl

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for the daemon's checkpoint exceptions. A failed checkpoint
// returns a *CheckpointError that matches one of them with errors.Is, except
// for an exception name this package does not know.
var (
	// ErrThrottled: the lease table was throttled (ThrottlingException).
	// Retryable; the checkpointer retries it itself first.
	ErrThrottled = errors.New("kcl: checkpoint throttled")
	// ErrShutdown: this worker no longer holds the lease
	// (ShutdownException). Never retried: stop processing the shard.
	ErrShutdown = errors.New("kcl: lease no longer held")
	// ErrInvalidState: the daemon cannot checkpoint now, or the lease table
	// is in a bad state (InvalidStateException). Never retried.
	ErrInvalidState = errors.New("kcl: invalid state for a checkpoint")
	// ErrDependency: DynamoDB or another dependency failed
	// (KinesisClientLibDependencyException). Retryable; the checkpointer
	// retries it itself first.
	ErrDependency = errors.New("kcl: checkpoint dependency failed")
	// ErrInvalidArgument: the position is not a sequence number, is before
	// the last checkpoint or after the last record delivered
	// (IllegalArgumentException).
	ErrInvalidArgument = errors.New("kcl: invalid checkpoint position")
)

// Errors of the checkpointer itself.
var (
	// ErrCheckpointerClosed is returned by a Checkpointer used after its
	// callback returned. Nothing is written to the daemon.
	ErrCheckpointerClosed = errors.New("kcl: checkpointer used after its callback returned")
	// ErrUnexpectedReply is returned when the daemon answered a checkpoint
	// with something other than the matching checkpoint reply. The
	// conversation is out of step, so the child then ends with an error.
	ErrUnexpectedReply = errors.New("kcl: unexpected answer to a checkpoint")
	// ErrDaemonGone is returned by a checkpoint after the daemon closed
	// stdin.
	ErrDaemonGone = errors.New("kcl: the daemon closed stdin")
)

// exceptions maps the daemon's exception names to sentinels.
var exceptions = map[string]error{
	"ThrottlingException":                 ErrThrottled,
	"ShutdownException":                   ErrShutdown,
	"InvalidStateException":               ErrInvalidState,
	"KinesisClientLibDependencyException": ErrDependency,
	"IllegalArgumentException":            ErrInvalidArgument,
}

// CheckpointError is a checkpoint the daemon refused.
type CheckpointError struct {
	// Exception is the simple name of the Java exception the daemon
	// reported, as sent, e.g. "ThrottlingException".
	Exception string
	// Position is what was checkpointed, in the form "latest", "<seq>" or
	// "<seq>/<subseq>".
	Position string
	// Attempts is how many times the checkpoint was tried.
	Attempts int
}

func (e *CheckpointError) Error() string {
	s := fmt.Sprintf("kcl: checkpoint at %s failed: %s", e.Position, e.Exception)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return s
}

// Unwrap returns the sentinel for the exception, or nil if it is unknown.
func (e *CheckpointError) Unwrap() error { return exceptions[e.Exception] }

// IsRetryable reports whether err is a checkpoint failure worth trying again
// later: throttling or a dependency failure. Shutdown and invalid state are
// never retryable.
func IsRetryable(err error) bool {
	return errors.Is(err, ErrThrottled) || errors.Is(err, ErrDependency)
}

// PanicError is a panic recovered from a callback.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("kcl: panic: %v", e.Value) }

// CallbackError is returned by Run when a callback failed and the failure
// policy ended the session.
type CallbackError struct {
	ShardID  string
	Action   string
	Attempts int
	Err      error
}

func (e *CallbackError) Error() string {
	return fmt.Sprintf("kcl: %s failed for shard %s after %d attempt(s): %v", e.Action, e.ShardID, e.Attempts, e.Err)
}

func (e *CallbackError) Unwrap() error { return e.Err }

// ProtocolError is returned by Run when the daemon's input cannot be
// followed: a malformed line, or a conversation out of step.
type ProtocolError struct {
	Err error
}

func (e *ProtocolError) Error() string {
	if msg := e.Err.Error(); strings.HasPrefix(msg, "kcl: ") {
		return msg
	}
	return "kcl: " + e.Err.Error()
}

func (e *ProtocolError) Unwrap() error { return e.Err }
