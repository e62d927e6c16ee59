package jars

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tempSuffix ends the name of every file being written. Such a file never
// has a jar's name, so an interrupted write never looks complete.
const tempSuffix = ".tmp"

// createTemp creates a hidden temporary file next to the file named name in
// dir, so that the final rename stays within one file system.
func createTemp(dir, name string) (*os.File, error) {
	return os.CreateTemp(dir, "."+name+".*"+tempSuffix)
}

// commit makes f, a temporary file from createTemp, the file at path: it
// flushes f to disk, closes it and renames it, then flushes the directory
// so that the rename survives a crash. f is removed if anything fails.
func commit(f *os.File, path string, perm os.FileMode) error {
	err := f.Chmod(perm)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir flushes a directory's entries. Some systems cannot sync a
// directory; the rename is then as durable as they make it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// discard closes and removes a temporary file that is not committed.
func discard(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// WriteFileAtomic writes data to path so that a reader sees either the old
// file or the whole new one, never a part: it writes a temporary file in the
// same directory, flushes it and renames it over path.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := createTemp(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		discard(f)
		return err
	}
	return commit(f, path, perm)
}

// staleAge is how old a leftover temporary file must be before Fetch removes
// it. Younger ones may belong to another kcl jars running on the same
// directory.
const staleAge = time.Hour

// removeStale removes temporary files left in dir by a process that was
// killed before it could clean up.
func removeStale(dir string, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, ".") || !strings.HasSuffix(n, tempSuffix) || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > staleAge {
			os.Remove(filepath.Join(dir, n))
		}
	}
}
