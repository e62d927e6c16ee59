package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// child is one running child, with plain blocking pipes: a read or a
// write is a direct system call, not a trip through Go's netpoller, so the
// driver adds as little as it can to a round trip.
type child struct {
	cmd     *exec.Cmd
	in      *os.File // our end of its stdin
	out     *os.File // our end of its stdout
	rd      *bufio.Reader
	lineBuf []byte
	stderr  *tailBuffer
	timeout time.Duration
	lines   *Lines

	// Lines longer than a pipe buffer go through writer, so that the
	// child's stdout is read while the line is written, as the daemon does.
	wq      chan []byte
	wdone   chan error
	writing bool

	watchdog *time.Timer
	killed   atomic.Bool
	closed   bool // stdin closed and the writer stopped
	reaped   bool

	reply       []byte
	checkpoints int
	shardEnd    bool
	skipped     int
	firstSkip   string
}

func blockingPipe() (r, w *os.File, err error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(p[0]), "|0"), os.NewFile(uintptr(p[1]), "|1"), nil
}

// startChild starts the program at path with pipes for stdin and stdout;
// timeout is the longest wait for any one status.
func startChild(path string, lines *Lines, timeout time.Duration) (*child, error) {
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
		in: inW, out: outR, timeout: timeout, lines: lines,
		rd:     bufio.NewReaderSize(outR, 64<<10),
		stderr: &tailBuffer{max: 4 << 10},
		wq:     make(chan []byte), wdone: make(chan error, 1),
		reply: make([]byte, 0, 256),
	}
	c.cmd = exec.Command(path)
	c.cmd.Stdin, c.cmd.Stdout, c.cmd.Stderr = inR, outW, c.stderr
	// Its own process group, so that a hung wrapper script dies whole.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
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
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
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
	syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
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

