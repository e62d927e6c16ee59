package protocol

import "strings"

// CompareSequenceNumbers compares two Kinesis sequence numbers, decimal
// strings of up to 128 digits too long for any integer type. It returns -1
// if a comes before b, 0 if they are equal and +1 if a comes after b.
// Leading zeros are ignored. A string that is not all digits sorts after
// every number, and such strings compare as strings.
func CompareSequenceNumbers(a, b string) int {
	na, nb := IsSequenceNumber(a), IsSequenceNumber(b)
	switch {
	case !na && !nb:
		return strings.Compare(a, b)
	case !na:
		return 1
	case !nb:
		return -1
	}
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// IsSequenceNumber reports whether s is a sequence number, all decimal
// digits, rather than a sentinel such as "TRIM_HORIZON" or "SHARD_END".
func IsSequenceNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
