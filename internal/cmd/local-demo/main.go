// Command local-demo runs the whole pipeline on this machine, with no AWS
// and no Java: it starts kinesalite on the loopback interface (installing
// it with npm on first use), creates a stream with several shards, writes
// records to it with "kcl put" while "kcl local" runs the sample processor
// on every shard, shows the records and checkpoints as they go, then stops
// kcl local gracefully once every record was processed, checks that each
// shard's checkpoint is its last record, and stops kinesalite.
//
//	go build -o bin/ ./cmd/... && go run ./internal/cmd/local-demo -bin bin
//
// It needs Go, and Node.js with npm. Ctrl-C stops it early, cleanly. The
// exit status is 0 if every record was processed and checkpointed.
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

	"github.com/kclgo/mld/internal/local"
	"github.com/kclgo/mld/internal/stream/kinesalite"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("local-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "bin", "directory holding the built kcl and sample-processor")
	shards := fs.Int("shards", 4, "shards of the demo stream")
	records := fs.Int("records", 120, "records to write, in -waves waves")
	waves := fs.Int("waves", 3, "how many kcl put runs write the records, while kcl local runs")
	gap := fs.Duration("gap", time.Second, "pause between waves")
	idle := fs.Duration("idle", 200*time.Millisecond, "kcl local -idle: the pause between GetRecords calls per shard")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up if the records are not all processed by then")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *shards < 1 || *records < *waves || *waves < 1 {
		fmt.Fprintln(stderr, "local-demo: want -shards >= 1 and -records >= -waves >= 1")
		return 2
	}
	kcl, sample := filepath.Join(*bin, "kcl"), filepath.Join(*bin, "sample-processor")
	for _, p := range []string{kcl, sample} {
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(stderr, "local-demo: %v: build the commands first (go build -o %s/ ./cmd/...), or point -bin at them\n", err, *bin)
			return 2
		}
	}
	out := &local.LockedWriter{W: stdout}
	say := func(format string, a ...any) { fmt.Fprintf(out, "demo: "+format+"\n", a...) }

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	deadline, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	kdir, err := kinesalite.Install(ctx, out)
	if err != nil {
		fmt.Fprintf(stderr, "local-demo: %v\n", err)
		return 1
	}
	srv, err := kinesalite.Start(ctx, kdir, kinesalite.Options{CreateStreamMs: 50})
	if err != nil {
		fmt.Fprintf(stderr, "local-demo: %v\n", err)
		return 1
	}
	defer func() {
		srv.Stop()
		say("kinesalite stopped")
	}()
	say("kinesalite %s listening at %s (loopback only, in memory)", kinesalite.Version, srv.URL)
	const stream = "demo"
	if err := kinesalite.CreateStream(ctx, srv.Client(), stream, *shards); err != nil {
		fmt.Fprintf(stderr, "local-demo: %v\n", err)
		return 1
	}
	say("created stream %q with %d shards", stream, *shards)

	dir, err := os.MkdirTemp("", "kcl-local-demo-")
	if err != nil {
		fmt.Fprintf(stderr, "local-demo: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	props := filepath.Join(dir, "kcl.properties")
	absSample, _ := filepath.Abs(sample)
	content := fmt.Sprintf(`streamName = %s
kinesisEndpoint = %s
regionName = us-east-1
initialPositionInStream = TRIM_HORIZON
maxRecords = 25
executableName = %s -checkpoint-every-records 10
`, stream, srv.URL, absSample)
	if err := os.WriteFile(props, []byte(content), 0o644); err != nil {
		fmt.Fprintf(stderr, "local-demo: %v\n", err)
		return 1
	}
	say("kcl.properties:\n%s", indent(content))
	cps := filepath.Join(dir, "checkpoints.json")

	// kcl local, in its own process group so that a Ctrl-C reaches it
	// once, from here, and it can shut its children down gracefully.
	localArgs := []string{"local", "-p", props, "-checkpoints", cps, "-idle", idle.String(), "-progress", "1s"}
	say("$ kcl %s", strings.Join(localArgs, " "))
	lc := exec.Command(kcl, localArgs...)
	isolate(lc)
	lout, _ := lc.StderrPipe()
	lc.Stdout = out
	if err := lc.Start(); err != nil {
		fmt.Fprintf(stderr, "local-demo: starting kcl local: %v\n", err)
		return 1
	}
	processed := newTracker()
	relayed := make(chan struct{})
	go func() {
		defer close(relayed)
		sc := bufio.NewScanner(lout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(out, line)
			processed.see(line)
		}
	}()
	exited := make(chan error, 1)
	go func() {
		<-relayed
		exited <- lc.Wait()
	}()
	stopLocal := func() error {
		lc.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			return err
		case <-time.After(45 * time.Second):
			lc.Process.Kill()
			return errors.New("kcl local did not stop within 45s; killed")
		}
	}

	// Write the records in waves while kcl local runs.
	last := map[string]string{}
	per := *records / *waves
	for w := 1; w <= *waves; w++ {
		n := per
		if w == *waves {
			n = *records - per*(*waves-1)
		}
		putArgs := []string{"put", "-p", props, "-n", fmt.Sprint(n), "-key", fmt.Sprintf("wave%d-{n}", w)}
		say("$ kcl %s", strings.Join(putArgs, " "))
		pc := exec.CommandContext(ctx, kcl, putArgs...)
		isolate(pc)
		pc.Stderr = out
		summary, err := pc.Output()
		out.Write(summary)
		if err != nil {
			fmt.Fprintf(stderr, "local-demo: kcl put: %v\n", err)
			stopLocal()
			return 1
		}
		for _, m := range shardLine.FindAllStringSubmatch(string(summary), -1) {
			last[m[1]] = m[2]
		}
		if w < *waves && !sleep(ctx, *gap) {
			break
		}
	}

	// Wait until every record was processed, then stop kcl local: its
	// children checkpoint what they processed during shutdownRequested.
	ok := true
	select {
	case <-processed.reached(*records):
		say("all %d records processed; stopping kcl local with SIGINT (shutdownRequested, leaseLost, EOF for every child)", *records)
	case <-deadline.Done():
		if ctx.Err() != nil {
			say("interrupted; stopping kcl local gracefully")
		} else {
			say("only %d of %d records processed within %v; stopping", processed.count(), *records, *timeout)
		}
		ok = false
	case err := <-exited:
		fmt.Fprintf(stderr, "local-demo: kcl local ended early: %v\n", err)
		return 1
	}
	if err := stopLocal(); err != nil {
		fmt.Fprintf(stderr, "local-demo: kcl local: %v\n", err)
		ok = false
	}
	if !ok {
		return 1
	}

	got, err := local.ReadCheckpointFile(cps)
	if err != nil {
		fmt.Fprintf(stderr, "local-demo: %v\n", err)
		return 1
	}
	say("checkpoints in %s:", filepath.Base(cps))
	for _, id := range sortedKeys(last) {
		cp := got[stream][id].SequenceNumber
		verdict := "= its last record"
		if cp != last[id] {
			verdict = "!= its last record " + last[id]
			ok = false
		}
		say("  %s  %s  %s", id, cp, verdict)
	}
	if !ok {
		say("some checkpoints are not at their shard's last record")
		return 1
	}
	say("every record was processed and every shard is checkpointed at its last record")
	return 0
}

// shardLine is a per-shard line of kcl put's summary.
var shardLine = regexp.MustCompile(`(?m)^\s+(shardId-\d+): \d+ records, last sequence number (\d+)$`)

// tracker counts the distinct records the processors logged.
type tracker struct {
	mu      sync.Mutex
	seen    map[string]bool
	waiters map[int]chan struct{}
}

var recordLine = regexp.MustCompile(`msg=record .*sequenceNumber=(\d+)`)

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

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
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
