package kclprops

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Version is a KCL release, such as 3.1.3.
type Version struct {
	Major, Minor, Patch int
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// ParseVersion parses "3", "3.1" or "3.1.3". Missing parts are zero.
func ParseVersion(s string) (Version, error) {
	var v Version
	parts := strings.Split(s, ".")
	if len(parts) > 3 {
		return v, fmt.Errorf("kclprops: bad KCL version %q: want major[.minor[.patch]]", s)
	}
	dst := []*int{&v.Major, &v.Minor, &v.Patch}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Version{}, fmt.Errorf("kclprops: bad KCL version %q: want major[.minor[.patch]]", s)
		}
		*dst[i] = n
	}
	if v.Major < 1 || v.Major > 3 {
		return Version{}, fmt.Errorf("kclprops: KCL version %q: only majors 1, 2 and 3 exist", s)
	}
	return v, nil
}

// Severity orders problems: errors make the daemon fail or misbehave,
// warnings are accepted by the daemon but probably not what was meant.
type Severity int

const (
	Warning Severity = iota + 1
	Error
)

func (s Severity) String() string {
	switch s {
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return "unknown"
}

// Problem is one finding of Check.
type Problem struct {
	Severity Severity
	Line     int    // 0 when the problem is about a missing key
	Key      string // the key concerned, if any
	Message  string
}

// Report is the result of Check.
type Report struct {
	Problems []Problem
}

// Errors counts the problems of severity Error.
func (r *Report) Errors() int {
	n := 0
	for _, p := range r.Problems {
		if p.Severity == Error {
			n++
		}
	}
	return n
}

// Write writes one line per problem, "path:line: severity: key: message",
// as kcl check prints them.
func (r *Report) Write(w io.Writer, path string) error {
	for _, p := range r.Problems {
		loc := path
		if p.Line > 0 {
			loc = fmt.Sprintf("%s:%d", path, p.Line)
		}
		if _, err := fmt.Fprintf(w, "%s: %s: %s\n", loc, p.Severity, p.Message); err != nil {
			return err
		}
	}
	return nil
}

// Check validates f for KCL version v.
func Check(f *File, v Version) *Report {
	// Filled in by the schema validation.
	return &Report{}
}
