package kcltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"sync"
	"time"

	"github.com/kclgo/mld/kcl"
	"github.com/kclgo/mld/protocol"
)

// DefaultTimeout is how long a Daemon waits for any one line from the
// child, and for the child to exit once stdin is closed.
const DefaultTimeout = 10 * time.Second

// TB is the part of testing.TB a Daemon uses: *testing.T and *testing.B
// satisfy it. A program that plays the daemon outside a test (a demo, a
// benchmark) passes its own, whose Fatal reports and exits.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Option configures a Daemon.
type Option func(*config)

type config struct {
	timeout   time.Duration
	runOpts   []kcl.Option
	canonical bool
	observe   func(Line)
}

// Timeout overrides DefaultTimeout.
func Timeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// Canonical holds the child to more than the daemon asks: every line it
// writes must be byte for byte what protocol.Append writes for the message
// (compact, keys in the daemon's order, both sequence fields present, no
// blank lines), and a line the daemon would skip or a message it would
// ignore fails the exchange instead of being skipped. This module's own
// golden tests use it to guard the SDK's output; a child in another
// language, which the daemon reads through Jackson, need not meet it.
func Canonical() Option { return func(c *config) { c.canonical = true } }

// Observe calls fn with each line of the transcript as it happens: a
// daemon line just before it is written, a child's line when the daemon
// reads it. fn runs on the goroutine that records the line and must not
// block; kcl play uses it to print a session as it goes.
func Observe(fn func(Line)) Option { return func(c *config) { c.observe = fn } }

// RunOptions passes options to kcl.Run; NewDaemon only.
func RunOptions(opts ...kcl.Option) Option {
	return func(c *config) { c.runOpts = append(c.runOpts, opts...) }
}

// Daemon plays the KCL MultiLangDaemon's side of one shard session against
// a processor, the way httptest.Server plays a client's server: it writes
// the daemon's lines byte for byte as the Java daemon does, reads the
// child's lines as the daemon does, answers checkpoints with the daemon's
// rules (or with scripted errors, see ReplyNext), and records a transcript.
//
// Each action method sends one action and returns once the child has
// answered it with its status. It fails the test, naming the action, if the
// child breaks the protocol, exits, or does not answer within the timeout;
// Send returns the error instead.
//
// After a terminal action (LeaseLost, ShardEnded, Shutdown) the Daemon
// closes the child's stdin and waits for it to exit, as the real daemon
// does.
type Daemon struct {
	t    TB
	cfg  config
	in   io.WriteCloser
	out  chan childLine
	exit chan struct{} // closed when the child has exited
	cmd  *exec.Cmd

	drainOnce sync.Once
	drained   chan struct{} // closed once stdout was read to EOF after Close

	mu         sync.Mutex
	exitErr    error
	stderr     bytes.Buffer
	transcript []Line
	script     []string
	stdinDone  bool

	state
}

type childLine struct {
	text string
	err  error
}

// Line is one line of the transcript.
type Line struct {
	// FromChild is true for a line the child wrote, false for the daemon's.
	FromChild bool
	Text      string
	// Note says what the daemon did with a child's line that it did not
	// act on: why it skipped the line, or that it ignored the message. It
	// is empty otherwise, and session files do not keep it.
	Note string
}

func (l Line) String() string {
	if !l.FromChild {
		return "daemon: " + l.Text
	}
	if l.Note != "" {
		return "child:  " + l.Text + "  (" + l.Note + ")"
	}
	return "child:  " + l.Text
}

// Exchange is what happened during one action.
type Exchange struct {
	Action string
	// Checkpoints are the checkpoint requests the child made, with the
	// daemon's replies, in order.
	Checkpoints []CheckpointCall
	// Lines is the part of the transcript that belongs to this action. A
	// child's line the daemon skipped or ignored has a Note.
	Lines []Line
}

// CheckpointCall is one checkpoint request and its reply.
type CheckpointCall struct {
	Request protocol.Checkpoint
	Reply   protocol.CheckpointReply
}

