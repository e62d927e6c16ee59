package kcl

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/kclgo/mld/protocol"
)

// Checkpointer records the shard's progress with the daemon, which stores
// it in the lease table. After a restart or a lease move, processing resumes
// just after the last checkpoint.
//
// A Checkpointer belongs to the callback it was passed to, like an
// http.ResponseWriter: once that callback returns, every method returns
// ErrCheckpointerClosed and writes nothing. During the callback it may be
// used from several goroutines; calls are serialized, each one writing its
// request and reading the daemon's reply before the next starts.
//
// Throttling and dependency failures are retried with backoff (see
// CheckpointRetries) before an error is returned.
type Checkpointer struct {
	s      *session
	action string
	mu     sync.Mutex // serializes calls
	// shardEnd is set once a checkpoint at the latest position succeeded
	// during shardEnded (or a 1.x shutdown TERMINATE): that is SHARD_END.
	shardEnd bool
	atEnd    bool // the action is a shard end
}

// Checkpoint checkpoints at the latest position the daemon allows: the last
// record of the current batch during ProcessRecords, the last record
// delivered during ShutdownRequested, and the end of the shard (SHARD_END)
// during ShardEnded.
func (c *Checkpointer) Checkpoint(ctx context.Context) error {
	return c.checkpoint(ctx, protocol.Checkpoint{})
}

// CheckpointSequence checkpoints at a sequence number: the record with it
// and everything before it count as processed.
func (c *Checkpointer) CheckpointSequence(ctx context.Context, sequenceNumber string) error {
	return c.checkpoint(ctx, protocol.Checkpoint{SequenceNumber: protocol.Some(sequenceNumber)})
}

// CheckpointSubSequence checkpoints at a user record within a KPL-aggregated
// Kinesis record.
func (c *Checkpointer) CheckpointSubSequence(ctx context.Context, sequenceNumber string, subSequenceNumber int64) error {
	return c.checkpoint(ctx, protocol.Checkpoint{
		SequenceNumber:    protocol.Some(sequenceNumber),
		SubSequenceNumber: protocol.Some(subSequenceNumber),
	})
}

// CheckpointRecord checkpoints at r, including its sub-sequence number.
func (c *Checkpointer) CheckpointRecord(ctx context.Context, r Record) error {
	return c.CheckpointSubSequence(ctx, r.SequenceNumber, r.SubSequenceNumber)
}

func (c *Checkpointer) checkpoint(ctx context.Context, req protocol.Checkpoint) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg := c.s.cfg
	backoff := cfg.cpBackoff
	for attempt := 1; ; attempt++ {
		err := c.exchange(ctx, req)
		if ce, ok := err.(*CheckpointError); ok {
			ce.Attempts = attempt
		}
		if err == nil {
			if c.atEnd && !req.SequenceNumber.Valid {
				c.shardEnd = true
			}
			return nil
		}
		if !IsRetryable(err) || attempt >= cfg.cpAttempts {
			return err
		}
		c.s.log.Warn("checkpoint failed; retrying", "position", position(req), "error", err, "attempt", attempt, "backoff", backoff)
		if !sleep(ctx, backoff) {
			return err
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// exchange writes one checkpoint request and reads the daemon's reply.
func (c *Checkpointer) exchange(ctx context.Context, req protocol.Checkpoint) error {
	rep, err := c.s.in.checkpoint(ctx, c, req, func() error { return c.s.write(req) })
	if err != nil {
		return err
	}
	if rep.Error.Valid {
		return &CheckpointError{Exception: rep.Error.V, Position: position(req)}
	}
	c.s.log.Debug("checkpointed", "position", position(req))
	return nil
}

// matchReply returns in as the reply to req, or an error wrapping
// ErrUnexpectedReply if it is not one. The daemon's reply is a checkpoint
// message that echoes the request's sequenceNumber and, if the request had
// one, its subSequenceNumber; it is read as strictly as the daemon writes
// it, since anything else means the conversation is out of step.
func matchReply(req protocol.Checkpoint, in inbound) (protocol.CheckpointReply, error) {
	rep, ok := in.m.(protocol.CheckpointReply)
	if in.err == nil && ok && rep.SequenceNumber == req.SequenceNumber &&
		(!req.SequenceNumber.Valid || rep.SubSequenceNumber == req.SubSequenceNumber) {
		return rep, nil
	}
	want := "sequenceNumber " + fieldString(req.SequenceNumber)
	if req.SequenceNumber.Valid {
		want += " and subSequenceNumber " + fieldInt(req.SubSequenceNumber)
	}
	var got string
	switch {
	case in.err != nil:
		got = in.err.Error()
	case ok:
		got = "a checkpoint reply with sequenceNumber " + fieldString(rep.SequenceNumber) +
			" and subSequenceNumber " + fieldInt(rep.SubSequenceNumber)
	default:
		got = "a " + in.m.Action() + " message"
	}
	return protocol.CheckpointReply{}, fmt.Errorf("%w: sent checkpoint at %s, expected a checkpoint reply echoing %s, got %s",
		ErrUnexpectedReply, position(req), want, got)
}

// fieldString and fieldInt show a field of a checkpoint message in an
// error: null, or its value (a string quoted).
func fieldString(v protocol.Nullable[string]) string {
	if !v.Valid {
		return "null"
	}
	return strconv.Quote(v.V)
}

func fieldInt(v protocol.Nullable[int64]) string {
	if !v.Valid {
		return "null"
	}
	return strconv.FormatInt(v.V, 10)
}

// position describes a checkpoint request for messages.
func position(req protocol.Checkpoint) string {
	if !req.SequenceNumber.Valid {
		return "latest"
	}
	if !req.SubSequenceNumber.Valid {
		return req.SequenceNumber.V
	}
	return req.SequenceNumber.V + "/" + strconv.FormatInt(req.SubSequenceNumber.V, 10)
}
