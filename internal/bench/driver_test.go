package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kclgo/mld/internal/lease"
	"github.com/kclgo/mld/protocol"
)

// TestCheckpointAnswers has a child try checkpoints that the daemon accepts
// and refuses during every action, and checks each reply against package
// lease fed the daemon's lines decoded in full: the driver's lease sees
// only each batch's last record, which must come to the same.
func TestCheckpointAnswers(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "checkpoints")
	t.Setenv(logEnv, logPath)
	lines := Generate(small, 1)
	r, err := measure(small, lines, testChildPath(t, "probe"), 10*time.Second)
	if err != nil {
		t.Fatal(err) // among others, if the last record did not stand for SHARD_END
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	log := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if r.Checkpoints != len(log) {
		t.Errorf("%d checkpoints counted, %d in the child's log", r.Checkpoints, len(log))
	}

	steps := append(append([]step{lines.init}, lines.batches...), lines.end...)
	var l lease.Lease
	begun := -1
	literal := map[string]bool{}
	for _, entry := range log {
		f := strings.Split(entry, "\t")
		if len(f) != 4 {
			t.Fatalf("log line %q", entry)
		}
		n, _ := strconv.Atoi(f[0])
		for ; begun < n; begun++ {
			m, err := protocol.Decode(steps[begun+1].line)
			if err != nil {
				t.Fatal(err)
			}
			l.Begin(m)
		}
		req, err := protocol.DecodeChild([]byte(f[2]))
		if err != nil {
			t.Fatalf("DecodeChild(%q) = %v", f[2], err)
		}
		want := string(appendReply(nil, &l, req.(protocol.Checkpoint)))
		if got := f[3] + "\n"; got != want {
			t.Errorf("during %s, %s: reply %s, want %s", f[1], f[2], got, want)
		}
		literal[f[1]+" "+f[3]] = true
	}
	// A few replies spelled out, lest both sides agree on something wrong.
	for _, want := range []string{
		`initialize {"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":"InvalidStateException"}`,
		`initialize {"action":"checkpoint","sequenceNumber":"1","subSequenceNumber":0,"error":"InvalidStateException"}`,
		`processRecords {"action":"checkpoint","sequenceNumber":"12x","subSequenceNumber":0,"error":"IllegalArgumentException"}`,
		`processRecords {"action":"checkpoint","sequenceNumber":"SHARD_END","subSequenceNumber":0,"error":"IllegalArgumentException"}`,
		`processRecords {"action":"checkpoint","sequenceNumber":"` + string(appendSeq(nil, 11)) + `","subSequenceNumber":0,"error":null}`,
		`processRecords {"action":"checkpoint","sequenceNumber":"` + string(appendSeq(nil, 11)) + `","subSequenceNumber":1,"error":"IllegalArgumentException"}`,
		`shardEnded {"action":"checkpoint","sequenceNumber":"` + string(appendSeq(nil, 11)) + `","subSequenceNumber":0,"error":null}`,
	} {
		if !literal[want] {
			t.Errorf("no reply %s in the log:\n%s", want, b)
		}
	}
}

// repeatReader reads line over and over.
type repeatReader struct {
	line []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.line[r.off:])
		n += c
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}

// BenchmarkStatusLine is what the driver adds to each round trip to read
// the child's status as the daemon does.
func BenchmarkStatusLine(b *testing.B) {
	c := &child{rd: protocol.NewReader(&repeatReader{line: []byte(`{"action":"status","responseFor":"processRecords"}` + "\n")})}
	b.ReportAllocs()
	for b.Loop() {
		l, err := c.nextLine()
		if err != nil {
			b.Fatal(err)
		}
		m, err := protocol.DecodeChild(l)
		if s, ok := m.(protocol.Status); !ok || s.ResponseFor != protocol.ActionProcessRecords {
			b.Fatalf("DecodeChild(%q) = %v, %v", l, m, err)
		}
	}
}
