package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
)

// Decode parses one line written by the daemon, which is what a child
// reads. A "checkpoint" line is a CheckpointReply.
//
// Decoding is lenient, more so than the daemon's reader (DecodeChild), so
// that a child goes on working when a daemon sends a field it did not
// send before (docs/protocol.md §2.1):
//   - unknown fields are ignored, at any depth;
//   - missing fields and null read as null (Nullable.Valid false, nil Data,
//     empty strings, an empty records list);
//   - a trailing "\r" is dropped, and anything after the first JSON value on
//     the line is ignored;
//   - a number where a string is expected is kept as written, and true or
//     false as "true" or "false"; a numeric string where an integer is
//     expected is parsed, an empty one reads as null, and a fractional
//     number is truncated toward zero;
//   - with duplicate keys the last one wins, "action" included.
//
// Keys are matched case-sensitively. An integer outside the int64 range,
// an object or array where a scalar is expected, invalid base64 (standard
// alphabet, padded, no line breaks) and a line that is not a JSON object
// with a string "action" are errors wrapping ErrMalformed. A well-formed
// line with an action this package does not know gives an
// *UnknownActionError.
//
// The result does not alias line.
func Decode(line []byte) (Message, error) {
	return decode(line, false)
}

// decode is the reference decoder, built on encoding/json. Reader uses a
// hand-written scanner for processRecords lines, which is tested to accept
// and reject exactly the same lines as this function.
func decode(line []byte, fromChild bool) (Message, error) {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	fields, err := decodeObject(line)
	if err != nil {
		return nil, malformed(line, "%v", err)
	}
	rawAction, ok := fields["action"]
	if !ok {
		return nil, malformed(line, "no action")
	}
	var action string
	if kindOf(rawAction) != '"' || json.Unmarshal(rawAction, &action) != nil {
		return nil, malformed(line, "action is not a string")
	}
	m, err := decodeFields(action, fields, fromChild)
	switch err := err.(type) {
	case nil:
		return m, nil
	case decodeError:
		return nil, malformed(line, "%s: %v", action, err)
	default:
		return nil, err
	}
}

// decodeFields builds the message for action from the fields of its
// object. It returns an *UnknownActionError for an action this package does
// not know, and a decodeError naming the first field of an impossible type.
func decodeFields(action string, fields map[string]json.RawMessage, fromChild bool) (Message, error) {
	d := fieldDecoder{fields: fields}
	var m Message
	switch action {
	case ActionInitialize:
		m = Initialize{
			ShardID:           d.str("shardId").V,
			SequenceNumber:    d.str("sequenceNumber"),
			SubSequenceNumber: d.int("subSequenceNumber"),
		}
	case ActionProcessRecords:
		m = ProcessRecords{
			Records:            d.records("records"),
			MillisBehindLatest: d.int("millisBehindLatest"),
		}
	case ActionLeaseLost:
		m = LeaseLost{}
	case ActionShardEnded:
		m = ShardEnded{}
	case ActionShutdownRequested:
		m = ShutdownRequested{}
	case ActionShutdown:
		m = Shutdown{Reason: d.str("reason").V}
	case ActionStatus:
		m = Status{ResponseFor: d.str("responseFor").V}
	case ActionCheckpoint:
		seq, sub, errName := d.str("sequenceNumber"), d.int("subSequenceNumber"), d.str("error")
		if fromChild {
			m = Checkpoint{SequenceNumber: seq, SubSequenceNumber: sub}
		} else {
			m = CheckpointReply{SequenceNumber: seq, SubSequenceNumber: sub, Error: errName}
		}
	default:
		return nil, &UnknownActionError{Action: action}
	}
	if d.err != nil {
		return nil, d.err
	}
	return m, nil
}

// decodeObject reads the first JSON value of line, which must be an object.
func decodeObject(line []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, errNotJSON
	}
	if kindOf(raw) != '{' {
		return nil, errNotObject
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, errNotJSON
	}
	return fields, nil
}

type decodeError string

func (e decodeError) Error() string { return string(e) }

const (
	errNotJSON    = decodeError("not JSON")
	errNotObject  = decodeError("not a JSON object")
	errNotString  = decodeError("want a string")
	errNotInt     = decodeError("want an integer")
	errIntRange   = decodeError("integer out of range")
	errNotArray   = decodeError("want an array of records")
	errNotRecord  = decodeError("want a record object")
	errBase64     = decodeError("data is not padded standard base64")
	errDataString = decodeError("data is not a string")
)

