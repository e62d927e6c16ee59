package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"
)

const benchUsage = `usage: kcl bench [flags]

Measures a record processor built with the SDK against a reference child
that does nothing but scan and decode (the ceiling). For each scenario it
starts a fresh child per run, plays the MultiLangDaemon with the daemon's
exact lines, answers checkpoints as the daemon does, and runs the two
children interleaved (sdk, ceiling, sdk, ...). It prints medians and ratios:

  S1  200 batches x 1000 records x 1 KiB   throughput, CPU per record
  S2  10 batches x 10 records x 1 MiB      wall time, peak RSS (14 MB lines)
  S3  20000 batches x 1 record x 100 B     round trip p50, p99
  S4  no batches                           startup to the initialize status,
                                           RSS right after it

Every record's data is random, so base64 cannot be cheap. Payload MB/s is
payload bytes (10^6) over the wall time from the first processRecords write
to the last status. CPU is the child's user+sys time for the whole run; peak
RSS is VmHWM just before stdin is closed. A child that breaks the protocol
(a wrong status, an exit, a hang past -timeout, no SHARD_END checkpoint)
fails the command, naming the scenario.

Without -sdk and -ceiling, it builds internal/cmd/bench-noop and
internal/cmd/bench-ceiling with "go build"; that works inside the module.

flags:
`

// benchScenario is one workload. A scenario without batches measures startup.
type benchScenario struct {
	name                      string
	batches, records, payload int
}

func benchScenarios(quick bool) []benchScenario {
	if quick {
		return []benchScenario{
			{"S1", 20, 100, 1 << 10},
			{"S2", 2, 4, 256 << 10},
			{"S3", 300, 1, 100},
			{"S4", 0, 0, 0},
		}
	}
	return []benchScenario{
		{"S1", 200, 1000, 1 << 10},
		{"S2", 10, 10, 1 << 20},
		{"S3", 20000, 1, 100},
		{"S4", 0, 0, 0},
	}
}

// benchRun is what one child did in one run of a scenario.
type benchRun struct {
	Type        string  `json:"type"` // "run", or "median" in a summary
	Scenario    string  `json:"scenario"`
	Child       string  `json:"child"` // "sdk" or "ceiling"
	Rep         int     `json:"rep,omitempty"`
	Records     int     `json:"records"`
	PayloadB    int64   `json:"payload_bytes"`
	MaxLineB    int     `json:"max_line_bytes"`
	StartupMs   float64 `json:"startup_ms"`
	WallS       float64 `json:"wall_s"`
	PayloadMBps float64 `json:"payload_mb_per_s"`
	CPUS        float64 `json:"child_cpu_s"`
	CPUPerRecUs float64 `json:"child_cpu_us_per_record"`
	PeakRSSKB   float64 `json:"child_peak_rss_kb"`
	IdleRSSKB   float64 `json:"child_rss_after_init_kb"`
	RTTp50Us    float64 `json:"rtt_p50_us"`
	RTTp99Us    float64 `json:"rtt_p99_us"`
	Checkpoints int     `json:"checkpoints"`
	Skipped     int     `json:"child_skipped_lines"`
}

// benchSummary compares the medians of the two children in one scenario.
type benchSummary struct {
	Type     string             `json:"type"` // "summary"
	Scenario string             `json:"scenario"`
	Reps     int                `json:"reps"`
	SDK      benchRun           `json:"sdk"`
	Ceiling  benchRun           `json:"ceiling"`
	Ratios   map[string]float64 `json:"ratios"`
}

