package e2e

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kclgo/mld/internal/stream/kinesalite"
)

// Every record is processed at least once by the sample processor, and
// after a graceful stop each shard's checkpoint is its last record.
func TestEveryRecordAtLeastOnce(t *testing.T) {
	client, stream := newStream(t, "e2e-every-record", 4)
	var w written
	produce(t, client, stream, "rec", 400, &w)
	dir := t.TempDir()
	props := writeProps(t, dir, stream, filepath.Join(bin, "sample-processor")+" -checkpoint-every-records 25", "maxRecords = 40")
	cps := filepath.Join(dir, "checkpoints.json")
	r := startLocal(t, props, cps, "-progress", "100ms")
	r.waitFor("every record processed", time.Minute, allSeen(&w, r.stderr.String))
	r.waitFor("a progress line with every record", 10*time.Second, func() bool {
		return regexp.MustCompile(`progress shard=shardId-000000000003 records=\d+ millisBehindLatest=0 checkpoint=`).MatchString(r.stderr.String())
	})
	if code := r.stop(); code != 0 {
		t.Fatalf("kcl local exited %d after SIGTERM, want 0", code)
	}
	stderr := r.stderr.String()
	c := counts(stderr)
	dups := 0
	for _, s := range w.seqs {
		dups += c[s] - 1
	}
	t.Logf("%d records, %d shards, %d processed twice", len(w.seqs), len(w.last), dups)
	got := checkpoints(t, cps, stream)
	if len(w.last) != 4 {
		t.Fatalf("the producer wrote to %d shards, want 4", len(w.last))
	}
	for shard, last := range w.last {
		if got[shard].SequenceNumber != last {
			t.Errorf("%s: checkpoint %q, want its last record %q", shard, got[shard].SequenceNumber, last)
		}
	}
	for _, want := range []string{
		"signal received: shutting down gracefully",
		"msg=\"shutdown requested\"", "msg=\"lease lost\"",
		"the child exited with status 0 shard=shardId-000000000003 after=leaseLost",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
}

// A shard split during the run: the parent ends with a SHARD_END
// checkpoint, its children start only afterwards, from TRIM_HORIZON, and
// every shard's records are processed in order.
func TestReshardingDuringTheRun(t *testing.T) {
	client, stream := newStream(t, "e2e-resharding", 2)
	var w written
	produce(t, client, stream, "before", 100, &w)
	dir := t.TempDir()
	props := writeProps(t, dir, stream, filepath.Join(bin, "sample-processor")+" -checkpoint-every-records 10", "maxRecords = 25")
	cps := filepath.Join(dir, "checkpoints.json")
	r := startLocal(t, props, cps)
	r.waitFor("the records written before the split", time.Minute, allSeen(&w, r.stderr.String))

	parent := "shardId-000000000000"
	shards := listShards(t, client, stream)
	var hashes *big.Int
	for _, s := range shards.Shards {
		if *s.ShardId == parent {
			start, _ := new(big.Int).SetString(*s.HashKeyRange.StartingHashKey, 10)
			end, _ := new(big.Int).SetString(*s.HashKeyRange.EndingHashKey, 10)
			hashes = new(big.Int).Rsh(new(big.Int).Add(start, end), 1)
		}
	}
	ctx := context.Background()
	if _, err := client.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(stream), ShardToSplit: aws.String(parent),
		NewStartingHashKey: aws.String(hashes.String())}); err != nil {
		t.Fatal(err)
	}
	if err := kinesalite.WaitActive(ctx, client, stream); err != nil {
		t.Fatal(err)
	}
	produce(t, client, stream, "after", 100, &w)
	kids := []string{"shardId-000000000002", "shardId-000000000003"}
	for _, k := range kids {
		if len(w.byShrd[k]) == 0 {
			t.Fatalf("no record went to the child shard %s", k)
		}
	}
	r.waitFor("every record, the child shards' included", time.Minute, allSeen(&w, r.stderr.String))
	r.waitFor("the parent's SHARD_END", 30*time.Second, func() bool {
		return strings.Contains(r.stderr.String(), "shard finished: SHARD_END is checkpointed shard="+parent)
	})
	if code := r.stop(); code != 0 {
		t.Fatalf("kcl local exited %d, want 0", code)
	}
	stderr := r.stderr.String()
	got := checkpoints(t, cps, stream)
	if got[parent].SequenceNumber != "SHARD_END" {
		t.Errorf("the parent's checkpoint is %q, want SHARD_END", got[parent].SequenceNumber)
	}
	ended := lineIndex(stderr, "shard finished: SHARD_END is checkpointed shard="+parent)
	for _, k := range kids {
		if got[k].SequenceNumber != w.last[k] {
			t.Errorf("%s: checkpoint %q, want its last record %q", k, got[k].SequenceNumber, w.last[k])
		}
		if !got[k].Updated.After(got[parent].Updated) {
			t.Errorf("%s checkpointed at %v, not after its parent's SHARD_END at %v", k, got[k].Updated, got[parent].Updated)
		}
		if i := lineIndex(stderr, "started the child shard="+k); i < ended {
			t.Errorf("%s started (line %d) before its parent ended (line %d)", k, i, ended)
		}
		if i := lineIndex(stderr, "["+k+"]"); i < ended {
			t.Errorf("%s's child wrote (line %d) before its parent ended (line %d)", k, i, ended)
		}
		if !strings.Contains(stderr, "msg=\"shard assigned\" shard="+k+" checkpoint=TRIM_HORIZON") {
			t.Errorf("%s did not start at TRIM_HORIZON", k)
		}
	}
	// In order within each shard, and each record once.
	last := map[string]string{}
	for _, p := range processed(stderr) {
		if prev, ok := last[p[0]]; ok && cmpSeq(p[1], prev) <= 0 {
			t.Errorf("%s: record %s processed after %s", p[0], p[1], prev)
		}
		last[p[0]] = p[1]
	}
	c := counts(stderr)
	for _, s := range w.seqs {
		if n := c[s]; n != 1 {
			t.Errorf("record %s processed %d times, want once", s, n)
		}
	}
}

