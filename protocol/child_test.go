package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ChildLine is one case of testdata/child-lines.json: a line a child may
// write, where it comes from, and what the daemon does with it, from its
// source (docs/protocol.md §2.5). The cases are also run through the
// daemon's own message classes where Java is installed (internal/javacheck).
type ChildLine struct {
	Source string `json:"source"`
	Line   string `json:"line"`
	Daemon string `json:"daemon"` // see Verdict
	Why    string `json:"why"`
}

func childLines(tb testing.TB) []ChildLine {
	tb.Helper()
	data, err := os.ReadFile("testdata/child-lines.json")
	if err != nil {
		tb.Fatal(err)
	}
	var cases []ChildLine
	if err := json.Unmarshal(data, &cases); err != nil {
		tb.Fatalf("testdata/child-lines.json: %v", err)
	}
	return cases
}

// verdict names what DecodeChild says the daemon does with a line, in the
// words of testdata/child-lines.json:
//
//	status "NAME"               a StatusMessage ("" for a null responseFor)
//	checkpoint "SEQ"|null N|null a CheckpointMessage
//	ignored ACTION               another message, which the protocol loop ignores
//	skipped                      skipped and logged
//	skipped silently             the empty line
//	fatal                        the JSON literal null
func verdict(line []byte, m Message, err error) string {
	switch {
	case errors.Is(err, ErrSkipped) && len(bytes.TrimSuffix(line, []byte{'\r'})) == 0:
		return "skipped silently"
	case errors.Is(err, ErrSkipped):
		return "skipped"
	case errors.Is(err, ErrNull):
		return "fatal"
	case err != nil:
		return "unexpected error: " + err.Error()
	}
	switch m := m.(type) {
	case Status:
		return "status " + strconv.Quote(m.ResponseFor)
	case Checkpoint:
		seq, sub := "null", "null"
		if m.SequenceNumber.Valid {
			seq = strconv.Quote(m.SequenceNumber.V)
		}
		if m.SubSequenceNumber.Valid {
			sub = strconv.FormatInt(m.SubSequenceNumber.V, 10)
		}
		return "checkpoint " + seq + " " + sub
	}
	return "ignored " + m.Action()
}

func TestDecodeChildAgreesWithTheDaemon(t *testing.T) {
	for _, c := range childLines(t) {
		m, err := DecodeChild([]byte(c.Line))
		if got := verdict([]byte(c.Line), m, err); got != c.Daemon {
			t.Errorf("DecodeChild(%q) = %s (%v), want %s: %s\n\tsource: %s", c.Line, got, err, c.Daemon, c.Why, c.Source)
		}
	}
}

