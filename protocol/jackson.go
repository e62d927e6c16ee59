package protocol

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds how the daemon's Jackson (a plain ObjectMapper, version
// 2.15 in KCL 2.7 and 3.1) turns the values of a child's line into the
// fields of its message classes: String, Long, byte[] and
// List<JsonFriendlyRecord>. Each rule was found by running the daemon's
// classes over the lines of testdata/child-lines.json and lines derived
// from them (internal/javacheck).

// fieldKind is the Java type of a message class's property.
type fieldKind int

const (
	javaString  fieldKind = iota // String
	javaLong                     // Long
	javaBytes                    // byte[], a record's data
	javaRecords                  // List<JsonFriendlyRecord>
)

// read converts raw to the field's Go value: a Nullable[string], a
// Nullable[int64], a []byte or a []Record. buffered says the value came
// before the line's "action", so that Jackson held it in a TokenBuffer
// until it knew the class.
func (k fieldKind) read(raw json.RawMessage, buffered bool) (any, error) {
	switch k {
	case javaString:
		return readString(raw, buffered)
	case javaLong:
		return readLong(raw)
	case javaBytes:
		return readBytes(raw)
	default:
		return readRecords(raw, buffered)
	}
}

// recordFields are the properties of JsonFriendlyRecord. The "action" the
// daemon writes in each record comes from a getter with no setter, so the
// daemon cannot read it back: a record holding it is skipped like one with
// any other key the class lacks.
var recordFields = map[string]fieldKind{
	"data":                        javaBytes,
	"partitionKey":                javaString,
	"sequenceNumber":              javaString,
	"approximateArrivalTimestamp": javaLong,
	"subSequenceNumber":           javaLong,
}

const (
	errNotLong   = decodeError("want a number or a string holding a Long")
	errNotBytes  = decodeError("want base64 text or an array of bytes")
	errByteRange = decodeError("a byte out of the range -128 to 255")
)

// readString converts a value to a String: null is null, true and false
// and a number are kept as written, and an object or array is an error.
// Jackson keeps a buffered integer as a number, so a buffered -0 comes
// back as "0"; every other JSON integer is written as it reads.
func readString(raw json.RawMessage, buffered bool) (Nullable[string], error) {
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
	}
	if buffered && string(raw) == "-0" {
		return Some("0"), nil
	}
	return Some(string(raw)), nil
}

// readLong converts a value to a Long: null is null; an integer must fit;
// a number with a fraction or exponent is read as a double and truncated;
// a string is parsed as Java's Long.parseLong does, after trimming, and
// an empty, blank or "null" string is null. A boolean, object or array is
// an error.
func readLong(raw json.RawMessage) (Nullable[int64], error) {
	raw = bytes.TrimSpace(raw)
	switch kindOf(raw) {
	case 'n':
		return Nullable[int64]{}, nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Nullable[int64]{}, errNotLong
		}
		s = javaTrim(s)
		if s == "" || s == "null" {
			return Nullable[int64]{}, nil
		}
		n, ok := javaParseLong(s)
		if !ok {
			return Nullable[int64]{}, errNotLong
		}
		return Some(n), nil
	case 't', 'f', '{', '[':
		return Nullable[int64]{}, errNotLong
	}
	n, err := numberToLong(string(raw))
	if err != nil {
		return Nullable[int64]{}, err
	}
	return Some(n), nil
}

// numberToLong converts a JSON number to a long as Jackson does: an
// integer must be in range; any other number is parsed as a double, which
// must lie within ±2^63, and truncated toward zero, 2^63 itself giving the
// largest long as Java's cast does.
func numberToLong(s string) (int64, error) {
	if !strings.ContainsAny(s, ".eE") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, errIntRange
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil || f < -(1<<63) || f > 1<<63:
		return 0, errIntRange
	case f == 1<<63:
		return 1<<63 - 1, nil
	}
	return int64(f), nil
}

// javaTrim is Java's String.trim: it removes the characters up to U+0020
// from both ends.
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

