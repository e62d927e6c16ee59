package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/kclgo/mld/internal/local"
	"github.com/kclgo/mld/kcltest"
	"github.com/kclgo/mld/protocol"
)

const playUsage = `usage: kcl play [flags] -- command [args...]

Plays the KCL MultiLangDaemon's side of one shard session against a record
processor, as the Java daemon would, without Java or AWS: it starts command
as the daemon starts executableName, sends initialize, batches of records and
a shutdown, answers checkpoints with the daemon's rules, reads every line
the child writes as the daemon does, and prints the conversation as it
happens, with the child's stderr in between. A line the daemon would skip
(not a message, an unknown field) is shown with the reason, and skipped,
as the daemon skips it; the command works for a processor in any
language.

By default it generates a session; -session plays a recorded one (the format
of testdata/*.txtar). The exit status is 0 if the child followed the
protocol to the end, 1 if not.

flags:
`

func runPlay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("play", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, playUsage); fs.PrintDefaults() }
	session := fs.String("session", "", "play this recorded session file instead of a generated one")
	shard := fs.String("shard", "shardId-000000000000", "shard id of the generated session")
	batches := fs.Int("batches", 3, "batches in the generated session")
	records := fs.Int("records", 4, "records per batch in the generated session")
	end := fs.String("end", "requested", "how the generated session ends: requested (shutdownRequested, then leaseLost), shardEnded or leaseLost")
	throttle := fs.Bool("throttle", true, "answer the first checkpoint with ThrottlingException, as a busy lease table does")
	timeout := fs.Duration("timeout", kcltest.DefaultTimeout, "longest wait for any one line from the child")
	width := fs.Int("width", 160, "truncate printed lines to this many characters (0: no limit)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	argv := fs.Args()
	if len(argv) == 0 {
		fmt.Fprintln(stderr, "kcl play: no command to run; give it after --")
		fs.Usage()
		return 2
	}
	switch *end {
	case "requested", "shardEnded", "leaseLost":
	default:
		fmt.Fprintf(stderr, "kcl play: -end %q: want requested, shardEnded or leaseLost\n", *end)
		return 2
	}

	var recorded *kcltest.Session
	if *session != "" {
		data, err := os.ReadFile(*session)
		if err == nil {
			recorded, err = kcltest.ParseSession(data)
		}
		if err != nil {
			fmt.Fprintf(stderr, "kcl play: %v\n", err)
			return 2
		}
	}

	t := &playTB{stderr: stderr}
	defer t.cleanup()
	// The child's stderr goes to stdout too, and each protocol line is
	// printed as it is written or read, so that the child's log lines show
	// up between the protocol lines they belong to.
	out := &local.LockedWriter{W: stdout}
	stdout = out
	cmd := exec.Command(argv[0], argv[1:]...)
	childStderr := &prefixWriter{w: out, prefix: "  child stderr | "}
	cmd.Stderr = childStderr
	t.Cleanup(childStderr.flush) // after the child is gone: cleanups run last first
	p := &printer{w: out, width: *width}
	fmt.Fprintf(stdout, "kcl play: starting %s\n", strings.Join(argv, " "))
	d := kcltest.StartCommand(t, cmd, kcltest.Timeout(*timeout), kcltest.Observe(p.line))

	if recorded != nil {
		r, err := kcltest.Replay(d, recorded)
		if err != nil {
			fmt.Fprintf(stderr, "kcl play: %v\n", err)
			return 2
		}
		if r.Err != nil {
			fmt.Fprintf(stdout, "kcl play: the daemon objects: %v\n", r.Err)
			return 1
		}
		childStderr.flush()
		fmt.Fprintf(stdout, "kcl play: session played; child exit status %d\n", r.ExitCode)
		return 0
	}

	gen := generator{shard: *shard}
	steps := []protocol.Message{protocol.Initialize{ShardID: *shard, SequenceNumber: protocol.Some("TRIM_HORIZON"), SubSequenceNumber: protocol.Some[int64](0)}}
	for range *batches {
		steps = append(steps, gen.batch(*records))
	}
	switch *end {
	case "requested":
		steps = append(steps, protocol.ShutdownRequested{}, protocol.LeaseLost{})
	case "shardEnded":
		steps = append(steps, protocol.ShardEnded{})
	case "leaseLost":
		steps = append(steps, protocol.LeaseLost{})
	}
	if *throttle {
		d.ReplyNext("ThrottlingException")
	}
	delivered := 0
	for _, m := range steps {
		what := m.Action()
		if pr, ok := m.(protocol.ProcessRecords); ok {
			what = fmt.Sprintf("%s: %d records", what, len(pr.Records))
		}
		fmt.Fprintf(stdout, "--- %s\n", what)
		_, err := d.Send(m)
		if err != nil {
			fmt.Fprintf(stdout, "kcl play: %v\n", err)
			return 1
		}
		if pr, ok := m.(protocol.ProcessRecords); ok {
			delivered += len(pr.Records)
		}
	}
	err := d.Close()
	childStderr.flush()
	if err != nil {
		fmt.Fprintf(stdout, "kcl play: the child did not exit cleanly: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "kcl play: %d records in %d batches delivered; checkpoint now %v (%d stored); child exited 0\n",
		delivered, *batches, d.Checkpoint(), len(d.Checkpoints()))
	return 0
}

// generator makes realistic batches: JSON order events, a few partition
// keys, increasing arrival times.
type generator struct {
	shard string
	n     int
}

func (g *generator) batch(records int) protocol.ProcessRecords {
	items := []string{"keyboard", "monitor", "cable", "dock", "headset"}
	rs := make([]protocol.Record, records)
	for i := range rs {
		g.n++
		rs[i] = protocol.Record{
			Data: fmt.Appendf(nil, `{"order_id":%d,"customer":"c-%d","item":%q,"amount":%d.%02d}`,
				1000+g.n, g.n%3, items[g.n%len(items)], 10+g.n*7%90, g.n*13%100),
			PartitionKey: fmt.Sprintf("c-%d", g.n%3),
		}
	}
	return protocol.ProcessRecords{Records: rs, MillisBehindLatest: protocol.Some(int64(1000 * (records - g.n%records)))}
}

// printer prints transcript lines, shortening long ones.
type printer struct {
	w     io.Writer
	width int
}

// line prints one transcript line, and what the daemon does with a
// child's line it does not act on.
func (p *printer) line(l kcltest.Line) {
	arrow := "daemon > child "
	if l.FromChild {
		arrow = "child  > daemon"
	}
	text := l.Text
	if p.width > 0 && len(text) > p.width {
		text = fmt.Sprintf("%s... (%d bytes)", text[:p.width], len(text))
	}
	if l.Note != "" {
		text += "\n                 ^ " + l.Note
	}
	fmt.Fprintf(p.w, "%s  %s\n", arrow, text)
}

// prefixWriter prefixes each line written to it. A write need not end a
// line, nor hold a whole one: a child writes a line in as many pieces as
// it likes (Python without buffering writes print's newline apart), so
// the start of a line is kept until its end comes, or until flush.
type prefixWriter struct {
	w       io.Writer
	prefix  string
	mu      sync.Mutex
	pending []byte
}

func (pw *prefixWriter) Write(b []byte) (int, error) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	pw.pending = append(pw.pending, b...)
	for {
		i := bytes.IndexByte(pw.pending, '\n')
		if i < 0 {
			break
		}
		fmt.Fprintf(pw.w, "%s%s\n", pw.prefix, pw.pending[:i])
		pw.pending = pw.pending[i+1:]
	}
	return len(b), nil
}

// flush prints a last line that did not end.
func (pw *prefixWriter) flush() {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	if len(pw.pending) > 0 {
		fmt.Fprintf(pw.w, "%s%s\n", pw.prefix, pw.pending)
		pw.pending = nil
	}
}

// playTB lets a kcltest.Daemon run outside a test: Fatal reports and exits.
type playTB struct {
	stderr   io.Writer
	cleanups []func()
}

func (t *playTB) Helper() {}

func (t *playTB) Fatal(args ...any) {
	fmt.Fprintln(t.stderr, append([]any{"kcl play:"}, args...)...)
	t.cleanup()
	os.Exit(1)
}

func (t *playTB) Fatalf(format string, args ...any) { t.Fatal(fmt.Sprintf(format, args...)) }

func (t *playTB) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }

func (t *playTB) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	t.cleanups = nil
}

var _ kcltest.TB = (*playTB)(nil)
