package kcl_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kclgo/mld/kcl"
	"github.com/kclgo/mld/kcltest"
	"github.com/kclgo/mld/protocol"
)

// TestShardEndAddedOnce covers the SDK's SHARD_END checkpoint: exactly one
// when the processor made none, none when it made one.
func TestShardEndAddedOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    kcl.Processor
		want []string // the shardEnded exchange after the daemon's line
	}{
		{
			"handler checkpoints",
			&recorder{onShardEnded: func(ctx context.Context, in kcl.ShardEndedInput, cp *kcl.Checkpointer) error {
				return cp.Checkpoint(ctx)
			}},
			[]string{cpLatest, replyLatestOK, statusLine("shardEnded")},
		},
		{
			"handler checkpoints twice",
			&recorder{onShardEnded: func(ctx context.Context, in kcl.ShardEndedInput, cp *kcl.Checkpointer) error {
				if err := cp.Checkpoint(ctx); err != nil {
					return err
				}
				return cp.Checkpoint(ctx)
			}},
			[]string{cpLatest, replyLatestOK, cpLatest, replyLatestOK, statusLine("shardEnded")},
		},
		{
			"handler does not checkpoint",
			&recorder{},
			[]string{cpLatest, replyLatestOK, statusLine("shardEnded")},
		},
		{
			"no handler",
			kcl.ProcessorFunc(func(context.Context, kcl.ProcessRecordsInput, *kcl.Checkpointer) error { return nil }),
			[]string{cpLatest, replyLatestOK, statusLine("shardEnded")},
		},
		{
			// The processor's own SHARD_END checkpoint failed and it went on:
			// the SDK tries once more.
			"handler's checkpoint refused",
			&recorder{onShardEnded: func(ctx context.Context, in kcl.ShardEndedInput, cp *kcl.Checkpointer) error {
				if err := cp.Checkpoint(ctx); !errors.Is(err, kcl.ErrInvalidArgument) {
					return errors.New("want the scripted IllegalArgumentException")
				}
				return nil
			}},
			[]string{cpLatest, `daemon: {"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":"IllegalArgumentException"}`,
				cpLatest, replyLatestOK, statusLine("shardEnded")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDaemon(t, tc.p)
			d.Initialize(shard, "TRIM_HORIZON")
			d.ProcessRecords(kcltest.Records("a")...)
			if tc.name == "handler's checkpoint refused" {
				d.ReplyNext("IllegalArgumentException")
			}
			x := d.ShardEnded()
			checkLines(t, "shardEnded", x.Lines[1:], tc.want...)
			if got := d.Checkpoints(); !slices.Equal(got, []kcltest.Position{kcltest.ShardEnd}) {
				t.Errorf("checkpoints = %v, want [SHARD_END]", got)
			}
			if err := d.Close(); err != nil {
				t.Errorf("session result = %v, want nil", err)
			}
		})
	}
}

