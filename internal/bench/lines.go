package bench

import (
	"encoding/base64"
	"math/rand/v2"
	"strconv"
)

// Lines are a scenario's daemon lines, made before any timing.
type Lines struct {
	init    []byte
	batches [][]byte
	lastSeq []byte // sequence number of the last record
	records int
	payload int64
	maxLine int
	end     []step
}

type step struct {
	line   []byte
	action string
	mode   ckMode
	status []byte // the status line that answers it
}

// ckMode is how the daemon answers a checkpoint during an action.
type ckMode int

const (
	ckNone     ckMode = iota // initialize, leaseLost: no checkpointer
	ckRecords                // processRecords, shutdownRequested
	ckShardEnd               // shardEnded: a checkpoint at the latest position is SHARD_END
)

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

// Generate writes sc's lines exactly as the daemon writes them
// (protocol-spec §2.2), with random, incompressible payloads from seed, so
// that base64 cannot be cheap.
func Generate(sc Scenario, seed uint64) *Lines {
	rng := rand.New(rand.NewChaCha8([32]byte{0: byte(seed), 1: byte(seed >> 8), 2: byte(seed >> 16), 3: byte(seed >> 24),
		4: byte(seed >> 32), 5: byte(seed >> 40), 6: byte(seed >> 48), 7: byte(seed >> 56)}))
	src := rand.NewChaCha8([32]byte{31: 1, 0: byte(seed), 1: byte(seed >> 8)})
	m := &Lines{
		init: []byte(`{"action":"initialize","shardId":"shardId-000000000000","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}` + "\n"),
	}
	raw := make([]byte, sc.Payload)
	b64 := base64.StdEncoding.EncodedLen(sc.Payload)
	n := 0
	const arrival = 1700000000000
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
		line = append(line, `],"millisBehindLatest":`...)
		line = strconv.AppendInt(line, int64(1000*(sc.Batches-b)), 10)
		line = append(line, "}\n"...)
		m.batches = append(m.batches, line)
		m.maxLine = max(m.maxLine, len(line))
	}
	m.records = n
	m.payload = int64(n) * int64(sc.Payload)
	if n > 0 {
		m.lastSeq = appendSeq(nil, n-1)
	}
	if sc.Batches == 0 {
		// Startup only: end the way a worker's graceful shutdown does.
		m.end = []step{
			{[]byte(`{"action":"shutdownRequested"}` + "\n"), "shutdownRequested", ckRecords, nil},
			{[]byte(`{"action":"leaseLost"}` + "\n"), "leaseLost", ckNone, nil},
		}
	} else {
		m.end = []step{{[]byte(`{"action":"shardEnded"}` + "\n"), "shardEnded", ckShardEnd, nil}}
	}
	for i := range m.end {
		m.end[i].status = []byte(`{"action":"status","responseFor":"` + m.end[i].action + `"}`)
	}
	return m
}
