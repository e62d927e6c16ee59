package bindings

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

var _ = flag.Bool("update", false, "accepted so that go test ./... -update works; this package has no golden files")

// fakeTarget installs a file named done; installs counts its runs.
func fakeTarget(dir string, installs *atomic.Int32) target {
	return target{
		what: "fake 1.0", dir: dir, env: "FAKE_DIR",
		installed: func(_ context.Context, dir string) bool {
			_, err := os.Stat(filepath.Join(dir, "done"))
			return err == nil
		},
		tools: func() error { return nil },
		install: func(_ context.Context, dir string, out io.Writer) error {
			installs.Add(1)
			fmt.Fprintln(out, "fake: installing")
			return os.WriteFile(filepath.Join(dir, "done"), nil, 0o644)
		},
	}
}

func TestEnsure(t *testing.T) {
	ctx := context.Background()
	t.Run("installs, then reuses", func(t *testing.T) {
		var n atomic.Int32
		dir := filepath.Join(t.TempDir(), "cache", "fake")
		var log strings.Builder
		if err := fakeTarget(dir, &n).ensure(ctx, &log); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(log.String(), "installing fake 1.0 into "+dir) {
			t.Errorf("log %q, want the install told", log.String())
		}
		if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
			t.Errorf("the marker is left after a complete install")
		}
		log.Reset()
		if err := fakeTarget(dir, &n).ensure(ctx, &log); err != nil || n.Load() != 1 || log.Len() != 0 {
			t.Errorf("second ensure = %v after %d installs (log %q), want a silent reuse", err, n.Load(), log.String())
		}
	})
	t.Run("an empty directory is installed into", func(t *testing.T) {
		var n atomic.Int32
		dir := t.TempDir()
		if err := fakeTarget(dir, &n).ensure(ctx, nil); err != nil || n.Load() != 1 {
			t.Fatalf("ensure = %v after %d installs, want one install", err, n.Load())
		}
	})
	t.Run("a foreign directory is refused", func(t *testing.T) {
		var n atomic.Int32
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := fakeTarget(dir, &n).ensure(ctx, nil)
		if err == nil || !strings.Contains(err.Error(), "holds something other than fake 1.0; remove it, or set FAKE_DIR") {
			t.Fatalf("ensure into a non-empty directory = %v, want a refusal naming it", err)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "notes.txt")); err != nil || string(b) != "mine" || n.Load() != 0 {
			t.Errorf("the directory's file was touched (%q, %v) or an install ran (%d)", b, err, n.Load())
		}
	})
	t.Run("an interrupted install is cleared and done again", func(t *testing.T) {
		var n atomic.Int32
		dir := t.TempDir()
		for _, f := range []string{marker, "half-written", "done"} {
			if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var log strings.Builder
		if err := fakeTarget(dir, &n).ensure(ctx, &log); err != nil || n.Load() != 1 {
			t.Fatalf("ensure = %v after %d installs, want one install", err, n.Load())
		}
		if _, err := os.Stat(filepath.Join(dir, "half-written")); err == nil {
			t.Errorf("the interrupted install's files are still there")
		}
		if !strings.Contains(log.String(), "clearing an interrupted install of fake 1.0") {
			t.Errorf("log %q, want the clearing told", log.String())
		}
	})
	t.Run("a failed install leaves nothing, and says why", func(t *testing.T) {
		dir := t.TempDir()
		ft := fakeTarget(dir, new(atomic.Int32))
		ft.install = func(_ context.Context, dir string, out io.Writer) error {
			os.WriteFile(filepath.Join(dir, "partial"), nil, 0o644)
			fmt.Fprintln(out, "ERROR: no such version")
			return errors.New("fake install failed")
		}
		err := ft.ensure(ctx, nil)
		if err == nil || !strings.Contains(err.Error(), "fake install failed:\nERROR: no such version") {
			t.Fatalf("ensure = %v, want the error and the installer's output", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("the directory holds %d entries after a failed install, want none", len(entries))
		}
	})
	t.Run("missing tools are reported only when an install is needed", func(t *testing.T) {
		var n atomic.Int32
		dir := t.TempDir()
		ft := fakeTarget(dir, &n)
		ft.tools = func() error { return fmt.Errorf("bindings: no fake: %w", ErrNoPython) }
		if err := ft.ensure(ctx, nil); !errors.Is(err, ErrNoPython) || n.Load() != 0 {
			t.Fatalf("ensure without the tools = %v after %d installs, want ErrNoPython", err, n.Load())
		}
		if err := fakeTarget(dir, &n).ensure(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if err := ft.ensure(ctx, nil); err != nil {
			t.Errorf("ensure of an installed target without the tools = %v, want a reuse", err)
		}
	})
	t.Run("concurrent calls install once", func(t *testing.T) {
		var n atomic.Int32
		dir := filepath.Join(t.TempDir(), "fake")
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { errs[i] = fakeTarget(dir, &n).ensure(ctx, nil) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if n.Load() != 1 {
			t.Errorf("%d installs, want 1", n.Load())
		}
	})
}

// InstallPython leaves a python that imports the binding, and reuses it
// afterwards without python3 on PATH or the network.
func TestInstallPython(t *testing.T) {
	python := PythonForTest(t)
	out, err := exec.Command(python, "-c", "from amazon_kclpy import kcl; from amazon_kclpy.v3 import processor; print(kcl.KCLProcess.__name__, processor.RecordProcessorBase.version)").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "KCLProcess 3" {
		t.Fatalf("%s cannot use the binding: %v\n%s", python, err, out)
	}
	t.Setenv("PATH", t.TempDir())
	var log strings.Builder
	if got, err := InstallPython(context.Background(), &log); err != nil || got != python || log.Len() != 0 {
		t.Errorf("second InstallPython = %q, %v (log %q), want %q, silently", got, err, log.String(), python)
	}
}

// InstallNode puts aws-kcl into an empty directory with npm, and reuses
// it afterwards without npm.
func TestInstallNode(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("npm not found and CI is set: %v", err)
		}
		t.Skip("npm not found on PATH; install Node.js to run this test")
	}
	dir := filepath.Join(t.TempDir(), "aws-kcl")
	t.Setenv(NodeDirEnv, dir)
	var log strings.Builder
	ctx := context.Background()
	got, err := InstallNode(ctx, &log)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("npm install failed, perhaps without network: %v", err)
		}
		t.Fatal(err)
	}
	if got != dir || !strings.Contains(log.String(), "installing aws-kcl "+NodeVersion) {
		t.Fatalf("InstallNode = %q (log %q), want aws-kcl %s in %s", got, log.String(), NodeVersion, dir)
	}
	cmd := exec.Command("node", "-e", "console.log(typeof require('aws-kcl'))")
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
	if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "function" {
		t.Fatalf("node cannot require aws-kcl from %s: %v\n%s", dir, err, out)
	}
	t.Setenv("PATH", t.TempDir()) // no npm: only a reuse can succeed
	log.Reset()
	if got, err := InstallNode(ctx, &log); err != nil || got != dir || log.Len() != 0 {
		t.Errorf("second InstallNode = %q, %v (log %q), want the same directory, silently", got, err, log.String())
	}
}

