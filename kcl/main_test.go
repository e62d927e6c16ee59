package kcl_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kclgo/mld/kcl"
	"github.com/kclgo/mld/kcltest"
)

// go test ./... -update is run across the module, and a test binary fails
// on a flag it does not define.
var _ = flag.Bool("update", false, "unused: no golden files in this package")

// childEnv names the processor a re-executed test binary runs with kcl.Main
// (see children): tests of what Main does to the process (stdout, signals,
// exit status, stderr, a terminal on stdin) need a process of their own.
const childEnv = "KCL_TEST_CHILD"

// children are the processors a child process can run, by name. Each
// returns the arguments for kcl.Main.
var children = map[string]func() (kcl.Factory, []kcl.Option){}

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		child, ok := children[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "kcl_test: no child named %q\n", name)
			os.Exit(3)
		}
		factory, opts := child()
		kcl.Main(factory, opts...)
		panic("kcl.Main returned")
	}
	os.Exit(m.Run())
}

// waitTimeout bounds every wait in this package. Only a failing test waits
// that long.
const waitTimeout = 10 * time.Second

// shard is the shard id used throughout.
const shard = "shardId-000000000001"

// factoryOf returns a factory that always returns p.
func factoryOf(p kcl.Processor) kcl.Factory {
	return func(string) (kcl.Processor, error) { return p, nil }
}

// quiet drops the SDK's logs; in-process tests that check logs pass their
// own logger after it, which wins.
var quiet = kcl.WithLogger(slog.New(slog.DiscardHandler))

// logTo sends the SDK's logs, at every level, to buf.
func logTo(buf *syncBuffer) kcl.Option {
	return kcl.WithLogger(slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

// newDaemon runs kcl.Run in this process against a kcltest.Daemon, with the
// SDK's logs dropped unless opts say otherwise.
func newDaemon(t *testing.T, p kcl.Processor, opts ...kcl.Option) *kcltest.Daemon {
	t.Helper()
	return kcltest.NewDaemon(t, factoryOf(p),
		kcltest.RunOptions(append([]kcl.Option{quiet}, opts...)...),
		kcltest.Timeout(waitTimeout), kcltest.Canonical())
}

// lines renders transcript lines as "daemon: ..." and "child:  ...".
func lines(ls []kcltest.Line) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.String()
	}
	return out
}

