// Package lease holds the KCL MultiLangDaemon's checkpoint rules for one
// shard lease (docs/protocol.md §2.3, §2.4, §3.2, §3.3): which actions have
// a checkpointer, the range a checkpoint may take, and how SHARD_END is
// reached. Package kcltest's fake daemon and the kcl local daemon both
// answer checkpoint requests with it, so the two cannot drift apart.
package lease

import (
	"fmt"

	"github.com/kclgo/mld/protocol"
)

// Sentinels a lease's checkpoint can hold instead of a sequence number.
const (
	TrimHorizon = "TRIM_HORIZON"
	Latest      = "LATEST"
	AtTimestamp = "AT_TIMESTAMP"
	ShardEndSeq = "SHARD_END"
)

// Exception names the daemon answers a refused checkpoint with (the simple
// Java class name, docs/protocol.md §2.4).
const (
	InvalidState    = "InvalidStateException"
	IllegalArgument = "IllegalArgumentException"
	Shutdown        = "ShutdownException"
)

// Position is a checkpoint position: a sequence number and sub-sequence
// number, or a sentinel in SequenceNumber.
type Position struct {
	SequenceNumber    string
	SubSequenceNumber int64
}

// ShardEnd is the position of a finished shard.
var ShardEnd = Position{SequenceNumber: ShardEndSeq}

// String gives "seq/sub" for a record position and the bare sentinel
// otherwise.
func (p Position) String() string {
	if !protocol.IsSequenceNumber(p.SequenceNumber) {
		return p.SequenceNumber
	}
	return fmt.Sprintf("%s/%d", p.SequenceNumber, p.SubSequenceNumber)
}

// Compare orders positions as the KCL does: the start sentinels before
// every record, SHARD_END after every record.
func Compare(a, b Position) int {
	ra, rb := rank(a), rank(b)
	if ra != rb || ra != 1 {
		return ra - rb
	}
	if c := protocol.CompareSequenceNumbers(a.SequenceNumber, b.SequenceNumber); c != 0 {
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
	case p.SequenceNumber == ShardEndSeq:
		return 2
	case protocol.IsSequenceNumber(p.SequenceNumber):
		return 1
	}
	return 0
}

// Lease is the daemon's view of one lease while it serves a child: the
// lease's checkpoint, the last record delivered, and the largest position
// a checkpoint may take during the current action. The zero Lease has no
// action; Begin starts each one. A Lease is not safe for concurrent use.
type Lease struct {
	action     protocol.Message // the action being served
	checkpoint Position         // the lease's checkpoint
	largest    Position         // the largest permitted checkpoint
	lastRecord Position         // the last record delivered
	delivered  bool
	atShardEnd Position // the largest permitted position before the shard's end
}

// Begin updates the lease for the action m the daemon is about to send.
// Initialize sets the checkpoint from the message; ProcessRecords moves the
// largest permitted position to the batch's last record; ShardEnded (and
// the 1.x TERMINATE Shutdown) moves it to SHARD_END.
func (l *Lease) Begin(m protocol.Message) {
	l.action = m
	switch m := m.(type) {
	case protocol.Initialize:
		l.checkpoint = Position{SequenceNumber: m.SequenceNumber.V, SubSequenceNumber: m.SubSequenceNumber.V}
		l.largest = l.checkpoint
	case protocol.ProcessRecords:
		if n := len(m.Records); n > 0 {
			last := m.Records[n-1]
			l.lastRecord = Position{SequenceNumber: last.SequenceNumber, SubSequenceNumber: last.SubSequenceNumber.V}
			l.largest, l.delivered = l.lastRecord, true
		}
	case protocol.ShardEnded:
		l.endShard()
	case protocol.Shutdown:
		if m.Reason == protocol.ReasonTerminate {
			l.endShard()
		}
	}
}

