package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is the Reader's decoder: a single-pass scanner that accepts and
// rejects exactly the lines that the reference decoder (decode.go) does,
// and gives equal messages and errors, but decodes a processRecords batch
// without a heap allocation per record:
//   - Data is base64-decoded in place, into the line over the records
//     already read, so it points into the line (the Reader's buffer);
//   - partition keys and sequence numbers are collected in the buffer's
//     scratch and become one Go string for the whole batch;
//   - the records slice is the buffer's, reused from batch to batch.
//
// Other actions are decoded by the same scanner; their few fields cost an
// allocation each, as they do in Decode.

// maxDepth is encoding/json's nesting limit: a line with a value nested
// deeper is not JSON to the reference decoder.
const maxDepth = 10000

// b64Chunk is how much base64 is decoded at a time through a scratch array
// while the decoded bytes would overlap the undecoded input.
const b64Chunk = 4096

// batchScratch is the memory a decoded batch uses besides its line. Each
// lineBuffer has one, reused from batch to batch.
type batchScratch struct {
	records []Record
	spans   []strSpan // where each record's strings are in strs
	strs    []byte
	b64     [b64Chunk / 4 * 3]byte
}

// strSpan locates a record's strings in lineBuffer.strs until the batch's
// one string is made.
type strSpan struct {
	pk, pkEnd, seq, seqEnd int
}

// plain marks the bytes that stand for themselves in a JSON string: ASCII
// from ' ' up, except '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Top-level fields of the daemon's messages.
const (
	fieldOther = iota
	fieldAction
	fieldRecords
	fieldMillisBehindLatest
	fieldShardID
	fieldSequenceNumber
	fieldSubSequenceNumber
	fieldReason
	fieldResponseFor
	fieldError
	numFields
)

func topField(key []byte) int {
	switch string(key) {
	case "action":
		return fieldAction
	case "records":
		return fieldRecords
	case "millisBehindLatest":
		return fieldMillisBehindLatest
	case "shardId":
		return fieldShardID
	case "sequenceNumber":
		return fieldSequenceNumber
	case "subSequenceNumber":
		return fieldSubSequenceNumber
	case "reason":
		return fieldReason
	case "responseFor":
		return fieldResponseFor
	case "error":
		return fieldError
	}
	return fieldOther
}

// Fields of a record, in the order the reference decoder reads them, which
// decides which error a record with several bad fields reports.
const (
	recData = iota
	recPartitionKey
	recSequenceNumber
	recApproximateArrivalTimestamp
	recSubSequenceNumber
	numRecFields
	recOther = numRecFields
)

var recFieldNames = [numRecFields]string{
	"data", "partitionKey", "sequenceNumber", "approximateArrivalTimestamp", "subSequenceNumber",
}

// recKeys are the keys of a record as the daemon writes them, in its
// order, for a quick match before the general one.
var recKeys = [numRecFields + 1]string{
	`"data":`, `"partitionKey":`, `"sequenceNumber":`, `"approximateArrivalTimestamp":`, `"subSequenceNumber":`, `"action":`,
}

func recordField(key []byte) int {
	switch string(key) {
	case "data":
		return recData
	case "partitionKey":
		return recPartitionKey
	case "sequenceNumber":
		return recSequenceNumber
	case "approximateArrivalTimestamp":
		return recApproximateArrivalTimestamp
	case "subSequenceNumber":
		return recSubSequenceNumber
	}
	return recOther
}

// span is a value's bytes in the line; end is 0 for a field not seen.
type span struct{ start, end int }

// String flags reported by scanner.str.
const (
	strEscaped  = 1 << iota // holds a backslash escape
	strNonASCII             // holds a byte >= 0x80
)

type scanner struct {
	b []byte

	// The line's first bytes, kept for error text: decoding data in place
	// overwrites the line.
	prefix [prefixLen]byte

	fields [numFields]span // the last occurrence of each top-level field

	// The last "records" field.
	isArray bool // an array, not null or missing
	w       int  // where the next record's Data goes
	recErr  error
	recs    []Record
	spans   []strSpan
	strs    []byte

	b64 *[b64Chunk / 4 * 3]byte
}

