package local

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kclgo/mld/internal/lease"
)

// Kinesis is the part of the Kinesis API the daemon calls; *kinesis.Client
// implements it.
type Kinesis interface {
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, optFns ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

var _ Kinesis = (*kinesis.Client)(nil)

// ErrShardsFailed is wrapped by the *FailedError Run returns when one or
// more shards stopped because of their child.
var ErrShardsFailed = errors.New("shards failed")

// FailedError reports the shards that failed during Run, each of which was
// also logged when it happened.
type FailedError struct {
	Failures []*ShardFailure
	Shards   int // how many shards Run knew
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("local: %d of %d shards failed", len(e.Failures), e.Shards)
}

func (e *FailedError) Unwrap() error { return ErrShardsFailed }

// Daemon consumes one stream the way the KCL MultiLangDaemon does, on this
// machine only: one worker holding every shard, checkpoints in a local
// file. See the package documentation.
type Daemon struct {
	cfg   Config
	kin   Kinesis
	store *Store

	abortOnce sync.Once
	abort     chan struct{}
}

// New checks cfg and returns a Daemon that reads through kin.
func New(cfg Config, kin Kinesis) (*Daemon, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Daemon{cfg: cfg, kin: kin, abort: make(chan struct{})}, nil
}

// Abort makes a running Run kill every child at once and return: the
// answer to a second interrupt while a graceful shutdown is under way.
func (d *Daemon) Abort() {
	d.abortOnce.Do(func() { close(d.abort) })
}

// shardState is where a shard stands.
type shardState int

const (
	pending  shardState = iota // not started: waiting for its parents, or for a start
	running                    // a shard consumer holds it
	finished                   // SHARD_END is checkpointed
	skipped                    // closed before the start with LATEST: never read
	failed                     // its child failed; it is not retried
	stopped                    // shut down gracefully
)

type shardInfo struct {
	id, parent, adjacent string
	closed               bool
	hashStart, hashEnd   *big.Int
	state                shardState
	consumer             *shardConsumer
	err                  *ShardFailure
}

// Run consumes the stream until ctx is cancelled, then shuts every child
// down gracefully (shutdownRequested, leaseLost, EOF on stdin; see the
// package documentation) within cfg.ShutdownTimeout, and returns. It also
// returns once no shard is left that could run: every shard finished or
// failed, or waiting behind a failed parent. The error is a *FailedError
// (wrapping ErrShardsFailed) if any shard failed; other errors mean the
// stream could not be read at all.
func (d *Daemon) Run(ctx context.Context) error {
	cfg := &d.cfg
	log := cfg.Logger
	for _, limit := range []string{procLimit, lockLimit} {
		if limit != "" {
			log.Warn(limit)
		}
	}
	store, err := OpenStore(cfg.CheckpointFile)
	if err != nil {
		return err
	}
	defer store.Close()
	d.store = store

	// hard is cancelled when the children must be killed: the shutdown
	// timeout has passed, or Abort was called.
	hard, killAll := context.WithCancel(context.Background())
	defer killAll()
	go func() {
		select {
		case <-d.abort:
			killAll()
		case <-ctx.Done():
			select {
			case <-d.abort:
			case <-time.After(cfg.ShutdownTimeout):
				log.Error("the graceful shutdown took longer than the shutdown timeout; killing the children left", "timeout", cfg.ShutdownTimeout)
			case <-hard.Done():
				return
			}
			killAll()
		case <-hard.Done():
		}
	}()

	shards := map[string]*shardInfo{}
	listed, err := d.listShards(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("local: listing the shards of stream %q: %w (check streamName, regionName, kinesisEndpoint and the credentials)", cfg.Stream, err)
	}
	d.merge(shards, listed, true)
	log.Info("consuming", "stream", cfg.Stream, "shards", len(listed), "checkpoints", store.Path(), "initialPosition", cfg.InitialPosition)

	results := make(chan result)
	nrunning := 0
	schedule := func() {
		for _, s := range sorted(shards) {
			if s.state != pending || !parentsDone(shards, s) || ctx.Err() != nil {
				continue
			}
			sc := d.newConsumer(shards, s, hard)
			s.state, s.consumer = running, sc
			nrunning++
			go func() { results <- sc.run(ctx) }()
		}
	}
	schedule()

	syncTick := time.NewTicker(cfg.ShardSync)
	defer syncTick.Stop()
	var progress <-chan time.Time
	if cfg.Progress > 0 {
		t := time.NewTicker(cfg.Progress)
		defer t.Stop()
		progress = t.C
	}
	relist := func() {
		l, err := d.listShards(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("listing the shards failed; trying again later", "error", err)
			}
			return
		}
		d.merge(shards, l, false)
	}
	done := ctx.Done()
	for {
		if nrunning == 0 && (done == nil || !anyStartable(shards)) {
			break
		}
		select {
		case <-done:
			log.Info("shutting down: every child gets shutdownRequested, then leaseLost, then EOF", "shards", nrunning)
			done = nil // wait for the shard consumers, which see ctx too
		case r := <-results:
			nrunning--
			s := shards[r.shard]
			s.err = r.err
			switch {
			case r.finished:
				s.state = finished
			case r.err != nil:
				s.state = failed
			default:
				s.state = stopped
			}
			if r.finished && ctx.Err() == nil {
				relist() // the children of a finished shard can start now
			}
			schedule()
		case <-syncTick.C:
			if ctx.Err() == nil {
				relist()
				schedule()
			}
		case <-progress:
			for _, s := range sorted(shards) {
				if s.state == running {
					s.consumer.progress()
				}
			}
		}
	}

	var failures []*ShardFailure
	for _, s := range sorted(shards) {
		if s.err != nil {
			failures = append(failures, s.err)
		}
	}
	if len(failures) > 0 {
		return &FailedError{Failures: failures, Shards: len(shards)}
	}
	if ctx.Err() == nil {
		log.Info("every shard is finished (closed and read to SHARD_END): nothing left to consume")
	}
	return nil
}

