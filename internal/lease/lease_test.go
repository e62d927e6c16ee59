package lease

import (
	"flag"
	"testing"

	"github.com/kclgo/mld/protocol"
)

var _ = flag.Bool("update", false, "accepted so that go test ./... -update works; this package has no golden files")

const (
	seq1 = "49590338271490256608559692538361571095921575989136588801"
	seq2 = "49590338271490256608559692538361571095921575989136588802"
	seq3 = "49590338271490256608559692538361571095921575989136588803"
)

func batch(seqs ...string) protocol.ProcessRecords {
	var pr protocol.ProcessRecords
	for _, s := range seqs {
		pr.Records = append(pr.Records, protocol.Record{SequenceNumber: s, SubSequenceNumber: protocol.Some[int64](0)})
	}
	return pr
}

func req(seq string, sub int64) protocol.Checkpoint {
	return protocol.Checkpoint{SequenceNumber: protocol.Some(seq), SubSequenceNumber: protocol.Some(sub)}
}

var latest = protocol.Checkpoint{} // null: the largest permitted position

func initialize(seq string) protocol.Initialize {
	return protocol.Initialize{ShardID: "shardId-000000000000", SequenceNumber: protocol.Some(seq), SubSequenceNumber: protocol.Some[int64](0)}
}

func TestApply(t *testing.T) {
	type step struct {
		begin   protocol.Message // nil: stay in the current action
		req     protocol.Checkpoint
		wantExc string
		want    Position // the checkpoint afterwards
	}
	at := func(seq string) Position { return Position{SequenceNumber: seq} }
	tests := []struct {
		name  string
		steps []step
	}{
		{"no checkpointer during initialize", []step{
			{initialize(TrimHorizon), latest, InvalidState, at(TrimHorizon)},
		}},
		{"no checkpointer during leaseLost", []step{
			{initialize(TrimHorizon), latest, InvalidState, at(TrimHorizon)},
			{batch(seq1), latest, "", at(seq1)},
			{protocol.LeaseLost{}, latest, InvalidState, at(seq1)},
		}},
		{"1.x zombie shutdown is refused as lost", []step{
			{initialize(TrimHorizon), latest, InvalidState, at(TrimHorizon)},
			{protocol.Shutdown{Reason: protocol.ReasonZombie}, latest, Shutdown, at(TrimHorizon)},
		}},
		{"null means the end of the batch", []step{
			{initialize(TrimHorizon), latest, InvalidState, at(TrimHorizon)},
			{batch(seq1, seq2), latest, "", at(seq2)},
		}},
		{"within the batch", []step{
			{initialize(TrimHorizon), latest, InvalidState, at(TrimHorizon)},
			{batch(seq1, seq2), req(seq1, 0), "", at(seq1)},
			{nil, req(seq2, 0), "", at(seq2)},
		}},
		{"beyond the last record delivered", []step{
			{initialize(TrimHorizon), latest, InvalidState, at(TrimHorizon)},
			{batch(seq1, seq2), req(seq3, 0), IllegalArgument, at(TrimHorizon)},
			{nil, req(seq2, 1), IllegalArgument, at(TrimHorizon)},
		}},
		{"before the last checkpoint", []step{
			{initialize(seq2), latest, InvalidState, at(seq2)},
			{batch(seq3), req(seq1, 0), IllegalArgument, at(seq2)},
			{nil, req(seq2, 0), "", at(seq2)},
		}},
		{"not a number", []step{
			{initialize(TrimHorizon), latest, InvalidState, at(TrimHorizon)},
			{batch(seq1), req("12x", 0), IllegalArgument, at(TrimHorizon)},
			{nil, req(seq1, -1), IllegalArgument, at(TrimHorizon)},
		}},
		{"SHARD_END only at the shard's end", []step{
			{initialize(TrimHorizon), latest, InvalidState, at(TrimHorizon)},
			{batch(seq1), req(ShardEndSeq, 0), IllegalArgument, at(TrimHorizon)},
			{protocol.ShardEnded{}, latest, "", ShardEnd},
		}},
		{"the last record stands for SHARD_END", []step{
			{initialize(TrimHorizon), latest, InvalidState, at(TrimHorizon)},
			{batch(seq1, seq2), req(seq1, 0), "", at(seq1)},
			{protocol.ShardEnded{}, req(seq2, 0), "", ShardEnd},
		}},
		{"with nothing delivered, the initial checkpoint stands for SHARD_END", []step{
			{initialize(seq2), latest, InvalidState, at(seq2)},
			{protocol.ShardEnded{}, req(seq2, 0), "", ShardEnd},
		}},
		{"the 1.x TERMINATE shutdown ends the shard too", []step{
			{initialize(TrimHorizon), latest, InvalidState, at(TrimHorizon)},
			{batch(seq1, seq2), req(seq1, 0), "", at(seq1)},
			{protocol.Shutdown{Reason: protocol.ReasonTerminate}, req(seq2, 0), "", ShardEnd},
		}},
		{"an earlier record at the shard's end is not SHARD_END", []step{
			{initialize(TrimHorizon), latest, InvalidState, at(TrimHorizon)},
			{batch(seq1, seq2), latest, "", at(seq2)},
			{protocol.ShardEnded{}, req(seq1, 0), IllegalArgument, at(seq2)},
		}},
		{"shutdownRequested allows up to the last record delivered", []step{
			{initialize(TrimHorizon), latest, InvalidState, at(TrimHorizon)},
			{batch(seq1, seq2), req(seq1, 0), "", at(seq1)},
			{protocol.ShutdownRequested{}, latest, "", at(seq2)},
		}},
		{"shutdownRequested with nothing delivered keeps the checkpoint", []step{
			{initialize(seq1), latest, InvalidState, at(seq1)},
			{protocol.ShutdownRequested{}, latest, "", at(seq1)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l Lease
			for i, s := range tt.steps {
				if s.begin != nil {
					l.Begin(s.begin)
				}
				exc, _ := l.Apply(s.req)
				if exc != s.wantExc {
					t.Errorf("step %d: Apply(%+v) = %q, want %q", i, s.req, exc, s.wantExc)
				}
				if got := l.Checkpoint(); got != s.want {
					t.Errorf("step %d: checkpoint %v, want %v", i, got, s.want)
				}
			}
		})
	}
}

func TestApplyReportsMoves(t *testing.T) {
	var l Lease
	l.Begin(initialize(TrimHorizon))
	l.Begin(batch(seq1))
	if _, moved := l.Apply(latest); !moved {
		t.Errorf("first checkpoint at %s: moved false, want true", seq1)
	}
	if exc, moved := l.Apply(req(seq1, 0)); exc != "" || moved {
		t.Errorf("checkpointing the stored position again = (%q, %v), want (\"\", false)", exc, moved)
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b Position
		want int
	}{
		{Position{SequenceNumber: TrimHorizon}, Position{SequenceNumber: "1"}, -1},
		{Position{SequenceNumber: "9"}, Position{SequenceNumber: "10"}, -1},
		{Position{SequenceNumber: "10", SubSequenceNumber: 2}, Position{SequenceNumber: "10", SubSequenceNumber: 1}, 1},
		{ShardEnd, Position{SequenceNumber: seq3}, 1},
		{Position{SequenceNumber: seq1}, Position{SequenceNumber: seq1}, 0},
	}
	for _, tt := range tests {
		if got := Compare(tt.a, tt.b); got != tt.want {
			t.Errorf("Compare(%v, %v) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
