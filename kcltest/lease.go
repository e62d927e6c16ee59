package kcltest

import (
	"fmt"

	"github.com/kclgo/mld/internal/lease"
	"github.com/kclgo/mld/protocol"
)

// Position is a checkpoint position: a sequence number and sub-sequence
// number, or a sentinel ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP",
// "SHARD_END") in SequenceNumber.
type Position struct {
	SequenceNumber    string
	SubSequenceNumber int64
}

// ShardEnd is the position of a finished shard.
var ShardEnd = Position(lease.ShardEnd)

func (p Position) String() string { return lease.Position(p).String() }

// state is the daemon's view of the shard: the lease's checkpoint and the
// range a checkpoint may take (docs/protocol.md §2.3, §2.4, §3.2), kept by the rules
// the kcl local daemon uses too.
type state struct {
	lease       lease.Lease
	leaseGone   bool // a checkpoint was refused with ShutdownException
	checkpoints []Position
	nextSeq     int64
}

// Checkpoints returns every position the daemon stored, in order.
func (d *Daemon) Checkpoints() []Position {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Position(nil), d.checkpoints...)
}

// Checkpoint returns the lease's current checkpoint.
func (d *Daemon) Checkpoint() Position {
	d.mu.Lock()
	defer d.mu.Unlock()
	return Position(d.lease.Checkpoint())
}

// begin updates the state for a new action.
func (d *Daemon) begin(m protocol.Message) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lease.Begin(m)
}

func (d *Daemon) shardEnding() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lease.ShardEnding()
}

// atShardEnd reports whether the shard's end was checkpointed, or need not
// be because another worker holds the lease now and finishes the shard.
func (d *Daemon) atShardEnd() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lease.Checkpoint() == lease.ShardEnd || d.leaseGone
}

// replied notes what a checkpoint reply tells about the lease.
func (d *Daemon) replied(r protocol.CheckpointReply) {
	if r.Error.Valid && r.Error.V == lease.Shutdown {
		d.mu.Lock()
		d.leaseGone = true
		d.mu.Unlock()
	}
}

// answer performs a checkpoint request as the daemon would and returns the
// reply: an echo of the request with the error, if any.
func (d *Daemon) answer(action string, req protocol.Checkpoint) protocol.CheckpointReply {
	reply := protocol.CheckpointReply{SequenceNumber: req.SequenceNumber, SubSequenceNumber: req.SubSequenceNumber}
	if exc := d.perform(action, req); exc != "" {
		reply.Error = protocol.Some(exc)
	}
	return reply
}

func (d *Daemon) perform(action string, req protocol.Checkpoint) string {
	d.mu.Lock()
	refused := d.lease.NoCheckpointer()
	d.mu.Unlock()
	if refused != "" {
		return refused // no checkpointer for this action
	}
	if exc, ok := d.popScript(); ok && exc != "" {
		return exc
	}
	d.mu.Lock()
	gone := d.leaseGone
	d.mu.Unlock()
	if gone {
		return lease.Shutdown // a lost lease stays lost
	}
	return d.store(req)
}

// store moves the lease's checkpoint to the position req asks for, if the
// daemon's rules allow it, and otherwise returns the exception the daemon
// reports.
func (d *Daemon) store(req protocol.Checkpoint) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	target, exc := d.lease.Target(req)
	if exc != "" {
		return exc
	}
	if d.lease.Set(target) {
		d.checkpoints = append(d.checkpoints, Position(target))
	}
	return ""
}

// seqPrefix and seven digits make the sequence numbers a Daemon gives
// the records it numbers: realistic 56-digit Kinesis sequence numbers.
const seqPrefix = "4959033827149025660855969253836157109592157598913"

// SequenceNumber returns the n-th sequence number (from 1) that a Daemon
// gives the records it numbers, so that a test can name the positions it
// expects: a realistic 56-digit Kinesis sequence number.
func SequenceNumber(n int) string {
	return fmt.Sprintf("%s%07d", seqPrefix, n)
}

func (d *Daemon) number(records []protocol.Record) []protocol.Record {
	out := make([]protocol.Record, len(records))
	copy(out, records)
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range out {
		r := &out[i]
		if r.SequenceNumber == "" {
			d.nextSeq++
			r.SequenceNumber = SequenceNumber(int(d.nextSeq))
			if !r.SubSequenceNumber.Valid {
				r.SubSequenceNumber = protocol.Some[int64](0)
			}
			if !r.ApproximateArrivalTimestamp.Valid {
				r.ApproximateArrivalTimestamp = protocol.Some(1700000000000 + d.nextSeq*1000)
			}
			if r.PartitionKey == "" {
				r.PartitionKey = fmt.Sprintf("pk-%d", d.nextSeq)
			}
		}
	}
	return out
}

// Records returns records with the given payloads, for ProcessRecords,
// which numbers them.
func Records(payloads ...string) []protocol.Record {
	rs := make([]protocol.Record, len(payloads))
	for i, p := range payloads {
		rs[i].Data = []byte(p)
	}
	return rs
}
