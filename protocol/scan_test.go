package protocol

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// msgOpts compares messages without the Reader bookkeeping, and compares
// byte slices fast but still tells nil from empty.
var msgOpts = cmp.Options{
	cmpopts.IgnoreUnexported(ProcessRecords{}),
	cmp.Comparer(func(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }),
}

// checkSame decodes line with the reference decoder and with decodeLine,
// each on its own copy, using lb for decodeLine's scratch, and fails unless
// they agree exactly: same message, same error text and error class. It
// also checks what decodeLine promises about memory: a batch is leased
// exactly when it has records, its Data points into the line, and its
// strings do not. It returns the reference's result.
func checkSame(t testing.TB, line []byte, lb *lineBuffer) (Message, error) {
	t.Helper()
	want, wantErr := decode(bytes.Clone(line), false)
	buf := bytes.Clone(line)
	got, leased, gotErr := decodeLine(buf, lb)

	switch {
	case (wantErr == nil) != (gotErr == nil):
		t.Fatalf("decodeLine(%q) error = %v, reference error = %v", line, gotErr, wantErr)
	case wantErr != nil:
		if gotErr.Error() != wantErr.Error() {
			t.Fatalf("decodeLine(%q) error = %q, reference error = %q", line, gotErr, wantErr)
		}
		if errors.Is(gotErr, ErrMalformed) != errors.Is(wantErr, ErrMalformed) ||
			errors.Is(gotErr, ErrUnknownAction) != errors.Is(wantErr, ErrUnknownAction) {
			t.Fatalf("decodeLine(%q) error = %#v, reference error = %#v: different classes", line, gotErr, wantErr)
		}
		var gu, wu *UnknownActionError
		if errors.As(gotErr, &gu) != errors.As(wantErr, &wu) || gu != nil && gu.Action != wu.Action {
			t.Fatalf("decodeLine(%q) error = %#v, reference error = %#v", line, gotErr, wantErr)
		}
		if got != nil || leased {
			t.Fatalf("decodeLine(%q) = %v, %v with error %v", line, got, leased, gotErr)
		}
		return nil, wantErr
	}
	if diff := cmp.Diff(want, got, msgOpts); diff != "" {
		t.Fatalf("decodeLine(%q) mismatch (-reference +decodeLine):\n%s", line, diff)
	}

	pr, isBatch := got.(ProcessRecords)
	if wantLease := isBatch && len(pr.Records) > 0; leased != wantLease || isBatch && (pr.lease == lb) != wantLease {
		t.Fatalf("decodeLine(%q) leased = %v, lease set = %v; want %v", line, leased, pr.lease != nil, wantLease)
	}
	if isBatch && len(pr.Records) > 0 {
		if &pr.Records[0] != &lb.records[0] {
			t.Fatalf("decodeLine(%q): records are not the buffer's", line)
		}
		// Overwrite the line: Data must change with it, the strings must not.
		for i := range buf {
			buf[i] = 0xA5
		}
		wantPR := want.(ProcessRecords)
		for i, r := range pr.Records {
			if len(r.Data) > 0 && !bytes.Equal(r.Data, bytes.Repeat([]byte{0xA5}, len(r.Data))) {
				t.Fatalf("decodeLine(%q): record %d Data does not point into the line", line, i)
			}
			w := wantPR.Records[i]
			if r.PartitionKey != w.PartitionKey || r.SequenceNumber != w.SequenceNumber {
				t.Fatalf("decodeLine(%q): record %d strings changed with the line", line, i)
			}
		}
	}
	return want, nil
}

