package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/kclgo/mld/protocol"
)

// child is a running record processor: the process started from
// executableName for one shard, with its stdin, stdout and stderr pipes.
type child struct {
	shard string
	cmd   *exec.Cmd
	stdin *os.File
	w     *protocol.Writer

	lines      chan childLine // stdout, one line at a time, read only when asked for
	stdoutDone chan struct{}  // closed when stdout reached EOF
	stderrDone chan struct{}  // closed when stderr reached EOF
	exited     chan struct{}  // closed when the process has exited
	waitErr    error          // the exit, once exited is closed

	closeOnce sync.Once
}

type childLine struct {
	text []byte
	err  error // io.EOF at the end of stdout
}

// startChild starts argv with pipes on all three standard streams. Lines
// the child writes to stderr go to stderr, each prefixed with "[shard] ".
func startChild(argv []string, shard string, stderr io.Writer) (*child, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	isolate(cmd)
	var pipes [6]*os.File // stdin r/w, stdout r/w, stderr r/w
	for i := 0; i < len(pipes); i += 2 {
		r, w, err := os.Pipe()
		if err != nil {
			for _, f := range pipes[:i] {
				f.Close()
			}
			return nil, err
		}
		pipes[i], pipes[i+1] = r, w
	}
	// Handing the process *os.File ends, rather than io.Writers, means no
	// copying goroutines in exec: Wait returns as soon as the process
	// exits, and the reading ends stay ours to drain.
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pipes[0], pipes[3], pipes[5]
	err := cmd.Start()
	pipes[0].Close()
	pipes[3].Close()
	pipes[5].Close()
	if err != nil {
		pipes[1].Close()
		pipes[2].Close()
		pipes[4].Close()
		return nil, err
	}
	c := &child{
		shard: shard, cmd: cmd, stdin: pipes[1], w: protocol.NewWriter(pipes[1]),
		lines: make(chan childLine), stdoutDone: make(chan struct{}),
		stderrDone: make(chan struct{}), exited: make(chan struct{}),
	}
	go c.readStdout(pipes[2])
	go c.forwardStderr(pipes[4], stderr)
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// readStdout hands stdout's lines over one at a time. The channel is
// unbuffered, so a line is taken from the pipe only when the daemon waits
// for one, as the Java daemon reads: a line written between exchanges is
// read at the start of the next.
func (c *child) readStdout(f *os.File) {
	defer f.Close()
	defer close(c.stdoutDone)
	r := protocol.NewReader(f)
	for {
		line, err := r.ReadLine()
		if err != nil {
			c.lines <- childLine{err: err}
			close(c.lines)
			return
		}
		for _, l := range protocol.SplitChildLine(line) {
			c.lines <- childLine{text: bytes.Clone(l)}
		}
	}
}

// maxStderrLine is the longest piece of a stderr line forwarded as one
// line; longer lines are split.
const maxStderrLine = 64 << 10

func (c *child) forwardStderr(f *os.File, w io.Writer) {
	defer close(c.stderrDone)
	defer f.Close()
	r := bufio.NewReaderSize(f, maxStderrLine)
	prefix := "[" + c.shard + "] "
	var buf []byte
	for {
		line, err := r.ReadSlice('\n')
		if len(line) > 0 {
			buf = append(append(buf[:0], prefix...), line...)
			if buf[len(buf)-1] != '\n' {
				buf = append(buf, '\n')
			}
			w.Write(buf) // one write per line, so that shards do not interleave
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

// closeStdin gives the child EOF on stdin.
func (c *child) closeStdin() {
	c.closeOnce.Do(func() { c.stdin.Close() })
}

// exitStatus describes how the child ended, waiting up to d for it.
func (c *child) exitStatus(d time.Duration) string {
	select {
	case <-c.exited:
	case <-time.After(d):
		return "still running"
	}
	var ee *exec.ExitError
	switch {
	case c.waitErr == nil:
		return "exited with status 0"
	case errors.As(c.waitErr, &ee) && ee.Exited():
		return fmt.Sprintf("exited with status %d", ee.ExitCode())
	case errors.As(c.waitErr, &ee):
		return "killed: " + ee.String()
	}
	return c.waitErr.Error()
}

// terminate runs the daemon's termination sequence (docs/protocol.md §3.4): close
// stdin, read stdout and stderr to EOF, wait for the exit. The Java daemon
// waits for ever; here the wait is bounded by timeout and by ctx, after
// which the child's process group is killed. It reports whether the child
// exited by itself, and the lines it drained from stdout.
func (c *child) terminate(ctx context.Context, timeout time.Duration) (clean bool, drained []string) {
	c.closeStdin()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
drain:
	for {
		select {
		case l, ok := <-c.lines:
			if !ok || l.err != nil {
				break drain
			}
			if len(bytes.TrimSpace(l.text)) > 0 {
				drained = append(drained, string(l.text))
			}
		case <-timer.C:
			c.kill()
			return false, drained
		case <-ctx.Done():
			c.kill()
			return false, drained
		}
	}
	for _, done := range []chan struct{}{c.stderrDone, c.exited} {
		select {
		case <-done:
		case <-timer.C:
			c.kill()
			return false, drained
		case <-ctx.Done():
			c.kill()
			return false, drained
		}
	}
	return true, drained
}

// discard reads the rest of stdout, so that readStdout can end.
func (c *child) discard() {
	for range c.lines {
	}
}

// kill ends the child at once, for a child that no longer follows the
// protocol, and lets its goroutines finish.
func (c *child) kill() {
	c.closeStdin()
	kill(c.cmd)
	go c.discard()
}

// describe summarizes an action for a report: its name and, for a batch,
// the record count and range.
func describe(m protocol.Message) string {
	pr, ok := m.(protocol.ProcessRecords)
	if !ok || len(pr.Records) == 0 {
		return m.Action()
	}
	first, last := pr.Records[0], pr.Records[len(pr.Records)-1]
	return fmt.Sprintf("processRecords (%d records, %s/%d to %s/%d)", len(pr.Records),
		first.SequenceNumber, first.SubSequenceNumber.V, last.SequenceNumber, last.SubSequenceNumber.V)
}

// shorten cuts a child's line for a log attribute.
func shorten(b []byte) string {
	const limit = 200
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(s) > limit {
		return fmt.Sprintf("%s... (%d bytes)", s[:limit], len(b))
	}
	return s
}

// quoteLine shows a child's line in a report, shortened if long.
func quoteLine(b []byte) string {
	const limit = 200
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(s) > limit {
		return fmt.Sprintf("%q... (%d bytes)", s[:limit], len(b))
	}
	return fmt.Sprintf("%q", s)
}
