package bindings

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// marker is the file a directory holds while an install into it is under
// way. Found by an install that holds the lock, it is what is left of one
// that was interrupted, and the directory is cleared and installed again;
// a directory with other content and no marker is not ours to touch.
//
// A virtual environment cannot be made elsewhere and renamed into place,
// as kinesalite is: its scripts name the directory it was made in. So the
// install goes straight into the directory, and this marker and a lock
// beside the directory stand for the rename.
const marker = ".kcl-go-installing"

// target is one binding to install.
type target struct {
	what      string // "amazon_kclpy 3.1.3", for messages
	dir       string
	env       string // the variable that overrides dir, for messages
	installed func(ctx context.Context, dir string) bool
	tools     func() error // whether the tools install needs are there
	install   func(ctx context.Context, dir string, out io.Writer) error
}

// ensure installs t unless it is installed already. Concurrent calls, in
// one process or several, install it once; the others wait for it.
func (t target) ensure(ctx context.Context, log io.Writer) error {
	if t.ok(ctx) {
		return nil
	}
	if log == nil {
		log = io.Discard
	}
	if err := os.MkdirAll(filepath.Dir(t.dir), 0o755); err != nil {
		return fmt.Errorf("bindings: %w", err)
	}
	lockPath := filepath.Join(filepath.Dir(t.dir), "."+filepath.Base(t.dir)+".lock")
	unlock, err := lockFile(ctx, lockPath, func() {
		fmt.Fprintf(log, "bindings: waiting for another install of %s into %s\n", t.what, t.dir)
	})
	if err != nil {
		return fmt.Errorf("bindings: locking %s: %w", lockPath, err)
	}
	defer unlock()
	if t.ok(ctx) {
		return nil // installed while we waited
	}
	entries, err := os.ReadDir(t.dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("bindings: %w", err)
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(t.dir, marker)); err != nil {
			return fmt.Errorf("bindings: %s holds something other than %s; remove it, or set %s to another directory", t.dir, t.what, t.env)
		}
		fmt.Fprintf(log, "bindings: clearing an interrupted install of %s from %s\n", t.what, t.dir)
		if err := empty(t.dir); err != nil {
			return fmt.Errorf("bindings: clearing an interrupted install: %w", err)
		}
	}
	if err := t.tools(); err != nil {
		return err
	}
	if err := os.MkdirAll(t.dir, 0o755); err != nil {
		return fmt.Errorf("bindings: %w", err)
	}
	note := "An install of " + t.what + " into this directory is under way, or was interrupted; the next one clears it.\n"
	if err := os.WriteFile(filepath.Join(t.dir, marker), []byte(note), 0o644); err != nil {
		return fmt.Errorf("bindings: %w", err)
	}
	fmt.Fprintf(log, "bindings: installing %s into %s\n", t.what, t.dir)
	var out bytes.Buffer
	if err := t.install(ctx, t.dir, &out); err != nil {
		empty(t.dir)
		return fmt.Errorf("bindings: %v:\n%s", err, tail(out.Bytes()))
	}
	if err := os.Remove(filepath.Join(t.dir, marker)); err != nil {
		return fmt.Errorf("bindings: %w", err)
	}
	if !t.ok(ctx) {
		empty(t.dir)
		return fmt.Errorf("bindings: the install left no working %s in %s:\n%s", t.what, t.dir, tail(out.Bytes()))
	}
	return nil
}

// ok reports whether t is installed, and not in the middle of an install.
func (t target) ok(ctx context.Context) bool {
	if _, err := os.Stat(filepath.Join(t.dir, marker)); err == nil {
		return false
	}
	return t.installed(ctx, t.dir)
}

// empty removes what dir holds, and leaves dir: one made for the
// environment variable stays.
func empty(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var first error
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// tail returns the end of an installer's output, which says why it failed.
func tail(b []byte) []byte {
	const max = 4000
	if len(b) <= max {
		return b
	}
	b = b[len(b)-max:]
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return append([]byte("...\n"), b...)
}
