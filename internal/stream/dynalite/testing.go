package dynalite

import (
	"context"
	"errors"
	"os"
	"time"
)

// TB is the part of testing.TB that ForTest uses.
type TB interface {
	Helper()
	Logf(format string, args ...any)
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// ForTest installs dynalite if need be, starts it and stops it when the
// test ends. Without node and npm, or when the install fails (no access
// to the npm registry), the test is skipped with the reason, unless the CI
// environment variable is set: CI must run these tests, so there it
// fails instead.
func ForTest(t TB, opts Options) *Server {
	t.Helper()
	unavailable := func(err error) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf("%v (CI is set, so the tests that need dynalite must run)", err)
		}
		if errors.Is(err, ErrNoNode) {
			t.Skipf("%v; skipping (set CI to make this a failure)", err)
		}
		t.Skipf("dynalite unavailable, skipping (set CI to make this a failure): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir, err := Install(ctx, logWriter{t})
	if err != nil {
		unavailable(err)
		return nil
	}
	s, err := Start(ctx, dir, opts)
	if err != nil {
		if errors.Is(err, ErrNoNode) {
			unavailable(err)
			return nil
		}
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

type logWriter struct{ t TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", p)
	return len(p), nil
}
