package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kclgo/mld/kcltest"
	"github.com/kclgo/mld/protocol"
)

// go test ./... -update is run across the module, and a test binary fails
// on a flag it does not define.
var _ = flag.Bool("update", false, "unused: no golden files in this package")

const shard = "shardId-000000000000"

var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// binary builds the sample once for all tests. Under -race the child is
// built with the race detector too: the SDK's concurrency runs in the
// child, and a race there makes it exit non-zero, which fails the test.
func binary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "sample-processor-test-"); built.err != nil {
			return
		}
		// go test puts its own GOROOT/bin first on PATH, so this is the
		// toolchain running the tests.
		goTool, err := exec.LookPath("go")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(built.dir, "sample-processor")
		args := []string{"build", "-o", built.path}
		if raceEnabled {
			args = append(args, "-race")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if out, err := exec.CommandContext(ctx, goTool, append(args, ".")...).CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// command returns the sample as the daemon would start it, with args after
// the path as in executableName, and the environment of the test with the
// sample's own variables cleared and then set from env. The process is
// killed when ctx is done.
func command(ctx context.Context, t *testing.T, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = append(os.Environ(),
		"SAMPLE_CHECKPOINT_RECORDS=", "SAMPLE_CHECKPOINT_INTERVAL=", "SAMPLE_LOG_LEVEL=",
		"TZ=UTC") // arrival times are logged in local time
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

func start(t *testing.T, env []string, args ...string) *kcltest.Daemon {
	t.Helper()
	return kcltest.StartCommand(t, command(t.Context(), t, env, args...), kcltest.Canonical())
}

// seq is the n'th sequence number of the test shard.
func seq(n int) string {
	return fmt.Sprintf("4959033827149025660855969253836157109592157598913%07d", n)
}

func pos(n int, sub int64) kcltest.Position {
	return kcltest.Position{SequenceNumber: seq(n), SubSequenceNumber: sub}
}

// records returns one record per payload with sequence numbers first,
// first+1, and so on.
func records(first int, payloads ...string) []protocol.Record {
	rs := make([]protocol.Record, len(payloads))
	for i, p := range payloads {
		n := first + i
		rs[i] = protocol.Record{
			Data:                        []byte(p),
			PartitionKey:                fmt.Sprintf("pk-%d", n),
			SequenceNumber:              seq(n),
			SubSequenceNumber:           protocol.Some[int64](0),
			ApproximateArrivalTimestamp: protocol.Some(1700000000000 + int64(n)*1000),
		}
	}
	return rs
}

// aggregated returns the user records of one KPL-aggregated record: they
// share sequence number n and have sub-sequence numbers 0, 1, ...
func aggregated(n int, payloads ...string) []protocol.Record {
	rs := records(n, payloads...)
	for i := range rs {
		rs[i].SequenceNumber = seq(n)
		rs[i].SubSequenceNumber = protocol.Some(int64(i))
	}
	return rs
}

func checkCheckpoints(t *testing.T, d *kcltest.Daemon, want ...kcltest.Position) {
	t.Helper()
	if got := d.Checkpoints(); !slices.Equal(got, want) {
		t.Errorf("checkpoints = %v, want %v\nstderr:\n%s", got, want, d.Stderr())
	}
}

func checkExit(t *testing.T, d *kcltest.Daemon) {
	t.Helper()
	if err := d.Close(); err != nil {
		t.Errorf("child exit: %v\nstderr:\n%s", err, d.Stderr())
	}
}

func TestCheckpointEveryNRecords(t *testing.T) {
	t.Parallel()
	d := start(t, nil, "-checkpoint-every-records", "3", "-checkpoint-every", "1h")
	d.Initialize(shard, "TRIM_HORIZON")
	if x := d.ProcessRecords(records(1, "a", "b")...); len(x.Checkpoints) != 0 {
		t.Errorf("2 records: checkpoints %+v, want none before 3", x.Checkpoints)
	}
	d.ProcessRecords(records(3, "c", "d")...)         // 4 since the last: at the end of this batch
	d.ProcessRecords(aggregated(5, "e", "f", "g")...) // 3 more: at the last user record
	d.ProcessRecords(records(6, "h")...)
	d.LeaseLost()
	checkCheckpoints(t, d, pos(4, 0), pos(5, 2))
	checkExit(t, d)
}

func TestCheckpointInterval(t *testing.T) {
	t.Parallel()
	const interval = 300 * time.Millisecond
	d := start(t, nil, "-checkpoint-every-records", "0", "-checkpoint-every", interval.String())
	d.Initialize(shard, "TRIM_HORIZON")
	time.Sleep(interval + 50*time.Millisecond)
	t0 := time.Now()
	if x := d.ProcessRecords(records(1, "a", "b")...); len(x.Checkpoints) != 1 {
		t.Errorf("first batch after %v: checkpoints %+v, want one", interval, x.Checkpoints)
	}
	x := d.ProcessRecords(records(3, "c")...)
	// The child's clock started during the first batch, so if the second
	// one returned within the interval of sending the first, it cannot
	// have checkpointed. A slower machine proves nothing either way.
	if len(x.Checkpoints) != 0 && time.Since(t0) < interval {
		t.Errorf("second batch, within %v: checkpoints %+v, want none", interval, x.Checkpoints)
	}
	time.Sleep(interval + 50*time.Millisecond)
	if x := d.ProcessRecords(records(4, "d")...); len(x.Checkpoints) != 1 {
		t.Errorf("batch after another %v: checkpoints %+v, want one", interval, x.Checkpoints)
	}
	// An empty batch (callProcessRecordsEvenForEmptyRecordList) brings
	// nothing new to checkpoint, however long it has been.
	time.Sleep(interval + 50*time.Millisecond)
	if x := d.ProcessRecords(); len(x.Checkpoints) != 0 {
		t.Errorf("empty batch: checkpoints %+v, want none", x.Checkpoints)
	}
	d.LeaseLost()
	if got := d.Checkpoint(); got != pos(4, 0) {
		t.Errorf("last checkpoint = %v, want %v", got, pos(4, 0))
	}
	checkExit(t, d)
}

func TestShutdownRequestedThenLeaseLost(t *testing.T) {
	t.Parallel()
	d := start(t, nil, "-checkpoint-every-records", "2", "-checkpoint-every", "1h")
	d.Initialize(shard, "TRIM_HORIZON")
	d.ProcessRecords(records(1, "a", "b")...)
	d.ProcessRecords(records(3, "c")...)
	if x := d.ShutdownRequested(); len(x.Checkpoints) != 1 {
		t.Errorf("shutdownRequested: checkpoints %+v, want one for the record processed since the last", x.Checkpoints)
	}
	d.LeaseLost()
	checkCheckpoints(t, d, pos(2, 0), pos(3, 0))
	checkExit(t, d)
}

func TestShardEnded(t *testing.T) {
	t.Parallel()
	d := start(t, nil)
	d.Initialize(shard, seq(0))
	d.ProcessRecords(records(1, "a", "b")...)
	d.ShardEnded() // fails the test unless SHARD_END was checkpointed
	checkCheckpoints(t, d, kcltest.ShardEnd)
	checkExit(t, d)
	if !strings.Contains(d.Stderr(), "shard ended") {
		t.Errorf("stderr does not log the shard's end:\n%s", d.Stderr())
	}
}

func TestShutdownExceptionStopsCheckpoints(t *testing.T) {
	t.Parallel()
	d := start(t, nil, "-checkpoint-every-records", "1")
	d.Initialize(shard, "TRIM_HORIZON")
	d.ReplyNext("ShutdownException")
	if x := d.ProcessRecords(records(1, "a")...); len(x.Checkpoints) != 1 {
		t.Errorf("first batch: checkpoints %+v, want one (refused)", x.Checkpoints)
	}
	if x := d.ProcessRecords(records(2, "b")...); len(x.Checkpoints) != 0 {
		t.Errorf("after ShutdownException: checkpoints %+v, want none", x.Checkpoints)
	}
	if x := d.ShutdownRequested(); len(x.Checkpoints) != 0 {
		t.Errorf("shutdownRequested after ShutdownException: checkpoints %+v, want none", x.Checkpoints)
	}
	d.LeaseLost()
	checkCheckpoints(t, d)
	checkExit(t, d)
	if !strings.Contains(d.Stderr(), "lease taken by another worker") {
		t.Errorf("stderr does not explain the stop:\n%s", d.Stderr())
	}
}

func TestFailedCheckpointRetriedAfterNextBatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		replies []string
		log     string
	}{
		// The SDK tries a throttled checkpoint 5 times (about 3s of
		// backoff) before the processor sees the error.
		{"throttled", slices.Repeat([]string{"ThrottlingException"}, 5), "trying again after the next batch"},
		{"invalid argument", []string{"IllegalArgumentException"}, "checkpoint failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := start(t, nil, "-checkpoint-every-records", "1")
			d.Initialize(shard, "TRIM_HORIZON")
			d.ReplyNext(tc.replies...)
			if x := d.ProcessRecords(records(1, "a")...); len(x.Checkpoints) != len(tc.replies) {
				t.Errorf("first batch: %d checkpoint requests, want %d", len(x.Checkpoints), len(tc.replies))
			}
			d.ProcessRecords(records(2, "b")...)
			d.LeaseLost()
			checkCheckpoints(t, d, pos(2, 0))
			checkExit(t, d)
			if !strings.Contains(d.Stderr(), tc.log) {
				t.Errorf("stderr does not contain %q:\n%s", tc.log, d.Stderr())
			}
		})
	}
}

