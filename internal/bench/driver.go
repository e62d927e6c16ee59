package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kclgo/mld/internal/lease"
	"github.com/kclgo/mld/protocol"
)

// child is one running child, with plain blocking pipes where the system
// has them (see blockingPipe): a read or a write is then a direct system
// call, not a trip through Go's netpoller, so the driver adds as little as
// it can to a round trip.
type child struct {
	cmd     *exec.Cmd
	in      *os.File // our end of its stdin
	out     *os.File // our end of its stdout
	rd      *protocol.Reader
	pending [][]byte // lines of the last line read not yet handled (see protocol.SplitChildLine)
	stderr  *tailBuffer
	timeout time.Duration

	// Lines longer than a pipe buffer go through writer, so that the
	// child's stdout is read while the line is written, as the daemon does.
	wq      chan []byte
	wdone   chan error
	writing bool

	watchdog *time.Timer
	killed   atomic.Bool
	closed   bool // stdin closed and the writer stopped
	reaped   bool

	lease       lease.Lease
	reply       []byte
	checkpoints int
	skipped     int
	firstSkip   string
}

// startChild starts the program at path with pipes for stdin and stdout;
// timeout is the longest wait for any one status.
func startChild(path string, timeout time.Duration) (*child, error) {
	inR, inW, err := blockingPipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := blockingPipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	c := &child{
		in: inW, out: outR, timeout: timeout,
		rd:     protocol.NewReader(outR),
		stderr: &tailBuffer{max: 4 << 10},
		wq:     make(chan []byte), wdone: make(chan error, 1),
		reply: make([]byte, 0, 256),
	}
	c.cmd = exec.Command(path)
	c.cmd.Stdin, c.cmd.Stdout, c.cmd.Stderr = inR, outW, c.stderr
	isolate(c.cmd)
	err = c.cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	c.watchdog = time.AfterFunc(time.Hour, func() {
		c.killed.Store(true)
		killTree(c.cmd)
	})
	c.watchdog.Stop()
	go func() {
		for line := range c.wq {
			_, err := c.in.Write(line)
			c.wdone <- err
		}
	}()
	return c, nil
}

// kill ends a child that failed, and reaps it.
func (c *child) kill() {
	c.watchdog.Stop()
	killTree(c.cmd)
	c.closeInput()
	c.out.Close()
	if !c.reaped {
		c.cmd.Wait()
	}
}

func (c *child) closeInput() {
	if c.closed {
		return
	}
	c.closed = true
	c.in.Close()
	c.joinWrite()
	close(c.wq)
}

func (c *child) joinWrite() error {
	if !c.writing {
		return nil
	}
	c.writing = false
	return <-c.wdone
}

func (c *child) send(line []byte) error {
	if err := c.joinWrite(); err != nil {
		return err
	}
	if len(line) <= 60<<10 {
		_, err := c.in.Write(line)
		return err
	}
	c.writing = true
	c.wq <- line
	return nil
}

// nextLine returns the child's next line as the daemon splits its output,
// valid until the next call.
func (c *child) nextLine() ([]byte, error) {
	for len(c.pending) == 0 {
		line, err := c.rd.ReadLine()
		if err != nil {
			return nil, err
		}
		if bytes.IndexByte(line, '\r') < 0 {
			return line, nil // what SplitChildLine would return, without its allocation
		}
		c.pending = protocol.SplitChildLine(line)
	}
	l := c.pending[0]
	c.pending = c.pending[1:]
	return l, nil
}

// exchange runs roundTrip for s under the watchdog, which kills a child
// that sends no status within the timeout.
func (c *child) exchange(s step) error {
	c.watchdog.Reset(c.timeout)
	err := c.roundTrip(s)
	if !c.watchdog.Stop() && c.killed.Load() {
		return fmt.Errorf("no status for %s within %v: the child hung and was killed%s%s", s.msg.Action(), c.timeout, killNote, c.skippedNote())
	}
	return err
}

