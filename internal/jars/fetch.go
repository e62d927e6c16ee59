package jars

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kclgo/mld/internal/atomicfile"
)

// Options configures Fetch. The zero value of each field means its
// documented default.
type Options struct {
	// Dir is the jar directory, flat: one artifact-version.jar per
	// coordinate. Required. It is created if missing.
	Dir string
	// Lock is the lock file's path. Required. A missing file is created.
	Lock string
	// Repo is the Maven repository's base URL (DefaultRepo). Credentials
	// may be given as user:password@host; they are sent as basic auth and
	// never printed: messages show the URL as RedactURL does.
	Repo string
	// Offline, if set, takes jars from this directory instead of a
	// repository, and nothing touches the network.
	Offline string
	// AllowMissingChecksum accepts a jar whose repository publishes no
	// SHA-1 or stronger checksum (the lock file then pins what was
	// received). Off, such a jar is an error wrapping ErrNoChecksum.
	AllowMissingChecksum bool
	// Jobs is how many jars are fetched at once (8).
	Jobs int
	// AttemptTimeout bounds one download attempt as a whole (10m).
	AttemptTimeout time.Duration
	// IdleTimeout bounds the wait for the answer and between any two
	// pieces of it, so that a stalled server is noticed (30s).
	IdleTimeout time.Duration
	// Attempts is how often a download is tried when it fails with a
	// network error, a timeout, a 5xx or a 429 (4). Other failures are
	// not retried.
	Attempts int
	// Backoff is the wait before the second attempt (1s); it doubles for
	// each further one, up to MaxBackoff (30s), which also caps a server's
	// Retry-After.
	Backoff, MaxBackoff time.Duration
	// Progress, if set, receives one line per jar as it is done, and one
	// per retry.
	Progress io.Writer
	// QuietCached leaves jars that were already in the cache out of the
	// progress lines.
	QuietCached bool
	// Client does the HTTP requests (a client with the default transport,
	// which honours HTTPS_PROXY).
	Client *http.Client
}

