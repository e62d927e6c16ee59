package record

import (
	"bytes"
	"io"
)

// chunkSize is the most pump reads at once: a pipe's capacity on Linux, so
// that a read takes whatever the pipe holds.
const chunkSize = 64 << 10

// pump passes what src delivers on to dst at once, in the pieces it
// comes in, and records each line in rec just before the chunk holding its
// newline is passed on. Nothing waits for a line to end before it is
// passed on; only the recording holds the line being read, however long.
//
// pump returns at the end of src, recording a last line that did not end
// (and noting that), or when dst fails. It reports which: a read error
// (nil for the end of the input) or a write error.
func pump(dst io.Writer, src io.Reader, fromChild bool, rec *recording) (readErr, writeErr error) {
	mark := "> "
	if fromChild {
		mark = "< "
	}
	buf := make([]byte, chunkSize)
	line := []byte(mark)
	for {
		n, err := src.Read(buf)
		chunk := buf[:n]
		for rest := chunk; len(rest) > 0; {
			i := bytes.IndexByte(rest, '\n')
			if i < 0 {
				line = append(line, rest...)
				break
			}
			line = append(line, rest[:i+1]...)
			rec.line(fromChild, line)
			line = line[:len(mark)]
			rest = rest[i+1:]
		}
		if n > 0 {
			if _, werr := dst.Write(chunk); werr != nil {
				return nil, werr
			}
		}
		if err != nil {
			if len(line) > len(mark) {
				rec.line(fromChild, append(line, '\n'))
				rec.note("%s", cutShort(fromChild))
			}
			if err == io.EOF {
				err = nil
			}
			return err, nil
		}
	}
}

// cutShort notes a last line without a newline, which a session file
// cannot show.
func cutShort(fromChild bool) string {
	if fromChild {
		return "The child's last line ended without a newline; it is recorded as a line."
	}
	return "The daemon's last line ended without a newline; it is recorded as a line, and a replay sends it with one."
}
