// Package kinesalite installs and runs kinesalite, an in-memory Amazon
// Kinesis emulator on Node.js, for the end-to-end tests and the local
// demo. It needs node and npm on PATH: Install puts kinesalite (a pinned
// version) into a cache directory once, and Start runs it on a free port of
// the loopback interface until Stop.
//
//	dir, err := kinesalite.Install(ctx, os.Stderr)
//	srv, err := kinesalite.Start(ctx, dir, kinesalite.Options{})
//	defer srv.Stop()
//	err = kinesalite.CreateStream(ctx, srv.Client(), "orders", 4)
//
// ForTest does all of this for a test, and skips it when Node.js is
// missing, unless the CI environment variable is set.
package kinesalite

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/kclgo/mld/internal/stream"
)

// Version is the kinesalite release Install installs.
const Version = "3.3.3"

// ErrNoNode is wrapped by the errors of Install and Start when node or npm
// is not on PATH.
var ErrNoNode = errors.New("node and npm are needed to run kinesalite")

// DirEnv names an environment variable that, when set, is the directory
// to install kinesalite into (or find it in) instead of the user cache.
const DirEnv = "KINESALITE_DIR"

// DefaultDir returns where Install puts kinesalite: $KINESALITE_DIR, or
// kcl-go/kinesalite-<Version> under the user cache directory.
func DefaultDir() (string, error) {
	if d := os.Getenv(DirEnv); d != "" {
		return d, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("kinesalite: no cache directory (%v): set %s", err, DirEnv)
	}
	return filepath.Join(cache, "kcl-go", "kinesalite-"+Version), nil
}

// installed reports whether dir holds kinesalite Version.
func installed(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "kinesalite", "package.json"))
	if err != nil {
		return false
	}
	var pkg struct{ Version string }
	return json.Unmarshal(b, &pkg) == nil && pkg.Version == Version
}

