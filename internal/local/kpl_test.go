package local

import (
	"crypto/md5"
	"encoding/binary"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/google/go-cmp/cmp"

	"github.com/kclgo/mld/internal/lease"
	"github.com/kclgo/mld/protocol"
)

// appendProto appends a protobuf field: a varint, or bytes when data is
// not nil.
func appendProto(b []byte, field int, varint uint64, data []byte) []byte {
	if data == nil {
		b = binary.AppendUvarint(b, uint64(field)<<3)
		return binary.AppendUvarint(b, varint)
	}
	b = binary.AppendUvarint(b, uint64(field)<<3|2)
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}

// aggregate builds a KPL aggregated record of user records.
func aggregate(keys, hashKeys []string, recs []userRecordIndex) []byte {
	var body []byte
	for _, k := range keys {
		body = appendProto(body, 1, 0, []byte(k))
	}
	for _, h := range hashKeys {
		body = appendProto(body, 2, 0, []byte(h))
	}
	for _, r := range recs {
		var rb []byte
		rb = appendProto(rb, 1, r.key, nil)
		if r.hash >= 0 {
			rb = appendProto(rb, 2, uint64(r.hash), nil)
		}
		rb = appendProto(rb, 3, 0, append([]byte{}, r.data...))
		rb = appendProto(rb, 4, 0, appendProto(nil, 1, 0, []byte("tag"))) // tags are ignored
		body = appendProto(body, 3, 0, rb)
	}
	sum := md5.Sum(body)
	return append(append(append([]byte{}, kplMagic...), body...), sum[:]...)
}

type userRecordIndex struct {
	key  uint64
	hash int // -1: no explicit hash key
	data string
}

func TestDeaggregate(t *testing.T) {
	agg := aggregate([]string{"k0", "k1"}, []string{"12345"}, []userRecordIndex{{0, -1, "a"}, {1, 0, "b"}, {0, -1, ""}})
	got, ok := deaggregate(agg)
	if !ok {
		t.Fatal("deaggregate of a valid aggregate reported false")
	}
	want := []userRecord{{partitionKey: "k0", data: []byte("a")}, {partitionKey: "k1", explicitHashKey: "12345", data: []byte("b")}, {partitionKey: "k0", data: []byte{}}}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(userRecord{})); d != "" {
		t.Errorf("deaggregate (-want +got):\n%s", d)
	}
	bad := append([]byte{}, agg...)
	bad[len(bad)-1] ^= 1
	for name, data := range map[string][]byte{
		"plain data":        []byte("hello"),
		"wrong checksum":    bad,
		"key out of range":  aggregate([]string{"k0"}, nil, []userRecordIndex{{3, -1, "a"}}),
		"hash out of range": aggregate([]string{"k0"}, nil, []userRecordIndex{{0, 2, "a"}}),
		"no records":        aggregate([]string{"k0"}, nil, nil),
		"only the magic":    kplMagic,
	} {
		if _, ok := deaggregate(data); ok {
			t.Errorf("deaggregate(%s) reported an aggregate", name)
		}
	}
}

// convert delivers user records with sub-sequence numbers, drops those
// outside the shard's hash key range and those at or before the resume
// position.
func TestConvert(t *testing.T) {
	arrival := time.UnixMilli(1700000000123)
	seq1 := "49590338271490256608559692538361571095921575989136000001"
	seq2 := "49590338271490256608559692538361571095921575989136000002"
	in := []types.Record{
		{SequenceNumber: aws.String(seq1), PartitionKey: aws.String("outer"), ApproximateArrivalTimestamp: &arrival,
			Data: aggregate([]string{"k0"}, []string{"5", "500"}, []userRecordIndex{{0, 0, "a"}, {0, 1, "outside"}, {0, 0, "b"}, {0, 0, "c"}})},
		{SequenceNumber: aws.String(seq2), PartitionKey: aws.String("plain"), ApproximateArrivalTimestamp: &arrival, Data: nil},
	}
	sc := &shardConsumer{hashStart: big.NewInt(0), hashEnd: big.NewInt(100), after: lease.Position{SequenceNumber: seq1, SubSequenceNumber: 0}}
	got := sc.convert(in)
	rec := func(seq, key, data string, sub int64) protocol.Record {
		return protocol.Record{Data: []byte(data), PartitionKey: key, SequenceNumber: seq,
			ApproximateArrivalTimestamp: protocol.Some(arrival.UnixMilli()), SubSequenceNumber: protocol.Some(sub)}
	}
	want := []protocol.Record{rec(seq1, "k0", "b", 2), rec(seq1, "k0", "c", 3), rec(seq2, "plain", "", 0)}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(protocol.Record{})); d != "" {
		t.Errorf("convert (-want +got):\n%s", d)
	}
	if got[2].Data == nil {
		t.Errorf("empty data converted to nil, which the daemon never sends")
	}
}
