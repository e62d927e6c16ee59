package kcltest

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/kclgo/mld/protocol"
)

// A Session is a recorded daemon session: every line the daemon and the
// child wrote, in order, plus what the session is about. It is stored as a
// txtar-style text file:
//
//	# What this session tests (the comment: any text before the first section).
//	-- processor --
//	full batch=latest
//	-- session --
//	> {"action":"initialize","shardId":"shardId-000000000000","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}
//	< {"action":"status","responseFor":"initialize"}
//	> {"action":"processRecords","records":[...],"millisBehindLatest":0}
//	< {"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}
//	> {"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":"ThrottlingException"}
//	...
//	-- stderr-contains --
//	a substring of the child's stderr, one a line
//	-- exit --
//	0
//
// A section starts at a line "-- NAME --" and runs to the next one. In the
// session section, "> " starts a line the daemon wrote to the child's stdin
// and "< " a line the child wrote to its stdout; the rest of the line is the
// line itself, byte for byte. Blank lines are ignored; anything else is an
// error (put notes in the comment). Check reads a child's line as the
// daemon does, for which "\r" ends a line too (protocol.SplitChildLine), so
// that a byte-for-byte recording of a child that ends its lines with
// "\r\n" replays without differences.
//
// A daemon line whose action is "checkpoint" is a reply to the child's
// checkpoint request; every other daemon line is an action. Replay sends the
// actions in order, exactly as written, and answers the checkpoint requests
// made during an action with the replies that follow that action in the
// file, in order (see Replay).
//
// Three other sections have a meaning:
//   - processor: which processor to run and its settings, free text for
//     whoever starts the child (see Processor);
//   - stderr-contains: substrings the child's stderr must contain, one a
//     line (see StderrContains);
//   - exit: the child's exit status once stdin is closed, 0 if absent (see
//     ExitCode).
//
// Other sections are kept as they are.
type Session struct {
	// Comment is the text before the first section.
	Comment string
	// Lines are the lines of the session section.
	Lines []Line
	// Sections are the other sections, in file order.
	Sections []Section

	sessionAt int // how many of Sections come before the session section
}

// Section is a named section of a session file other than the session
// section. Data is its text; each of its lines ends in "\n".
type Section struct {
	Name string
	Data string
}

// Names of the session file's sections.
const (
	SectionSession        = "session"
	SectionProcessor      = "processor"
	SectionStderrContains = "stderr-contains"
	SectionExit           = "exit"
)

// ParseSession parses a session file; see Session for the format.
func ParseSession(data []byte) (*Session, error) {
	s := &Session{}
	text := string(data)
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var (
		cur      *Section // nil before the first section
		body     strings.Builder
		bodyAt   int // line number where cur's body starts
		sawLines bool
		seen     = map[string]bool{}
	)
	flush := func() error {
		if cur == nil {
			s.Comment = body.String()
			return nil
		}
		if cur.Name == SectionSession {
			sawLines = true
			ls, err := parseLines(body.String(), bodyAt)
			s.Lines = ls
			return err
		}
		cur.Data = body.String()
		s.Sections = append(s.Sections, *cur)
		return nil
	}
	for i, l := range lines {
		name, ok := sectionName(l)
		if !ok {
			body.WriteString(l)
			if !strings.HasSuffix(l, "\n") {
				body.WriteByte('\n')
			}
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("kcltest: session file line %d: a second %q section", i+1, name)
		}
		seen[name] = true
		if name == SectionSession {
			s.sessionAt = len(s.Sections)
		}
		cur, bodyAt = &Section{Name: name}, i+2
		body.Reset()
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if !sawLines {
		return nil, errors.New("kcltest: session file has no -- session -- section")
	}
	if data, ok := s.Section(SectionExit); ok {
		if _, err := strconv.Atoi(strings.TrimSpace(data)); err != nil {
			return nil, fmt.Errorf("kcltest: session file: exit section %q is not an exit status", strings.TrimSpace(data))
		}
	}
	return s, nil
}

// sectionName recognizes a section marker line, "-- NAME --".
func sectionName(line string) (string, bool) {
	line = strings.TrimSuffix(line, "\n")
	if !strings.HasPrefix(line, "-- ") || !strings.HasSuffix(line, " --") || len(line) < len("-- x --") {
		return "", false
	}
	name := strings.TrimSpace(line[3 : len(line)-3])
	return name, name != ""
}

func parseLines(body string, firstLine int) ([]Line, error) {
	var out []Line
	for i, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		switch {
		case strings.TrimSpace(l) == "":
		case l == ">" || strings.HasPrefix(l, "> "):
			out = append(out, Line{Text: strings.TrimPrefix(l[1:], " ")})
		case l == "<" || strings.HasPrefix(l, "< "):
			out = append(out, Line{FromChild: true, Text: strings.TrimPrefix(l[1:], " ")})
		default:
			return nil, fmt.Errorf("kcltest: session file line %d: want \"> \" (a daemon line) or \"< \" (a child line), got %q; notes go in the comment at the top", firstLine+i, prefix(l, 40))
		}
	}
	return out, nil
}

func prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Format returns the session file for s. Format of a parsed file gives the
// file back, except for blank lines in the session section and a missing
// final newline.
func (s *Session) Format() []byte {
	var b bytes.Buffer
	b.WriteString(s.Comment)
	if s.Comment != "" && !strings.HasSuffix(s.Comment, "\n") {
		b.WriteByte('\n')
	}
	at := min(max(s.sessionAt, 0), len(s.Sections))
	for _, sec := range s.Sections[:at] {
		writeSection(&b, sec)
	}
	b.WriteString("-- " + SectionSession + " --\n")
	for _, l := range s.Lines {
		b.WriteString(formatLine(l))
		b.WriteByte('\n')
	}
	for _, sec := range s.Sections[at:] {
		writeSection(&b, sec)
	}
	return b.Bytes()
}

func writeSection(b *bytes.Buffer, sec Section) {
	b.WriteString("-- " + sec.Name + " --\n")
	b.WriteString(sec.Data)
	if sec.Data != "" && !strings.HasSuffix(sec.Data, "\n") {
		b.WriteByte('\n')
	}
}

// formatLine is a transcript line as a session file writes it.
func formatLine(l Line) string {
	mark := ">"
	if l.FromChild {
		mark = "<"
	}
	if l.Text == "" {
		return mark
	}
	return mark + " " + l.Text
}

// Section returns the text of the named section other than the session
// section.
func (s *Session) Section(name string) (string, bool) {
	for _, sec := range s.Sections {
		if sec.Name == name {
			return sec.Data, true
		}
	}
	return "", false
}

// SetSection replaces the text of the named section, or adds the section
// at the end.
func (s *Session) SetSection(name, data string) {
	for i := range s.Sections {
		if s.Sections[i].Name == name {
			s.Sections[i].Data = data
			return
		}
	}
	s.Sections = append(s.Sections, Section{Name: name, Data: data})
}

// Processor returns the processor section with surrounding space trimmed,
// or "".
func (s *Session) Processor() string {
	data, _ := s.Section(SectionProcessor)
	return strings.TrimSpace(data)
}

