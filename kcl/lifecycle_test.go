package kcl_test

import (
	"context"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kclgo/mld/kcl"
	"github.com/kclgo/mld/kcltest"
	"github.com/kclgo/mld/protocol"
)

// recorder implements Processor and every optional interface, recording
// each call. A nil hook does nothing and returns nil.
type recorder struct {
	onRecords           func(context.Context, kcl.ProcessRecordsInput, *kcl.Checkpointer) error
	onShardEnded        func(context.Context, kcl.ShardEndedInput, *kcl.Checkpointer) error
	onShutdownRequested func(context.Context, kcl.ShutdownRequestedInput, *kcl.Checkpointer) error
	onLeaseLost         func(context.Context, kcl.LeaseLostInput) error
	onInitialize        func(context.Context, kcl.InitializeInput) error

	mu      sync.Mutex
	calls   []string
	inits   []kcl.InitializeInput
	batches []kcl.ProcessRecordsInput // with cloned records
	shards  []string                  // the ShardID of every input, in order
}

func (r *recorder) record(call, shardID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
	r.shards = append(r.shards, shardID)
}

func (r *recorder) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func (r *recorder) Initialize(ctx context.Context, in kcl.InitializeInput) error {
	r.record("initialize", in.ShardID)
	r.mu.Lock()
	r.inits = append(r.inits, in)
	r.mu.Unlock()
	if r.onInitialize != nil {
		return r.onInitialize(ctx, in)
	}
	return nil
}

func (r *recorder) ProcessRecords(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
	r.record("processRecords", in.ShardID)
	kept := in
	kept.Records = nil
	for _, rec := range in.Records {
		kept.Records = append(kept.Records, rec.Clone())
	}
	r.mu.Lock()
	r.batches = append(r.batches, kept)
	r.mu.Unlock()
	if r.onRecords != nil {
		return r.onRecords(ctx, in, cp)
	}
	return nil
}

func (r *recorder) LeaseLost(ctx context.Context, in kcl.LeaseLostInput) error {
	r.record("leaseLost", in.ShardID)
	if r.onLeaseLost != nil {
		return r.onLeaseLost(ctx, in)
	}
	return nil
}

func (r *recorder) ShardEnded(ctx context.Context, in kcl.ShardEndedInput, cp *kcl.Checkpointer) error {
	r.record("shardEnded", in.ShardID)
	if r.onShardEnded != nil {
		return r.onShardEnded(ctx, in, cp)
	}
	return nil
}

func (r *recorder) ShutdownRequested(ctx context.Context, in kcl.ShutdownRequestedInput, cp *kcl.Checkpointer) error {
	r.record("shutdownRequested", in.ShardID)
	if r.onShutdownRequested != nil {
		return r.onShutdownRequested(ctx, in, cp)
	}
	return nil
}

var (
	_ kcl.Initializer              = (*recorder)(nil)
	_ kcl.LeaseLostHandler         = (*recorder)(nil)
	_ kcl.ShardEndedHandler        = (*recorder)(nil)
	_ kcl.ShutdownRequestedHandler = (*recorder)(nil)
)

func checkCalls(t *testing.T, r *recorder, want ...string) {
	t.Helper()
	if got := r.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
}

func TestInitializeInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  protocol.Initialize
		want kcl.InitializeInput
	}{
		{
			"sentinel",
			protocol.Initialize{ShardID: "shardId-000000000000", SequenceNumber: protocol.Some("TRIM_HORIZON"), SubSequenceNumber: protocol.Some[int64](0)},
			kcl.InitializeInput{ShardID: "shardId-000000000000", SequenceNumber: "TRIM_HORIZON"},
		},
		{
			"checkpoint with sub-sequence",
			protocol.Initialize{ShardID: "shardId-000000000001", SequenceNumber: protocol.Some("49590338271490256608559692538361571095921575989136588898"), SubSequenceNumber: protocol.Some[int64](3)},
			kcl.InitializeInput{ShardID: "shardId-000000000001", SequenceNumber: "49590338271490256608559692538361571095921575989136588898", SubSequenceNumber: 3},
		},
		{
			"null checkpoint",
			protocol.Initialize{ShardID: "shardId-000000000002"},
			kcl.InitializeInput{ShardID: "shardId-000000000002"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			var factoryShards []string
			factory := func(shardID string) (kcl.Processor, error) {
				factoryShards = append(factoryShards, shardID)
				return rec, nil
			}
			d := kcltest.NewDaemon(t, factory, kcltest.RunOptions(quiet), kcltest.Timeout(waitTimeout), kcltest.Canonical())
			x, err := d.Send(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			checkLines(t, "initialize", x.Lines, "daemon: "+string(protocol.Append(nil, tc.msg)), statusLine("initialize"))
			if len(rec.inits) != 1 || rec.inits[0] != tc.want {
				t.Errorf("Initialize got %+v, want [%+v]", rec.inits, tc.want)
			}
			if !slices.Equal(factoryShards, []string{tc.want.ShardID}) {
				t.Errorf("factory called with %q, want once with %q", factoryShards, tc.want.ShardID)
			}
			d.LeaseLost()
			if len(factoryShards) != 1 {
				t.Errorf("factory called %d times, want once per session", len(factoryShards))
			}
		})
	}
}

func TestProcessRecordsInput(t *testing.T) {
	const seqA = "49590338271490256608559692538361571095921575989136588898"
	const seqB = "49590338271490256608559692540925702759324208523137515618"
	msg := protocol.ProcessRecords{
		Records: []protocol.Record{
			{Data: []byte("hello world"), PartitionKey: "pk-1", SequenceNumber: seqA, ApproximateArrivalTimestamp: protocol.Some[int64](1700000000123), SubSequenceNumber: protocol.Some[int64](0)},
			{Data: []byte{0xff, 0xfe, 0, 1}, PartitionKey: "é\t\x01", SequenceNumber: seqB, ApproximateArrivalTimestamp: protocol.Some[int64](1700000000456), SubSequenceNumber: protocol.Some[int64](2)},
			{Data: []byte{}, PartitionKey: "empty", SequenceNumber: seqB, SubSequenceNumber: protocol.Some[int64](3)},          // null arrival time
			{Data: nil, PartitionKey: "null data", SequenceNumber: seqB, ApproximateArrivalTimestamp: protocol.Some[int64](0)}, // KCL 1.x: null sub-sequence
		},
		MillisBehindLatest: protocol.Some[int64](1234),
	}
	want := []kcl.Record{
		{Data: []byte("hello world"), PartitionKey: "pk-1", SequenceNumber: seqA, ApproximateArrivalTimestamp: time.UnixMilli(1700000000123)},
		{Data: []byte{0xff, 0xfe, 0, 1}, PartitionKey: "é\t\x01", SequenceNumber: seqB, SubSequenceNumber: 2, ApproximateArrivalTimestamp: time.UnixMilli(1700000000456)},
		{Data: []byte{}, PartitionKey: "empty", SequenceNumber: seqB, SubSequenceNumber: 3},
		{Data: nil, PartitionKey: "null data", SequenceNumber: seqB, ApproximateArrivalTimestamp: time.UnixMilli(0)},
	}

	rec := &recorder{}
	d := newDaemon(t, rec)
	d.Initialize(shard, "TRIM_HORIZON")
	if _, err := d.Send(msg); err != nil {
		t.Fatal(err)
	}
	nullMillis := protocol.ProcessRecords{Records: msg.Records[:1]}
	if _, err := d.Send(nullMillis); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Send(protocol.ProcessRecords{Records: []protocol.Record{}, MillisBehindLatest: protocol.Some[int64](0)}); err != nil {
		t.Fatal(err)
	}
	d.LeaseLost()

	if len(rec.batches) != 3 {
		t.Fatalf("got %d batches, want 3", len(rec.batches))
	}
	b := rec.batches[0]
	if b.ShardID != shard || b.MillisBehindLatest != 1234 {
		t.Errorf("batch: ShardID %q, MillisBehindLatest %d; want %q, 1234", b.ShardID, b.MillisBehindLatest, shard)
	}
	if len(b.Records) != len(want) {
		t.Fatalf("got %d records, want %d", len(b.Records), len(want))
	}
	for i, got := range b.Records {
		w := want[i]
		if string(got.Data) != string(w.Data) || (got.Data == nil) != (w.Data == nil) {
			t.Errorf("record %d: Data = %#v, want %#v", i, got.Data, w.Data)
		}
		if got.PartitionKey != w.PartitionKey || got.SequenceNumber != w.SequenceNumber || got.SubSequenceNumber != w.SubSequenceNumber {
			t.Errorf("record %d: (%q, %q, %d), want (%q, %q, %d)", i,
				got.PartitionKey, got.SequenceNumber, got.SubSequenceNumber, w.PartitionKey, w.SequenceNumber, w.SubSequenceNumber)
		}
		if !got.ApproximateArrivalTimestamp.Equal(w.ApproximateArrivalTimestamp) || got.ApproximateArrivalTimestamp.IsZero() != w.ApproximateArrivalTimestamp.IsZero() {
			t.Errorf("record %d: ApproximateArrivalTimestamp = %v, want %v", i, got.ApproximateArrivalTimestamp, w.ApproximateArrivalTimestamp)
		}
	}
	if got := rec.batches[1].MillisBehindLatest; got != -1 {
		t.Errorf("null millisBehindLatest: MillisBehindLatest = %d, want -1", got)
	}
	if got := rec.batches[2]; got.MillisBehindLatest != 0 || len(got.Records) != 0 {
		t.Errorf("empty batch: %+v, want no records and MillisBehindLatest 0", got)
	}
}

