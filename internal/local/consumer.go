package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/kclgo/mld/internal/lease"
	"github.com/kclgo/mld/protocol"
)

// ShardFailure reports a shard stopped because of its child: it could not
// be started, broke the protocol, exited, hung, ended the shard without a
// SHARD_END checkpoint, or did not exit after its stdin was closed. The
// Java daemon would exit (or halt) on most of these, ending every shard;
// kcl local stops this shard only.
type ShardFailure struct {
	Shard  string
	Sent   string // what the daemon sent last, such as "processRecords (3 records, ...)"
	Got    string // what came back: the child's line, or what happened instead
	Reason string // what is wrong, and what the Java daemon does about it
}

func (f *ShardFailure) Error() string {
	return fmt.Sprintf("shard %s failed: sent %s; got %s: %s", f.Shard, f.Sent, f.Got, f.Reason)
}

// The Java daemon's reaction to most child failures (docs/protocol.md §4).
const javaExits = "the Java daemon exits (System.exit(1)), stopping every shard; kcl local stops this shard only"

// result is how a shard consumer ended.
type result struct {
	shard    string
	finished bool          // SHARD_END is checkpointed: the child shards may start
	err      *ShardFailure // if the shard failed
}

// shardConsumer consumes one shard: it runs the shard's child through its
// lifecycle and reads the shard with GetShardIterator and GetRecords, as
// the KCL's polling consumer does.
type shardConsumer struct {
	d     *Daemon
	cfg   *Config
	shard string
	log   *slog.Logger
	hard  context.Context // cancelled when the children must be killed

	start      lease.Position // the checkpoint or sentinel to initialize with
	hashStart  *big.Int       // the shard's hash key range, if known
	hashEnd    *big.Int
	lease      lease.Lease
	child      *child
	terminated bool

	// after is the position of the last record delivered (or the starting
	// checkpoint): records at or before it are not delivered again.
	after lease.Position

	mu      sync.Mutex // guards the fields below, read by progress lines
	state   string
	since   time.Time
	records int64
	behind  *int64
}

func (sc *shardConsumer) setState(s string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.state, sc.since = s, time.Now()
}

// progress logs the shard's progress line.
func (sc *shardConsumer) progress() {
	sc.mu.Lock()
	state, since, records, behind := sc.state, sc.since, sc.records, sc.behind
	sc.mu.Unlock()
	attrs := []any{"records", records}
	if behind != nil {
		attrs = append(attrs, "millisBehindLatest", *behind)
	}
	cp, ok := sc.d.store.Get(sc.cfg.Stream, sc.shard)
	if ok {
		attrs = append(attrs, "checkpoint", cp.Position().String())
	} else {
		attrs = append(attrs, "checkpoint", "none")
	}
	attrs = append(attrs, "state", state)
	if d := time.Since(since); d >= time.Second && state != "reading" {
		attrs = append(attrs, "for", d.Round(time.Second).String())
	}
	sc.log.Info("progress", attrs...)
}

func (sc *shardConsumer) run(ctx context.Context) result {
	sc.setState("starting")
	c, err := startChild(sc.cfg.Executable, sc.shard, sc.cfg.ChildStderr)
	if err != nil {
		return sc.failed(&ShardFailure{Sent: "nothing", Got: "no process",
			Reason: fmt.Sprintf("cannot start executableName %q: %v (check the path: a bare name is looked up on PATH, a name with a / is relative to the working directory); %s", sc.cfg.Executable[0], err, javaExits)})
	}
	sc.child = c
	defer func() {
		if !sc.terminated {
			c.kill()
			<-c.exited
		}
	}()
	sc.log.Info("started the child", "pid", c.cmd.Process.Pid, "initialize", sc.start.String())

	init := protocol.Initialize{ShardID: sc.shard, SequenceNumber: protocol.Some(sc.start.SequenceNumber), SubSequenceNumber: protocol.Some(sc.start.SubSequenceNumber)}
	if f := sc.exchange(init); f != nil {
		return sc.failed(f)
	}
	sc.after = sc.start
	it, ok := sc.iterator(ctx, sc.start)
	if !ok {
		return sc.shutdown()
	}
	var lastFetch time.Time
	backoff := time.Duration(0)
	for {
		sc.setState("reading")
		if wait := time.Until(lastFetch.Add(sc.cfg.IdleTime)); wait > 0 && !sleep(ctx, wait) {
			return sc.shutdown()
		}
		if ctx.Err() != nil {
			return sc.shutdown()
		}
		lastFetch = time.Now()
		out, err := sc.d.kin.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(it), Limit: aws.Int32(int32(sc.cfg.MaxRecords))})
		if err != nil {
			if ctx.Err() != nil {
				return sc.shutdown()
			}
			if _, expired := errors.AsType[*types.ExpiredIteratorException](err); expired {
				sc.log.Info("the shard iterator expired; getting a new one", "after", sc.after.String())
				if it, ok = sc.iterator(ctx, sc.after); !ok {
					return sc.shutdown()
				}
				continue
			}
			backoff = nextBackoff(backoff, sc.cfg.IdleTime)
			sc.log.Warn("GetRecords failed; retrying", "error", err, "in", backoff)
			if !sleep(ctx, backoff) {
				return sc.shutdown()
			}
			continue
		}
		backoff = 0
		sc.mu.Lock()
		sc.behind = out.MillisBehindLatest
		sc.mu.Unlock()
		if records := sc.convert(out.Records); len(records) > 0 {
			pr := protocol.ProcessRecords{Records: records}
			if out.MillisBehindLatest != nil {
				pr.MillisBehindLatest = protocol.Some(*out.MillisBehindLatest)
			}
			if f := sc.exchange(pr); f != nil {
				return sc.failed(f)
			}
			last := records[len(records)-1]
			sc.after = lease.Position{SequenceNumber: last.SequenceNumber, SubSequenceNumber: last.SubSequenceNumber.V}
			sc.mu.Lock()
			sc.records += int64(len(records))
			sc.mu.Unlock()
		}
		if out.NextShardIterator == nil {
			return sc.shardEnd()
		}
		it = *out.NextShardIterator
	}
}

