package kclprops

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

// Check validates f for the given KCL major version (1, 2 or 3).
func Check(f *File, major int) *Report {
	// Filled in by the schema validation.
	return &Report{}
}
