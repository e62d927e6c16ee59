package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kclgo/mld/internal/kclprops"
)

const checkUsage = `usage: kcl check [flags] kcl.properties
       kcl check [flags] -p kcl.properties

Checks a kcl.properties file the way the KCL MultiLangDaemon of a given
version reads it, and reports every problem at once, by line:

  - keys the daemon ignores without a word: unknown, miscased or misspelled
    keys (with the key probably meant) and keys of other KCL versions;
  - values it refuses at startup, or silently turns into something else;
  - settings it accepts but does not use as written, such as a value equal
    to Java's default for the type ("maxRecords = 0"), polling keys that
    switch retrievalMode DEFAULT to polling, AT_TIMESTAMP in 2.x and 3.x;
  - missing required keys;
  - an executableName whose program does not exist or is not executable, as
    resolved from the current directory (a relative path) or PATH (a bare
    name). The daemon splits the value on spaces with no quoting.

An error is a setting that fails the daemon or has no effect, or another
effect than written; a warning is accepted but probably not what was meant.
-effective prints the configuration the daemon would run with, each key with
its value from the file or its default, secrets masked.

Exit status: 0 no problems, 1 at least one error, 3 warnings only,
2 usage error or unreadable file.

flags:
`

func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, checkUsage); fs.PrintDefaults() }
	pfile := fs.String("p", "", "the properties file, as the daemon's -p (wins over a positional file)")
	kclFlag := fs.String("kcl", "3.1.3", "the KCL version of the daemon: 3.5.1, 2.7.2, 1.15.3 (3 or 3.1 means 3.1.3, 1 means 1.15.3, as for kcl jars and kcl daemon)")
	effective := fs.Bool("effective", false, "also print the effective configuration")
	asJSON := fs.Bool("json", false, "print problems (and the -effective configuration) as one JSON object")
	pos, code := parseInterleaved(fs, args)
	if code >= 0 {
		return code
	}
	path := *pfile
	switch {
	case len(pos) > 1:
		fmt.Fprintf(stderr, "kcl check: %d files given; the daemon takes exactly one properties file\n", len(pos))
		return 2
	case len(pos) == 1 && path != "":
		fmt.Fprintf(stderr, "kcl check: both -p %s and %s given; checking %s, as the daemon uses -p\n", path, pos[0], path)
	case len(pos) == 1:
		path = pos[0]
	case path == "":
		fmt.Fprintln(stderr, "kcl check: no properties file given")
		fs.Usage()
		return 2
	}
	v, err := kclprops.ParseVersion(*kclFlag)
	if err != nil {
		fmt.Fprintf(stderr, "kcl check: -kcl: %v\n", strings.TrimPrefix(err.Error(), "kclprops: "))
		return 2
	}
	// A version without its patch release means what kcl jars and kcl
	// daemon take it as, the release of a built-in jar list, so that the
	// check agrees with the daemon that runs; with no such list, a bare
	// major is the newest release the checks know.
	note := ""
	if bv, n, err := kclVersion("kcl check", *kclFlag, false); err == nil && n != "" {
		v, note = bv, n
	} else if !strings.Contains(*kclFlag, ".") {
		v = kclprops.Latest(v.Major)
		note = fmt.Sprintf("-kcl %s taken as %v, the newest %d.x the checks know", *kclFlag, v, v.Major)
	}
	if note != "" && !*asJSON {
		fmt.Fprintf(stdout, "kcl check: %s\n", note)
	}

	var report *kclprops.Report
	var settings []kclprops.Setting
	f, err := kclprops.Load(path)
	var syntax *kclprops.SyntaxError
	switch {
	case errors.As(err, &syntax):
		// The daemon cannot load such a file: report it like any other error.
		report = &kclprops.Report{Problems: []kclprops.Problem{{
			Severity: kclprops.Error, Line: syntax.Line,
			Message: fmt.Sprintf("%v: java.util.Properties refuses the file, so the daemon cannot start", syntax.Err),
		}}}
	case err != nil:
		fmt.Fprintf(stderr, "kcl check: %v\n", err)
		return 2
	default:
		report = kclprops.Check(f, v)
		if *effective {
			settings = kclprops.Effective(f, v)
		}
	}

	if *asJSON {
		out := struct {
			File      string             `json:"file"`
			KCL       string             `json:"kcl"`
			Errors    int                `json:"errors"`
			Warnings  int                `json:"warnings"`
			Problems  []jsonProblem      `json:"problems"`
			Effective []kclprops.Setting `json:"effective,omitempty"`
		}{File: path, KCL: v.String(), Errors: report.Errors(), Warnings: report.Warnings(), Problems: []jsonProblem{}, Effective: settings}
		for _, p := range report.Problems {
			out.Problems = append(out.Problems, jsonProblem{p.Severity.String(), p.Line, p.Key, p.Message})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "kcl check: %v\n", err)
			return 2
		}
	} else {
		if err := report.Write(stdout, path); err != nil {
			fmt.Fprintf(stderr, "kcl check: %v\n", err)
			return 2
		}
		fmt.Fprintln(stdout, summary(report, path, v))
		if settings != nil {
			writeEffective(stdout, settings, path, v)
		}
	}
	switch {
	case report.Errors() > 0:
		return 1
	case len(report.Problems) > 0:
		return 3
	}
	return 0
}

type jsonProblem struct {
	Severity string `json:"severity"`
	Line     int    `json:"line,omitempty"`
	Key      string `json:"key,omitempty"`
	Message  string `json:"message"`
}

func summary(r *kclprops.Report, path string, v kclprops.Version) string {
	if len(r.Problems) == 0 {
		return fmt.Sprintf("kcl check: %s: no problems for KCL %v", path, v)
	}
	return fmt.Sprintf("kcl check: %s, %s", plural(r.Errors(), "error"), plural(r.Warnings(), "warning"))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// writeEffective prints the settings as an aligned table: key, value, and
// where the value comes from.
func writeEffective(w io.Writer, settings []kclprops.Setting, path string, v kclprops.Version) {
	fmt.Fprintf(w, "\neffective configuration of %s for KCL %v:\n", path, v)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range settings {
		value := s.Value
		if value == "" {
			value = "-"
		}
		from := string(s.Source)
		if s.Source == kclprops.FromFile {
			from = fmt.Sprintf("line %d", s.Line)
		}
		if s.Note != "" {
			from += ": " + s.Note
		}
		fmt.Fprintf(tw, "  %s\t= %s\t# %s\n", s.Key, value, from)
	}
	tw.Flush()
}