// NewDaemon runs kcl.Run with factory in this process, connected to a new
// Daemon through pipes. The session ends, if the test has not ended it, at
// cleanup.
func NewDaemon(t TB, factory kcl.Factory, opts ...Option) *Daemon {
	t.Helper()
	d := newDaemon(t, opts)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	d.in = inW
	go func() {
		err := kcl.Run(context.Background(), factory, inR, outW, d.cfg.runOpts...)
		d.mu.Lock()
		d.exitErr = err
		d.mu.Unlock()
		outW.Close()
		inR.CloseWithError(errors.New("kcltest: the processor's session has ended"))
		close(d.exit)
	}()
	go d.readChild(outR)
	t.Cleanup(func() { d.Close() })
	return d
}

// StartCommand starts cmd as a child process speaking the protocol on its
// stdin and stdout, as the real daemon starts executableName. Its stderr is
// kept (see Stderr), and also copied to cmd.Stderr if that is set. The
// process is killed at cleanup if it is still running.
func StartCommand(t TB, cmd *exec.Cmd, opts ...Option) *Daemon {
	t.Helper()
	d := newDaemon(t, opts)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("kcltest: %v", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("kcltest: %v", err)
	}
	var stderr io.Writer = lockedWriter{&d.mu, &d.stderr}
	if cmd.Stderr != nil {
		stderr = io.MultiWriter(stderr, cmd.Stderr)
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("kcltest: starting %s: %v", cmd.Path, err)
	}
	d.in, d.cmd = in, cmd
	done := make(chan struct{})
	go func() {
		d.readChild(out)
		close(done)
	}()
	go func() {
		<-done // Wait closes stdout: read it to EOF first
		err := cmd.Wait()
		d.mu.Lock()
		d.exitErr = err
		d.mu.Unlock()
		close(d.exit)
	}()
	t.Cleanup(func() {
		d.Close()
		select {
		case <-d.exit:
		default:
			cmd.Process.Kill()
			<-d.exit
		}
	})
	return d
}

