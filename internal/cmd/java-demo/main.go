// Command java-demo runs the real KCL MultiLangDaemon (Java) on this
// machine, with no AWS: it checks java, fetches and verifies the daemon's
// jars, starts kinesalite (behind an h2c proxy for KCL 2.x and 3.x) and
// dynalite on the loopback interface, creates a stream and the lease
// table, runs "kcl daemon" on a generated kcl.properties with the sample
// processor, writes records with "kcl put", shows them reaching the
// processors, stops the daemon with SIGTERM through kcl daemon's graceful
// path, and shows the checkpoints the daemon wrote to the lease table.
//
//	go build -o bin/ ./cmd/... && go run ./internal/cmd/java-demo -bin bin [-kcl 3.1.3]
//
// It needs Go, Java 8 or later, and Node.js 20 or later with npm. Ctrl-C
// stops it early, cleanly. The exit status is 0 if every record was
// processed and every shard's checkpoint is its last record.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kclgo/mld/internal/javastack"
	"github.com/kclgo/mld/internal/local"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("java-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "bin", "directory holding the built kcl and sample-processor")
	kclVersion := fs.String("kcl", "3.1.3", "KCL `version` of the daemon: 3.1.3, 2.7.2 or 1.15.3 (3, 2, 1 for short)")
	shards := fs.Int("shards", 2, "shards of the demo stream")
	records := fs.Int("records", 40, "records to write with kcl put")
	timeout := fs.Duration("timeout", 3*time.Minute, "give up if the records are not all processed by then")
	verbose := fs.Bool("v", false, "show the daemon's whole log, not only its main events")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *shards < 1 || *records < 1 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "java-demo: want -shards >= 1 and -records >= 1, and no arguments")
		return 2
	}
	kcl, sample := filepath.Join(*bin, "kcl"), filepath.Join(*bin, "sample-processor")
	for _, p := range []string{kcl, sample} {
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(stderr, "java-demo: %v: build the commands first (go build -o %s/ ./cmd/...), or point -bin at them\n", err, *bin)
			return 2
		}
	}
	kcl, _ = filepath.Abs(kcl)
	sample, _ = filepath.Abs(sample)
	out := &local.LockedWriter{W: stdout}
	say := func(format string, a ...any) { fmt.Fprintf(out, "demo: "+format+"\n", a...) }

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	deadline, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	processed := newTracker()
	relay := &lineWriter{line: func(line string) {
		processed.see(line)
		if *verbose || shown(line) {
			fmt.Fprintln(out, line)
		}
	}}
	s, err := javastack.Start(ctx, javastack.Config{
		KCL: *kclVersion, Kcl: kcl, Shards: *shards, Stream: "demo",
		Executable: sample + " -checkpoint-every-records 10",
		Log:        prefixed{out, "demo: "}, Output: relay,
	})
	if err != nil {
		if errors.Is(err, javastack.ErrJava) {
			fmt.Fprintf(stderr, "java-demo: %s\njava-demo: make run-java runs the Java daemon and needs Java 8 or later; make run needs no Java\n",
				strings.TrimPrefix(err.Error(), "javastack: "))
			return 1
		}
		fmt.Fprintf(stderr, "java-demo: %v\n", err)
		return 1
	}
	defer func() {
		s.Close()
		say("emulators stopped")
	}()
	say("java %s (%s); KCL %s", s.Java.Version, s.Java.Path, s.Version)
	b, _ := os.ReadFile(s.Properties)
	say("kcl.properties:\n%s", indent(string(b)))

	say("$ kcl %s", strings.Join(s.DaemonArgs(), " "))
	d, err := s.StartDaemon()
	if err != nil {
		fmt.Fprintf(stderr, "java-demo: %v\n", err)
		return 1
	}
	defer relay.flush()

	putArgs := []string{"put", "-p", s.Properties, "-n", fmt.Sprint(*records), "-key", "order-{n}"}
	say("$ kcl %s", strings.Join(putArgs, " "))
	pc := exec.CommandContext(ctx, kcl, putArgs...)
	pc.Stderr = out
	summary, err := pc.Output()
	out.Write(summary)
	if err != nil {
		fmt.Fprintf(stderr, "java-demo: kcl put: %v\n", err)
		return 1
	}
	last := map[string]string{}
	for _, m := range shardLine.FindAllStringSubmatch(string(summary), -1) {
		last[m[1]] = m[2]
	}

	ok := true
	select {
	case <-processed.reached(*records):
		say("all %d records processed, %v after the daemon started; stopping it with SIGTERM through kcl daemon (shutdownRequested, a last checkpoint, then the end of each processor)",
			*records, d.Since().Round(100*time.Millisecond))
	case <-deadline.Done():
		if ctx.Err() != nil {
			say("interrupted; stopping the daemon gracefully")
		} else {
			say("only %d of %d records processed within %v; stopping", processed.count(), *records, *timeout)
		}
		ok = false
	case <-d.Done():
		fmt.Fprintf(stderr, "java-demo: the daemon ended early; run with -v for its whole log\n")
		return 1
	}
	code, err := d.Stop(60 * time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "java-demo: %v\n", err)
		ok = false
	}
	say("kcl daemon exited with status %d (java's: 143 is the JVM ending on SIGTERM after its shutdown hook)", code)
	if !ok {
		return 1
	}

	leases, err := s.Leases(context.Background())
	if err != nil {
		fmt.Fprintf(stderr, "java-demo: %v\n", err)
		return 1
	}
	say("checkpoints in the lease table %q:", s.App)
	got := map[string]string{}
	for _, l := range leases {
		got[l.Key] = l.Checkpoint
	}
	for _, id := range sortedKeys(last) {
		verdict := "= its last record"
		if got[id] != last[id] {
			verdict = "!= its last record " + last[id]
			ok = false
		}
		say("  %s  %s  %s", id, got[id], verdict)
	}
	if !ok {
		say("some checkpoints are not at their shard's last record")
		return 1
	}
	say("every record was processed by the Java daemon's processors and every shard is checkpointed at its last record")
	return 0
}

