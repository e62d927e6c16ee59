package javacheck

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// perCase is how many lines derive makes from each line of the file.
const perCase = 6

// derive makes lines from the file's lines, the same ones for the same file
// on every run (a fixed seed): it
// reorders keys, adds whitespace, repeats keys, adds keys a class lacks or
// another class has, changes values to other types and odd numbers and
// strings, escapes characters, puts in bytes that are not UTF-8, and adds
// or cuts off text at the end. Each derived line is read by the daemon and
// by DecodeChild, which must agree.
//
// No derived line holds a "\n", which would end it, or a "\r" other than
// a last one: the daemon splits lines at both (protocol.SplitChildLine).
// None has a number of more than 1000 digits or a string of more than
// 5,000,000 characters, which Jackson's limits skip and DecodeChild, by
// design, reads (see its doc).
func derive(cases []childLine) [][]byte {
	r := rand.New(rand.NewPCG(20240611, 1))
	seen := map[string]bool{}
	var out [][]byte
	add := func(b []byte) {
		body := bytes.TrimSuffix(b, []byte{'\r'})
		if seen[string(b)] || bytes.ContainsAny(body, "\r\n") {
			return
		}
		seen[string(b)] = true
		out = append(out, b)
	}
	for _, c := range cases {
		base, ok := parse([]byte(c.Line))
		for range perCase {
			var b []byte
			if ok {
				v := base.clone()
				for range 1 + r.IntN(3) {
					mutate(r, v)
				}
				b = v.encode(r, r.IntN(4) == 0)
			} else {
				b = []byte(c.Line)
			}
			if !ok || r.IntN(5) == 0 {
				b = mangle(r, b)
			}
			add(b)
		}
	}
	for _, l := range extra {
		add([]byte(l))
	}
	for _, seq := range append(slices.Clone(notUTF8), notUTF8Cases...) {
		for _, f := range []string{`{"action":"status","responseFor":"%s"}`, `{"action":"status","responseFor":"a%sb"}`,
			`{"action":"checkpoint","sequenceNumber":"%s%s"}`, `{"action":"status","responseFor%s":"a"}`, `null%s`} {
			add([]byte(strings.ReplaceAll(f, "%s", seq)))
		}
	}
	return out
}

