package jars

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultRepo is Maven Central.
const DefaultRepo = "https://repo.maven.apache.org/maven2"

// mavenSource fetches from a repository with the standard Maven layout:
// Maven Central, a mirror, Artifactory or Nexus.
type mavenSource struct {
	base   string        // scheme://host/path with no credentials and no trailing slash
	user   *url.Userinfo // credentials from the URL, sent as basic auth; never printed
	client *http.Client
	o      *Options
	prog   *progress
}

// parseRepo splits a repository URL into the URL that may be shown and the
// credentials that must not be.
func parseRepo(repo string) (string, *url.Userinfo, error) {
	u, err := url.Parse(repo)
	if err != nil {
		// url.Parse's error repeats the URL, credentials included.
		return "", nil, errors.New("jars: the repository URL does not parse (not shown, as it may hold credentials): want https://host/path")
	}
	user := u.User
	u.User = nil
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", nil, fmt.Errorf("jars: repository URL %s: want http(s)://host/path, with no query; use -offline for a local directory", u.Redacted())
	}
	return strings.TrimSuffix(u.String(), "/"), user, nil
}

// RedactURL returns a repository URL without the credentials it may hold,
// for messages.
func RedactURL(repo string) string {
	base, _, err := parseRepo(repo)
	if err != nil {
		return "(an unparsable URL)"
	}
	return base
}

func newMavenSource(o *Options, prog *progress) (*mavenSource, error) {
	base, user, err := parseRepo(o.Repo)
	if err != nil {
		return nil, err
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	return &mavenSource{base: base, user: user, client: client, o: o, prog: prog}, nil
}

func (m *mavenSource) url(c Coord) string { return m.base + "/" + c.RepoPath() }

func (m *mavenSource) checksum(ctx context.Context, c Coord) (published, error) {
	for _, a := range algos {
		u := m.url(c) + "." + a.name
		var buf bytes.Buffer
		lw := &limitWriter{w: &buf, n: 4 << 10}
		err := m.get(ctx, c, u, lw, func() error { buf.Reset(); lw.n = 4 << 10; return nil })
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return published{}, err
		}
		sum, ok := parseChecksum(buf.Bytes(), a.name, a.size)
		if !ok {
			return published{}, fmt.Errorf("jars: %s: %s holds no %s digest: the repository or mirror is not serving checksum files", c, u, a.name)
		}
		return published{algo: a.name, sum: sum, from: u}, nil
	}
	return published{}, fmt.Errorf("jars: %s: %w at %s.sha512, .sha256 or .sha1", c, ErrNoChecksum, m.url(c))
}

func (m *mavenSource) fetch(ctx context.Context, c Coord, s *sink) (string, error) {
	u := m.url(c)
	if err := m.get(ctx, c, u, s, s.reset); err != nil {
		if errors.Is(err, ErrNotFound) {
			return "", fmt.Errorf("jars: %s: %w at %s: the coordinate is wrong in the jar list, or the repository or mirror does not have it", c, err, u)
		}
		return "", err
	}
	return u, nil
}

// retryable is a failed attempt that another attempt may fix.
type retryable struct {
	err   error
	after time.Duration // the server's Retry-After, if any
}

func (r *retryable) Error() string { return r.err.Error() }

// get downloads u into w with retries. reset empties w before a retry.
// Errors that are not worth retrying (404, 401, 403, other 4xx, a failed
// write) end it at once; a 404 wraps ErrNotFound with no message of its
// own, for the caller to explain.
func (m *mavenSource) get(ctx context.Context, c Coord, u string, w io.Writer, reset func() error) error {
	for attempt := 1; ; attempt++ {
		err := m.attempt(ctx, u, w)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var r *retryable
		if !errors.As(err, &r) {
			if errors.Is(err, ErrNotFound) {
				return err
			}
			return fmt.Errorf("jars: %s: %s: %w", c, u, err)
		}
		if attempt >= m.o.Attempts {
			return fmt.Errorf("jars: %s: %s: %v (gave up after %d attempts)", c, u, r.err, attempt)
		}
		wait := m.backoff(attempt, r.after)
		m.prog.retry(c, u, r.err, wait, attempt+1, m.o.Attempts)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		if err := reset(); err != nil {
			return fmt.Errorf("jars: %s: %w", c, err)
		}
	}
}