// javaParseLong is Java's Long.parseLong: an optional '+' or '-', then at
// least one decimal digit of any script, as Character.digit knows them
// (only those of the Basic Multilingual Plane, since Java looks at UTF-16
// units), with the value in range.
func javaParseLong(s string) (int64, bool) {
	ascii := make([]byte, 0, len(s))
	if s != "" && (s[0] == '+' || s[0] == '-') {
		ascii = append(ascii, s[0])
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	for _, r := range s {
		d := javaDigit(r)
		if d < 0 {
			return 0, false
		}
		ascii = append(ascii, byte('0'+d))
	}
	n, err := strconv.ParseInt(string(ascii), 10, 64)
	return n, err == nil
}

// javaDigit is Character.digit(c, 10) for the rune r: its value if it is a
// decimal digit (Unicode category Nd) in the Basic Multilingual Plane, else
// -1. In that plane every script's digits are one run of ten, zero first.
func javaDigit(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r < 0x80 || r > 0xffff || !unicode.IsDigit(r):
		return -1
	}
	zero := r
	for unicode.IsDigit(zero - 1) {
		zero--
	}
	return int(r - zero)
}

// readBytes converts a value to a byte[]: null is null; a string is base64
// as Jackson's default variant reads it (jacksonBase64); an array holds
// one byte per element, each an integer, a number truncated toward zero or
// a string holding one, in the range -128 to 255 (255 is read as -1), with
// null, an empty or blank string and "null" read as 0.
func readBytes(raw json.RawMessage) ([]byte, error) {
	switch kindOf(raw) {
	case 'n':
		return nil, nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errNotBytes
		}
		return jacksonBase64(s)
	case '[':
	default:
		return nil, errNotBytes
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, errNotBytes
	}
	b := make([]byte, len(elems))
	for i, e := range elems {
		e = bytes.TrimSpace(e)
		var v int64
		switch kindOf(e) {
		case 'n':
		case '"':
			var s string
			if err := json.Unmarshal(e, &s); err != nil {
				return nil, errNotBytes
			}
			if s = javaTrim(s); s != "" && s != "null" {
				n, ok := javaParseLong(s)
				if !ok {
					return nil, errNotBytes
				}
				v = n
			}
		case 't', 'f', '{', '[':
			return nil, errNotBytes
		default:
			n, err := numberToLong(string(e))
			if err != nil {
				return nil, errByteRange
			}
			v = n
		}
		if v < -128 || v > 255 {
			return nil, errByteRange
		}
		b[i] = byte(v)
	}
	return b, nil
}

// jacksonBase64 decodes s as Jackson's default Base64 variant (MIME
// without line feeds, padding required) does: groups of four characters of
// the standard alphabet, the last one or two of a group '=' padding; any
// number of characters up to U+0020 before each group; more groups after
// a padded one. Bits left over in a padded group are ignored.
func jacksonBase64(s string) ([]byte, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	value := func(i int) int {
		if i >= len(s) {
			return -1
		}
		return strings.IndexByte(alphabet, s[i])
	}
	out := []byte{}
	for i := 0; ; i += 4 {
		for i < len(s) && s[i] <= ' ' {
			i++
		}
		if i == len(s) {
			return out, nil
		}
		a, b, c, d := value(i), value(i+1), value(i+2), value(i+3)
		if a < 0 || b < 0 {
			return nil, errBase64
		}
		switch {
		case c >= 0 && d >= 0:
			out = append(out, byte(a<<2|b>>4), byte(b<<4|c>>2), byte(c<<6|d))
		case c >= 0 && i+3 < len(s) && s[i+3] == '=':
			out = append(out, byte(a<<2|b>>4), byte(b<<4|c>>2))
		case c < 0 && i+3 < len(s) && s[i+2] == '=' && s[i+3] == '=':
			out = append(out, byte(a<<2|b>>4))
		default:
			return nil, errBase64
		}
	}
}

