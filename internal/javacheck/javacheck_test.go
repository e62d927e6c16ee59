package javacheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kclgo/mld/internal/jars"
	"github.com/kclgo/mld/internal/launch"
	"github.com/kclgo/mld/protocol"
)

// versions are the KCL releases whose jars read the lines. Their message
// classes are the same; the Jackson they ship may not be.
var versions = []string{"3.1.3", "2.7.2"}

// childLine is one case of protocol/testdata/child-lines.json (see
// protocol.ChildLine, which is in a test file).
type childLine struct {
	Source string `json:"source"`
	Line   string `json:"line"`
	Daemon string `json:"daemon"`
	Why    string `json:"why"`
}

func readCases(t *testing.T) []childLine {
	t.Helper()
	const path = "../../protocol/testdata/child-lines.json"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []childLine
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cases
}

func TestDaemonReadsChildLines(t *testing.T) {
	java := needJava(t)
	cases := readCases(t)
	probes := derive(cases)
	lines := make([][]byte, 0, len(cases)+len(probes))
	for _, c := range cases {
		lines = append(lines, []byte(c.Line))
	}
	lines = append(lines, probes...)

	for _, v := range versions {
		t.Run("KCL "+v, func(t *testing.T) {
			daemon := readAsDaemon(t, java, classpath(t, v), lines)
			t.Run("child-lines.json", func(t *testing.T) {
				for i, c := range cases {
					d := daemon[i]
					if d.verdict != c.Daemon {
						t.Errorf("the daemon reads %q as %s (%s), the file says %s: %s\n\tsource: %s", c.Line, d.verdict, d.detail, c.Daemon, c.Why, c.Source)
					}
					if got := decodeChild([]byte(c.Line)); got != d.verdict {
						t.Errorf("DecodeChild(%q) = %s, the daemon reads %s (%s)", c.Line, got, d.verdict, d.detail)
					}
				}
			})
			t.Run("derived", func(t *testing.T) {
				kinds := map[string]int{}
				for i, p := range probes {
					d := daemon[len(cases)+i]
					kind, _, _ := strings.Cut(d.verdict, " ")
					kinds[kind]++
					if got := decodeChild(p); got != d.verdict {
						t.Errorf("DecodeChild(%q) = %s, the daemon reads %s (%s)", p, got, d.verdict, d.detail)
					}
				}
				t.Logf("%d derived lines; the daemon reads them as %v", len(probes), kinds)
			})
		})
	}
}

// needJava returns the java on PATH, or skips the test if there is none
// that can run a single-file program, unless CI is set.
func needJava(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("java")
	if err == nil {
		var j launch.Java
		j, err = launch.ProbeJava(t.Context(), path)
		if err == nil && j.Major < 11 {
			err = fmt.Errorf("java %s (%s) cannot run a single-file source program, which needs Java 11", j.Version, path)
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v: CI is set, so the lines must be checked against the daemon's classes", err)
		}
		t.Skipf("%v: not checking the lines against the daemon's classes (set CI to make this a failure)", err)
	}
	return path
}

