package local

import (
	"bytes"
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

// The Java daemon's reaction to most child failures (spec §4).
const javaExits = "the Java daemon exits (System.exit(1)), stopping every shard; kcl local stops this shard only"

// result is how a worker ended.
type result struct {
	shard    string
	finished bool          // SHARD_END is checkpointed: the child shards may start
	err      *ShardFailure // if the shard failed
}

// worker consumes one shard: it runs the shard's child through its
// lifecycle and reads the shard with GetShardIterator and GetRecords, as
// the KCL's polling consumer does.
type worker struct {
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

func (w *worker) setState(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.state, w.since = s, time.Now()
}

// progress logs the shard's progress line.
func (w *worker) progress() {
	w.mu.Lock()
	state, since, records, behind := w.state, w.since, w.records, w.behind
	w.mu.Unlock()
	attrs := []any{"records", records}
	if behind != nil {
		attrs = append(attrs, "millisBehindLatest", *behind)
	}
	cp, ok := w.d.store.Get(w.cfg.Stream, w.shard)
	if ok {
		attrs = append(attrs, "checkpoint", cp.Position().String())
	} else {
		attrs = append(attrs, "checkpoint", "none")
	}
	attrs = append(attrs, "state", state)
	if d := time.Since(since); d >= time.Second && state != "reading" {
		attrs = append(attrs, "for", d.Round(time.Second).String())
	}
	w.log.Info("progress", attrs...)
}

func (w *worker) run(ctx context.Context) result {
	w.setState("starting")
	c, err := startChild(w.cfg.Executable, w.shard, w.cfg.ChildStderr)
	if err != nil {
		return w.failed(&ShardFailure{Sent: "nothing", Got: "no process",
			Reason: fmt.Sprintf("cannot start executableName %q: %v (check the path: a bare name is looked up on PATH, a name with a / is relative to the working directory); %s", w.cfg.Executable[0], err, javaExits)})
	}
	w.child = c
	defer func() {
		if !w.terminated {
			c.kill()
			<-c.exited
		}
	}()
	w.log.Info("started the child", "pid", c.cmd.Process.Pid, "initialize", w.start.String())

	init := protocol.Initialize{ShardID: w.shard, SequenceNumber: protocol.Some(w.start.SequenceNumber), SubSequenceNumber: protocol.Some(w.start.SubSequenceNumber)}
	if f := w.exchange(init); f != nil {
		return w.failed(f)
	}
	w.after = w.start
	it, ok := w.iterator(ctx, w.start)
	if !ok {
		return w.shutdown()
	}
	var lastFetch time.Time
	backoff := time.Duration(0)
	for {
		w.setState("reading")
		if wait := time.Until(lastFetch.Add(w.cfg.IdleTime)); wait > 0 && !sleep(ctx, wait) {
			return w.shutdown()
		}
		if ctx.Err() != nil {
			return w.shutdown()
		}
		lastFetch = time.Now()
		out, err := w.d.kin.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(it), Limit: aws.Int32(int32(w.cfg.MaxRecords))})
		if err != nil {
			if ctx.Err() != nil {
				return w.shutdown()
			}
			if _, expired := errors.AsType[*types.ExpiredIteratorException](err); expired {
				w.log.Info("the shard iterator expired; getting a new one", "after", w.after.String())
				if it, ok = w.iterator(ctx, w.after); !ok {
					return w.shutdown()
				}
				continue
			}
			backoff = nextBackoff(backoff, w.cfg.IdleTime)
			w.log.Warn("GetRecords failed; retrying", "error", err, "in", backoff)
			if !sleep(ctx, backoff) {
				return w.shutdown()
			}
			continue
		}
		backoff = 0
		w.mu.Lock()
		w.behind = out.MillisBehindLatest
		w.mu.Unlock()
		if records := w.convert(out.Records); len(records) > 0 {
			pr := protocol.ProcessRecords{Records: records}
			if out.MillisBehindLatest != nil {
				pr.MillisBehindLatest = protocol.Some(*out.MillisBehindLatest)
			}
			if f := w.exchange(pr); f != nil {
				return w.failed(f)
			}
			last := records[len(records)-1]
			w.after = lease.Position{SequenceNumber: last.SequenceNumber, SubSequenceNumber: last.SubSequenceNumber.V}
			w.mu.Lock()
			w.records += int64(len(records))
			w.mu.Unlock()
		}
		if out.NextShardIterator == nil {
			return w.shardEnd()
		}
		it = *out.NextShardIterator
	}
}

