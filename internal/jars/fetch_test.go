package jars_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kclgo/mld/internal/jars"
	"github.com/kclgo/mld/internal/jars/jarstest"
)

// small is a list of three jars, one with a classifier.
var small = mustList("small", `
com.example:alpha:1.0
com.example.deep:beta:2.1-jre
io.netty:netty-transport-native-epoll:4.2.7.Final:linux-x86_64
`)

func mustList(name, s string) *jars.List {
	l, err := jars.ParseList(name, []byte(s))
	if err != nil {
		panic(err)
	}
	return l
}

// syncBuffer collects progress lines written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is one test's jar directory, lock file and options, with timeouts
// short enough that a stall costs a fraction of a second.
type env struct {
	dir, lock string
	progress  *syncBuffer
}

func newEnv(t *testing.T) *env {
	d := t.TempDir()
	return &env{dir: filepath.Join(d, "jars"), lock: filepath.Join(d, jars.LockFile), progress: &syncBuffer{}}
}

func (e *env) opts(repo string) jars.Options {
	return jars.Options{
		Dir: e.dir, Lock: e.lock, Repo: repo, Progress: e.progress,
		IdleTimeout: 300 * time.Millisecond, Attempts: 3, Backoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
	}
}

// files lists the jar directory, hidden files included.
func (e *env) files(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(e.dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	return names
}

// checkFiles asserts that the jar directory holds exactly the jars of cs
// with their fake content, and nothing else (no temporary file).
func (e *env) checkFiles(t *testing.T, cs ...jars.Coord) {
	t.Helper()
	want := map[string]bool{}
	for _, c := range cs {
		want[c.FileName()] = true
		got, err := os.ReadFile(filepath.Join(e.dir, c.FileName()))
		if err != nil || !bytes.Equal(got, jarstest.Content(c)) {
			t.Errorf("%s: %d bytes, %v; want its content", c.FileName(), len(got), err)
		}
	}
	for _, n := range e.files(t) {
		if !want[n] {
			t.Errorf("jar directory holds %s, which it should not", n)
		}
	}
}

func (e *env) readLock(t *testing.T) *jars.Lock {
	t.Helper()
	l, err := jars.ReadLock(e.lock)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestFetchFullList(t *testing.T) {
	list, _ := jars.Builtin("3.1.3")
	repo := jarstest.NewRepo(t, list.Jars...)
	e := newEnv(t)
	res, err := jars.Fetch(context.Background(), list, e.opts(repo.URL()))
	if err != nil {
		t.Fatal(err)
	}
	e.checkFiles(t, list.Jars...)
	if res.Fetched != 79 || res.Cached != 0 || res.Locked != 79 || len(res.Jars) != 79 {
		t.Errorf("result: %d fetched, %d cached, %d locked, %d jars; want 79, 0, 79, 79", res.Fetched, res.Cached, res.Locked, len(res.Jars))
	}
	lock := e.readLock(t)
	var total int64
	for i, j := range res.Jars {
		c := list.Jars[i]
		if j.Coord != c || j.Path != filepath.Join(e.dir, c.FileName()) || !j.Fetched {
			t.Errorf("Jars[%d] = %+v, want %s in order", i, j, c)
		}
		if s, _ := lock.Sum(c); s != jarstest.Checksum(jarstest.Content(c), "sha256") || s != j.SHA256 {
			t.Errorf("lock: %s sha256:%s, want that of its content", c, s)
		}
		total += int64(len(jarstest.Content(c)))
		// The jar and the strongest checksum it has are fetched once each;
		// .sha512 is asked for first and is not there.
		p := c.RepoPath()
		if repo.Hits(p) != 1 || repo.Hits(p+".sha512") != 1 || repo.Hits(p+".sha256") != 1 || repo.Hits(p+".sha1") != 0 {
			t.Errorf("%s: requests jar %d, .sha512 %d, .sha256 %d, .sha1 %d; want 1, 1, 1, 0",
				c, repo.Hits(p), repo.Hits(p+".sha512"), repo.Hits(p+".sha256"), repo.Hits(p+".sha1"))
		}
	}
	if res.Bytes != total {
		t.Errorf("Bytes = %d, want %d", res.Bytes, total)
	}
	if cp := res.Classpath(); len(cp) != 79 || cp[0] != res.Jars[0].Path {
		t.Errorf("Classpath() = %d entries starting %q", len(cp), cp[0])
	}
	lines := strings.Split(strings.TrimSpace(e.progress.String()), "\n")
	if len(lines) != 79 || !strings.HasPrefix(lines[0], "[ 1/79] fetched ") || !strings.HasPrefix(lines[78], "[79/79] fetched ") ||
		!strings.Contains(e.progress.String(), " KiB  software.amazon.kinesis:amazon-kinesis-client-multilang:3.1.3\n") {
		t.Errorf("progress: %d lines, want 79 like \"[ 1/79] fetched   4.0 KiB  coordinate\":\n%s", len(lines), e.progress)
	}

	// A second run uses the cache: nothing is requested, and every jar is
	// hashed against the lock.
	e.progress = &syncBuffer{}
	before, _ := os.ReadFile(e.lock)
	res, err = jars.Fetch(context.Background(), list, e.opts(repo.URL()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Fetched != 0 || res.Cached != 79 || res.Locked != 0 {
		t.Errorf("second run: %d fetched, %d cached, %d locked; want 0, 79, 0", res.Fetched, res.Cached, res.Locked)
	}
	for _, c := range list.Jars {
		if repo.Hits(c.RepoPath()) != 1 {
			t.Errorf("second run requested %s again", c)
		}
	}
	if after, _ := os.ReadFile(e.lock); !bytes.Equal(before, after) {
		t.Error("second run changed the lock file")
	}
	if !strings.Contains(e.progress.String(), "[79/79] cached ") {
		t.Errorf("second run progress:\n%s", e.progress)
	}
}

func TestFetchQuietCached(t *testing.T) {
	repo := jarstest.NewRepo(t, small.Jars...)
	e := newEnv(t)
	o := e.opts(repo.URL())
	o.QuietCached = true
	o.Jobs = 1
	jars.Fetch(context.Background(), mustList("one", small.Jars[0].String()), o)
	e.progress = &syncBuffer{}
	o.Progress = e.progress
	if _, err := jars.Fetch(context.Background(), small, o); err != nil {
		t.Fatal(err)
	}
	got := e.progress.String()
	if strings.Contains(got, "cached") || strings.Count(got, "fetched") != 2 || !strings.Contains(got, "[3/3] fetched") {
		t.Errorf("progress with QuietCached:\n%s\nwant only the two fetched jars, counted to 3", got)
	}
}

func TestFetchChecksumMismatch(t *testing.T) {
	repo := jarstest.NewRepo(t, small.Jars...)
	bad := small.Jars[1]
	repo.Set(bad.RepoPath(), []byte("not the jar the checksum is for"))
	e := newEnv(t)
	_, err := jars.Fetch(context.Background(), small, e.opts(repo.URL()))
	var ce *jars.ChecksumError
	if !errors.Is(err, jars.ErrChecksum) || !errors.As(err, &ce) {
		t.Fatalf("Fetch = %v, want a ChecksumError", err)
	}
	want := jarstest.Checksum(jarstest.Content(bad), "sha256")
	if ce.Coord != bad || ce.Algo != "sha256" || ce.Want != want || ce.From != repo.URL()+"/"+bad.RepoPath()+".sha256" {
		t.Errorf("ChecksumError = %+v", ce)
	}
	for _, s := range []string{bad.String(), "does not match the published checksum", "sha256:" + want, "it was not saved"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q:\n%v", s, err)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, bad.FileName())); !os.IsNotExist(err) {
		t.Errorf("the corrupt jar is in the cache: %v", err)
	}
	for _, n := range e.files(t) {
		if strings.HasSuffix(n, ".tmp") {
			t.Errorf("temporary file left: %s", n)
		}
	}
	if _, ok := e.readLock(t).Sum(bad); ok {
		t.Error("the corrupt jar is in the lock file")
	}
}

func TestFetchStrongestChecksum(t *testing.T) {
	c := small.Jars[0]
	for _, tc := range []struct {
		name  string
		files map[string]string // extension -> content; "" means the right digest
		err   error
	}{
		{"sha1 only", map[string]string{"sha1": ""}, nil},
		{"sha512 wins over a wrong sha1", map[string]string{"sha512": "", "sha1": strings.Repeat("0", 40)}, nil},
		{"a wrong sha256 is not excused by a right sha1", map[string]string{"sha256": strings.Repeat("0", 64), "sha1": ""}, jars.ErrChecksum},
		{"md5 is not enough", map[string]string{"md5": "d41d8cd98f00b204e9800998ecf8427e"}, jars.ErrNoChecksum},
		{"none", nil, jars.ErrNoChecksum},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := jarstest.NewRepo(t)
			repo.Add(c, jarstest.Content(c))
			for ext, content := range tc.files {
				if content == "" {
					content = jarstest.Checksum(jarstest.Content(c), ext)
				}
				repo.Set(c.RepoPath()+"."+ext, []byte(content))
			}
			e := newEnv(t)
			_, err := jars.Fetch(context.Background(), mustList("one", c.String()), e.opts(repo.URL()))
			if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("Fetch = %v, want %v", err, tc.err)
			}
			if tc.err == jars.ErrNoChecksum && !strings.Contains(err.Error(), "-allow-missing-checksum") {
				t.Errorf("Fetch = %v, want a hint", err)
			}
			if tc.err != nil {
				e.checkFiles(t)
			}
		})
	}
}

func TestFetchAllowMissingChecksum(t *testing.T) {
	c := small.Jars[0]
	repo := jarstest.NewRepo(t)
	repo.Add(c, jarstest.Content(c)) // no checksum files
	e := newEnv(t)
	o := e.opts(repo.URL())
	o.AllowMissingChecksum = true
	if _, err := jars.Fetch(context.Background(), mustList("one", c.String()), o); err != nil {
		t.Fatal(err)
	}
	e.checkFiles(t, c)
	if !strings.Contains(e.progress.String(), c.String()+": no checksum published; accepted unverified") {
		t.Errorf("progress does not say the jar is unverified:\n%s", e.progress)
	}
	if s, _ := e.readLock(t).Sum(c); s != jarstest.Checksum(jarstest.Content(c), "sha256") {
		t.Errorf("lock has %q for the unverified jar, want its hash", s)
	}
}

// A jar that the list pins needs no checksum file, and must match the pin.
func TestFetchPinned(t *testing.T) {
	c := small.Jars[0]
	good := jarstest.Checksum(jarstest.Content(c), "sha256")
	for _, tc := range []struct {
		name, pin string
		err       error
	}{
		{"matches", good, nil},
		{"differs", strings.Repeat("0", 64), jars.ErrChecksum},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := jarstest.NewRepo(t)
			repo.Add(c, jarstest.Content(c)) // no checksum files
			e := newEnv(t)
			_, err := jars.Fetch(context.Background(), mustList("pinned", c.String()+" sha256:"+tc.pin), e.opts(repo.URL()))
			if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("Fetch = %v, want %v", err, tc.err)
			}
			if tc.err != nil {
				if !strings.Contains(err.Error(), "the pin in pinned: sha256:"+tc.pin) {
					t.Errorf("Fetch = %v, want the pin named", err)
				}
				e.checkFiles(t)
				return
			}
			e.checkFiles(t, c)
			if s, _ := e.readLock(t).Sum(c); s != good {
				t.Errorf("lock has %q for the pinned jar, want its hash", s)
			}
		})
	}
}

