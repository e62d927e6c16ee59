package protocol

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformed is wrapped by the error for a line that is not a JSON
	// object with a string "action", or whose fields have impossible types.
	ErrMalformed = errors.New("malformed message")
	// ErrUnknownAction is wrapped by an *UnknownActionError.
	ErrUnknownAction = errors.New("unknown action")
	// ErrLineTooLong is wrapped by the error for a line longer than the
	// Reader's maximum line size.
	ErrLineTooLong = errors.New("line too long")
	// ErrSkipped is wrapped by the error DecodeChild returns for a child's
	// line that the daemon skips: it logs the line and waits for the next.
	ErrSkipped = errors.New("the daemon skips this line")
	// ErrNull is wrapped by the error DecodeChild returns for a child's line
	// that is the JSON literal null: the daemon reads it as no message at
	// all, fails on it, and exits.
	ErrNull = errors.New("the JSON literal null")
)

// UnknownActionError reports a well-formed message whose action this
// package does not know. Its Action lets a child still answer with a status.
type UnknownActionError struct {
	Action string
}

func (e *UnknownActionError) Error() string {
	return fmt.Sprintf("protocol: unknown action %q", e.Action)
}

func (e *UnknownActionError) Unwrap() error { return ErrUnknownAction }

// prefixLen is how much of an offending line an error quotes.
const prefixLen = 80

// malformed returns an error wrapping ErrMalformed that quotes the start of
// the line.
func malformed(line []byte, format string, args ...any) error {
	return &LineError{Line: quotePrefix(line), Reason: fmt.Sprintf(format, args...), Err: ErrMalformed}
}

// LineError is a line that was not read as a message: malformed
// (ErrMalformed), or a child's line the daemon skips (ErrSkipped) or fails
// on (ErrNull). Err is that sentinel.
type LineError struct {
	Line   string // the start of the line, quoted
	Reason string // what is wrong with it, such as `a status message has no field "pid"`
	Err    error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("protocol: %v: %s in line %s", e.Err, e.Reason, e.Line)
}

func (e *LineError) Unwrap() error { return e.Err }

func quotePrefix(line []byte) string {
	if len(line) <= prefixLen {
		return fmt.Sprintf("%q", line)
	}
	return fmt.Sprintf("%q... (%d bytes)", line[:prefixLen], len(line))
}
