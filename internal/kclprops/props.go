// Package kclprops reads kcl.properties files the way the KCL
// MultiLangDaemon does, checks them against the keys each KCL version
// understands (Check), and tells the configuration the daemon would run
// with (Effective). The rules come from docs/protocol.md §6, which the
// schema table cites key by key; where that is unsure (its §8), a
// doubtful finding is a warning, never an error.
package kclprops

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/magiconair/properties"
)

// Entry is one key and value of a properties file.
type Entry struct {
	Key   string
	Value string
	Line  int // 1-based line where the entry starts; 0 if unknown
}

// File is a parsed kcl.properties file.
type File struct {
	Path       string // as given to Load
	Dir        string // absolute directory of Path; the daemon puts it on the classpath
	entries    []Entry
	index      map[string]int // key -> index in entries
	overridden []Entry
	nonASCII   map[int]bool // lines whose raw bytes are not all ASCII
}

// SyntaxError is a line java.util.Properties refuses, which makes the daemon
// fail before it reads any key. The only such mistake is a malformed
// \uXXXX escape.
type SyntaxError struct {
	Path string
	Line int
	Err  error
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("kclprops: %s:%d: %v", e.Path, e.Line, e.Err)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// Load reads and parses a properties file. An unreadable file gives the
// error of os.ReadFile; a syntax error is a *SyntaxError.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse parses properties data as java.util.Properties.load(InputStream)
// does, which is how the daemon reads kcl.properties: bytes are ISO-8859-1
// (write other characters as \uXXXX), with escapes, continuation lines,
// '=', ':' and whitespace separators and '#' and '!' comments. No ${}
// expansion is done: java.util.Properties has none.
//
// When a key appears more than once, the last value wins, as in Java; the
// earlier ones are listed by Overridden. Entries are ordered by the line of
// the value in effect. The only syntax error is a malformed \uXXXX escape,
// returned as a *SyntaxError.
func Parse(path string, data []byte) (*File, error) {
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	f := &File{Path: path, Dir: dir, index: map[string]int{}, nonASCII: map[int]bool{}}
	for _, ll := range logicalLines(data) {
		key, value, err := splitEntry(latin1(ll.text))
		if err != nil {
			return nil, &SyntaxError{Path: path, Line: ll.line, Err: err}
		}
		if ll.nonASCII {
			f.nonASCII[ll.line] = true
		}
		e := Entry{Key: key, Value: value, Line: ll.line}
		if i, ok := f.index[key]; ok {
			f.overridden = append(f.overridden, f.entries[i])
			f.entries = append(f.entries[:i], f.entries[i+1:]...)
			for k, j := range f.index {
				if j > i {
					f.index[k] = j - 1
				}
			}
		}
		f.index[key] = len(f.entries)
		f.entries = append(f.entries, e)
	}
	return f, nil
}

// splitEntry splits one logical line into its key and value with
// magiconair/properties, which decodes escapes and separators as Java does.
// It refuses an empty key, which Java accepts, so a line that starts with a
// separator (or is empty, after a lone continuation backslash) is parsed
// behind a stand-in key. A '#' or '!' that starts a continued line is data
// to Java but a comment to magiconair, so it is escaped.
func splitEntry(text string) (key, value string, err error) {
	empty := text == "" || text[0] == '=' || text[0] == ':'
	switch {
	case empty:
		text = "k" + text
	case text[0] == '#' || text[0] == '!':
		text = `\` + text
	}
	l := &properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
	p, err := l.LoadBytes([]byte(text))
	if err != nil {
		return "", "", errors.New(strings.TrimPrefix(err.Error(), "properties: Line 1: "))
	}
	keys := p.Keys()
	if len(keys) != 1 {
		return "", "", fmt.Errorf("%d keys on one logical line", len(keys))
	}
	key = keys[0]
	value, _ = p.Get(key)
	if empty {
		key = ""
	}
	return key, value, nil
}

// Overridden returns the entries whose key is set again later in the file,
// in file order. java.util.Properties keeps only the last value of a key,
// so these lines have no effect.
func (f *File) Overridden() []Entry { return f.overridden }

// Entries returns the file's entries, ordered by line.
func (f *File) Entries() []Entry { return f.entries }

// Get returns the value of key, matched exactly.
func (f *File) Get(key string) (string, bool) {
	i, ok := f.index[key]
	if !ok {
		return "", false
	}
	return f.entries[i].Value, true
}

// Line returns the line of key, or 0.
func (f *File) Line(key string) int {
	i, ok := f.index[key]
	if !ok {
		return 0
	}
	return f.entries[i].Line
}

// SplitExecutable splits an executableName value into a command line
// exactly as the daemon does: on runs of ASCII spaces (Java's
// value.split(" +")), with no quoting, escaping or expansion. Tabs are not
// separators. A leading space gives an empty first token, and trailing empty
// tokens are dropped, as String.split does.
func SplitExecutable(s string) []string {
	var out []string
	for i := 0; ; {
		j := strings.IndexByte(s[i:], ' ')
		if j < 0 {
			out = append(out, s[i:])
			break
		}
		out = append(out, s[i:i+j])
		i += j
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}