func (o Options) withDefaults() Options {
	if o.Repo == "" {
		o.Repo = DefaultRepo
	}
	if o.Jobs <= 0 {
		o.Jobs = 8
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 10 * time.Minute
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 30 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	return o
}

// Jar is one jar of a fetched list.
type Jar struct {
	Coord   Coord
	Path    string // absolute
	Size    int64
	SHA256  string // lower-case hex
	Fetched bool   // false when the cached copy was used
}

// Result is what Fetch did.
type Result struct {
	Dir     string // absolute jar directory
	Jars    []Jar  // in list order
	Fetched int    // jars downloaded or copied from the offline directory
	Cached  int    // jars already in Dir, verified
	Bytes   int64  // bytes fetched
	Locked  int    // entries added to the lock file
}

// Classpath returns the jars' paths in list order.
func (r *Result) Classpath() []string {
	cp := make([]string, len(r.Jars))
	for i, j := range r.Jars {
		cp[i] = j.Path
	}
	return cp
}

// Fetch makes sure every jar of l is in o.Dir and verified, and returns
// them in list order.
//
// A jar already in the directory is hashed and compared with the lock file;
// it is not fetched again. One that differs is refused with a
// *LockMismatchError that says whether the jar or its lock line changed,
// for which the source is asked once for the jar's published checksum. A missing jar is fetched and checked against the
// lock file if the lock has it, or else against the strongest checksum its
// repository publishes; only then is it renamed into place, so the
// directory never holds a partial or unverified jar, whatever interrupts
// Fetch. The lock file gets the SHA-256 of every jar it did not have, and
// is written when Fetch returns, even after an error: the entries it gained
// were verified.
//
// The first failing jar cancels the rest. The errors are returned joined;
// each wraps a sentinel (ErrNotFound, ErrChecksum, ErrNoChecksum,
// ErrLockMismatch, ErrAccess) when one applies, and ctx's error if ctx
// ended first.
func Fetch(ctx context.Context, l *List, o Options) (*Result, error) {
	o = o.withDefaults()
	if o.Dir == "" || o.Lock == "" {
		return nil, errors.New("jars: Options.Dir and Options.Lock are required")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("jars: %w", err)
	}
	lock, err := ReadLock(o.Lock)
	if err != nil {
		return nil, err
	}
	prog := &progress{w: o.Progress, total: len(l.Jars), quietCached: o.QuietCached}
	var src, recheck source
	if o.Offline != "" {
		info, err := os.Stat(o.Offline)
		if err != nil || !info.IsDir() {
			return nil, fmt.Errorf("jars: offline directory %s: not a directory", o.Offline)
		}
		src = dirSource{dir: o.Offline}
		recheck = src
	} else {
		m, err := newMavenSource(&o, prog)
		if err != nil {
			return nil, err
		}
		src, recheck = m, m.once()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("jars: creating the jar directory: %w", err)
	}
	removeStale(dir, time.Now())

	f := &fetcher{dir: dir, lock: lock, src: src, recheck: recheck, caller: ctx, o: &o, prog: prog, list: l}
	res := &Result{Dir: dir, Jars: make([]Jar, len(l.Jars))}
	errs := make([]error, len(l.Jars))
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(o.Jobs, len(l.Jars)) {
		wg.Go(func() {
			for i := range next {
				j, err := f.one(wctx, l.Jars[i])
				if err != nil {
					errs[i] = err
					cancel()
					continue
				}
				res.Jars[i] = j
				prog.done(j)
			}
		})
	}
feed:
	for i := range l.Jars {
		select {
		case next <- i:
		case <-wctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()

	var failed []error
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			failed = append(failed, err)
		}
	}
	if lock.Added() > 0 {
		if err := lock.Write(); err != nil {
			failed = append(failed, err)
		}
	}
	for _, err := range failed {
		var le *LockMismatchError
		if errors.As(err, &le) {
			le.Line = lock.Line(le.Coord) // as the file reads now, after the write
		}
	}
	if len(failed) == 0 && ctx.Err() != nil {
		return nil, fmt.Errorf("jars: interrupted: %w", ctx.Err())
	}
	if len(failed) > 0 {
		return nil, errors.Join(failed...)
	}
	for _, j := range res.Jars {
		if j.Fetched {
			res.Fetched++
			res.Bytes += j.Size
		} else {
			res.Cached++
		}
	}
	res.Locked = lock.Added()
	return res, nil
}

type fetcher struct {
	dir  string
	lock *Lock
	src  source
	// recheck is src asked once and quietly, to tell what changed when a
	// cached jar differs from the lock.
	recheck source
	// caller is Fetch's context. A recheck runs on when another jar has
	// failed, which cancels the context of the other jars, so that each
	// error says what changed; it stops only when the caller gives up.
	caller context.Context
	o      *Options
	prog   *progress
	list   *List
}

// one makes sure one jar is in place and verified.
func (f *fetcher) one(ctx context.Context, c Coord) (Jar, error) {
	path := filepath.Join(f.dir, c.FileName())
	j := Jar{Coord: c, Path: path}
	want, locked := f.lock.Sum(c)

	size, sums, err := hashFile(path)
	if err == nil {
		j.Size, j.SHA256 = size, sums["sha256"]
		if locked {
			if j.SHA256 != want {
				return j, f.cachedMismatch(c, path, want, sums)
			}
			return j, nil
		}
		// Cached but new to this lock file (another project's cache, or
		// a lock file deleted): the repository vouches for it, as for a
		// download.
		p, err := f.published(ctx, c)
		if err != nil {
			return j, err
		}
		if p.sum != "" && sums[p.algo] != p.sum {
			return j, &ChecksumError{Coord: c, Algo: p.algo, Want: p.sum, Got: sums[p.algo], From: p.from, Cached: path}
		}
		f.lock.add(c, j.SHA256)
		return j, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return j, fmt.Errorf("jars: %s: reading the cached jar: %w", c, err)
	}

	tmp, err := atomicfile.Create(f.dir, c.FileName())
	if err != nil {
		return j, fmt.Errorf("jars: %s: %w", c, err)
	}
	s := newSink(tmp)
	// The jar comes first, so that a wrong coordinate is reported as the
	// jar's 404 rather than as missing checksums.
	from, err := f.src.fetch(ctx, c, s)
	if err != nil {
		atomicfile.Discard(tmp)
		return j, err
	}
	// A locked jar is checked against the lock only: the lock is the
	// stronger promise, and it needs no checksum files (an offline
	// directory of bare jars works).
	var p published
	if !locked {
		if p, err = f.published(ctx, c); err != nil {
			atomicfile.Discard(tmp)
			return j, err
		}
	}
	sums = s.d.sums()
	switch {
	case locked && sums["sha256"] != want:
		atomicfile.Discard(tmp)
		return j, &LockMismatchError{Coord: c, Lock: f.lock.Path, Want: want, Got: sums["sha256"], From: from}
	case !locked && p.sum != "" && sums[p.algo] != p.sum:
		atomicfile.Discard(tmp)
		return j, &ChecksumError{Coord: c, Algo: p.algo, Want: p.sum, Got: sums[p.algo], From: p.from}
	}
	if err := ctx.Err(); err != nil {
		atomicfile.Discard(tmp)
		return j, err
	}
	if err := atomicfile.Commit(tmp, path, 0o644); err != nil {
		return j, fmt.Errorf("jars: %s: saving the jar: %w", c, err)
	}
	f.lock.add(c, sums["sha256"])
	j.Size, j.SHA256, j.Fetched = s.n, sums["sha256"], true
	return j, nil
}

// cachedMismatch reports a cached jar that differs from its lock line, and
// which of the two changed when the source's published checksum, which the
// line was written from, can tell: the lock file holds only the SHA-256.
// The source is asked once, for no longer than the idle timeout: this is
// only the wording of an error.
func (f *fetcher) cachedMismatch(c Coord, path, want string, sums map[string]string) error {
	e := &LockMismatchError{Coord: c, Lock: f.lock.Path, Want: want, Got: sums["sha256"], Cached: path}
	ctx, cancel := context.WithTimeout(f.caller, f.o.IdleTimeout)
	defer cancel()
	p, err := f.recheck.checksum(ctx, c)
	switch {
	case errors.Is(err, context.DeadlineExceeded) && f.caller.Err() == nil:
		e.Unchecked = fmt.Errorf("no answer within %v", f.o.IdleTimeout)
	case err != nil:
		e.Unchecked = err
	case sums[p.algo] == p.sum:
		e.Changed = ChangedLock
	default:
		e.Changed = ChangedJar
	}
	if err == nil {
		e.Algo, e.Published, e.PublishedFrom = p.algo, p.sum, p.from
	}
	return e
}

// published returns the checksum to verify c against: its pin in the
// jar list if it has one, else the source's. With AllowMissingChecksum, a
// missing one is reported and yields an empty sum.
func (f *fetcher) published(ctx context.Context, c Coord) (published, error) {
	if pin, ok := f.list.SHA256[c]; ok {
		return published{algo: "sha256", sum: pin, from: "the pin in " + f.list.Name}, nil
	}
	p, err := f.src.checksum(ctx, c)
	if errors.Is(err, ErrNoChecksum) {
		if f.o.AllowMissingChecksum {
			f.prog.printf("        %s: no checksum published; accepted unverified (-allow-missing-checksum)\n", c)
			return published{}, nil
		}
		return p, fmt.Errorf("%w: give -allow-missing-checksum to accept it unverified (the lock file then pins what was received)", err)
	}
	return p, err
}

// progress prints one line per finished jar and one per retry.
type progress struct {
	mu          sync.Mutex
	w           io.Writer
	n, total    int
	quietCached bool
}

func (p *progress) printf(format string, args ...any) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

func (p *progress) done(j Jar) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.quietCached && !j.Fetched {
		return
	}
	how := "cached"
	if j.Fetched {
		how = "fetched"
	}
	width := len(fmt.Sprint(p.total))
	fmt.Fprintf(p.w, "[%*d/%d] %-7s %9s  %s\n", width, p.n, p.total, how, Size(j.Size), j.Coord)
}

func (p *progress) retry(c Coord, u string, err error, wait time.Duration, attempt, of int) {
	msg := err.Error()
	if !strings.Contains(msg, u) {
		msg += " from " + u
	}
	p.printf("        %s: %s; attempt %d of %d in %v\n", c, msg, attempt, of, wait.Round(time.Millisecond))
}

// Size formats a byte count for people: 512 B, 3.4 KiB, 12.0 MiB.
func Size(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}
