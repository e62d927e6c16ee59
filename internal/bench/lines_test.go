package bench

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kclgo/mld/protocol"
)

// The generated lines are the daemon's: each decodes to the intended
// message and is exactly what protocol.Append writes for it, and the
// message the driver's lease is given agrees with the decoded one.
func TestGenerate(t *testing.T) {
	for _, sc := range []Scenario{small, startup, big} {
		t.Run(sc.Name, func(t *testing.T) {
			lines := Generate(sc, 7)
			if len(lines.batches) != sc.Batches {
				t.Fatalf("%d batches, want %d", len(lines.batches), sc.Batches)
			}
			wantEnd := []protocol.Message{protocol.ShardEnded{}}
			if sc.Batches == 0 {
				wantEnd = []protocol.Message{protocol.ShutdownRequested{}, protocol.LeaseLost{}}
			}
			var gotEnd []protocol.Message
			for _, s := range lines.end {
				gotEnd = append(gotEnd, s.msg)
			}
			if diff := cmp.Diff(wantEnd, gotEnd); diff != "" {
				t.Errorf("end steps (-want +got):\n%s", diff)
			}
			wantInit := protocol.Initialize{ShardID: shardID, SequenceNumber: protocol.Some("TRIM_HORIZON"), SubSequenceNumber: protocol.Some[int64](0)}
			n, maxLine := 0, 0
			for i, s := range append(append([]step{lines.init}, lines.batches...), lines.end...) {
				m, err := protocol.Decode(s.line)
				if err != nil {
					t.Fatalf("step %d: Decode(%.80q) = %v", i, s.line, err)
				}
				if got := append(protocol.Append(nil, m), '\n'); !bytes.Equal(got, s.line) {
					t.Errorf("step %d: the daemon writes %.200q, Generate wrote %.200q", i, got, s.line)
				}
				pr, ok := m.(protocol.ProcessRecords)
				if !ok {
					if i == 0 && !cmp.Equal(m, wantInit) || i > 0 && !cmp.Equal(m, s.msg) {
						t.Errorf("step %d: line %q, message %#v", i, s.line, s.msg)
					}
					continue
				}
				maxLine = max(maxLine, len(s.line))
				if len(pr.Records) != sc.Records || pr.MillisBehindLatest != protocol.Some(int64(1000*(sc.Batches-i+1))) {
					t.Errorf("batch %d: %d records, millisBehindLatest %v; want %d records", i, len(pr.Records), pr.MillisBehindLatest, sc.Records)
				}
				for j, r := range pr.Records {
					if seq := string(appendSeq(nil, n)); r.SequenceNumber != seq || r.SubSequenceNumber != protocol.Some[int64](0) ||
						r.ApproximateArrivalTimestamp != protocol.Some(arrival+int64(n)) {
						t.Errorf("batch %d, record %d: %+v, want sequence number %s/0 that arrived at %d", i, j, r, seq, arrival+n)
					}
					if len(r.Data) != sc.Payload || (j > 0 && bytes.Equal(r.Data, pr.Records[j-1].Data)) {
						t.Errorf("batch %d, record %d: %d bytes of data, or the same as the record before; want %d random bytes", i, j, len(r.Data), sc.Payload)
					}
					var pk int
					if _, err := fmt.Sscanf(r.PartitionKey, "pk-%d", &pk); err != nil || pk < 0 || pk >= 1000 {
						t.Errorf("batch %d, record %d: partition key %q, want pk-0 to pk-999", i, j, r.PartitionKey)
					}
					n++
				}
				last := s.msg.(protocol.ProcessRecords).Records
				if len(last) != 1 || last[0].SequenceNumber != pr.Records[len(pr.Records)-1].SequenceNumber ||
					last[0].SubSequenceNumber != pr.Records[len(pr.Records)-1].SubSequenceNumber {
					t.Errorf("batch %d: the lease's message holds %+v, want the batch's last record", i, last)
				}
			}
			if lines.records != n || lines.payload != int64(n*sc.Payload) || lines.maxLine != maxLine {
				t.Errorf("records %d, payload %d, longest line %d; want %d, %d, %d", lines.records, lines.payload, lines.maxLine, n, n*sc.Payload, maxLine)
			}
		})
	}
}

func TestGenerateFollowsTheSeed(t *testing.T) {
	a, b, c := Generate(small, 1), Generate(small, 1), Generate(small, 2)
	if !bytes.Equal(a.batches[0].line, b.batches[0].line) {
		t.Error("one seed gave two different batches")
	}
	if bytes.Equal(a.batches[0].line, c.batches[0].line) {
		t.Error("two seeds gave the same batch")
	}
}
