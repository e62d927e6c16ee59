package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kclgo/mld/internal/bench"
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

RSS comes from /proc and is measured on Linux only: elsewhere the table
shows "n/a" and the JSON 0, without RSS ratios. A hung child is killed with
its process group on Unix; on Windows it is killed alone, and processes it
started live on.

Without -sdk and -ceiling, it builds internal/cmd/bench-noop and
internal/cmd/bench-ceiling with "go build"; that works inside the module.

flags:
`

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
	var run []bench.Scenario
	for _, name := range strings.Split(*which, ",") {
		sc, ok := bench.Lookup(strings.TrimSpace(name), *quick)
		if !ok {
			fmt.Fprintf(stderr, "kcl bench: unknown scenario %q in -scenarios (want S1, S2, S3 or S4)\n", strings.TrimSpace(name))
			return 2
		}
		run = append(run, sc)
	}
	if *sdk == "" || *ceiling == "" {
		dir, err := os.MkdirTemp("", "kcl-bench")
		if err != nil {
			fmt.Fprintln(stderr, "kcl bench:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		builtSDK, builtCeiling, err := bench.BuildChildren(dir)
		if err != nil {
			fmt.Fprintf(stderr, "kcl bench: cannot build the children (run inside the module github.com/kclgo/mld, or give -sdk and -ceiling): %v\n", err)
			return 1
		}
		if *sdk == "" {
			*sdk = builtSDK
		}
		if *ceiling == "" {
			*ceiling = builtCeiling
		}
	}
	if !bench.RSSMeasured {
		fmt.Fprintf(stderr, "kcl bench: RSS is not measured on %s (it is read from /proc, which only Linux has): the table shows n/a, -json 0\n", runtime.GOOS)
	}
	enc := json.NewEncoder(stdout)
	cfg := bench.Config{SDK: *sdk, Ceiling: *ceiling, Reps: *reps, Timeout: *timeout, Seed: *seed}
	if *asJSON {
		cfg.OnRun = func(r bench.Run) { enc.Encode(r) }
	}
	var sums []bench.Summary
	for _, sc := range run {
		s, err := bench.Compare(sc, cfg)
		if err != nil {
			fmt.Fprintf(stderr, "kcl bench: %v\n", err)
			return 1
		}
		sums = append(sums, s)
		if *asJSON {
			enc.Encode(s)
		}
	}
	if !*asJSON {
		printBenchTable(stdout, sums, *sdk, *ceiling, bench.RSSMeasured)
	}
	return 0
}

// printBenchTable prints the summaries as a table; rssMeasured is false
// where the RSS figures are zeros for want of a way to read them.
func printBenchTable(w io.Writer, sums []bench.Summary, sdk, ceiling string, rssMeasured bool) {
	fmt.Fprintf(w, "kcl bench: medians; sdk = %s, ceiling = %s\n\n", sdk, ceiling)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmetric\tsdk\tceiling\tsdk vs ceiling\ttarget\t")
	mib := func(kb float64) string { return fmt.Sprintf("%.1f MiB", kb/1024) }
	notMeasured := "n/a on " + runtime.GOOS
	times := func(x float64) string { return fmt.Sprintf("%.2fx", x) }
	for _, s := range sums {
		a, b := s.SDK, s.Ceiling
		row := func(metric, va, vb, rel, target string) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", s.Scenario, metric, va, vb, rel, target)
		}
		// Unmeasured RSS reads 0, which would meet every target: say so
		// instead.
		rssRow := func(metric, va, vb, rel, target string) {
			if !rssMeasured {
				va, vb, rel, target = notMeasured, notMeasured, "", ""
			}
			row(metric, va, vb, rel, target)
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
			rssRow("peak RSS", mib(a.PeakRSSKB), mib(b.PeakRSSKB), times(s.Ratios["peak_rss"]), "")
		case "S2":
			row("workload", shape, fmt.Sprintf("%.1f MB lines", float64(a.MaxLineB)/1e6), "", "")
			wr := s.Ratios["wall"]
			row("wall", fmt.Sprintf("%.3f s", a.WallS), fmt.Sprintf("%.3f s", b.WallS), times(wr), mark(wr <= 1.2, "<= 1.2x"))
			row("payload", fmt.Sprintf("%.0f MB/s", a.PayloadMBps), fmt.Sprintf("%.0f MB/s", b.PayloadMBps), fmt.Sprintf("%.0f%%", 100*s.Ratios["throughput"]), "")
			row("CPU per record", fmt.Sprintf("%.0f us", a.CPUPerRecUs), fmt.Sprintf("%.0f us", b.CPUPerRecUs), times(s.Ratios["cpu_per_record"]), "")
			rssRow("peak RSS", mib(a.PeakRSSKB), mib(b.PeakRSSKB), times(s.Ratios["peak_rss"]), "")
			pl := s.Ratios["sdk_rss_per_line"]
			rssRow("peak RSS / line", times(pl), times(s.Ratios["ceiling_rss_per_line"]), "", mark(pl <= 2, "sdk <= 2x"))
		case "S3":
			row("workload", shape, "", "", "")
			d := s.Ratios["rtt_p50_diff_us"]
			row("round trip p50", fmt.Sprintf("%.1f us", a.RTTp50Us), fmt.Sprintf("%.1f us", b.RTTp50Us), fmt.Sprintf("%+.1f us", d), mark(d <= 3, "<= +3 us"))
			row("round trip p99", fmt.Sprintf("%.1f us", a.RTTp99Us), fmt.Sprintf("%.1f us", b.RTTp99Us), fmt.Sprintf("%+.1f us", s.Ratios["rtt_p99_diff_us"]), "")
			row("CPU per record", fmt.Sprintf("%.2f us", a.CPUPerRecUs), fmt.Sprintf("%.2f us", b.CPUPerRecUs), times(s.Ratios["cpu_per_record"]), "")
		case "S4":
			row("startup", fmt.Sprintf("%.2f ms", a.StartupMs), fmt.Sprintf("%.2f ms", b.StartupMs), fmt.Sprintf("%+.2f ms", s.Ratios["startup_diff_ms"]), mark(a.StartupMs < 3, "sdk < 3 ms"))
			rssRow("idle RSS", mib(a.IdleRSSKB), mib(b.IdleRSSKB), times(s.Ratios["idle_rss"]), mark(a.IdleRSSKB < 4096, "sdk < 4 MiB"))
		}
	}
	tw.Flush()
}
