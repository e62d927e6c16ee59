package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kclgo/mld/internal/bench"
)

// TestBench builds bench-noop and bench-ceiling once and runs the bench
// command against them and against a child that cannot start.
func TestBench(t *testing.T) {
	sdk, ceiling, err := bench.BuildChildren(t.TempDir())
	if err != nil {
		t.Fatalf("building the bench children: %v", err)
	}
	t.Run("table", func(t *testing.T) { testBenchTable(t, sdk, ceiling) })
	t.Run("json", func(t *testing.T) { testBenchJSON(t, sdk, ceiling) })
	t.Run("failing child", func(t *testing.T) { testBenchFailingChild(t, ceiling) })
}

func runBenchCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"bench"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// The figures are not checked against any speed: only that every scenario
// ran and produced numbers that mean something.
func testBenchTable(t *testing.T, sdk, ceiling string) {
	code, out, errOut := runBenchCmd(t, "-quick", "-reps", "1", "-sdk", sdk, "-ceiling", ceiling)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"S1", "S2", "S3", "S4", "CPU per record", "round trip p50", "startup", "idle RSS", "peak RSS / line"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"NaN", "Inf"} {
		if strings.Contains(out, bad) {
			t.Errorf("table has %s:\n%s", bad, out)
		}
	}
}

func testBenchJSON(t *testing.T, sdk, ceiling string) {
	code, out, errOut := runBenchCmd(t, "-quick", "-reps", "1", "-json", "-sdk", sdk, "-ceiling", ceiling)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var s bench.Summary
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if s.Type != "summary" {
			continue
		}
		seen[s.Scenario] = true
		for _, r := range []bench.Run{s.SDK, s.Ceiling} {
			figures := map[string]float64{"startup_ms": r.StartupMs, "wall_s": r.WallS, "child_cpu_s": r.CPUS}
			if bench.RSSMeasured {
				figures["child_rss_after_init_kb"] = r.IdleRSSKB
				figures["child_peak_rss_kb"] = r.PeakRSSKB
			}
			if s.Scenario != "S4" {
				figures["payload_mb_per_s"] = r.PayloadMBps
				figures["child_cpu_us_per_record"] = r.CPUPerRecUs
				figures["rtt_p50_us"] = r.RTTp50Us
				figures["rtt_p99_us"] = r.RTTp99Us
			}
			for name, v := range figures {
				// CPU time is counted in clock ticks: a short run may show none.
				if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) || (v == 0 && name != "child_cpu_s") {
					t.Errorf("%s %s: %s = %v, want a positive number", s.Scenario, r.Child, name, v)
				}
			}
		}
		for k, v := range s.Ratios {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s: ratio %s = %v", s.Scenario, k, v)
			}
		}
	}
	for _, name := range []string{"S1", "S2", "S3", "S4"} {
		if !seen[name] {
			t.Errorf("no summary for %s:\n%s", name, out)
		}
	}
}

// How a run fails is internal/bench's to test; here, that the command
// reports it and exits 1.
func testBenchFailingChild(t *testing.T, ceiling string) {
	missing := filepath.Join(t.TempDir(), "no-such-child")
	code, out, errOut := runBenchCmd(t, "-quick", "-reps", "1", "-scenarios", "S4", "-sdk", missing, "-ceiling", ceiling)
	if code != 1 || !strings.HasPrefix(errOut, "kcl bench: S4: sdk child "+missing+" (run 1): ") {
		t.Fatalf("exit %d, want 1 and the failed run named:\n%s%s", code, out, errOut)
	}
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{{"-scenarios", "S1,S9"}, {"-reps", "0"}, {"extra"}} {
		code, _, errOut := runBenchCmd(t, args...)
		if code != 2 || !strings.HasPrefix(errOut, "kcl bench: ") {
			t.Errorf("kcl bench %q: exit %d, want 2 and a message:\n%s", args, code, errOut)
		}
	}
}

// Where RSS is not measured, its zeros must not pass their targets.
func TestBenchTableWithoutRSS(t *testing.T) {
	var sums []bench.Summary
	for _, name := range []string{"S1", "S2", "S3", "S4"} {
		run := bench.Run{Scenario: name, Records: 10, WallS: 1, StartupMs: 1, RTTp50Us: 1}
		sums = append(sums, bench.Summary{Scenario: name, SDK: run, Ceiling: run, Ratios: map[string]float64{"wall": 1}})
	}
	var out bytes.Buffer
	printBenchTable(&out, sums, "sdk", "ceiling", false)
	rows := 0
	for _, l := range strings.Split(out.String(), "\n") {
		if !strings.Contains(l, "RSS") {
			continue
		}
		rows++
		if !strings.Contains(l, "n/a on "+runtime.GOOS) || strings.Contains(l, " ok") || strings.Contains(l, "MISSED") || strings.Contains(l, "MiB") {
			t.Errorf("row %q: want n/a and no figure or target", l)
		}
	}
	if rows != 4 {
		t.Errorf("%d RSS rows, want 4:\n%s", rows, out.String())
	}
}