// Sample daemon lines: docs/protocol.md §2.2, byte for byte.
var specLines = []string{
	`{"action":"initialize","shardId":"shardId-000000000000","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}`,
	`{"action":"initialize","shardId":"shardId-000000000001","sequenceNumber":"49590338271490256608559692538361571095921575989136588898","subSequenceNumber":3}`,
	`{"action":"initialize","shardId":"shardId-000000000002","sequenceNumber":null,"subSequenceNumber":null}`,
	`{"action":"processRecords","records":[{"data":"aGVsbG8gd29ybGQ=","partitionKey":"pk-1","sequenceNumber":"49590338271490256608559692538361571095921575989136588898","approximateArrivalTimestamp":1700000000123,"subSequenceNumber":0,"action":"record"},{"data":"//4AAQ==","partitionKey":"pk-2","sequenceNumber":"49590338271490256608559692540925702759324208523137515618","approximateArrivalTimestamp":1700000000456,"subSequenceNumber":2,"action":"record"}],"millisBehindLatest":1234}`,
	`{"action":"processRecords","records":[],"millisBehindLatest":null}`,
	`{"action":"processRecords","records":[{"data":"","partitionKey":"pk","sequenceNumber":"1","approximateArrivalTimestamp":1,"subSequenceNumber":0,"action":"record"}],"millisBehindLatest":0}`,
	`{"action":"processRecords","records":[{"data":null,"partitionKey":null,"sequenceNumber":null,"approximateArrivalTimestamp":null,"subSequenceNumber":0,"action":"record"}],"millisBehindLatest":0}`,
	"{\"action\":\"processRecords\",\"records\":[{\"data\":\"AA==\",\"partitionKey\":\"é\\t\\u0001\",\"sequenceNumber\":\"1\",\"approximateArrivalTimestamp\":1,\"subSequenceNumber\":0,\"action\":\"record\"}],\"millisBehindLatest\":0}",
	`{"action":"leaseLost"}`,
	`{"action":"shardEnded"}`,
	`{"action":"shutdownRequested"}`,
	`{"action":"shutdown","reason":"TERMINATE"}`,
	`{"action":"shutdown","reason":"ZOMBIE"}`,
	`{"action":"checkpoint","sequenceNumber":"49590338271490256608559692538361571095921575989136588898","subSequenceNumber":0,"error":null}`,
	`{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}`,
	`{"action":"checkpoint","sequenceNumber":"123","subSequenceNumber":null,"error":"ThrottlingException"}`,
	`{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":"InvalidStateException"}`,
}

// rec returns a record object with the given data and the other fields as
// the daemon writes them.
func rec(data string) string {
	return `{"data":` + data + `,"partitionKey":"pk","sequenceNumber":"12","approximateArrivalTimestamp":5,"subSequenceNumber":0,"action":"record"}`
}

// batch returns a processRecords line holding records.
func batch(records ...string) string {
	return `{"action":"processRecords","records":[` + strings.Join(records, ",") + `],"millisBehindLatest":7}`
}

// recField returns a batch of one record whose field name is set to value.
func recField(name, value string) string {
	return batch(`{"data":"QUJD","` + name + `":` + value + `}`)
}

// long returns n bytes of valid base64 without padding (n a multiple of 4).
func long(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var b strings.Builder
	for i := range n {
		b.WriteByte(alphabet[(i*7+i/64)%64])
	}
	return b.String()
}

func nested(open, close string, n int) string {
	return strings.Repeat(open, n) + strings.Repeat(close, n)
}

