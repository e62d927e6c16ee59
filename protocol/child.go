package protocol

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// childFields are the properties of the daemon's message classes
// (multilang messages/*.java), by action, with their Java types. The
// daemon reads a child's line with a plain Jackson ObjectMapper, which
// fails on a property its class lacks (FAIL_ON_UNKNOWN_PROPERTIES), so a
// line with any other key is skipped. "action" is the type id and is not
// listed.
var childFields = map[string]map[string]fieldKind{
	ActionStatus:            {"responseFor": javaString},
	ActionCheckpoint:        {"sequenceNumber": javaString, "subSequenceNumber": javaLong, "error": javaString},
	ActionInitialize:        {"shardId": javaString, "sequenceNumber": javaString, "subSequenceNumber": javaLong},
	ActionProcessRecords:    {"records": javaRecords, "millisBehindLatest": javaLong},
	ActionShutdown:          {"reason": javaString},
	ActionShutdownRequested: {},
	ActionLeaseLost:         {},
	ActionShardEnded:        {},
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
//     daemon fails and exits. Jackson reads null only when the character
//     after it could not continue a Java identifier: "nulll" is skipped.
//
// The daemon skips a line that is empty or blank, is not JSON, is not an
// object, has no "action" or two of them, names an action it does not
// know (case-sensitively), has a key its message class lacks (a record of
// a processRecords line included, whose "action" the daemon writes but
// cannot read), or has a value it cannot convert. It reads only the first
// JSON value of a line and matches keys case-sensitively. Of two equal
// keys the last wins, but every one is converted, so a bad value skips the
// line wherever it is.
//
// Values are converted as the daemon's Jackson converts them:
//   - to a string field: a number or boolean is kept as written, except
//     that an integer -0 before the "action" reads "0" (Jackson buffers it
//     as a number until it knows the class);
//   - to an integer field: an integer must fit an int64; a fraction or
//     exponent is read as a float64 and truncated, up to ±2^63; a string
//     is trimmed of characters up to U+0020 and parsed as Java's
//     Long.parseLong does (a '+' sign, leading zeros and the decimal digits
//     of other scripts are accepted; a fraction is not), "" and "null"
//     reading as null;
//   - a record's data: padded base64 with blanks allowed between groups of
//     four, or an array of numbers from -128 to 255.
//
// Null and a missing field are the same. Bytes that are not UTF-8 are
// replaced as Java's decoder replaces them, one U+FFFD for each malformed
// sequence; a lone surrogate escape reads as U+FFFD, where Java keeps the
// lone surrogate.
//
// Jackson's own limits on a line are not applied: it also skips a line
// with a number of more than 1000 digits or a string of more than
// 5,000,000 characters, limits that depend on the Jackson release the
// daemon ships (20,000,000 characters from 2.15.1).
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
	text := javaText(line)
	dec := json.NewDecoder(bytes.NewReader(text))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, skipped(line, "not JSON")
	}
	switch kindOf(raw) {
	case '{':
	case 'n':
		// Jackson looks at the character after a literal only from '0'
		// up, ']' and '}' aside, and rejects one that could continue a
		// Java identifier: "nulll" is no null.
		r, _ := utf8.DecodeRune(text[dec.InputOffset():])
		if r >= '0' && r != ']' && r != '}' && javaIdentifierPart(r) {
			return nil, skipped(line, "not JSON: null followed by "+strconv.QuoteRune(r))
		}
		return nil, &LineError{Line: quotePrefix(line), Reason: "the daemon reads no message and fails", Err: ErrNull}
	default:
		return nil, skipped(line, "not a JSON object")
	}
	members, err := objectMembers(raw)
	if err != nil {
		return nil, skipped(line, "not JSON")
	}
	at := -1 // the member that is the action
	for i, m := range members {
		if m.key == "action" {
			if at >= 0 {
				return nil, skipped(line, `a second "action" key`)
			}
			at = i
		}
	}
	if at < 0 {
		return nil, skipped(line, "no action")
	}
	var action string
	if kindOf(members[at].raw) != '"' || json.Unmarshal(members[at].raw, &action) != nil {
		return nil, skipped(line, "the action is not a string")
	}
	fields, ok := childFields[action]
	if !ok {
		return nil, skipped(line, "unknown action "+strconv.Quote(action))
	}
	values := make(map[string]any, len(members))
	for i, m := range members {
		if i == at {
			continue
		}
		kind, ok := fields[m.key]
		if !ok {
			return nil, skipped(line, "a "+action+" message has no field "+strconv.Quote(m.key))
		}
		v, err := kind.read(m.raw, i < at)
		if err != nil {
			return nil, skipped(line, action+": "+m.key+": "+err.Error())
		}
		values[m.key] = v
	}
	return childMessage(action, values), nil
}

// childMessage builds the message of action from its fields' values, as
// fieldKind.read returns them; a missing field is null.
func childMessage(action string, values map[string]any) Message {
	str := func(k string) Nullable[string] { s, _ := values[k].(Nullable[string]); return s }
	long := func(k string) Nullable[int64] { n, _ := values[k].(Nullable[int64]); return n }
	switch action {
	case ActionStatus:
		return Status{ResponseFor: str("responseFor").V}
	case ActionCheckpoint:
		return Checkpoint{SequenceNumber: str("sequenceNumber"), SubSequenceNumber: long("subSequenceNumber")}
	case ActionInitialize:
		return Initialize{ShardID: str("shardId").V, SequenceNumber: str("sequenceNumber"), SubSequenceNumber: long("subSequenceNumber")}
	case ActionProcessRecords:
		records, _ := values["records"].([]Record)
		return ProcessRecords{Records: records, MillisBehindLatest: long("millisBehindLatest")}
	case ActionShutdown:
		return Shutdown{Reason: str("reason").V}
	case ActionShutdownRequested:
		return ShutdownRequested{}
	case ActionLeaseLost:
		return LeaseLost{}
	default:
		return ShardEnded{}
	}
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
