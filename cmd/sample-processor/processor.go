package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/kclgo/mld/kcl"
)

// processor handles one shard. The daemon starts a process per shard and
// sends it one action at a time, waiting for each to be answered, so a
// processor has the process to itself and needs no locking.
type processor struct {
	log          *slog.Logger
	everyRecords int
	every        time.Duration

	// Progress since the last successful checkpoint.
	last           kcl.Record // the last record processed, position only: its Data is the SDK's
	pending        int        // records processed since the last checkpoint
	lastCheckpoint time.Time  // or since the processor started
	// leaseGone is set once a checkpoint reports kcl.ErrShutdown: another
	// worker owns the shard, and every later checkpoint would fail too.
	leaseGone bool
}

// The optional callbacks are found by type assertion, so a mistyped
// signature would silently never be called; these make it a compile error.
var (
	_ kcl.Initializer              = (*processor)(nil)
	_ kcl.ShutdownRequestedHandler = (*processor)(nil)
	_ kcl.ShardEndedHandler        = (*processor)(nil)
	_ kcl.LeaseLostHandler         = (*processor)(nil)
)

func newProcessor(log *slog.Logger, cfg config) *processor {
	return &processor{
		log:            log,
		everyRecords:   cfg.everyRecords,
		every:          cfg.every,
		lastCheckpoint: time.Now(),
	}
}

// Initialize logs where reading starts: just after the shard's last
// checkpoint, or for a shard never checkpointed the initialPositionInStream
// of kcl.properties ("TRIM_HORIZON", "LATEST" or "AT_TIMESTAMP"). No
// checkpoint is possible yet; the daemon has no checkpointer for it.
func (p *processor) Initialize(ctx context.Context, in kcl.InitializeInput) error {
	p.log.Info("shard assigned", "checkpoint", in.SequenceNumber, "subSequenceNumber", in.SubSequenceNumber)
	return nil
}

// ProcessRecords logs each record, then checkpoints the batch if enough
// records or time went by. Checking once per batch, rather than after every
// record, costs at most one lease-table write per batch. After a crash the
// shard is read again from the last checkpoint, so up to N records plus one
// batch (maxRecords in kcl.properties), or T's worth, are processed twice.
//
// It never returns an error. Under the SDK's default failure policy an error
// stops the worker, every shard of it, and after the restart the same batch
// comes back: a record that cannot be handled must be dealt with here (sent
// to a dead-letter queue, say), not returned. In a real consumer, pass ctx
// to anything that can block: it is cancelled when the daemon goes away.
func (p *processor) ProcessRecords(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
	p.log.Debug("batch", "records", len(in.Records), "millisBehindLatest", in.MillisBehindLatest)
	// Describing a payload costs time; skip it when the line is not logged.
	if p.log.Enabled(ctx, slog.LevelInfo) {
		for _, r := range in.Records {
			p.logRecord(r)
		}
	}
	if n := len(in.Records); n > 0 {
		last := in.Records[n-1]
		p.last = kcl.Record{SequenceNumber: last.SequenceNumber, SubSequenceNumber: last.SubSequenceNumber}
		p.pending += n
	}
	if p.due() {
		p.checkpoint(ctx, cp)
	}
	return nil
}

// due reports whether N records or T have gone by since the last
// checkpoint. With no new records there is nothing to checkpoint, however
// long it has been.
func (p *processor) due() bool {
	switch {
	case p.pending == 0:
		return false
	case p.everyRecords > 0 && p.pending >= p.everyRecords:
		return true
	}
	return p.every > 0 && time.Since(p.lastCheckpoint) >= p.every
}

// ShutdownRequested checkpoints what was processed: the worker is shutting
// down, or in KCL 3.x handing the shard to another worker, which starts
// after this checkpoint. It should be quick: a 3.x handoff goes ahead after
// gracefulLeaseHandoffTimeoutMillis (30s by default) anyway. The daemon
// sends leaseLost next.
func (p *processor) ShutdownRequested(ctx context.Context, in kcl.ShutdownRequestedInput, cp *kcl.Checkpointer) error {
	p.log.Info("shutdown requested", "uncheckpointed", p.pending)
	if p.pending > 0 {
		p.checkpoint(ctx, cp)
	}
	return nil
}