// decodeLine decodes a daemon line as Decode does, using lb's scratch for a
// batch and decoding Data into line, which it overwrites. leased reports
// whether the result points into lb (its records) or line (their Data).
func decodeLine(line []byte, lb *lineBuffer) (m Message, leased bool, err error) {
	i := skipSpace(line, 0)
	if i == len(line) || line[i] != '{' {
		m, err = Decode(line) // not an object: the reference picks the error
		return m, false, err
	}
	line = bytes.TrimSuffix(line, []byte{'\r'})
	s := scanner{b: line, recs: lb.records[:0], spans: lb.spans[:0], strs: lb.strs[:0], b64: &lb.b64}
	copy(s.prefix[:], line)
	ok := s.object(i)
	// Keep the scratch, grown or not, for the next line. Stale records past
	// the end would pin an old batch's strings.
	if stale := min(len(lb.records), cap(s.recs)); stale > len(s.recs) {
		clear(s.recs[len(s.recs):stale])
	}
	lb.records, lb.spans, lb.strs = s.recs, s.spans, s.strs
	if !ok {
		return nil, false, s.malformed("%v", errNotJSON)
	}
	return s.message(lb)
}

// message builds the result from what object found, checking what the
// reference checks, in the same order.
func (s *scanner) message(lb *lineBuffer) (Message, bool, error) {
	act := s.fields[fieldAction]
	if act.end == 0 {
		return nil, false, s.malformed("no action")
	}
	if s.b[act.start] != '"' {
		return nil, false, s.malformed("action is not a string")
	}
	var buf [32]byte
	action := unquote(buf[:0], s.b, act)
	d := spanDecoder{b: s.b}
	var m Message
	leased := false
	switch string(action) {
	case ActionProcessRecords:
		d.fail("records", s.recErr)
		millis := d.int("millisBehindLatest", s.fields[fieldMillisBehindLatest])
		if d.err != nil {
			break
		}
		pr := ProcessRecords{MillisBehindLatest: millis}
		switch n := len(s.recs); {
		case !s.isArray:
		case n == 0:
			pr.Records = []Record{}
		default:
			all := string(s.strs) // the batch's one string allocation
			for k := range s.recs {
				sp := &s.spans[k]
				s.recs[k].PartitionKey = all[sp.pk:sp.pkEnd]
				s.recs[k].SequenceNumber = all[sp.seq:sp.seqEnd]
			}
			pr.Records = s.recs[:n:n]
			pr.lease = lb
			pr.leaseGen = lb.gen + 1 // Reader.swapBuffer moves lb to it
			leased = true
		}
		m = pr
	case ActionInitialize:
		m = Initialize{
			ShardID:           d.str("shardId", s.fields[fieldShardID]).V,
			SequenceNumber:    d.str("sequenceNumber", s.fields[fieldSequenceNumber]),
			SubSequenceNumber: d.int("subSequenceNumber", s.fields[fieldSubSequenceNumber]),
		}
	case ActionLeaseLost:
		m = LeaseLost{}
	case ActionShardEnded:
		m = ShardEnded{}
	case ActionShutdownRequested:
		m = ShutdownRequested{}
	case ActionShutdown:
		m = Shutdown{Reason: d.str("reason", s.fields[fieldReason]).V}
	case ActionStatus:
		m = Status{ResponseFor: d.str("responseFor", s.fields[fieldResponseFor]).V}
	case ActionCheckpoint:
		m = CheckpointReply{
			SequenceNumber:    d.str("sequenceNumber", s.fields[fieldSequenceNumber]),
			SubSequenceNumber: d.int("subSequenceNumber", s.fields[fieldSubSequenceNumber]),
			Error:             d.str("error", s.fields[fieldError]),
		}
	default:
		return nil, false, &UnknownActionError{Action: string(action)}
	}
	if d.err != nil {
		return nil, false, s.malformed("%s: %v", string(action), d.err)
	}
	return m, leased, nil
}

