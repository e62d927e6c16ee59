// Package atomicfile writes files so that a reader sees either the old file
// or the whole new one, never a part: the data goes to a hidden temporary
// file in the same directory, which is flushed and renamed over the target.
package atomicfile

import (
	"os"
	"path/filepath"
)

// TempSuffix ends the name of every temporary file, which also starts with
// a dot. Such a file never has the target's name, so an interrupted write
// never looks complete.
const TempSuffix = ".tmp"

// Create creates a temporary file for the file named name in dir, so that
// the final rename stays within one file system.
func Create(dir, name string) (*os.File, error) {
	return os.CreateTemp(dir, "."+name+".*"+TempSuffix)
}

// Commit makes f, a temporary file from Create, the file at path: it flushes
// f to disk, closes it and renames it, then flushes the directory so that
// the rename survives a crash. f is removed if anything fails.
func Commit(f *os.File, path string, perm os.FileMode) error {
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

// Discard closes and removes a temporary file that is not committed.
func Discard(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// WriteFile writes data to path atomically, with permissions perm.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := Create(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		Discard(f)
		return err
	}
	return Commit(f, path, perm)
}

// syncDir flushes a directory's entries. Some systems cannot sync a
// directory; the rename is then as durable as they make it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