// roundTrip writes s's line and reads the child's lines until its status,
// answering checkpoints on the way with the daemon's rules.
func (c *child) roundTrip(s step) error {
	action := s.msg.Action()
	c.lease.Begin(s.msg)
	if err := c.send(s.line); err != nil {
		return fmt.Errorf("writing %s: %v (the child closed stdin or exited)", action, err)
	}
	for {
		l, err := c.nextLine()
		if err != nil {
			c.joinWrite()
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("the child closed stdout (exited?) while the daemon waited for the status of %s%s", action, c.skippedNote())
			}
			return fmt.Errorf("reading the status of %s: %v", action, err)
		}
		m, err := protocol.DecodeChild(l)
		switch {
		case errors.Is(err, protocol.ErrNull):
			c.joinWrite()
			return fmt.Errorf("the child wrote the JSON literal null while the daemon waited for the status of %s: the daemon fails on it and exits", action)
		case errors.Is(err, protocol.ErrSkipped):
			if len(l) > 0 { // the daemon skips an empty line without a word
				c.skipped++
				if c.firstSkip == "" {
					c.firstSkip = shorten(string(l), 120)
				}
			}
			continue
		case err != nil: // DecodeChild returns no other error
			c.joinWrite()
			return fmt.Errorf("reading a line of the child during %s: %v", action, err)
		}
		switch m := m.(type) {
		case protocol.Status:
			if err := c.joinWrite(); err != nil {
				return fmt.Errorf("writing %s: %v (the child closed stdin or exited)", action, err)
			}
			if m.ResponseFor != action {
				return fmt.Errorf("wrong status: responseFor %q while the daemon waited for %q (the daemon fails the shard)", m.ResponseFor, action)
			}
			if c.lease.ShardEnding() && c.lease.Checkpoint() != lease.ShardEnd {
				return fmt.Errorf("status for %s without a checkpoint at SHARD_END (the KCL throws \"Application didn't checkpoint at end of shard\")", action)
			}
			return nil
		case protocol.Checkpoint:
			if err := c.answer(m); err != nil {
				return fmt.Errorf("answering a checkpoint during %s: %v", action, err)
			}
		}
		// Other messages are ignored, as by the daemon.
	}
}

func (c *child) skippedNote() string {
	if c.skipped == 0 {
		return ""
	}
	return fmt.Sprintf(" (it wrote %d line(s) the daemon skips, the first: %s)", c.skipped, c.firstSkip)
}

// answer replies to a checkpoint request as the daemon does: the request
// echoed, with the exception the lease's rules give, or null.
func (c *child) answer(req protocol.Checkpoint) error {
	c.checkpoints++
	c.reply = appendReply(c.reply[:0], &c.lease, req)
	if err := c.joinWrite(); err != nil {
		return err
	}
	_, err := c.in.Write(c.reply)
	return err
}

// appendReply performs req on l and appends the daemon's reply line.
func appendReply(dst []byte, l *lease.Lease, req protocol.Checkpoint) []byte {
	reply := protocol.CheckpointReply{SequenceNumber: req.SequenceNumber, SubSequenceNumber: req.SubSequenceNumber}
	if exc, _ := l.Apply(req); exc != "" {
		reply.Error = protocol.Some(exc)
	}
	return append(protocol.Append(dst, reply), '\n')
}

// finish closes stdin, drains stdout and reaps the child, which must exit 0
// within a few seconds, as the daemon expects.
func (c *child) finish() error {
	c.closeInput()
	io.Copy(io.Discard, c.out)
	c.out.Close()
	c.reaped = true
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("after stdin closed: %v", err)
		}
		return nil
	case <-t.C:
		killTree(c.cmd)
		<-done
		return errors.New("the child did not exit within 10s of stdin closing")
	}
}

// cpu returns the CPU time, user and system, of a child that has exited.
// os.ProcessState has it on every system: from wait4's rusage on Unix,
// from GetProcessTimes on Windows.
func (c *child) cpu() time.Duration {
	return c.cmd.ProcessState.UserTime() + c.cmd.ProcessState.SystemTime()
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