// spanDecoder reads typed top-level fields, keeping the first error, as
// fieldDecoder does for the reference.
type spanDecoder struct {
	b   []byte
	err error
}

func (d *spanDecoder) fail(name string, err error) {
	if err != nil && d.err == nil {
		d.err = decodeError(name + ": " + err.Error())
	}
}

func (d *spanDecoder) str(name string, sp span) Nullable[string] {
	if sp.end == 0 {
		return Nullable[string]{}
	}
	if d.b[sp.start] != '"' {
		v, err := coerceString(d.b[sp.start:sp.end])
		d.fail(name, err)
		return v
	}
	var buf [64]byte
	return Some(string(unquote(buf[:0], d.b, sp)))
}

func (d *spanDecoder) int(name string, sp span) Nullable[int64] {
	if sp.end == 0 {
		return Nullable[int64]{}
	}
	v, _, err, _ := intValue(d.b, sp.start, 1) // valid JSON: object checked it
	d.fail(name, err)
	return v
}

// unquote appends the contents of the JSON string at b[sp] to dst.
func unquote(dst, b []byte, sp span) []byte {
	raw := b[sp.start+1 : sp.end-1]
	for _, c := range raw {
		if !plain[c] {
			return appendUnquoted(dst, raw)
		}
	}
	return append(dst, raw...)
}

// malformed is the reference's malformed, quoting the line as it was before
// data was decoded into it.
func (s *scanner) malformed(format string, args ...any) error {
	n := len(s.b)
	q := fmt.Sprintf("%q", string(s.prefix[:min(n, prefixLen)]))
	if n > prefixLen {
		q = fmt.Sprintf("%s... (%d bytes)", q, n)
	}
	return &LineError{Line: q, Reason: fmt.Sprintf(format, args...), Err: ErrMalformed}
}

// object scans the top-level object at b[i], decoding every "records"
// field and remembering where the other fields are. It reports false for a
// line that is not JSON; anything after the object is ignored.
func (s *scanner) object(i int) bool {
	b := s.b
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return true
	}
	for {
		var f int
		var ok bool
		if f, i, ok = key(b, i, keysTop); !ok {
			return false
		}
		start := i
		if f == fieldRecords {
			i, ok = s.records(i)
		} else {
			i, ok = skip(b, i, 1)
		}
		if !ok {
			return false
		}
		if f != fieldOther {
			s.fields[f] = span{start, i}
		}
		if i = skipSpace(b, i); i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return true
		default:
			return false
		}
	}
}

// Which field names key looks for.
const (
	keysIgnored = iota
	keysTop
	keysRecord
)

func lookup(keys int, name []byte) int {
	switch keys {
	case keysTop:
		return topField(name)
	case keysRecord:
		return recordField(name)
	}
	return 0
}

// key scans an object member's key and colon at b[i] and classifies the
// key as one of keys' fields. next is where the value starts.
func key(b []byte, i, keys int) (f, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, false
	}
	// Keys are short: a byte loop beats str's word at a time.
	end, flags := i+1, 0
	for end < len(b) && plain[b[end]] {
		end++
	}
	if end < len(b) && b[end] == '"' {
		end++
	} else if end, flags, ok = str(b, end); !ok {
		return 0, 0, false
	}
	raw := b[i+1 : end-1]
	switch {
	case keys == keysIgnored:
	case flags == 0:
		f = lookup(keys, raw)
	case flags&strNonASCII != 0:
		// Unquoted, it still holds a non-ASCII rune, and no field name does.
		f = lookup(keys, nil)
	default:
		var buf [64]byte
		f = lookup(keys, appendUnquoted(buf[:0], raw))
	}
	if i = skipSpace(b, end); i >= len(b) || b[i] != ':' {
		return 0, 0, false
	}
	return f, skipSpace(b, i+1), true
}

