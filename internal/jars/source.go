package jars

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// source is where jars and their checksums come from: a Maven repository or
// an offline directory.
type source interface {
	// checksum returns the strongest checksum published for c, or an error
	// wrapping ErrNoChecksum if there is none of SHA-1 or stronger.
	checksum(ctx context.Context, c Coord) (published, error)
	// fetch writes c's jar into s, resetting s before each attempt, and
	// returns where it came from.
	fetch(ctx context.Context, c Coord, s *sink) (from string, err error)
}

// published is a checksum a repository publishes next to a jar.
type published struct {
	algo string // "sha512", "sha256" or "sha1"
	sum  string // lower-case hex
	from string // the checksum file's URL or path
}

// algos are the checksums looked for, strongest first. Maven Central
// publishes .sha1 (and .md5) for every artifact and .sha256/.sha512 for
// newer ones; MD5 is not accepted, so it is never fetched.
var algos = []struct {
	name string
	size int // bytes
	new  func() hash.Hash
}{
	{"sha512", sha512.Size, sha512.New},
	{"sha256", sha256.Size, sha256.New},
	{"sha1", sha1.Size, sha1.New},
}

// parseChecksum finds the checksum in a checksum file. Maven tools write
// the bare hex digest, "digest  filename", or "SHA1(file)= digest".
func parseChecksum(data []byte, algo string, size int) (string, bool) {
	for _, tok := range strings.Fields(string(data)) {
		if len(tok) != 2*size {
			continue
		}
		if _, err := hex.DecodeString(tok); err == nil {
			return strings.ToLower(tok), true
		}
	}
	return "", false
}

// digests hashes what is written to it with every algorithm at once, so
// that no second read is needed.
type digests map[string]hash.Hash

func newDigests() digests {
	d := digests{}
	for _, a := range algos {
		d[a.name] = a.new()
	}
	return d
}

func (d digests) Write(p []byte) (int, error) {
	for _, h := range d {
		h.Write(p)
	}
	return len(p), nil
}

func (d digests) reset() {
	for _, h := range d {
		h.Reset()
	}
}

// sums returns each digest in lower-case hex, by algorithm name.
func (d digests) sums() map[string]string {
	m := map[string]string{}
	for name, h := range d {
		m[name] = hex.EncodeToString(h.Sum(nil))
	}
	return m
}

// sink receives a jar's bytes into a temporary file and hashes them on the
// way.
type sink struct {
	f *os.File
	d digests
	n int64
}

func newSink(f *os.File) *sink { return &sink{f: f, d: newDigests()} }

func (s *sink) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	s.d.Write(p[:n])
	s.n += int64(n)
	return n, err
}

// reset empties the sink for another attempt.
func (s *sink) reset() error {
	if err := s.f.Truncate(0); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	s.d.reset()
	s.n = 0
	return nil
}

// hashFile returns the size of the file at path and its digests.
func hashFile(path string) (int64, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	d := newDigests()
	n, err := io.Copy(d, f)
	if err != nil {
		return 0, nil, err
	}
	return n, d.sums(), nil
}

// dirSource takes jars from a local directory, for machines without access
// to a repository. A jar is looked for flat (dir/artifact-version.jar) and
// then in the Maven layout (dir/group/path/artifact/version/...), so both a
// plain directory of jars and a copy of a local Maven repository work.
// Checksums are the same files a repository has, next to the jar.
type dirSource struct {
	dir string
}

func (d dirSource) locate(c Coord) (string, error) {
	flat := filepath.Join(d.dir, c.FileName())
	layout := filepath.Join(d.dir, filepath.FromSlash(c.RepoPath()))
	for _, p := range []string{flat, layout} {
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p, nil
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("jars: %s: %w", c, err)
		}
	}
	return "", fmt.Errorf("jars: %s: %w in the offline directory %s (looked for %s and %s): copy the jar there or fix the jar list",
		c, ErrNotFound, d.dir, flat, layout)
}

func (d dirSource) checksum(ctx context.Context, c Coord) (published, error) {
	jar, err := d.locate(c)
	if err != nil {
		return published{}, err
	}
	for _, a := range algos {
		p := jar + "." + a.name
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return published{}, fmt.Errorf("jars: %s: %w", c, err)
		}
		sum, ok := parseChecksum(data, a.name, a.size)
		if !ok {
			return published{}, fmt.Errorf("jars: %s: %s holds no %s digest", c, p, a.name)
		}
		return published{algo: a.name, sum: sum, from: p}, nil
	}
	return published{}, fmt.Errorf("jars: %s: %w next to %s (looked for .sha512, .sha256 and .sha1)", c, ErrNoChecksum, jar)
}

func (d dirSource) fetch(ctx context.Context, c Coord, s *sink) (string, error) {
	jar, err := d.locate(c)
	if err != nil {
		return "", err
	}
	f, err := os.Open(jar)
	if err != nil {
		return "", fmt.Errorf("jars: %s: %w", c, err)
	}
	defer f.Close()
	if _, err := io.Copy(s, ctxReader{ctx, f}); err != nil {
		return "", fmt.Errorf("jars: %s: copying %s: %w", c, jar, err)
	}
	return jar, nil
}

// ctxReader stops a copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
