package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// readers are the ways the tests deliver input: all at once, a byte at a
// time, half of what is asked, and with the error on the last read.
var readers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"OneByteReader", iotest.OneByteReader},
	{"HalfReader", iotest.HalfReader},
	{"DataErrReader", iotest.DataErrReader},
}

// makeBatch returns a batch of n records with size bytes of random data
// each, as the daemon would send it.
func makeBatch(rng *rand.Rand, n, size int) ProcessRecords {
	records := make([]Record, n)
	for i := range records {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		records[i] = Record{
			Data:                        data,
			PartitionKey:                fmt.Sprintf("pk-%d", rng.IntN(1000)),
			SequenceNumber:              fmt.Sprintf("495903382714902566085596925383615710959215759891365%05d", i),
			ApproximateArrivalTimestamp: Some(int64(1700000000000 + i)),
			SubSequenceNumber:           Some(int64(i % 3)),
		}
	}
	return ProcessRecords{Records: records, MillisBehindLatest: Some(int64(n))}
}

func lineOf(m Message) string { return string(Append(nil, m)) + "\n" }

// readAll reads messages until an error, checking each against the
// reference decoder, and releases them.
func readAll(t *testing.T, r *Reader, lines []string) {
	t.Helper()
	for _, line := range lines {
		want, wantErr := Decode([]byte(line))
		got, err := r.Read()
		if wantErr != nil {
			if err == nil || err.Error() != wantErr.Error() {
				t.Fatalf("Read() error = %v, want %v", err, wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Read() error = %v, want %.100s", err, line)
		}
		if diff := cmp.Diff(want, got, msgOpts); diff != "" {
			t.Fatalf("Read() mismatch (-want +got):\n%s", diff)
		}
		r.Release(got)
	}
	if m, err := r.Read(); err != io.EOF {
		t.Fatalf("Read() at the end = %v, %v; want io.EOF", m, err)
	}
}

func TestReaderSplitReads(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	big := lineOf(makeBatch(rng, 300, 700)) // over 64 KiB: the buffer must grow
	lines := append([]string(nil), specLines...)
	lines = append(lines, big, specLines[3], `{"action":"bogus"}`, `{"action":"processRecords","records":[{"data":"!!"}]}`, big)
	var input strings.Builder
	for i, line := range lines {
		line = strings.TrimSuffix(line, "\n")
		switch i % 3 {
		case 0:
			input.WriteString(line + "\n")
		case 1:
			input.WriteString(line + "\r\n")
		case 2:
			input.WriteString("\n  \n\r\n" + line + "\n") // blank lines are skipped
		}
	}
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			r := NewReader(rd.wrap(strings.NewReader(input.String())))
			readAll(t, r, lines)
		})
	}
}

func TestReaderEnd(t *testing.T) {
	tests := []struct {
		input string
		want  []error // after the messages
	}{
		{"", []error{io.EOF, io.EOF}},
		{"\n\n \r\n", []error{io.EOF}},
		{specLines[8] + "\n", []error{nil, io.EOF, io.EOF}},
		{specLines[8] + "\r\n", []error{nil, io.EOF}},
		{specLines[8], []error{io.ErrUnexpectedEOF, io.ErrUnexpectedEOF}},
		{specLines[8] + "\n" + specLines[9], []error{nil, io.ErrUnexpectedEOF}},
		{specLines[8] + "\n ", []error{nil, io.ErrUnexpectedEOF}},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			r := NewReader(rd.wrap(strings.NewReader(tt.input)))
			for i, want := range tt.want {
				m, err := r.Read()
				if err != want || (err == nil) != (m != nil) {
					t.Errorf("%s: Read %d of %q = %v, %v; want error %v", rd.name, i, tt.input, m, err, want)
				}
			}
		}
	}
}

func TestReaderReadLine(t *testing.T) {
	input := "a\nb\r\n\r\nc\r\r\nd"
	want := []string{"a", "b", "", "c\r"}
	for _, rd := range readers {
		r := NewReader(rd.wrap(strings.NewReader(input)))
		for _, w := range want {
			line, err := r.ReadLine()
			if err != nil || string(line) != w {
				t.Errorf("%s: ReadLine() = %q, %v; want %q", rd.name, line, err, w)
			}
		}
		if line, err := r.ReadLine(); err != io.ErrUnexpectedEOF {
			t.Errorf("%s: ReadLine() = %q, %v; want io.ErrUnexpectedEOF", rd.name, line, err)
		}
	}
}

func TestReaderContinuesAfterBadLine(t *testing.T) {
	input := "{\"action\":\n{\"action\":\"bogus\"}\n" + specLines[8] + "\n"
	r := NewReader(strings.NewReader(input))
	if _, err := r.Read(); !errors.Is(err, ErrMalformed) {
		t.Errorf("Read() error = %v, want ErrMalformed", err)
	}
	var unknown *UnknownActionError
	if _, err := r.Read(); !errors.As(err, &unknown) || unknown.Action != "bogus" {
		t.Errorf("Read() error = %v, want UnknownActionError for bogus", err)
	}
	if m, err := r.Read(); err != nil || m != (LeaseLost{}) {
		t.Errorf("Read() = %v, %v; want LeaseLost", m, err)
	}
}