// ShardEnded logs the end of a shard closed by a split or merge. It does not
// checkpoint: the daemon needs a SHARD_END checkpoint before the child shards
// can start, and the SDK makes it as soon as this returns nil. That is the
// right moment, because SHARD_END says every record of the shard is done:
// work such as flushing a buffer goes here, before returning, and if it
// fails, returning the error leaves the shard to be read again instead of
// marking it done.
func (p *processor) ShardEnded(ctx context.Context, in kcl.ShardEndedInput, cp *kcl.Checkpointer) error {
	p.log.Info("shard ended; the SDK checkpoints SHARD_END so that its child shards can start")
	return nil
}

// LeaseLost logs that another worker has the shard. There is no
// checkpointer: the new owner starts after the last checkpoint, so the
// records processed since then are delivered there again.
func (p *processor) LeaseLost(ctx context.Context, in kcl.LeaseLostInput) error {
	p.log.Info("lease lost", "toBeRedelivered", p.pending)
	return nil
}

// checkpoint records everything up to the last processed record. It names
// that record rather than calling cp.Checkpoint ("as far as delivered"):
// here the two are the same, but only the explicit position stays correct
// once a processor may stop part-way through a batch.
func (p *processor) checkpoint(ctx context.Context, cp *kcl.Checkpointer) {
	if p.leaseGone {
		return
	}
	err := cp.CheckpointRecord(ctx, p.last)
	switch {
	case err == nil:
		p.log.Info("checkpointed", "sequenceNumber", p.last.SequenceNumber,
			"subSequenceNumber", p.last.SubSequenceNumber, "records", p.pending)
		p.pending, p.lastCheckpoint = 0, time.Now()
	case errors.Is(err, kcl.ErrShutdown):
		// Retrying cannot help: the lease moved, and the daemon sends
		// leaseLost soon. Records still arriving are processed (delivery
		// is at least once anyway) but never checkpointed from here.
		p.leaseGone = true
		p.log.Warn("lease taken by another worker; no more checkpoints", "error", err)
	case kcl.IsRetryable(err):
		// Throttling or a DynamoDB failure, already retried with backoff by
		// the SDK. Nothing is lost by waiting: the records stay pending and
		// the next batch tries again.
		p.log.Warn("checkpoint failed; trying again after the next batch", "error", err)
	default:
		// An invalid position or lease table state (kcl.ErrInvalidArgument,
		// kcl.ErrInvalidState) is a bug or damage that retrying will not
		// fix; the daemon going away ends the process anyway. Keep
		// processing, as the next batch tries again and a restart would
		// replay from the last checkpoint, but alert on this line.
		p.log.Error("checkpoint failed", "error", err)
	}
}

func (p *processor) logRecord(r kcl.Record) {
	format, preview := decode(r.Data)
	p.log.Info("record",
		"sequenceNumber", r.SequenceNumber,
		"subSequenceNumber", r.SubSequenceNumber,
		"partitionKey", r.PartitionKey,
		"arrival", r.ApproximateArrivalTimestamp, // the zero time if the daemon did not say
		"size", len(r.Data),
		"format", format,
		"preview", preview)
}

// previewBytes bounds the payload shown in a log line.
const previewBytes = 80

// decode says what a payload is and returns a short preview for the log:
// JSON compacted to one line, anything else as text (the log handler
// escapes what is not printable). A real consumer would unmarshal into its
// own event type here.
func decode(data []byte) (format, preview string) {
	head := data[:min(len(data), previewBytes+utf8.UTFMax)] // never copy a whole large payload
	if len(data) <= compactLimit {
		var buf bytes.Buffer
		if json.Compact(&buf, data) == nil {
			return "json", truncate(buf.String())
		}
	} else if json.Valid(data) {
		return "json", truncate(string(head))
	}
	return "text", truncate(string(head))
}

// compactLimit is the largest JSON payload compacted for its preview; a
// larger one is shown as it starts.
const compactLimit = 64 << 10

// truncate shortens s to previewBytes without splitting a UTF-8 sequence.
func truncate(s string) string {
	if len(s) <= previewBytes {
		return s
	}
	cut := previewBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
