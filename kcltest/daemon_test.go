package kcltest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kclgo/mld/kcl"
	"github.com/kclgo/mld/kcltest"
	"github.com/kclgo/mld/protocol"
)

func factory(p kcl.Processor) kcl.Factory {
	return func(string) (kcl.Processor, error) { return p, nil }
}

func TestLifecycleWithCheckpoints(t *testing.T) {
	var got []string
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		for _, r := range in.Records {
			got = append(got, string(r.Data))
		}
		return cp.Checkpoint(ctx)
	})
	d := kcltest.NewDaemon(t, factory(p))
	d.Initialize("shardId-000000000000", "TRIM_HORIZON")
	x := d.ProcessRecords(kcltest.Records("a", "b")...)
	if len(x.Checkpoints) != 1 || x.Checkpoints[0].Reply.Error.Valid {
		t.Fatalf("checkpoints = %+v, want one successful", x.Checkpoints)
	}
	d.ProcessRecords(kcltest.Records("c")...)
	d.ShardEnded()
	if strings.Join(got, ",") != "a,b,c" {
		t.Errorf("processed %v", got)
	}
	cps := d.Checkpoints()
	if len(cps) != 3 || cps[2] != kcltest.ShardEnd {
		t.Errorf("checkpoints = %v, want two batches then SHARD_END", cps)
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}

func TestHangIsNamed(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		<-release
		return nil
	})
	d := kcltest.NewDaemon(t, factory(p), kcltest.Timeout(200*time.Millisecond), kcltest.RunOptions(kcl.EOFGrace(10*time.Millisecond)))
	d.Initialize("shardId-1", "TRIM_HORIZON")
	_, err := d.Send(protocol.ProcessRecords{Records: kcltest.Records("x")})
	var xe *kcltest.ExchangeError
	if !errors.As(err, &xe) || xe.Action != "processRecords" || !strings.Contains(err.Error(), "stuck") {
		t.Fatalf("Send = %v, want a stuck processRecords", err)
	}
}

func TestLostLeaseStaysLost(t *testing.T) {
	var errs []error
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		errs = append(errs, cp.Checkpoint(ctx))
		return nil
	})
	d := kcltest.NewDaemon(t, factory(p))
	d.Initialize("shardId-1", "TRIM_HORIZON")
	d.ReplyNext("ShutdownException")
	d.ProcessRecords(kcltest.Records("a")...)
	d.ProcessRecords(kcltest.Records("b")...) // the real daemon keeps refusing
	if len(errs) != 2 || !errors.Is(errs[0], kcl.ErrShutdown) || !errors.Is(errs[1], kcl.ErrShutdown) {
		t.Fatalf("checkpoint errors = %v, want ErrShutdown twice", errs)
	}
	if cps := d.Checkpoints(); len(cps) != 0 {
		t.Errorf("checkpoints = %v, want none", cps)
	}
}

func TestSequenceNumbersArePredictable(t *testing.T) {
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		return cp.CheckpointRecord(ctx, in.Records[0])
	})
	d := kcltest.NewDaemon(t, factory(p))
	d.Initialize("shardId-1", "TRIM_HORIZON")
	d.ProcessRecords(kcltest.Records("a", "b")...)
	want := kcltest.Position{SequenceNumber: kcltest.SequenceNumber(1)}
	if got := d.Checkpoint(); got != want {
		t.Errorf("checkpoint = %v, want %v", got, want)
	}
	if len(kcltest.SequenceNumber(1)) != 56 {
		t.Errorf("SequenceNumber(1) = %q, want 56 digits", kcltest.SequenceNumber(1))
	}
}