func TestStderrShowsDecodedRecords(t *testing.T) {
	t.Parallel()
	d := start(t, nil)
	d.Initialize(shard, "TRIM_HORIZON")
	long := strings.Repeat("é", 100) // 200 bytes: cut at a character boundary
	d.ProcessRecords(records(1, `{ "id": 1, "name": "a" }`, "hello world", long)...)
	d.LeaseLost()
	checkExit(t, d)
	stderr := d.Stderr()
	for _, want := range []string{
		`msg="shard assigned" shard=shardId-000000000000 checkpoint=TRIM_HORIZON`,
		`msg=record shard=shardId-000000000000 sequenceNumber=` + seq(1) + ` subSequenceNumber=0 partitionKey=pk-1`,
		`arrival=2023-11-14T22:13:21.000Z size=24 format=json preview="{\"id\":1,\"name\":\"a\"}"`,
		`partitionKey=pk-2 arrival=2023-11-14T22:13:22.000Z size=11 format=text preview="hello world"`,
		`size=200 format=text preview=` + strings.Repeat("é", 40) + "…",
		`msg="lease lost"`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not contain\n\t%s\nstderr:\n%s", want, stderr)
		}
	}
}

func TestEnvironmentAndFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want []kcltest.Position
	}{
		{"environment", []string{"SAMPLE_CHECKPOINT_RECORDS=1"}, nil, []kcltest.Position{pos(1, 0), pos(2, 0)}},
		{"flag wins", []string{"SAMPLE_CHECKPOINT_RECORDS=1"}, []string{"-checkpoint-every-records", "2"}, []kcltest.Position{pos(2, 0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := start(t, tc.env, tc.args...)
			d.Initialize(shard, "TRIM_HORIZON")
			d.ProcessRecords(records(1, "a")...)
			d.ProcessRecords(records(2, "b")...)
			d.LeaseLost()
			checkCheckpoints(t, d, tc.want...)
			checkExit(t, d)
		})
	}
}