// records scans the value of a "records" field at b[i], replacing what an
// earlier "records" field left.
func (s *scanner) records(i int) (int, bool) {
	b := s.b
	s.isArray, s.recErr = false, nil
	s.recs, s.spans, s.strs = s.recs[:0], s.spans[:0], s.strs[:0]
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '[':
	case 'n':
		return literal(b, i, "null")
	default:
		s.recErr = errNotArray
		return skip(b, i, 1)
	}
	s.isArray, s.w = true, i
	if i = skipSpace(b, i+1); i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		switch {
		case s.recErr != nil:
			i, ok = skip(b, i, 2) // only validated, as the reference stops at the first bad record
		case i < len(b) && b[i] == '{':
			i, ok = s.record(i)
		default:
			s.recErr = errNotRecord
			i, ok = skip(b, i, 2)
		}
		if !ok {
			return 0, false
		}
		if i = skipSpace(b, i); i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// record scans the record object at b[i] and appends it to s.recs.
func (s *scanner) record(i int) (int, bool) {
	b := s.b
	var r Record
	var sp strSpan
	var errs [numRecFields]error // per field, as the last occurrence wins
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for guess := recData; ; {
			var f int
			var ok bool
			if k := recKeys[guess]; len(b)-i >= len(k) && string(b[i:i+len(k)]) == k {
				f, i = guess, skipSpace(b, i+len(k))
			} else if f, i, ok = key(b, i, keysRecord); !ok {
				return 0, false
			}
			guess = min(f+1, recOther)
			switch f {
			case recData:
				r.Data, i, errs[f], ok = s.data(i)
			case recPartitionKey:
				sp.pk, sp.pkEnd, i, errs[f], ok = s.strValue(i)
			case recSequenceNumber:
				sp.seq, sp.seqEnd, i, errs[f], ok = s.strValue(i)
			case recApproximateArrivalTimestamp:
				r.ApproximateArrivalTimestamp, i, errs[f], ok = intValue(b, i, 3)
			case recSubSequenceNumber:
				r.SubSequenceNumber, i, errs[f], ok = intValue(b, i, 3)
			default:
				i, ok = skip(b, i, 3)
			}
			if !ok {
				return 0, false
			}
			if i = skipSpace(b, i); i >= len(b) {
				return 0, false
			}
			if b[i] == '}' {
				i++
				break
			}
			if b[i] != ',' {
				return 0, false
			}
			i = skipSpace(b, i+1)
		}
	}
	for f, err := range errs {
		if err != nil {
			s.recErr = decodeError(recFieldNames[f] + ": " + err.Error())
			break
		}
	}
	s.recs = append(grow(s.recs, 1), r)
	s.spans = append(grow(s.spans, 1), sp)
	return i, true
}

