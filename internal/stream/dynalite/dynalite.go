// Package dynalite installs and runs dynalite, an in-memory Amazon
// DynamoDB emulator on Node.js, so that the Java MultiLangDaemon can keep
// its leases on this machine. It needs node and npm on PATH: Install puts
// dynalite (a pinned version) into a cache directory once, and Start runs
// it on a free port of the loopback interface until Stop.
//
//	dir, err := dynalite.Install(ctx, os.Stderr)
//	srv, err := dynalite.Start(ctx, dir, dynalite.Options{})
//	defer srv.Stop()
//	err = dynalite.CreateKCLTables(ctx, srv.Client(), "orders")
//	leases, err := dynalite.Leases(ctx, srv.Client(), "orders")
//
// ForTest does all of this for a test, and skips it when Node.js is
// missing, unless the CI environment variable is set.
package dynalite

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
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Version is the dynalite release Install installs. 4.x needs Node.js 20
// or later.
const Version = "4.0.0"

// ErrNoNode is wrapped by the errors of Install and Start when node or npm
// is not on PATH.
var ErrNoNode = errors.New("node and npm are needed to run dynalite")

// DirEnv names an environment variable that, when set, is the directory
// to install dynalite into (or find it in) instead of the user cache.
const DirEnv = "DYNALITE_DIR"

// DefaultDir returns where Install puts dynalite: $DYNALITE_DIR, or
// kcl-go/dynalite-<Version> under the user cache directory.
func DefaultDir() (string, error) {
	if d := os.Getenv(DirEnv); d != "" {
		return d, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("dynalite: no cache directory (%v): set %s", err, DirEnv)
	}
	return filepath.Join(cache, "kcl-go", "dynalite-"+Version), nil
}

// installed reports whether dir holds dynalite Version.
func installed(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "dynalite", "package.json"))
	if err != nil {
		return false
	}
	var pkg struct{ Version string }
	return json.Unmarshal(b, &pkg) == nil && pkg.Version == Version
}

// Install makes sure dynalite Version is installed in DefaultDir and
// returns that directory. A previous install is reused; otherwise it runs
// npm install, telling progress to log. Install scripts are off: the only
// one, of classic-level (dynalite's LevelDB store for -path), picks or
// builds a native binary that the in-memory store never loads. The install
// goes to a temporary directory that is then renamed, so concurrent or
// interrupted installs never leave a broken one.
func Install(ctx context.Context, log io.Writer) (string, error) {
	dir, err := DefaultDir()
	if err != nil {
		return "", err
	}
	if installed(dir) {
		return dir, nil
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 && !installed(dir) {
		return "", fmt.Errorf("dynalite: %s holds something other than dynalite %s; remove it, or set %s to another directory", dir, Version, DirEnv)
	}
	if err := checkNode(); err != nil {
		return "", err
	}
	if log == nil {
		log = io.Discard
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("dynalite: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".dynalite-install-")
	if err != nil {
		return "", fmt.Errorf("dynalite: %w", err)
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(log, "dynalite: installing dynalite@%s into %s with npm\n", Version, dir)
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", tmp, "--no-audit", "--no-fund", "--no-save",
		"--ignore-scripts", "--loglevel=error", "dynalite@"+Version)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("dynalite: npm install dynalite@%s failed (%v); is the npm registry reachable?\n%s", Version, err, out.Bytes())
	}
	if !installed(tmp) {
		return "", fmt.Errorf("dynalite: npm install dynalite@%s did not install it:\n%s", Version, out.Bytes())
	}
	// An empty directory in the way (one made for DYNALITE_DIR, say) is
	// replaced; os.Remove leaves a non-empty one alone.
	os.Remove(dir)
	if err := os.Rename(tmp, dir); err != nil {
		if installed(dir) {
			return dir, nil // installed concurrently
		}
		return "", fmt.Errorf("dynalite: %s holds something other than dynalite %s; remove it, or set %s to another directory: %w", dir, Version, DirEnv, err)
	}
	return dir, nil
}

func checkNode() error {
	for _, name := range []string{"node", "npm"} {
		if _, err := exec.LookPath(name); err != nil {
			return fmt.Errorf("dynalite: %s not found on PATH: %w; install Node.js 20 or later", name, ErrNoNode)
		}
	}
	return nil
}

// Options tune the emulator. Zero values mean 10 ms in CREATING, DELETING
// and UPDATING rather than dynalite's 500 ms: nothing here needs to watch
// a table change state, and the daemon's own waits for a table poll every
// few seconds.
type Options struct {
	CreateTableMs int
	DeleteTableMs int
	UpdateTableMs int
}

// Server is a running dynalite.
type Server struct {
	// URL is the endpoint, such as http://127.0.0.1:41231, for
	// dynamoDBEndpoint.
	URL string

	cmd      *exec.Cmd
	stdin    io.WriteCloser
	exited   chan struct{}
	stopOnce sync.Once
	stderr   lockedBuffer
}

// launcher runs dynalite on 127.0.0.1 only (its command line binds every
// interface unless told otherwise) on a port the system picks, prints the
// port, and exits when its stdin closes, so that it dies with the process
// that started it.
//
// dynalite's request handler rethrows a request's errors, as kinesalite's
// does, so a client hanging up in the middle of a request would end the
// process under every other client; the launcher swaps that listener for
// one that drops the request.
const launcher = `
const path = require('path');
const dynalite = require(path.join(process.argv[1], 'node_modules', 'dynalite'));
const server = dynalite(JSON.parse(process.argv[2]));
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

// Start runs the dynalite installed in dir (see Install) and waits until
// it answers requests.
func Start(ctx context.Context, dir string, opts Options) (*Server, error) {
	if err := checkNode(); err != nil {
		return nil, err
	}
	o := map[string]int{"createTableMs": 10, "deleteTableMs": 10, "updateTableMs": 10}
	for k, v := range map[string]int{"createTableMs": opts.CreateTableMs, "deleteTableMs": opts.DeleteTableMs,
		"updateTableMs": opts.UpdateTableMs} {
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
		return nil, fmt.Errorf("dynalite: starting node: %w", err)
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
			return nil, fmt.Errorf("dynalite: it did not start: %s", s.stderr.String())
		}
		s.URL = "http://127.0.0.1:" + p
	case <-ctx.Done():
		s.Stop()
		return nil, fmt.Errorf("dynalite: no port within 30s: %s", s.stderr.String())
	}
	// It listens; make sure it answers.
	client := s.Client()
	for {
		_, err := client.ListTables(ctx, &dynamodb.ListTablesInput{})
		if err == nil {
			return s, nil
		}
		select {
		case <-ctx.Done():
			s.Stop()
			return nil, fmt.Errorf("dynalite: not answering at %s: %v", s.URL, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Client returns a DynamoDB client for the server, with dummy credentials
// and region: dynalite accepts any.
func (s *Server) Client() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
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

// Stderr returns what dynalite wrote to its stderr so far.
func (s *Server) Stderr() string { return s.stderr.String() }

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
