// Package producer writes records to a Kinesis stream with PutRecords: it
// batches them within the API's limits (500 records and 5 MiB per call,
// 1 MiB per record, partition keys included) and resends only the entries a call reports as
// failed, with exponential backoff and a bound on the attempts. It is what
// "kcl put" runs, and what the local demo and end-to-end tests produce
// with.
package producer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// The PutRecords limits.
const (
	MaxBatchRecords = 500
	MaxBatchBytes   = 5 << 20 // data plus partition keys
	MaxRecordBytes  = 1 << 20 // one record's data plus partition key
	MaxKeyLength    = 256     // Unicode characters
)

// API is the call a Producer makes; *kinesis.Client implements it.
type API interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

var _ API = (*kinesis.Client)(nil)

// Record is a record to write.
type Record struct {
	PartitionKey    string
	Data            []byte
	ExplicitHashKey string // optional
}

// Written is where a record went.
type Written struct {
	ShardID        string
	SequenceNumber string
}

// Options tune the retries of failed entries. Zero values mean the
// defaults.
type Options struct {
	// MaxAttempts bounds how often one record is sent; default 8.
	MaxAttempts int
	// BaseDelay is the wait before the first resend, doubled for each
	// further one up to MaxDelay; defaults 100ms and 5s.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// OnWritten, if set, is called for every record once written, in the
	// order the records were added within each call.
	OnWritten func(r Record, w Written)
	// OnRetry, if set, is called before each resend with the number of
	// entries resent, the attempt about to be made and the error codes
	// the call reported, by count.
	OnRetry func(entries, attempt int, delay time.Duration, codes map[string]int)
}

// Summary counts what a Producer did.
type Summary struct {
	Records int // records written
	Calls   int // PutRecords calls made
	Retries int // entries resent after a failure
	Shards  map[string]ShardSummary
}

// ShardSummary is what went to one shard.
type ShardSummary struct {
	Records int
	Last    string // the sequence number of the last record written
}

// ShardIDs returns the shards written to, in order.
func (s Summary) ShardIDs() []string {
	ids := make([]string, 0, len(s.Shards))
	for id := range s.Shards {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Producer batches records for one stream. It is not safe for concurrent
// use.
type Producer struct {
	api     API
	stream  string
	opts    Options
	batch   []Record
	size    int
	summary Summary
}

// New returns a Producer writing to stream through api.
func New(api API, stream string, opts Options) *Producer {
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if opts.BaseDelay <= 0 {
		opts.BaseDelay = 100 * time.Millisecond
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = 5 * time.Second
	}
	return &Producer{api: api, stream: stream, opts: opts, summary: Summary{Shards: map[string]ShardSummary{}}}
}

// ErrFailed is wrapped by the error for records that still failed after
// MaxAttempts.
var ErrFailed = errors.New("records not written")

// Add queues r, first sending the queued batch if r would not fit in it.
// It returns an error for a record the API cannot take, or from the send.
func (p *Producer) Add(ctx context.Context, r Record) error {
	n := utf8.RuneCountInString(r.PartitionKey)
	switch {
	case n == 0:
		return errors.New("producer: empty partition key: every record needs one")
	case n > MaxKeyLength:
		return fmt.Errorf("producer: partition key of %d characters: Kinesis takes at most %d", n, MaxKeyLength)
	}
	// Kinesis refuses the whole call for one record over the limit, so
	// it is refused here, before the records queued with it are lost.
	size := len(r.Data) + len(r.PartitionKey)
	if size > MaxRecordBytes {
		return fmt.Errorf("producer: a record of %d bytes with its partition key: Kinesis takes at most %d (1 MiB) per record", size, MaxRecordBytes)
	}
	if len(p.batch) == MaxBatchRecords || p.size+size > MaxBatchBytes {
		if err := p.Flush(ctx); err != nil {
			return err
		}
	}
	p.batch = append(p.batch, r)
	p.size += size
	return nil
}

// Flush sends the queued records, resending failed entries until each is
// written or has been sent MaxAttempts times.
func (p *Producer) Flush(ctx context.Context) error {
	pending := p.batch
	p.batch, p.size = nil, 0
	for attempt := 1; len(pending) > 0; attempt++ {
		entries := make([]types.PutRecordsRequestEntry, len(pending))
		for i, r := range pending {
			entries[i] = types.PutRecordsRequestEntry{Data: r.Data, PartitionKey: aws.String(r.PartitionKey)}
			if r.ExplicitHashKey != "" {
				entries[i].ExplicitHashKey = aws.String(r.ExplicitHashKey)
			}
		}
		p.summary.Calls++
		out, err := p.api.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(p.stream), Records: entries})
		if err != nil {
			return fmt.Errorf("producer: PutRecords to stream %q: %w", p.stream, err)
		}
		if len(out.Records) != len(pending) {
			return fmt.Errorf("producer: PutRecords answered %d entries for %d records", len(out.Records), len(pending))
		}
		var failed []Record
		codes := map[string]int{}
		for i, e := range out.Records {
			if e.ErrorCode != nil {
				failed = append(failed, pending[i])
				codes[*e.ErrorCode]++
				continue
			}
			w := Written{ShardID: aws.ToString(e.ShardId), SequenceNumber: aws.ToString(e.SequenceNumber)}
			s := p.summary.Shards[w.ShardID]
			s.Records++
			s.Last = w.SequenceNumber
			p.summary.Shards[w.ShardID] = s
			p.summary.Records++
			if p.opts.OnWritten != nil {
				p.opts.OnWritten(pending[i], w)
			}
		}
		if len(failed) == 0 {
			return nil
		}
		if attempt == p.opts.MaxAttempts {
			return fmt.Errorf("producer: %d %w after %d attempts each (error codes %v): the stream is throttled or failing; retry later or with a larger -retries", len(failed), ErrFailed, attempt, codes)
		}
		delay := p.opts.BaseDelay
		for i := 1; i < attempt && delay < p.opts.MaxDelay; i++ {
			delay *= 2
		}
		delay = min(delay, p.opts.MaxDelay)
		if p.opts.OnRetry != nil {
			p.opts.OnRetry(len(failed), attempt+1, delay, codes)
		}
		p.summary.Retries += len(failed)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		pending = failed
	}
	return nil
}

// Summary returns the counts so far.
func (p *Producer) Summary() Summary { return p.summary }