// extra are lines derive adds as they are: each tries one rule that random
// changes rarely hit.
var extra = []string{
	"{\"action\":\"status\",\"responseFor\":\"initialize\"}\r",
	"{\"action\":\"checkpoint\",\"sequenceNumber\":\"1\",\"subSequenceNumber\":2}\r",
	"\r",
	" \t{\"action\":\"status\",\"responseFor\":\"initialize\"}\t ",
	`{"action":"status","responseFor":"initialize"`,
	`{"action":"status","responseFor":"initialize"}}`,
	`{"action":"status","responseFor":"initialize"}]`,
	`{"action":"status","responseFor":"initialize"},`,
	`{"action":"status","responseFor":"initialize"} {`,
	`{"action":"status","responseFor":"initialize"} "`,
	`{"action":"status","responseFor":"\u0000"}`,
	`{"action":"status","responseFor":"\ud800"}`,
	`{"action":"status","responseFor":"\udc00\ud800"}`,
	`{"action":"status","responseFor":"\ud83d\ude00"}`,
	`{"action":"status","responseFor":"😀"}`,
	`{"action":"status","responseFor":"\u2028"}`,
	"{\"action\":\"status\",\"responseFor\":\"a\xffb\"}",
	"{\"action\":\"status\",\"responseFor\":\"a\xe2\x82b\"}",
	"{\"action\":\"status\",\"responseFor\":\"a\xe2\x82\"}",
	"{\"action\":\"status\",\"responseFor\":\"a\xf0\x9f\x98b\"}",
	"{\"action\":\"status\",\"responseFor\":\"a\xed\xa0\x80b\"}",
	"{\"action\":\"status\",\"responseFor\":\"a\xc0\xafb\"}",
	"{\"action\":\"status\",\"responseFor\":\"a\xf4\x90\x80\x80b\"}",
	"{\"action\":\"status\",\"responseFor\":\"\xc3\"}",
	"{\"action\":\"status\",\"responseFor\":\"\x80\x80\"}",
	"\xef\xbb\xbf{\"action\":\"status\",\"responseFor\":\"initialize\"}",
	"{\"action\":\"status\",\"responseFor\":\"initialize\"}\xff",
	"{\"action\":\"status\",\"responseFor\":\"initialize\"}\x00",
	"{\"action\":\"status\",\"responseFor\":\"a\tb\"}",
	`{"action":"status","responseFor":"initialize"}/*x*/`,
	`/*x*/{"action":"status","responseFor":"initialize"}`,
	`//x`,
	`#x`,
	`{"action":"status","responseFor":'x'}`,
	`{action:"status"}`,
	`{"action":"status","responseFor":NaN}`,
	`{"action":"checkpoint","subSequenceNumber":NaN}`,
	`{"action":"checkpoint","subSequenceNumber":Infinity}`,
	`{"action":"checkpoint","subSequenceNumber":+1}`,
	`{"action":"checkpoint","subSequenceNumber":.5}`,
	`{"action":"checkpoint","subSequenceNumber":1.}`,
	`{"action":"checkpoint","subSequenceNumber":01}`,
	`{"action":"checkpoint","subSequenceNumber":0x1}`,
	`true`, `false`, `1`, `-1.5`, `"x"`, `[{"action":"status"}]`, `nul`, `nulll`, `null x`, `null,`, `NULL`,
	`{}`, `{"":""}`, `{"action":""}`, `{"action":"status","":1}`,
	`{"action":["status"],"responseFor":"initialize"}`,
	`{"action":{"x":"status"},"responseFor":"initialize"}`,
	`{"action":true,"responseFor":"initialize"}`,
	`{"action":1.5,"responseFor":"initialize"}`,
	`{"action":"record"}`,
	`{"action":"processRecords","records":[{"data":"aGk="}]}`,
	`{"action":"processRecords","records":[{"data":"aGk"}]}`,
	`{"action":"processRecords","records":[{"data":"aG k="}]}`,
	`{"action":"processRecords","records":[{"data":"aGk=\n"}]}`,
	`{"action":"processRecords","records":[{"data":"-_8="}]}`,
	`{"action":"processRecords","records":[{"data":"+/8="}]}`,
	`{"action":"processRecords","records":[{"data":[104,105]}]}`,
	`{"action":"processRecords","records":[{"data":""}]}`,
	`{"action":"processRecords","records":[{"data":null}]}`,
	`{"action":"processRecords","records":[null]}`,
	`{"action":"processRecords","records":[{}]}`,
	`{"action":"processRecords","records":[[]]}`,
	`{"action":"processRecords","records":[{"action":"record"}]}`,
	`{"action":"processRecords","records":[{"extra":1}]}`,
	`{"action":"processRecords","records":{}}`,
	`{"action":"processRecords","records":""}`,
	`{"action":"processRecords","records":"x"}`,
	`{"action":"processRecords","records":1}`,
	`{"action":"processRecords","records":[],"millisBehindLatest":"12"}`,
	`{"records":[],"action":"processRecords"}`,
	`{"action":"checkpoint","sequenceNumber":-0}`,
	`{"sequenceNumber":-0,"action":"checkpoint"}`,
	`{"sequenceNumber":1.50,"action":"checkpoint"}`,
	`{"sequenceNumber":1E3,"action":"checkpoint"}`,
	`{"sequenceNumber":100000000000000000000,"action":"checkpoint"}`,
	`{"subSequenceNumber":1e3,"action":"checkpoint"}`,
	`{"subSequenceNumber":1.5,"action":"checkpoint"}`,
	`{"subSequenceNumber":"1.5","action":"checkpoint"}`,
	`{"responseFor":-0,"action":"status"}`,
	`{"responseFor":1e2,"action":"status"}`,
	`{"responseFor":-1.0E-2,"action":"status"}`,
	`{"records":[{"partitionKey":-0,"sequenceNumber":-0}],"action":"processRecords"}`,
	`{"action":"processRecords","records":[{"data":["1"," 2","","null","+3","\u0661"]}]}`,
	`{"action":"processRecords","records":[{"data":[" ","\t4\n"]}]}`,
	`{"action":"processRecords","records":[{"data":["1.5"]}]}`,
	`{"action":"processRecords","records":[{"data":["256"]}]}`,
	`{"action":"processRecords","records":[{"data":["-129"]}]}`,
	`{"action":"processRecords","records":[{"data":[255.9,-128.9,0.5,-0.5,1e2]}]}`,
	`{"action":"processRecords","records":[{"data":[256.0]}]}`,
	`{"action":"processRecords","records":[{"data":[-129.0]}]}`,
	`{"action":"processRecords","records":[{"data":[2147483648]}]}`,
	`{"action":"processRecords","records":[{"data":"aGk=aGk="}]}`,
	`{"action":"processRecords","records":[{"data":" aGk= \t"}]}`,
	`{"action":"processRecords","records":[{"data":"aGVs\u0000bG8="}]}`,
	`{"action":"processRecords","records":[{"data":"aGVsbB=="}]}`,
	`{"action":"processRecords","records":[{"data":"aG=="}]}`,
	`{"action":"processRecords","records":[{"data":"aG=a"}]}`,
	`{"action":"processRecords","records":[{"data":"aGk=="}]}`,
	`{"action":"processRecords","records":[{"data":"é"}]}`,
	`{"records":[{"data":"aGk=aGk="}],"action":"processRecords"}`,
	`{"records":[{"data":"aGV sbG8="}],"action":"processRecords"}`,
	`{"action":"checkpoint","subSequenceNumber":"\u0661\u0662"}`,
	`{"action":"checkpoint","subSequenceNumber":"\uff17"}`,
	`{"action":"checkpoint","subSequenceNumber":"\ud835\udfce"}`,
	`{"action":"checkpoint","subSequenceNumber":"-\u0967"}`,
	`{"action":"checkpoint","subSequenceNumber":"+9223372036854775807"}`,
	`{"action":"checkpoint","subSequenceNumber":"-9223372036854775808"}`,
	`{"action":"checkpoint","subSequenceNumber":"00000000000000000000007"}`,
	`{"action":"checkpoint","subSequenceNumber":"\u00007\u001f"}`,
	`{"action":"checkpoint","subSequenceNumber":"\u00a07"}`,
	`{"action":"checkpoint","subSequenceNumber":" null "}`,
	`{"action":"checkpoint","subSequenceNumber":"+"}`,
	`{"action":"checkpoint","subSequenceNumber":"-"}`,
	`{"action":"checkpoint","subSequenceNumber":"--1"}`,
	`{"action":"checkpoint","subSequenceNumber":9223372036854775808.0}`,
	`{"action":"checkpoint","subSequenceNumber":9223372036854776832.0}`,
	`{"action":"checkpoint","subSequenceNumber":9223372036854776833.0}`,
	`{"action":"checkpoint","subSequenceNumber":-9223372036854775809.0}`,
	`{"action":"checkpoint","subSequenceNumber":-9223372036854777856.0}`,
	`{"action":"checkpoint","subSequenceNumber":1e-400}`,
	"null_", "null1", "nullé", "null$", "null\u0660", "null😀", "null\x7f", "null\xc2\x80", "null\xc2\xa0",
	"null\u00ad", "null\u0301", "null\u203f", "null\u20ac", "null\u2160", "null\ufeff", "null\xe2\x82", "null\xff",
	"null\t", "null,", "null]", "null}", "null:", "null\"",
	// protocol's TestDecodeChildNotUTF8
	"{\"action\":\"status\",\"responseFor\":\"a\xe0\x80b\"}",
	"{\"action\":\"status\",\"responseFor\":\"a\xf0\x90\x80\"}",
	"{\"action\":\"checkpoint\",\"sequenceNumber\":\"\xff1\"}",
}

