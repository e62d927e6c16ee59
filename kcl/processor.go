package kcl

import (
	"context"
	"time"
)

// Processor handles the records of one shard. ProcessRecords is the only
// required callback; a Processor may also implement Initializer,
// LeaseLostHandler, ShardEndedHandler and ShutdownRequestedHandler.
//
// The daemon delivers one callback at a time per shard, in shard order, and
// waits for each to return before it sends the next: a Processor needs no
// locking of its own unless it starts goroutines.
type Processor interface {
	// ProcessRecords handles one batch. Returning nil acknowledges the
	// batch; an error or a panic is handled by the failure policy (see
	// Run). Checkpointing is up to the processor: the daemon keeps
	// delivering new batches whether or not it checkpoints, and after a
	// restart the shard is read again from the last checkpoint.
	ProcessRecords(ctx context.Context, in ProcessRecordsInput, cp *Checkpointer) error
}

// Initializer is implemented by processors that want to know where their
// shard starts. Without it, initialize is acknowledged with nothing done.
type Initializer interface {
	Initialize(ctx context.Context, in InitializeInput) error
}

// LeaseLostHandler is implemented by processors that release resources when
// another worker takes the shard. No checkpoint is possible any more: the new
// owner will see the records after the last checkpoint again. Without it,
// leaseLost is acknowledged with nothing done.
type LeaseLostHandler interface {
	LeaseLost(ctx context.Context, in LeaseLostInput) error
}

// ShardEndedHandler is implemented by processors that must finish work when
// the shard is closed by a split or merge, for example flush buffered
// records. The shard's end must be checkpointed before the child shards can
// start: if the handler did not call cp.Checkpoint successfully, the SDK
// does so when it returns. Without it, the SDK only checkpoints.
type ShardEndedHandler interface {
	ShardEnded(ctx context.Context, in ShardEndedInput, cp *Checkpointer) error
}

// ShutdownRequestedHandler is implemented by processors that checkpoint when
// the worker is about to give the shard up (a shutdown of the worker, or in
// KCL 3.x a lease handed to another worker). The SDK keeps serving
// afterwards: a leaseLost follows. Without it, shutdownRequested is
// acknowledged and nothing is checkpointed, so the next owner starts at the
// last checkpoint the processor made.
type ShutdownRequestedHandler interface {
	ShutdownRequested(ctx context.Context, in ShutdownRequestedInput, cp *Checkpointer) error
}

// ProcessorFunc adapts a function to the Processor interface.
type ProcessorFunc func(ctx context.Context, in ProcessRecordsInput, cp *Checkpointer) error

// ProcessRecords calls f.
func (f ProcessorFunc) ProcessRecords(ctx context.Context, in ProcessRecordsInput, cp *Checkpointer) error {
	return f(ctx, in, cp)
}

var _ Processor = ProcessorFunc(nil)

// Factory returns the processor for a shard. It is called once, when the
// daemon initializes the shard. An error ends the child with a non-zero
// status before initialize is acknowledged.
type Factory func(shardID string) (Processor, error)

// InitializeInput says which shard the processor serves and where reading
// starts.
type InitializeInput struct {
	ShardID string
	// SequenceNumber is the shard's last checkpoint: a decimal sequence
	// number, or for a shard never checkpointed one of "TRIM_HORIZON",
	// "LATEST" and "AT_TIMESTAMP". It is empty if the daemon sent none.
	SequenceNumber    string
	SubSequenceNumber int64
}

// ProcessRecordsInput is one batch of records, in shard order.
type ProcessRecordsInput struct {
	ShardID string
	// Records is valid only until ProcessRecords returns: the SDK reuses
	// the slice and the memory behind each record's Data. Use Record.Clone
	// for a record that must outlive the call.
	Records []Record
	// MillisBehindLatest is how far the batch is behind the tip of the
	// shard, in milliseconds, or -1 if the daemon did not say.
	MillisBehindLatest int64
}

// LeaseLostInput describes a lost lease.
type LeaseLostInput struct {
	ShardID string
}

// ShardEndedInput describes a shard that was fully read.
type ShardEndedInput struct {
	ShardID string
}

// ShutdownRequestedInput describes a requested shutdown.
type ShutdownRequestedInput struct {
	ShardID string
}

// Record is one Kinesis record. Records from a KPL-aggregated Kinesis record
// share a SequenceNumber and differ in SubSequenceNumber.
type Record struct {
	// Data is the payload. It points into memory the SDK reuses once the
	// callback returns; see Clone.
	Data           []byte
	PartitionKey   string
	SequenceNumber string
	// SubSequenceNumber is 0 for a record that was not aggregated.
	SubSequenceNumber int64
	// ApproximateArrivalTimestamp is when Kinesis accepted the record, or
	// the zero Time if the daemon did not say.
	ApproximateArrivalTimestamp time.Time
}

// Clone returns a copy of r whose Data is its own, safe to keep after the
// callback returns. The strings need no copy.
func (r Record) Clone() Record {
	if r.Data != nil {
		r.Data = append(make([]byte, 0, len(r.Data)), r.Data...)
	}
	return r
}