// TestShardEndCheckpointFails makes the SDK's own SHARD_END checkpoint
// fail: an error is logged, no status is sent (the shard's end is then
// delivered again after the worker restarts, where a status would leave
// the shard stuck forever), and Run returns an error.
func TestShardEndCheckpointFails(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replies []string
		p       kcl.Processor
	}{
		{"throttled beyond the retries", []string{"ThrottlingException", "ThrottlingException"}, &recorder{}},
		{"dependency beyond the retries", []string{"KinesisClientLibDependencyException", "KinesisClientLibDependencyException"}, &recorder{}},
		{"invalid state", []string{"InvalidStateException"}, &recorder{}},
		{"no handler", []string{"InvalidStateException"}, kcl.ProcessorFunc(func(context.Context, kcl.ProcessRecordsInput, *kcl.Checkpointer) error { return nil })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			d := newDaemon(t, tc.p, kcl.CheckpointRetries(2, time.Millisecond), logTo(&logs))
			d.Initialize(shard, "TRIM_HORIZON")
			d.ProcessRecords(kcltest.Records("a")...)
			d.ReplyNext(tc.replies...)
			x, err := d.Send(protocol.ShardEnded{})
			if err == nil {
				t.Fatalf("shardEnded was acknowledged although SHARD_END was not checkpointed:\n%s", strings.Join(lines(x.Lines), "\n"))
			}
			if len(x.Checkpoints) != len(tc.replies) {
				t.Errorf("%d checkpoint requests, want %d", len(x.Checkpoints), len(tc.replies))
			}
			for _, l := range x.Lines {
				if l.FromChild && strings.Contains(l.Text, `"status"`) {
					t.Errorf("child wrote %s, want no status; exchange:\n%s", l.Text, strings.Join(lines(x.Lines), "\n"))
				}
			}
			runErr := exitResult(t, d)
			var ce *kcl.CallbackError
			if !errors.As(runErr, &ce) || ce.Action != "shardEnded" || ce.ShardID != shard {
				t.Errorf("Run = %v, want a *kcl.CallbackError for shardEnded", runErr)
			}
			var cpe *kcl.CheckpointError
			if !errors.As(runErr, &cpe) || cpe.Exception != tc.replies[0] {
				t.Errorf("Run = %v, want it to wrap the %s checkpoint error", runErr, tc.replies[0])
			}
			if log := logs.String(); !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "SHARD_END") {
				t.Errorf("want an error log naming SHARD_END; logs:\n%s", log)
			}
		})
	}
}

// TestShardEndLeaseLost: the SDK's SHARD_END checkpoint fails with
// ShutdownException, so another worker holds the lease and will finish
// the shard. The SDK logs an error and acknowledges shardEnded rather than
// end every shard of the worker; the session ends normally.
func TestShardEndLeaseLost(t *testing.T) {
	for _, action := range []protocol.Message{protocol.ShardEnded{}, protocol.Shutdown{Reason: protocol.ReasonTerminate}} {
		t.Run(action.Action(), func(t *testing.T) {
			var logs syncBuffer
			d := newDaemon(t, &recorder{}, logTo(&logs))
			d.Initialize(shard, "TRIM_HORIZON")
			d.ProcessRecords(kcltest.Records("a")...)
			d.ReplyNext("ShutdownException")
			// kcltest reports the missing SHARD_END checkpoint, as the
			// daemon would retry it; the child's side is what is tested.
			x, _ := d.Send(action)
			checkLines(t, action.Action(), x.Lines,
				"daemon: "+string(protocol.Append(nil, action)), cpLatest,
				`daemon: {"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":"ShutdownException"}`,
				statusLine(action.Action()))
			if err := d.Close(); err != nil {
				t.Errorf("session result = %v, want nil", err)
			}
			if log := logs.String(); !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "SHARD_END") {
				t.Errorf("want an error log naming SHARD_END; logs:\n%s", log)
			}
		})
	}
}

// TestShardEndHandlerFailsWithShutdown: when the processor's own SHARD_END
// checkpoint fails with ShutdownException and it returns that error, the
// failure policy applies as to any callback error.
func TestShardEndHandlerFailsWithShutdown(t *testing.T) {
	r := &recorder{onShardEnded: func(ctx context.Context, in kcl.ShardEndedInput, cp *kcl.Checkpointer) error {
		return cp.Checkpoint(ctx)
	}}
	d := newDaemon(t, r)
	d.Initialize(shard, "TRIM_HORIZON")
	d.ReplyNext("ShutdownException")
	if _, err := d.Send(protocol.ShardEnded{}); err == nil {
		t.Fatal("shardEnded was acknowledged after the handler failed")
	}
	runErr := exitResult(t, d)
	var ce *kcl.CallbackError
	if !errors.As(runErr, &ce) || !errors.Is(runErr, kcl.ErrShutdown) {
		t.Errorf("Run = %v, want a *kcl.CallbackError wrapping ErrShutdown", runErr)
	}
}
