package bench

import (
	"math"
	"slices"
	"time"
)

// Run is what one child did in one run of a scenario, as kcl bench -json
// prints it.
type Run struct {
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
	PeakRSSKB   float64 `json:"child_peak_rss_kb"`       // 0 where !RSSMeasured
	IdleRSSKB   float64 `json:"child_rss_after_init_kb"` // 0 where !RSSMeasured
	RTTp50Us    float64 `json:"rtt_p50_us"`
	RTTp99Us    float64 `json:"rtt_p99_us"`
	Checkpoints int     `json:"checkpoints"`
	Skipped     int     `json:"child_skipped_lines"`
}

// Summary compares the medians of the two children in one scenario.
type Summary struct {
	Type     string `json:"type"` // "summary"
	Scenario string `json:"scenario"`
	Reps     int    `json:"reps"`
	SDK      Run    `json:"sdk"`
	Ceiling  Run    `json:"ceiling"`
	// Ratios are sdk over ceiling ("wall", "throughput", ...), or the
	// difference where the name ends in "_diff_us" or "_diff_ms". A ratio
	// that was not measured (throughput in S4, RSS where !RSSMeasured) is
	// missing.
	Ratios map[string]float64 `json:"ratios"`
}

func summarize(sc Scenario, sdk, ceiling []Run) Summary {
	s := Summary{Type: "summary", Scenario: sc.Name, Reps: len(sdk), SDK: medianRun(sdk), Ceiling: medianRun(ceiling)}
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

// medianRun returns the first run with each figure replaced by the median
// of runs.
func medianRun(runs []Run) Run {
	m := runs[0]
	m.Type, m.Rep = "median", 0
	med := func(f func(*Run) *float64) {
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
	med(func(r *Run) *float64 { return &r.StartupMs })
	med(func(r *Run) *float64 { return &r.WallS })
	med(func(r *Run) *float64 { return &r.PayloadMBps })
	med(func(r *Run) *float64 { return &r.CPUS })
	med(func(r *Run) *float64 { return &r.CPUPerRecUs })
	med(func(r *Run) *float64 { return &r.PeakRSSKB })
	med(func(r *Run) *float64 { return &r.IdleRSSKB })
	med(func(r *Run) *float64 { return &r.RTTp50Us })
	med(func(r *Run) *float64 { return &r.RTTp99Us })
	return m
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}