func newDaemon(t TB, opts []Option) *Daemon {
	d := &Daemon{t: t, out: make(chan childLine), exit: make(chan struct{}), drained: make(chan struct{})}
	d.cfg.timeout = DefaultTimeout
	for _, o := range opts {
		o(&d.cfg)
	}
	return d
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// readChild reads the child's stdout until EOF.
func (d *Daemon) readChild(r io.Reader) {
	lr := protocol.NewReader(r)
	for {
		line, err := lr.ReadLine()
		if err != nil {
			if err == io.EOF {
				err = errChildEOF
			}
			d.out <- childLine{err: err}
			close(d.out)
			return
		}
		for _, l := range protocol.SplitChildLine(line) {
			d.out <- childLine{text: string(l)}
		}
	}
}

var errChildEOF = errors.New("the child closed stdout (exited?)")

// ReplyNext scripts the replies to the next checkpoints, in order: each
// entry is the exception name the daemon reports ("ThrottlingException",
// "ShutdownException", "InvalidStateException",
// "KinesisClientLibDependencyException", "IllegalArgumentException", or any
// other name), or "" for the daemon's normal handling. A failed checkpoint
// is not recorded.
func (d *Daemon) ReplyNext(exceptions ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.script = append(d.script, exceptions...)
}

// Initialize sends initialize for shardID with the lease's checkpoint
// sequenceNumber ("" for null, or a sentinel such as "TRIM_HORIZON").
func (d *Daemon) Initialize(shardID, sequenceNumber string) *Exchange {
	d.t.Helper()
	m := protocol.Initialize{ShardID: shardID}
	if sequenceNumber != "" {
		m.SequenceNumber, m.SubSequenceNumber = protocol.Some(sequenceNumber), protocol.Some[int64](0)
	}
	return d.must(m)
}

// ProcessRecords sends a batch. Records with no SequenceNumber get the next
// one of an increasing series; see Records.
func (d *Daemon) ProcessRecords(records ...protocol.Record) *Exchange {
	d.t.Helper()
	return d.must(protocol.ProcessRecords{Records: records, MillisBehindLatest: protocol.Some[int64](0)})
}

// LeaseLost sends leaseLost, then closes stdin and waits for the child to
// exit.
func (d *Daemon) LeaseLost() *Exchange { d.t.Helper(); return d.must(protocol.LeaseLost{}) }

// ShardEnded sends shardEnded, checks that the child checkpointed at
// SHARD_END, then closes stdin and waits for the child to exit.
func (d *Daemon) ShardEnded() *Exchange { d.t.Helper(); return d.must(protocol.ShardEnded{}) }

// ShutdownRequested sends shutdownRequested. Stdin stays open: the real
// daemon sends leaseLost next.
func (d *Daemon) ShutdownRequested() *Exchange {
	d.t.Helper()
	return d.must(protocol.ShutdownRequested{})
}

// Shutdown sends the KCL 1.x shutdown with reason protocol.ReasonTerminate
// or protocol.ReasonZombie, then closes stdin and waits for the child to
// exit.
func (d *Daemon) Shutdown(reason string) *Exchange {
	d.t.Helper()
	return d.must(protocol.Shutdown{Reason: reason})
}

func (d *Daemon) must(m protocol.Message) *Exchange {
	d.t.Helper()
	x, err := d.Send(m)
	if err != nil {
		d.t.Fatal(err)
	}
	return x
}

// Send sends m, serves the child's checkpoints, and waits for its status,
// like the action methods, but returns what went wrong instead of failing
// the test. For a ProcessRecords, records without a SequenceNumber are
// numbered first.
func (d *Daemon) Send(m protocol.Message) (*Exchange, error) {
	d.t.Helper()
	if pr, ok := m.(protocol.ProcessRecords); ok {
		pr.Records = d.number(pr.Records)
		m = pr
	}
	return d.send(m.Action(), m, protocol.Append(nil, m), nil)
}

// replyFunc supplies a scripted reply line for a checkpoint request, or
// reports false to let the daemon answer by its rules.
type replyFunc func(req protocol.Checkpoint) (line []byte, ok bool)

// send runs one exchange: it writes line, which is m's wire form (m is nil
// for a line the daemon has no message for), as is, then serves the child
// until its status for action. Checkpoint requests are answered by reply
// when it has a line, otherwise by the daemon's rules.
func (d *Daemon) send(action string, m protocol.Message, line []byte, reply replyFunc) (*Exchange, error) {
	x := &Exchange{Action: action}
	mark := d.mark()
	defer func() { x.Lines = d.since(mark) }()

	d.begin(m)
	if err := d.writeRaw(line); err != nil {
		return x, d.fail(action, "cannot write %s: %v", action, err)
	}
	var skipped []Line // lines the daemon skipped during this action
	for {
		line, err := d.next(action, skipped)
		if err != nil {
			return x, err
		}
		msg, note, derr := d.read(line)
		l := Line{FromChild: true, Text: line, Note: note}
		d.record(l)
		if derr != nil {
			return x, d.fail(action, "%v", derr)
		}
		if msg == nil {
			if note != "" {
				skipped = append(skipped, l)
				if lg, ok := d.t.(interface{ Logf(string, ...any) }); ok {
					lg.Logf("kcltest: %s: %s", action, l) // as the daemon logs a skipped line
				}
			}
			continue
		}
		switch msg := msg.(type) {
		case protocol.Checkpoint:
			call := CheckpointCall{Request: msg}
			out, scripted := []byte(nil), false
			if reply != nil {
				out, scripted = reply(msg)
			}
			if scripted {
				if r, err := protocol.Decode(out); err == nil {
					call.Reply, _ = r.(protocol.CheckpointReply)
				}
			} else {
				call.Reply = d.answer(action, msg)
				out = protocol.Append(nil, call.Reply)
			}
			d.replied(call.Reply)
			x.Checkpoints = append(x.Checkpoints, call)
			if err := d.writeRaw(out); err != nil {
				return x, d.fail(action, "cannot write checkpoint reply: %v", err)
			}
		case protocol.Status:
			if msg.ResponseFor != action {
				if action == protocol.ActionShutdownRequested {
					return x, d.fail(action, "status responseFor %q, want %q: the daemon only logs this during shutdownRequested (\"Child process failed to complete shutdown notification\") and goes on, but the child answered for another action", msg.ResponseFor, action)
				}
				return x, d.fail(action, "status responseFor %q, want %q: the daemon would exit", msg.ResponseFor, action)
			}
			if err := d.end(action, m); err != nil {
				return x, err
			}
			return x, nil
		default:
			// The daemon's protocol loop reads it and waits on; read
			// already noted it.
		}
	}
}

// read reads a child's line as the daemon does (protocol.DecodeChild). It
// returns the message to act on; or nil and a note saying what the daemon
// does instead (nothing for an empty line, which it skips without a word);
// or an error for a line that ends the session: the JSON literal null, or,
// with Canonical, anything but a canonical status or checkpoint.
func (d *Daemon) read(line string) (protocol.Message, string, error) {
	msg, err := protocol.DecodeChild([]byte(line))
	var lerr *protocol.LineError
	switch {
	case errors.Is(err, protocol.ErrNull):
		return nil, "", fmt.Errorf("the child wrote the JSON literal null, on which the daemon fails (a NullPointerException) and exits")
	case d.cfg.canonical && err != nil:
		return nil, "", fmt.Errorf("the child wrote %q, which the daemon skips (%v); kcltest.Canonical requires %s", line, reason(err, lerr), canonicalForms)
	case err != nil && line == "":
		return nil, "", nil
	case err != nil:
		return nil, "the daemon skips this line: " + reason(err, lerr), nil
	}
	switch msg.(type) {
	case protocol.Status, protocol.Checkpoint:
		if canon := string(protocol.Append(nil, msg)); d.cfg.canonical && canon != line {
			return nil, "", fmt.Errorf("the child wrote %q, which the daemon reads as %q; kcltest.Canonical requires exactly the latter", line, canon)
		}
		return msg, "", nil
	}
	if d.cfg.canonical {
		return nil, "", fmt.Errorf("the child wrote a %s message, which the daemon ignores; kcltest.Canonical requires %s", msg.Action(), canonicalForms)
	}
	return nil, "the daemon ignores a " + msg.Action() + " message from a child", nil
}

const canonicalForms = "a status or checkpoint line exactly as protocol.Append writes it"

func reason(err error, lerr *protocol.LineError) string {
	if errors.As(err, &lerr) {
		return lerr.Reason
	}
	return err.Error()
}

// end finishes an exchange the way the daemon does: after a terminal
// action it checks the shard end, closes stdin and waits for the exit.
func (d *Daemon) end(action string, m protocol.Message) error {
	switch m.(type) {
	case protocol.ShardEnded, protocol.LeaseLost, protocol.Shutdown:
	default:
		return nil
	}
	if d.shardEnding() && !d.atShardEnd() {
		return d.fail(action, "acknowledged without a checkpoint at SHARD_END: the real daemon would retry the shard end forever and never start the child shards")
	}
	if err := d.Close(); err != nil {
		return d.fail(action, "the child did not exit cleanly after stdin was closed: %v", err)
	}
	return nil
}

// next returns the child's next line, or an error naming action if the
// child exits or hangs. skipped are the lines the daemon skipped during
// the action, which a hang is most likely about.
func (d *Daemon) next(action string, skipped []Line) (string, error) {
	timer := time.NewTimer(d.cfg.timeout)
	defer timer.Stop()
	select {
	case cl, ok := <-d.out:
		if !ok {
			return "", d.fail(action, "no status: %v", errChildEOF)
		}
		if cl.err != nil {
			return "", d.fail(action, "no status: %v%s", cl.err, d.exitNote())
		}
		return cl.text, nil
	case <-timer.C:
		return "", d.fail(action, "no status after %v: the processor is stuck in its %s callback%s%s", d.cfg.timeout, action, skippedNote(skipped), d.stacks())
	}
}

// skippedNote explains a hang that follows lines the daemon skipped: a
// child waiting for the answer to one waits for ever, under the real
// daemon too.
func skippedNote(skipped []Line) string {
	if len(skipped) == 0 {
		return ""
	}
	s := fmt.Sprintf("; the daemon skipped %d line(s) the child wrote during %s, and a child waiting for an answer to one waits for ever, as it would under the real daemon:", len(skipped), "this action")
	for i, l := range skipped {
		if i == 3 {
			s += fmt.Sprintf("\n\t... and %d more", len(skipped)-i)
			break
		}
		s += fmt.Sprintf("\n\t%q: %s", l.Text, l.Note)
	}
	return s
}

func (d *Daemon) exitNote() string {
	select {
	case <-d.exit:
	case <-time.After(d.cfg.timeout):
		return ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s := fmt.Sprintf("; exit: %v", d.exitErr)
	if d.exitErr == nil {
		s = "; exit: ok"
	}
	if d.stderr.Len() > 0 {
		s += "; stderr:\n" + tail(d.stderr.String(), 4000)
	}
	return s
}

// stacks returns this process's goroutines for an in-process processor.
func (d *Daemon) stacks() string {
	if d.cmd != nil {
		return ""
	}
	buf := make([]byte, 1<<20)
	return "\ngoroutines:\n" + string(buf[:runtime.Stack(buf, true)])
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

func (d *Daemon) fail(action, format string, args ...any) error {
	return &ExchangeError{Action: action, Reason: fmt.Sprintf(format, args...)}
}

// ExchangeError is an action the child did not answer as the daemon
// requires.
type ExchangeError struct {
	Action string
	Reason string
}

func (e *ExchangeError) Error() string { return "kcltest: " + e.Action + ": " + e.Reason }

// writeRaw writes line and the line end to the child's stdin, and records
// it.
func (d *Daemon) writeRaw(line []byte) error {
	d.record(Line{Text: string(line)})
	line = append(line[:len(line):len(line)], '\n')
	d.mu.Lock()
	closed := d.stdinDone
	d.mu.Unlock()
	if closed {
		return errors.New("stdin already closed")
	}
	// The write runs on its own goroutine, as the daemon's does, so that a
	// child that writes before reading cannot deadlock the test.
	errc := make(chan error, 1)
	go func() {
		_, err := d.in.Write(line)
		errc <- err
	}()
	select {
	case err := <-errc:
		return err
	case <-time.After(d.cfg.timeout):
		return fmt.Errorf("the child stopped reading stdin for %v", d.cfg.timeout)
	}
}

// Close closes the child's stdin, as the daemon does after a terminal
// action, and waits for the child to exit. What the child still writes to
// stdout is drained into the transcript. It returns the child's result: the
// error kcl.Run returned, or the process's exit error. It may be called more
// than once.
func (d *Daemon) Close() error {
	d.mu.Lock()
	if !d.stdinDone {
		d.stdinDone = true
		d.in.Close()
	}
	d.mu.Unlock()
	// Drain stdout as the daemon does, so the child is never blocked
	// writing. The daemon logs what it drains; the transcript keeps it.
	d.drainOnce.Do(func() { go d.drain() })
	timeout := time.After(d.cfg.timeout)
	select {
	case <-d.exit:
	case <-timeout:
		return fmt.Errorf("kcltest: the child did not exit within %v of stdin closing", d.cfg.timeout)
	}
	select {
	case <-d.drained:
	case <-timeout:
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.exitErr
}

// drain reads the child's stdout to EOF once stdin is closed, recording
// each line.
func (d *Daemon) drain() {
	defer close(d.drained)
	for cl := range d.out {
		if cl.err == nil {
			d.record(Line{FromChild: true, Text: cl.text})
		}
	}
}

// Exited reports whether the child has exited, and its result.
func (d *Daemon) Exited() (bool, error) {
	select {
	case <-d.exit:
		d.mu.Lock()
		defer d.mu.Unlock()
		return true, d.exitErr
	default:
		return false, nil
	}
}

// Transcript returns every line so far, in order.
func (d *Daemon) Transcript() []Line {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Line(nil), d.transcript...)
}

// Stderr returns what a child process wrote to stderr so far.
func (d *Daemon) Stderr() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stderr.String()
}

func (d *Daemon) record(l Line) {
	d.mu.Lock()
	d.transcript = append(d.transcript, l)
	d.mu.Unlock()
	if d.cfg.observe != nil {
		d.cfg.observe(l)
	}
}

func (d *Daemon) mark() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.transcript)
}

func (d *Daemon) since(mark int) []Line {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Line(nil), d.transcript[mark:]...)
}

func (d *Daemon) popScript() (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.script) == 0 {
		return "", false
	}
	s := d.script[0]
	d.script = d.script[1:]
	return s, true
}