// fakeTB records how a ForTest function gives up.
type fakeTB struct {
	skipped, failed string
}

type stop struct{}

func (f *fakeTB) Helper()             {}
func (f *fakeTB) Logf(string, ...any) {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = fmt.Sprintf(format, args...)
	panic(stop{})
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	panic(stop{})
}

func call(forTest func(TB) string, f *fakeTB) {
	defer func() {
		if r := recover(); r != nil && r != (stop{}) {
			panic(r)
		}
	}()
	forTest(f)
}

func TestWithoutTools(t *testing.T) {
	// python3 without ensurepip, as on Debian without python3-venv.
	bin := t.TempDir()
	fake := "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'ensurepip'\" >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "python3"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		forTest  func(TB) string
		install  func(context.Context, io.Writer) (string, error)
		sentinel error
		want     string
	}{
		{"no python3", t.TempDir(), PythonForTest, InstallPython, ErrNoPython, "python3 not found on PATH"},
		{"no venv", bin, PythonForTest, InstallPython, ErrNoPython, "python3 cannot make a virtual environment (ModuleNotFoundError: No module named 'ensurepip'): python3 with venv is needed to install amazon_kclpy; on Debian or Ubuntu, install python3-venv"},
		{"no node", t.TempDir(), NodeForTest, InstallNode, ErrNoNode, "node not found on PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", tt.path)
			t.Setenv(PythonDirEnv, t.TempDir())
			t.Setenv(NodeDirEnv, t.TempDir())
			_, err := tt.install(context.Background(), nil)
			if !errors.Is(err, tt.sentinel) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("install = %v, want %q wrapping %v", err, tt.want, tt.sentinel)
			}
			t.Setenv("CI", "")
			var f fakeTB
			call(tt.forTest, &f)
			if !strings.Contains(f.skipped, tt.want) || f.failed != "" {
				t.Errorf("without CI: skipped %q, failed %q; want a skip", f.skipped, f.failed)
			}
			t.Setenv("CI", "true")
			f = fakeTB{}
			call(tt.forTest, &f)
			if !strings.Contains(f.failed, "(CI is set, so the tests that need") || f.skipped != "" {
				t.Errorf("with CI: skipped %q, failed %q; want a failure", f.skipped, f.failed)
			}
		})
	}
}