func TestFetchNotFound(t *testing.T) {
	repo := jarstest.NewRepo(t, small.Jars...)
	missing := small.Jars[2]
	repo.Set(missing.RepoPath(), nil)
	e := newEnv(t)
	o := e.opts(repo.URL())
	o.Jobs = 1
	_, err := jars.Fetch(context.Background(), small, o)
	if !errors.Is(err, jars.ErrNotFound) {
		t.Fatalf("Fetch = %v, want ErrNotFound", err)
	}
	u := repo.URL() + "/" + missing.RepoPath()
	for _, s := range []string{missing.String(), "not found (HTTP 404 Not Found) at " + u, "the coordinate is wrong in the jar list"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q:\n%v", s, err)
		}
	}
	if n := repo.Hits(missing.RepoPath()); n != 1 {
		t.Errorf("the missing jar was requested %d times; a 404 is not retried", n)
	}
	// The jars before it are kept, and locked: they were verified.
	e.checkFiles(t, small.Jars[:2]...)
	if l := e.readLock(t); l.Len() != 2 {
		t.Errorf("lock has %d entries, want the 2 verified jars", l.Len())
	}
}

func TestFetchRetries(t *testing.T) {
	c := small.Jars[0]
	p := c.RepoPath()
	for _, tc := range []struct {
		name   string
		faults []jarstest.Fault
		err    string // empty: success
		retry  string // in the progress, for each retry
	}{
		{"503 then success", []jarstest.Fault{jarstest.Status(503), jarstest.Status(502)}, "", "HTTP 503 Service Unavailable from http://127.0.0.1:"},
		{"429 with Retry-After", []jarstest.Fault{jarstest.RetryAfter(1)}, "", "HTTP 429 Too Many Requests"},
		{"stall mid-body, then success", []jarstest.Fault{jarstest.StallBody()}, "", "stalled: no data for 300ms"},
		{"stall before headers, then success", []jarstest.Fault{jarstest.StallHeaders()}, "", "stalled: no data for 300ms"},
		{"503 every time", []jarstest.Fault{jarstest.Status(503), jarstest.Status(503), jarstest.Status(503)},
			"HTTP 503 Service Unavailable (gave up after 3 attempts)", "attempt 3 of 3"},
		{"stall every time", []jarstest.Fault{jarstest.StallBody(), jarstest.StallHeaders(), jarstest.StallBody()},
			"stalled: no data for 300ms (gave up after 3 attempts)", "attempt 2 of 3"},
		{"403 is not retried", []jarstest.Fault{jarstest.Status(403)}, "access refused (HTTP 403 Forbidden): check the credentials", ""},
		{"400 is not retried", []jarstest.Fault{jarstest.Status(400)}, "unexpected HTTP 400 Bad Request", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := jarstest.NewRepo(t, c)
			repo.Fail(p, tc.faults...)
			e := newEnv(t)
			_, err := jars.Fetch(context.Background(), mustList("one", c.String()), e.opts(repo.URL()))
			progress := e.progress.String()
			if tc.err == "" {
				if err != nil {
					t.Fatalf("Fetch = %v\nprogress:\n%s", err, progress)
				}
				e.checkFiles(t, c)
				if n := repo.Hits(p); n != len(tc.faults)+1 {
					t.Errorf("jar requested %d times, want %d", n, len(tc.faults)+1)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), c.String()) {
					t.Fatalf("Fetch = %v, want %q", err, tc.err)
				}
				e.checkFiles(t)
				want := len(tc.faults)
				if n := repo.Hits(p); n != want {
					t.Errorf("jar requested %d times, want %d", n, want)
				}
			}
			if tc.retry != "" && !strings.Contains(progress, tc.retry) {
				t.Errorf("progress lacks %q:\n%s", tc.retry, progress)
			}
			if tc.retry == "" && strings.Contains(progress, "attempt") {
				t.Errorf("progress shows a retry:\n%s", progress)
			}
		})
	}
}