// readRecords converts a value to a List<JsonFriendlyRecord>: null is
// null, and an array holds records, each an object with the keys of
// recordFields only, or null (a record with every field null).
func readRecords(raw json.RawMessage, buffered bool) ([]Record, error) {
	switch kindOf(raw) {
	case 'n':
		return nil, nil
	case '[':
	default:
		return nil, errNotArray
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, errNotArray
	}
	records := make([]Record, len(elems))
	for i, e := range elems {
		switch kindOf(e) {
		case 'n':
			continue
		case '{':
		default:
			return nil, errNotRecord
		}
		members, err := objectMembers(e)
		if err != nil {
			return nil, errNotRecord
		}
		r := &records[i]
		for _, m := range members {
			kind, ok := recordFields[m.key]
			if !ok {
				return nil, decodeError("a record has no field " + strconv.Quote(m.key))
			}
			v, err := kind.read(m.raw, buffered)
			if err != nil {
				return nil, decodeError(m.key + ": " + err.Error())
			}
			switch m.key {
			case "data":
				r.Data = v.([]byte)
			case "partitionKey":
				r.PartitionKey = v.(Nullable[string]).V
			case "sequenceNumber":
				r.SequenceNumber = v.(Nullable[string]).V
			case "approximateArrivalTimestamp":
				r.ApproximateArrivalTimestamp = v.(Nullable[int64])
			case "subSequenceNumber":
				r.SubSequenceNumber = v.(Nullable[int64])
			}
		}
	}
	return records, nil
}

// member is one key and value of a JSON object.
type member struct {
	key string
	raw json.RawMessage
}

// objectMembers returns the members of the JSON object raw, in order, with
// repeated keys repeated: Jackson converts every occurrence, and the last
// one wins.
func objectMembers(raw json.RawMessage) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // the '{'
		return nil, err
	}
	var members []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		members = append(members, member{t.(string), v})
	}
	return members, nil
}

// javaText returns line as the daemon's reader turns it into text: UTF-8
// is decoded as Java's decoder does, which replaces each malformed
// sequence with one U+FFFD where Go's decoder would replace each byte of
// it. The daemon reads a child's output in the JVM's default charset,
// which kcl daemon sets to UTF-8, as it is from Java 18 on.
func javaText(line []byte) []byte {
	if utf8.Valid(line) {
		return line
	}
	// The byte after a line is "\r" or "\n", never a continuation byte.
	at := func(i int) byte {
		if i < len(line) {
			return line[i]
		}
		return '\n'
	}
	cont := func(b byte) bool { return b&0xc0 == 0x80 }
	out := make([]byte, 0, len(line)+8)
	for i := 0; i < len(line); {
		b1 := line[i]
		n := 0 // the length of a valid sequence at i
		bad := 1
		switch {
		case b1 < 0x80:
			n = 1
		case b1 >= 0xc2 && b1 <= 0xdf:
			if cont(at(i + 1)) {
				n = 2
			}
		case b1 >= 0xe0 && b1 <= 0xef:
			b2, b3 := at(i+1), at(i+2)
			switch {
			case b1 == 0xe0 && b2&0xe0 == 0x80, !cont(b2):
			case !cont(b3):
				bad = 2
			case b1 == 0xed && b2 >= 0xa0: // a surrogate
				bad = 3
			default:
				n = 3
			}
		case b1 >= 0xf0 && b1 <= 0xf7:
			b2, b3, b4 := at(i+1), at(i+2), at(i+3)
			switch {
			case b1 > 0xf4, b1 == 0xf0 && (b2 < 0x90 || b2 > 0xbf), b1 == 0xf4 && b2&0xf0 != 0x80, !cont(b2):
			case !cont(b3):
				bad = 2
			case !cont(b4):
				bad = 3
			default:
				n = 4
			}
		}
		if n > 0 {
			out = append(out, line[i:i+n]...)
			i += n
			continue
		}
		out = utf8.AppendRune(out, utf8.RuneError)
		i += bad
	}
	return out
}

// javaIdentifierPart is Java's Character.isJavaIdentifierPart for one
// UTF-16 unit; a rune outside the Basic Multilingual Plane is a surrogate
// pair there, whose units are not.
func javaIdentifierPart(r rune) bool {
	switch {
	case r > 0xffff:
		return false
	case r <= 8, r >= 0x0e && r <= 0x1b, r >= 0x7f && r <= 0x9f:
		return true
	}
	return unicode.In(r, unicode.L, unicode.Sc, unicode.Pc, unicode.Nd, unicode.Nl, unicode.Mc, unicode.Mn, unicode.Cf)
}