type benchConfig struct {
	reps    int
	timeout time.Duration
	seed    uint64
}

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	sdk := fs.String("sdk", "", "the SDK child to measure (default: build internal/cmd/bench-noop)")
	ceiling := fs.String("ceiling", "", "the reference child (default: build internal/cmd/bench-ceiling)")
	reps := fs.Int("reps", 3, "runs per child and scenario; the table shows medians")
	which := fs.String("scenarios", "S1,S2,S3,S4", "comma-separated scenarios to run")
	quick := fs.Bool("quick", false, "small sizes, for tests (the figures mean little)")
	asJSON := fs.Bool("json", false, "print one JSON line per run and per scenario summary instead of the table")
	timeout := fs.Duration("timeout", 60*time.Second, "longest wait for any one status; then the child is killed and the run fails")
	seed := fs.Uint64("seed", 1, "seed of the random payloads and partition keys")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kcl bench: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *reps < 1 {
		fmt.Fprintln(stderr, "kcl bench: -reps must be at least 1")
		return 2
	}
	var run []benchScenario
	for _, name := range strings.Split(*which, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(benchScenarios(*quick), func(s benchScenario) bool { return strings.EqualFold(s.name, name) })
		if i < 0 {
			fmt.Fprintf(stderr, "kcl bench: unknown scenario %q in -scenarios (want S1, S2, S3 or S4)\n", name)
			return 2
		}
		run = append(run, benchScenarios(*quick)[i])
	}
	if *sdk == "" || *ceiling == "" {
		dir, err := os.MkdirTemp("", "kcl-bench")
		if err != nil {
			fmt.Fprintln(stderr, "kcl bench:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		if err := buildBenchChildren(dir); err != nil {
			fmt.Fprintf(stderr, "kcl bench: cannot build the children (run inside the module github.com/kclgo/mld, or give -sdk and -ceiling): %v\n", err)
			return 1
		}
		if *sdk == "" {
			*sdk = filepath.Join(dir, "bench-noop")
		}
		if *ceiling == "" {
			*ceiling = filepath.Join(dir, "bench-ceiling")
		}
	}
	cfg := benchConfig{reps: *reps, timeout: *timeout, seed: *seed}
	children := [2]struct{ name, path string }{{"sdk", *sdk}, {"ceiling", *ceiling}}
	enc := json.NewEncoder(stdout)
	var sums []benchSummary
	for _, sc := range run {
		msgs := generateBench(sc, cfg.seed)
		var runs [2][]benchRun
		for rep := 1; rep <= cfg.reps; rep++ {
			for i, c := range children {
				r, err := benchOnce(sc, msgs, c.path, cfg)
				if err != nil {
					fmt.Fprintf(stderr, "kcl bench: %s: %s child %s (run %d): %v\n", sc.name, c.name, c.path, rep, err)
					return 1
				}
				r.Child, r.Rep = c.name, rep
				runs[i] = append(runs[i], r)
				if *asJSON {
					enc.Encode(r)
				}
			}
		}
		s := summarize(sc, runs[0], runs[1])
		sums = append(sums, s)
		if *asJSON {
			enc.Encode(s)
		}
	}
	if !*asJSON {
		printBenchTable(stdout, sums, *sdk, *ceiling)
	}
	return 0
}

func buildBenchChildren(dir string) error {
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"github.com/kclgo/mld/internal/cmd/bench-noop", "github.com/kclgo/mld/internal/cmd/bench-ceiling")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// benchMessages are a scenario's daemon lines, made before any timing.
type benchMessages struct {
	init     []byte
	batches  [][]byte
	lastSeq  []byte // sequence number of the last record
	records  int
	payload  int64
	maxLine  int
	endSteps []benchStep
}

type benchStep struct {
	line   []byte
	action string
	mode   ckMode
	status []byte // the status line that answers it
}

// ckMode is how the daemon answers a checkpoint during an action.
type ckMode int

const (
	ckNone     ckMode = iota // initialize, leaseLost: no checkpointer
	ckRecords                // processRecords, shutdownRequested
	ckShardEnd               // shardEnded: a checkpoint at the latest position is SHARD_END
)

// seqPrefix and a 20-digit counter make 56-digit, increasing sequence
// numbers like Kinesis's.
const seqPrefix = "495903382714902566085596925383615710"

func appendSeq(dst []byte, n int) []byte {
	dst = append(dst, seqPrefix...)
	var digits [20]byte
	v := uint64(n)
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, digits[:]...)
}