func TestRecordClone(t *testing.T) {
	ts := time.UnixMilli(1700000000123)
	r := kcl.Record{Data: []byte("abc"), PartitionKey: "pk", SequenceNumber: "1", SubSequenceNumber: 2, ApproximateArrivalTimestamp: ts}
	c := r.Clone()
	r.Data[0] = 'X'
	if string(c.Data) != "abc" || c.PartitionKey != "pk" || c.SequenceNumber != "1" || c.SubSequenceNumber != 2 || !c.ApproximateArrivalTimestamp.Equal(ts) {
		t.Errorf("Clone = %+v, want an independent copy of the original", c)
	}
	if c := (kcl.Record{}).Clone(); c.Data != nil {
		t.Errorf("Clone of nil Data = %#v, want nil", c.Data)
	}
}

func TestLeaseLost(t *testing.T) {
	rec := &recorder{}
	d := newDaemon(t, rec)
	d.Initialize(shard, "TRIM_HORIZON")
	d.ProcessRecords(kcltest.Records("a")...)
	x := d.LeaseLost()
	checkLines(t, "leaseLost", x.Lines, `daemon: {"action":"leaseLost"}`, statusLine("leaseLost"))
	checkCalls(t, rec, "initialize", "processRecords", "leaseLost")
	if err := d.Close(); err != nil {
		t.Errorf("session result = %v, want nil", err)
	}
	for i, s := range rec.shards {
		if s != shard {
			t.Errorf("call %d (%s) had ShardID %q, want %q", i, rec.calls[i], s, shard)
		}
	}
}