func TestFetchAttemptTimeout(t *testing.T) {
	// A server that keeps sending, too slowly, is caught by the attempt's
	// own deadline, not by the idle timeout.
	c := small.Jars[0]
	repo := jarstest.NewRepo(t, c)
	trickle := func(_ *jarstest.Repo, w http.ResponseWriter, req *http.Request, body []byte) {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		for i := range body {
			w.Write(body[i : i+1])
			w.(http.Flusher).Flush()
			select {
			case <-req.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	repo.Fail(c.RepoPath(), trickle, trickle)
	e := newEnv(t)
	o := e.opts(repo.URL())
	o.AttemptTimeout = 200 * time.Millisecond
	o.Attempts = 2
	_, err := jars.Fetch(context.Background(), mustList("one", c.String()), o)
	if err == nil || !strings.Contains(err.Error(), "no complete answer within 200ms (gave up after 2 attempts)") {
		t.Fatalf("Fetch = %v, want the attempt timeout", err)
	}
	e.checkFiles(t)
}

func TestFetchLockMismatch(t *testing.T) {
	repo := jarstest.NewRepo(t, small.Jars...)
	e := newEnv(t)
	if _, err := jars.Fetch(context.Background(), small, e.opts(repo.URL())); err != nil {
		t.Fatal(err)
	}
	// The repository changes a released jar, with matching checksums, and
	// the jar is no longer cached (a new machine, a cleared cache).
	c := small.Jars[1]
	repo.Add(c, []byte("a rebuilt jar"), "sha1", "sha256")
	os.Remove(filepath.Join(e.dir, c.FileName()))
	lockBefore, _ := os.ReadFile(e.lock)

	_, err := jars.Fetch(context.Background(), small, e.opts(repo.URL()))
	var le *jars.LockMismatchError
	if !errors.Is(err, jars.ErrLockMismatch) || !errors.As(err, &le) {
		t.Fatalf("Fetch = %v, want a LockMismatchError", err)
	}
	want := jarstest.Checksum(jarstest.Content(c), "sha256")
	got := jarstest.Checksum([]byte("a rebuilt jar"), "sha256")
	if le.Coord != c || le.Want != want || le.Got != got || le.Cached != "" || le.From != repo.URL()+"/"+c.RepoPath() {
		t.Errorf("LockMismatchError = %+v", le)
	}
	for _, s := range []string{c.String(), "does not match " + e.lock, "sha256:" + want, "downloaded: sha256:" + got, "delete this coordinate's line"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q:\n%v", s, err)
		}
	}
	e.checkFiles(t, small.Jars[0], small.Jars[2])
	if after, _ := os.ReadFile(e.lock); !bytes.Equal(lockBefore, after) {
		t.Error("the lock file changed")
	}
}

func TestFetchTamperedCache(t *testing.T) {
	repo := jarstest.NewRepo(t, small.Jars...)
	e := newEnv(t)
	if _, err := jars.Fetch(context.Background(), small, e.opts(repo.URL())); err != nil {
		t.Fatal(err)
	}
	c := small.Jars[0]
	p := filepath.Join(e.dir, c.FileName())
	os.WriteFile(p, []byte("tampered"), 0o644)

	_, err := jars.Fetch(context.Background(), small, e.opts(repo.URL()))
	var le *jars.LockMismatchError
	if !errors.As(err, &le) || le.Cached != p || le.Got != jarstest.Checksum([]byte("tampered"), "sha256") {
		t.Fatalf("Fetch = %v, want a LockMismatchError for the cached %s", err, p)
	}
	if le.Changed != jars.ChangedJar || le.Line != lockLine(t, e.lock, c) {
		t.Errorf("Changed %v, Line %d; want ChangedJar and line %d", le.Changed, le.Line, lockLine(t, e.lock, c))
	}
	for _, s := range []string{
		fmt.Sprintf("the cached jar does not match %s:%d\n", e.lock, le.Line),
		"the jar does not match the sha256 that " + repo.URL() + "/" + c.RepoPath() + ".sha256 publishes either, so the jar was changed after it was verified; delete it and run kcl jars again to download it afresh",
	} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q:\n%v", s, err)
		}
	}
	if repo.Hits(c.RepoPath()) != 1 {
		t.Error("the tampered jar was downloaded again")
	}
}