// endShard raises the largest permitted position to SHARD_END, keeping the
// one before (the last record delivered, or the initial checkpoint if none
// was), which a checkpoint may name to mean SHARD_END: the KCL's
// ShutdownTask sets sequenceNumberAtShardEnd to it.
func (l *Lease) endShard() {
	if l.largest != ShardEnd {
		l.atShardEnd = l.largest
	}
	l.largest = ShardEnd
}

// Checkpoint returns the lease's checkpoint.
func (l *Lease) Checkpoint() Position { return l.checkpoint }

// Largest returns the largest position a checkpoint may take during the
// current action.
func (l *Lease) Largest() Position { return l.largest }

// LastRecord returns the last record delivered, and false if none was.
func (l *Lease) LastRecord() (Position, bool) { return l.lastRecord, l.delivered }

// ShardEnding reports whether the current action ends the shard, so that
// SHARD_END is the largest permitted checkpoint.
func (l *Lease) ShardEnding() bool { return l.largest == ShardEnd }

// NoCheckpointer returns the exception the daemon answers every checkpoint
// request with during the current action because it has no checkpointer
// for it (docs/protocol.md §3.2): InvalidStateException during initialize and
// leaseLost, ShutdownException during a 1.x ZOMBIE shutdown. It returns ""
// when the action has a checkpointer.
func (l *Lease) NoCheckpointer() string {
	switch m := l.action.(type) {
	case protocol.Initialize, protocol.LeaseLost:
		return InvalidState
	case protocol.Shutdown:
		if m.Reason != protocol.ReasonTerminate {
			return Shutdown
		}
	}
	return ""
}

// Target returns the position a checkpoint request asks for under the
// daemon's rules, or the exception it reports instead (docs/protocol.md §2.3, §2.4):
//   - a null sequence number means the largest permitted position: the end
//     of the batch, SHARD_END at a shard's end, or the last record
//     delivered during shutdownRequested;
//   - otherwise the sequence number must be digits or a sentinel, the
//     sub-sequence number not negative, and the position neither before
//     the lease's checkpoint nor beyond the largest permitted one, else
//     IllegalArgumentException;
//   - at a shard's end, the largest position permitted before it stands
//     for SHARD_END: the last record delivered or, if none was, the
//     initial checkpoint.
//
// Target does not check NoCheckpointer.
func (l *Lease) Target(req protocol.Checkpoint) (Position, string) {
	if !req.SequenceNumber.Valid {
		return l.largest, ""
	}
	seq := req.SequenceNumber.V
	if req.SubSequenceNumber.V < 0 {
		return Position{}, IllegalArgument
	}
	var target Position
	switch seq {
	case TrimHorizon, Latest, AtTimestamp, ShardEndSeq:
		target = Position{SequenceNumber: seq}
	default:
		if !protocol.IsSequenceNumber(seq) {
			return Position{}, IllegalArgument
		}
		target = Position{SequenceNumber: seq, SubSequenceNumber: req.SubSequenceNumber.V}
	}
	if Compare(target, l.checkpoint) < 0 || Compare(target, l.largest) > 0 {
		if !(l.largest == ShardEnd && l.delivered && Compare(target, l.lastRecord) <= 0 && Compare(target, l.checkpoint) >= 0) {
			return Position{}, IllegalArgument
		}
	}
	if l.largest == ShardEnd && target == l.atShardEnd {
		target = ShardEnd
	}
	return target, ""
}

// Set moves the lease's checkpoint to p and reports whether it changed:
// checkpointing the position already stored writes nothing, as in the
// daemon.
func (l *Lease) Set(p Position) bool {
	if p == l.checkpoint {
		return false
	}
	l.checkpoint = p
	return true
}

// Apply performs a checkpoint request with the daemon's rules: it returns
// the exception name the daemon replies with ("" for success) and whether
// the checkpoint moved.
func (l *Lease) Apply(req protocol.Checkpoint) (exception string, moved bool) {
	if exc := l.NoCheckpointer(); exc != "" {
		return exc, false
	}
	target, exc := l.Target(req)
	if exc != "" {
		return exc, false
	}
	return "", l.Set(target)
}
