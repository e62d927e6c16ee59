package producer

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kclgo/mld/internal/stream"
	"github.com/kclgo/mld/internal/stream/kinesisfake"
)

var _ = flag.Bool("update", false, "accepted so that go test ./... -update works; this package has no golden files")

func newFake(t *testing.T, shards int) (*kinesisfake.Server, API) {
	t.Helper()
	fake := kinesisfake.New()
	t.Cleanup(fake.Close)
	fake.CreateStream("s", shards)
	client, err := stream.NewClient(context.Background(), "", fake.URL)
	if err != nil {
		t.Fatal(err)
	}
	// The SDK's own retries are off, so that the counts below are the
	// producer's: once, under load, a transport error made the SDK send a
	// call that had been applied again, and the stream held it twice.
	return fake, kinesis.New(client.Options(), func(o *kinesis.Options) { o.RetryMaxAttempts = 1 })
}

func TestBatching(t *testing.T) {
	fake, api := newFake(t, 4)
	var written []Written
	p := New(api, "s", Options{OnWritten: func(r Record, w Written) { written = append(written, w) }})
	ctx := context.Background()
	for i := range 1200 {
		if err := p.Add(ctx, Record{PartitionKey: fmt.Sprintf("k%d", i), Data: fmt.Appendf(nil, "%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	s := p.Summary()
	if s.Records != 1200 || s.Calls != 3 || s.Retries != 0 || fake.Calls("PutRecords") != 3 {
		t.Errorf("summary %+v with %d calls, want 1200 records in 3 calls of at most 500", s, fake.Calls("PutRecords"))
	}
	if len(written) != 1200 {
		t.Errorf("OnWritten called %d times, want 1200", len(written))
	}
	total := 0
	for _, id := range s.ShardIDs() {
		recs := fake.Records("s", id)
		total += len(recs)
		if sh := s.Shards[id]; sh.Records != len(recs) || sh.Last != recs[len(recs)-1].SequenceNumber {
			t.Errorf("%s: summary %+v, the stream has %d records ending at %s", id, sh, len(recs), recs[len(recs)-1].SequenceNumber)
		}
	}
	if total != 1200 || len(s.Shards) != 4 {
		t.Errorf("%d records over %d shards, want 1200 over 4", total, len(s.Shards))
	}
}

func TestBatchBytes(t *testing.T) {
	fake, api := newFake(t, 1)
	p := New(api, "s", Options{})
	ctx := context.Background()
	big := bytes.Repeat([]byte("x"), MaxRecordBytes-2)
	for range 6 {
		if err := p.Add(ctx, Record{PartitionKey: "kk", Data: big}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Records of 1 MiB with their keys: 5 fill a call, so 5 + 1.
	if n := fake.Calls("PutRecords"); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
	// Kinesis takes 1 MiB per record, data and partition key together.
	if err := p.Add(ctx, Record{PartitionKey: "kkk", Data: big}); err == nil || !strings.Contains(err.Error(), "Kinesis takes at most 1048576 (1 MiB) per record") {
		t.Errorf("Add of a record over 1 MiB = %v", err)
	}
}

func TestRetriesOnlyFailedEntries(t *testing.T) {
	fake, api := newFake(t, 2)
	fake.FailPutEntries("ProvisionedThroughputExceededException", "InternalFailure", "ProvisionedThroughputExceededException")
	var retries []string
	p := New(api, "s", Options{BaseDelay: time.Millisecond, OnRetry: func(entries, attempt int, delay time.Duration, codes map[string]int) {
		retries = append(retries, fmt.Sprintf("%d entries, attempt %d, after %v, %v", entries, attempt, delay, codes))
	}})
	ctx := context.Background()
	for i := range 5 {
		p.Add(ctx, Record{PartitionKey: fmt.Sprintf("k%d", i), Data: fmt.Appendf(nil, "%d", i)})
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	s := p.Summary()
	if s.Records != 5 || s.Retries != 3 || s.Calls != 2 {
		t.Errorf("summary %+v, want 5 records, 3 entries retried in one more call", s)
	}
	want := []string{"3 entries, attempt 2, after 1ms, map[InternalFailure:1 ProvisionedThroughputExceededException:2]"}
	if fmt.Sprint(retries) != fmt.Sprint(want) {
		t.Errorf("retries %q, want %q", retries, want)
	}
	// Each record is in the stream exactly once.
	seen := map[string]int{}
	for _, id := range []string{"shardId-000000000000", "shardId-000000000001"} {
		for _, r := range fake.Records("s", id) {
			seen[string(r.Data)]++
		}
	}
	for i := range 5 {
		if n := seen[fmt.Sprint(i)]; n != 1 {
			t.Errorf("record %d written %d times", i, n)
		}
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	fake, api := newFake(t, 1)
	fake.FailPutEntries(strings.Split(strings.Repeat("ProvisionedThroughputExceededException,", 6), ",")[:6]...)
	p := New(api, "s", Options{MaxAttempts: 3, BaseDelay: time.Millisecond})
	ctx := context.Background()
	p.Add(ctx, Record{PartitionKey: "a", Data: []byte("1")})
	p.Add(ctx, Record{PartitionKey: "b", Data: []byte("2")})
	err := p.Flush(ctx)
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "producer: 2 records not written after 3 attempts each") {
		t.Fatalf("Flush = %v, want ErrFailed after 3 attempts", err)
	}
	if s := p.Summary(); s.Calls != 3 || s.Retries != 4 || s.Records != 0 {
		t.Errorf("summary %+v, want 3 calls, 4 entries retried, nothing written", s)
	}
}

func TestBadRecords(t *testing.T) {
	_, api := newFake(t, 1)
	p := New(api, "s", Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		r    Record
		want string
	}{
		{Record{Data: []byte("x")}, "empty partition key"},
		{Record{PartitionKey: strings.Repeat("é", 257)}, "partition key of 257 characters"},
	} {
		if err := p.Add(ctx, tc.r); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Add(%.20q) = %v, want %q", tc.r.PartitionKey, err, tc.want)
		}
	}
}

func TestStreamErrors(t *testing.T) {
	_, api := newFake(t, 1)
	p := New(api, "missing", Options{})
	ctx := context.Background()
	p.Add(ctx, Record{PartitionKey: "a", Data: []byte("1")})
	if err := p.Flush(ctx); err == nil || !strings.Contains(err.Error(), `producer: PutRecords to stream "missing"`) || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("Flush to a missing stream = %v", err)
	}
}