// data scans a record's "data" value at b[i]. A string is decoded as
// base64 into the line at s.w, after the Data of earlier records, and d
// points there. The scanner has read every byte up to b[i], and base64
// is longer than what it encodes, so the output never overtakes the
// input; once the records read so far leave a gap of a few KiB, a payload
// decodes in one call straight into it.
func (s *scanner) data(i int) (d []byte, next int, err error, ok bool) {
	b := s.b
	if i >= len(b) {
		return nil, 0, nil, false
	}
	switch b[i] {
	case '"':
	case 'n':
		next, ok = literal(b, i, "null")
		return nil, next, nil, ok
	default:
		next, ok = skip(b, i, 3)
		return nil, next, errDataString, ok
	}
	// Fast path: the string is plain base64 up to the next quote.
	start := s.w
	src, out := i+1, start
	if q := bytes.IndexByte(b[src:], '"'); q >= 0 {
		end := src + q
		var failed int
		if out, failed, ok = decodeBase64InPlace(b, src, end, out, s.b64); ok {
			s.w = out
			return b[start:out:out], end + 1, nil, true
		}
		src = failed
	}
	// Slow path: b[i+1:src] was plain base64, decoded to b[start:out].
	// Find where the string really ends and what is wrong with the rest.
	next, flags, ok := str(b, src)
	if !ok {
		return nil, 0, nil, false
	}
	if flags&strEscaped == 0 || flags&strNonASCII != 0 {
		// Either the base64 itself is bad, or the string holds a non-ASCII
		// rune, which is not base64 either.
		return nil, next, errBase64, true
	}
	// Unescaping ASCII never lengthens it, so it can be done in place.
	rest := appendUnquoted(b[src:src], b[src:next-1])
	if bytes.ContainsAny(rest, "\r\n") {
		return nil, next, errBase64, true
	}
	// b[i+1:src] decoded to whole 3-byte groups, so the rest decodes on
	// its own exactly as it would following them.
	if out, _, ok = decodeBase64InPlace(b, src, src+len(rest), out, s.b64); !ok {
		return nil, next, errBase64, true
	}
	s.w = out
	return b[start:out:out], next, nil, true
}

// decodeBase64InPlace decodes b[src:end] as padded standard base64 into
// b[out:], where out <= src. The output never overtakes the input: while
// the decoded bytes would overlap input not yet decoded, it decodes a chunk
// at a time into a scratch array and copies it down, since Decode is not
// documented to allow overlapping buffers; further on it decodes straight
// into the gap.
//
// scratch is the array for chunks.
//
// It reports whether it decoded everything, and if not, where the chunk
// that failed started; b[src:failed] was then plain base64 without padding.
// It fails for anything decodeBase64 rejects, and also for "\r" and "\n",
// which base64.Encoding.Decode would skip.
func decodeBase64InPlace(b []byte, src, end, out int, scratch *[b64Chunk / 4 * 3]byte) (newOut, failed int, ok bool) {
	for src < end {
		n := end - src
		direct := (src - out) / 3 * 4 // the longest input whose output fits in the gap
		switch {
		case n <= direct:
		case direct >= b64Chunk:
			n = direct
		default:
			n = min(n, b64Chunk)
		}
		dst := scratch[:]
		if n <= direct {
			dst = b[out:src]
		}
		dn, err := base64.StdEncoding.Decode(dst, b[src:src+n])
		want := n / 4 * 3
		if src+n < end {
			// Not the last chunk: no padding, and so no skipped line breaks.
			if err != nil || dn != want {
				return out, src, false
			}
		} else if err != nil || n%4 != 0 || dn < want-2 {
			// Line breaks would have made the output at least 3 bytes
			// shorter than the input implies.
			return out, src, false
		}
		if n > direct {
			copy(b[out:], scratch[:dn])
		}
		out += dn
		src += n
	}
	return out, src, true
}

// strValue scans a string-typed record field at b[i], appending its value
// to s.strs, and returns where in s.strs it is. Like coerceString, it takes
// a number as written and true or false as that word.
func (s *scanner) strValue(i int) (start, end, next int, err error, ok bool) {
	b := s.b
	start = len(s.strs)
	if i >= len(b) {
		return 0, 0, 0, nil, false
	}
	switch c := b[i]; {
	case c == '"':
		var flags int
		if next, flags, ok = str(b, i+1); !ok {
			return 0, 0, 0, nil, false
		}
		if flags == 0 {
			s.strs = append(grow(s.strs, next-i-2), b[i+1:next-1]...)
		} else {
			s.strs = appendUnquoted(grow(s.strs, next-i-2), b[i+1:next-1])
		}
	case c == 'n':
		next, ok = literal(b, i, "null")
	case c == 't':
		next, ok = literal(b, i, "true")
		s.strs = append(grow(s.strs, 4), "true"...)
	case c == 'f':
		next, ok = literal(b, i, "false")
		s.strs = append(grow(s.strs, 5), "false"...)
	case c == '{' || c == '[':
		next, ok = skip(b, i, 3)
		err = errNotString
	default:
		if next, _, ok = number(b, i); ok {
			s.strs = append(grow(s.strs, next-i), b[i:next]...)
		}
	}
	return start, len(s.strs), next, err, ok
}