// generateBench writes the exact lines of protocol-spec §2.2, with random
// (incompressible) payloads from seed.
func generateBench(sc benchScenario, seed uint64) *benchMessages {
	rng := rand.New(rand.NewChaCha8([32]byte{0: byte(seed), 1: byte(seed >> 8), 2: byte(seed >> 16), 3: byte(seed >> 24),
		4: byte(seed >> 32), 5: byte(seed >> 40), 6: byte(seed >> 48), 7: byte(seed >> 56)}))
	src := rand.NewChaCha8([32]byte{31: 1, 0: byte(seed), 1: byte(seed >> 8)})
	m := &benchMessages{
		init: []byte(`{"action":"initialize","shardId":"shardId-000000000000","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}` + "\n"),
	}
	raw := make([]byte, sc.payload)
	b64 := base64.StdEncoding.EncodedLen(sc.payload)
	n := 0
	const arrival = 1700000000000
	for b := 0; b < sc.batches; b++ {
		line := make([]byte, 0, 64+sc.records*(b64+190))
		line = append(line, `{"action":"processRecords","records":[`...)
		for r := 0; r < sc.records; r++ {
			if r > 0 {
				line = append(line, ',')
			}
			src.Read(raw)
			line = append(line, `{"data":"`...)
			line = base64.StdEncoding.AppendEncode(line, raw)
			line = append(line, `","partitionKey":"pk-`...)
			line = strconv.AppendInt(line, int64(rng.IntN(1000)), 10)
			line = append(line, `","sequenceNumber":"`...)
			line = appendSeq(line, n)
			line = append(line, `","approximateArrivalTimestamp":`...)
			line = strconv.AppendInt(line, arrival+int64(n), 10)
			line = append(line, `,"subSequenceNumber":0,"action":"record"}`...)
			n++
		}
		line = append(line, `],"millisBehindLatest":`...)
		line = strconv.AppendInt(line, int64(1000*(sc.batches-b)), 10)
		line = append(line, "}\n"...)
		m.batches = append(m.batches, line)
		m.maxLine = max(m.maxLine, len(line))
	}
	m.records = n
	m.payload = int64(n) * int64(sc.payload)
	if n > 0 {
		m.lastSeq = appendSeq(nil, n-1)
	}
	if sc.batches == 0 {
		// Startup only: end the way a worker's graceful shutdown does.
		m.endSteps = []benchStep{
			{[]byte(`{"action":"shutdownRequested"}` + "\n"), "shutdownRequested", ckRecords, nil},
			{[]byte(`{"action":"leaseLost"}` + "\n"), "leaseLost", ckNone, nil},
		}
	} else {
		m.endSteps = []benchStep{{[]byte(`{"action":"shardEnded"}` + "\n"), "shardEnded", ckShardEnd, nil}}
	}
	for i := range m.endSteps {
		m.endSteps[i].status = []byte(`{"action":"status","responseFor":"` + m.endSteps[i].action + `"}`)
	}
	return m
}