func checkLines(t *testing.T, what string, got []kcltest.Line, want ...string) {
	t.Helper()
	g := lines(got)
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: transcript =\n\t%s\nwant\n\t%s", what, strings.Join(g, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// status and checkpoint lines as the child must write them.
func statusLine(action string) string {
	return `child:  {"action":"status","responseFor":"` + action + `"}`
}

const (
	cpLatest      = `child:  {"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}`
	replyLatestOK = `daemon: {"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}`
)

// seq is the n'th sequence number kcltest hands out.
func seq(n int) string {
	return fmt.Sprintf("4959033827149025660855969253836157109592157598913%07d", n)
}

// exitResult waits for the session to end and returns its result.
func exitResult(t *testing.T, d *kcltest.Daemon) error {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if done, err := d.Exited(); done {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the session did not end within %v", waitTimeout)
	return nil
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// peer is the daemon's side of a session driven line by line, for what
// kcltest does not do on purpose: lines the real daemon never writes,
// replies out of order, EOF in the middle of a callback. The session is
// kcl.Run in this process (runRaw) or a child process (startRaw).
type peer struct {
	t      *testing.T
	in     io.WriteCloser
	lines  chan string   // the child's stdout, a line at a time; closed at EOF
	done   chan struct{} // closed when the session has ended
	err    error         // Run's result or the process's exit error; set before done is closed
	stderr *syncBuffer   // the child process's stderr, or the in-process logs
	cmd    *exec.Cmd
	stdout io.Closer // the read end of the child's stdout

	closeOnce sync.Once
}

// runRaw runs kcl.Run in this process on pipes. Its logs go to p.stderr.
func runRaw(t *testing.T, factory kcl.Factory, opts ...kcl.Option) *peer {
	t.Helper()
	p := &peer{t: t, lines: make(chan string), done: make(chan struct{}), stderr: &syncBuffer{}}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p.in = inW
	go func() {
		p.err = kcl.Run(context.Background(), factory, inR, outW, append([]kcl.Option{logTo(p.stderr)}, opts...)...)
		outW.Close()
		inR.CloseWithError(io.ErrClosedPipe)
		close(p.done)
	}()
	go p.readLines(outR)
	t.Cleanup(func() { p.close(); p.wait() })
	return p
}

// childCommand returns a command that runs this test binary as the child
// process named name (see children), with env added to its environment.
func childCommand(t *testing.T, name string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	// Under -race the child is race-enabled too, so a race in the SDK makes
	// it exit non-zero; without atexit_sleep_ms=0 it also sleeps 1s on exit.
	gorace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	cmd.Env = append(os.Environ(), childEnv+"="+name, "KCL_LOG_LEVEL=", "GORACE="+gorace)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// startRaw starts the child process named name on pipes.
func startRaw(t *testing.T, name string, env ...string) *peer {
	t.Helper()
	cmd := childCommand(t, name, env...)
	p := &peer{t: t, lines: make(chan string), done: make(chan struct{}), stderr: &syncBuffer{}, cmd: cmd}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.in, p.stdout = in, out
	read := make(chan struct{})
	go func() { p.readLines(out); close(read) }()
	go func() {
		<-read // Wait closes stdout: read it to EOF first
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.close()
		select {
		case <-p.done:
		case <-time.After(waitTimeout):
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *peer) readLines(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<16)
	for {
		s, err := br.ReadString('\n')
		if s != "" {
			p.lines <- strings.TrimSuffix(s, "\n")
		}
		if err != nil {
			close(p.lines)
			return
		}
	}
}

// send writes line and "\n" to the child's stdin.
func (p *peer) send(line string) {
	p.t.Helper()
	if err := p.trySend(line); err != nil {
		p.t.Fatalf("writing %.80q: %v", line, err)
	}
}

// trySend is send returning the error, for a child that may have ended.
func (p *peer) trySend(line string) error {
	errc := make(chan error, 1)
	go func() {
		_, err := io.WriteString(p.in, line+"\n")
		errc <- err
	}()
	select {
	case err := <-errc:
		return err
	case <-time.After(waitTimeout):
		return fmt.Errorf("the child stopped reading for %v", waitTimeout)
	}
}

// next returns the child's next stdout line; ok is false at EOF.
func (p *peer) next() (line string, ok bool) {
	p.t.Helper()
	select {
	case line, ok = <-p.lines:
		return line, ok
	case <-time.After(waitTimeout):
		p.t.Fatalf("no line from the child within %v; stderr:\n%s", waitTimeout, p.stderr)
		return "", false
	}
}

// expect reads the child's next line and checks it is want.
func (p *peer) expect(want string) {
	p.t.Helper()
	got, ok := p.next()
	if !ok {
		p.t.Fatalf("child's stdout ended; want %s\nstderr:\n%s", want, p.stderr)
	}
	if got != want {
		p.t.Fatalf("child wrote %s\nwant %s\nstderr:\n%s", got, want, p.stderr)
	}
}

// rest reads the child's stdout to EOF and returns the lines.
func (p *peer) rest() []string {
	p.t.Helper()
	var out []string
	for {
		line, ok := p.next()
		if !ok {
			return out
		}
		out = append(out, line)
	}
}

// close closes the child's stdin, as the daemon does to end a child.
func (p *peer) close() { p.closeOnce.Do(func() { p.in.Close() }) }

// wait waits for the session to end and returns its result.
func (p *peer) wait() error {
	p.t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(waitTimeout):
		p.t.Fatalf("the child did not end within %v; stderr:\n%s", waitTimeout, p.stderr)
		return nil
	}
}

// exitCode is the child process's exit status.
func (p *peer) exitCode() int {
	p.t.Helper()
	p.wait()
	return p.cmd.ProcessState.ExitCode()
}

// Daemon lines used by the raw tests, byte for byte as the daemon writes them.
const (
	initLine         = `{"action":"initialize","shardId":"` + shard + `","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}`
	recordsLine      = `{"action":"processRecords","records":[{"data":"aGVsbG8gd29ybGQ=","partitionKey":"pk-1","sequenceNumber":"49590338271490256608559692538361571095921575989136588898","approximateArrivalTimestamp":1700000000123,"subSequenceNumber":0,"action":"record"}],"millisBehindLatest":1234}`
	rawStatusInit    = `{"action":"status","responseFor":"initialize"}`
	rawStatusRecords = `{"action":"status","responseFor":"processRecords"}`
	rawCpLatest      = `{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}`
	rawReplyLatestOK = `{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}`
)

// exampleT stands in for the *testing.T that a test passes to
// kcltest.NewDaemon, in examples, which have none. Only the methods
// kcltest calls are implemented; a failure panics, which fails the example.
type exampleT struct {
	testing.TB // nil: calling anything else panics
	cleanups   []func()
}

func (t *exampleT) Helper()                           {}
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// done runs the cleanups, as the testing package does when a test ends.
func (t *exampleT) done() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
