package kcltest_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kclgo/mld/kcl"
	"github.com/kclgo/mld/kcltest"
	"github.com/kclgo/mld/protocol"
)

const (
	initLine   = `{"action":"initialize","shardId":"shardId-000000000000","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}`
	initStatus = `{"action":"status","responseFor":"initialize"}`
	batchLine  = `{"action":"processRecords","records":[{"data":"aGVsbG8gd29ybGQ=","partitionKey":"pk-1","sequenceNumber":"49590338271490256608559692538361571095921575989136588898","approximateArrivalTimestamp":1700000000123,"subSequenceNumber":0,"action":"record"}],"millisBehindLatest":1234}`
	batchSeq   = `49590338271490256608559692538361571095921575989136588898`
	cpLatest   = `{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}`
	cpRecord   = `{"action":"checkpoint","sequenceNumber":"` + batchSeq + `","subSequenceNumber":0}`
	prStatus   = `{"action":"status","responseFor":"processRecords"}`
	leaseLost  = `{"action":"leaseLost"}`
	llStatus   = `{"action":"status","responseFor":"leaseLost"}`
	shardEnded = `{"action":"shardEnded"}`
	seStatus   = `{"action":"status","responseFor":"shardEnded"}`
)

func reply(request, errJSON string) string {
	return strings.TrimSuffix(request, "}") + `,"error":` + errJSON + `}`
}

func daemon(l string) kcltest.Line { return kcltest.Line{Text: l} }
func child(l string) kcltest.Line  { return kcltest.Line{FromChild: true, Text: l} }

func sessionFile(lines ...kcltest.Line) *kcltest.Session {
	return &kcltest.Session{Comment: "# test\n", Lines: lines}
}

func TestParseSessionFormat(t *testing.T) {
	for _, file := range []string{
		"# what it tests\n# second line\n-- processor --\nfull batch=latest\n-- session --\n> " + initLine + "\n< " + initStatus + "\n-- stderr-contains --\nproc: a\nproc: b\n-- notes --\nkept as is\n\n-- exit --\n1\n",
		"-- session --\n> " + leaseLost + "\n<\n>\n",
		"no newline at the end\n-- session --\n> " + leaseLost + "\n-- processor --\nminimal\n",
	} {
		s, err := kcltest.ParseSession([]byte(file))
		if err != nil {
			t.Fatalf("ParseSession(%q) = %v", file, err)
		}
		if got := string(s.Format()); got != file {
			t.Errorf("Format(ParseSession(%q)) = %q", file, got)
		}
	}
}

func TestParseSessionFields(t *testing.T) {
	file := "# c\n-- processor --\n  full batch=latest \n-- session --\n\n> " + initLine + "\n\n< " + initStatus + "\n< \n-- stderr-contains --\nproc: a\n\nproc: b\n-- exit --\n 3 \n"
	s, err := kcltest.ParseSession([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	want := []kcltest.Line{daemon(initLine), child(initStatus), child("")}
	if len(s.Lines) != len(want) {
		t.Fatalf("Lines = %v, want %v", s.Lines, want)
	}
	for i := range want {
		if s.Lines[i] != want[i] {
			t.Errorf("Lines[%d] = %v, want %v", i, s.Lines[i], want[i])
		}
	}
	if got := s.Processor(); got != "full batch=latest" {
		t.Errorf("Processor() = %q", got)
	}
	if got := strings.Join(s.StderrContains(), "|"); got != "proc: a|proc: b" {
		t.Errorf("StderrContains() = %q", got)
	}
	if got := s.ExitCode(); got != 3 {
		t.Errorf("ExitCode() = %d, want 3", got)
	}
	if s.Comment != "# c\n" {
		t.Errorf("Comment = %q", s.Comment)
	}
}

func TestParseSessionErrors(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"# only a comment\n", "no -- session -- section"},
		{"-- session --\n> a\n-- session --\n> b\n", `line 3: a second "session" section`},
		{"-- session --\n> " + initLine + "\n# a note\n", `line 3: want "> " (a daemon line) or "< " (a child line)`},
		{"-- session --\n>" + initLine + "\n", `line 2: want "> "`},
		{"-- session --\n> x\n-- exit --\nok\n", `exit section "ok" is not an exit status`},
	} {
		_, err := kcltest.ParseSession([]byte(tt.file))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSession(%q) = %v, want an error containing %q", tt.file, err, tt.want)
		}
	}
}

