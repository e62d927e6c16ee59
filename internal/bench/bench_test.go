package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kclgo/mld/protocol"
)

// The test binary doubles as the child: started with childEnv set, it plays
// that behaviour (see testChild) instead of running the tests. The
// environment is the only way in, since the driver starts a child with no
// arguments.
const (
	childEnv = "KCL_BENCH_TEST_CHILD"
	logEnv   = "KCL_BENCH_TEST_LOG" // where the probe child logs its checkpoints
)

func TestMain(m *testing.M) {
	if b := os.Getenv(childEnv); b != "" {
		os.Exit(testChild(b))
	}
	// A race-enabled child sleeps a second before exiting unless told not
	// to; the children here are this binary.
	if g := os.Getenv("GORACE"); !strings.Contains(g, "atexit_sleep_ms") {
		os.Setenv("GORACE", strings.TrimSpace(g+" atexit_sleep_ms=0"))
	}
	os.Exit(m.Run())
}

// testChild plays a child with raw protocol lines. Behaviours:
//
//	ok                  answer every action; checkpoint (null) at
//	                    shutdownRequested and shardEnded, as bench-noop does
//	exit                exit at once
//	hang                read, never answer
//	null                answer initialize with the line null
//	wrong-status        answer every action with a status for initialize
//	no-shard-end        answer every action, never checkpoint
//	skipped-checkpoint  as ok, and write {"action":"checkpoint","checkpoint":"1"}
//	                    during each processRecords
//	probe               as ok, and during every action try checkpoints the
//	                    daemon accepts and refuses, logging "step, action,
//	                    request, reply" to $KCL_BENCH_TEST_LOG
func testChild(behaviour string) int {
	if behaviour == "exit" {
		return 0
	}
	r := protocol.NewReader(os.Stdin)
	send := func(line string) { os.Stdout.WriteString(line + "\n") }
	var log io.Writer = io.Discard
	if p := os.Getenv(logEnv); p != "" {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer f.Close()
		log = f
	}
	var lastSeq string // of the last record delivered
	for step := 0; ; step++ {
		m, err := r.Read()
		if err == io.EOF {
			return 0
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "test child:", err)
			return 1
		}
		action := m.Action()
		checkpoint := func(req string) {
			send(req)
			reply, err := r.ReadLine()
			if err != nil {
				fmt.Fprintln(os.Stderr, "test child: reading a checkpoint reply:", err)
				os.Exit(1)
			}
			fmt.Fprintf(log, "%d\t%s\t%s\t%s\n", step, action, req, reply)
		}
		switch behaviour {
		case "hang":
			continue
		case "null":
			send("null")
			continue
		case "wrong-status":
			send(`{"action":"status","responseFor":"initialize"}`)
			continue
		case "no-shard-end":
			send(`{"action":"status","responseFor":"` + action + `"}`)
			continue
		case "skipped-checkpoint":
			if action == protocol.ActionProcessRecords {
				send(`{"action":"checkpoint","checkpoint":"1"}`)
			}
		case "probe":
			cp := func(seq string, sub int64) string {
				return fmt.Sprintf(`{"action":"checkpoint","sequenceNumber":%q,"subSequenceNumber":%d}`, seq, sub)
			}
			var reqs []string
			switch m := m.(type) {
			case protocol.ProcessRecords:
				first, last := m.Records[0].SequenceNumber, m.Records[len(m.Records)-1].SequenceNumber
				reqs = append(reqs, cp(first, 0), cp(last, 1), cp(last, 0))
				lastSeq = last
			case protocol.ShardEnded:
				reqs = append(reqs, cp(lastSeq, 0)) // stands for SHARD_END
			}
			reqs = append(reqs,
				`{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}`,
				cp("TRIM_HORIZON", 0), cp("12x", 0), cp("SHARD_END", 0),
				cp("99999999999999999999999999999999999999999999999999999999999", 0),
				`{"action":"checkpoint","sequenceNumber":1,"subSequenceNumber":"0"}`, // a number, a numeric string
			)
			for _, req := range reqs {
				checkpoint(req)
			}
		}
		if behaviour != "probe" && (action == protocol.ActionShardEnded || action == protocol.ActionShutdownRequested) {
			checkpoint(`{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}`)
		}
		send(`{"action":"status","responseFor":"` + action + `"}`)
	}
}

