package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kclgo/mld/internal/stream/kinesalite"
)

var _ = flag.Bool("update", false, "accepted so that go test ./... -update works; this package has no golden files")

var bin string // the built kcl and sample-processor

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "local-demo-test-")
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

// The README's main command, at a smaller size: it must end with every
// record processed and checkpointed, and everything stopped.
func TestDemo(t *testing.T) {
	if _, err := kinesalite.Install(context.Background(), io.Discard); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v (CI is set, so the demo must be tested)", err)
		}
		t.Skipf("%v; skipping (set CI to make this a failure)", err)
	}
	var out, errOut bytes.Buffer
	code := run([]string{"-bin", bin, "-records", "30", "-waves", "2", "-gap", "100ms", "-idle", "50ms"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{
		"demo: kinesalite 3.3.3 listening at http://127.0.0.1:",
		"demo: $ kcl put -p ", "kcl put: 15 records written to stream demo",
		"msg=record shard=shardId-",
		"demo: all 30 records processed; stopping kcl local",
		"the child exited with status 0",
		"demo: every record was processed and every shard is checkpointed at its last record",
		"demo: kinesalite stopped",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out.String())
	}
}

func TestDemoUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-bin", t.TempDir()}, "build the commands first"},
		{[]string{"-bin", bin, "-records", "1", "-waves", "2"}, "want -shards >= 1 and -records >= -waves >= 1"},
		{[]string{"-nope"}, "flag provided but not defined"},
	} {
		var out, errOut bytes.Buffer
		if code := run(tc.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("local-demo %s: exit %d, want 2 with %q:\n%s", strings.Join(tc.args, " "), code, tc.want, errOut.String())
		}
	}
}
