package jars

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/kclgo/mld/internal/atomicfile"
)

// LockFile is the lock file's default name, looked for in the current
// directory.
const LockFile = "kcl-jars.lock"

const lockHeader = `# kcl-jars.lock: the SHA-256 of every KCL daemon jar, keyed by Maven coordinate.
# Written by "kcl jars" when a jar is first verified against its repository's checksum, and checked
# on every later use. Commit it next to kcl.properties. Remove a line only if you know why that
# jar's content changed.
`

// Lock is the content of a lock file: the SHA-256 of each jar by coordinate.
// It is safe for concurrent use.
type Lock struct {
	Path string // where it was read from and is written to

	mu    sync.Mutex
	sums  map[string]string // coordinate -> lower-case hex SHA-256
	lines map[string]int    // coordinate -> line in the file as last read or written
	added int
}

// ReadLock reads the lock file at path. A missing file is an empty lock,
// which the first Fetch fills.
func ReadLock(path string) (*Lock, error) {
	l := &Lock{Path: path, sums: map[string]string{}, lines: map[string]int{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("jars: reading the lock file: %w", err)
	}
	for i, line := range bytes.Split(data, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		bad := func(why string) error {
			return fmt.Errorf("jars: %s:%d: %s: want \"group:artifact:version sha256:<64 hex digits>\"; fix the line or delete it to have it written again", path, i+1, why)
		}
		fields := strings.Fields(s)
		if len(fields) != 2 {
			return nil, bad("not two fields")
		}
		c, err := ParseCoord(fields[0])
		if err != nil {
			return nil, bad(strings.TrimPrefix(err.Error(), "jars: "))
		}
		sum, ok := strings.CutPrefix(fields[1], "sha256:")
		if b, err := hex.DecodeString(sum); !ok || err != nil || len(b) != 32 {
			return nil, bad("not a SHA-256")
		}
		sum = strings.ToLower(sum)
		if prev, ok := l.sums[c.String()]; ok && prev != sum {
			return nil, bad(c.String() + " is listed twice with different hashes")
		}
		if _, ok := l.sums[c.String()]; !ok {
			l.lines[c.String()] = i + 1
		}
		l.sums[c.String()] = sum
	}
	return l, nil
}

// Sum returns the locked SHA-256 of c, in lower-case hex.
func (l *Lock) Sum(c Coord) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.sums[c.String()]
	return s, ok
}

// Line returns the line of c in the lock file, as it was read or, after a
// Write, as it was written; 0 if c is not in the file.
func (l *Lock) Line(c Coord) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines[c.String()]
}

// Len is the number of locked jars.
func (l *Lock) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sums)
}

// Added is the number of entries added since the lock was read.
func (l *Lock) Added() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.added
}

func (l *Lock) add(c Coord, sum string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.sums[c.String()]; !ok {
		l.sums[c.String()] = sum
		l.added++
	}
}

// Write writes the lock file atomically, sorted by coordinate. Entries for
// coordinates no longer listed are kept, as go.sum keeps them, so one lock
// file can serve several KCL versions.
func (l *Lock) Write() error {
	l.mu.Lock()
	keys := make([]string, 0, len(l.sums))
	for k := range l.sums {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	b.WriteString(lockHeader)
	first := strings.Count(lockHeader, "\n") + 1
	lines := map[string]int{}
	for i, k := range keys {
		fmt.Fprintf(&b, "%s sha256:%s\n", k, l.sums[k])
		lines[k] = first + i
	}
	l.mu.Unlock()
	if err := atomicfile.WriteFile(l.Path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("jars: writing the lock file: %w (give it another place with -lock)", err)
	}
	l.mu.Lock()
	l.lines = lines
	l.mu.Unlock()
	return nil
}
