package kcl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
)

// Option configures Run and Main.
type Option func(*config) error

type config struct {
	logger          *slog.Logger
	maxLineSize     int
	cpAttempts      int
	cpBackoff       time.Duration
	cbAttempts      int
	cbBackoff       time.Duration
	skip            func(context.Context, *Failure) error
	eofGrace        time.Duration
	callbackTimeout time.Duration
	keepStdout      bool
}

// Defaults.
const (
	DefaultCheckpointAttempts = 5
	DefaultCheckpointBackoff  = 200 * time.Millisecond
	DefaultEOFGrace           = 2 * time.Second
)

func newConfig(opts []Option) (*config, error) {
	c := &config{
		cpAttempts: DefaultCheckpointAttempts,
		cpBackoff:  DefaultCheckpointBackoff,
		cbAttempts: 1,
		eofGrace:   DefaultEOFGrace,
	}
	var errs []error
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if c.logger == nil {
		c.logger = defaultLogger()
	}
	return c, nil
}

// defaultLogger logs to stderr at the level named by KCL_LOG_LEVEL (debug,
// info, warn or error), warn by default: the daemon logs every line a child
// writes to stderr at ERROR, so a chatty child floods its log.
func defaultLogger() *slog.Logger {
	level := slog.LevelWarn
	if v := os.Getenv("KCL_LOG_LEVEL"); v != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(strings.ToUpper(v))); err == nil {
			level = l
		}
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// WithLogger sends the SDK's logs to l instead of the default, a text
// handler on stderr at level warn (or KCL_LOG_LEVEL). Every record carries a
// "shard" attribute once the shard is known.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("kcl: WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// MaxLineSize overrides the longest daemon line accepted, in bytes
// (protocol.DefaultMaxLineSize, 256 MiB, by default). A longer line ends the
// child with an error instead of exhausting memory.
func MaxLineSize(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("kcl: MaxLineSize(%d): must be positive", n)
		}
		c.maxLineSize = n
		return nil
	}
}

// CheckpointRetries overrides how often a checkpoint is tried when the
// daemon reports throttling or a dependency failure (5 attempts by default),
// and the first wait between attempts (200ms by default; it doubles, up to
// 10s, and is cut short by the context). attempts = 1 turns retrying off.
// Shutdown, invalid state and invalid argument are never retried.
func CheckpointRetries(attempts int, backoff time.Duration) Option {
	return func(c *config) error {
		if attempts < 1 || backoff < 0 {
			return fmt.Errorf("kcl: CheckpointRetries(%d, %v): want attempts >= 1 and backoff >= 0", attempts, backoff)
		}
		c.cpAttempts, c.cpBackoff = attempts, backoff
		return nil
	}
}

// CallbackRetries overrides the failure policy's retries: a callback that
// returns an error or panics is called again with the same input, up to
// attempts times in all (1 by default, no retry), waiting backoff before the
// second attempt and doubling it, up to 10s, after each.
func CallbackRetries(attempts int, backoff time.Duration) Option {
	return callbackRetries("CallbackRetries", attempts, backoff)
}

// RetryCallbacks is CallbackRetries under its earlier name.
//
// Deprecated: use CallbackRetries.
func RetryCallbacks(attempts int, backoff time.Duration) Option {
	return callbackRetries("RetryCallbacks", attempts, backoff)
}

// callbackRetries is CallbackRetries, reporting an invalid value under the
// name the caller used.
func callbackRetries(name string, attempts int, backoff time.Duration) Option {
	return func(c *config) error {
		if attempts < 1 || backoff < 0 {
			return fmt.Errorf("kcl: %s(%d, %v): want attempts >= 1 and backoff >= 0", name, attempts, backoff)
		}
		c.cbAttempts, c.cbBackoff = attempts, backoff
		return nil
	}
}

// SkipFailed overrides what happens once a callback has failed every
// attempt. By default the child logs the failure and exits non-zero without
// acknowledging the action, so that the daemon stops the worker and the
// batch is delivered again after a restart. With SkipFailed, report is
// called with the failure instead; if it returns nil the action is
// acknowledged and processing goes on (the batch counts as handled, so
// report must keep what it needs, e.g. in a dead-letter queue). If report
// returns an error, the child exits as by default.
func SkipFailed(report func(ctx context.Context, f *Failure) error) Option {
	return func(c *config) error {
		if report == nil {
			return errors.New("kcl: SkipFailed: nil report function")
		}
		c.skip = report
		return nil
	}
}

// EOFGrace overrides how long a callback still running when the daemon
// closes stdin may take before its context is cancelled (2s by default).
// After the same time again, Run returns without waiting for it.
func EOFGrace(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("kcl: EOFGrace(%v): must not be negative", d)
		}
		c.eofGrace = d
		return nil
	}
}

// CallbackTimeout gives each callback attempt a context with this deadline
// (none by default). Set it below the daemon's timeoutInSeconds, if any,
// which otherwise halts the whole daemon when a child is slow.
func CallbackTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("kcl: CallbackTimeout(%v): must be positive", d)
		}
		c.callbackTimeout = d
		return nil
	}
}

// KeepStdout stops Main from moving file descriptor 1 to stderr. By default
// Main keeps a private copy of stdout for protocol messages and points fd 1
// at stderr, so that fmt.Println, the log package or a C library cannot write
// into the protocol stream. On Windows the standard output handle is
// pointed at stderr instead (SetStdHandle, and os.Stdout in Go). Run never
// touches file descriptors.
func KeepStdout() Option {
	return func(c *config) error {
		c.keepStdout = true
		return nil
	}
}
