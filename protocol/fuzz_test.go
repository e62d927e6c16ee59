package protocol

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode checks that the Reader's scanner and the reference decoder
// agree on every line, and that every message they accept survives an
// encode and decode unchanged.
func FuzzDecode(f *testing.F) {
	// Inputs are kept small enough to span a few base64 chunks: the fuzzer
	// spends most of its time minimizing inputs of tens of KiB, each of
	// which takes a minute. The table tests cover longer lines.
	const maxLine = 16 << 10
	for _, lines := range [][]string{specLines, trickyLines, transcriptLines(f)} {
		for _, line := range lines {
			if len(line) <= maxLine {
				f.Add([]byte(line))
			}
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if len(line) > maxLine {
			t.Skip()
		}
		m, err := checkSame(t, line, new(lineBuffer))
		if err != nil {
			return
		}
		enc := Append(nil, m)
		again, err := checkSame(t, enc, new(lineBuffer))
		if err != nil {
			t.Fatalf("Decode(Append(%#v)) = %v; Append gave %q", m, err, enc)
		}
		if pr, ok := m.(ProcessRecords); ok && pr.Records == nil {
			pr.Records = []Record{} // written as [], which reads back empty
			m = pr
		}
		if diff := cmp.Diff(m, again, msgOpts); diff != "" {
			t.Fatalf("Decode(Append(Decode(%q))) changed the message (-first +second):\n%s", line, diff)
		}
	})
}

// transcriptLines returns the lines of the golden transcripts in
// ../testdata: every line of every file section of every txtar archive,
// and, for a line that carries a direction marker before its JSON, also
// the JSON alone.
func transcriptLines(tb testing.TB) []string {
	tb.Helper()
	var lines []string
	err := filepath.WalkDir("../testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".txtar") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		inComment := true // a txtar archive opens with a comment
		for line := range strings.Lines(string(data)) {
			line = strings.TrimSuffix(line, "\n")
			if strings.HasPrefix(line, "-- ") && strings.HasSuffix(line, " --") {
				inComment = false
				continue
			}
			if inComment || strings.TrimSpace(line) == "" {
				continue
			}
			lines = append(lines, line)
			if i := strings.IndexByte(line, '{'); i > 0 {
				lines = append(lines, line[i:])
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("reading transcripts: %v", err)
	}
	return lines
}

func TestTranscriptLinesMatchReference(t *testing.T) {
	lines := transcriptLines(t)
	if len(lines) == 0 {
		t.Skip("no transcripts in ../testdata yet")
	}
	for _, line := range lines {
		checkSame(t, bytes.Clone([]byte(line)), new(lineBuffer))
	}
}
