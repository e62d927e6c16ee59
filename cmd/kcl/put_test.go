package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kclgo/mld/internal/stream/kinesisfake"
)

func runPutWith(stdin string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := put(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestPutLines(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream("s", 1)
	code, out, errOut := runPutWith("first\n\nsecond\r\nthird", "-stream", "s", "-endpoint", fake.URL, "-key", "user-{n}")
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	recs := fake.Records("s", "shardId-000000000000")
	var got []string
	for _, r := range recs {
		got = append(got, r.PartitionKey+"="+string(r.Data))
	}
	if want := "user-1=first user-2=second user-3=third"; strings.Join(got, " ") != want {
		t.Errorf("records %q, want %q", got, want)
	}
	want := "kcl put: 3 records written to stream s in 1 calls; 0 entries retried\n  shardId-000000000000: 3 records, last sequence number " + recs[2].SequenceNumber + "\n"
	if out != want {
		t.Errorf("summary:\n%s\nwant:\n%s", out, want)
	}
}

func TestPutTabAndProperties(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream("s", 2)
	props := filepath.Join(t.TempDir(), "kcl.properties")
	os.WriteFile(props, []byte("streamName = s\nkinesisEndpoint = "+fake.URL+"\n"), 0o644)
	code, out, errOut := runPutWith("a\tone\nb\ttwo\n", "-p", props, "-tab")
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	var got []string
	for _, id := range []string{"shardId-000000000000", "shardId-000000000001"} {
		for _, r := range fake.Records("s", id) {
			got = append(got, r.PartitionKey+"="+string(r.Data))
		}
	}
	if len(got) != 2 || !strings.Contains(strings.Join(got, " "), "a=one") || !strings.Contains(strings.Join(got, " "), "b=two") {
		t.Errorf("records %q, want a=one and b=two", got)
	}
	code, _, errOut = runPutWith("no tab here\n", "-p", props, "-tab")
	if code != 1 || !strings.Contains(errOut, "kcl put: line 1 has no tab: with -tab each line is key<TAB>data") {
		t.Errorf("a line without a tab: exit %d, %s", code, errOut)
	}
}

func TestPutGenerated(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream("s", 4)
	fake.FailPutEntries("ProvisionedThroughputExceededException", "ProvisionedThroughputExceededException")
	code, out, errOut := runPutWith("", "-stream", "s", "-endpoint", fake.URL, "-n", "600")
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	if !strings.HasPrefix(out, "kcl put: 600 records written to stream s in 3 calls; 2 entries retried\n") || strings.Count(out, "  shardId-") != 4 {
		t.Errorf("summary:\n%s", out)
	}
	if !strings.Contains(errOut, "kcl put: 2 entries failed (map[ProvisionedThroughputExceededException:2]); sending them again in 100ms (attempt 2 of 8)") {
		t.Errorf("the retry is not reported:\n%s", errOut)
	}
	total := 0
	for i := range 4 {
		for _, r := range fake.Records("s", shard4(i)) {
			total++
			if !strings.HasPrefix(string(r.Data), `{"n":`) || len(r.PartitionKey) != 16 {
				t.Errorf("generated record %s with key %q", r.Data, r.PartitionKey)
			}
		}
	}
	if total != 600 {
		t.Errorf("%d records in the stream, want 600", total)
	}
}

func shard4(i int) string { return fmt.Sprintf("shardId-%012d", i) }

func TestPutFailures(t *testing.T) {
	fake := kinesisfake.New()
	defer fake.Close()
	fake.CreateStream("s", 1)
	fake.FailPutEntries("InternalFailure", "InternalFailure")
	code, out, errOut := runPutWith("x\n", "-stream", "s", "-endpoint", fake.URL, "-retries", "2")
	if code != 1 || !strings.Contains(errOut, "kcl put: 1 records not written after 2 attempts each") || !strings.Contains(out, "0 records written") {
		t.Errorf("exhausted retries: exit %d:\n%s%s", code, out, errOut)
	}
	big := strings.Repeat("x", 1<<20)
	code, out, errOut = runPutWith("before\n"+big+"\nafter\n", "-stream", "s", "-endpoint", fake.URL, "-key", "k{n}")
	if code != 1 || !strings.Contains(errOut, "kcl put: line 2: a record of 1048578 bytes with its partition key: Kinesis takes at most 1048576 (1 MiB) per record; the lines before it were written, none from it on") {
		t.Errorf("a line over 1 MiB: exit %d:\n%s", code, errOut)
	}
	// The line before the bad one is written, the one after is not.
	var got []string
	for _, r := range fake.Records("s", "shardId-000000000000") {
		got = append(got, string(r.Data))
	}
	if strings.Join(got, " ") != "before" || !strings.Contains(out, "1 records written") {
		t.Errorf("after a bad line 2, the stream holds %q (summary %q), want only line 1", got, out)
	}
	code, _, errOut = runPutWith("x\n", "-stream", "missing", "-endpoint", fake.URL)
	if code != 1 || !strings.Contains(errOut, "ResourceNotFoundException") {
		t.Errorf("missing stream: exit %d:\n%s", code, errOut)
	}
}

func TestPutUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "kcl put: no stream: give -stream, or -p"},
		{[]string{"-stream", "s", "extra"}, `unexpected arguments ["extra"]`},
		{[]string{"-stream", "s", "-n", "-1"}, "-n -1: want a number of records"},
		{[]string{"-stream", "s", "-n", "3", "-tab"}, "use one of them"},
		{[]string{"-stream", "s", "-retries", "0"}, "-retries 0: want at least 1"},
		{[]string{"-stream", "s", "-key", ""}, "-key is empty"},
		{[]string{"-p", "/nonexistent/kcl.properties"}, "no such file or directory"},
	} {
		code, _, errOut := runPutWith("", tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("kcl put %s: exit %d, want 2 with %q:\n%s", strings.Join(tc.args, " "), code, tc.want, errOut)
		}
	}
}