// trickyLines are lines on which a hand-written scanner could plausibly
// differ from encoding/json.
var trickyLines = []string{
	// Layout: order, whitespace, line ends.
	`  {"records":[],"action":"processRecords"}  `,
	"\t\r\n{ \"action\" : \"processRecords\" , \"records\" : [ { \"data\" : \"QUJD\" , \"partitionKey\" : \"p\" } , {} ] , \"millisBehindLatest\" : 3 } \t",
	`{"records":[{"action":"record","subSequenceNumber":1,"approximateArrivalTimestamp":2,"sequenceNumber":"3","partitionKey":"4","data":"NQ=="}],"millisBehindLatest":1,"action":"processRecords"}`,
	batch(rec(`"QUJD"`)) + "\r",
	batch(rec(`"QUJD"`)) + "\r\r",
	batch(rec(`"QUJD"`)) + "\r\n",
	"{\"action\":\"processRecords\",\r\"records\":[]}",
	batch(rec("\"QU\rJD\"")),
	batch(rec("\"QU\nJD\"")),
	"{\"action\":\"leaseLost\"}\n{\"action\":\"shardEnded\"}",

	// Unknown fields, at every level, with every kind of value.
	`{"action":"processRecords","records":[],"extra":{"a":[1,2.5e-3,{"b":null,"c":[true,false,"x"]}],"d":{}},"z":-0}`,
	batch(`{"data":"QUJD","explicitHashKey":"123","encryptionType":null,"x":[{},[],[[]],{"y":{}}],"action":"record"}`),
	`{"action":"status","responseFor":"initialize","extra":1}`,
	`{"action":"leaseLost","records":[{"data":"QUJD"}]}`,
	`{"action":"leaseLost","records":[{"data":"!!!!"}]}`,
	`{"action":"leaseLost","records":5}`,
	`{"records":[{"data":"QUJD"}],"action":"initialize","shardId":"s"}`,

	// Trailing content after the object.
	`{"action":"leaseLost"} trailing garbage`,
	`{"action":"leaseLost"}x`,
	`{"action":"leaseLost"}}`,
	`{"action":"leaseLost"} {`,
	`{"action":"leaseLost"},`,
	`{"action":"leaseLost"}{"action":"shardEnded"}`,
	batch(rec(`"QUJD"`)) + `]]]`,
	batch(rec(`"QUJD"`)) + `{"action":"processRecords","records":[{"data":"!!"}]}`,

	// Not an object, or not JSON.
	``, ` `, "\r", `null`, `nullx`, `nul`, `[]`, `[`, `"processRecords"`, `1`, `1x`, `-`, `true`, `hello`,
	`{'action':'status'}`, `{"action":"leaseLost",}`, `{"action":"leaseLost"`, `{"action":"leaseLost",`,
	`{"action":"leaseLost" "x":1}`, `{"action" "leaseLost"}`, `{"action":"leaseLost":1}`, `{,}`, `{"a":1,,}`, `{}`,
	`{"action":"leaseLost","a":[1,]}`, `{"action":"leaseLost","a":[,1]}`, `{"action":"leaseLost","a":{"b"}}`,
	`{"action":"leaseLost","a":01}`, `{"action":"leaseLost","a":1.}`, `{"action":"leaseLost","a":.5}`, `{"action":"leaseLost","a":1e}`,
	`{"action":"leaseLost","a":1e+}`, `{"action":"leaseLost","a":-}`, `{"action":"leaseLost","a":+1}`, `{"action":"leaseLost","a":tru}`,
	`{"action":"leaseLost","a":nul}`, `{"action":"leaseLost","a":falsey}`, `{"action":"leaseLost","a":NaN}`,
	`{"action":"leaseLost","a":"\x"}`, `{"action":"leaseLost","a":"\u12"}`, `{"action":"leaseLost","a":"\u12G4"}`, `{"action":"leaseLost","a":"\'"}`,
	"{\"action\":\"leaseLost\",\"a\":\"\x00\"}", "{\"action\":\"leaseLost\",\"a\":\"\x1f\"}", "{\"action\":\"leaseLost\",\"a\":\"\x7f\"}",
	"\xef\xbb\xbf{\"action\":\"leaseLost\"}",

	// The action.
	`{"action":"ProcessRecords","records":[]}`, `{"action":"bogus"}`, `{"records":[]}`, `{"action":null}`, `{"action":1}`,
	`{"action":[]}`, `{"action":{}}`, `{"action":true}`, `{"action":""}`, `{"action":"record"}`,
	`{"\u0061ction":"leaseLost"}`, `{"act\u0069on":"processRecords","\u0072ecords":[{"\u0064ata":"QUJD"}]}`,
	`{"action":"processRecord\u0073","records":[]}`, `{"action":"lease\u004cost"}`, `{"Action":"leaseLost"}`,
	`{"action ":"leaseLost"}`, "{\"action\":\"x\xffy\"}", "{\"act\xffion\":\"leaseLost\"}", `{"action":"\ud800"}`,
	`{"action":"` + strings.Repeat("x", 100) + `"}`, `{"action":"\u00e9` + strings.Repeat("x", 40) + `"}`,
	`{"action":"bogus","records":[{"data":"!!!!"}]}`, `{"action":"bogus","records":[{"data":"QUJD"]}`,
	`{"action":null,"records":[{"data":"QUJD"}]}`,

	// Duplicate keys: the last one wins.
	`{"action":"processRecords","action":"leaseLost","records":[{"data":"QUJD"}]}`,
	`{"action":"leaseLost","records":[{"data":"QUJD"}],"action":"processRecords"}`,
	`{"action":"processRecords","records":[{"data":"!!"}],"records":[{"data":"QUJD"}]}`,
	`{"action":"processRecords","records":[{"data":"QUJD"}],"records":[{"data":"!!"}]}`,
	`{"action":"processRecords","records":[{"data":"QUJD"},{"data":"REVG"}],"records":null}`,
	`{"action":"processRecords","records":[{"data":"QUJD"},{"data":"REVG"}],"records":[]}`,
	`{"action":"processRecords","records":[{"data":"QUJD","partitionKey":"a"}],"records":[{"partitionKey":"b"}]}`,
	`{"action":"processRecords","records":5,"records":[{"data":"QUJD"}]}`,
	`{"action":"processRecords","millisBehindLatest":"x","millisBehindLatest":5,"records":[]}`,
	`{"action":"processRecords","millisBehindLatest":5,"millisBehindLatest":"x","records":[]}`,
	batch(`{"data":"!!","data":"QUJD","partitionKey":"a","partitionKey":"b","sequenceNumber":{},"sequenceNumber":"s"}`),
	batch(`{"data":"QUJD","data":null,"subSequenceNumber":1,"subSequenceNumber":null}`),
	batch(`{"data":"QUJD","data":"!!"}`),
	`{"action":"checkpoint","sequenceNumber":"1","sequenceNumber":"2","error":"x","error":null}`,

	// Nulls and missing fields.
	`{"action":"processRecords"}`, `{"action":"processRecords","records":null,"millisBehindLatest":null}`,
	batch(`{}`), batch(`{}`, `{}`), `{"action":"initialize"}`, `{"action":"shutdown"}`, `{"action":"status"}`,
	`{"action":"status","responseFor":null}`, `{"action":"checkpoint"}`,

	// Records that are not arrays of objects.
	`{"action":"processRecords","records":{}}`, `{"action":"processRecords","records":"x"}`,
	`{"action":"processRecords","records":1}`, `{"action":"processRecords","records":true}`,
	`{"action":"processRecords","records":[null]}`, `{"action":"processRecords","records":[1]}`,
	`{"action":"processRecords","records":[[]]}`, `{"action":"processRecords","records":["x"]}`,
	batch(rec(`"QUJD"`), `1`), batch(rec(`"QUJD"`), `1`, rec(`"!!"`)), batch(`1`, `{"data":"QUJD"`),
	batch(`1`, `[[[[`), batch(rec(`"!!"`), `{"a":}`),

	// Coercions of strings.
	recField("partitionKey", `12345`), recField("partitionKey", `-1.5e+3`), recField("partitionKey", `true`),
	recField("partitionKey", `false`), recField("partitionKey", `{}`), recField("partitionKey", `[1]`),
	recField("sequenceNumber", `49590338271490256608559692538361571095921575989136588898`),
	recField("sequenceNumber", `0.5E-7`), recField("sequenceNumber", `""`), recField("sequenceNumber", `{"a":[]}`),
	`{"action":"initialize","shardId":1,"sequenceNumber":true,"subSequenceNumber":"3"}`,
	`{"action":"initialize","shardId":{},"sequenceNumber":"x"}`, `{"action":"initialize","sequenceNumber":[]}`,
	`{"action":"shutdown","reason":false}`, `{"action":"shutdown","reason":[]}`, `{"action":"status","responseFor":12}`,
	`{"action":"checkpoint","sequenceNumber":12345,"subSequenceNumber":"7","error":1}`,
	`{"action":"checkpoint","sequenceNumber":"123","subSequenceNumber":1.5}`,
	`{"action":"checkpoint","error":{}}`,

	// Coercions of integers.
	recField("subSequenceNumber", `"7"`), recField("subSequenceNumber", `1.5`), recField("subSequenceNumber", `-1.5`),
	recField("subSequenceNumber", `1e3`), recField("subSequenceNumber", `"1e3"`), recField("subSequenceNumber", `""`),
	recField("subSequenceNumber", `" 1"`), recField("subSequenceNumber", `"1 "`), recField("subSequenceNumber", `"abc"`),
	recField("subSequenceNumber", `"-"`), recField("subSequenceNumber", `"\u0031"`), recField("subSequenceNumber", `"null"`),
	recField("subSequenceNumber", `9223372036854775807`), recField("subSequenceNumber", `9223372036854775808`),
	recField("subSequenceNumber", `-9223372036854775808`), recField("subSequenceNumber", `-9223372036854775809`),
	recField("subSequenceNumber", `999999999999999999`), recField("subSequenceNumber", `-999999999999999999`),
	recField("subSequenceNumber", `1234567890123456789`), recField("subSequenceNumber", `00`),
	recField("subSequenceNumber", `1e19`), recField("subSequenceNumber", `-1e19`), recField("subSequenceNumber", `9.2e18`),
	recField("subSequenceNumber", `-9.223372036854775808e18`), recField("subSequenceNumber", `1e400`),
	recField("subSequenceNumber", `-0`), recField("subSequenceNumber", `0.0000`), recField("subSequenceNumber", `1E+2`),
	recField("subSequenceNumber", `true`), recField("subSequenceNumber", `false`), recField("subSequenceNumber", `{}`),
	recField("subSequenceNumber", `[]`), recField("subSequenceNumber", `null`),
	recField("approximateArrivalTimestamp", `"1700000000123"`), recField("approximateArrivalTimestamp", `[1]`),
	`{"action":"processRecords","records":[],"millisBehindLatest":"1234"}`,
	`{"action":"processRecords","records":[],"millisBehindLatest":1.9}`,
	`{"action":"processRecords","records":[],"millisBehindLatest":"x"}`,
	`{"action":"processRecords","records":[],"millisBehindLatest":{}}`,
	`{"action":"processRecords","records":[],"millisBehindLatest":99999999999999999999}`,

	// Data.
	recField("data", `null`), recField("data", `""`), recField("data", `123`), recField("data", `true`),
	recField("data", `{}`), recField("data", `["QUJD"]`), recField("data", `"QQ=="`), recField("data", `"QR=="`),
	recField("data", `"QQ="`), recField("data", `"QQ"`), recField("data", `"Q"`), recField("data", `"Q==="`),
	recField("data", `"===="`), recField("data", `"QQ==QQ=="`), recField("data", `"QQ==\n"`),
	recField("data", `"!!!!"`), recField("data", `"QUJD-_"`), recField("data", `"QUJ\/"`),
	recField("data", `"\u0051UJD"`), recField("data", `"QUJ\u0044"`), recField("data", `"QUJD\nQUJD"`),
	recField("data", `"QUJD\rQUJD"`), recField("data", `"QUJD\u000aQUJD"`), recField("data", `"QUJD\tQUJD"`),
	recField("data", `"QU\"JD"`), recField("data", `"QU\\JD"`), recField("data", `"QUJ\u00e9"`),
	recField("data", `"QUJ\ud800"`), recField("data", "\"QUJ\xff\""), recField("data", "\"QUJé\""),
	recField("data", `"QUJD`), recField("data", `"QUJD\`), recField("data", `"QUJD\u00`),
	recField("data", `"`+long(4096)+`"`), recField("data", `"`+long(4092)+`QQ=="`), recField("data", `"`+long(4096)+`QQ=="`),
	recField("data", `"`+long(4100)+`"`), recField("data", `"`+long(8192)+`"`), recField("data", `"`+long(40000)+`AB=="`),
	recField("data", `"`+long(4096)+`QQ==`+long(4096)+`"`), recField("data", `"`+long(4092)+`QQ==`+long(4)+`"`),
	recField("data", `"`+long(4096)+`\/`+long(4094)+`"`), recField("data", `"`+long(4095)+`\u0041`+long(8192)+`"`),
	recField("data", `"`+long(12288)+`!`+long(3)+`"`), recField("data", `"`+long(12288)+`\n`+long(3)+`"`),
	recField("data", `"`+long(12288)+"\n"+long(3)+`"`), recField("data", `"`+long(12288)+"\r\n\r\n"+long(4)+`"`),
	recField("data", `"`+long(20000)+`\"`+long(4)+`"`), recField("data", `"`+long(20000)+`\"`+long(4)),
	recField("data", `"`+long(8188)+"\n\n\n\n"+`QUJD"`), recField("data", `"`+long(4092)+"\n\n\n\n"+long(4096)+`"`),
	recField("data", `"`+long(100000)+`"`), recField("data", `"`+long(100000)+`\u0041==="`),

	// Errors in several places: the reference reports the first field in
	// its own order, not in the line's.
	batch(`{"subSequenceNumber":"x","data":"!!"}`), batch(`{"sequenceNumber":[],"partitionKey":{}}`),
	batch(`{"approximateArrivalTimestamp":true,"subSequenceNumber":{}}`), batch(rec(`"!!"`), rec(`1`)),
	batch(`{"data":1}`, `{"data":"!!"}`), `{"millisBehindLatest":"x","action":"processRecords","records":[{"data":"!!"}]}`,
	`{"millisBehindLatest":"x","action":"processRecords","records":7}`,
	`{"action":"initialize","subSequenceNumber":"x","sequenceNumber":{},"shardId":[]}`,
	`{"action":"checkpoint","error":[],"subSequenceNumber":"x","sequenceNumber":{}}`,

	// Escapes and UTF-8 in strings.
	recField("partitionKey", `"\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00"`), recField("partitionKey", `"\ud800x"`),
	recField("partitionKey", `"\udc00\ud800"`), recField("partitionKey", `"\ud800\ud800"`),
	recField("partitionKey", `"\ud800\u0041"`), recField("partitionKey", `"\ud83d\ude00\ud83d"`),
	recField("partitionKey", `"\ud83d\\ude00"`), recField("partitionKey", `"\u0000"`),
	recField("partitionKey", "\"\xff\xfe\""), recField("partitionKey", "\"\xed\xa0\x80\""), recField("partitionKey", "\"\xc3\""),
	recField("partitionKey", "\"\xf4\x90\x80\x80\""), recField("partitionKey", "\"é€😀\u2028\""),
	recField("sequenceNumber", `"\u00311"`), recField("partitionKey", `"`+strings.Repeat(`\u0041`, 100)+`"`),
	batch(`{"data":"QUJD","\u0070artitionKey":"a","partitionKey\u0000":"b","partitionkey":"c"}`),
	batch(`{"\ud800":1,"` + strings.Repeat(`\u0041`, 40) + `":2,"\u00e9":3,"data":"QUJD"}`),
	`{"action":"initialize","shardId":"\ud83d\ude00\u00e9","sequenceNumber":"\"1\""}`,
	`{"action":"checkpoint","sequenceNumber":"é\t\u0001","error":"\u0054hrottlingException"}`,

	// Nesting at encoding/json's limit of 10000 levels; the top-level
	// object is level 1, the records array 2, each record 3.
	`{"action":"leaseLost","x":` + nested("[", "]", 9999) + `}`,
	`{"action":"leaseLost","x":` + nested("[", "]", 10000) + `}`,
	`{"action":"leaseLost","x":` + strings.Repeat(`{"a":`, 9999) + `1` + strings.Repeat(`}`, 9999) + `}`,
	`{"action":"leaseLost","x":` + strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000) + `}`,
	`{"action":"processRecords","records":[{"data":"QUJD","x":` + nested("[", "]", 9997) + `}]}`,
	`{"action":"processRecords","records":[{"data":"QUJD","x":` + nested("[", "]", 9998) + `}]}`,
	`{"action":"processRecords","records":[{"data":"QUJD"},` + nested("[", "]", 9998) + `]}`,
	`{"action":"processRecords","records":[{"data":"QUJD"},` + nested("[", "]", 9999) + `]}`,
	`{"action":"processRecords","records":` + nested("[", "]", 9999) + `}`,
	`{"action":"processRecords","records":` + nested("[", "]", 10000) + `}`,
	`{"action":"processRecords","records":{"a":` + nested("[", "]", 9998) + `}}`,
	`{"action":"processRecords","records":{"a":` + nested("[", "]", 9999) + `}}`,
	`{"action":"processRecords","records":[{"data":{"a":` + nested("[", "]", 9996) + `}}]}`,
	`{"action":"processRecords","records":[{"data":{"a":` + nested("[", "]", 9997) + `}}]}`,
	`{"action":"processRecords","millisBehindLatest":{"a":` + nested("[", "]", 9998) + `}}`,
	`{"action":"processRecords","millisBehindLatest":{"a":` + nested("[", "]", 9999) + `}}`,
	`{"action":"leaseLost","x":[` + strings.Repeat(`[1,{"a":[]},`, 5000) + `2` + strings.Repeat(`]`, 5000) + `]}`,
	`{"action":"leaseLost","x":` + nested("[", "]", 100) + `,"y":` + nested("[", "]", 9999) + `}`,

	// Error text quotes the line as it came, though Data was decoded over it.
	`{"records":[{"data":"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="}],"action":"processRecords","millisBehindLatest":"x"}`,
	`{"records":[{"data":"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="},{"data":"QUJD"}],"action":"processRecords","x":[}`,
	`{"records":[{"data":"QUJD"}],"action":"processRecords","millisBehindLatest":1,"records":[{"data":"QUJD","sequenceNumber":[]}]}`,
}

