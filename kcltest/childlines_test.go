package kcltest_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kclgo/mld/kcltest"
	"github.com/kclgo/mld/protocol"
)

// rawChildEnv makes the test binary a child that writes scripted bytes: a
// JSON array of strings, the k-th written after it reads its k-th line.
// It stands for a child in another language, whose lines the daemon reads
// through Jackson rather than byte for byte.
const rawChildEnv = "KCLTEST_RAW_CHILD"

func rawChild(script string) int {
	var writes []string
	if err := json.Unmarshal([]byte(script), &writes); err != nil {
		os.Stderr.WriteString(err.Error())
		return 2
	}
	in := bufio.NewReader(os.Stdin)
	for _, w := range writes {
		if _, err := in.ReadString('\n'); err != nil {
			return 0
		}
		os.Stdout.WriteString(w)
	}
	for { // read to EOF, as a child must
		if _, err := in.ReadString('\n'); err != nil {
			return 0
		}
	}
}

func startRaw(t *testing.T, writes []string, opts ...kcltest.Option) *kcltest.Daemon {
	t.Helper()
	script, _ := json.Marshal(writes)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), rawChildEnv+"="+string(script))
	return kcltest.StartCommand(t, cmd, append([]kcltest.Option{kcltest.Timeout(5 * time.Second)}, opts...)...)
}

// The lines the official Python binding writes: a blank line before each
// message and spaces after the separators. The daemon reads them; only
// Canonical refuses them.
var pythonStyle = []string{
	"\n{\"action\": \"status\", \"responseFor\": \"initialize\"}\n",
	"\n{\"action\": \"checkpoint\", \"sequenceNumber\": null, \"subSequenceNumber\": null}\n",
	"\n{\"action\": \"status\", \"responseFor\": \"processRecords\"}\n",
	"\n{\"action\": \"status\", \"responseFor\": \"leaseLost\"}\n",
}

func TestChildLinesAsTheDaemonReadsThem(t *testing.T) {
	d := startRaw(t, pythonStyle)
	d.Initialize("shardId-000000000000", "TRIM_HORIZON")
	x := d.ProcessRecords(kcltest.Records("a", "b")...)
	if len(x.Checkpoints) != 1 || x.Checkpoints[0].Reply.Error.Valid {
		t.Errorf("checkpoints %+v, want one that succeeded", x.Checkpoints)
	}
	d.LeaseLost()
	if got, want := d.Checkpoint(), (kcltest.Position{SequenceNumber: kcltest.SequenceNumber(2)}); got != want {
		t.Errorf("checkpoint %v, want %v", got, want)
	}
}

func TestCanonicalRefusesWhatTheDaemonAccepts(t *testing.T) {
	d := startRaw(t, pythonStyle, kcltest.Canonical())
	_, err := d.Send(protocol.Initialize{ShardID: "shardId-000000000000", SequenceNumber: protocol.Some("TRIM_HORIZON")})
	if err == nil || !strings.Contains(err.Error(), `the child wrote "", which the daemon skips (an empty line); kcltest.Canonical requires`) {
		t.Errorf("Send = %v, want Canonical to refuse the blank line", err)
	}

	d = startRaw(t, []string{"{\"action\": \"status\", \"responseFor\": \"initialize\"}\n"}, kcltest.Canonical())
	_, err = d.Send(protocol.Initialize{ShardID: "shardId-000000000000", SequenceNumber: protocol.Some("TRIM_HORIZON")})
	want := `the child wrote "{\"action\": \"status\", \"responseFor\": \"initialize\"}", which the daemon reads as "{\"action\":\"status\",\"responseFor\":\"initialize\"}"; kcltest.Canonical requires exactly the latter`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Send = %v, want %s", err, want)
	}
}

// Lines the daemon skips or ignores are noted and passed over, as the
// daemon does; a carriage return ends a line for it.
func TestSkippedAndIgnoredLines(t *testing.T) {
	d := startRaw(t, []string{
		"{\"action\":\"leaseLost\"}\nnot json\n{\"action\":\"status\",\r\"responseFor\":\"initialize\"}\n{\"action\":\"status\",\"responseFor\":\"initialize\"}\n",
		"{\"action\":\"status\",\"responseFor\":\"leaseLost\"}\n",
	})
	x := d.Initialize("shardId-000000000000", "TRIM_HORIZON")
	var notes []string
	for _, l := range x.Lines {
		if l.FromChild {
			notes = append(notes, l.Text+" | "+l.Note)
		}
	}
	want := []string{
		`{"action":"leaseLost"} | the daemon ignores a leaseLost message from a child`,
		`not json | the daemon skips this line: not JSON`,
		`{"action":"status", | the daemon skips this line: not JSON`,
		`"responseFor":"initialize"} | the daemon skips this line: not a JSON object`,
		`{"action":"status","responseFor":"initialize"} | `,
	}
	if strings.Join(notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("child lines:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(want, "\n"))
	}
	d.LeaseLost()
}

// A checkpoint in a form the daemon skips gets no reply: the child hangs,
// and the timeout says which line was skipped.
func TestSkippedCheckpointHangs(t *testing.T) {
	d := startRaw(t, []string{
		"{\"action\":\"status\",\"responseFor\":\"initialize\"}\n",
		"{\"action\":\"checkpoint\",\"checkpoint\":\"123\"}\n",
	}, kcltest.Timeout(2*time.Second))
	d.Initialize("shardId-000000000000", "TRIM_HORIZON")
	_, err := d.Send(protocol.ProcessRecords{Records: kcltest.Records("a")})
	var xe *kcltest.ExchangeError
	want := `the daemon skipped 1 line(s) the child wrote during this action, and a child waiting for an answer to one waits for ever, as it would under the real daemon:
	"{\"action\":\"checkpoint\",\"checkpoint\":\"123\"}": the daemon skips this line: a checkpoint message has no field "checkpoint"`
	if !errors.As(err, &xe) || !strings.Contains(err.Error(), want) {
		t.Errorf("Send = %v\nwant it to contain:\n%s", err, want)
	}
	if len(d.Checkpoints()) != 0 {
		t.Errorf("checkpoints %v, want none", d.Checkpoints())
	}
}

func TestNullLineEndsTheSession(t *testing.T) {
	d := startRaw(t, []string{"null\n"})
	_, err := d.Send(protocol.Initialize{ShardID: "shardId-000000000000", SequenceNumber: protocol.Some("TRIM_HORIZON")})
	if err == nil || !strings.Contains(err.Error(), "the JSON literal null, on which the daemon fails") {
		t.Errorf("Send = %v, want the null line to end the session", err)
	}
}