func TestDecodeChildErrors(t *testing.T) {
	for _, tc := range []struct {
		line, want string
	}{
		{`{"action":"checkpoint","checkpoint":"123"}`, `protocol: the daemon skips this line: a checkpoint message has no field "checkpoint" in line "{\"action\":\"checkpoint\",\"checkpoint\":\"123\"}"`},
		{`{"action":"status","action":"status","responseFor":"x"}`, `protocol: the daemon skips this line: a second "action" key in line`},
		{`{"action":"Status"}`, `protocol: the daemon skips this line: unknown action "Status" in line`},
		{`{"action":"checkpoint","subSequenceNumber":1e30}`, `protocol: the daemon skips this line: checkpoint: subSequenceNumber: integer out of range in line`},
		{`null`, `protocol: the JSON literal null: the daemon reads no message and fails in line "null"`},
		{``, `protocol: the daemon skips this line: an empty line in line ""`},
	} {
		_, err := DecodeChild([]byte(tc.line))
		if err == nil || !bytes.HasPrefix([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("DecodeChild(%q) = %v, want an error starting %q", tc.line, err, tc.want)
		}
	}
}

// Bytes that are not UTF-8 become U+FFFD as the daemon's decoder makes
// them: one for each malformed sequence, not one for each byte. The
// daemon's readings were taken by running these lines through its classes
// (internal/javacheck/testdata/ChildLines.java); a JSON file cannot hold
// them, so internal/javacheck derives them.
func TestDecodeChildNotUTF8(t *testing.T) {
	const r = "\uFFFD"
	for line, want := range map[string]Message{
		"{\"action\":\"status\",\"responseFor\":\"a\xe2\x82b\"}":         Status{ResponseFor: "a" + r + "b"},
		"{\"action\":\"status\",\"responseFor\":\"a\xf0\x9f\x98b\"}":     Status{ResponseFor: "a" + r + "b"},
		"{\"action\":\"status\",\"responseFor\":\"a\xed\xa0\x80b\"}":     Status{ResponseFor: "a" + r + "b"}, // a surrogate
		"{\"action\":\"status\",\"responseFor\":\"a\xe0\x80b\"}":         Status{ResponseFor: "a" + r + r + "b"},
		"{\"action\":\"status\",\"responseFor\":\"a\xc0\xafb\"}":         Status{ResponseFor: "a" + r + r + "b"},
		"{\"action\":\"status\",\"responseFor\":\"a\xf4\x90\x80\x80b\"}": Status{ResponseFor: "a" + r + r + r + r + "b"},
		"{\"action\":\"status\",\"responseFor\":\"a\xf0\x90\x80\"}":      Status{ResponseFor: "a" + r},
		"{\"action\":\"checkpoint\",\"sequenceNumber\":\"\xff1\"}":       Checkpoint{SequenceNumber: Some(r + "1")},
	} {
		got, err := DecodeChild([]byte(line))
		if err != nil {
			t.Errorf("DecodeChild(%q) = %v", line, err)
			continue
		}
		if d := cmp.Diff(want, got, msgOpts); d != "" {
			t.Errorf("DecodeChild(%q) (-want +got):\n%s", line, d)
		}
	}
	if _, err := DecodeChild([]byte("null\xe2\x82")); !errors.Is(err, ErrNull) {
		t.Errorf("DecodeChild(%q) = %v, want ErrNull: U+FFFD ends the literal", "null\xe2\x82", err)
	}
}

// The codec both ways: every message this module writes reads back as
// itself, from the side that reads it.
func TestCodecRoundTrip(t *testing.T) {
	seq := "49590338271490256608559692538361571095921575989136588898"
	for _, tc := range []struct {
		name string
		msg  Message
		line string
	}{
		{"initialize", Initialize{ShardID: "shardId-000000000001", SequenceNumber: Some(seq), SubSequenceNumber: Some[int64](3)},
			`{"action":"initialize","shardId":"shardId-000000000001","sequenceNumber":"` + seq + `","subSequenceNumber":3}`},
		{"initialize null", Initialize{ShardID: "shardId-000000000002"},
			`{"action":"initialize","shardId":"shardId-000000000002","sequenceNumber":null,"subSequenceNumber":null}`},
		{"processRecords", ProcessRecords{Records: []Record{{Data: []byte("hello world"), PartitionKey: "pk-1", SequenceNumber: seq,
			ApproximateArrivalTimestamp: Some[int64](1700000000123), SubSequenceNumber: Some[int64](0)}}, MillisBehindLatest: Some[int64](1234)},
			`{"action":"processRecords","records":[{"data":"aGVsbG8gd29ybGQ=","partitionKey":"pk-1","sequenceNumber":"` + seq + `","approximateArrivalTimestamp":1700000000123,"subSequenceNumber":0,"action":"record"}],"millisBehindLatest":1234}`},
		{"processRecords empty", ProcessRecords{Records: []Record{}}, `{"action":"processRecords","records":[],"millisBehindLatest":null}`},
		{"leaseLost", LeaseLost{}, `{"action":"leaseLost"}`},
		{"shardEnded", ShardEnded{}, `{"action":"shardEnded"}`},
		{"shutdownRequested", ShutdownRequested{}, `{"action":"shutdownRequested"}`},
		{"shutdown", Shutdown{Reason: ReasonZombie}, `{"action":"shutdown","reason":"ZOMBIE"}`},
		{"checkpoint reply", CheckpointReply{SequenceNumber: Some("123"), Error: Some("ThrottlingException")},
			`{"action":"checkpoint","sequenceNumber":"123","subSequenceNumber":null,"error":"ThrottlingException"}`},
		{"status", Status{ResponseFor: ActionProcessRecords}, `{"action":"status","responseFor":"processRecords"}`},
		{"checkpoint", Checkpoint{SequenceNumber: Some(seq), SubSequenceNumber: Some[int64](0)},
			`{"action":"checkpoint","sequenceNumber":"` + seq + `","subSequenceNumber":0}`},
		{"checkpoint latest", Checkpoint{}, `{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(Append(nil, tc.msg)); got != tc.line {
				t.Errorf("Append(%#v) = %s, want %s", tc.msg, got, tc.line)
			}
			decode := Decode
			switch tc.msg.(type) {
			case Status, Checkpoint:
				decode = DecodeChild
			}
			got, err := decode([]byte(tc.line))
			if err != nil {
				t.Fatalf("decode(%s) = %v", tc.line, err)
			}
			if d := cmp.Diff(tc.msg, got, msgOpts); d != "" {
				t.Errorf("decode(%s) (-want +got):\n%s", tc.line, d)
			}
		})
	}
}

func TestSplitChildLine(t *testing.T) {
	for in, want := range map[string][]string{
		"":                 {""},
		`{"a":1}`:          {`{"a":1}`},
		"a\rb":             {"a", "b"},
		"a\r\rb":           {"a", "", "b"},
		"\r":               {"", ""},
		"{\"action\":\r1}": {`{"action":`, "1}"},
	} {
		var got []string
		for _, l := range SplitChildLine([]byte(in)) {
			got = append(got, string(l))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("SplitChildLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDecodeChild checks that the canonical fast path reads every line it
// takes exactly as the general reader does, and that every message the
// daemon reads from a child survives an encode and decode unchanged. A
// processRecords line with records is the exception: Append writes it as
// the daemon does, with an "action" in each record, which the daemon's own
// reader rejects; it is read back as a child reads it.
func FuzzDecodeChild(f *testing.F) {
	for _, c := range childLines(f) {
		f.Add([]byte(c.Line))
	}
	for _, l := range []string{
		`{"action":"status","responseFor":"shardEnded"}`,
		`{"action":"status","responseFor":"\u0041"}`,
		`{"action":"checkpoint","sequenceNumber":"1","subSequenceNumber":-0}`,
		`{"action":"checkpoint","sequenceNumber":"1","subSequenceNumber":007}`,
		`{"action":"checkpoint","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":9223372036854775807}`,
	} {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		want, wantErr := decodeChild(bytes.TrimSuffix(line, []byte{'\r'}))
		if fast, ok := decodeChildCanonical(bytes.TrimSuffix(line, []byte{'\r'})); ok {
			if wantErr != nil {
				t.Fatalf("decodeChildCanonical(%q) = %#v, decodeChild error %v", line, fast, wantErr)
			}
			if d := cmp.Diff(want, fast, msgOpts); d != "" {
				t.Fatalf("decodeChildCanonical(%q) (-decodeChild +fast):\n%s", line, d)
			}
		}
		got, err := DecodeChild(line)
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("DecodeChild(%q) = %v, decodeChild %v", line, err, wantErr)
		}
		if err != nil {
			if !errors.Is(err, ErrSkipped) && !errors.Is(err, ErrNull) {
				t.Fatalf("DecodeChild(%q) = %v, which wraps neither ErrSkipped nor ErrNull", line, err)
			}
			return
		}
		enc := Append(nil, got)
		decode := DecodeChild
		if pr, ok := got.(ProcessRecords); ok && len(pr.Records) > 0 {
			decode = Decode
		}
		again, err := decode(enc)
		if err != nil {
			t.Fatalf("decode(Append(%#v)) = %v; Append gave %q", got, err, enc)
		}
		if pr, ok := got.(ProcessRecords); ok && pr.Records == nil {
			pr.Records = []Record{}
			got = pr
		}
		if d := cmp.Diff(got, again, msgOpts); d != "" {
			t.Fatalf("decode(Append(DecodeChild(%q))) changed (-first +second):\n%s", line, d)
		}
	})
}