// grow makes room for n more elements, doubling the capacity when it must
// grow. The scratch is kept from batch to batch, and append's growth of
// 1.25 times for large slices would allocate, in total, five times the
// size of the first large batch's scratch rather than twice.
func grow[E any](s []E, n int) []E {
	if cap(s)-len(s) >= n {
		return s
	}
	return slices.Grow(s, max(n, 2*cap(s)-len(s), 64))
}

// intValue scans an integer field's value at b[i], at the given nesting
// depth, with coerceInt's rules.
func intValue(b []byte, i, depth int) (v Nullable[int64], next int, err error, ok bool) {
	if i >= len(b) {
		return v, 0, nil, false
	}
	c0 := b[i]
	switch c := c0; {
	case c == 'n':
		next, ok = literal(b, i, "null")
		return v, next, nil, ok
	case c == '"':
		if next, _, ok = str(b, i+1); !ok {
			return v, 0, nil, false
		}
		v, err = coerceInt(b[i:next])
		return v, next, err, true
	case c == 't':
		next, ok = literal(b, i, "true")
		return v, next, errNotInt, ok
	case c == 'f':
		next, ok = literal(b, i, "false")
		return v, next, errNotInt, ok
	case c == '{' || c == '[':
		next, ok = skip(b, i, depth)
		return v, next, errNotInt, ok
	}
	// Fast path: an integer of up to 18 digits, which fits in an int64
	// whatever the digits; this is ParseInt's result.
	j, neg := i, c0 == '-'
	if neg {
		j++
	}
	var n int64
	digits := j
	for j < len(b) && isDigit(b[j]) {
		n = n*10 + int64(b[j]-'0')
		j++
	}
	if k := j - digits; k > 0 && k <= 18 && (b[digits] != '0' || k == 1) &&
		(j == len(b) || b[j] != '.' && b[j] != 'e' && b[j] != 'E') {
		if neg {
			n = -n
		}
		return Some(n), j, nil, true
	}
	if next, _, ok = number(b, i); !ok {
		return v, 0, nil, false
	}
	v, err = parseInt(string(b[i:next]))
	return v, next, err, true
}

// skip scans any JSON value at b[i] and returns the index after it. depth
// is the nesting depth of the value's container (1 for the top-level
// object's fields), for encoding/json's depth limit.
func skip(b []byte, i, depth int) (next int, ok bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '{', '[':
		return skipNested(b, i, depth)
	case '"':
		next, _, ok = str(b, i+1)
	case 't':
		next, ok = literal(b, i, "true")
	case 'f':
		next, ok = literal(b, i, "false")
	case 'n':
		next, ok = literal(b, i, "null")
	default:
		next, _, ok = number(b, i)
	}
	return next, ok
}

// skipNested is skip for an object or array. It keeps its own stack
// rather than recursing, as the depth can reach ten thousand.
func skipNested(b []byte, i, depth int) (int, bool) {
	var inObject [maxDepth/64 + 1]uint64 // per open container: object or array
	n := 0                               // containers opened here and not yet closed
	for {
		// A value starts at b[i].
		var ok bool
		if i < len(b) && (b[i] == '{' || b[i] == '[') {
			c := b[i]
			if depth+n+1 > maxDepth {
				return 0, false
			}
			if c == '{' {
				inObject[n/64] |= 1 << (n % 64)
			} else {
				inObject[n/64] &^= 1 << (n % 64)
			}
			n++
			if i = skipSpace(b, i+1); i >= len(b) || b[i] != c+2 { // not '}' or ']'
				if c == '{' {
					if _, i, ok = key(b, i, keysIgnored); !ok {
						return 0, false
					}
				}
				continue
			}
			i, n = i+1, n-1
		} else if i, ok = skip(b, i, depth+n); !ok {
			return 0, false
		}
		// After a value: close containers until one has another element.
		for {
			if n == 0 {
				return i, true
			}
			if i = skipSpace(b, i); i >= len(b) {
				return 0, false
			}
			object := inObject[(n-1)/64]>>((n-1)%64)&1 == 1
			if b[i] == ',' {
				i = skipSpace(b, i+1)
				if object {
					if _, i, ok = key(b, i, keysIgnored); !ok {
						return 0, false
					}
				}
				break
			}
			if object && b[i] == '}' || !object && b[i] == ']' {
				i, n = i+1, n-1
				continue
			}
			return 0, false
		}
	}
}

