package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kclgo/mld/internal/local"
	"github.com/kclgo/mld/internal/stream/kinesisfake"
)

// writeProps writes a kcl.properties for the fake endpoint.
func writeProps(t *testing.T, dir, endpoint, executable string, extra ...string) string {
	t.Helper()
	path := filepath.Join(dir, "kcl.properties")
	content := fmt.Sprintf("streamName = s\nkinesisEndpoint = %s\ninitialPositionInStream = TRIM_HORIZON\nexecutableName = %s\n%s",
		endpoint, executable, strings.Join(extra, "\n"))
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runKCL(args ...string) (int, string) {
	var out bytes.Buffer
	code := run(args, &out, &out)
	return code, out.String()
}

// The sample processor reads a closed shard to its end; kcl local then has
// nothing left to do and exits 0.
func TestLocalReadsAShardToItsEnd(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream("s", 1)
	for i := range 3 {
		fake.PutToShard("s", "shardId-000000000000", "k", fmt.Appendf(nil, `{"n":%d}`, i))
	}
	fake.CloseShard("s", "shardId-000000000000")
	dir := t.TempDir()
	props := writeProps(t, dir, fake.URL, sample+" -checkpoint-every-records 2")
	cps := filepath.Join(dir, "cp.json")
	code, out := runKCL("local", "-p", props, "-checkpoints", cps, "-idle", "10ms")
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	for _, w := range []string{
		"consuming stream=s shards=1",
		"[shardId-000000000000] ", `preview="{\"n\":2}"`,
		"checkpoint shard=shardId-000000000000 at=SHARD_END during=shardEnded",
		"every shard is finished",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	all, err := local.ReadCheckpointFile(cps)
	if err != nil || all["s"]["shardId-000000000000"].SequenceNumber != "SHARD_END" {
		t.Errorf("checkpoint file: %v, %v; want SHARD_END", all, err)
	}
}

// A failing child makes kcl local exit 1 with the failure reported.
func TestLocalChildFailure(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream("s", 2)
	dir := t.TempDir()
	props := writeProps(t, dir, fake.URL, "true")
	code, out := runKCL("local", props, "-checkpoints", filepath.Join(dir, "cp.json"))
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, w := range []string{
		"kcl local: 2 of 2 shards failed:\n  shard shardId-000000000000 failed: sent initialize; got ",
		"  shard shardId-000000000001 failed: sent initialize; got ",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestLocalUsageErrors(t *testing.T) {
	dir := t.TempDir()
	noStream := filepath.Join(dir, "no-stream.properties")
	os.WriteFile(noStream, []byte("executableName = x\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"local"}, "kcl local: no properties file: give one with -p kcl.properties"},
		{[]string{"local", "a", "b"}, `kcl local: unexpected arguments ["a" "b"]`},
		{[]string{"local", "-p", filepath.Join(dir, "missing")}, "no such file or directory"},
		{[]string{"local", "-p", noStream}, "streamName is not set"},
		{[]string{"local", "-bogus"}, "flag provided but not defined: -bogus"},
	} {
		code, out := runKCL(tc.args...)
		if code != 2 || !strings.Contains(out, tc.want) {
			t.Errorf("kcl %s: exit %d, want 2 with %q:\n%s", strings.Join(tc.args, " "), code, tc.want, out)
		}
	}
	code, out := runKCL("local", "-h")
	if code != 0 || !strings.Contains(out, "NOT a production daemon") || !strings.Contains(out, "Exit status: 0 after a clean shutdown") {
		t.Errorf("kcl local -h: exit %d:\n%s", code, out)
	}
}

// An unreachable endpoint is a runtime failure, named as such.
func TestLocalUnreachableStream(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	dir := t.TempDir()
	props := writeProps(t, dir, fake.URL, "true")
	code, out := runKCL("local", "-p", props, "-checkpoints", filepath.Join(dir, "cp.json"))
	if code != 1 || !strings.Contains(out, `kcl local: local: listing the shards of stream "s"`) {
		t.Errorf("exit %d, want 1 naming the listing:\n%s", code, out)
	}
}
