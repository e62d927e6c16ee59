package kclprops

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// javaTrim is String.trim: it drops every char <= ' ' at both ends.
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

var javaIntRE = regexp.MustCompile(`^[+-]?[0-9]+$`)

// parseJavaInt parses s as Integer.parseInt (bits 32) or Long.parseLong
// (bits 64) do: an optional sign and decimal digits, within range.
func parseJavaInt(s string, bits int) (int64, bool) {
	if !javaIntRE.MatchString(s) {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, bits)
	return n, err == nil
}

// javaDoubleRE is the syntax of Double.valueOf (after its own trim): a
// decimal or hexadecimal floating-point literal with an optional f/d
// suffix, NaN or Infinity.
var javaDoubleRE = regexp.MustCompile(`^[+-]?(NaN|Infinity|(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+)[fFdD]?)$`)

// parseJavaDouble parses s as Double.valueOf does; zero reports whether the
// value is 0.0 or -0.0, which equals the primitive double's default.
func parseJavaDouble(s string) (ok, zero bool) {
	if !javaDoubleRE.MatchString(s) {
		return false, false
	}
	t := strings.TrimRight(s, "fFdD")
	if strings.Contains(t, "NaN") || strings.Contains(t, "Infinity") {
		return true, false
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil { // out of range: Java gives Infinity or 0
		return true, strings.Contains(err.Error(), "range") && f == 0
	}
	return true, f == 0
}

// Boolean words of commons-beanutils' BooleanConverter, which 2.x and 3.x
// use. It lower-cases the value but does not trim it; anything else becomes
// false without a word, as the daemon's converters are registered with a
// default value instead of throwing.
var (
	beanTrue  = map[string]bool{"true": true, "yes": true, "y": true, "on": true, "1": true}
	beanFalse = map[string]bool{"false": true, "no": true, "n": true, "off": true, "0": true}
)

// durationRE is java.time.Duration.parse's grammar, case-insensitive:
// days, hours, minutes and seconds, each signed, with a fraction of a second.
var durationRE = regexp.MustCompile(`^(?i)([-+]?)P(?:([-+]?[0-9]+)D)?(T(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?(?:([-+]?)([0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?$`)

// parseDuration parses s as Duration.parse does and reports whether it is
// negative.
func parseDuration(s string) (ok, negative bool) {
	m := durationRE.FindStringSubmatch(s)
	if m == nil {
		return false, false
	}
	if m[3] == "T" || (m[2] == "" && m[3] == "") { // "PT" and "P" name no amount
		return false, false
	}
	total := new(big.Rat)
	add := func(num string, unit int64) {
		if num == "" {
			return
		}
		n, _ := new(big.Rat).SetString(strings.TrimPrefix(num, "+"))
		total.Add(total, n.Mul(n, big.NewRat(unit, 1)))
	}
	add(m[2], 86400)
	add(m[4], 3600)
	add(m[5], 60)
	if m[7] != "" {
		sec, _ := new(big.Rat).SetString(m[7] + "." + m[8] + "0")
		if m[6] == "-" {
			sec.Neg(sec)
		}
		total.Add(total, sec)
	}
	if m[1] == "-" {
		total.Neg(total)
	}
	return true, total.Sign() < 0
}

// javaSplit is String.split with a literal separator: trailing empty
// strings are dropped, and an input without the separator is one element.
func javaSplit(s, sep string) []string {
	parts := strings.Split(s, sep)
	if len(parts) == 1 {
		return parts
	}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// distance is the optimal string alignment distance between a and b, case
// folded: insertions, deletions, substitutions and swaps of neighbours.
func distance(a, b string) int {
	x, y := []rune(strings.ToLower(a)), []rune(strings.ToLower(b))
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

// closest returns the candidate nearest to s, if it is near enough to be
// a likely typo: one edit in a short name, up to three in a long one.
func closest(s string, candidates []string) (string, bool) {
	limit := 1
	switch {
	case len(s) > 12:
		limit = 3
	case len(s) > 5:
		limit = 2
	}
	best, bestD := "", limit+1
	for _, c := range candidates {
		if d := distance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best, bestD <= limit
}
