package bench

import (
	"testing"
	"time"
)

func TestMedianRun(t *testing.T) {
	runs := []Run{{Type: "run", Rep: 1, WallS: 3, RTTp50Us: 1}, {Type: "run", Rep: 2, WallS: 1, RTTp50Us: 4}, {Type: "run", Rep: 3, WallS: 2, RTTp50Us: 2}}
	m := medianRun(runs)
	if m.Type != "median" || m.Rep != 0 || m.WallS != 2 || m.RTTp50Us != 2 {
		t.Errorf("medianRun(odd) = %+v, want wall 2, p50 2", m)
	}
	if m := medianRun(runs[:2]); m.WallS != 2 || m.RTTp50Us != 2.5 {
		t.Errorf("medianRun(even) = %+v, want the means of the middle two: wall 2, p50 2.5", m)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i))
	}
	for _, tt := range []struct{ p, want int }{{50, 100}, {99, 198}, {100, 200}, {0, 1}} {
		if got := percentile(d, tt.p); got != time.Duration(tt.want) {
			t.Errorf("percentile(1..200, %d) = %d, want %d", tt.p, got, tt.want)
		}
	}
	if got := percentile(d[:1], 99); got != 1 {
		t.Errorf("percentile of one value = %d, want it", got)
	}
}

// A ratio over nothing measured is left out: JSON has no NaN.
func TestSummarizeLeavesOutWhatWasNotMeasured(t *testing.T) {
	sdk := []Run{{WallS: 2, StartupMs: 3, IdleRSSKB: 2048}}
	ceiling := []Run{{WallS: 1, StartupMs: 1, IdleRSSKB: 1024}}
	s := summarize(startup, sdk, ceiling)
	if s.Ratios["wall"] != 2 || s.Ratios["startup_diff_ms"] != 2 || s.Ratios["idle_rss"] != 2 {
		t.Errorf("ratios = %v", s.Ratios)
	}
	for _, k := range []string{"throughput", "cpu_per_record", "peak_rss", "sdk_rss_per_line"} {
		if v, ok := s.Ratios[k]; ok {
			t.Errorf("ratio %s = %v, want none", k, v)
		}
	}
}
