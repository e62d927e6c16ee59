package bench

import (
	"encoding/base64"
	"math/rand/v2"
	"strconv"

	"github.com/kclgo/mld/protocol"
)

// Lines are a scenario's daemon lines, made before any timing.
type Lines struct {
	init    step
	batches []step
	end     []step
	records int
	payload int64 // bytes of record data, before base64
	maxLine int
}

// step is one line the daemon writes, and the message it is, for the
// lease. The message of a processRecords line holds only the batch's last
// record, without data: that is all lease.Begin reads of a batch (the
// largest checkpoint it permits), and a copy of every record would double
// the harness's memory in S1.
type step struct {
	line []byte // with its "\n"
	msg  protocol.Message
}

// shardID is the shard every scenario reads.
const shardID = "shardId-000000000000"

// seqPrefix and a 20-digit counter make 56-digit, increasing sequence
// numbers like Kinesis's.
const seqPrefix = "495903382714902566085596925383615710"

func appendSeq(dst []byte, n int) []byte {
	dst = append(dst, seqPrefix...)
	var digits [20]byte
	v := uint64(n)
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, digits[:]...)
}

// arrival is the approximateArrivalTimestamp of the first record, in epoch
// milliseconds; each later record arrives 1 ms after the one before.
const arrival = 1700000000000

// Generate writes sc's lines exactly as the daemon writes them
// (protocol-spec §2.2), with random, incompressible payloads from seed, so
// that base64 cannot be cheap.
func Generate(sc Scenario, seed uint64) *Lines {
	rng := rand.New(rand.NewChaCha8([32]byte{0: byte(seed), 1: byte(seed >> 8), 2: byte(seed >> 16), 3: byte(seed >> 24),
		4: byte(seed >> 32), 5: byte(seed >> 40), 6: byte(seed >> 48), 7: byte(seed >> 56)}))
	src := rand.NewChaCha8([32]byte{31: 1, 0: byte(seed), 1: byte(seed >> 8)})
	m := &Lines{
		init: step{
			line: []byte(`{"action":"initialize","shardId":"` + shardID + `","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}` + "\n"),
			msg:  protocol.Initialize{ShardID: shardID, SequenceNumber: protocol.Some("TRIM_HORIZON"), SubSequenceNumber: protocol.Some[int64](0)},
		},
	}
	raw := make([]byte, sc.Payload)
	b64 := base64.StdEncoding.EncodedLen(sc.Payload)
	n := 0
	for b := 0; b < sc.Batches; b++ {
		line := make([]byte, 0, 64+sc.Records*(b64+190))
		line = append(line, `{"action":"processRecords","records":[`...)
		for r := 0; r < sc.Records; r++ {
			if r > 0 {
				line = append(line, ',')
			}
			src.Read(raw)
			line = append(line, `{"data":"`...)
			line = base64.StdEncoding.AppendEncode(line, raw)
			line = append(line, `","partitionKey":"pk-`...)
			line = strconv.AppendInt(line, int64(rng.IntN(1000)), 10)
			line = append(line, `","sequenceNumber":"`...)
			line = appendSeq(line, n)
			line = append(line, `","approximateArrivalTimestamp":`...)
			line = strconv.AppendInt(line, arrival+int64(n), 10)
			line = append(line, `,"subSequenceNumber":0,"action":"record"}`...)
			n++
		}
		behind := int64(1000 * (sc.Batches - b))
		line = append(line, `],"millisBehindLatest":`...)
		line = strconv.AppendInt(line, behind, 10)
		line = append(line, "}\n"...)
		var last []protocol.Record
		if sc.Records > 0 {
			last = []protocol.Record{{
				SequenceNumber:              string(appendSeq(nil, n-1)),
				ApproximateArrivalTimestamp: protocol.Some(arrival + int64(n-1)), SubSequenceNumber: protocol.Some[int64](0),
			}}
		}
		m.batches = append(m.batches, step{line, protocol.ProcessRecords{Records: last, MillisBehindLatest: protocol.Some(behind)}})
		m.maxLine = max(m.maxLine, len(line))
	}
	m.records = n
	m.payload = int64(n) * int64(sc.Payload)
	if sc.Batches == 0 {
		// Startup only: end the way a worker's graceful shutdown does.
		m.end = []step{
			{[]byte(`{"action":"shutdownRequested"}` + "\n"), protocol.ShutdownRequested{}},
			{[]byte(`{"action":"leaseLost"}` + "\n"), protocol.LeaseLost{}},
		}
	} else {
		m.end = []step{{[]byte(`{"action":"shardEnded"}` + "\n"), protocol.ShardEnded{}}}
	}
	return m
}