// testChildPath makes the children started from now on in t play
// behaviour, and returns the path to start.
func testChildPath(t *testing.T, behaviour string) string {
	t.Helper()
	t.Setenv(childEnv, behaviour)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// Scenarios for tests, which run in milliseconds: small has every kind of
// step, startup has no batches, and big has lines longer than a pipe
// buffer, which the driver writes while it reads.
var (
	small   = Scenario{Name: "T", Batches: 3, Records: 4, Payload: 16}
	startup = Scenario{Name: "T0"}
	big     = Scenario{Name: "T2", Batches: 2, Records: 2, Payload: 300 << 10}
)

func TestMeasure(t *testing.T) {
	for _, sc := range []Scenario{small, startup, big} {
		t.Run(sc.Name, func(t *testing.T) {
			r, err := measure(sc, Generate(sc, 1), testChildPath(t, "ok"), 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if r.Records != sc.Batches*sc.Records || r.PayloadB != int64(r.Records*sc.Payload) || r.Checkpoints != 1 || r.Skipped != 0 {
				t.Errorf("run = %+v, want %d records of %d bytes, 1 checkpoint, nothing skipped", r, sc.Batches*sc.Records, sc.Payload)
			}
			if r.StartupMs <= 0 || r.WallS <= 0 {
				t.Errorf("startup %v ms, wall %v s: want positive times", r.StartupMs, r.WallS)
			}
			if sc.Batches > 0 && (r.RTTp50Us <= 0 || r.RTTp99Us < r.RTTp50Us || r.PayloadMBps <= 0) {
				t.Errorf("run = %+v: want round trips and a throughput", r)
			}
		})
	}
}

// A line that is not a message the daemon knows is skipped and counted,
// never answered: a key the daemon's checkpoint class lacks ("checkpoint")
// makes the whole line skipped, though it names the checkpoint action.
func TestSkippedLinesAreCounted(t *testing.T) {
	r, err := measure(small, Generate(small, 1), testChildPath(t, "skipped-checkpoint"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Skipped != small.Batches || r.Checkpoints != 1 {
		t.Errorf("skipped %d, checkpoints %d; want %d skipped (one per batch) and only the shardEnded checkpoint answered", r.Skipped, r.Checkpoints, small.Batches)
	}
}

func TestBrokenChild(t *testing.T) {
	tests := []struct {
		behaviour string
		sc        Scenario
		timeout   time.Duration
		want      []string
	}{
		// A child that exits at once shows when initialize is written
		// (EPIPE) or when its status is read (EOF), depending on timing.
		{"exit", small, 10 * time.Second, []string{"initialize"}},
		{"wrong-status", small, 10 * time.Second, []string{"batch 1 of 3", `responseFor "initialize"`, `"processRecords"`}},
		{"no-shard-end", small, 10 * time.Second, []string{"shardEnded", "SHARD_END"}},
		{"null", small, 10 * time.Second, []string{"JSON literal null", "initialize"}},
		{"hang", startup, 200 * time.Millisecond, []string{"no status for initialize within 200ms", "hung"}},
	}
	for _, tt := range tests {
		t.Run(tt.behaviour, func(t *testing.T) {
			_, err := measure(tt.sc, Generate(tt.sc, 1), testChildPath(t, tt.behaviour), tt.timeout)
			if err == nil {
				t.Fatal("measure succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestCompare(t *testing.T) {
	path := testChildPath(t, "ok")
	var order []string
	cfg := Config{SDK: path, Ceiling: path, Reps: 2, Timeout: 10 * time.Second, Seed: 1,
		OnRun: func(r Run) { order = append(order, fmt.Sprintf("%s%d", r.Child, r.Rep)) }}
	s, err := Compare(small, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, " "); got != "sdk1 ceiling1 sdk2 ceiling2" {
		t.Errorf("runs in the order %s, want them interleaved", got)
	}
	if s.Type != "summary" || s.Scenario != "T" || s.Reps != 2 || s.SDK.Type != "median" || s.Ceiling.Child != "ceiling" {
		t.Errorf("summary = %+v", s)
	}
	if _, ok := s.Ratios["wall"]; !ok {
		t.Errorf("ratios = %v, want a wall ratio", s.Ratios)
	}

	cfg.SDK, cfg.OnRun = "/no/such/child", nil
	_, err = Compare(small, cfg)
	var ce *ChildError
	if !errors.As(err, &ce) || ce.Child != "sdk" || ce.Rep != 1 || !strings.HasPrefix(err.Error(), "T: sdk child /no/such/child (run 1): ") {
		t.Errorf("Compare with a missing child = %v, want a *ChildError for the sdk's first run", err)
	}
}