// notUTF8Cases put every sequence of notUTF8 and a few more around a string
// value: Java's decoder and Go's differ in how many U+FFFD they make.
var notUTF8Cases = []string{
	"\xe0\x80", "\xe0\xa0", "\xe0\x9f\xbf", "\xf0\x80\x80\x80", "\xf0\x90", "\xf0\x90\x80", "\xf0\x8f",
	"\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xc1\xbf", "\xf4\x90", "\xf4\x8f\xbf", "\xed\xbf\xbf", "\xed\x9f",
	// valid, for contrast
	"\xe0\xa0\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
}

// jv is a JSON value that keeps the order and repeats of an object's keys.
type jv struct {
	kind byte     // '{', '[', or 0 for a scalar
	raw  []byte   // a scalar as it is to be written
	keys []string // an object's keys
	vals []*jv    // an object's values or an array's elements
	esc  bool     // write the keys or the string with \u escapes
}

// parse reads line if it is exactly one JSON object.
func parse(line []byte) (*jv, bool) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil || v.kind != '{' {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

func parseValue(dec *json.Decoder) (*jv, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		v := &jv{kind: byte(t)}
		for dec.More() {
			if v.kind == '{' {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, k.(string))
			}
			e, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			v.vals = append(v.vals, e)
		}
		_, err := dec.Token()
		return v, err
	case string:
		return &jv{raw: quote(t, false)}, nil
	case json.Number:
		return &jv{raw: []byte(t)}, nil
	case bool:
		return &jv{raw: []byte(strconv.FormatBool(t))}, nil
	default:
		return &jv{raw: []byte("null")}, nil
	}
}