// latest is a processor that checkpoints every batch at the latest position
// and reports what the checkpoint returned.
type latest struct{ errs []error }

func (p *latest) ProcessRecords(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
	p.errs = append(p.errs, cp.Checkpoint(ctx))
	return nil
}

func fastRetries() kcltest.Option {
	return kcltest.RunOptions(kcl.CheckpointRetries(3, time.Millisecond))
}

// quiet keeps the SDK's logs of an in-process processor out of the test
// output.
func quiet() kcltest.Option {
	return kcltest.RunOptions(kcl.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
}

func TestReplayScriptedReplies(t *testing.T) {
	p := &latest{}
	d := kcltest.NewDaemon(t, factory(p), fastRetries(), quiet())
	// One scripted reply: the retry gets the daemon's own answer.
	s := sessionFile(daemon(initLine), daemon(batchLine), daemon(reply(cpLatest, `"ThrottlingException"`)), daemon(leaseLost))
	res, err := kcltest.Replay(d, s)
	if err != nil {
		t.Fatal(err)
	}
	want := []kcltest.Line{
		daemon(initLine), child(initStatus),
		daemon(batchLine),
		child(cpLatest), daemon(reply(cpLatest, `"ThrottlingException"`)),
		child(cpLatest), daemon(reply(cpLatest, "null")),
		child(prStatus),
		daemon(leaseLost), child(llStatus),
	}
	if d := kcltest.DiffLines(want, res.Lines); d != "" {
		t.Errorf("Replay lines (- want, + got):\n%s", d)
	}
	if res.Err != nil || res.Exit != nil || res.ExitCode != 0 {
		t.Errorf("Replay = Err %v, Exit %v, ExitCode %d; want a clean end", res.Err, res.Exit, res.ExitCode)
	}
	if len(p.errs) != 1 || p.errs[0] != nil {
		t.Errorf("checkpoint results = %v, want one success after the retry", p.errs)
	}
	if cps := d.Checkpoints(); len(cps) != 1 || cps[0].SequenceNumber != batchSeq {
		t.Errorf("Checkpoints() = %v, want the batch's record", cps)
	}
	// The file now matches once updated, and every line round-trips.
	if problems := s.Check(res); len(problems) == 0 {
		t.Errorf("Check = no problems, want the missing lines reported")
	}
	s.Update(res)
	if problems := s.Check(res); len(problems) != 0 {
		t.Errorf("Check after Update = %v", problems)
	}
	again, err := kcltest.ParseSession(s.Format())
	if err != nil || kcltest.DiffLines(again.Lines, res.Lines) != "" {
		t.Errorf("ParseSession(Format()) = %v, %v; lines differ", again, err)
	}
}

func TestReplayScriptedSuccessMovesCheckpoint(t *testing.T) {
	// The shard end is reached only through the scripted success: the daemon
	// must count it, or it reports a shard end without a checkpoint.
	d := kcltest.NewDaemon(t, factory(&latest{}), quiet())
	s := sessionFile(daemon(initLine), daemon(batchLine), daemon(reply(cpLatest, "null")),
		daemon(shardEnded), daemon(reply(cpLatest, "null")))
	res, err := kcltest.Replay(d, s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Err != nil {
		t.Fatalf("Replay: %v", res.Err)
	}
	if got := d.Checkpoint(); got != kcltest.ShardEnd {
		t.Errorf("Checkpoint() = %v, want SHARD_END", got)
	}
	if got := res.Lines[len(res.Lines)-1]; got != child(seStatus) {
		t.Errorf("last line %v, want the shardEnded status", got)
	}
}

func TestShardEndedAfterLeaseLost(t *testing.T) {
	// A ShutdownException at the shard end means another worker holds the
	// lease and finishes the shard: acknowledging without SHARD_END is then
	// right, not a shard stuck forever.
	d := kcltest.NewDaemon(t, factory(&latest{}), quiet())
	d.Initialize("shardId-000000000000", "TRIM_HORIZON")
	d.ReplyNext("ShutdownException")
	if _, err := d.Send(protocol.ShardEnded{}); err != nil {
		t.Errorf("ShardEnded after ShutdownException: %v", err)
	}
	if got := d.Checkpoint(); got == kcltest.ShardEnd {
		t.Errorf("Checkpoint() = SHARD_END, want it unchanged")
	}
}

// record checkpoints at its batch's last record.
type record struct{ err error }

func (p *record) ProcessRecords(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
	p.err = cp.CheckpointRecord(ctx, in.Records[len(in.Records)-1])
	return nil
}

func TestReplayAdaptsEcho(t *testing.T) {
	// The recording's reply was for a latest-position checkpoint; this
	// child checkpoints at its record. The daemon echoes what was asked and
	// keeps the scripted error.
	p := &record{}
	d := kcltest.NewDaemon(t, factory(p), kcltest.RunOptions(kcl.CheckpointRetries(1, 0)), quiet())
	s := sessionFile(daemon(initLine), daemon(batchLine), daemon(reply(cpLatest, `"ShutdownException"`)), daemon(leaseLost))
	res, err := kcltest.Replay(d, s)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(p.err, kcl.ErrShutdown) {
		t.Errorf("checkpoint = %v, want ErrShutdown", p.err)
	}
	want := daemon(reply(cpRecord, `"ShutdownException"`))
	found := false
	for _, l := range res.Lines {
		found = found || l == want
	}
	if !found {
		t.Errorf("no line %v in\n%v", want, res.Lines)
	}
}

func TestReplayChildDiffers(t *testing.T) {
	// Recorded: the child acknowledged the batch without a checkpoint. Now
	// it checkpoints: the daemon answers by its rules and the replay goes
	// on to the end.
	d := kcltest.NewDaemon(t, factory(&latest{}), quiet())
	s := sessionFile(daemon(initLine), child(initStatus), daemon(batchLine), child(prStatus), daemon(leaseLost), child(llStatus))
	res, err := kcltest.Replay(d, s)
	if err != nil {
		t.Fatal(err)
	}
	problems := s.Check(res)
	if len(problems) != 1 || !strings.Contains(problems[0], "+ < "+cpLatest) || !strings.Contains(problems[0], "+ > "+reply(cpLatest, "null")) {
		t.Errorf("Check = %q, want one transcript diff adding the checkpoint", problems)
	}
}

func TestReplayStopsWithTheDaemon(t *testing.T) {
	fail := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		return errors.New("boom")
	})
	d := kcltest.NewDaemon(t, factory(fail), quiet())
	s := sessionFile(daemon(initLine), daemon(batchLine), daemon(leaseLost))
	res, err := kcltest.Replay(d, s)
	if err != nil {
		t.Fatal(err)
	}
	var xe *kcltest.ExchangeError
	if !errors.As(res.Err, &xe) || xe.Action != "processRecords" {
		t.Errorf("Err = %v, want the processRecords exchange", res.Err)
	}
	if res.ExitCode != 1 || res.Exit == nil {
		t.Errorf("ExitCode = %d, Exit = %v; want 1 and kcl.Run's error", res.ExitCode, res.Exit)
	}
	if l := res.Lines[len(res.Lines)-1]; l != daemon(batchLine) {
		t.Errorf("last line %v, want the batch: leaseLost must not be sent", l)
	}
	problems := strings.Join(s.Check(res), "\n")
	for _, want := range []string{"child exit status 1", "the daemon stopped: kcltest: processRecords"} {
		if !strings.Contains(problems, want) {
			t.Errorf("Check = %q, want it to contain %q", problems, want)
		}
	}
	s.SetSection(kcltest.SectionExit, "1\n")
	s.Update(res)
	if problems := s.Check(res); len(problems) != 0 {
		t.Errorf("Check with exit 1 expected = %q", problems)
	}
}

