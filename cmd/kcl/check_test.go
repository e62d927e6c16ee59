package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// props writes a kcl.properties whose executableName is a real executable,
// followed by extra, and returns its path.
func props(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	prog := filepath.Join(dir, "processor")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kcl.properties")
	data := "executableName = " + prog + " -v\napplicationName = app\nstreamName = s\nAwsCredentialsProvider = DefaultCredentialsProvider\n" + extra
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func check(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(append([]string{"check"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCheckExitStatus(t *testing.T) {
	clean := props(t, "")
	for _, tc := range []struct {
		name       string
		args       []string
		code       int
		out, errOu []string
	}{
		{"clean", []string{clean}, 0, []string{"kcl check: " + clean + ": no problems for KCL 3.1.3\n"}, nil},
		{"clean with -p", []string{"-p", clean}, 0, []string{"no problems"}, nil},
		{"error", []string{props(t, "MaxRecords = 5\ncolour = blue\n")}, 1, []string{
			":5: error: MaxRecords: unknown key, ignored by the daemon without a word; did you mean maxRecords? (keys are case-sensitive)\n",
			":6: warning: colour: unknown key, ignored by the daemon\n",
			"kcl check: 1 error, 1 warning\n",
		}, nil},
		{"warnings only", []string{props(t, "processingLanguage = go\ncleanupLeasesUponShardCompletion = false\n")}, 3, []string{
			":5: warning: processingLanguage is only logged", ":6: warning: cleanupLeasesUponShardCompletion = false is ignored", "kcl check: 0 errors, 2 warnings\n",
		}, nil},
		{"other version", []string{"-kcl", "1.9.3", clean}, 1, []string{
			":4: error: AwsCredentialsProvider: unknown key, ignored by the daemon without a word; did you mean AWSCredentialsProvider? (keys are case-sensitive; AWSCredentialsProvider is required)",
		}, nil},
		{"bare major", []string{"-kcl", "3", clean}, 0, []string{"kcl check: -kcl 3 taken as 3.1.3, the built-in jar list\n", "no problems for KCL 3.1.3"}, nil},
		{"bare major, as kcl daemon takes it", []string{"-kcl", "3", props(t, "migrateAllEntitiesToLeaseTable = true\n")}, 1, []string{
			":5: error: migrateAllEntitiesToLeaseTable is not read by KCL 3.1.3"}, nil},
		{"minor without a built-in list", []string{"-kcl", "3.5", clean}, 0, []string{"no problems for KCL 3.5.0"}, nil},
		{"flags after the file", []string{clean, "-kcl", "1.9.3"}, 1, []string{"AwsCredentialsProvider: unknown key"}, nil},
		{"syntax error", []string{props(t, "metricsLevel = \\u00ZZ\n")}, 1, []string{":5: error: invalid unicode literal: java.util.Properties refuses the file, so the daemon cannot start\n", "kcl check: 1 error, 0 warnings"}, nil},
		{"no file", nil, 2, nil, []string{"kcl check: no properties file given\n", "usage: kcl check"}},
		{"two files", []string{clean, clean}, 2, nil, []string{"kcl check: 2 files given; the daemon takes exactly one properties file\n"}},
		{"unreadable", []string{filepath.Join(t.TempDir(), "missing.properties")}, 2, nil, []string{"kcl check: open ", "no such file or directory"}},
		{"bad version", []string{"-kcl", "4", clean}, 2, nil, []string{`kcl check: -kcl: KCL version "4": only majors 1, 2 and 3 exist`}},
		{"bad flag", []string{"-nope", clean}, 2, nil, []string{"flag provided but not defined: -nope"}},
		{"help", []string{"-h"}, 0, nil, []string{"Exit status: 0 no problems, 1 at least one error, 3 warnings only,\n2 usage error or unreadable file."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := check(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.errOu {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if tc.errOu == nil && errOut != "" {
				t.Errorf("unexpected stderr:\n%s", errOut)
			}
		})
	}
}

func TestCheckBothFiles(t *testing.T) {
	good, bad := props(t, ""), props(t, "colour = blue\n")
	code, out, errOut := check(t, "-p", good, bad)
	if code != 0 || !strings.Contains(out, good) {
		t.Errorf("exit %d, want 0 for the -p file:\n%s", code, out)
	}
	want := "kcl check: both -p " + good + " and " + bad + " given; checking " + good + ", as the daemon uses -p\n"
	if errOut != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
}

func TestCheckEffective(t *testing.T) {
	path := props(t, "maxRecords = 0\nretrievalMode = POLLING\nkinesisEndpoint = http://me:secret@localhost:4566\n")
	code, out, _ := check(t, "-effective", path)
	if code != 3 {
		t.Errorf("exit %d, want 3 (maxRecords = 0 is a warning)", code)
	}
	for _, want := range []string{
		"\neffective configuration of " + path + " for KCL 3.1.3:\n",
		"  applicationName ", "= app ", "# line 2\n",
		"= 10000 ", "# default: line 5: a Java default value, skipped\n",
		"= http://****@localhost:4566 ",
		"= -   ", "# unset: waits for ever\n",
		"= app ", "# derived: applicationName\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret") {
		t.Errorf("output shows the endpoint's password:\n%s", out)
	}
}

func TestCheckJSON(t *testing.T) {
	path := props(t, "colour = blue\n")
	code, out, _ := check(t, "-json", "-effective", path)
	if code != 3 {
		t.Errorf("exit %d, want 3", code)
	}
	var got struct {
		File     string
		KCL      string
		Errors   int
		Warnings int
		Problems []struct {
			Severity, Key, Message string
			Line                   int
		}
		Effective []struct{ Key, Value, Source string }
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if got.File != path || got.KCL != "3.1.3" || got.Errors != 0 || got.Warnings != 1 || len(got.Problems) != 1 {
		t.Errorf("got %+v", got)
	}
	if p := got.Problems[0]; p.Severity != "warning" || p.Line != 5 || p.Key != "colour" {
		t.Errorf("problem = %+v, want a warning about colour on line 5", p)
	}
	if len(got.Effective) == 0 || got.Effective[0].Key != "executableName" || got.Effective[0].Source != "file" {
		t.Errorf("effective = %+v, want executableName from the file first", got.Effective)
	}
}