// readLine returns the child's next stdout line without "\n" or "\r\n",
// valid until the next call.
func (c *child) readLine() ([]byte, error) {
	line, err := c.rd.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		c.lineBuf = append(c.lineBuf[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = c.rd.ReadSlice('\n')
			c.lineBuf = append(c.lineBuf, line...)
		}
		line = c.lineBuf
	}
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// exchange runs roundTrip under the watchdog, which kills a child that
// sends no status within the timeout.
func (c *child) exchange(line []byte, action string, mode ckMode, want []byte) error {
	c.watchdog.Reset(c.timeout)
	err := c.roundTrip(line, action, mode, want)
	if !c.watchdog.Stop() && c.killed.Load() {
		return fmt.Errorf("no status for %s within %v: the child hung and was killed%s", action, c.timeout, c.skippedNote())
	}
	return err
}

// roundTrip sends one action and reads until its status, answering
// checkpoints on the way. want is the exact status line expected; a line
// equal to it needs no parsing.
func (c *child) roundTrip(line []byte, action string, mode ckMode, want []byte) error {
	if err := c.send(line); err != nil {
		return fmt.Errorf("writing %s: %v (the child closed stdin or exited)", action, err)
	}
	for {
		l, err := c.readLine()
		if err != nil {
			c.joinWrite()
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("the child closed stdout (exited?) while the daemon waited for the status of %s%s", action, c.skippedNote())
			}
			return fmt.Errorf("reading the status of %s: %v", action, err)
		}
		if bytes.Equal(l, want) && (mode != ckShardEnd || c.shardEnd) {
			if err := c.joinWrite(); err != nil {
				return fmt.Errorf("writing %s: %v (the child closed stdin or exited)", action, err)
			}
			return nil
		}
		if len(l) == 0 {
			continue // the daemon skips empty lines
		}
		m, ok := parseChildLine(l)
		if !ok {
			c.skipped++
			if c.firstSkip == "" {
				c.firstSkip = shorten(string(l), 120)
			}
			continue
		}
		switch m.Action {
		case "status":
			if err := c.joinWrite(); err != nil {
				return fmt.Errorf("writing %s: %v (the child closed stdin or exited)", action, err)
			}
			if m.ResponseFor == nil || *m.ResponseFor != action {
				got := "null"
				if m.ResponseFor != nil {
					got = strconv.Quote(*m.ResponseFor)
				}
				return fmt.Errorf("wrong status: responseFor %s while the daemon waited for %q (the daemon fails the shard)", got, action)
			}
			if mode == ckShardEnd && !c.shardEnd {
				return fmt.Errorf("status for %s without a checkpoint at SHARD_END (the KCL throws \"Application didn't checkpoint at end of shard\")", action)
			}
			return nil
		case "checkpoint":
			if err := c.answerCheckpoint(m, mode); err != nil {
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

// childLine is a line from the child, as the daemon binds it: unknown
// properties make it skipped.
type childLine struct {
	Action            string          `json:"action"`
	ResponseFor       *string         `json:"responseFor"`
	SequenceNumber    json.RawMessage `json:"sequenceNumber"`
	SubSequenceNumber json.RawMessage `json:"subSequenceNumber"`
	Error             json.RawMessage `json:"error"`
}

func parseChildLine(l []byte) (childLine, bool) {
	var m childLine
	d := json.NewDecoder(bytes.NewReader(l))
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return m, false
	}
	switch m.Action {
	case "status":
		return m, m.SequenceNumber == nil && m.SubSequenceNumber == nil && m.Error == nil
	case "checkpoint":
		return m, m.ResponseFor == nil
	case "initialize", "processRecords", "shutdown", "shutdownRequested", "leaseLost", "shardEnded":
		return m, true
	}
	return m, false
}

// answerCheckpoint replies as the daemon does: the request echoed, and the
// checkpointer's exception name or null.
func (c *child) answerCheckpoint(m childLine, mode ckMode) error {
	c.checkpoints++
	seq := m.SequenceNumber
	var seqText string
	switch {
	case len(seq) == 0 || string(seq) == "null":
		seq = json.RawMessage("null")
	case seq[0] == '"':
		if err := json.Unmarshal(seq, &seqText); err != nil {
			return err
		}
	default: // a number becomes a string
		seqText = string(seq)
		seq = json.RawMessage(strconv.Quote(seqText))
	}
	sub := m.SubSequenceNumber
	if len(sub) == 0 {
		sub = json.RawMessage("null")
	} else if sub[0] == '"' {
		sub = sub[1 : len(sub)-1]
	}
	errName := "null"
	switch {
	case mode == ckNone:
		errName = `"InvalidStateException"`
	case string(seq) == "null":
		if mode == ckShardEnd {
			c.shardEnd = true
		}
	case len(seqText) != len(c.lines.lastSeq) || seqText > string(c.lines.lastSeq) || strings.Trim(seqText, "0123456789") != "":
		errName = `"IllegalArgumentException"`
	}
	c.reply = append(c.reply[:0], `{"action":"checkpoint","sequenceNumber":`...)
	c.reply = append(c.reply, seq...)
	c.reply = append(c.reply, `,"subSequenceNumber":`...)
	c.reply = append(c.reply, sub...)
	c.reply = append(c.reply, `,"error":`...)
	c.reply = append(c.reply, errName...)
	c.reply = append(c.reply, "}\n"...)
	if err := c.joinWrite(); err != nil {
		return err
	}
	_, err := c.in.Write(c.reply)
	return err
}

// finish closes stdin, drains stdout and reaps the child, which must exit 0
// within a few seconds, as the daemon expects.
func (c *child) finish() error {
	c.closeInput()
	io.Copy(io.Discard, c.rd)
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
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return errors.New("the child did not exit within 10s of stdin closing")
	}
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

// cpuSeconds returns the user and system CPU time of a child that has
// exited.
func (c *child) cpuSeconds() float64 {
	if ru, ok := c.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
	}
	return 0
}

func tvSeconds(tv syscall.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }

// procStatusKB reads a "kB" field of /proc/<pid>/status, or 0 where there is
// no such file.
func procStatusKB(pid int, field string) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, field); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return v
		}
	}
	return 0
}