// kindOf returns the first byte of a JSON value: '"', '{', '[', 'n', 't',
// 'f', or a digit or '-' for a number.
func kindOf(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// fieldDecoder reads typed fields from a decoded object, keeping the first
// error.
type fieldDecoder struct {
	fields map[string]json.RawMessage
	err    error
}

func (d *fieldDecoder) fail(name string, err error) {
	if d.err == nil {
		d.err = decodeError(name + ": " + err.Error())
	}
}

func (d *fieldDecoder) str(name string) Nullable[string] {
	raw, ok := d.fields[name]
	if !ok {
		return Nullable[string]{}
	}
	s, err := coerceString(raw)
	if err != nil {
		d.fail(name, err)
	}
	return s
}

func (d *fieldDecoder) int(name string) Nullable[int64] {
	raw, ok := d.fields[name]
	if !ok {
		return Nullable[int64]{}
	}
	n, err := coerceInt(raw)
	if err != nil {
		d.fail(name, err)
	}
	return n
}

func (d *fieldDecoder) data(name string) []byte {
	raw, ok := d.fields[name]
	if !ok {
		return nil
	}
	switch kindOf(raw) {
	case 'n':
		return nil
	case '"':
	default:
		d.fail(name, errDataString)
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		d.fail(name, errNotString)
		return nil
	}
	b, err := decodeBase64([]byte(s))
	if err != nil {
		d.fail(name, err)
	}
	return b
}

func (d *fieldDecoder) records(name string) []Record {
	raw, ok := d.fields[name]
	if !ok || kindOf(raw) == 'n' {
		return nil
	}
	if kindOf(raw) != '[' {
		d.fail(name, errNotArray)
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		d.fail(name, errNotArray)
		return nil
	}
	records := make([]Record, 0, len(elems))
	for _, e := range elems {
		if kindOf(e) != '{' {
			d.fail(name, errNotRecord)
			return nil
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(e, &fields); err != nil {
			d.fail(name, errNotRecord)
			return nil
		}
		rd := fieldDecoder{fields: fields}
		records = append(records, Record{
			Data:                        rd.data("data"),
			PartitionKey:                rd.str("partitionKey").V,
			SequenceNumber:              rd.str("sequenceNumber").V,
			ApproximateArrivalTimestamp: rd.int("approximateArrivalTimestamp"),
			SubSequenceNumber:           rd.int("subSequenceNumber"),
		})
		if rd.err != nil {
			d.fail(name, rd.err)
			return nil
		}
	}
	return records
}

// coerceString reads a string field: a string, null, a number kept as
// written, or a boolean as its literal.
func coerceString(raw json.RawMessage) (Nullable[string], error) {
	raw = bytes.TrimSpace(raw)
	switch kindOf(raw) {
	case 'n':
		return Nullable[string]{}, nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Nullable[string]{}, errNotString
		}
		return Some(s), nil
	case 't', 'f':
		return Some(string(raw)), nil
	case '{', '[':
		return Nullable[string]{}, errNotString
	default: // a number, already validated by encoding/json
		return Some(string(raw)), nil
	}
}

// coerceInt reads an integer field: a number, null, or a string holding a
// number ("" reads as null).
func coerceInt(raw json.RawMessage) (Nullable[int64], error) {
	raw = bytes.TrimSpace(raw)
	switch kindOf(raw) {
	case 'n':
		return Nullable[int64]{}, nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Nullable[int64]{}, errNotInt
		}
		if s == "" {
			return Nullable[int64]{}, nil
		}
		if !validNumber(s) {
			return Nullable[int64]{}, errNotInt
		}
		return parseInt(s)
	case 't', 'f', '{', '[':
		return Nullable[int64]{}, errNotInt
	default:
		return parseInt(string(raw))
	}
}

// validNumber reports whether s is a JSON number.
func validNumber(s string) bool {
	return json.Valid([]byte(s)) && s != "" && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))
}

// parseInt converts a JSON number to int64: integers must fit, fractions
// and exponents are truncated toward zero, as Jackson does for a long.
func parseInt(s string) (Nullable[int64], error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Some(n), nil
	}
	isInteger := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '.' || c == 'e' || c == 'E' {
			isInteger = false
			break
		}
	}
	if isInteger {
		return Nullable[int64]{}, errIntRange
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return Nullable[int64]{}, errIntRange
	}
	f = math.Trunc(f)
	if f < -(1<<63) || f >= 1<<63 {
		return Nullable[int64]{}, errIntRange
	}
	return Some(int64(f)), nil
}

// decodeBase64 decodes padded standard base64. Line breaks, which the
// standard library would skip, are rejected: the daemon never writes them.
func decodeBase64(s []byte) ([]byte, error) {
	if bytes.ContainsAny(s, "\r\n") {
		return nil, errBase64
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(b, s)
	if err != nil {
		return nil, errBase64
	}
	return b[:n], nil
}