// lockLine returns the line of c in the lock file at path, or 0.
func lockLine(t *testing.T, path string, c jars.Coord) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, c.String()+" ") {
			return i + 1
		}
	}
	return 0
}

// editLock replaces c's hash in the lock file at path with another one.
func editLock(t *testing.T, path string, c jars.Coord) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	old := c.String() + " sha256:" + jarstest.Checksum(jarstest.Content(c), "sha256")
	edited := strings.Replace(string(data), old, c.String()+" sha256:"+strings.Repeat("ab", 32), 1)
	if edited == string(data) {
		t.Fatalf("%s has no line %q", path, old)
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
}

// An edited lock line is told from an edited jar by the checksum the
// repository publishes, which the jar still matches.
func TestFetchLockLineEdited(t *testing.T) {
	repo := jarstest.NewRepo(t, small.Jars...)
	e := newEnv(t)
	if _, err := jars.Fetch(context.Background(), small, e.opts(repo.URL())); err != nil {
		t.Fatal(err)
	}
	c := small.Jars[1]
	jar := filepath.Join(e.dir, c.FileName())
	editLock(t, e.lock, c)
	lockBefore, _ := os.ReadFile(e.lock)
	line := lockLine(t, e.lock, c)

	_, err := jars.Fetch(context.Background(), small, e.opts(repo.URL()))
	var le *jars.LockMismatchError
	if !errors.As(err, &le) || le.Cached != jar {
		t.Fatalf("Fetch = %v, want a LockMismatchError for the cached %s", err, jar)
	}
	sum := jarstest.Checksum(jarstest.Content(c), "sha256")
	if le.Changed != jars.ChangedLock || le.Line != line || le.Want != strings.Repeat("ab", 32) || le.Got != sum || le.Algo != "sha256" || le.Published != sum {
		t.Errorf("LockMismatchError = %+v, want ChangedLock on line %d", le, line)
	}
	for _, s := range []string{
		fmt.Sprintf("%s: the cached jar does not match %s:%d\n", c, e.lock, line),
		fmt.Sprintf("  %s:%d: sha256:%s\n  %s: sha256:%s\n", e.lock, line, strings.Repeat("ab", 32), jar, sum),
		fmt.Sprintf("the jar still matches the sha256 that %s/%s.sha256 publishes, so line %d of %s is what changed: it was edited, or written from a repository that served other bytes; "+
			"restore the line (from version control, say), or delete it and run kcl jars again", repo.URL(), c.RepoPath(), line, e.lock),
	} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q:\n%v", s, err)
		}
	}
	if strings.Contains(err.Error(), "the jar was changed") {
		t.Errorf("error blames the jar:\n%v", err)
	}
	if repo.Hits(c.RepoPath()) != 1 {
		t.Error("the jar was downloaded again")
	}
	e.checkFiles(t, small.Jars...)
	if after, _ := os.ReadFile(e.lock); !bytes.Equal(lockBefore, after) {
		t.Error("the lock file changed")
	}

	// Without an answer from the repository, either may have changed; it
	// is asked once, with no retry.
	repo.Fail(c.RepoPath()+".sha256", jarstest.Status(503), jarstest.Status(503))
	hits := repo.Hits(c.RepoPath() + ".sha256")
	_, err = jars.Fetch(context.Background(), small, e.opts(repo.URL()))
	if !errors.As(err, &le) || le.Changed != jars.ChangedUnknown || le.Unchecked == nil {
		t.Fatalf("Fetch with the repository failing = %v, want a LockMismatchError with ChangedUnknown", err)
	}
	for _, s := range []string{
		"which of the two changed is not known: the lock holds only the SHA-256, and the published checksum could not be had (" + repo.URL() + "/" + c.RepoPath() + ".sha256: HTTP 503 Service Unavailable (gave up after 1 attempts)). ",
		"Either the jar was changed after it was verified: delete it and run kcl jars again to download it afresh; ",
		fmt.Sprintf("or line %d of %s was edited: restore the line", line, e.lock),
	} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q:\n%v", s, err)
		}
	}
	if n := repo.Hits(c.RepoPath()+".sha256") - hits; n != 1 || strings.Contains(e.progress.String(), "attempt") {
		t.Errorf("the checksum was asked for %d times, want once, with no retry line:\n%s", n, e.progress)
	}

	// An offline directory's checksum files tell as well, with no network.
	off := t.TempDir()
	jarstest.WriteDir(t, off, false, small.Jars, "sha1")
	o := e.opts("")
	o.Offline, o.Client = off, &http.Client{Transport: noNetwork{t}}
	_, err = jars.Fetch(context.Background(), small, o)
	if !errors.As(err, &le) || le.Changed != jars.ChangedLock || le.Algo != "sha1" || le.PublishedFrom != filepath.Join(off, c.FileName())+".sha1" {
		t.Fatalf("Fetch offline = %v, want ChangedLock from the offline sha1", err)
	}
}