func sorted(shards map[string]*shardInfo) []*shardInfo {
	out := make([]*shardInfo, 0, len(shards))
	for _, s := range shards {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// parentsDone reports whether s may start: each parent the listing knows
// is finished or was skipped. A parent missing from the listing has
// expired, and does not hold its children back (as in the KCL).
func parentsDone(shards map[string]*shardInfo, s *shardInfo) bool {
	for _, id := range []string{s.parent, s.adjacent} {
		if p, ok := shards[id]; ok && p.state != finished && p.state != skipped {
			return false
		}
	}
	return true
}

// anyStartable reports whether some shard could still run: a pending shard
// whose ancestors are not failed or stopped.
func anyStartable(shards map[string]*shardInfo) bool {
	var blocked func(s *shardInfo, depth int) bool
	blocked = func(s *shardInfo, depth int) bool {
		if depth > len(shards) {
			return true // a cycle; Kinesis never makes one
		}
		for _, id := range []string{s.parent, s.adjacent} {
			p, ok := shards[id]
			if !ok {
				continue
			}
			if p.state == failed || p.state == stopped || (p.state == pending && blocked(p, depth+1)) {
				return true
			}
		}
		return false
	}
	for _, s := range shards {
		if s.state == pending && !blocked(s, 0) {
			return true
		}
	}
	return false
}

// merge adds the shards of a listing that are new. At the first listing
// with LATEST, closed shards with no checkpoint are skipped, as the KCL
// creates no leases for them; a shard with a SHARD_END checkpoint is
// finished.
func (d *Daemon) merge(shards map[string]*shardInfo, listed []*shardInfo, first bool) {
	for _, s := range listed {
		if _, ok := shards[s.id]; ok {
			if s.closed {
				shards[s.id].closed = true
			}
			continue
		}
		cp, has := d.store.Get(d.cfg.Stream, s.id)
		switch {
		case has && cp.SequenceNumber == lease.ShardEndSeq:
			s.state = finished
		case !has && first && s.closed && d.cfg.InitialPosition == lease.Latest:
			s.state = skipped
		}
		shards[s.id] = s
		if !first {
			d.cfg.Logger.Info("found a new shard", "shard", s.id, "parent", s.parent, "adjacentParent", s.adjacent)
		}
	}
}

// newConsumer prepares the shard consumer of s. Its start is the stored checkpoint;
// for a shard never checkpointed it is TRIM_HORIZON if a parent was (or is
// to be) read, so that nothing written after the split or merge is
// missed, and the initial position otherwise.
func (d *Daemon) newConsumer(shards map[string]*shardInfo, s *shardInfo, hard context.Context) *shardConsumer {
	start := lease.Position{SequenceNumber: d.cfg.InitialPosition}
	if cp, ok := d.store.Get(d.cfg.Stream, s.id); ok {
		start = cp.Position()
	} else {
		for _, id := range []string{s.parent, s.adjacent} {
			if p, ok := shards[id]; ok && p.state != skipped {
				start = lease.Position{SequenceNumber: lease.TrimHorizon}
			}
		}
	}
	return &shardConsumer{
		d: d, cfg: &d.cfg, shard: s.id, hard: hard, start: start,
		hashStart: s.hashStart, hashEnd: s.hashEnd,
		log: d.cfg.Logger.With("shard", s.id),
	}
}

// listShards returns every shard of the stream, following NextToken.
func (d *Daemon) listShards(ctx context.Context) ([]*shardInfo, error) {
	var out []*shardInfo
	in := &kinesis.ListShardsInput{StreamName: aws.String(d.cfg.Stream)}
	for {
		page, err := d.kin.ListShards(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, sh := range page.Shards {
			s := &shardInfo{
				id:       aws.ToString(sh.ShardId),
				parent:   aws.ToString(sh.ParentShardId),
				adjacent: aws.ToString(sh.AdjacentParentShardId),
				closed:   sh.SequenceNumberRange != nil && sh.SequenceNumberRange.EndingSequenceNumber != nil,
			}
			if sh.HashKeyRange != nil {
				s.hashStart, _ = new(big.Int).SetString(aws.ToString(sh.HashKeyRange.StartingHashKey), 10)
				s.hashEnd, _ = new(big.Int).SetString(aws.ToString(sh.HashKeyRange.EndingHashKey), 10)
			}
			out = append(out, s)
		}
		if page.NextToken == nil || *page.NextToken == "" {
			return out, nil
		}
		in = &kinesis.ListShardsInput{NextToken: page.NextToken}
	}
}
