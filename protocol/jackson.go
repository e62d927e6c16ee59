package protocol

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// This file holds how the daemon's Jackson (a plain ObjectMapper, version
// 2.15 in KCL 2.7 and 3.1) turns the values of a child's line into the
// fields of its message classes: String, Long, byte[] and
// List<JsonFriendlyRecord>. The rules are checked by running the daemon's
// classes over the lines of testdata/child-lines.json (internal/javacheck).

// fieldKind is the Java type of a message class's property.
type fieldKind int

const (
	javaString  fieldKind = iota // String
	javaLong                     // Long
	javaBytes                    // byte[], a record's data
	javaRecords                  // List<JsonFriendlyRecord>
)

// read converts raw to the field's Go value: a Nullable[string], a
// Nullable[int64], a []byte or a []Record.
func (k fieldKind) read(raw json.RawMessage) (any, error) {
	switch k {
	case javaString:
		return coerceString(raw)
	case javaLong:
		return coerceInt(raw)
	case javaBytes:
		return readBytes(raw)
	default:
		return readRecords(raw)
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

// readBytes converts a value to a byte[]: null is null, and a string is
// padded standard base64.
func readBytes(raw json.RawMessage) ([]byte, error) {
	switch kindOf(raw) {
	case 'n':
		return nil, nil
	case '"':
	default:
		return nil, errDataString
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, errNotString
	}
	return decodeBase64([]byte(s))
}

// readRecords converts a value to a List<JsonFriendlyRecord>: null is
// null, and an array holds records, each an object with the keys of
// recordFields only, or null (a record with every field null).
func readRecords(raw json.RawMessage) ([]Record, error) {
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
			v, err := kind.read(m.raw)
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