// The line named is the line in the lock file as Fetch leaves it, which it
// rewrites when it adds entries.
func TestFetchLockMismatchLineAfterWrite(t *testing.T) {
	repo := jarstest.NewRepo(t, small.Jars...)
	e := newEnv(t)
	if _, err := jars.Fetch(context.Background(), small, e.opts(repo.URL())); err != nil {
		t.Fatal(err)
	}
	// The first jar's line goes, to be written again; the last one's,
	// after it, is edited.
	data, _ := os.ReadFile(e.lock)
	var kept []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, small.Jars[0].String()+" ") {
			kept = append(kept, l)
		}
	}
	os.WriteFile(e.lock, []byte(strings.Join(kept, "\n")), 0o644)
	c := small.Jars[2]
	editLock(t, e.lock, c)
	before := lockLine(t, e.lock, c)

	o := e.opts(repo.URL())
	o.Jobs = 1 // in list order: the first jar is locked before the last fails
	_, err := jars.Fetch(context.Background(), small, o)
	var le *jars.LockMismatchError
	if !errors.As(err, &le) || le.Changed != jars.ChangedLock {
		t.Fatalf("Fetch = %v, want a LockMismatchError with ChangedLock", err)
	}
	after := lockLine(t, e.lock, c)
	if after == before || le.Line != after || !strings.Contains(err.Error(), fmt.Sprintf("line %d of %s", after, e.lock)) {
		t.Errorf("Line %d, want %d (it was %d before the lock was written):\n%v", le.Line, after, before, err)
	}
}