// backoff doubles from Options.Backoff with each attempt, plus up to a
// quarter of jitter so that parallel downloads do not retry in step, and
// honours a longer Retry-After; both are capped at Options.MaxBackoff.
func (m *mavenSource) backoff(attempt int, after time.Duration) time.Duration {
	d := m.o.Backoff << (attempt - 1)
	if d <= 0 || d > m.o.MaxBackoff {
		d = m.o.MaxBackoff
	}
	if q := int64(d / 4); q > 0 {
		d += time.Duration(rand.Int64N(q))
	}
	d = max(d, after)
	return min(d, m.o.MaxBackoff)
}

// attempt is one GET of u into w. It is bounded by Options.AttemptTimeout
// as a whole and by Options.IdleTimeout between any two pieces of the
// answer, so that a server that stalls mid-body does not hang it.
func (m *mavenSource) attempt(ctx context.Context, u string, w io.Writer) error {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	tctx, tcancel := context.WithTimeoutCause(actx, m.o.AttemptTimeout,
		fmt.Errorf("no complete answer within %v", m.o.AttemptTimeout))
	defer tcancel()
	stalled := fmt.Errorf("stalled: no data for %v", m.o.IdleTimeout)
	idle := time.AfterFunc(m.o.IdleTimeout, func() { cancel(stalled) })
	defer idle.Stop()

	req, err := http.NewRequestWithContext(tctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if m.user != nil {
		pw, _ := m.user.Password()
		req.SetBasicAuth(m.user.Username(), pw)
	}
	req.Header.Set("User-Agent", "kcl-go-jars")
	resp, err := m.client.Do(req)
	if err != nil {
		return transportError(ctx, tctx, err)
	}
	defer resp.Body.Close()
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
	case code == http.StatusNotFound || code == http.StatusGone:
		return fmt.Errorf("%w (HTTP %s)", ErrNotFound, resp.Status)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("%w (HTTP %s): check the credentials in the repository URL (user:password@host)", ErrAccess, resp.Status)
	case code == http.StatusTooManyRequests || code >= 500:
		return &retryable{err: fmt.Errorf("HTTP %s", resp.Status), after: retryAfter(resp.Header.Get("Retry-After"))}
	default:
		return fmt.Errorf("unexpected HTTP %s", resp.Status)
	}
	idle.Reset(m.o.IdleTimeout)
	ew := &errWriter{w: w}
	if _, err := io.Copy(ew, idleReader{resp.Body, idle, m.o.IdleTimeout}); err != nil {
		if ew.err != nil {
			return ew.err
		}
		return transportError(ctx, tctx, err)
	}
	return nil
}

// transportError classifies a failed request or body read: retryable,
// unless the caller's own context is done.
func transportError(parent, attempt context.Context, err error) error {
	if parent.Err() != nil {
		return parent.Err()
	}
	if cause := context.Cause(attempt); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
		return &retryable{err: cause}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is in the message already
	}
	return &retryable{err: err}
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return time.Until(t)
	}
	return 0
}

// idleReader re-arms the stall timer whenever data arrives.
type idleReader struct {
	r io.Reader
	t *time.Timer
	d time.Duration
}

func (r idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.t.Reset(r.d)
	}
	return n, err
}

// errWriter remembers a write error, which no retry fixes (a full disk),
// apart from read errors, which one may.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

// limitWriter fails once more than n bytes are written: a checksum file is
// a few dozen bytes, and anything much larger is not one.
type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.n {
		return 0, errors.New("larger than a checksum file can be")
	}
	l.n -= len(p)
	return l.w.Write(p)
}