// classpath fetches the jars of KCL version into the directory kcl jars
// uses by default, checks them against testdata/kcl-jars.lock, and returns
// them as a classpath. The lock file is copied first, so that the test
// never writes into the source tree.
func classpath(t *testing.T, version string) string {
	t.Helper()
	list, ok := jars.Builtin(version)
	if !ok {
		t.Fatalf("no built-in jar list for KCL %s", version)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatalf("no user cache directory for the jars: %v", err)
	}
	locked, err := os.ReadFile(filepath.Join("testdata", jars.LockFile))
	if err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(t.TempDir(), jars.LockFile)
	if err := os.WriteFile(lock, locked, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	res, err := jars.Fetch(ctx, list, jars.Options{Dir: filepath.Join(cache, "kcl-go", "jars", version), Lock: lock})
	if err != nil {
		t.Fatalf("fetching the jars of KCL %s: %v", version, err)
	}
	if res.Fetched > 0 {
		t.Logf("fetched %d jars of KCL %s (%s) into %s", res.Fetched, version, jars.Size(res.Bytes), res.Dir)
	}
	if res.Locked > 0 {
		now, _ := os.ReadFile(lock)
		t.Errorf("testdata/%s lacks %d jars of KCL %s; they were checked against the repository's checksums, and with them it reads:\n%s",
			jars.LockFile, res.Locked, version, now)
	}
	return strings.Join(res.Classpath(), string(os.PathListSeparator))
}

// reading is what the daemon does with one line, in the words of
// child-lines.json, and a detail such as the exception that skipped it.
type reading struct {
	verdict, detail string
}

// readAsDaemon runs testdata/ChildLines.java once over all lines and
// returns its reading of each.
func readAsDaemon(t *testing.T, java, cp string, lines [][]byte) []reading {
	t.Helper()
	var in bytes.Buffer
	for _, l := range lines {
		fmt.Fprintf(&in, "%d\n%s", len(l), l)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	// kcl daemon sets the charset for a Java older than 18, whose default
	// depends on the locale; the daemon decodes a child's output with it.
	cmd := exec.CommandContext(ctx, java, "-Dfile.encoding=UTF-8", "-cp", cp, filepath.Join("testdata", "ChildLines.java"))
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("java ChildLines.java: %v\n%s", err, stderr.Bytes())
	}
	outLines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(outLines) != len(lines) {
		t.Fatalf("java ChildLines.java read %d lines and printed %d:\n%s", len(lines), len(outLines), stderr.Bytes())
	}
	readings := make([]reading, len(lines))
	for i, o := range outLines {
		v, detail, _ := strings.Cut(o, "\t")
		verdict, err := normalize(v)
		if err != nil {
			t.Fatalf("java ChildLines.java printed %q for %q: %v", o, lines[i], err)
		}
		readings[i] = reading{verdict, detail}
	}
	return readings
}

// normalize rewrites a verdict from ChildLines.java, whose quoted strings
// are JSON strings escaped to ASCII, with the quoting of
// child-lines.json (strconv.Quote). The two are the same for printable
// ASCII.
func normalize(v string) (string, error) {
	if rest, ok := strings.CutPrefix(v, "status "); ok {
		s, err := unquote(rest)
		return "status " + strconv.Quote(s), err
	}
	if rest, ok := strings.CutPrefix(v, "checkpoint "); ok {
		i := strings.LastIndexByte(rest, ' ')
		if i < 0 {
			return "", errors.New("want a sequence number and a subsequence number")
		}
		seq, sub := rest[:i], rest[i+1:]
		if seq != "null" {
			s, err := unquote(seq)
			if err != nil {
				return "", err
			}
			seq = strconv.Quote(s)
		}
		return "checkpoint " + seq + " " + sub, nil
	}
	return v, nil
}

func unquote(q string) (string, error) {
	var s string
	err := json.Unmarshal([]byte(q), &s)
	return s, err
}

// decodeChild is DecodeChild's reading of line in the words of
// child-lines.json. It repeats protocol's verdict function (child_test.go),
// which a test file cannot share; both are checked against the file.
func decodeChild(line []byte) string {
	m, err := protocol.DecodeChild(line)
	switch {
	case errors.Is(err, protocol.ErrSkipped) && len(bytes.TrimSuffix(line, []byte{'\r'})) == 0:
		return "skipped silently"
	case errors.Is(err, protocol.ErrSkipped):
		return "skipped"
	case errors.Is(err, protocol.ErrNull):
		return "fatal"
	case err != nil:
		return "unexpected error: " + err.Error()
	}
	switch m := m.(type) {
	case protocol.Status:
		return "status " + strconv.Quote(m.ResponseFor)
	case protocol.Checkpoint:
		seq, sub := "null", "null"
		if m.SequenceNumber.Valid {
			seq = strconv.Quote(m.SequenceNumber.V)
		}
		if m.SubSequenceNumber.Valid {
			sub = strconv.FormatInt(m.SubSequenceNumber.V, 10)
		}
		return "checkpoint " + seq + " " + sub
	}
	return "ignored " + m.Action()
}
