// Package jarstest serves a fake Maven repository for tests of code that
// fetches KCL jars: small fake jars with correct checksum files, and faults
// (an HTTP status, a stall) injected per path.
package jarstest

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kclgo/mld/internal/jars"
)

// Content is the fake jar served for c: a few KiB, different for every
// coordinate.
func Content(c jars.Coord) []byte {
	head := "PK\x03\x04 fake jar " + c.String() + "\n"
	return []byte(head + strings.Repeat(c.Artifact+" ", 4096/(len(c.Artifact)+1)))
}

// Fault answers one request in place of the repository. body is the file
// the repository would have served (nil if it has none).
type Fault func(r *Repo, w http.ResponseWriter, req *http.Request, body []byte)

// Status answers with an HTTP status and no body.
func Status(code int) Fault {
	return func(_ *Repo, w http.ResponseWriter, _ *http.Request, _ []byte) {
		http.Error(w, http.StatusText(code), code)
	}
}

// RetryAfter answers 429 with a Retry-After header of secs seconds.
func RetryAfter(secs int) Fault {
	return func(_ *Repo, w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		http.Error(w, "slow down", http.StatusTooManyRequests)
	}
}

// StallBody sends the headers and half the body, then sends nothing more
// until the client gives up. Stalls reports each one as it starts.
func StallBody() Fault {
	return func(r *Repo, w http.ResponseWriter, req *http.Request, body []byte) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		r.stalls <- req.URL.Path
		<-req.Context().Done()
	}
}

// StallHeaders sends nothing at all until the client gives up.
func StallHeaders() Fault {
	return func(r *Repo, _ http.ResponseWriter, req *http.Request, _ []byte) {
		r.stalls <- req.URL.Path
		<-req.Context().Done()
	}
}

// Repo is a fake Maven repository. Its URL is Server.URL.
type Repo struct {
	Server *httptest.Server

	mu     sync.Mutex
	files  map[string][]byte  // path without the leading slash
	faults map[string][]Fault // served in order to the next requests of a path
	hits   map[string]int
	user   string
	pass   string
	stalls chan string
}

// NewRepo serves every coordinate given with Content, a .sha1 and a
// .sha256 file. The server is closed when the test ends.
func NewRepo(t testing.TB, coords ...jars.Coord) *Repo {
	r := &Repo{
		files:  map[string][]byte{},
		faults: map[string][]Fault{},
		hits:   map[string]int{},
		stalls: make(chan string, 1000),
	}
	for _, c := range coords {
		r.Add(c, Content(c), "sha1", "sha256")
	}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Server.Close)
	return r
}

// URL is the repository's base URL.
func (r *Repo) URL() string { return r.Server.URL }

// Add serves content as c's jar, with a checksum file for each algorithm
// named ("sha1", "sha256"), computed from content.
func (r *Repo) Add(c jars.Coord, content []byte, algos ...string) {
	p := c.RepoPath()
	r.Set(p, content)
	for _, a := range algos {
		r.Set(p+"."+a, []byte(Checksum(content, a)+"\n"))
	}
}

// Checksum is the hex digest of data with "sha1", "sha256" or "sha512".
func Checksum(data []byte, algo string) string {
	switch algo {
	case "sha1":
		s := sha1.Sum(data)
		return hex.EncodeToString(s[:])
	case "sha256":
		s := sha256.Sum256(data)
		return hex.EncodeToString(s[:])
	case "sha512":
		s := sha512.Sum512(data)
		return hex.EncodeToString(s[:])
	}
	panic("jarstest: unknown algorithm " + algo)
}

// Set serves data at path (relative to the repository's root); nil data
// removes the file.
func (r *Repo) Set(path string, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if data == nil {
		delete(r.files, path)
		return
	}
	r.files[path] = data
}

// Fail makes the next requests of path (relative to the root) get faults,
// one per request, in order; later requests are served normally.
func (r *Repo) Fail(path string, faults ...Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults[path] = append(r.faults[path], faults...)
}

// Hits is how many requests path (relative to the root) received.
func (r *Repo) Hits(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[path]
}

// RequireAuth makes every request without these basic auth credentials
// get 401.
func (r *Repo) RequireAuth(user, pass string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.user, r.pass = user, pass
}

// Stalls receives the path of each request that a stall fault holds, when
// the stall starts.
func (r *Repo) Stalls() <-chan string { return r.stalls }

func (r *Repo) serve(w http.ResponseWriter, req *http.Request) {
	p := strings.TrimPrefix(req.URL.Path, "/")
	r.mu.Lock()
	r.hits[p]++
	body, ok := r.files[p]
	var fault Fault
	if fs := r.faults[p]; len(fs) > 0 {
		fault, r.faults[p] = fs[0], fs[1:]
	}
	user, pass := r.user, r.pass
	r.mu.Unlock()
	if user != "" {
		if u, pw, ok := req.BasicAuth(); !ok || u != user || pw != pass {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	if fault != nil {
		fault(r, w, req, body)
		return
	}
	if !ok {
		http.NotFound(w, req)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// WriteDir writes every coordinate's Content into dir as an offline jar
// directory: flat (dir/artifact-version.jar) or, with layout, in the Maven
// layout. Each jar gets a file per checksum algorithm named.
func WriteDir(t testing.TB, dir string, layout bool, coords []jars.Coord, algos ...string) {
	t.Helper()
	for _, c := range coords {
		p := filepath.Join(dir, c.FileName())
		if layout {
			p = filepath.Join(dir, filepath.FromSlash(c.RepoPath()))
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		data := Content(c)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, a := range algos {
			if err := os.WriteFile(p+"."+a, []byte(fmt.Sprintf("%s  %s\n", Checksum(data, a), c.FileName())), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