func TestDecodeLineMatchesReference(t *testing.T) {
	var lines []string
	lines = append(lines, specLines...)
	lines = append(lines, trickyLines...)
	lb := new(lineBuffer) // shared, as a Reader reuses its buffers
	for _, line := range lines {
		name := line
		if len(name) > 100 {
			name = name[:100] + "..." + strconv.Itoa(len(line))
		}
		t.Run(name, func(t *testing.T) {
			checkSame(t, []byte(line), lb)
			checkSame(t, []byte(line), new(lineBuffer))
		})
	}
}

// Every prefix of a line is a truncated line that the reader could be
// handed; all must fail, or succeed, as the reference does.
func TestDecodeLineTruncated(t *testing.T) {
	lines := []string{
		specLines[3],
		specLines[13],
		specLines[7],
		`{"action":"processRecords","records":[{"data":"QU\/JD","partitionKey":"\ud83d\ude00","x":[1,{"y":-1.5e+3}],"subSequenceNumber":"7"}],"millisBehindLatest":null}`,
	}
	lb := new(lineBuffer)
	for _, line := range lines {
		for n := range len(line) + 1 {
			checkSame(t, []byte(line[:n]), lb)
		}
	}
}

func TestDecodeLineReusesScratch(t *testing.T) {
	lb := new(lineBuffer)
	big := make([]string, 300)
	for i := range big {
		big[i] = `{"data":"QUJD","partitionKey":"pk-` + strconv.Itoa(i) + `","sequenceNumber":"` + strconv.Itoa(i*i) + `"}`
	}
	checkSame(t, []byte(batch(big...)), lb)
	records := cap(lb.records)
	// A smaller batch reuses the records and clears the stale ones, so
	// they pin no old strings.
	checkSame(t, []byte(batch(rec(`"QUJD"`), rec(`null`))), lb)
	if cap(lb.records) != records {
		t.Errorf("records reallocated: cap %d, was %d", cap(lb.records), records)
	}
	for i, r := range lb.records[2:cap(lb.records)] {
		if r.PartitionKey != "" || r.SequenceNumber != "" {
			t.Fatalf("stale record %d left in the scratch: %+v", i+2, r)
		}
	}
}

func TestDecodeLineAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	records := make([]string, 1000)
	for i := range records {
		records[i] = `{"data":"` + long(1368) + `","partitionKey":"pk-` + strconv.Itoa(i) +
			`","sequenceNumber":"49590338271490256608559692538361571095921575989136588898","approximateArrivalTimestamp":1700000000123,"subSequenceNumber":0,"action":"record"}`
	}
	line := []byte(batch(records...))
	buf := make([]byte, len(line))
	lb := new(lineBuffer)
	allocs := testing.AllocsPerRun(20, func() {
		copy(buf, line)
		if _, _, err := decodeLine(buf, lb); err != nil {
			t.Fatal(err)
		}
	})
	// The message and the batch's string.
	if allocs > 2 {
		t.Errorf("decodeLine of 1000 records: %v allocations, want at most 2", allocs)
	}
	checkpoint := []byte(specLines[13])
	allocs = testing.AllocsPerRun(20, func() {
		copy(buf, checkpoint)
		if _, _, err := decodeLine(buf[:len(checkpoint)], lb); err != nil {
			t.Fatal(err)
		}
	})
	// The message and the sequence number.
	if allocs > 2 {
		t.Errorf("decodeLine of a checkpoint reply: %v allocations, want at most 2", allocs)
	}
}

func TestPlain8(t *testing.T) {
	word := []byte("abcdefgh")
	for c := range 256 {
		for pos := range 8 {
			w := bytes.Clone(word)
			w[pos] = byte(c)
			x := uint64(0)
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(w[i])
			}
			if got := plain8(x); got != plain[c] {
				t.Errorf("plain8(%q) = %v, want %v", w, got, plain[c])
			}
		}
	}
}
