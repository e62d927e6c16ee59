package protocol_test

import (
	"testing"

	"github.com/kclgo/mld/protocol"
)

func TestCompareSequenceNumbers(t *testing.T) {
	const (
		a = "49590338271490256608559692538361571095921575989136588898"
		b = "49590338271490256608559692540925702759324208523137515618"
	)
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{a, a, 0},
		{a, b, -1},
		{b, a, 1},
		{"1", "2", -1},
		{"9", "10", -1}, // by value, not as strings
		{"10", "9", 1},  // by value, not as strings
		{"007", "7", 0}, // leading zeros are ignored
		{"0", "000", 0}, // zero in any form
		{"0", "1", -1},
		{"0100", "99", 1},
		{a, a + "0", -1}, // more digits
		{"1" + a + a, a + a + "9", -1},
		{"99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999",
			"100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", -1}, // 128 digits and 129
		// Anything that is not all digits sorts after every number.
		{"TRIM_HORIZON", a, 1},
		{a, "LATEST", -1},
		{"", "0", 1},
		{"-1", "0", 1},
		{"1 ", "1", 1},
		{"+1", "1", 1},
		// and such strings compare as strings.
		{"AT_TIMESTAMP", "LATEST", -1},
		{"SHARD_END", "SHARD_END", 0},
		{"", "", 0},
		{"", "LATEST", -1},
	} {
		if got := protocol.CompareSequenceNumbers(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareSequenceNumbers(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := protocol.CompareSequenceNumbers(tc.b, tc.a); got != -tc.want {
			t.Errorf("CompareSequenceNumbers(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}
