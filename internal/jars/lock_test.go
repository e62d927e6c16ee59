package jars

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLockRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), LockFile)
	l, err := ReadLock(p)
	if err != nil || l.Len() != 0 {
		t.Fatalf("ReadLock(missing) = %d entries, %v; want an empty lock", l.Len(), err)
	}
	a := Coord{"com.b", "x", "1", ""}
	b := Coord{"com.a", "y", "2", "linux"}
	l.add(a, strings.Repeat("a", 64))
	l.add(b, strings.Repeat("b", 64))
	l.add(a, strings.Repeat("c", 64)) // a known coordinate keeps its hash
	if l.Added() != 2 {
		t.Errorf("Added() = %d, want 2", l.Added())
	}
	if err := l.Write(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	want := lockHeader + "com.a:y:2:linux sha256:" + strings.Repeat("b", 64) + "\n" +
		"com.b:x:1 sha256:" + strings.Repeat("a", 64) + "\n"
	if string(data) != want {
		t.Errorf("lock file:\n%s\nwant:\n%s", data, want)
	}
	l2, err := ReadLock(p)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := l2.Sum(a); !ok || s != strings.Repeat("a", 64) || l2.Len() != 2 || l2.Added() != 0 {
		t.Errorf("read back: Sum(a) = %q, %v; Len %d, Added %d", s, ok, l2.Len(), l2.Added())
	}
	// Lines as written, and as read back.
	header := strings.Count(lockHeader, "\n")
	for _, l := range []*Lock{l, l2} {
		if la, lb := l.Line(a), l.Line(b); la != header+2 || lb != header+1 {
			t.Errorf("Line(a), Line(b) = %d, %d; want %d, %d", la, lb, header+2, header+1)
		}
	}
	if n := l2.Line(Coord{"com.c", "z", "3", ""}); n != 0 {
		t.Errorf("Line of a coordinate not in the file = %d, want 0", n)
	}
}

func TestReadLockErrors(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, data, want string
	}{
		{"fields", "a:b:1\n", ":1: not two fields"},
		{"coordinate", "a:b sha256:" + sum + "\n", ":1: bad coordinate"},
		{"algorithm", "a:b:1 sha1:" + sum[:40] + "\n", ":1: not a SHA-256"},
		{"short", "# c\na:b:1 sha256:" + sum[:60] + "\n", ":2: not a SHA-256"},
		{"conflict", "a:b:1 sha256:" + sum + "\na:b:1 sha256:" + strings.Repeat("cd", 32) + "\n", ":2: a:b:1 is listed twice with different hashes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), LockFile)
			os.WriteFile(p, []byte(tc.data), 0o644)
			_, err := ReadLock(p)
			if err == nil || !strings.Contains(err.Error(), p+tc.want) || !strings.Contains(err.Error(), "delete it") {
				t.Errorf("ReadLock(%q) = %v, want %q", tc.data, err, tc.want)
			}
		})
	}
	// A directory where the file should be is not an empty lock.
	if _, err := ReadLock(t.TempDir()); err == nil {
		t.Error("ReadLock(a directory) succeeded")
	}
}