// str scans the rest of a JSON string whose contents start at b[i], and
// returns the index after its closing quote.
func str(b []byte, i int) (next, flags int, ok bool) {
	for {
		for i+8 <= len(b) && plain8(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			return 0, 0, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, flags, true
		case c == '\\':
			flags |= strEscaped
			if i+1 >= len(b) {
				return 0, 0, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || hex4(b[i+2:i+6]) < 0 {
					return 0, 0, false
				}
				i += 6
			default:
				return 0, 0, false
			}
		case c < ' ':
			return 0, 0, false
		default:
			flags |= strNonASCII
			i++
		}
	}
}

// plain8 reports whether the 8 bytes packed in x are all plain.
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) & ^v & highs } // a byte of v is 0
	return (x&highs | (x-ones*' ')&^x&highs | zero(x^ones*'"') | zero(x^ones*'\\')) == 0
}

// number scans a JSON number at b[i]. simple reports an integer written
// without fraction or exponent.
func number(b []byte, i int) (next int, simple, ok bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return 0, false, false
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return 0, false, false
	}
	simple = true
	if i < len(b) && b[i] == '.' {
		simple = false
		if i++; i >= len(b) || !isDigit(b[i]) {
			return 0, false, false
		}
		i = skipDigits(b, i)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		simple = false
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return 0, false, false
		}
		i = skipDigits(b, i)
	}
	return i, simple, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func skipDigits(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

func literal(b []byte, i int, word string) (int, bool) {
	if len(b)-i >= len(word) && string(b[i:i+len(word)]) == word {
		return i + len(word), true
	}
	return 0, false
}

// skipSpace skips JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// hex4 returns the value of four hex digits, or -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// appendUnquoted appends the value of the JSON string contents raw, which
// str has validated, to dst, exactly as encoding/json unquotes: invalid
// UTF-8 and unpaired surrogates become U+FFFD.
//
// For ASCII raw it writes no more bytes than it has read, so dst may be
// raw[:0] to unquote in place.
func appendUnquoted(dst, raw []byte) []byte {
	for r := 0; r < len(raw); {
		switch c := raw[r]; {
		case plain[c]:
			start := r
			for r < len(raw) && plain[raw[r]] {
				r++
			}
			dst = append(dst, raw[start:r]...)
		case c == '\\':
			switch e := raw[r+1]; e {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				rr := hex4(raw[r+2 : r+6])
				r += 6
				if utf16.IsSurrogate(rr) {
					rr1 := rune(-1)
					if len(raw)-r >= 6 && raw[r] == '\\' && raw[r+1] == 'u' {
						rr1 = hex4(raw[r+2 : r+6])
					}
					if dec := utf16.DecodeRune(rr, rr1); dec != utf8.RuneError {
						r += 6
						dst = utf8.AppendRune(dst, dec)
						continue
					}
					rr = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, rr)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, e)
			}
			r += 2
		case c < utf8.RuneSelf: // a control character, which str rejects
			dst = append(dst, c)
			r++
		default:
			rr, size := utf8.DecodeRune(raw[r:])
			dst = utf8.AppendRune(dst, rr)
			r += size
		}
	}
	return dst
}
