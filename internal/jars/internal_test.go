package jars

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseChecksum(t *testing.T) {
	const sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	for _, in := range []string{
		sha1,
		sha1 + "\n",
		strings.ToUpper(sha1),
		sha1 + "  guava-32.1.1-jre.jar\n",
		"SHA1(guava-32.1.1-jre.jar)= " + sha1 + "\n",
	} {
		if got, ok := parseChecksum([]byte(in), "sha1", 20); !ok || got != sha1 {
			t.Errorf("parseChecksum(%q) = %q, %v; want %q", in, got, ok, sha1)
		}
	}
	for _, in := range []string{"", "<html>not found</html>", sha1[:39], "zz" + sha1[2:]} {
		if got, ok := parseChecksum([]byte(in), "sha1", 20); ok {
			t.Errorf("parseChecksum(%q) = %q, want none", in, got)
		}
	}
}

func TestBackoff(t *testing.T) {
	m := &mavenSource{o: &Options{Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}}
	for _, tc := range []struct {
		attempt  int
		after    time.Duration
		min, max time.Duration
	}{
		{1, 0, 100 * time.Millisecond, 125 * time.Millisecond},
		{2, 0, 200 * time.Millisecond, 250 * time.Millisecond},
		{3, 0, 400 * time.Millisecond, 500 * time.Millisecond},
		{5, 0, time.Second, time.Second},                                            // capped
		{1, 700 * time.Millisecond, 700 * time.Millisecond, 700 * time.Millisecond}, // Retry-After wins
		{1, time.Hour, time.Second, time.Second},                                    // and is capped too
	} {
		for range 20 {
			if d := m.backoff(tc.attempt, tc.after); d < tc.min || d > tc.max {
				t.Fatalf("backoff(%d, %v) = %v, want in [%v, %v]", tc.attempt, tc.after, d, tc.min, tc.max)
			}
		}
	}
}

func TestRetryAfter(t *testing.T) {
	if d := retryAfter("3"); d != 3*time.Second {
		t.Errorf("retryAfter(3) = %v", d)
	}
	if d := retryAfter(time.Now().Add(time.Minute).UTC().Format(httpTime)); d < 50*time.Second || d > time.Minute {
		t.Errorf("retryAfter(a date a minute ahead) = %v", d)
	}
	for _, h := range []string{"", "soon", "-1"} {
		if d := retryAfter(h); d != 0 {
			t.Errorf("retryAfter(%q) = %v, want 0", h, d)
		}
	}
}

const httpTime = "Mon, 02 Jan 2006 15:04:05 GMT"

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	files := map[string]time.Time{
		".guava-32.1.1-jre.jar.123.tmp": now.Add(-2 * time.Hour), // left by a killed run
		".guava-32.1.1-jre.jar.456.tmp": now.Add(-time.Minute),   // may be another run's
		"guava-32.1.1-jre.jar":          now.Add(-48 * time.Hour),
		"notes.tmp":                     now.Add(-48 * time.Hour), // not ours: not hidden
	}
	for name, mtime := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	removeStale(dir, now)
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{".guava-32.1.1-jre.jar.456.tmp", "guava-32.1.1-jre.jar", "notes.tmp"}
	if !slices.Equal(left, want) {
		t.Errorf("after removeStale: %v, want %v", left, want)
	}
}