// shown picks the lines worth seeing from the daemon's output: kcl
// daemon's own, the processors' (the sample processor logs with
// time=...), and the daemon's main events.
func shown(line string) bool {
	if strings.Contains(line, "Received error line from subprocess") {
		return false // KCL 1.x logs each processor stderr line again, at SEVERE
	}
	return strings.HasPrefix(line, "kcl daemon:") || strings.HasPrefix(line, "time=") || mainEvent.MatchString(line)
}

var mainEvent = regexp.MustCompile(`Initialization complete|Created new shardConsumer|Writing InitializeMessage|Shutdown is requested|Child process exited|shutdown is complete|Process shutdown|\b(ERROR|WARN|SEVERE)\b`)

// shardLine is a per-shard line of kcl put's summary.
var shardLine = regexp.MustCompile(`(?m)^\s+(shardId-\d+): \d+ records, last sequence number (\d+)$`)

var recordLine = regexp.MustCompile(`msg=record .*?sequenceNumber=(\d+)`)

// tracker counts the distinct records the processors logged.
type tracker struct {
	mu      sync.Mutex
	seen    map[string]bool
	waiters map[int]chan struct{}
}

func newTracker() *tracker {
	return &tracker{seen: map[string]bool{}, waiters: map[int]chan struct{}{}}
}

func (t *tracker) see(line string) {
	m := recordLine.FindStringSubmatch(line)
	if m == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seen[m[1]] = true
	for n, ch := range t.waiters {
		if len(t.seen) >= n {
			close(ch)
			delete(t.waiters, n)
		}
	}
}

func (t *tracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.seen)
}

// reached returns a channel closed once n records were seen.
func (t *tracker) reached(n int) <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	ch := make(chan struct{})
	if len(t.seen) >= n {
		close(ch)
		return ch
	}
	t.waiters[n] = ch
	return ch
}

// lineWriter calls line for each complete line written to it.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	line func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.line(string(w.buf))
		w.buf = nil
	}
}

// prefixed puts a prefix before each line written to it in one call.
type prefixed struct {
	w      io.Writer
	prefix string
}

func (p prefixed) Write(b []byte) (int, error) {
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := strings.TrimPrefix(sc.Text(), "javastack: ")
		fmt.Fprintln(p.w, p.prefix+line)
	}
	return len(b), nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
