package record

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/kclgo/mld/protocol"
)

// recording writes the session file as lines pass. Its methods are safe
// for concurrent use: both directions record into it.
type recording struct {
	pattern  string
	pid      int
	start    time.Time
	command  []string
	dir      string    // the working directory, for the comment
	warn     io.Writer // where a failed recording is reported
	childPID int       // set before the first line

	mu      sync.Mutex
	f       *os.File // nil until the daemon's first line, or for ever if it cannot be created
	path    string
	named   bool   // the file name is settled: f is open, or creating it failed
	pending []byte // lines before the file is named
	stamps  []stamp
	notes   []string
	failed  bool // nothing more is written
	done    bool
}

// stamp is a line's time since the start in microseconds, shifted left
// by one, with the low bit set for a child's line.
type stamp uint64

func newRecording(pattern string, command []string, warn io.Writer) *recording {
	dir, _ := os.Getwd()
	return &recording{pattern: pattern, pid: os.Getpid(), start: time.Now(), command: command, dir: dir, warn: warn}
}

// line records one line: b is the line as the session file holds it,
// mark and text and "\n". b is not kept.
func (r *recording) line(fromChild bool, b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || r.failed {
		return
	}
	s := stamp(time.Since(r.start).Microseconds()) << 1 // under the lock, so the times only go up
	if fromChild {
		s |= 1
	}
	r.stamps = append(r.stamps, s)
	if !r.named && !fromChild {
		r.name(shardOf(b[2 : len(b)-1]))
	}
	if !r.named {
		r.pending = append(r.pending, b...)
		return
	}
	r.write(b)
}

// note adds a sentence to the notes section.
func (r *recording) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.done {
		r.notes = append(r.notes, fmt.Sprintf(format, args...))
	}
}

// shardOf returns the shard of an initialize line, or "".
func shardOf(line []byte) string {
	m, err := protocol.Decode(line)
	if in, ok := m.(protocol.Initialize); ok && err == nil {
		return in.ShardID
	}
	return ""
}

// name creates the file for shard and writes the comment and the lines so
// far. r.mu is held.
func (r *recording) name(shard string) {
	r.named = true
	r.path = fileName(r.pattern, shard, r.pid)
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			err = fmt.Errorf("%s exists, and a recording is never overwritten", r.path)
		}
		r.fail(err)
		return
	}
	r.f = f
	r.write([]byte(r.comment(shard) + "-- session --\n"))
	r.write(r.pending)
	r.pending = nil
}

// write appends b to the file. r.mu is held.
func (r *recording) write(b []byte) {
	if r.failed || len(b) == 0 {
		return
	}
	if _, err := r.f.Write(b); err != nil {
		r.fail(err)
	}
}

// fail reports err once and stops the recording, not the lines passing.
// r.mu is held.
func (r *recording) fail(err error) {
	r.failed = true
	r.pending = nil
	fmt.Fprintf(r.warn, "kcl record: not recording any more (the processor runs on): %v\n", err)
}

// finish ends the file once the child has exited, with its exit status as
// kcltest reports it, and closes it. Lines recorded later are dropped.
func (r *recording) finish(exit int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	r.done = true
	if !r.named {
		r.name("")
	}
	if r.f == nil {
		return
	}
	var b bytes.Buffer
	if exit != 0 {
		fmt.Fprintf(&b, "-- exit --\n%d\n", exit)
	}
	if len(r.notes) > 0 {
		b.WriteString("-- notes --\n")
		for _, n := range r.notes {
			b.WriteString(n + "\n")
		}
	}
	b.WriteString("-- timing --\n")
	for _, s := range r.stamps {
		mark := '>'
		if s&1 != 0 {
			mark = '<'
		}
		us := uint64(s >> 1)
		fmt.Fprintf(&b, "%d.%06d %c\n", us/1e6, us%1e6, mark)
	}
	r.write(b.Bytes())
	if err := r.f.Sync(); err != nil && !r.failed {
		r.fail(err)
	}
	if err := r.f.Close(); err != nil && !r.failed {
		r.fail(err)
	}
}

// comment is the text before the first section.
func (r *recording) comment(shard string) string {
	if shard == "" {
		shard = "unknown (the daemon sent no initialize)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Recorded by kcl record at %s in %s\n", r.start.UTC().Format("2006-01-02T15:04:05.000Z07:00"), quote(r.dir))
	fmt.Fprintf(&b, "# (kcl record pid %d, child pid %d).\n", r.pid, r.childPID)
	fmt.Fprintf(&b, "# command: %s\n", commandLine(r.command))
	fmt.Fprintf(&b, "# shard: %s\n", quote(shard))
	b.WriteString(`#
# "> " starts a line the daemon wrote, "< " one the child wrote, each byte
# for byte, in the order they passed. Replay the session against a
# processor with "kcl play -session FILE -- command", or kcltest.Replay in
# a test. The timing section gives each line's time in seconds since the
# recording began; it is written when the child has exited.
`)
	return b.String()
}

// fileName replaces {shard} and {pid} in pattern.
func fileName(pattern, shard string, pid int) string {
	return strings.NewReplacer("{shard}", fileSafe(shard), "{pid}", strconv.Itoa(pid)).Replace(pattern)
}

// fileSafe keeps a shard id to ASCII letters, digits, "-" and "_", since
// it comes from the wire and goes into a path; shard ids are
// "shardId-000000000000" in practice.
func fileSafe(s string) string {
	if s == "" {
		return "unknown"
	}
	return strings.Map(func(c rune) rune {
		if c < unicode.MaxASCII && (unicode.IsLetter(c) || unicode.IsDigit(c) || c == '-' || c == '_') {
			return c
		}
		return '_'
	}, s)
}

// commandLine shows argv as one line, quoting the words that need it.
func commandLine(argv []string) string {
	words := make([]string, len(argv))
	for i, w := range argv {
		words[i] = quote(w)
		if w == "" || strings.ContainsAny(w, " \t\"'\\") {
			words[i] = strconv.Quote(w)
		}
	}
	return strings.Join(words, " ")
}

// quote quotes s if it holds anything that would not show as itself on
// one comment line.
func quote(s string) string {
	for _, c := range s {
		if !unicode.IsPrint(c) {
			return strconv.Quote(s)
		}
	}
	return s
}