// A processor that dies in the middle of a batch: kcl local reports the
// shards as failed and exits 1; a restart resumes from the checkpoints and
// processes every record, some twice.
func TestCrashMidBatchAndRestart(t *testing.T) {
	client, stream := newStream(t, "e2e-crash", 2)
	var w written
	produce(t, client, stream, "rec", 200, &w)
	dir := t.TempDir()
	cps := filepath.Join(dir, "checkpoints.json")
	const crashAfter, every = 37, 10
	props := writeProps(t, dir, stream, fmt.Sprintf("%s e2e-child crash %d", os.Args[0], crashAfter), "maxRecords = 1000")
	r1 := startLocal(t, props, cps)
	if code := r1.wait(time.Minute); code != 1 {
		t.Fatalf("kcl local exited %d with crashing children, want 1", code)
	}
	first := r1.stderr.String()
	for _, want := range []string{
		"kcl local: 2 of 2 shards failed:",
		"failed: sent processRecords (",
		"got the end of its output (the child exited with status 3)",
		"crashing in the middle of a batch",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	got := checkpoints(t, cps, stream)
	checkpointed := crashAfter / every * every
	for shard, seqs := range w.byShrd {
		if len(seqs) < crashAfter {
			t.Fatalf("%s has only %d records", shard, len(seqs))
		}
		if want := seqs[checkpointed-1]; got[shard].SequenceNumber != want {
			t.Errorf("%s: checkpoint %q after the crash, want record %d %q", shard, got[shard].SequenceNumber, checkpointed, want)
		}
	}

	props = writeProps(t, dir, stream, filepath.Join(bin, "sample-processor")+" -checkpoint-every-records 50", "maxRecords = 1000")
	r2 := startLocal(t, props, cps)
	r2.waitFor("every record after the restart", time.Minute, allSeen(&w, func() string { return first }, r2.stderr.String))
	if code := r2.stop(); code != 0 {
		t.Fatalf("the second kcl local exited %d, want 0", code)
	}
	second := r2.stderr.String()
	c := counts(first, second)
	missing, dups := 0, 0
	for _, s := range w.seqs {
		if c[s] == 0 {
			missing++
		}
		dups += max(c[s]-1, 0)
	}
	t.Logf("%d records; %d processed twice (the crashed batches after their last checkpoint); %d missing", len(w.seqs), dups, missing)
	if missing != 0 {
		t.Errorf("%d records never processed", missing)
	}
	if want := len(w.byShrd) * (crashAfter - checkpointed); dups != want {
		t.Errorf("%d records processed twice, want %d: each shard's records after its checkpoint and before the crash", dups, want)
	}
	for shard, seqs := range w.byShrd {
		want := "msg=\"shard assigned\" shard=" + shard + " checkpoint=" + seqs[checkpointed-1]
		if !strings.Contains(second, want) {
			t.Errorf("the restart did not resume %s at its checkpoint: no %q", shard, want)
		}
	}
}

// Misbehaving children get the documented outcome: their shard fails with
// a report of what was sent and what came back, the other shard goes on
// to its last record and shuts down cleanly, and kcl local exits 1.
func TestBadChildren(t *testing.T) {
	tests := []struct {
		kind  string
		extra string
		want  []string
	}{
		{"wrong-status", "", []string{
			`got "{\"action\":\"status\",\"responseFor\":\"initialize\"}": a status for "initialize", not for "processRecords"; the Java daemon exits (System.exit(1)), stopping every shard; kcl local stops this shard only`,
		}},
		{"hang", "timeoutInSeconds = 1", []string{
			"got nothing within timeoutInSeconds=1: the Java daemon halts (Runtime.halt(1)), ending every shard at once; kcl local killed this child and stops this shard only",
			"the failed shard's child killed: signal: killed",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			client, stream := newStream(t, "e2e-bad-"+tt.kind, 2)
			var w written
			produce(t, client, stream, "rec", 10, &w)
			const good = "shardId-000000000001"
			bad := w.byShrd[badShard]
			if len(bad) == 0 || len(w.byShrd[good]) == 0 {
				t.Fatalf("the records went to %d and %d records per shard, want some on each", len(bad), len(w.byShrd[good]))
			}
			dir := t.TempDir()
			props := writeProps(t, dir, stream, os.Args[0]+" e2e-child "+tt.kind, tt.extra)
			cps := filepath.Join(dir, "checkpoints.json")
			r := startLocal(t, props, cps)
			failure := fmt.Sprintf("shard %s failed: sent processRecords (%d records, %s/0 to %s/0); ", badShard, len(bad), bad[0], bad[len(bad)-1])
			r.waitFor("the bad shard's failure", 30*time.Second, func() bool { return strings.Contains(r.stderr.String(), "ERROR "+failure) })
			r.waitFor("the good shard's last checkpoint", 30*time.Second, func() bool {
				return strings.Contains(r.stderr.String(), "checkpointed "+w.last[good])
			})
			if code := r.stop(); code != 1 {
				t.Fatalf("kcl local exited %d after SIGTERM with a failed shard, want 1", code)
			}
			stderr := r.stderr.String()
			want := append([]string{
				"kcl local: 1 of 2 shards failed:\n  " + failure,
				"the child exited with status 0 shard=" + good + " after=leaseLost",
			}, tt.want...)
			for _, s := range want {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q", s)
				}
			}
			if got := checkpoints(t, cps, stream); got[good].SequenceNumber != w.last[good] {
				t.Errorf("%s: checkpoint %q, want its last record %q", good, got[good].SequenceNumber, w.last[good])
			}
			// The children are gone.
			pids := regexp.MustCompile(`\[shardId-\d+\] pid (\d+)`).FindAllStringSubmatch(stderr, -1)
			if len(pids) != 2 {
				t.Fatalf("%d children's pids in stderr, want 2", len(pids))
			}
			for _, m := range pids {
				pid, _ := strconv.Atoi(m[1])
				checkGone(t, pid)
			}
		})
	}
}