// stallReader returns nothing, without an error, n times, then reads from r.
type stallReader struct {
	n int
	r io.Reader
}

func (s *stallReader) Read(p []byte) (int, error) {
	if s.n > 0 {
		s.n--
		return 0, nil
	}
	return s.r.Read(p)
}

func TestReaderEmptyReads(t *testing.T) {
	r := NewReader(&stallReader{n: 50, r: strings.NewReader(specLines[8] + "\n")})
	if m, err := r.Read(); err != nil || m != (LeaseLost{}) {
		t.Errorf("Read() after empty reads = %v, %v; want LeaseLost", m, err)
	}
	r = NewReader(&stallReader{n: 1 << 30})
	if _, err := r.Read(); err != io.ErrNoProgress {
		t.Errorf("Read() from a reader that never returns anything: error = %v, want io.ErrNoProgress", err)
	}
}

func TestReaderMaxLineSize(t *testing.T) {
	const max = 100
	atMax := `{"action":"shutdown","reason":"` + strings.Repeat("x", max-33) + `"}`
	overMax := `{"action":"shutdown","reason":"` + strings.Repeat("x", max-32) + `"}`
	huge := `{"action":"shutdown","reason":"` + strings.Repeat("x", 5<<20) + `"}`
	if len(atMax) != max || len(overMax) != max+1 {
		t.Fatalf("test lines are %d and %d bytes", len(atMax), len(overMax))
	}
	tests := []struct {
		name  string
		input string
		max   int
		lines []string // "" for a line too long
	}{
		{"at max", atMax + "\n" + atMax + "\r\n", max, []string{atMax, atMax}},
		{"over max", overMax + "\n" + specLines[8] + "\n", max, []string{"", specLines[8]}},
		{"over max with CRLF", overMax + "\r\n" + specLines[8] + "\r\n", max, []string{"", specLines[8]}},
		{"long", huge + "\n" + specLines[9] + "\n" + huge + "\r\n" + specLines[10] + "\n", max, []string{"", specLines[9], "", specLines[10]}},
		{"long, large max", huge + "\n" + specLines[9] + "\n" + huge + "\n" + atMax + "\n", 1 << 20, []string{"", specLines[9], "", atMax}},
		{"default max", huge + "\n" + specLines[9] + "\n", 0, []string{huge, specLines[9]}},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			if rd.name == "OneByteReader" && len(tt.input) > 1<<20 {
				continue // slow, and HalfReader splits reads too
			}
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				r := NewReader(rd.wrap(strings.NewReader(tt.input)))
				r.SetMaxLineSize(tt.max)
				for i, line := range tt.lines {
					m, err := r.Read()
					if line == "" {
						if !errors.Is(err, ErrLineTooLong) {
							t.Fatalf("Read %d = %.100v, %v; want an error wrapping ErrLineTooLong", i, m, err)
						}
						continue
					}
					want, _ := Decode([]byte(line))
					if err != nil || !cmp.Equal(m, want) {
						t.Fatalf("Read %d = %.100v, %v; want %.100v", i, m, err, want)
					}
				}
				if _, err := r.Read(); err != io.EOF {
					t.Fatalf("Read at the end: error = %v, want io.EOF", err)
				}
			})
		}
	}
	// An over-long line that the input cuts short is still an unexpected end.
	r := NewReader(strings.NewReader(huge))
	r.SetMaxLineSize(max)
	if _, err := r.Read(); !errors.Is(err, ErrLineTooLong) {
		t.Errorf("Read() error = %v, want ErrLineTooLong", err)
	}
	if _, err := r.Read(); err != io.ErrUnexpectedEOF {
		t.Errorf("Read() error = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestReaderHugeLine(t *testing.T) {
	if testing.Short() {
		t.Skip("20 MiB line")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	want := makeBatch(rng, 20<<10, 1<<10) // 20 MiB of payload, about 29 MiB of JSON
	input := lineOf(want) + specLines[8] + "\n"
	for _, rd := range readers[:3] {
		t.Run(rd.name, func(t *testing.T) {
			r := NewReader(rd.wrap(strings.NewReader(input)))
			m, err := r.Read()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(Message(want), m, msgOpts); diff != "" {
				t.Fatalf("Read() mismatch (-want +got):\n%s", diff)
			}
			if m, err := r.Read(); m != (LeaseLost{}) || err != nil {
				t.Fatalf("Read() after the long line = %v, %v; want LeaseLost", m, err)
			}
			if _, err := r.Read(); err != io.EOF {
				t.Fatalf("Read() at the end: error = %v, want io.EOF", err)
			}
		})
	}
}

// An unreleased batch is left alone however much is read after it, and a
// released batch's buffer is used again.
func TestReaderLeases(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	first := makeBatch(rng, 500, 1000)
	second := makeBatch(rng, 2000, 1000)
	third := makeBatch(rng, 10, 10)
	input := lineOf(first) + specLines[13] + "\n" + lineOf(second) + lineOf(third) + lineOf(second) + lineOf(first)
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			r := NewReader(rd.wrap(strings.NewReader(input)))
			read := func(want Message) Message {
				t.Helper()
				m, err := r.Read()
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, m, msgOpts); diff != "" {
					t.Fatalf("Read() mismatch (-want +got):\n%s", diff)
				}
				return m
			}
			kept := read(first)
			read(mustDecode(specLines[13]))
			m := read(second)
			r.Release(m)
			r.Release(m) // twice: must not hand the buffer out twice
			unreleased := read(third)
			read(second) // may reuse the second batch's buffer, not the others
			if diff := cmp.Diff(Message(first), kept, msgOpts); diff != "" {
				t.Fatalf("unreleased batch changed by later reads (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(Message(third), unreleased, msgOpts); diff != "" {
				t.Fatalf("unreleased batch changed by later reads (-want +got):\n%s", diff)
			}
			r.Release(kept)
			read(first)
		})
	}
}