// iterator gets a shard iterator at p: the sentinel's type for a start
// position, or AT_SEQUENCE_NUMBER for a checkpoint, whose record (and any
// earlier user record of a KPL aggregate) convert then drops, as the KCL
// does. It retries until it succeeds, and reports false if ctx ended
// first.
func (sc *shardConsumer) iterator(ctx context.Context, p lease.Position) (string, bool) {
	in := &kinesis.GetShardIteratorInput{StreamName: aws.String(sc.cfg.Stream), ShardId: aws.String(sc.shard)}
	switch p.SequenceNumber {
	case lease.TrimHorizon:
		in.ShardIteratorType = types.ShardIteratorTypeTrimHorizon
	case lease.Latest:
		in.ShardIteratorType = types.ShardIteratorTypeLatest
	case lease.AtTimestamp:
		in.ShardIteratorType = types.ShardIteratorTypeAtTimestamp
		in.Timestamp = aws.Time(sc.cfg.Timestamp)
	default:
		in.ShardIteratorType = types.ShardIteratorTypeAtSequenceNumber
		in.StartingSequenceNumber = aws.String(p.SequenceNumber)
	}
	backoff := time.Duration(0)
	for {
		out, err := sc.d.kin.GetShardIterator(ctx, in)
		if err == nil && out.ShardIterator != nil {
			return *out.ShardIterator, true
		}
		if ctx.Err() != nil {
			return "", false
		}
		if err == nil {
			err = errors.New("the response has no ShardIterator")
		}
		backoff = nextBackoff(backoff, sc.cfg.IdleTime)
		sc.log.Warn("GetShardIterator failed; retrying", "type", in.ShardIteratorType, "error", err, "in", backoff)
		if !sleep(ctx, backoff) {
			return "", false
		}
	}
}

// maxBackoff caps the wait between retries of a failing Kinesis call.
const maxBackoff = 10 * time.Second

func nextBackoff(cur, base time.Duration) time.Duration {
	if cur == 0 {
		return base
	}
	return min(2*cur, maxBackoff)
}

// sleep waits for d, reporting false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// convert turns Kinesis records into protocol records as the KCL does:
// KPL aggregates become their user records, with sub-sequence numbers,
// minus those whose hash key lies outside the shard (left there by
// resharding); records at or before sc.after are dropped.
func (sc *shardConsumer) convert(in []types.Record) []protocol.Record {
	var out []protocol.Record
	// Records come in order, so only those before the first one past
	// sc.after need comparing with it.
	skipping := protocol.IsSequenceNumber(sc.after.SequenceNumber)
	add := func(r protocol.Record) {
		if skipping {
			p := lease.Position{SequenceNumber: r.SequenceNumber, SubSequenceNumber: r.SubSequenceNumber.V}
			if lease.Compare(p, sc.after) <= 0 {
				return
			}
			skipping = false
		}
		out = append(out, r)
	}
	for _, r := range in {
		seq := aws.ToString(r.SequenceNumber)
		var arrival protocol.Nullable[int64]
		if r.ApproximateArrivalTimestamp != nil {
			arrival = protocol.Some(r.ApproximateArrivalTimestamp.UnixMilli())
		}
		if users, ok := deaggregate(r.Data); ok {
			for i, u := range users {
				if !sc.owns(hashKey(u.partitionKey, u.explicitHashKey)) {
					continue
				}
				add(protocol.Record{Data: u.data, PartitionKey: u.partitionKey, SequenceNumber: seq,
					ApproximateArrivalTimestamp: arrival, SubSequenceNumber: protocol.Some(int64(i))})
			}
			continue
		}
		data := r.Data
		if data == nil {
			data = []byte{} // the daemon copies a ByteBuffer, so never sends null
		}
		add(protocol.Record{Data: data, PartitionKey: aws.ToString(r.PartitionKey), SequenceNumber: seq,
			ApproximateArrivalTimestamp: arrival, SubSequenceNumber: protocol.Some[int64](0)})
	}
	return out
}

