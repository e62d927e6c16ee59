package kcltest

import (
	"fmt"

	"github.com/kclgo/mld/kcl"
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
var ShardEnd = Position{SequenceNumber: "SHARD_END"}

func (p Position) String() string {
	if !isNumber(p.SequenceNumber) {
		return p.SequenceNumber
	}
	return fmt.Sprintf("%s/%d", p.SequenceNumber, p.SubSequenceNumber)
}

// compare orders positions as the KCL does: the start sentinels before every
// record, SHARD_END after.
func compare(a, b Position) int {
	ra, rb := rank(a), rank(b)
	if ra != rb || ra != 1 {
		return ra - rb
	}
	if c := kcl.CompareSequenceNumbers(a.SequenceNumber, b.SequenceNumber); c != 0 {
		return c
	}
	switch {
	case a.SubSequenceNumber < b.SubSequenceNumber:
		return -1
	case a.SubSequenceNumber > b.SubSequenceNumber:
		return 1
	}
	return 0
}

func rank(p Position) int {
	switch {
	case p.SequenceNumber == "SHARD_END":
		return 2
	case isNumber(p.SequenceNumber):
		return 1
	}
	return 0
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// state is the daemon's view of the shard: the lease's checkpoint and the
// range a checkpoint may take (spec §2.3, §2.4, §3.2).
type state struct {
	action      protocol.Message // the action being served
	checkpoint  Position         // the lease's checkpoint
	largest     Position         // the largest permitted checkpoint
	lastRecord  Position         // the last record delivered
	delivered   bool
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
	return d.checkpoint
}

// begin updates the state for a new action.
func (d *Daemon) begin(m protocol.Message) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.action = m
	switch m := m.(type) {
	case protocol.Initialize:
		d.checkpoint = Position{SequenceNumber: m.SequenceNumber.V, SubSequenceNumber: m.SubSequenceNumber.V}
		d.largest = d.checkpoint
	case protocol.ProcessRecords:
		if n := len(m.Records); n > 0 {
			last := m.Records[n-1]
			d.lastRecord = Position{SequenceNumber: last.SequenceNumber, SubSequenceNumber: last.SubSequenceNumber.V}
			d.largest, d.delivered = d.lastRecord, true
		}
	case protocol.ShardEnded:
		d.largest = ShardEnd
	case protocol.Shutdown:
		if m.Reason == protocol.ReasonTerminate {
			d.largest = ShardEnd
		}
	}
}

func (d *Daemon) shardEnding() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.largest == ShardEnd
}

// atShardEnd reports whether the shard's end was checkpointed, or need not
// be because another worker holds the lease now and finishes the shard.
func (d *Daemon) atShardEnd() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.checkpoint == ShardEnd || d.leaseGone
}

// replied notes what a checkpoint reply tells about the lease.
func (d *Daemon) replied(r protocol.CheckpointReply) {
	if r.Error.Valid && r.Error.V == "ShutdownException" {
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
	current := d.action
	d.mu.Unlock()
	switch m := current.(type) {
	case protocol.Initialize, protocol.LeaseLost:
		return "InvalidStateException" // no checkpointer for these actions
	case protocol.Shutdown:
		if m.Reason != protocol.ReasonTerminate {
			return "ShutdownException" // 1.x ZOMBIE: the lease is gone
		}
	}
	if exc, ok := d.popScript(); ok && exc != "" {
		return exc
	}
	d.mu.Lock()
	gone := d.leaseGone
	d.mu.Unlock()
	if gone {
		return "ShutdownException" // a lost lease stays lost
	}
	return d.store(req)
}

// store moves the lease's checkpoint to the position req asks for, if the
// daemon's rules allow it, and otherwise returns the exception the daemon
// reports.
func (d *Daemon) store(req protocol.Checkpoint) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	target := d.largest
	if req.SequenceNumber.Valid {
		seq := req.SequenceNumber.V
		if req.SubSequenceNumber.V < 0 {
			return "IllegalArgumentException"
		}
		switch seq {
		case "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", "SHARD_END":
			target = Position{SequenceNumber: seq}
		default:
			if !isNumber(seq) {
				return "IllegalArgumentException"
			}
			target = Position{SequenceNumber: seq, SubSequenceNumber: req.SubSequenceNumber.V}
		}
		if compare(target, d.checkpoint) < 0 || compare(target, d.largest) > 0 {
			if !(d.largest == ShardEnd && d.delivered && compare(target, d.lastRecord) <= 0 && compare(target, d.checkpoint) >= 0) {
				return "IllegalArgumentException"
			}
		}
		// At a shard's end, the last record delivered stands for SHARD_END.
		if d.largest == ShardEnd && d.delivered && target == d.lastRecord {
			target = ShardEnd
		}
	}
	if target != d.checkpoint {
		d.checkpoint = target
		d.checkpoints = append(d.checkpoints, target)
	}
	return ""
}

// firstSequence is the first sequence number Records hands out: a realistic
// 56-digit Kinesis sequence number.
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