// iterator gets a shard iterator at p: the sentinel's type for a start
// position, or AT_SEQUENCE_NUMBER for a checkpoint, whose record (and any
// earlier user record of a KPL aggregate) convert then drops, as the KCL
// does. It retries until it succeeds, and reports false if ctx ended
// first.
func (w *worker) iterator(ctx context.Context, p lease.Position) (string, bool) {
	in := &kinesis.GetShardIteratorInput{StreamName: aws.String(w.cfg.Stream), ShardId: aws.String(w.shard)}
	switch p.SequenceNumber {
	case lease.TrimHorizon:
		in.ShardIteratorType = types.ShardIteratorTypeTrimHorizon
	case lease.Latest:
		in.ShardIteratorType = types.ShardIteratorTypeLatest
	case lease.AtTimestamp:
		in.ShardIteratorType = types.ShardIteratorTypeAtTimestamp
		in.Timestamp = aws.Time(w.cfg.Timestamp)
	default:
		in.ShardIteratorType = types.ShardIteratorTypeAtSequenceNumber
		in.StartingSequenceNumber = aws.String(p.SequenceNumber)
	}
	backoff := time.Duration(0)
	for {
		out, err := w.d.kin.GetShardIterator(ctx, in)
		if err == nil && out.ShardIterator != nil {
			return *out.ShardIterator, true
		}
		if ctx.Err() != nil {
			return "", false
		}
		if err == nil {
			err = errors.New("the response has no ShardIterator")
		}
		backoff = nextBackoff(backoff, w.cfg.IdleTime)
		w.log.Warn("GetShardIterator failed; retrying", "type", in.ShardIteratorType, "error", err, "in", backoff)
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
// resharding); records at or before w.after are dropped.
func (w *worker) convert(in []types.Record) []protocol.Record {
	var out []protocol.Record
	// Records come in order, so only those before the first one past
	// w.after need comparing with it.
	skipping := protocol.IsSequenceNumber(w.after.SequenceNumber)
	add := func(r protocol.Record) {
		if skipping {
			p := lease.Position{SequenceNumber: r.SequenceNumber, SubSequenceNumber: r.SubSequenceNumber.V}
			if lease.Compare(p, w.after) <= 0 {
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
				if !w.owns(hashKey(u.partitionKey, u.explicitHashKey)) {
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

func (w *worker) owns(h *big.Int) bool {
	if w.hashStart == nil || w.hashEnd == nil {
		return true
	}
	return w.hashStart.Cmp(h) <= 0 && h.Cmp(w.hashEnd) <= 0
}

// exchange sends m and serves the child until its status (spec §3.1):
// checkpoint requests are answered by the daemon's rules, lines the
// daemon's reader would skip are logged and skipped, other messages are
// ignored. It returns a *ShardFailure if the child answers with the wrong
// status, writes the JSON literal null, closes its output, or says nothing
// for cfg.Timeout; during shutdownRequested the first of those is only
// logged, as by the daemon.
func (w *worker) exchange(m protocol.Message) *ShardFailure {
	w.lease.Begin(m)
	action := m.Action()
	w.setState("waiting for the status of " + action)
	fail := func(got, reason string) *ShardFailure {
		return &ShardFailure{Sent: describe(m), Got: got, Reason: reason}
	}
	var timeout <-chan time.Time
	var timer *time.Timer
	if w.cfg.Timeout > 0 {
		timer = time.NewTimer(w.cfg.Timeout)
		defer timer.Stop()
		timeout = timer.C
	}
	timedOut := func() *ShardFailure {
		w.child.kill()
		return fail(fmt.Sprintf("nothing within timeoutInSeconds=%d", int(w.cfg.Timeout/time.Second)),
			"the Java daemon halts (Runtime.halt(1)), ending every shard at once; kcl local killed this child and stops this shard only")
	}
	stopped := func() *ShardFailure {
		w.child.kill()
		return fail("no status before kcl local had to stop (shutdown timeout or a second interrupt)", "killed the child")
	}

	// The action is written while the child's output is read, as the Java
	// daemon writes on another thread: a child that no longer reads its
	// stdin blocks the write of a batch larger than the pipe's buffer, and
	// must still meet timeoutInSeconds and the shutdown timeout.
	writing := make(chan error, 1)
	go func() { writing <- w.child.w.Write(m) }()
	writeFailed := func(err error) *ShardFailure {
		return fail(fmt.Sprintf("no reader: writing to its stdin failed (%v); the child %s", err, w.child.exitStatus(time.Second)), javaExits)
	}
	defer func() {
		if writing != nil {
			// The exchange failed with the write still blocked: the
			// child's stdin closes now, as it would in the termination
			// sequence, which ends the write.
			w.child.closeStdin()
			<-writing
		}
	}()
	// written waits for the action's write to end, before a checkpoint
	// reply is written or the exchange succeeds.
	written := func() *ShardFailure {
		if writing == nil {
			return nil
		}
		select {
		case err := <-writing:
			writing = nil
			if err != nil {
				return writeFailed(err)
			}
			return nil
		case <-timeout:
			return timedOut()
		case <-w.hard.Done():
			return stopped()
		}
	}
	for {
		select {
		case err := <-writing:
			writing = nil
			if err != nil {
				return writeFailed(err)
			}
		case l, ok := <-w.child.lines:
			if !ok || l.err != nil {
				if action == protocol.ActionShutdownRequested {
					w.log.Error("the child's output ended during shutdownRequested, which the daemon only logs; the next action will fail")
					return nil
				}
				return fail(fmt.Sprintf("the end of its output (the child %s)", w.child.exitStatus(time.Second)), javaExits)
			}
			line := l.text
			trimmed := bytes.TrimSpace(line)
			if len(trimmed) == 0 {
				continue
			}
			if string(trimmed) == "null" {
				return fail(quoteLine(trimmed), "the JSON literal null makes the Java daemon fail with a NullPointerException; "+javaExits)
			}
			msg, err := protocol.DecodeChild(line)
			if err == nil {
				if why := jacksonSkips(line, msg.Action()); why != "" {
					err = errors.New(why)
				}
			}
			if err != nil {
				w.log.Info("skipping an unexpected line on the child's stdout, as the daemon does", "line", shorten(line), "why", err.Error())
				continue
			}
			switch msg := msg.(type) {
			case protocol.Checkpoint:
				if f := written(); f != nil {
					return f
				}
				reply := w.checkpoint(action, msg)
				if err := w.child.w.Write(reply); err != nil {
					return fail(fmt.Sprintf("a checkpoint request whose reply could not be written (%v)", err), javaExits)
				}
				if timer != nil {
					timer.Reset(w.cfg.Timeout)
				}
			case protocol.Status:
				if msg.ResponseFor == action {
					return written()
				}
				if action == protocol.ActionShutdownRequested {
					w.log.Error("the child failed to complete the shutdown notification, as the daemon logs it; going on", "sent", action, "got", shorten(line))
					return written()
				}
				return fail(quoteLine(line), fmt.Sprintf("a status for %q, not for %q; %s", msg.ResponseFor, action, javaExits))
			default:
				w.log.Debug("ignoring a message the daemon does not expect from a child", "line", shorten(line))
				if timer != nil {
					timer.Reset(w.cfg.Timeout) // the daemon's wait was for any message
				}
			}
		case <-timeout:
			return timedOut()
		case <-w.hard.Done():
			return stopped()
		}
	}
}

// checkpoint performs a checkpoint request and returns the reply: an echo
// of the request, with the exception the daemon would report, if any. A
// checkpoint is stored before the reply says it succeeded.
func (w *worker) checkpoint(action string, req protocol.Checkpoint) protocol.CheckpointReply {
	reply := protocol.CheckpointReply{SequenceNumber: req.SequenceNumber, SubSequenceNumber: req.SubSequenceNumber}
	exc := w.lease.NoCheckpointer()
	var target lease.Position
	if exc == "" {
		target, exc = w.lease.Target(req)
	}
	if exc == "" && target != w.lease.Checkpoint() {
		if err := w.d.store.Set(w.cfg.Stream, w.shard, target); err != nil {
			w.log.Error("cannot store the checkpoint", "error", err)
			exc = "KinesisClientLibDependencyException" // what a failing lease table gives
		} else {
			w.lease.Set(target)
			w.log.Info("checkpoint", "at", target.String(), "during", action)
		}
	}
	if exc != "" {
		reply.Error = protocol.Some(exc)
		w.log.Warn("checkpoint refused", "request", string(protocol.Append(nil, req)), "during", action, "exception", exc,
			"checkpoint", w.lease.Checkpoint().String(), "largestAllowed", w.lease.Largest().String())
	}
	return reply
}

// shardEnd sends shardEnded and ends the child. The shard is finished only
// if the child checkpointed SHARD_END.
func (w *worker) shardEnd() result {
	w.log.Info("reached the end of the shard")
	if f := w.exchange(protocol.ShardEnded{}); f != nil {
		return w.failed(f)
	}
	res := result{shard: w.shard, finished: w.lease.Checkpoint() == lease.ShardEnd}
	exitErr := w.terminate("shardEnded")
	if !res.finished {
		if exitErr != nil {
			w.log.Error(exitErr.Error())
		}
		return w.failed(&ShardFailure{Sent: "shardEnded", Got: "a status with no SHARD_END checkpoint (the checkpoint is " + w.lease.Checkpoint().String() + ")",
			Reason: "the child must checkpoint with a null sequence number before its status; the Java daemon retries the shard end for ever and never starts the child shards; kcl local leaves the shard unfinished, so its child shards do not start"})
	}
	w.log.Info("shard finished: SHARD_END is checkpointed")
	if exitErr != nil {
		w.log.Error(exitErr.Error())
		res.err = exitErr
	}
	return res
}

// shutdown runs the graceful end the Java daemon gives a child when the
// worker shuts down (spec §3.3 path c): shutdownRequested, during which the
// child may checkpoint what it processed, then leaseLost, then EOF on
// stdin and the wait for the exit.
func (w *worker) shutdown() result {
	w.log.Info("shutting down: shutdownRequested, then leaseLost")
	if f := w.exchange(protocol.ShutdownRequested{}); f != nil {
		return w.failed(f)
	}
	if f := w.exchange(protocol.LeaseLost{}); f != nil {
		return w.failed(f)
	}
	res := result{shard: w.shard}
	if f := w.terminate("leaseLost"); f != nil {
		w.log.Error(f.Error())
		res.err = f
	}
	return res
}

// terminate closes the child's stdin and waits for it to exit, reporting
// a child that had to be killed.
func (w *worker) terminate(after string) *ShardFailure {
	w.setState("waiting for the child to exit")
	clean, drained := w.child.terminate(w.hard, w.cfg.ExitTimeout)
	w.terminated = true
	for _, l := range drained {
		w.log.Info("drained a line from the child's stdout", "line", shorten([]byte(l)))
	}
	status := w.child.exitStatus(time.Second)
	w.setState("stopped")
	if !clean {
		return &ShardFailure{Shard: w.shard, Sent: after + ", then EOF on stdin", Got: fmt.Sprintf("no exit within %v", w.cfg.ExitTimeout),
			Reason: "a child must exit when its stdin closes; the Java daemon would wait for ever, blocking this shard; kcl local killed it (" + status + ")"}
	}
	w.log.Info("the child "+status, "after", after)
	return nil
}

// failed ends the child after a failure, as the daemon's termination
// sequence does, and returns the result reporting f.
func (w *worker) failed(f *ShardFailure) result {
	f.Shard = w.shard
	w.setState("failed")
	w.log.Error(f.Error())
	if w.child != nil && !w.terminated {
		// A child that broke the protocol is not trusted to exit: give it
		// the sequence, but only a moment.
		w.child.terminate(w.hard, min(w.cfg.ExitTimeout, 2*time.Second))
		w.terminated = true
		w.log.Info("the failed shard's child " + w.child.exitStatus(time.Second))
	}
	return result{shard: w.shard, err: f}
}
