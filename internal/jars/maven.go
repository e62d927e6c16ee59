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
	base   string        // scheme://host/path with no credentials and no trailing slash, for requests
	shown  string        // base as RedactURL shows it, for messages
	user   *url.Userinfo // credentials from the URL, sent as basic auth; never printed
	client *http.Client
	o      *Options
	prog   *progress
}

// parseRepo splits a repository URL into the URL that requests go to, the
// same URL as messages show it, and the credentials.
func parseRepo(repo string) (base, shown string, user *url.Userinfo, err error) {
	u, err := url.Parse(repo)
	if err != nil {
		// url.Parse's error repeats the URL, credentials included.
		return "", "", nil, errors.New("jars: the repository URL does not parse (not shown, as it may hold credentials): want https://host/path")
	}
	if u.Host == "" || u.Opaque != "" {
		return "", "", nil, errors.New("jars: the repository URL has no host (not shown, as it may hold credentials): want http(s)://host/path; use -offline for a local directory")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", "", nil, fmt.Errorf("jars: repository URL %s: want http(s)://host/path, with no query or fragment; use -offline for a local directory", RedactURL(repo))
	}
	user, u.User = u.User, nil
	return strings.TrimSuffix(u.String(), "/"), strings.TrimSuffix(RedactURL(repo), "/"), user, nil
}

// redacted stands for a secret in RedactURL's result.
const redacted = "xxxxx"

// RedactURL returns a repository URL fit for messages, the one form in
// which the jars package and kcl print one. Every part that may carry a
// secret is replaced with xxxxx: the user name and the password, the value
// of each query parameter (the whole parameter when its name is not a plain
// word, as in ?TOKEN) and the fragment. The rest is kept, so that a reader
// sees where the URL points and which parts it had:
//
//	https://user:pass@host/repo?token=abc&x=1#frag
//	https://xxxxx:xxxxx@host/repo?token=xxxxx&x=xxxxx#xxxxx
//
// A URL that does not parse, or has no host (user:token@host without the
// scheme is one), is not shown at all: its secret could be anywhere in it.
func RedactURL(repo string) string {
	u, err := url.Parse(repo)
	if err != nil {
		return "(an unparsable URL)"
	}
	if u.Host == "" || u.Opaque != "" {
		return "(a URL with no host)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(redacted, redacted)
		} else {
			u.User = url.User(redacted)
		}
	}
	if u.RawQuery != "" {
		params := strings.Split(u.RawQuery, "&")
		for i, p := range params {
			name, _, ok := strings.Cut(p, "=")
			if ok && plainName(name) {
				params[i] = name + "=" + redacted
			} else if p != "" {
				params[i] = redacted
			}
		}
		u.RawQuery = strings.Join(params, "&")
	}
	if u.Fragment != "" {
		u.Fragment, u.RawFragment = redacted, ""
	}
	return u.String()
}

func newMavenSource(o *Options, prog *progress) (*mavenSource, error) {
	base, shown, user, err := parseRepo(o.Repo)
	if err != nil {
		return nil, err
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	return &mavenSource{base: base, shown: shown, user: user, client: client, o: o, prog: prog}, nil
}

// once returns m with a single attempt per request and no progress lines.
func (m *mavenSource) once() *mavenSource {
	o := *m.o
	o.Attempts = 1
	c := *m
	c.o, c.prog = &o, &progress{}
	return &c
}

// shownURL is the URL of p, a path under the repository, for messages.
func (m *mavenSource) shownURL(p string) string { return m.shown + "/" + p }

func (m *mavenSource) checksum(ctx context.Context, c Coord) (published, error) {
	for _, a := range algos {
		p := c.RepoPath() + "." + a.name
		var buf bytes.Buffer
		lw := &limitWriter{w: &buf, n: 4 << 10}
		err := m.get(ctx, c, p, lw, func() error { buf.Reset(); lw.n = 4 << 10; return nil })
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return published{}, err
		}
		sum, ok := parseChecksum(buf.Bytes(), a.name, a.size)
		if !ok {
			return published{}, fmt.Errorf("jars: %s: %s holds no %s digest: the repository or mirror is not serving checksum files", c, m.shownURL(p), a.name)
		}
		return published{algo: a.name, sum: sum, from: m.shownURL(p)}, nil
	}
	return published{}, fmt.Errorf("jars: %s: %w at %s.sha512, .sha256 or .sha1", c, ErrNoChecksum, m.shownURL(c.RepoPath()))
}

func (m *mavenSource) fetch(ctx context.Context, c Coord, s *sink) (string, error) {
	p := c.RepoPath()
	if err := m.get(ctx, c, p, s, s.reset); err != nil {
		if errors.Is(err, ErrNotFound) {
			return "", fmt.Errorf("jars: %s: %w at %s: the coordinate is wrong in the jar list, or the repository or mirror does not have it", c, err, m.shownURL(p))
		}
		return "", err
	}
	return m.shownURL(p), nil
}

// retryable is a failed attempt that another attempt may fix.
type retryable struct {
	err   error
	after time.Duration // the server's Retry-After, if any
}

func (r *retryable) Error() string { return r.err.Error() }

// get downloads p, a path under the repository, into w with retries.
// reset empties w before a retry. Errors that are not worth retrying (404,
// 401, 403, other 4xx, a failed write) end it at once; a 404 wraps
// ErrNotFound with no message of its own, for the caller to explain.
func (m *mavenSource) get(ctx context.Context, c Coord, p string, w io.Writer, reset func() error) error {
	u := m.shownURL(p)
	for attempt := 1; ; attempt++ {
		err := m.attempt(ctx, m.base+"/"+p, w)
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
