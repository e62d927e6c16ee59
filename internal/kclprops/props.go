// Package kclprops reads kcl.properties files the way the KCL
// MultiLangDaemon does, and checks them against the keys each KCL major
// version understands.
package kclprops

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/magiconair/properties"
)

// Entry is one key and value of a properties file, in file order.
type Entry struct {
	Key   string
	Value string
	Line  int // 1-based line where the entry starts; 0 if unknown
}

// File is a parsed kcl.properties file.
type File struct {
	Path    string // as given to Load
	Dir     string // absolute directory of Path; the daemon puts it on the classpath
	entries []Entry
	index   map[string]int // key -> index in entries (last occurrence wins, as in java.util.Properties)
}

// Load reads and parses a properties file. Syntax errors are returned with
// the file name.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Parse parses properties data with java.util.Properties syntax (escapes,
// continuation lines, '=', ':' and whitespace separators). No ${} expansion
// is done: java.util.Properties has none.
func Parse(path string, data []byte) (*File, error) {
	l := &properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
	p, err := l.LoadBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	f := &File{Path: path, Dir: dir, index: map[string]int{}}
	for _, k := range p.Keys() {
		v, _ := p.Get(k)
		f.index[k] = len(f.entries)
		f.entries = append(f.entries, Entry{Key: k, Value: v})
	}
	return f, nil
}

// Entries returns the file's entries in file order.
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
