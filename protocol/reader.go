package protocol

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// DefaultMaxLineSize is the longest line a Reader accepts unless told
// otherwise. A processRecords line holds a whole GetRecords batch (up to
// 10,000 records and about 10 MiB of payload, which is over 13 MiB of
// base64); KPL de-aggregation adds about 200 bytes per user record.
const DefaultMaxLineSize = 256 << 20

const initialBufferSize = 64 << 10

// longChunk is the largest piece in which readLong reads a line that does
// not fit in the current buffer.
const longChunk = 1 << 20

// maxEmptyReads is how many reads in a row may return nothing before Read
// reports io.ErrNoProgress, as in bufio.
const maxEmptyReads = 100

// Reader reads the daemon's messages, one per line, with no fixed line
// limit below its maximum line size.
//
// Reader reuses memory. The Data slices of a ProcessRecords returned by Read
// point into a buffer owned by the Reader; they stay valid, and the Reader
// does not touch that buffer, until the message is passed to Release. A
// message that is never released is left to the garbage collector and stays
// valid for as long as it is referenced. Strings in messages are ordinary Go
// strings and are always safe to keep.
//
// A Reader is not safe for concurrent use, except that Release may be called
// from any goroutine, including while Read is running.
type Reader struct {
	r       io.Reader
	max     int
	cur     *lineBuffer // the buffer being filled; never leased
	start   int         // cur.b[start:end] is unread input
	end     int
	scanned int // cur.b[start:scanned] holds no '\n'
	err     error
	skip    bool // discarding the rest of an over-long line

	mu   sync.Mutex
	free []*lineBuffer // released buffers, kept for reuse
}

// lineBuffer is input storage plus the scratch that a decoded batch uses.
// While a ProcessRecords points into it, it is leased and the Reader does
// not write to it.
type lineBuffer struct {
	b      []byte
	leased bool // guarded by Reader.mu
	// gen counts the batches decoded into the buffer, so that releasing a
	// batch twice cannot free a later one that reuses the buffer.
	gen uint64 // guarded by Reader.mu
	batchScratch
}

// maxFree bounds how many released buffers a Reader keeps: one for the line
// being read and one for a batch still in use is the steady state.
const maxFree = 2

// NewReader returns a Reader reading from r with the default maximum line
// size.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r, max: DefaultMaxLineSize, cur: &lineBuffer{b: make([]byte, initialBufferSize)}}
}

// SetMaxLineSize sets the longest line, in bytes without the line end, that
// Read accepts. A longer line is discarded and Read returns an error
// wrapping ErrLineTooLong, without buffering more than about n bytes.
// n <= 0 restores DefaultMaxLineSize.
func (r *Reader) SetMaxLineSize(n int) {
	if n <= 0 {
		n = DefaultMaxLineSize
	}
	r.max = n
}

// Read returns the next message. Blank lines are skipped. At the end of the
// input Read returns io.EOF; input that ends inside a line gives
// io.ErrUnexpectedEOF. A line that does not decode gives the error from
// Decode, and the next Read continues with the following line.
func (r *Reader) Read() (Message, error) {
	for {
		line, err := r.ReadLine()
		if err != nil {
			return nil, err
		}
		if isBlank(line) {
			continue
		}
		m, leased, err := decodeLine(line, r.cur)
		if err != nil {
			return nil, err
		}
		if leased {
			r.swapBuffer()
		}
		return m, nil
	}
}

// ReadLine returns the next raw line without its "\n" or trailing "\r".
// The line is valid until the next call to Read or ReadLine.
func (r *Reader) ReadLine() ([]byte, error) {
	line, err := r.nextLine()
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(line, []byte{'\r'}), nil
}

// Release hands back the memory of a message returned by Read, for reuse by
// later reads. m and its records must not be used afterwards. Releasing a
// message that holds no Reader memory, or releasing twice, does nothing.
func (r *Reader) Release(m Message) {
	pr, ok := m.(ProcessRecords)
	if !ok || pr.lease == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !pr.lease.leased || pr.lease.gen != pr.leaseGen {
		return // released already
	}
	pr.lease.leased = false
	r.keep(pr.lease)
}

// nextLine returns the next line without "\n", as a slice of r.cur.b.
func (r *Reader) nextLine() ([]byte, error) {
	for {
		if i := bytes.IndexByte(r.cur.b[r.scanned:r.end], '\n'); i >= 0 {
			line := r.cur.b[r.start : r.scanned+i]
			r.start = r.scanned + i + 1
			r.scanned = r.start
			if r.skip {
				r.skip = false
				continue // the tail of an over-long line
			}
			if len(bytes.TrimSuffix(line, []byte{'\r'})) > r.max {
				return nil, r.tooLong()
			}
			return line, nil
		}
		r.scanned = r.end
		if r.err != nil {
			if r.err == io.EOF && r.start == r.end && !r.skip {
				return nil, io.EOF
			}
			if r.err == io.EOF {
				r.err = io.ErrUnexpectedEOF
			}
			return nil, r.err
		}
		if r.end-r.start > r.max+1 { // + 1 for a "\r" before the "\n"
			// Too long: drop what is buffered and keep discarding up to the
			// next '\n'; the caller sees one error for the whole line.
			wasSkipping := r.skip
			r.start, r.end, r.scanned, r.skip = 0, 0, 0, true
			if !wasSkipping {
				return nil, r.tooLong()
			}
		}
		if r.end < len(r.cur.b) {
			r.end += r.fill(r.cur.b[r.end:])
		} else if !r.makeRoom() {
			r.start, r.end, r.scanned, r.skip = 0, 0, 0, true
			return nil, r.tooLong()
		}
	}
}