func TestReplayInvalidSession(t *testing.T) {
	for _, s := range []*kcltest.Session{
		sessionFile(child(initStatus)),
		sessionFile(daemon(reply(cpLatest, "null")), daemon(initLine)),
	} {
		d := kcltest.NewDaemon(t, factory(&latest{}), quiet())
		if _, err := kcltest.Replay(d, s); err == nil {
			t.Errorf("Replay(%v) = nil error, want the session refused", s.Lines)
		}
	}
}

// TestReplayRawChild plays a session against a child that is a shell
// script, to see the daemon lines arrive byte for byte, whatever the
// protocol package makes of them, and lines written after stdin closes
// recorded.
func TestReplayRawChild(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	odd := `{"action":"leaseHandoff","note":"é\t\u0001 / \u2028 raw","n":1.50}`
	script := `IFS= read -r l; printf '%s\n' "$l" >&2; echo '` + initStatus + `'
IFS= read -r l; printf '%s\n' "$l" >&2; echo '{"action":"status","responseFor":"leaseHandoff"}'
cat >/dev/null; echo late; exit 3`
	d := kcltest.StartCommand(t, exec.Command(sh, "-c", script), kcltest.Timeout(5*time.Second))
	s := sessionFile(daemon(initLine), daemon(odd))
	s.SetSection(kcltest.SectionExit, "3\n")
	res, err := kcltest.Replay(d, s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stderr != initLine+"\n"+odd+"\n" {
		t.Errorf("the child read %q, want the session's lines exactly", res.Stderr)
	}
	want := []kcltest.Line{daemon(initLine), child(initStatus), daemon(odd), child(`{"action":"status","responseFor":"leaseHandoff"}`), child("late")}
	if d := kcltest.DiffLines(want, res.Lines); d != "" {
		t.Errorf("lines (- want, + got):\n%s", d)
	}
	if res.ExitCode != 3 || res.Err != nil {
		t.Errorf("ExitCode %d, Err %v; want 3 and no daemon error", res.ExitCode, res.Err)
	}
}

func TestDiffLines(t *testing.T) {
	a := []kcltest.Line{daemon("1"), child("2"), daemon("3"), child("4"), daemon("5"), child("6"), daemon("7")}
	b := []kcltest.Line{daemon("1"), child("2"), daemon("3"), child("4x"), daemon("5"), child("6"), daemon("7"), child("8")}
	if got := kcltest.DiffLines(a, a); got != "" {
		t.Errorf("DiffLines(a, a) = %q, want \"\"", got)
	}
	want := "  ...\n  < 2\n  > 3\n- < 4\n+ < 4x\n  > 5\n  < 6\n  > 7\n+ < 8\n"
	if got := kcltest.DiffLines(a, b); got != want {
		t.Errorf("DiffLines =\n%s\nwant\n%s", got, want)
	}
}

// TestCheckReadsChildLinesAsTheDaemon replays a byte-for-byte recording of
// a child that ends its lines with "\r\n" and once writes two lines split
// by a lone "\r": the daemon reads "\r" as a line end, and so does Check.
func TestCheckReadsChildLinesAsTheDaemon(t *testing.T) {
	file := "# recorded\n-- session --\n" +
		"> " + initLine + "\n< " + initStatus + "\r\n" +
		"> " + leaseLost + "\n< stray\r" + llStatus + "\r\n"
	s, err := kcltest.ParseSession([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Lines[3].Text, "stray\r"+llStatus+"\r"; got != want {
		t.Fatalf("ParseSession kept %q, want %q, byte for byte", got, want)
	}
	if got := string(s.Format()); got != file {
		t.Errorf("Format = %q, want the file back: %q", got, file)
	}
	d := startRaw(t, []string{initStatus + "\r\n", "stray\r" + llStatus + "\r\n"})
	res, err := kcltest.Replay(d, s)
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Check(res); p != nil {
		t.Errorf("Check: %q", p)
	}
	want := []kcltest.Line{daemon(initLine), child(initStatus), daemon(leaseLost), child("stray"), child(llStatus)}
	if d := kcltest.DiffLines(want, res.Lines); d != "" {
		t.Errorf("the daemon read (- want, + got):\n%s", d)
	}
}
