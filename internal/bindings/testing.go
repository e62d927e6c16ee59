package bindings

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// TB is the part of testing.TB that PythonForTest and NodeForTest use.
type TB interface {
	Helper()
	Logf(format string, args ...any)
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// PythonForTest installs amazon_kclpy if need be and returns the python
// that runs processors written with it. Without python3 and its venv
// module, or when the install fails (no access to PyPI or Maven Central),
// the test is skipped with the reason, unless the CI environment variable
// is set: CI must run these tests, so there it fails instead.
func PythonForTest(t TB) string {
	t.Helper()
	return forTest(t, "amazon_kclpy", ErrNoPython, InstallPython)
}

// NodeForTest installs aws-kcl if need be and returns its directory, for
// NODE_PATH=dir/node_modules. Without node and npm, or when the install
// fails, the test is skipped with the reason, unless the CI environment
// variable is set, in which case it fails.
func NodeForTest(t TB) string {
	t.Helper()
	return forTest(t, "aws-kcl", ErrNoNode, InstallNode)
}

func forTest(t TB, what string, missing error, install func(context.Context, io.Writer) (string, error)) string {
	t.Helper()
	// A first install fetches a few dozen megabytes.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	got, err := install(ctx, logWriter{t})
	if err == nil {
		return got
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%v (CI is set, so the tests that need %s must run)", err, what)
		return ""
	}
	if errors.Is(err, missing) {
		t.Skipf("%v; skipping (set CI to make this a failure)", err)
		return ""
	}
	t.Skipf("%s unavailable, skipping (set CI to make this a failure): %v", what, err)
	return ""
}

type logWriter struct{ t TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", p)
	return len(p), nil
}