func TestShardEndedHandlerCheckpoints(t *testing.T) {
	rec := &recorder{onShardEnded: func(ctx context.Context, in kcl.ShardEndedInput, cp *kcl.Checkpointer) error {
		return cp.Checkpoint(ctx)
	}}
	d := newDaemon(t, rec)
	d.Initialize(shard, "TRIM_HORIZON")
	d.ProcessRecords(kcltest.Records("a", "b")...)
	x := d.ShardEnded()
	checkLines(t, "shardEnded", x.Lines, `daemon: {"action":"shardEnded"}`, cpLatest, replyLatestOK, statusLine("shardEnded"))
	checkCalls(t, rec, "initialize", "processRecords", "shardEnded")
	if got := d.Checkpoints(); !slices.Equal(got, []kcltest.Position{kcltest.ShardEnd}) {
		t.Errorf("checkpoints = %v, want [SHARD_END]", got)
	}
	if err := d.Close(); err != nil {
		t.Errorf("session result = %v, want nil", err)
	}
}

func TestShutdownRequestedThenLeaseLost(t *testing.T) {
	rec := &recorder{onShutdownRequested: func(ctx context.Context, in kcl.ShutdownRequestedInput, cp *kcl.Checkpointer) error {
		return cp.Checkpoint(ctx)
	}}
	d := newDaemon(t, rec)
	d.Initialize(shard, "TRIM_HORIZON")
	d.ProcessRecords(kcltest.Records("a", "b")...)
	x := d.ShutdownRequested()
	checkLines(t, "shutdownRequested", x.Lines, `daemon: {"action":"shutdownRequested"}`, cpLatest, replyLatestOK, statusLine("shutdownRequested"))
	if done, err := d.Exited(); done {
		t.Fatalf("the session ended after shutdownRequested (%v); it must keep serving until leaseLost", err)
	}
	d.LeaseLost()
	checkCalls(t, rec, "initialize", "processRecords", "shutdownRequested", "leaseLost")
	if got := d.Checkpoints(); !slices.Equal(got, []kcltest.Position{{SequenceNumber: seq(2)}}) {
		t.Errorf("checkpoints = %v, want the last record", got)
	}
	if err := d.Close(); err != nil {
		t.Errorf("session result = %v, want nil", err)
	}
}

func TestShutdownRequestedThenShardEnded(t *testing.T) {
	rec := &recorder{}
	d := newDaemon(t, rec)
	d.Initialize(shard, "TRIM_HORIZON")
	d.ProcessRecords(kcltest.Records("a")...)
	d.ShutdownRequested()
	x := d.ShardEnded() // fails unless SHARD_END was checkpointed
	checkLines(t, "shardEnded", x.Lines, `daemon: {"action":"shardEnded"}`, cpLatest, replyLatestOK, statusLine("shardEnded"))
	checkCalls(t, rec, "initialize", "processRecords", "shutdownRequested", "shardEnded")
	if err := d.Close(); err != nil {
		t.Errorf("session result = %v, want nil", err)
	}
}

// TestOptionalInterfacesAbsent checks the documented defaults for a
// processor with ProcessRecords only: every other action is acknowledged
// with nothing done, except that the shard's end is checkpointed.
func TestOptionalInterfacesAbsent(t *testing.T) {
	var batches int
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		batches++
		return nil
	})
	t.Run("shutdownRequested and leaseLost", func(t *testing.T) {
		d := newDaemon(t, p)
		checkLines(t, "initialize", d.Initialize(shard, "TRIM_HORIZON").Lines[1:], statusLine("initialize"))
		checkLines(t, "processRecords", d.ProcessRecords(kcltest.Records("a")...).Lines[1:], statusLine("processRecords"))
		checkLines(t, "shutdownRequested", d.ShutdownRequested().Lines[1:], statusLine("shutdownRequested"))
		checkLines(t, "leaseLost", d.LeaseLost().Lines[1:], statusLine("leaseLost"))
		if got := d.Checkpoints(); len(got) != 0 {
			t.Errorf("checkpoints = %v, want none", got)
		}
		if err := d.Close(); err != nil {
			t.Errorf("session result = %v, want nil", err)
		}
	})
	t.Run("shardEnded", func(t *testing.T) {
		d := newDaemon(t, p)
		d.Initialize(shard, "TRIM_HORIZON")
		d.ProcessRecords(kcltest.Records("a")...)
		checkLines(t, "shardEnded", d.ShardEnded().Lines[1:], cpLatest, replyLatestOK, statusLine("shardEnded"))
		if err := d.Close(); err != nil {
			t.Errorf("session result = %v, want nil", err)
		}
	})
	if batches != 2 {
		t.Errorf("ProcessRecords called %d times, want 2", batches)
	}
}

