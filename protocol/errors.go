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
	return &lineError{line: quotePrefix(line), msg: fmt.Sprintf(format, args...), err: ErrMalformed}
}

type lineError struct {
	line string
	msg  string
	err  error
}

func (e *lineError) Error() string {
	return fmt.Sprintf("protocol: %v: %s in line %s", e.err, e.msg, e.line)
}

func (e *lineError) Unwrap() error { return e.err }

func quotePrefix(line []byte) string {
	if len(line) <= prefixLen {
		return fmt.Sprintf("%q", line)
	}
	return fmt.Sprintf("%q... (%d bytes)", line[:prefixLen], len(line))
}
