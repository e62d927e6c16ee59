package kcl_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kclgo/mld/kcl"
)

// spy is an io.Reader and io.Writer that counts its use.
type spy struct{ reads, writes atomic.Int64 }

func (s *spy) Read(p []byte) (int, error) {
	s.reads.Add(1)
	return 0, context.Canceled
}

func (s *spy) Write(p []byte) (int, error) {
	s.writes.Add(1)
	return len(p), nil
}

// TestInvalidOptions: Run reports invalid options, naming them, before it
// reads or writes anything.
func TestInvalidOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    []kcl.Option
		factory kcl.Factory
		want    []string // in the error
	}{
		{"MaxLineSize(0)", []kcl.Option{kcl.MaxLineSize(0)}, nil, []string{"MaxLineSize(0)"}},
		{"MaxLineSize(-1)", []kcl.Option{kcl.MaxLineSize(-1)}, nil, []string{"MaxLineSize(-1)"}},
		{"CheckpointRetries(0, x)", []kcl.Option{kcl.CheckpointRetries(0, time.Second)}, nil, []string{"CheckpointRetries(0, 1s)"}},
		{"CheckpointRetries(1, -1)", []kcl.Option{kcl.CheckpointRetries(1, -time.Second)}, nil, []string{"CheckpointRetries(1, -1s)"}},
		{"RetryCallbacks(0, x)", []kcl.Option{kcl.RetryCallbacks(0, time.Second)}, nil, []string{"RetryCallbacks(0, 1s)"}},
		{"RetryCallbacks(2, -1)", []kcl.Option{kcl.RetryCallbacks(2, -time.Second)}, nil, []string{"RetryCallbacks(2, -1s)"}},
		{"nil logger", []kcl.Option{kcl.WithLogger(nil)}, nil, []string{"WithLogger", "nil"}},
		{"SkipFailed(nil)", []kcl.Option{kcl.SkipFailed(nil)}, nil, []string{"SkipFailed", "nil"}},
		{"EOFGrace(-1)", []kcl.Option{kcl.EOFGrace(-time.Second)}, nil, []string{"EOFGrace(-1s)"}},
		{"CallbackTimeout(0)", []kcl.Option{kcl.CallbackTimeout(0)}, nil, []string{"CallbackTimeout(0s)"}},
		{"several", []kcl.Option{kcl.MaxLineSize(0), kcl.CheckpointRetries(0, 0)}, nil, []string{"MaxLineSize(0)", "CheckpointRetries(0, 0s)"}},
		{"nil factory", nil, func() kcl.Factory { return nil }(), []string{"nil factory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			factory := tc.factory
			if factory == nil && tc.name != "nil factory" {
				factory = factoryOf(nothing)
			}
			s := &spy{}
			done := make(chan error, 1)
			go func() { done <- kcl.Run(context.Background(), factory, s, s, tc.opts...) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(waitTimeout):
				t.Fatal("Run did not return")
			}
			if err == nil {
				t.Fatal("Run = nil, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Run = %q, want it to mention %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "kcl: ") {
				t.Errorf("Run = %q, want the package prefix", err)
			}
			if r, w := s.reads.Load(), s.writes.Load(); r != 0 || w != 0 {
				t.Errorf("Run read %d and wrote %d times before reporting invalid options", r, w)
			}
		})
	}
}

// TestValidOptions: the boundary values are accepted.
func TestValidOptions(t *testing.T) {
	opts := []kcl.Option{
		kcl.MaxLineSize(1), kcl.CheckpointRetries(1, 0), kcl.RetryCallbacks(1, 0), kcl.EOFGrace(0),
		kcl.CallbackTimeout(time.Nanosecond), kcl.KeepStdout(), kcl.WithLogger(slog.New(slog.DiscardHandler)),
		kcl.SkipFailed(func(context.Context, *kcl.Failure) error { return nil }), nil,
	}
	out, _, err := runScript(t, nothing, "", opts...)
	if err != nil || out != "" {
		t.Errorf("Run on empty input = %v, %q; want nil and no output", err, out)
	}
}

// TestCallbackRetriesNames: CallbackRetries and its deprecated name
// RetryCallbacks set the same policy, and each reports an invalid value
// under the name the caller used.
func TestCallbackRetriesNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  func(int, time.Duration) kcl.Option
	}{
		{"CallbackRetries", kcl.CallbackRetries},
		{"RetryCallbacks", kcl.RetryCallbacks},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runScript(t, nothing, "", tc.opt(0, time.Second))
			if want := tc.name + "(0, 1s)"; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Run with %s(0, 1s) = %v, want an error naming %s", tc.name, err, want)
			}
			calls := 0
			p := kcl.ProcessorFunc(func(context.Context, kcl.ProcessRecordsInput, *kcl.Checkpointer) error {
				calls++
				return errBoom
			})
			out, _, err := runScript(t, p, initLine+"\n"+recordsLine+"\n", tc.opt(3, 0))
			var ce *kcl.CallbackError
			if !errors.As(err, &ce) || ce.Attempts != 3 || calls != 3 {
				t.Errorf("Run with %s(3, 0) = %v after %d calls, want a *kcl.CallbackError after 3 attempts", tc.name, err, calls)
			}
			if out != rawStatusInit+"\n" {
				t.Errorf("output %q, want only the initialize status", out)
			}
		})
	}
}