func (v *jv) clone() *jv {
	c := *v
	c.keys = slices.Clone(v.keys)
	c.vals = make([]*jv, len(v.vals))
	for i, e := range v.vals {
		c.vals[i] = e.clone()
	}
	return &c
}

// encode writes v, with random whitespace between the tokens if spaced.
func (v *jv) encode(r *rand.Rand, spaced bool) []byte {
	var b []byte
	ws := func() {
		if spaced {
			b = append(b, []string{"", " ", "  ", "\t", " \t "}[r.IntN(5)]...)
		}
	}
	var enc func(v *jv)
	enc = func(v *jv) {
		ws()
		switch v.kind {
		case 0:
			b = append(b, v.raw...)
		case '[':
			b = append(b, '[')
			for i, e := range v.vals {
				if i > 0 {
					ws()
					b = append(b, ',')
				}
				enc(e)
			}
			ws()
			b = append(b, ']')
		case '{':
			b = append(b, '{')
			for i, k := range v.keys {
				if i > 0 {
					ws()
					b = append(b, ',')
				}
				ws()
				b = append(b, quote(k, v.esc)...)
				ws()
				b = append(b, ':')
				enc(v.vals[i])
			}
			ws()
			b = append(b, '}')
		}
		ws()
	}
	enc(v)
	return b
}

// quote writes s as a JSON string; with esc, every letter is written as a
// \u escape.
func quote(s string, esc bool) []byte {
	b := []byte{'"'}
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', byte(c))
		case c < 0x20 || esc && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'):
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		default:
			b = utf8.AppendRune(b, c)
		}
	}
	return append(b, '"')
}

// objects returns v's objects, v first, nested ones (records) after.
func (v *jv) objects() []*jv {
	var objs []*jv
	if v.kind == '{' {
		objs = append(objs, v)
	}
	for _, e := range v.vals {
		objs = append(objs, e.objects()...)
	}
	return objs
}