func (sc *shardConsumer) owns(h *big.Int) bool {
	if sc.hashStart == nil || sc.hashEnd == nil {
		return true
	}
	return sc.hashStart.Cmp(h) <= 0 && h.Cmp(sc.hashEnd) <= 0
}

// shardEnd sends shardEnded and ends the child. The shard is finished only
// if the child checkpointed SHARD_END.
func (sc *shardConsumer) shardEnd() result {
	sc.log.Info("reached the end of the shard")
	if f := sc.exchange(protocol.ShardEnded{}); f != nil {
		return sc.failed(f)
	}
	res := result{shard: sc.shard, finished: sc.lease.Checkpoint() == lease.ShardEnd}
	exitErr := sc.terminate("shardEnded")
	if !res.finished {
		if exitErr != nil {
			sc.log.Error(exitErr.Error())
		}
		return sc.failed(&ShardFailure{Sent: "shardEnded", Got: "a status with no SHARD_END checkpoint (the checkpoint is " + sc.lease.Checkpoint().String() + ")",
			Reason: "the child must checkpoint with a null sequence number before its status; the Java daemon retries the shard end for ever and never starts the child shards; kcl local leaves the shard unfinished, so its child shards do not start"})
	}
	sc.log.Info("shard finished: SHARD_END is checkpointed")
	if exitErr != nil {
		sc.log.Error(exitErr.Error())
		res.err = exitErr
	}
	return res
}

// shutdown runs the graceful end the Java daemon gives a child when the
// worker shuts down (docs/protocol.md §3.3 path c): shutdownRequested, during which the
// child may checkpoint what it processed, then leaseLost, then EOF on
// stdin and the wait for the exit.
func (sc *shardConsumer) shutdown() result {
	sc.log.Info("shutting down: shutdownRequested, then leaseLost")
	if f := sc.exchange(protocol.ShutdownRequested{}); f != nil {
		return sc.failed(f)
	}
	if f := sc.exchange(protocol.LeaseLost{}); f != nil {
		return sc.failed(f)
	}
	res := result{shard: sc.shard}
	if f := sc.terminate("leaseLost"); f != nil {
		sc.log.Error(f.Error())
		res.err = f
	}
	return res
}

// terminate closes the child's stdin and waits for it to exit, reporting
// a child that had to be killed.
func (sc *shardConsumer) terminate(after string) *ShardFailure {
	sc.setState("waiting for the child to exit")
	clean, drained := sc.child.terminate(sc.hard, sc.cfg.ExitTimeout)
	sc.terminated = true
	for _, l := range drained {
		sc.log.Info("drained a line from the child's stdout", "line", shorten([]byte(l)))
	}
	status := sc.child.exitStatus(time.Second)
	sc.setState("stopped")
	if !clean {
		return &ShardFailure{Shard: sc.shard, Sent: after + ", then EOF on stdin", Got: fmt.Sprintf("no exit within %v", sc.cfg.ExitTimeout),
			Reason: "a child must exit when its stdin closes; the Java daemon would wait for ever, blocking this shard; kcl local killed it (" + status + ")"}
	}
	sc.log.Info("the child "+status, "after", after)
	return nil
}

// failed ends the child after a failure, as the daemon's termination
// sequence does, and returns the result reporting f.
func (sc *shardConsumer) failed(f *ShardFailure) result {
	f.Shard = sc.shard
	sc.setState("failed")
	sc.log.Error(f.Error())
	if sc.child != nil && !sc.terminated {
		// A child that broke the protocol is not trusted to exit: give it
		// the sequence, but only a moment.
		sc.child.terminate(sc.hard, min(sc.cfg.ExitTimeout, 2*time.Second))
		sc.terminated = true
		sc.log.Info("the failed shard's child " + sc.child.exitStatus(time.Second))
	}
	return result{shard: sc.shard, err: f}
}
