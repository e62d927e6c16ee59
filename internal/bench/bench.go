// Package bench is the engine of kcl bench: it measures a record processor
// built with the SDK against a reference child (the ceiling) by playing the
// MultiLangDaemon to both, in real child processes.
//
// For each scenario (scenario.go) it generates the daemon's exact lines
// before any timing (lines.go), then starts a fresh child per run and
// drives it (driver.go): it writes each action, reads the child's lines as
// the daemon does, with protocol.DecodeChild, and answers checkpoints with
// the daemon's rules, package lease. The two children run interleaved, and
// the runs are reduced to medians and ratios (stats.go).
//
// What each system can measure: CPU time everywhere, from the exited
// child's process state; RSS on Linux only (RSSMeasured). A hung child is
// killed with its process group on Unix, and alone elsewhere.
package bench

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// Config says what Compare runs.
type Config struct {
	SDK, Ceiling string        // paths of the two children
	Reps         int           // runs per child
	Timeout      time.Duration // the longest wait for any one status
	Seed         uint64        // seed of the random payloads and partition keys
	// OnRun, if not nil, is called with each run as it ends.
	OnRun func(Run)
}

// ChildError is a run that failed: the child could not start, broke the
// protocol, exited, or hung.
type ChildError struct {
	Scenario string
	Child    string // "sdk" or "ceiling"
	Path     string
	Rep      int
	Err      error
}

func (e *ChildError) Error() string {
	return fmt.Sprintf("%s: %s child %s (run %d): %v", e.Scenario, e.Child, e.Path, e.Rep, e.Err)
}

func (e *ChildError) Unwrap() error { return e.Err }

// Compare runs the two children through sc cfg.Reps times each,
// interleaved (sdk, ceiling, sdk, ...), and returns their medians. The
// first run that fails ends it with a *ChildError.
func Compare(sc Scenario, cfg Config) (Summary, error) {
	lines := Generate(sc, cfg.Seed)
	children := [2]struct{ name, path string }{{"sdk", cfg.SDK}, {"ceiling", cfg.Ceiling}}
	var runs [2][]Run
	for rep := 1; rep <= cfg.Reps; rep++ {
		for i, c := range children {
			r, err := measure(sc, lines, c.path, cfg.Timeout)
			if err != nil {
				return Summary{}, &ChildError{Scenario: sc.Name, Child: c.name, Path: c.path, Rep: rep, Err: err}
			}
			r.Child, r.Rep = c.name, rep
			runs[i] = append(runs[i], r)
			if cfg.OnRun != nil {
				cfg.OnRun(r)
			}
		}
	}
	return summarize(sc, runs[0], runs[1]), nil
}

// measure runs one child through one scenario.
func measure(sc Scenario, lines *Lines, path string, timeout time.Duration) (r Run, err error) {
	r = Run{Type: "run", Scenario: sc.Name, Records: lines.records, PayloadB: lines.payload, MaxLineB: lines.maxLine}
	rtt := make([]time.Duration, len(lines.batches))
	runtime.GC()
	start := time.Now()
	c, err := startChild(path, timeout)
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
	if err := c.exchange(lines.init); err != nil {
		return r, err
	}
	r.StartupMs = float64(time.Since(start).Nanoseconds()) / 1e6
	pid := c.cmd.Process.Pid
	r.IdleRSSKB = rssKB(pid)

	// Nothing in the timed part needs the collector; keep it from running.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	t0 := time.Now()
	for i, s := range lines.batches {
		ts := time.Now()
		if err := c.exchange(s); err != nil {
			return r, fmt.Errorf("batch %d of %d: %w", i+1, len(lines.batches), err)
		}
		rtt[i] = time.Since(ts)
	}
	for _, s := range lines.end {
		if err := c.exchange(s); err != nil {
			return r, err
		}
	}
	r.WallS = time.Since(t0).Seconds()
	r.PeakRSSKB = peakRSSKB(pid)
	r.Checkpoints, r.Skipped = c.checkpoints, c.skipped
	if err := c.finish(); err != nil {
		return r, err
	}
	r.CPUS = c.cpu().Seconds()
	if lines.records > 0 {
		r.PayloadMBps = float64(lines.payload) / 1e6 / r.WallS
		r.CPUPerRecUs = r.CPUS * 1e6 / float64(lines.records)
	}
	if len(rtt) > 0 {
		slices.Sort(rtt)
		r.RTTp50Us = float64(percentile(rtt, 50).Nanoseconds()) / 1e3
		r.RTTp99Us = float64(percentile(rtt, 99).Nanoseconds()) / 1e3
	}
	return r, nil
}