// A batch released twice, the second time after its buffer went to a later
// batch, must not free that later batch.
func TestReleaseStaleBatch(t *testing.T) {
	// Lines longer than a fresh buffer make the Reader move to a released
	// one, which is how a buffer passes from one batch to the next.
	pad := strings.Repeat("x", 100<<10)
	batch := func(data string) string {
		return string(Append(nil, ProcessRecords{Records: []Record{{Data: []byte(data + pad), SequenceNumber: "1"}}}))
	}
	in := strings.Join([]string{batch("one"), batch("two"), batch("six")}, "\n") + "\n"
	r := NewReader(iotest.OneByteReader(strings.NewReader(in))) // exact line-sized buffers
	old, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	r.Release(old)
	live, err := r.Read() // may reuse old's buffer
	if err != nil {
		t.Fatal(err)
	}
	r.Release(old) // stale: must be ignored
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	if got := string(live.(ProcessRecords).Records[0].Data); got != "two"+pad {
		t.Errorf("live batch's data = %.20q... after a stale release and another read, want %q...", got, "two")
	}
}

func mustDecode(line string) Message {
	m, err := Decode([]byte(line))
	if err != nil {
		panic(err)
	}
	return m
}

// repeatReader delivers data over and over.
type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}

func TestReaderSteadyStateAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{10, 1000} {
		r := NewReader(&repeatReader{data: []byte(lineOf(makeBatch(rng, n, 1<<10)))})
		readRelease := func() {
			m, err := r.Read()
			if err != nil {
				t.Fatal(err)
			}
			if len(m.(ProcessRecords).Records) != n {
				t.Fatalf("read %d records, want %d", len(m.(ProcessRecords).Records), n)
			}
			r.Release(m)
		}
		for range 3 {
			readRelease() // warm up: grow the buffers
		}
		// The message and the batch's strings; nothing per record.
		if allocs := testing.AllocsPerRun(50, readRelease); allocs > 4 {
			t.Errorf("Read+Release of %d records: %v allocations per batch, want at most 4", n, allocs)
		}
	}
}

func TestReaderReleaseConcurrently(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	batches := make([]ProcessRecords, 20)
	var input strings.Builder
	for i := range batches {
		batches[i] = makeBatch(rng, 1+rng.IntN(200), rng.IntN(2000))
		input.WriteString(lineOf(batches[i]))
	}
	r := NewReader(iotest.HalfReader(strings.NewReader(input.String())))
	ch := make(chan Message, 4)
	var wg sync.WaitGroup
	wg.Go(func() {
		i := 0
		for m := range ch {
			if diff := cmp.Diff(Message(batches[i]), m, msgOpts); diff != "" {
				t.Errorf("batch %d mismatch (-want +got):\n%s", i, diff)
			}
			r.Release(m)
			i++
		}
	})
	for {
		m, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ch <- m
	}
	close(ch)
	wg.Wait()
}

// A long line costs the Reader about twice its size, not the four times
// that growing a buffer by doubling can cost.
func TestReaderMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("20 MiB line")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	line := []byte(lineOf(makeBatch(rng, 14<<10, 1<<10)))
	if len(line) < 20<<20 {
		t.Fatalf("test line is %d bytes, want 20 MiB", len(line))
	}
	src := bytes.NewReader(line)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := NewReader(src)
	m, err := r.Read()
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.(ProcessRecords).Records); n != 14<<10 {
		t.Fatalf("read %d records", n)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("line %d bytes; allocated %d bytes (%.2fx); heap in use grew by %d bytes",
		len(line), allocated, float64(allocated)/float64(len(line)), int64(after.HeapInuse)-int64(before.HeapInuse))
	if allocated > 2*uint64(len(line)) {
		t.Errorf("reading a %d-byte line allocated %d bytes, want under 2x", len(line), allocated)
	}
	runtime.KeepAlive(r)
}
