package kcl

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/kclgo/mld/protocol"
)

// The handlers of the daemon's actions. Each builds its callback's input
// and runs the callback under the failure policy within exchange, which
// answers the action with its status.

// ensureProcessor creates the processor if initialize did not.
func (s *session) ensureProcessor(ctx context.Context) error {
	if s.proc != nil {
		return nil
	}
	s.log.Warn("no initialize before the first action; creating the processor for an unknown shard")
	return s.create(ctx)
}

func (s *session) create(ctx context.Context) error {
	p, err := s.safeFactory()
	if err == nil && p == nil {
		err = errors.New("factory returned a nil Processor")
	}
	if err != nil {
		err = &CallbackError{ShardID: s.shardID, Action: protocol.ActionInitialize, Attempts: 1, Err: err}
		s.logFatal(err)
		return err
	}
	s.proc = p
	return nil
}

func (s *session) safeFactory() (p Processor, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return s.factory(s.shardID)
}

func (s *session) initialize(ctx context.Context, m protocol.Initialize) error {
	if s.proc == nil {
		s.shardID = m.ShardID
		s.log = s.log.With("shard", m.ShardID)
		if err := s.create(ctx); err != nil {
			return err
		}
	}
	in := InitializeInput{ShardID: m.ShardID, SequenceNumber: m.SequenceNumber.V, SubSequenceNumber: m.SubSequenceNumber.V}
	var call func(context.Context) error
	if h, ok := s.proc.(Initializer); ok {
		call = func(ctx context.Context) error { return h.Initialize(ctx, in) }
	}
	return s.exchange(ctx, m.Action(), nil, func(ctx context.Context) error {
		return s.attempt(ctx, m.Action(), nil, call)
	})
}

func (s *session) processRecords(ctx context.Context, m protocol.ProcessRecords) error {
	if err := s.ensureProcessor(ctx); err != nil {
		return err
	}
	s.records = s.records[:0]
	for i := range m.Records {
		r := &m.Records[i]
		rec := Record{
			Data:              r.Data,
			PartitionKey:      r.PartitionKey,
			SequenceNumber:    r.SequenceNumber,
			SubSequenceNumber: r.SubSequenceNumber.V,
		}
		if r.ApproximateArrivalTimestamp.Valid {
			rec.ApproximateArrivalTimestamp = time.UnixMilli(r.ApproximateArrivalTimestamp.V)
		}
		s.records = append(s.records, rec)
	}
	in := ProcessRecordsInput{ShardID: s.shardID, Records: s.records, MillisBehindLatest: -1}
	if m.MillisBehindLatest.Valid {
		in.MillisBehindLatest = m.MillisBehindLatest.V
	}
	cp := s.newCheckpointer(m.Action())
	// The batch's memory goes back to the Reader before the status is
	// written, so that the next batch, which the daemon sends as soon as it
	// reads the status, can reuse it.
	s.batch, s.hasBatch = m, true
	defer func() { s.batch, s.hasBatch = protocol.ProcessRecords{}, false }()
	return s.exchange(ctx, m.Action(), cp, func(ctx context.Context) error {
		return s.attempt(ctx, m.Action(), in.Records, func(ctx context.Context) error {
			return s.proc.ProcessRecords(ctx, in, cp)
		})
	})
}

func (s *session) leaseLost(ctx context.Context, action string) error {
	if err := s.ensureProcessor(ctx); err != nil {
		return err
	}
	var call func(context.Context) error
	if h, ok := s.proc.(LeaseLostHandler); ok {
		in := LeaseLostInput{ShardID: s.shardID}
		call = func(ctx context.Context) error { return h.LeaseLost(ctx, in) }
	}
	return s.exchange(ctx, action, nil, func(ctx context.Context) error {
		return s.attempt(ctx, action, nil, call)
	})
}

func (s *session) shutdownRequested(ctx context.Context) error {
	if err := s.ensureProcessor(ctx); err != nil {
		return err
	}
	action := protocol.ActionShutdownRequested
	cp := s.newCheckpointer(action)
	var call func(context.Context) error
	if h, ok := s.proc.(ShutdownRequestedHandler); ok {
		in := ShutdownRequestedInput{ShardID: s.shardID}
		call = func(ctx context.Context) error { return h.ShutdownRequested(ctx, in, cp) }
	}
	return s.exchange(ctx, action, cp, func(ctx context.Context) error {
		return s.attempt(ctx, action, nil, call)
	})
}

// shardEnded handles the end of a shard. The daemon requires a SHARD_END
// checkpoint before the status; without one the shard is never finished and
// its children never start (docs/protocol.md §3.3), so the SDK makes it if the processor
// did not. If that checkpoint fails, the child exits without a status (the
// daemon restarts the worker and the shard's end is delivered again), except
// for ErrShutdown: the lease is then someone else's, and the status is sent.
func (s *session) shardEnded(ctx context.Context, action string) error {
	if err := s.ensureProcessor(ctx); err != nil {
		return err
	}
	cp := s.newCheckpointer(action)
	cp.atEnd = true
	var call func(context.Context) error
	if h, ok := s.proc.(ShardEndedHandler); ok {
		in := ShardEndedInput{ShardID: s.shardID}
		call = func(ctx context.Context) error { return h.ShardEnded(ctx, in, cp) }
	}
	return s.exchange(ctx, action, cp, func(ctx context.Context) error {
		if err := s.attempt(ctx, action, nil, call); err != nil {
			return err
		}
		cp.mu.Lock()
		done := cp.shardEnd
		cp.mu.Unlock()
		if done {
			return nil
		}
		err := cp.Checkpoint(ctx)
		if errors.Is(err, ErrShutdown) {
			// The lease already moved to another worker, which reads the
			// shard's end again and checkpoints it. Exiting would only stop
			// every other shard of this worker too.
			s.log.Error("cannot checkpoint SHARD_END: this worker no longer holds the lease; acknowledging shardEnded and leaving the shard's end to its new owner", "action", action, "error", err)
			return nil
		}
		if err != nil {
			return &CallbackError{ShardID: s.shardID, Action: action, Attempts: 1,
				Err: fmt.Errorf("checkpoint at SHARD_END, required before the daemon can finish the shard and start its children: %w", err)}
		}
		return nil
	})
}

func (s *session) newCheckpointer(action string) *Checkpointer {
	return &Checkpointer{s: s, action: action}
}

// shutdown handles the KCL 1.x shutdown, whose reason says which of the
// later actions it is. The status answers "shutdown".
func (s *session) shutdown(ctx context.Context, m protocol.Shutdown) error {
	switch m.Reason {
	case protocol.ReasonTerminate, "SHARD_END": // "SHARD_END" is from KCL 2.0.x
		return s.shardEnded(ctx, m.Action())
	case protocol.ReasonZombie, "LEASE_LOST":
		return s.leaseLost(ctx, m.Action())
	default:
		// No checkpoint is the safe reading of an unknown reason.
		s.log.Warn("unknown shutdown reason; handling it as a lost lease", "reason", m.Reason)
		return s.leaseLost(ctx, m.Action())
	}
}