// benchChild is one running child, with plain blocking pipes: a read or a
// write is a direct system call, not a trip through Go's netpoller, so the
// driver adds as little as it can to a round trip.
type benchChild struct {
	cmd     *exec.Cmd
	in      *os.File // our end of its stdin
	out     *os.File // our end of its stdout
	rd      *bufio.Reader
	lineBuf []byte
	stderr  *tailBuffer
	cfg     benchConfig
	msgs    *benchMessages

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

func startBenchChild(path string, msgs *benchMessages, cfg benchConfig) (*benchChild, error) {
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
	c := &benchChild{
		in: inW, out: outR, cfg: cfg, msgs: msgs,
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
func (c *benchChild) kill() {
	c.watchdog.Stop()
	syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	c.closeInput()
	c.out.Close()
	if !c.reaped {
		c.cmd.Wait()
	}
}

func (c *benchChild) closeInput() {
	if c.closed {
		return
	}
	c.closed = true
	c.in.Close()
	c.joinWrite()
	close(c.wq)
}

func (c *benchChild) joinWrite() error {
	if !c.writing {
		return nil
	}
	c.writing = false
	return <-c.wdone
}

func (c *benchChild) send(line []byte) error {
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
func (c *benchChild) readLine() ([]byte, error) {
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

// exchange sends one action and reads until its status, answering
// checkpoints on the way. want is the exact status line expected; a line
// equal to it needs no parsing.
func (c *benchChild) exchange(line []byte, action string, mode ckMode, want []byte) error {
	c.watchdog.Reset(c.cfg.timeout)
	err := c.exchangeLocked(line, action, mode, want)
	if !c.watchdog.Stop() && c.killed.Load() {
		return fmt.Errorf("no status for %s within %v: the child hung and was killed%s", action, c.cfg.timeout, c.skippedNote())
	}
	return err
}

func (c *benchChild) exchangeLocked(line []byte, action string, mode ckMode, want []byte) error {
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

func (c *benchChild) skippedNote() string {
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
func (c *benchChild) answerCheckpoint(m childLine, mode ckMode) error {
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
	case len(seqText) != len(c.msgs.lastSeq) || seqText > string(c.msgs.lastSeq) || strings.Trim(seqText, "0123456789") != "":
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
func (c *benchChild) finish() error {
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

// benchOnce runs one child through one scenario.
func benchOnce(sc benchScenario, msgs *benchMessages, path string, cfg benchConfig) (r benchRun, err error) {
	r = benchRun{Type: "run", Scenario: sc.name, Records: msgs.records, PayloadB: msgs.payload, MaxLineB: msgs.maxLine}
	rtt := make([]time.Duration, len(msgs.batches))
	wantPR := []byte(`{"action":"status","responseFor":"processRecords"}`)
	runtime.GC()
	start := time.Now()
	c, err := startBenchChild(path, msgs, cfg)
	if err != nil {
		return r, err
	}
	defer func() {
		if err != nil {
			c.kill()
			if tail := strings.TrimSpace(c.stderr.String()); tail != "" {
				err = fmt.Errorf("%w\nchild stderr:\n%s", err, tail)
			}
		}
	}()
	if err := c.exchange(msgs.init, "initialize", ckNone, []byte(`{"action":"status","responseFor":"initialize"}`)); err != nil {
		return r, err
	}
	r.StartupMs = float64(time.Since(start).Nanoseconds()) / 1e6
	pid := c.cmd.Process.Pid
	r.IdleRSSKB = procStatusKB(pid, "VmRSS:")

	// Nothing in the timed part needs the collector; keep it from running.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	t0 := time.Now()
	for i, line := range msgs.batches {
		ts := time.Now()
		if err := c.exchange(line, "processRecords", ckRecords, wantPR); err != nil {
			return r, fmt.Errorf("batch %d of %d: %w", i+1, len(msgs.batches), err)
		}
		rtt[i] = time.Since(ts)
	}
	for _, s := range msgs.endSteps {
		if err := c.exchange(s.line, s.action, s.mode, s.status); err != nil {
			return r, err
		}
	}
	r.WallS = time.Since(t0).Seconds()
	r.PeakRSSKB = procStatusKB(pid, "VmHWM:")
	r.Checkpoints, r.Skipped = c.checkpoints, c.skipped
	if err := c.finish(); err != nil {
		return r, err
	}
	if ru, ok := c.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.CPUS = tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
	}
	if msgs.records > 0 {
		r.PayloadMBps = float64(msgs.payload) / 1e6 / r.WallS
		r.CPUPerRecUs = r.CPUS * 1e6 / float64(msgs.records)
	}
	if len(rtt) > 0 {
		slices.Sort(rtt)
		r.RTTp50Us = float64(percentile(rtt, 50).Nanoseconds()) / 1e3
		r.RTTp99Us = float64(percentile(rtt, 99).Nanoseconds()) / 1e3
	}
	return r, nil
}

func tvSeconds(tv syscall.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

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

func summarize(sc benchScenario, sdk, ceiling []benchRun) benchSummary {
	s := benchSummary{Type: "summary", Scenario: sc.name, Reps: len(sdk), SDK: medianRun(sdk), Ceiling: medianRun(ceiling)}
	a, b := s.SDK, s.Ceiling
	s.Ratios = map[string]float64{
		"wall":                 ratio(a.WallS, b.WallS),
		"throughput":           ratio(a.PayloadMBps, b.PayloadMBps),
		"cpu_per_record":       ratio(a.CPUPerRecUs, b.CPUPerRecUs),
		"peak_rss":             ratio(a.PeakRSSKB, b.PeakRSSKB),
		"sdk_rss_per_line":     ratio(a.PeakRSSKB*1024, float64(a.MaxLineB)),
		"ceiling_rss_per_line": ratio(b.PeakRSSKB*1024, float64(b.MaxLineB)),
		"rtt_p50_diff_us":      a.RTTp50Us - b.RTTp50Us,
		"rtt_p99_diff_us":      a.RTTp99Us - b.RTTp99Us,
		"startup_diff_ms":      a.StartupMs - b.StartupMs,
		"idle_rss":             ratio(a.IdleRSSKB, b.IdleRSSKB),
	}
	for k, v := range s.Ratios {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(s.Ratios, k) // JSON has no NaN; a missing ratio means "not measured"
		}
	}
	return s
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

func medianRun(runs []benchRun) benchRun {
	m := runs[0]
	m.Type, m.Rep = "median", 0
	med := func(f func(*benchRun) *float64) {
		v := make([]float64, len(runs))
		for i := range runs {
			v[i] = *f(&runs[i])
		}
		slices.Sort(v)
		mid := len(v) / 2
		if len(v)%2 == 0 {
			*f(&m) = (v[mid-1] + v[mid]) / 2
		} else {
			*f(&m) = v[mid]
		}
	}
	med(func(r *benchRun) *float64 { return &r.StartupMs })
	med(func(r *benchRun) *float64 { return &r.WallS })
	med(func(r *benchRun) *float64 { return &r.PayloadMBps })
	med(func(r *benchRun) *float64 { return &r.CPUS })
	med(func(r *benchRun) *float64 { return &r.CPUPerRecUs })
	med(func(r *benchRun) *float64 { return &r.PeakRSSKB })
	med(func(r *benchRun) *float64 { return &r.IdleRSSKB })
	med(func(r *benchRun) *float64 { return &r.RTTp50Us })
	med(func(r *benchRun) *float64 { return &r.RTTp99Us })
	return m
}

func printBenchTable(w io.Writer, sums []benchSummary, sdk, ceiling string) {
	fmt.Fprintf(w, "kcl bench: medians; sdk = %s, ceiling = %s\n\n", sdk, ceiling)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmetric\tsdk\tceiling\tsdk vs ceiling\ttarget\t")
	mib := func(kb float64) string { return fmt.Sprintf("%.1f MiB", kb/1024) }
	times := func(x float64) string { return fmt.Sprintf("%.2fx", x) }
	for _, s := range sums {
		a, b := s.SDK, s.Ceiling
		row := func(metric, va, vb, rel, target string) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", s.Scenario, metric, va, vb, rel, target)
		}
		mark := func(ok bool, target string) string {
			if ok {
				return target + " ok"
			}
			return target + " MISSED"
		}
		shape := fmt.Sprintf("%d records, %.0f MB", a.Records, float64(a.PayloadB)/1e6)
		switch s.Scenario {
		case "S1":
			row("workload", shape, "", "", "")
			row("wall", fmt.Sprintf("%.3f s", a.WallS), fmt.Sprintf("%.3f s", b.WallS), times(s.Ratios["wall"]), "")
			tp := s.Ratios["throughput"]
			row("payload", fmt.Sprintf("%.0f MB/s", a.PayloadMBps), fmt.Sprintf("%.0f MB/s", b.PayloadMBps), fmt.Sprintf("%.0f%%", 100*tp), mark(tp >= 0.9, ">= 90%"))
			cr := s.Ratios["cpu_per_record"]
			row("CPU per record", fmt.Sprintf("%.2f us", a.CPUPerRecUs), fmt.Sprintf("%.2f us", b.CPUPerRecUs), times(cr), mark(cr <= 1.2, "<= 1.2x"))
			row("peak RSS", mib(a.PeakRSSKB), mib(b.PeakRSSKB), times(s.Ratios["peak_rss"]), "")
		case "S2":
			row("workload", shape, fmt.Sprintf("%.1f MB lines", float64(a.MaxLineB)/1e6), "", "")
			wr := s.Ratios["wall"]
			row("wall", fmt.Sprintf("%.3f s", a.WallS), fmt.Sprintf("%.3f s", b.WallS), times(wr), mark(wr <= 1.2, "<= 1.2x"))
			row("payload", fmt.Sprintf("%.0f MB/s", a.PayloadMBps), fmt.Sprintf("%.0f MB/s", b.PayloadMBps), fmt.Sprintf("%.0f%%", 100*s.Ratios["throughput"]), "")
			row("CPU per record", fmt.Sprintf("%.0f us", a.CPUPerRecUs), fmt.Sprintf("%.0f us", b.CPUPerRecUs), times(s.Ratios["cpu_per_record"]), "")
			row("peak RSS", mib(a.PeakRSSKB), mib(b.PeakRSSKB), times(s.Ratios["peak_rss"]), "")
			pl := s.Ratios["sdk_rss_per_line"]
			row("peak RSS / line", times(pl), times(s.Ratios["ceiling_rss_per_line"]), "", mark(pl <= 2, "sdk <= 2x"))
		case "S3":
			row("workload", shape, "", "", "")
			d := s.Ratios["rtt_p50_diff_us"]
			row("round trip p50", fmt.Sprintf("%.1f us", a.RTTp50Us), fmt.Sprintf("%.1f us", b.RTTp50Us), fmt.Sprintf("%+.1f us", d), mark(d <= 3, "<= +3 us"))
			row("round trip p99", fmt.Sprintf("%.1f us", a.RTTp99Us), fmt.Sprintf("%.1f us", b.RTTp99Us), fmt.Sprintf("%+.1f us", s.Ratios["rtt_p99_diff_us"]), "")
			row("CPU per record", fmt.Sprintf("%.2f us", a.CPUPerRecUs), fmt.Sprintf("%.2f us", b.CPUPerRecUs), times(s.Ratios["cpu_per_record"]), "")
		case "S4":
			row("startup", fmt.Sprintf("%.2f ms", a.StartupMs), fmt.Sprintf("%.2f ms", b.StartupMs), fmt.Sprintf("%+.2f ms", s.Ratios["startup_diff_ms"]), mark(a.StartupMs < 3, "sdk < 3 ms"))
			row("idle RSS", mib(a.IdleRSSKB), mib(b.IdleRSSKB), times(s.Ratios["idle_rss"]), mark(a.IdleRSSKB < 4096, "sdk < 4 MiB"))
		}
	}
	tw.Flush()
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