// TestKCL1Shutdown covers the KCL 1.x shutdown message: TERMINATE is a
// shard end, ZOMBIE a lost lease, and so are the KCL 2.0.x LEASE_LOST and,
// the safe reading, a reason this SDK does not know. The status answers
// "shutdown".
func TestKCL1Shutdown(t *testing.T) {
	for _, tc := range []struct {
		reason      string
		call        string
		checkpoints []kcltest.Position
	}{
		{protocol.ReasonTerminate, "shardEnded", []kcltest.Position{kcltest.ShardEnd}},
		{protocol.ReasonZombie, "leaseLost", nil},
		{"LEASE_LOST", "leaseLost", nil},
		{"SOMETHING_NEW", "leaseLost", nil},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			rec := &recorder{}
			d := newDaemon(t, rec)
			d.Initialize(shard, "TRIM_HORIZON")
			d.ProcessRecords(kcltest.Records("a")...)
			x, err := d.Send(protocol.Shutdown{Reason: tc.reason})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{`daemon: {"action":"shutdown","reason":"` + tc.reason + `"}`}
			if tc.checkpoints != nil {
				want = append(want, cpLatest, replyLatestOK)
			}
			want = append(want, statusLine("shutdown"))
			checkLines(t, "shutdown", x.Lines, want...)
			checkCalls(t, rec, "initialize", "processRecords", tc.call)
			if got := d.Checkpoints(); !slices.Equal(got, tc.checkpoints) {
				t.Errorf("checkpoints = %v, want %v", got, tc.checkpoints)
			}
			if err := d.Close(); err != nil {
				t.Errorf("session result = %v, want nil", err)
			}
		})
	}
}

// TestKCL20ShutdownShardEnd covers the KCL 2.0.x shard end, shutdown with
// reason SHARD_END, which kcltest does not play: it is a shard end.
func TestKCL20ShutdownShardEnd(t *testing.T) {
	rec := &recorder{}
	p := runRaw(t, factoryOf(rec))
	p.send(initLine)
	p.expect(rawStatusInit)
	p.send(`{"action":"shutdown","reason":"SHARD_END"}`)
	p.expect(rawCpLatest)
	p.send(rawReplyLatestOK)
	p.expect(`{"action":"status","responseFor":"shutdown"}`)
	p.close()
	if err := p.wait(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	checkCalls(t, rec, "initialize", "shardEnded")
}

// TestNoInitialize covers a daemon that skips initialize: the processor is
// created for an unknown shard and the action is still answered.
func TestNoInitialize(t *testing.T) {
	rec := &recorder{}
	var shards []string
	factory := func(shardID string) (kcl.Processor, error) {
		shards = append(shards, shardID)
		return rec, nil
	}
	d := kcltest.NewDaemon(t, factory, kcltest.RunOptions(quiet), kcltest.Timeout(waitTimeout), kcltest.Canonical())
	d.ProcessRecords(kcltest.Records("a")...)
	d.LeaseLost()
	checkCalls(t, rec, "processRecords", "leaseLost")
	if !slices.Equal(shards, []string{""}) {
		t.Errorf("factory calls = %q, want one with an empty shard id", shards)
	}
}

// TestRunContextCancelled checks that Run returns ctx.Err() when its
// context ends between actions.
func TestRunContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	defer w.Close()
	done := make(chan error, 1)
	go func() { done <- kcl.Run(ctx, factoryOf(&recorder{}), r, &syncBuffer{}, quiet) }()
	cancel()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return after its context was cancelled")
	}
}