func (r *Reader) tooLong() error {
	return fmt.Errorf("protocol: %w: longer than %d bytes", ErrLineTooLong, r.max)
}

// fill reads into p and returns the byte count, keeping a read error for
// when the buffered input is used up.
func (r *Reader) fill(p []byte) int {
	for range maxEmptyReads {
		n, err := r.r.Read(p)
		if err != nil {
			r.err = err
		}
		if n > 0 || err != nil {
			return n
		}
	}
	r.err = io.ErrNoProgress // a reader that never makes progress
	return 0
}

// makeRoom makes space after end when cur is full: it compacts, moves to a
// larger free buffer, or reads the rest of the line with readLong. It
// reports false if the line turned out longer than the maximum.
func (r *Reader) makeRoom() bool {
	if r.skip {
		r.start, r.end, r.scanned = 0, 0, 0 // all of it is the over-long line's
		return true
	}
	if r.start > 0 {
		n := copy(r.cur.b, r.cur.b[r.start:r.end])
		r.start, r.end, r.scanned = 0, n, r.scanned-r.start
		return true
	}
	if next := r.takeFree(len(r.cur.b) + 1); next != nil {
		r.end = copy(next.b, r.cur.b[:r.end])
		r.putFree(r.cur)
		r.cur = next
		return true
	}
	return r.readLong()
}

// readLong reads the rest of a line that fills cur into separate chunks,
// then moves the line into one buffer just large enough for it. Doubling
// cur instead would allocate up to four times the line and copy it twice
// over; this copies it once, and since each chunk is freed as soon as it is
// copied (see newChunk), the line's memory peaks at about its own size. It
// reports false, dropping what it read, if the line grows longer than the
// maximum.
func (r *Reader) readLong() bool {
	var chunks [][]byte
	defer func() {
		for _, c := range chunks {
			freeChunk(c)
		}
	}()
	size := r.end // cur holds the start of the line and nothing else
	for found := false; !found && r.err == nil; {
		if size > r.max+1 {
			return false
		}
		c := newChunk(min(max(size, initialBufferSize), longChunk))
		chunks = append(chunks, c)
		n := 0
		for n < len(c) && !found && r.err == nil {
			m := r.fill(c[n:])
			found = bytes.IndexByte(c[n:n+m], '\n') >= 0
			n += m
		}
		chunks[len(chunks)-1] = c[:n]
		size += n
	}
	next := r.takeFree(size + initialBufferSize)
	if next == nil {
		next = &lineBuffer{b: make([]byte, size+initialBufferSize)}
	}
	w := copy(next.b, r.cur.b[:r.end])
	for i, c := range chunks {
		w += copy(next.b[w:], c)
		freeChunk(c)
		chunks[i] = nil
	}
	r.putFree(r.cur)
	r.cur, r.end = next, w // cur.b[:scanned] still holds no '\n'
	return true
}

// swapBuffer moves the unread input out of cur, which a decoded batch now
// leases, into another buffer.
func (r *Reader) swapBuffer() {
	r.mu.Lock()
	r.cur.leased = true
	r.cur.gen++
	r.mu.Unlock()
	rest := r.cur.b[r.start:r.end]
	next := r.takeFree(max(len(rest), initialBufferSize))
	if next == nil {
		next = &lineBuffer{b: make([]byte, max(2*len(rest), initialBufferSize))}
	}
	r.end = copy(next.b, rest)
	r.start, r.scanned = 0, 0
	r.cur = next
}

// takeFree removes and returns the largest free buffer if it holds at least
// n bytes.
func (r *Reader) takeFree(n int) *lineBuffer {
	r.mu.Lock()
	defer r.mu.Unlock()
	best := -1
	for i, lb := range r.free {
		if len(lb.b) >= n && (best < 0 || len(lb.b) > len(r.free[best].b)) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	lb := r.free[best]
	r.free = append(r.free[:best], r.free[best+1:]...)
	return lb
}

func (r *Reader) putFree(lb *lineBuffer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keep(lb)
}

// keep adds lb to the free buffers; when they are full, it replaces the
// smallest if lb is larger, since a large buffer saves the most work. r.mu
// must be held.
func (r *Reader) keep(lb *lineBuffer) {
	if len(r.free) < maxFree {
		r.free = append(r.free, lb)
		return
	}
	small := 0
	for i, f := range r.free {
		if len(f.b) < len(r.free[small].b) {
			small = i
		}
	}
	if len(lb.b) > len(r.free[small].b) {
		r.free[small] = lb
	}
}

func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}
