package protocol

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
)

// childFields are the properties of the daemon's message classes
// (multilang messages/*.java), by action. The daemon reads a child's line
// with a plain Jackson ObjectMapper, which fails on a property its class
// lacks (FAIL_ON_UNKNOWN_PROPERTIES), so a line with any other key is
// skipped. "action" is the type id and is not listed.
var childFields = map[string][]string{
	ActionStatus:            {"responseFor"},
	ActionCheckpoint:        {"sequenceNumber", "subSequenceNumber", "error"},
	ActionInitialize:        {"shardId", "sequenceNumber", "subSequenceNumber"},
	ActionProcessRecords:    {"records", "millisBehindLatest"},
	ActionShutdown:          {"reason"},
	ActionShutdownRequested: nil,
	ActionLeaseLost:         nil,
	ActionShardEnded:        nil,
}

// DecodeChild reads one line written by a child exactly as the daemon
// reads it (docs/protocol.md §2.5). It is the one place this module
// decides what the daemon makes of a child's line; package kcltest, kcl
// play, kcl local and kcl bench all read children through it.
//
// The result is one of:
//   - a Status or a Checkpoint, which the daemon acts on. A "checkpoint"
//     line is a Checkpoint request; its "error" field, which the daemon's
//     class has, is read and dropped.
//   - another Message (an Initialize, say): the daemon reads it and its
//     protocol loop ignores it.
//   - an error wrapping ErrSkipped: the daemon skips the line, logs it
//     (unless the line is empty) and keeps waiting for a message, so a
//     child that waits for an answer to it waits for ever.
//   - an error wrapping ErrNull for the JSON literal null, on which the
//     daemon fails and exits.
//
// The daemon skips a line that is empty or blank, is not JSON, is not an
// object, has no "action" or two of them, names an action it does not
// know (case-sensitively), has a key its message class lacks, or has a
// field it cannot convert. It reads only the first JSON value of a line,
// matches keys case-sensitively, lets the last of two equal keys win, and
// converts scalars as Decode does: a number or boolean where a string is
// expected is kept as written, a numeric string where an integer is
// expected is parsed ("" is null), a fraction is truncated, and an integer
// outside the int64 range skips the line. Null and a missing field are the
// same.
//
// line is one line as the daemon splits a child's output: see
// SplitChildLine. A trailing "\r" is dropped.
func DecodeChild(line []byte) (Message, error) {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if m, ok := decodeChildCanonical(line); ok {
		return m, nil
	}
	return decodeChild(line)
}

// decodeChild is DecodeChild on encoding/json, for any line.
func decodeChild(line []byte) (Message, error) {
	if len(line) == 0 {
		return nil, skipped(line, "an empty line")
	}
	var raw json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(line)).Decode(&raw); err != nil {
		return nil, skipped(line, "not JSON")
	}
	switch kindOf(raw) {
	case '{':
	case 'n':
		return nil, &LineError{Line: quotePrefix(line), Reason: "the daemon reads no message and fails", Err: ErrNull}
	default:
		return nil, skipped(line, "not a JSON object")
	}
	keys, err := objectKeys(raw)
	if err != nil {
		return nil, skipped(line, "not JSON")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, skipped(line, "not JSON")
	}
	switch n := count(keys, "action"); {
	case n == 0:
		return nil, skipped(line, "no action")
	case n > 1:
		return nil, skipped(line, `a second "action" key`)
	}
	var action string
	if kindOf(fields["action"]) != '"' || json.Unmarshal(fields["action"], &action) != nil {
		return nil, skipped(line, "the action is not a string")
	}
	known, ok := childFields[action]
	if !ok {
		return nil, skipped(line, "unknown action "+strconv.Quote(action))
	}
	for _, k := range keys {
		if k != "action" && !slices.Contains(known, k) {
			return nil, skipped(line, "a "+action+" message has no field "+strconv.Quote(k))
		}
	}
	m, err := decodeFields(action, fields, true)
	if err != nil {
		return nil, skipped(line, action+": "+err.Error())
	}
	return m, nil
}

// objectKeys returns the keys of the JSON object raw, in order, with
// repeats.
func objectKeys(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // the '{'
		return nil, err
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

func count(keys []string, k string) int {
	n := 0
	for _, x := range keys {
		if x == k {
			n++
		}
	}
	return n
}

func skipped(line []byte, why string) error {
	return &LineError{Line: quotePrefix(line), Reason: why, Err: ErrSkipped}
}

// decodeChildCanonical reads the lines a child that writes as Append does
// sends on every exchange, without encoding/json: a status, and a
// checkpoint whose strings need no escaping. It reports false for any other
// line, which decodeChild then reads; for the lines it reads, the two agree
// (FuzzDecodeChild).
func decodeChildCanonical(line []byte) (Message, bool) {
	const (
		status     = `{"action":"status","responseFor":"`
		checkpoint = `{"action":"checkpoint","sequenceNumber":`
		sub        = `,"subSequenceNumber":`
	)
	if rest, ok := bytes.CutPrefix(line, []byte(status)); ok {
		name, ok := bytes.CutSuffix(rest, []byte(`"}`))
		if !ok || !plainString(name) {
			return nil, false
		}
		return Status{ResponseFor: string(name)}, true
	}
	rest, ok := bytes.CutPrefix(line, []byte(checkpoint))
	if !ok {
		return nil, false
	}
	var m Checkpoint
	if after, ok := bytes.CutPrefix(rest, []byte("null")); ok {
		rest = after
	} else {
		if len(rest) < 2 || rest[0] != '"' {
			return nil, false
		}
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 || !plainString(rest[1:1+end]) {
			return nil, false
		}
		m.SequenceNumber = Some(string(rest[1 : 1+end]))
		rest = rest[2+end:]
	}
	rest, ok = bytes.CutPrefix(rest, []byte(sub))
	if !ok {
		return nil, false
	}
	num, ok := bytes.CutSuffix(rest, []byte("}"))
	if !ok {
		return nil, false
	}
	if string(num) != "null" {
		n, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != string(num) {
			return nil, false
		}
		m.SubSequenceNumber = Some(n)
	}
	return m, true
}

// plainString reports whether b is the content of a JSON string that reads
// as itself: printable ASCII with no quote or backslash.
func plainString(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// SplitChildLine splits a line of a child's output, as Reader.ReadLine
// returns it, into the lines the daemon reads there. The daemon reads with
// Java's BufferedReader.readLine, for which "\r" ends a line as "\n" and
// "\r\n" do, so "a\rb" is two lines to it. ReadLine has already taken off
// the "\r" of a "\r\n".
func SplitChildLine(line []byte) [][]byte {
	if bytes.IndexByte(line, '\r') < 0 {
		return [][]byte{line}
	}
	return bytes.Split(line, []byte{'\r'})
}