var (
	actions = []string{"status", "checkpoint", "initialize", "processRecords", "shutdown",
		"shutdownRequested", "leaseLost", "shardEnded", "record", "Status", "CHECKPOINT", "", " status", "status "}
	keys = []string{"action", "responseFor", "sequenceNumber", "subSequenceNumber", "error", "checkpoint",
		"shardId", "records", "millisBehindLatest", "reason", "data", "partitionKey", "approximateArrivalTimestamp",
		"extra", "Action", "responseFor ", "", "pid"}
	values = []string{
		"null", "true", "false", "{}", `{"a":1}`, "[]", "[1]", `["7"]`, "[null]", "[[]]",
		"0", "-0", "7", "-7", "0.0", "-0.0", "1.0", "1.5", "-1.5", "0.5", "-0.5", "1e3", "1E3", "1e+3", "1e-3", "2.5E2",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
		"9223372036854775807.0", "9223372036854775808.0", "9223372036854775806.5", "9.223372036854775807E18",
		"9.3e18", "1e19", "-1e19", "1.9999999999999999999", "99999999999999999999",
		"123456789012345678901234567890", "4.9e-324", "1e400", "-1e400",
		`""`, `" "`, `"7"`, `"-7"`, `" 7"`, `"7 "`, `"+7"`, `"007"`, `"1.5"`, `"1e3"`, `"0x1F"`, `"null"`, `"NULL"`,
		`"true"`, `"NaN"`, `"Infinity"`, `"9223372036854775808"`, `"-0"`, `"abc"`, `"initialize"`, `"TRIM_HORIZON"`,
		`"\u0661"`, `"\t7"`, `" null "`, `"-007"`, `"\u0041"`, `"é"`, `"日本"`, `"😀"`, `"\ud83d\ude00"`, `"\ud800"`, `"\u0000"`, `"a\"b"`, `"a\\b"`, `"\/"`,
	}
	records = []string{`[{"data":"aGk="}]`, `[{"data":"aGk"}]`, `[{"data":[104,105]}]`, `[null]`, `[{}]`, `[1]`,
		`[{"partitionKey":"pk","sequenceNumber":"1","subSequenceNumber":0,"approximateArrivalTimestamp":1}]`,
		`[{"action":"record"}]`, `[{"extra":1}]`, `[{"data":["1"," 2",""]}]`, `[{"data":[1.5,-1]}]`}
	notUTF8 = []string{"\xff", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\x80"}
	tails   = []string{" x", "}", "]", ",", " {}", " null", "garbage", `{"action":"status"}`, "\x00", "\xff", "\r"}
)

// mutate makes one random change to one of v's objects.
func mutate(r *rand.Rand, v *jv) {
	objs := v.objects()
	o := objs[r.IntN(len(objs))]
	scalar := func(s string) *jv { return &jv{raw: []byte(s)} }
	// some picks a value for key k: records for "records", else any.
	some := func(k string) *jv {
		if k == "records" && r.IntN(2) == 0 {
			if p, ok := parse([]byte(`{"r":` + records[r.IntN(len(records))] + `}`)); ok {
				return p.vals[0]
			}
		}
		s := values[r.IntN(len(values))]
		if p, ok := parse([]byte(`{"v":` + s + `}`)); ok && p.vals[0].kind != 0 {
			return p.vals[0]
		}
		return scalar(s) // as written, escapes and all
	}
	n := len(o.keys)
	switch r.IntN(9) {
	case 0: // reorder
		r.Shuffle(n, func(i, j int) {
			o.keys[i], o.keys[j] = o.keys[j], o.keys[i]
			o.vals[i], o.vals[j] = o.vals[j], o.vals[i]
		})
	case 1: // repeat a key
		if n > 0 {
			i := r.IntN(n)
			val := o.vals[i].clone()
			if r.IntN(2) == 0 {
				val = some(o.keys[i])
			}
			at := r.IntN(n + 1)
			o.keys = slices.Insert(o.keys, at, o.keys[i])
			o.vals = slices.Insert(o.vals, at, val)
		}
	case 2: // add a key
		k := keys[r.IntN(len(keys))]
		at := r.IntN(n + 1)
		o.keys = slices.Insert(o.keys, at, k)
		o.vals = slices.Insert(o.vals, at, some(k))
	case 3, 4: // change a value
		if n > 0 {
			i := r.IntN(n)
			o.vals[i] = some(o.keys[i])
		}
	case 5: // change the action
		if i := slices.Index(o.keys, "action"); i >= 0 {
			o.vals[i] = &jv{raw: quote(actions[r.IntN(len(actions))], false)}
		}
	case 6: // escape the keys, or a string value
		if i := r.IntN(n + 1); i == n {
			o.esc = true
		} else if s := o.vals[i]; s.kind == 0 && s.raw[0] == '"' {
			var str string
			if json.Unmarshal(s.raw, &str) == nil {
				s.raw = quote(str, true)
			}
		}
	case 7: // bytes that are not UTF-8 in a string value
		if n > 0 {
			i := r.IntN(n)
			if s := o.vals[i]; s.kind == 0 && s.raw[0] == '"' {
				at := 1 + r.IntN(len(s.raw)-1)
				s.raw = slices.Insert(slices.Clone(s.raw), at, []byte(notUTF8[r.IntN(len(notUTF8))])...)
			}
		}
	case 8: // drop a key
		if n > 0 {
			i := r.IntN(n)
			o.keys = slices.Delete(o.keys, i, i+1)
			o.vals = slices.Delete(o.vals, i, i+1)
		}
	}
}

// mangle changes b as bytes: it adds text at the end, cuts it short, or
// puts in a byte that is not UTF-8.
func mangle(r *rand.Rand, b []byte) []byte {
	b = slices.Clone(b)
	switch r.IntN(4) {
	case 0:
		return append(b, tails[r.IntN(len(tails))]...)
	case 1:
		if len(b) > 0 {
			return b[:r.IntN(len(b))]
		}
	case 2:
		return slices.Insert(b, r.IntN(len(b)+1), []byte(notUTF8[r.IntN(len(notUTF8))])...)
	}
	return append([]byte(strings.Repeat(" ", r.IntN(3))), b...)
}
