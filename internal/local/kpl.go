package local

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"math/big"
)

// kplMagic starts a record that the Kinesis Producer Library aggregated:
// the magic, a protobuf AggregatedRecord, then the MD5 of the protobuf.
var kplMagic = []byte{0xF3, 0x89, 0x9A, 0xC2}

// userRecord is one record packed into a KPL aggregated record.
type userRecord struct {
	partitionKey    string
	explicitHashKey string // "" when the record has none
	data            []byte
}

// deaggregate returns the user records that the KPL packed into data, or
// false if data is not a well-formed aggregated record (no magic, a wrong
// checksum, bad protobuf or an index out of range); the KCL delivers such
// a record as it is.
func deaggregate(data []byte) ([]userRecord, bool) {
	if len(data) < len(kplMagic)+md5.Size || !bytes.Equal(data[:len(kplMagic)], kplMagic) {
		return nil, false
	}
	body := data[len(kplMagic) : len(data)-md5.Size]
	if sum := md5.Sum(body); !bytes.Equal(sum[:], data[len(data)-md5.Size:]) {
		return nil, false
	}
	// message AggregatedRecord {
	//   repeated string partition_key_table     = 1;
	//   repeated string explicit_hash_key_table = 2;
	//   repeated Record records                 = 3;
	// }
	// message Record {
	//   required uint64 partition_key_index     = 1;
	//   optional uint64 explicit_hash_key_index = 2;
	//   required bytes  data                    = 3;
	//   repeated Tag    tags                    = 4;
	// }
	type rawRecord struct {
		pk, ehk       uint64
		hasPK, hasEHK bool
		data          []byte
	}
	var keys, hashKeys []string
	var raws []rawRecord
	err := protoFields(body, func(field int, varint uint64, bytes []byte) error {
		switch field {
		case 1:
			keys = append(keys, string(bytes))
		case 2:
			hashKeys = append(hashKeys, string(bytes))
		case 3:
			var r rawRecord
			err := protoFields(bytes, func(field int, varint uint64, b []byte) error {
				switch field {
				case 1:
					r.pk, r.hasPK = varint, true
				case 2:
					r.ehk, r.hasEHK = varint, true
				case 3:
					r.data = b
				}
				return nil
			})
			if err != nil {
				return err
			}
			raws = append(raws, r)
		}
		return nil
	})
	if err != nil || len(raws) == 0 {
		return nil, false
	}
	out := make([]userRecord, len(raws))
	for i, r := range raws {
		if !r.hasPK || r.pk >= uint64(len(keys)) || (r.hasEHK && r.ehk >= uint64(len(hashKeys))) {
			return nil, false
		}
		out[i] = userRecord{partitionKey: keys[r.pk], data: r.data}
		if r.hasEHK {
			out[i].explicitHashKey = hashKeys[r.ehk]
		}
		if out[i].data == nil {
			out[i].data = []byte{}
		}
	}
	return out, true
}

var errProto = errors.New("malformed protobuf")

// protoFields calls fn for each field of a protobuf message: varint fields
// with their value, length-delimited ones with their bytes. Fixed-width
// fields are skipped.
func protoFields(b []byte, fn func(field int, varint uint64, bytes []byte) error) error {
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return errProto
		}
		b = b[n:]
		field, wire := int(tag>>3), tag&7
		switch wire {
		case 0:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return errProto
			}
			b = b[n:]
			if err := fn(field, v, nil); err != nil {
				return err
			}
		case 1:
			if len(b) < 8 {
				return errProto
			}
			b = b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return errProto
			}
			v := b[n : n+int(l)]
			b = b[n+int(l):]
			if err := fn(field, 0, v); err != nil {
				return err
			}
		case 5:
			if len(b) < 4 {
				return errProto
			}
			b = b[4:]
		default:
			return errProto
		}
	}
	return nil
}

// hashKey returns the hash key Kinesis routes a record by: its explicit
// hash key, or the MD5 of its partition key as a 128-bit number.
func hashKey(partitionKey, explicitHashKey string) *big.Int {
	if explicitHashKey != "" {
		if h, ok := new(big.Int).SetString(explicitHashKey, 10); ok {
			return h
		}
	}
	sum := md5.Sum([]byte(partitionKey))
	return new(big.Int).SetBytes(sum[:])
}