// Install makes sure kinesalite Version is installed in DefaultDir and
// returns that directory. A previous install is reused; otherwise it runs
// npm install (with install scripts off: kinesalite's optional LevelDB
// backend needs a compiler, and the in-memory store does not), telling
// progress to log. The install goes to a temporary directory that is then
// renamed, so concurrent or interrupted installs never leave a broken one.
func Install(ctx context.Context, log io.Writer) (string, error) {
	dir, err := DefaultDir()
	if err != nil {
		return "", err
	}
	if installed(dir) {
		return dir, nil
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 && !installed(dir) {
		return "", fmt.Errorf("kinesalite: %s holds something other than kinesalite %s; remove it, or set %s to another directory", dir, Version, DirEnv)
	}
	if err := checkNode(); err != nil {
		return "", err
	}
	if log == nil {
		log = io.Discard
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("kinesalite: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".kinesalite-install-")
	if err != nil {
		return "", fmt.Errorf("kinesalite: %w", err)
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(log, "kinesalite: installing kinesalite@%s into %s with npm\n", Version, dir)
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", tmp, "--no-audit", "--no-fund", "--no-save",
		"--ignore-scripts", "--loglevel=error", "kinesalite@"+Version)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("kinesalite: npm install kinesalite@%s failed (%v); is the npm registry reachable?\n%s", Version, err, out.Bytes())
	}
	if !installed(tmp) {
		return "", fmt.Errorf("kinesalite: npm install kinesalite@%s did not install it:\n%s", Version, out.Bytes())
	}
	// An empty directory in the way (one made for KINESALITE_DIR, say) is
	// replaced; os.Remove leaves a non-empty one alone.
	os.Remove(dir)
	if err := os.Rename(tmp, dir); err != nil {
		if installed(dir) {
			return dir, nil // installed concurrently
		}
		return "", fmt.Errorf("kinesalite: %s holds something other than kinesalite %s; remove it, or set %s to another directory: %w", dir, Version, DirEnv, err)
	}
	return dir, nil
}

func checkNode() error {
	for _, name := range []string{"node", "npm"} {
		if _, err := exec.LookPath(name); err != nil {
			return fmt.Errorf("kinesalite: %s not found on PATH: %w; install Node.js 18 or later", name, ErrNoNode)
		}
	}
	return nil
}

// Options tune the emulator. Zero values mean kinesalite's defaults
// (500 ms in CREATING, DELETING and UPDATING, and 10 shards per account).
type Options struct {
	CreateStreamMs int
	UpdateStreamMs int
	DeleteStreamMs int
	ShardLimit     int
}

// Server is a running kinesalite.
type Server struct {
	// URL is the endpoint, such as http://127.0.0.1:41231, for
	// kinesisEndpoint.
	URL string

	cmd      *exec.Cmd
	stdin    io.WriteCloser
	exited   chan struct{}
	stopOnce sync.Once
	stderr   lockedBuffer
}

// launcher runs kinesalite on 127.0.0.1 only (its command line binds every
// interface) on a port the system picks, prints the port, and exits when
// its stdin closes, so that it dies with the process that started it.
//
// kinesalite's request handler rethrows the errors of a request, so a
// client hanging up before it has sent the whole body (as kcl local does
// when a signal cancels a call) would end the process under every other
// client. The launcher wraps the handler and swaps that listener for one
// that drops the request.
const launcher = `
const path = require('path');
const kinesalite = require(path.join(process.argv[1], 'node_modules', 'kinesalite'));
const server = kinesalite(JSON.parse(process.argv[2]));
const handle = server.listeners('request');
server.removeAllListeners('request');
server.on('request', (req, res) => {
  for (const h of handle) h(req, res);
  req.removeAllListeners('error');
  req.on('error', () => res.destroy());
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
`

// Start runs the kinesalite installed in dir (see Install) and waits until
// it answers requests.
func Start(ctx context.Context, dir string, opts Options) (*Server, error) {
	if err := checkNode(); err != nil {
		return nil, err
	}
	o := map[string]int{}
	for k, v := range map[string]int{"createStreamMs": opts.CreateStreamMs, "updateStreamMs": opts.UpdateStreamMs,
		"deleteStreamMs": opts.DeleteStreamMs, "shardLimit": opts.ShardLimit} {
		if v > 0 {
			o[k] = v
		}
	}
	optJSON, _ := json.Marshal(o)
	cmd := exec.Command("node", "-e", launcher, dir, string(optJSON))
	isolate(cmd)
	s := &Server{cmd: cmd, exited: make(chan struct{})}
	cmd.Stderr = &s.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("kinesalite: starting node: %w", err)
	}
	s.stdin = stdin
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				port <- p
			}
		}
		close(port)
	}()
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	select {
	case p, ok := <-port:
		if _, err := strconv.Atoi(p); !ok || err != nil {
			s.Stop()
			return nil, fmt.Errorf("kinesalite: it did not start: %s", s.stderr.String())
		}
		s.URL = "http://127.0.0.1:" + p
	case <-ctx.Done():
		s.Stop()
		return nil, fmt.Errorf("kinesalite: no port within 30s: %s", s.stderr.String())
	}
	// It listens; make sure it answers.
	client := s.Client()
	for {
		_, err := client.ListStreams(ctx, &kinesis.ListStreamsInput{})
		if err == nil {
			return s, nil
		}
		select {
		case <-ctx.Done():
			s.Stop()
			return nil, fmt.Errorf("kinesalite: not answering at %s: %v", s.URL, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Client returns a Kinesis client for the server.
func (s *Server) Client() *kinesis.Client {
	c, _ := stream.NewClient(context.Background(), "", s.URL) // cannot fail for a local endpoint
	return c
}

// Stop ends the server: it closes its stdin and, if it has not exited a
// few seconds later, kills its process group. It is safe to call more
// than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.stdin.Close()
		select {
		case <-s.exited:
		case <-time.After(3 * time.Second):
			kill(s.cmd)
			<-s.exited
		}
	})
	return nil
}

// Exited reports whether the server process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// CreateStream creates a stream with n shards and waits until it is
// ACTIVE.
func CreateStream(ctx context.Context, client *kinesis.Client, name string, n int) error {
	_, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(int32(n))})
	if err != nil {
		return fmt.Errorf("kinesalite: creating stream %s: %w", name, err)
	}
	return WaitActive(ctx, client, name)
}

// WaitActive waits, for at most 30 seconds, until the stream is ACTIVE, as
// it is again some time after a SplitShard or MergeShards.
func WaitActive(ctx context.Context, client *kinesis.Client, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		out, err := client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err == nil && out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kinesalite: stream %s not ACTIVE within 30s (last error: %v)", name, err)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
