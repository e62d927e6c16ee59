// Command bench-ceiling is the reference "physical limit" child of "kcl
// bench": the least work that still speaks the MultiLangDaemon protocol. It
// reads stdin into one growable buffer, takes the action from where the
// daemon writes it (first), base64-decodes every record's data into a reused
// buffer, answers every action with its status line, and checkpoints at
// shardEnded, shutdownRequested and a 1.x shutdown TERMINATE, reading the
// daemon's reply before the status.
//
// It validates nothing: it is a yardstick for the SDK, not a correct general
// child. Standard library only.
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"runtime"
)

var (
	buf   = make([]byte, 1<<20)
	start int // buf[start:end] is unread input
	end   int
	// seen is where the search for the next '\n' resumes, so that a long
	// line arriving in 64 KiB pieces is scanned once, not once per piece.
	seen    int
	decoded []byte
	sink    byte
)

var (
	actionPrefix = []byte(`{"action":"`)
	dataKey      = []byte(`"data":"`)
	checkpoint   = []byte("{\"action\":\"checkpoint\",\"sequenceNumber\":null,\"subSequenceNumber\":null}\n")
	terminate    = []byte(`"reason":"TERMINATE"`)
	status       = make([]byte, 0, 128)
)

// line returns the next line without its "\n", valid until the next call,
// and false at the end of input.
func line() ([]byte, bool) {
	for {
		if i := bytes.IndexByte(buf[seen:end], '\n'); i >= 0 {
			l := buf[start : seen+i]
			start = seen + i + 1
			seen = start
			return l, true
		}
		seen = end
		if start > 0 {
			copy(buf, buf[start:end])
			end -= start
			seen -= start
			start = 0
		}
		if end == len(buf) {
			nb := make([]byte, 2*len(buf))
			copy(nb, buf[:end])
			buf = nb
		}
		n, err := os.Stdin.Read(buf[end:])
		end += n
		if err != nil && n == 0 {
			return nil, false
		}
	}
}

func write(b []byte) {
	if _, err := os.Stdout.Write(b); err != nil {
		fmt.Fprintln(os.Stderr, "bench-ceiling:", err)
		os.Exit(1)
	}
}

// decodeAll base64-decodes every record's data in a processRecords line.
func decodeAll(l []byte) {
	for {
		i := bytes.Index(l, dataKey)
		if i < 0 {
			return
		}
		l = l[i+len(dataKey):]
		j := bytes.IndexByte(l, '"')
		if j < 0 {
			return
		}
		if n := base64.StdEncoding.DecodedLen(j); cap(decoded) < n {
			decoded = make([]byte, n)
		}
		n, err := base64.StdEncoding.Decode(decoded[:cap(decoded)], l[:j])
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench-ceiling: bad base64:", err)
			os.Exit(1)
		}
		if n > 0 {
			sink ^= decoded[n-1]
		}
		l = l[j+1:]
	}
}

func main() {
	for {
		l, ok := line()
		if !ok {
			runtime.KeepAlive(sink) // the decoding must not be optimized away
			return
		}
		if !bytes.HasPrefix(l, actionPrefix) {
			continue
		}
		rest := l[len(actionPrefix):]
		q := bytes.IndexByte(rest, '"')
		if q < 0 {
			continue
		}
		action := rest[:q]
		// Built now: reading the checkpoint reply may move buf under action.
		status = append(status[:0], `{"action":"status","responseFor":"`...)
		status = append(status, action...)
		status = append(status, "\"}\n"...)
		switch string(action) {
		case "processRecords":
			decodeAll(rest[q:])
		case "shardEnded", "shutdownRequested":
			write(checkpoint)
			line()
		case "shutdown":
			if bytes.Contains(rest, terminate) {
				write(checkpoint)
				line()
			}
		case "checkpoint": // a reply nobody waits for
			continue
		}
		write(status)
	}
}
