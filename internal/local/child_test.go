package local

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kclgo/mld/protocol"
)

var _ = flag.Bool("update", false, "accepted so that go test ./... -update works; this package has no golden files")

// The test binary doubles as the record processor: run as
//
//	<test binary> local-test-child <dir> <behaviour>...
//
// it plays a child with raw protocol lines, appending every line it reads
// and writes to <dir>/<shardId>.log ("< " for the daemon's, "> " for its
// own) and each action to <dir>/events ("<shardId> <action>"), so that tests
// can check the daemon's lines byte for byte and the order across shards.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "local-test-child" {
		os.Exit(testChild(os.Args[2], os.Args[3:]))
	}
	// A race-enabled child sleeps a second before exiting unless told not
	// to; the children here are this binary.
	if g := os.Getenv("GORACE"); !strings.Contains(g, "atexit_sleep_ms") {
		os.Setenv("GORACE", strings.TrimSpace(g+" atexit_sleep_ms=0"))
	}
	os.Exit(m.Run())
}

// childArgs returns the executable for a test child with the given
// behaviours:
//
//	probe          at every action, try the checkpoints that the daemon
//	               must refuse, then one it must accept (see testChild)
//	every-batch    checkpoint at the end of every batch (the default is
//	               to checkpoint only at shutdownRequested and shardEnded)
//	wrong-status   answer processRecords with a status for "initialize"
//	exit-on-batch  exit with status 3 on the first processRecords
//	hang           never answer processRecords
//	stop-reading   after initialize, never read stdin again
//	slow-messages  take 3 x 500ms over processRecords, writing a message
//	               the daemon ignores after each 500ms
//	null           answer processRecords with the line null
//	no-shard-end   answer shardEnded without checkpointing
//	ignore-eof     keep running after stdin closes
//	noise          write lines the daemon must skip before each status
//	hang-shutdown  never answer shutdownRequested
//	bad-shutdown   answer shutdownRequested with a status for "leaseLost"
func childArgs(dir string, behaviours ...string) []string {
	return append([]string{os.Args[0], "local-test-child", dir}, behaviours...)
}

func testChild(dir string, behaviours []string) int {
	has := map[string]bool{}
	for _, b := range behaviours {
		has[b] = true
	}
	// Like an SDK child, ignore interrupts: the daemon owns the lifecycle.
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
	in := bufio.NewReader(os.Stdin)
	shard := "unknown"
	var log *os.File
	record := func(prefix, line string) {
		if log != nil {
			fmt.Fprintf(log, "%s%s\n", prefix, line)
		}
	}
	event := func(action string) {
		f, err := os.OpenFile(filepath.Join(dir, "events"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%s %s\n", shard, action)
			f.Close()
		}
	}
	send := func(line string) {
		record("> ", line)
		os.Stdout.WriteString(line + "\n")
	}
	readLine := func() (string, bool) {
		line, err := in.ReadString('\n')
		if err != nil {
			return "", false
		}
		line = strings.TrimSuffix(line, "\n")
		record("< ", line)
		return line, true
	}
	// checkpoint sends a request and reads the reply, which the log keeps.
	checkpoint := func(seq *string, sub *int64) {
		req := protocol.Checkpoint{}
		if seq != nil {
			req.SequenceNumber = protocol.Some(*seq)
		}
		if sub != nil {
			req.SubSequenceNumber = protocol.Some(*sub)
		}
		send(string(protocol.Append(nil, req)))
		readLine()
	}
	str := func(s string) *string { return &s }
	num := func(n int64) *int64 { return &n }
	status := func(action string) {
		if has["noise"] {
			os.Stdout.WriteString("\n")
			os.Stdout.WriteString("not json at all\n")
			os.Stdout.WriteString(`{"action":"status","responseFor":"` + action + `","extra":1}` + "\n")
			os.Stdout.WriteString(`{"action":"leaseLost"}` + "\n")
			// Skipped: not a field of the daemon's checkpoint message. A
			// daemon that took it for a checkpoint would reply, and the
			// reply would be read here as the next action.
			os.Stdout.WriteString(`{"action":"checkpoint","checkpoint":"1"}` + "\n")
			// Two lines to the daemon, which ends a line at a lone "\r":
			// neither is a message.
			os.Stdout.WriteString(`{"action":"status",` + "\r" + `"responseFor":"` + action + `"}` + "\n")
		}
		send(`{"action":"status","responseFor":"` + action + `"}`)
	}
	for {
		line, ok := readLine()
		if !ok {
			if has["ignore-eof"] {
				time.Sleep(time.Hour)
			}
			return 0
		}
		m, err := protocol.Decode([]byte(line))
		if err != nil {
			fmt.Fprintf(os.Stderr, "test child: %v\n", err)
			return 2
		}
		switch m := m.(type) {
		case protocol.Initialize:
			shard = m.ShardID
			log, _ = os.OpenFile(filepath.Join(dir, shard+".log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			record("< ", line)
			event("initialize")
			fmt.Fprintf(os.Stderr, "initialized at %s\n", m.SequenceNumber.V)
			if has["probe"] {
				checkpoint(nil, nil) // no checkpointer: InvalidStateException
			}
			status(m.Action())
			if has["stop-reading"] {
				time.Sleep(time.Hour)
			}
		case protocol.ProcessRecords:
			event("processRecords")
			first, last := m.Records[0], m.Records[len(m.Records)-1]
			switch {
			case has["wrong-status"]:
				send(`{"action":"status","responseFor":"initialize"}`)
				continue
			case has["exit-on-batch"]:
				fmt.Fprintln(os.Stderr, "exiting in the middle of a batch")
				return 3
			case has["hang"]:
				time.Sleep(time.Hour)
			case has["null"]:
				send("null")
				continue
			case has["slow-messages"]:
				for range 3 {
					time.Sleep(500 * time.Millisecond)
					send(`{"action":"leaseLost"}`)
				}
			}
			if has["probe"] {
				checkpoint(str(last.SequenceNumber), num(1))   // beyond the last record
				checkpoint(str("SHARD_END"), nil)              // not at the shard's end
				checkpoint(str("not-a-number"), nil)           // not a sequence number
				checkpoint(str(first.SequenceNumber), num(-1)) // negative sub-sequence
				checkpoint(str(first.SequenceNumber), num(0))  // fine
				checkpoint(str("1"), num(0))                   // before the checkpoint
				checkpoint(nil, nil)                           // fine: the end of the batch
			} else if has["every-batch"] {
				sub := last.SubSequenceNumber.V
				checkpoint(str(last.SequenceNumber), &sub)
			}
			status(m.Action())
		case protocol.ShardEnded:
			event("shardEnded")
			if !has["no-shard-end"] {
				checkpoint(nil, nil)
			}
			status(m.Action())
		case protocol.ShutdownRequested:
			event("shutdownRequested")
			switch {
			case has["hang-shutdown"]:
				time.Sleep(time.Hour)
			case has["bad-shutdown"]:
				send(`{"action":"status","responseFor":"leaseLost"}`)
				continue
			}
			checkpoint(nil, nil)
			status(m.Action())
		case protocol.LeaseLost:
			event("leaseLost")
			if has["probe"] {
				checkpoint(nil, nil) // no checkpointer: InvalidStateException
			}
			status(m.Action())
		default:
			status(m.Action())
		}
	}
}

// readLog returns a test child's log lines for shard.
func readLog(t *testing.T, dir, shard string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, shard+".log"))
	if err != nil {
		t.Fatalf("reading the child's log: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// readEvents returns the test children's events in order.
func readEvents(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "events"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}