func TestFetchCachedNotLocked(t *testing.T) {
	// Jars cached by another project are verified against the repository's
	// checksums, not downloaded again, and locked.
	repo := jarstest.NewRepo(t, small.Jars...)
	e := newEnv(t)
	if _, err := jars.Fetch(context.Background(), small, e.opts(repo.URL())); err != nil {
		t.Fatal(err)
	}
	os.Remove(e.lock)
	res, err := jars.Fetch(context.Background(), small, e.opts(repo.URL()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Cached != 3 || res.Locked != 3 || e.readLock(t).Len() != 3 {
		t.Errorf("%d cached, %d locked, want 3 and 3", res.Cached, res.Locked)
	}
	for _, c := range small.Jars {
		if repo.Hits(c.RepoPath()) != 1 || repo.Hits(c.RepoPath()+".sha256") != 2 {
			t.Errorf("%s: jar requested %d times, .sha256 %d; want 1 and 2", c, repo.Hits(c.RepoPath()), repo.Hits(c.RepoPath()+".sha256"))
		}
	}

	// A cached jar that the repository disowns is refused.
	os.Remove(e.lock)
	c := small.Jars[2]
	os.WriteFile(filepath.Join(e.dir, c.FileName()), []byte("changed"), 0o644)
	_, err = jars.Fetch(context.Background(), small, e.opts(repo.URL()))
	var ce *jars.ChecksumError
	if !errors.As(err, &ce) || ce.Cached != filepath.Join(e.dir, c.FileName()) || !strings.Contains(err.Error(), "delete it and run kcl jars again") {
		t.Fatalf("Fetch = %v, want a ChecksumError for the cached jar", err)
	}
}

// noNetwork fails the test on any HTTP request.
type noNetwork struct{ t *testing.T }

func (n noNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	n.t.Errorf("HTTP request in offline mode: %s", r.URL)
	return nil, errors.New("no network")
}

func TestFetchOffline(t *testing.T) {
	for _, tc := range []struct {
		name    string
		layout  bool
		algos   []string
		allow   bool
		locked  bool
		missing bool
		err     error
	}{
		{name: "flat with sha1", algos: []string{"sha1"}},
		{name: "maven layout with sha256", layout: true, algos: []string{"sha256"}},
		{name: "no checksums", err: jars.ErrNoChecksum},
		{name: "no checksums, allowed", allow: true},
		{name: "no checksums, locked", locked: true},
		{name: "missing jar", algos: []string{"sha1"}, missing: true, err: jars.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			off := t.TempDir()
			jarstest.WriteDir(t, off, tc.layout, small.Jars, tc.algos...)
			e := newEnv(t)
			if tc.locked {
				var b strings.Builder
				for _, c := range small.Jars {
					fmt.Fprintf(&b, "%s sha256:%s\n", c, jarstest.Checksum(jarstest.Content(c), "sha256"))
				}
				os.WriteFile(e.lock, []byte(b.String()), 0o644)
			}
			if tc.missing {
				os.Remove(filepath.Join(off, small.Jars[1].FileName()))
			}
			o := e.opts("http://repository.invalid")
			o.Offline = off
			o.AllowMissingChecksum = tc.allow
			o.Client = &http.Client{Transport: noNetwork{t}}
			res, err := jars.Fetch(context.Background(), small, o)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Fetch = %v, want %v", err, tc.err)
				}
				if tc.missing && !strings.Contains(err.Error(), "in the offline directory "+off) {
					t.Errorf("error does not name the directory: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e.checkFiles(t, small.Jars...)
			if res.Fetched != 3 || e.readLock(t).Len() != 3 {
				t.Errorf("%d fetched, %d locked; want 3 and 3", res.Fetched, e.readLock(t).Len())
			}
		})
	}
	// A corrupt jar in the offline directory is refused.
	off := t.TempDir()
	jarstest.WriteDir(t, off, false, small.Jars, "sha1")
	os.WriteFile(filepath.Join(off, small.Jars[0].FileName()), []byte("corrupt"), 0o644)
	e := newEnv(t)
	o := e.opts("")
	o.Offline = off
	if _, err := jars.Fetch(context.Background(), small, o); !errors.Is(err, jars.ErrChecksum) {
		t.Errorf("Fetch of a corrupt offline jar = %v, want ErrChecksum", err)
	}
	o.Offline = filepath.Join(off, "nonexistent")
	if _, err := jars.Fetch(context.Background(), small, o); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Fetch from a missing offline directory = %v", err)
	}
}

func TestFetchCredentials(t *testing.T) {
	repo := jarstest.NewRepo(t, small.Jars...)
	repo.RequireAuth("deploy", "s3cr3t-token")
	withAuth := strings.Replace(repo.URL(), "http://", "http://deploy:s3cr3t-token@", 1)
	e := newEnv(t)
	if _, err := jars.Fetch(context.Background(), small, e.opts(withAuth)); err != nil {
		t.Fatalf("Fetch with credentials: %v", err)
	}
	e.checkFiles(t, small.Jars...)

	// Wrong credentials, a retry and a 404: the password is in no message.
	repo2 := jarstest.NewRepo(t, small.Jars...)
	repo2.RequireAuth("deploy", "other")
	e2 := newEnv(t)
	_, err := jars.Fetch(context.Background(), small, e2.opts(strings.Replace(repo2.URL(), "http://", "http://deploy:s3cr3t-token@", 1)))
	if !errors.Is(err, jars.ErrAccess) {
		t.Fatalf("Fetch with wrong credentials = %v, want ErrAccess", err)
	}
	repo3 := jarstest.NewRepo(t, small.Jars[0])
	repo3.Fail(small.Jars[0].RepoPath(), jarstest.Status(503))
	e3 := newEnv(t)
	o3 := e3.opts(strings.Replace(repo3.URL(), "http://", "http://deploy:s3cr3t-token@", 1))
	o3.Jobs = 1 // in order: the retry of the first jar, then the 404 of the second
	_, err3 := jars.Fetch(context.Background(), small, o3)
	_, err4 := jars.Fetch(context.Background(), small, e3.opts("http://deploy:s3cr3t-token@[::1"))
	for _, s := range []string{err.Error(), e2.progress.String(), err3.Error(), e3.progress.String(), err4.Error(), jars.RedactURL(withAuth)} {
		if strings.Contains(s, "s3cr3t") || strings.Contains(s, "deploy") {
			t.Errorf("credentials printed: %s", s)
		}
	}
	shown := strings.Replace(repo3.URL(), "http://", "http://xxxxx:xxxxx@", 1) + "/" + small.Jars[0].RepoPath()
	if !strings.Contains(e3.progress.String(), "HTTP 503 Service Unavailable from "+shown+";") || !errors.Is(err3, jars.ErrNotFound) {
		t.Errorf("the third repository did not fail as planned: %v\n%s", err3, e3.progress)
	}
	if !strings.Contains(err4.Error(), "does not parse") {
		t.Errorf("unparsable URL: %v", err4)
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://user:SECRET@host/repo?token=SECRET&x=SECRET#SECRET", "https://xxxxx:xxxxx@host/repo?token=xxxxx&x=xxxxx#xxxxx"},
		{"https://repo.maven.apache.org/maven2", "https://repo.maven.apache.org/maven2"},
		{"http://127.0.0.1:8081/nexus/", "http://127.0.0.1:8081/nexus/"},
		{"https://SECRET@host/m2", "https://xxxxx@host/m2"},
		{"https://:SECRET@host/m2", "https://xxxxx:xxxxx@host/m2"},
		{"https://SECRET:@host/m2", "https://xxxxx:xxxxx@host/m2"},
		{"http://host/?SECRET", "http://host/?xxxxx"},
		{"http://host/?a=SECRET&SECRET&=SECRET&SE%20CRET=x&&b=", "http://host/?a=xxxxx&xxxxx&xxxxx&xxxxx&&b=xxxxx"},
		{"http://host/?a=1;SECRET=2", "http://host/?a=xxxxx"},
		{"http://host/?", "http://host/?"},
		{"http://host/#SECRET", "http://host/#xxxxx"},
		{"http://host/#SE%43RET", "http://host/#xxxxx"},
		{"ftp://u:SECRET@host/x?k=SECRET", "ftp://xxxxx:xxxxx@host/x?k=xxxxx"},
		{"user:SECRET@host/m2", "(a URL with no host)"},
		{"SECRET@host/m2", "(a URL with no host)"},
		{"http:SECRET@host/m2", "(a URL with no host)"},
		{"file:///home/SECRET", "(a URL with no host)"},
		{"http://u:SECRET@[::1", "(an unparsable URL)"},
		{"", "(a URL with no host)"},
	} {
		if got := jars.RedactURL(tc.in); got != tc.want || strings.Contains(got, "SECRET") || strings.Contains(got, "u:") {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Fetch shows a repository URL it refuses, or fails to reach, as
// RedactURL does, in its errors and its progress lines alike.
func TestFetchRedactsRepo(t *testing.T) {
	for _, tc := range []struct{ repo, want string }{
		{"http://127.0.0.1:1/?token=SECRET#SECRET", "jars: repository URL http://127.0.0.1:1/?token=xxxxx#xxxxx: want http(s)://host/path, with no query or fragment"},
		{"http://127.0.0.1:1/m2?SECRET", "jars: repository URL http://127.0.0.1:1/m2?xxxxx: "},
		{"http://127.0.0.1:1/m2#SECRET", "jars: repository URL http://127.0.0.1:1/m2#xxxxx: "},
		{"http://127.0.0.1:1/m2?", "jars: repository URL http://127.0.0.1:1/m2?: "},
		{"ftp://SECRET:SECRET@127.0.0.1:1/m2", "jars: repository URL ftp://xxxxx:xxxxx@127.0.0.1:1/m2: "},
		{"SECRET:SECRET@127.0.0.1:1/m2", "jars: the repository URL has no host (not shown, as it may hold credentials)"},
		{"http://SECRET:SECRET@127.0.0.1:1/m2", "http://xxxxx:xxxxx@127.0.0.1:1/m2/com/example/alpha/1.0/alpha-1.0.jar: "},
	} {
		e := newEnv(t)
		o := e.opts(tc.repo)
		o.Jobs = 1
		_, err := jars.Fetch(context.Background(), small, o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Fetch from %s = %v, want %q", jars.RedactURL(tc.repo), err, tc.want)
			continue
		}
		if s := err.Error() + e.progress.String(); strings.Contains(s, "SECRET") {
			t.Errorf("a secret of the URL was printed:\n%s", s)
		}
	}
}

func TestFetchCancel(t *testing.T) {
	repo := jarstest.NewRepo(t, small.Jars...)
	stalled := small.Jars[1]
	repo.Fail(stalled.RepoPath(), jarstest.StallBody())
	e := newEnv(t)
	o := e.opts(repo.URL())
	o.IdleTimeout = time.Minute // only the cancellation ends the stall
	o.Jobs = 1
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := jars.Fetch(ctx, small, o)
		done <- err
	}()
	select {
	case <-repo.Stalls():
	case <-time.After(10 * time.Second):
		t.Fatal("the download never stalled")
	}
	// Half the jar is in a temporary file now.
	var tmp []string
	for _, n := range e.files(t) {
		if strings.HasSuffix(n, ".tmp") {
			tmp = append(tmp, n)
		}
	}
	if len(tmp) != 1 || !strings.HasPrefix(tmp[0], "."+stalled.FileName()+".") {
		t.Errorf("while stalled, temporary files %v, want one for %s", tmp, stalled.FileName())
	}
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Fetch did not return after its context was cancelled")
	}
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("Fetch = %v, want it interrupted", err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, stalled.FileName())); !os.IsNotExist(err) {
		t.Errorf("the interrupted jar exists: %v", err)
	}
	for _, n := range e.files(t) {
		if strings.HasSuffix(n, ".tmp") {
			t.Errorf("temporary file left: %s", n)
		}
	}
	// Whatever finished was locked and is reused.
	if _, err := jars.ReadLock(e.lock); err != nil {
		t.Fatal(err)
	}
	res, err := jars.Fetch(context.Background(), small, e.opts(repo.URL()))
	if err != nil {
		t.Fatal(err)
	}
	e.checkFiles(t, small.Jars...)
	if res.Fetched < 1 {
		t.Errorf("the rerun fetched %d jars, want at least the interrupted one", res.Fetched)
	}
}

func TestFetchOptionsRequired(t *testing.T) {
	if _, err := jars.Fetch(context.Background(), small, jars.Options{Dir: t.TempDir()}); err == nil {
		t.Error("Fetch without a lock path succeeded")
	}
	e := newEnv(t)
	for _, repo := range []string{"ftp://example.com/repo", "example.com/maven2", "https://example.com/r?x=1"} {
		if _, err := jars.Fetch(context.Background(), small, e.opts(repo)); err == nil || !strings.Contains(err.Error(), "want http(s)://host/path") {
			t.Errorf("Fetch with repository %q = %v", repo, err)
		}
	}
}