// TestSignalsDoNotEndTheChild sends SIGTERM, as a Ctrl-C or a container
// stop does to the whole process group: the child must keep serving, since
// the daemon's graceful shutdown still needs it, and exit when stdin closes.
func TestSignalsDoNotEndTheChild(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	cmd := command(t.Context(), t, nil)
	d := kcltest.StartCommand(t, cmd, kcltest.Canonical())
	d.Initialize(shard, "TRIM_HORIZON")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	d.ProcessRecords(records(1, "a")...)
	d.ShutdownRequested()
	d.LeaseLost()
	checkCheckpoints(t, d, pos(1, 0))
	checkExit(t, d)
	if !strings.Contains(d.Stderr(), "signal received") {
		t.Errorf("stderr does not show the signal was seen:\n%s", d.Stderr())
	}
}

// TestTerminal runs the sample by hand, as people do first: it must say
// what it is for and fail, not wait for input that never comes.
func TestTerminal(t *testing.T) {
	t.Parallel()
	tty := openTerminal(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := command(ctx, t, nil)
	cmd.Stdin = tty
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Errorf("exit = %v, want status 2", err)
	}
	for _, want := range []string{"stdin is a terminal", "MultiLangDaemon", "executableName"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not contain %q:\n%s", want, stderr.String())
		}
	}
}

func TestParseConfig(t *testing.T) {
	defaults := config{everyRecords: 1000, every: time.Minute, logLevel: slog.LevelInfo}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		want    config
		wantErr string
	}{
		{name: "defaults", want: defaults},
		{
			name: "environment",
			env:  map[string]string{"SAMPLE_CHECKPOINT_RECORDS": "50", "SAMPLE_CHECKPOINT_INTERVAL": "10s", "SAMPLE_LOG_LEVEL": "warn"},
			want: config{everyRecords: 50, every: 10 * time.Second, logLevel: slog.LevelWarn},
		},
		{
			name: "flags win",
			env:  map[string]string{"SAMPLE_CHECKPOINT_RECORDS": "50", "SAMPLE_CHECKPOINT_INTERVAL": "10s"},
			args: []string{"-checkpoint-every-records", "7", "-checkpoint-every=0", "-log-level", "debug"},
			want: config{everyRecords: 7, logLevel: slog.LevelDebug},
		},
		{name: "bad variable", env: map[string]string{"SAMPLE_CHECKPOINT_INTERVAL": "10"}, wantErr: `SAMPLE_CHECKPOINT_INTERVAL="10": want a duration`},
		{name: "bad flag", args: []string{"-checkpoint-every-records", "many"}, wantErr: "invalid value"},
		{name: "negative", args: []string{"-checkpoint-every-records=-1"}, wantErr: "must not be negative"},
		{name: "both off", args: []string{"-checkpoint-every-records=0", "-checkpoint-every=0"}, wantErr: "both 0"},
		{name: "argument", args: []string{"extra"}, wantErr: "executableName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			got, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, &out)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseConfig(%q) error = %v, want one containing %q", tc.args, err, tc.wantErr)
				}
				if !strings.Contains(out.String(), err.Error()) {
					t.Errorf("parseConfig(%q) wrote %q, want the error", tc.args, out.String())
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("parseConfig(%q) = %+v, %v; want %+v", tc.args, got, err, tc.want)
			}
		})
	}
	if _, err := parseConfig([]string{"-h"}, func(string) string { return "" }, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseConfig(-h) error = %v, want flag.ErrHelp", err)
	}
}
