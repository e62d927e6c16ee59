package kcl

import "github.com/kclgo/mld/protocol"

// CompareSequenceNumbers compares two Kinesis sequence numbers, decimal
// strings of up to 128 digits too long for any integer type. It returns -1
// if a comes before b, 0 if they are equal and +1 if a comes after b.
// Leading zeros are ignored. A string that is not all digits sorts after
// every number, and such strings compare as strings.
//
// It is protocol.CompareSequenceNumbers, kept here because processors
// compare positions and need not import the codec.
func CompareSequenceNumbers(a, b string) int { return protocol.CompareSequenceNumbers(a, b) }
