package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var _ = flag.Bool("update", false, "accepted so that go test ./... -update works; this package has no golden files")

var bin string // the built kcl and sample-processor

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "java-demo-test-")
	if err != nil {
		panic(err)
	}
	bin = dir
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"github.com/kclgo/mld/cmd/kcl", "github.com/kclgo/mld/cmd/sample-processor")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the commands:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Without java, make run-java says what is missing before it installs or
// starts anything.
func TestWithoutJava(t *testing.T) {
	t.Setenv("JAVA_HOME", "")
	t.Setenv("PATH", t.TempDir())
	var out, errOut bytes.Buffer
	code := run([]string{"-bin", bin}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "no java found") ||
		!strings.Contains(errOut.String(), "make run-java runs the Java daemon and needs Java 8 or later; make run needs no Java") {
		t.Errorf("exit %d, stderr:\n%s\nwant 1 and a message naming the missing java", code, errOut.String())
	}
	if out.Len() > 0 {
		t.Errorf("something was started without java:\n%s", out.String())
	}
}

func TestTooOldJava(t *testing.T) {
	java := filepath.Join(t.TempDir(), "java")
	os.WriteFile(java, []byte("#!/bin/sh\necho 'java version \"1.7.0_80\"' >&2\n"), 0o755)
	t.Setenv("JAVA_HOME", "")
	t.Setenv("PATH", filepath.Dir(java))
	var out, errOut bytes.Buffer
	if code := run([]string{"-bin", bin, "-kcl", "2"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "java 1.7.0_80 ("+java+") is too old for KCL 2.7.2, which needs Java 8 or later") {
		t.Errorf("exit %d, stderr:\n%s\nwant 1 and java named too old", code, errOut.String())
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-bin", t.TempDir()}, "build the commands first"},
		{[]string{"-bin", bin, "-records", "0"}, "want -shards >= 1 and -records >= 1"},
		{[]string{"-nope"}, "flag provided but not defined"},
	} {
		var out, errOut bytes.Buffer
		if code := run(tc.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}

// The whole demo, at KCL 2.7.2, the line that starts fastest: every record
// processed and checkpointed, and everything stopped.
func TestDemo(t *testing.T) {
	if _, err := exec.LookPath("java"); err != nil && os.Getenv("CI") == "" {
		t.Skip("no java on PATH; skipping (set CI to make this a failure)")
	}
	if _, err := exec.LookPath("npm"); err != nil && os.Getenv("CI") == "" {
		t.Skip("no npm on PATH; skipping (set CI to make this a failure)")
	}
	var out, errOut bytes.Buffer
	code := run([]string{"-bin", bin, "-kcl", "2", "-records", "20"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{
		"behind an h2c proxy at http://127.0.0.1:",
		"demo: $ kcl daemon -kcl 2.7.2 ",
		"kcl put: 20 records written to stream demo",
		"msg=record shard=shardId-",
		"demo: all 20 records processed",
		"kcl daemon: terminated: asking java (pid ",
		`msg="shutdown requested"`,
		"demo: every record was processed by the Java daemon's processors and every shard is checkpointed at its last record",
		"demo: emulators stopped",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s\n%s", out.String(), errOut.String())
	}
}