// StderrContains returns the non-blank lines of the stderr-contains
// section.
func (s *Session) StderrContains() []string {
	data, _ := s.Section(SectionStderrContains)
	var out []string
	for _, l := range strings.Split(data, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// ExitCode returns the exit status the session expects of the child: the
// exit section, or 0.
func (s *Session) ExitCode() int {
	data, _ := s.Section(SectionExit)
	n, _ := strconv.Atoi(strings.TrimSpace(data)) // checked by ParseSession
	return n
}

// Result is what happened when a session was replayed.
type Result struct {
	// Lines is the actual transcript: the session's daemon actions, the
	// child's lines, the checkpoint replies the daemon sent, and any lines
	// the child wrote after stdin was closed.
	Lines []Line
	// Err is why the daemon stopped before the end of the session (an
	// *ExchangeError: the child broke the protocol, exited or hung), or
	// nil. The actions after that one were not sent.
	Err error
	// Exit is the child's result, as Daemon.Close returns it.
	Exit error
	// ExitCode is the child's exit status: 0 for a clean exit, the
	// process's status for a child process, 1 for an error returned by
	// kcl.Run in this process (which is what kcl.Main would exit with), and
	// -1 for a process killed by a signal or still running.
	ExitCode int
	// Stderr is what a child process wrote to stderr.
	Stderr string
}

// step is one daemon action of a session and the replies scripted for the
// checkpoints made during it.
type step struct {
	line    string
	replies []string
}

func (s *Session) steps() ([]step, error) {
	var steps []step
	for i, l := range s.Lines {
		if l.FromChild {
			continue
		}
		if isReply(l.Text) {
			if len(steps) == 0 {
				return nil, fmt.Errorf("kcltest: session line %d: a checkpoint reply before the first action", i+1)
			}
			steps[len(steps)-1].replies = append(steps[len(steps)-1].replies, l.Text)
			continue
		}
		steps = append(steps, step{line: l.Text})
	}
	if len(steps) == 0 {
		return nil, errors.New("kcltest: the session has no daemon action to send")
	}
	return steps, nil
}

func isReply(line string) bool {
	m, err := protocol.Decode([]byte(line))
	if err != nil {
		return false
	}
	_, ok := m.(protocol.CheckpointReply)
	return ok
}

// Replay plays s against the child of d, normally a new Daemon, and
// returns what happened. It sends each daemon action of s in order,
// byte for byte as written, and serves the child's checkpoints and status
// as Send does. The k-th checkpoint request made during an action gets the
// k-th reply that follows the action in s, if there is one:
//   - sent as written if it echoes the request, as the daemon's replies do;
//   - otherwise (the child asked for another position than in the
//     recording) with the request's echo and the scripted error;
//   - a scripted success moves the lease's checkpoint as the daemon's rules
//     would (see Checkpoints).
//
// Requests beyond the scripted replies are answered by the daemon's rules
// and ReplyNext. The child may thus behave differently from the recording:
// Result.Lines is what it actually did.
//
// Replay stops sending when the daemon would stop (see Result.Err). Either
// way it ends the session as the daemon does: it closes stdin, drains
// stdout and waits for the child to exit. Replay returns an error only for
// a session it cannot play: one with no action, or a reply before the
// first action.
//
// Replay does not fail the test: compare the result with Check.
func Replay(d *Daemon, s *Session) (*Result, error) {
	steps, err := s.steps()
	if err != nil {
		return nil, err
	}
	mark := d.mark()
	res := &Result{}
	for _, st := range steps {
		m, action := parseAction(st.line)
		replies := st.replies
		reply := func(req protocol.Checkpoint) ([]byte, bool) {
			if len(replies) == 0 {
				return nil, false
			}
			line := replies[0]
			replies = replies[1:]
			return d.scriptedReply(req, line), true
		}
		if _, err := d.send(action, m, []byte(st.line), reply); err != nil {
			res.Err = err
			break
		}
	}
	closeErr := d.Close()
	exited, exitErr := d.Exited()
	res.Exit = exitErr
	switch {
	case !exited:
		res.Exit, res.ExitCode = closeErr, -1
	case exitErr == nil:
	default:
		res.ExitCode = 1
		var ee *exec.ExitError
		if errors.As(exitErr, &ee) {
			res.ExitCode = ee.ExitCode()
		}
	}
	res.Lines = d.since(mark)
	res.Stderr = d.Stderr()
	return res, nil
}

// parseAction decodes a daemon action line for the daemon's bookkeeping.
// m is nil for a line that is not a message this package knows; action
// names the line for the status check and for errors.
func parseAction(line string) (m protocol.Message, action string) {
	m, err := protocol.Decode([]byte(line))
	if err == nil {
		return m, m.Action()
	}
	var unknown *protocol.UnknownActionError
	if errors.As(err, &unknown) {
		return nil, unknown.Action
	}
	return nil, "malformed line"
}

// scriptedReply returns the reply line to send for req, given the reply
// line recorded for it.
func (d *Daemon) scriptedReply(req protocol.Checkpoint, line string) []byte {
	m, err := protocol.Decode([]byte(line))
	rep, ok := m.(protocol.CheckpointReply)
	if err != nil || !ok {
		return []byte(line)
	}
	if !rep.Error.Valid {
		d.store(req)
	}
	if rep.SequenceNumber == req.SequenceNumber && rep.SubSequenceNumber == req.SubSequenceNumber {
		return []byte(line)
	}
	return protocol.Append(nil, protocol.CheckpointReply{
		SequenceNumber:    req.SequenceNumber,
		SubSequenceNumber: req.SubSequenceNumber,
		Error:             rep.Error,
	})
}

// Check compares the result of replaying s with what s records and returns
// every difference, or nil if the child behaved as recorded:
//   - the transcript, as a line diff, with the child's recorded lines read
//     as the daemon reads them (see Session);
//   - the exit status (the exit section, or 0);
//   - a daemon objection (Result.Err), unless s expects a non-zero exit;
//   - each substring of the stderr-contains section.
func (s *Session) Check(r *Result) []string {
	var problems []string
	if d := DiffLines(asRead(s.Lines), r.Lines); d != "" {
		problems = append(problems, "transcript differs (- recorded, + actual):\n"+d)
	}
	if want := s.ExitCode(); r.ExitCode != want {
		problems = append(problems, fmt.Sprintf("child exit status %d (%v), want %d", r.ExitCode, r.Exit, want))
	}
	if r.Err != nil && s.ExitCode() == 0 {
		problems = append(problems, "the daemon stopped: "+r.Err.Error())
	}
	for _, sub := range s.StderrContains() {
		if !strings.Contains(r.Stderr, sub) {
			problems = append(problems, fmt.Sprintf("stderr does not contain %q", sub))
		}
	}
	return problems
}

// asRead returns ls with each child line as the daemon reads it, which is
// how a Daemon's transcript holds them: without a trailing "\r", and split
// at every other "\r". The lines Update writes are so already.
func asRead(ls []Line) []Line {
	out := make([]Line, 0, len(ls))
	for _, l := range ls {
		if !l.FromChild || !strings.Contains(l.Text, "\r") {
			out = append(out, l)
			continue
		}
		for _, part := range protocol.SplitChildLine([]byte(strings.TrimSuffix(l.Text, "\r"))) {
			out = append(out, Line{FromChild: true, Text: string(part)})
		}
	}
	return out
}

// Update records r in s: the transcript, and the exit status (the exit
// section is added only for a non-zero status). The other sections are
// kept.
func (s *Session) Update(r *Result) {
	s.Lines = append([]Line(nil), r.Lines...)
	if _, ok := s.Section(SectionExit); ok || r.ExitCode != 0 {
		s.SetSection(SectionExit, strconv.Itoa(r.ExitCode)+"\n")
	}
}

// DiffLines returns a line diff from want to got, as session file lines
// marked "-" (only in want), "+" (only in got) or " " (in both), or "" if
// they are equal. Runs of unchanged lines far from a change are elided.
func DiffLines(want, got []Line) string {
	a, b := formatLines(want), formatLines(got)
	if slices.Equal(a, b) {
		return ""
	}
	// Longest common subsequence; sessions are short.
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		mark byte
		text string
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, op{' ', a[i]})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', a[i]})
			i++
		default:
			ops = append(ops, op{'+', b[j]})
			j++
		}
	}
	const context = 2
	near := make([]bool, len(ops))
	for k, o := range ops {
		if o.mark == ' ' {
			continue
		}
		for c := max(0, k-context); c <= min(len(ops)-1, k+context); c++ {
			near[c] = true
		}
	}
	var sb strings.Builder
	elided := false
	for k, o := range ops {
		if !near[k] {
			if !elided {
				sb.WriteString("  ...\n")
				elided = true
			}
			continue
		}
		elided = false
		sb.WriteByte(o.mark)
		sb.WriteByte(' ')
		sb.WriteString(o.text)
		sb.WriteByte('\n')
	}
	return sb.String()
}

func formatLines(ls []Line) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = formatLine(l)
	}
	return out
}
