//go:build linux

package bench

import (
	"os"
	"strconv"
	"strings"
)

// RSSMeasured reports whether the children's RSS is measured on this
// system: it comes from /proc/<pid>/status, which only Linux has.
const RSSMeasured = true

// rssKB returns the child's resident set now, in KiB (VmRSS).
func rssKB(pid int) float64 { return procStatusKB(pid, "VmRSS:") }

// peakRSSKB returns the child's largest resident set so far, in KiB
// (VmHWM).
func peakRSSKB(pid int) float64 { return procStatusKB(pid, "VmHWM:") }

// procStatusKB reads a "kB" field of /proc/<pid>/status, or 0 if it cannot.
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
