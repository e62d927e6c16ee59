package protocol

import (
	"bytes"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"testing"
)

func benchLine(b *testing.B, n, size int) []byte {
	b.Helper()
	return []byte(lineOf(makeBatch(rand.New(rand.NewPCG(1, 1)), n, size)))
}

// benchReader measures the Reader's steady state: each batch is read and
// released, so its buffers are reused.
func benchReader(b *testing.B, line []byte) {
	r := NewReader(&repeatReader{data: line})
	readRelease := func() {
		m, err := r.Read()
		if err != nil {
			b.Fatal(err)
		}
		r.Release(m)
	}
	for range 3 {
		readRelease() // grow the buffers first: b.Loop starts the clock
	}
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		readRelease()
	}
}

// benchReference measures the reference decoder on the same lines.
func benchReference(b *testing.B, line []byte) {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(line); err != nil {
			b.Fatal(err)
		}
	}
}

// benchDecodeLine measures the scanner alone. The line is copied into the
// buffer each time, as the Reader reads it there, since decoding
// overwrites it.
func benchDecodeLine(b *testing.B, line []byte) {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	buf := make([]byte, len(line))
	lb := new(lineBuffer)
	decode := func() {
		copy(buf, line)
		if _, _, err := decodeLine(buf, lb); err != nil {
			b.Fatal(err)
		}
	}
	decode() // grow the scratch first
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		decode()
	}
}

// benchDataOnly is the yardstick for the scanner: the least work that gets
// the payloads out of a line, finding each "data" string and decoding it,
// with no JSON validation and no other fields.
func benchDataOnly(b *testing.B, line []byte) {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	buf := make([]byte, len(line))
	out := make([]byte, len(line))
	key := []byte(`"data":"`)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, line)
		rest, w := buf, 0
		for {
			i := bytes.Index(rest, key)
			if i < 0 {
				break
			}
			rest = rest[i+len(key):]
			j := bytes.IndexByte(rest, '"')
			n, err := base64.StdEncoding.Decode(out[w:], rest[:j])
			if err != nil {
				b.Fatal(err)
			}
			w += n
			rest = rest[j:]
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, size := range []struct {
		name    string
		n, size int
	}{
		{"1000x1KiB", 1000, 1 << 10},
		{"10x1MiB", 10, 1 << 20},
		{"10000x100B", 10000, 100},
	} {
		line := benchLine(b, size.n, size.size)
		b.Run(size.name+"/Reader", func(b *testing.B) { benchReader(b, line) })
		b.Run(size.name+"/decodeLine", func(b *testing.B) { benchDecodeLine(b, line) })
		b.Run(size.name+"/DataOnly", func(b *testing.B) { benchDataOnly(b, line) })
		b.Run(size.name+"/Reference", func(b *testing.B) { benchReference(b, line) })
	}
}

func BenchmarkDecodeCheckpointReply(b *testing.B) {
	line := []byte(specLines[13])
	b.Run("Reader", func(b *testing.B) { benchReader(b, append(bytes.Clone(line), '\n')) })
	b.Run("Reference", func(b *testing.B) { benchReference(b, line) })
}

func BenchmarkWriter(b *testing.B) {
	for _, m := range []Message{
		Status{ResponseFor: ActionProcessRecords},
		Checkpoint{SequenceNumber: Some("49590338271490256608559692538361571095921575989136588898"), SubSequenceNumber: Some(int64(0))},
	} {
		b.Run(m.Action(), func(b *testing.B) {
			w := NewWriter(io.Discard)
			b.SetBytes(int64(len(Append(nil, m)) + 1))
			b.ReportAllocs()
			for b.Loop() {
				if err := w.Write(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
