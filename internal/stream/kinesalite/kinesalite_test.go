package kinesalite

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

var _ = flag.Bool("update", false, "accepted so that go test ./... -update works; this package has no golden files")

func TestServer(t *testing.T) {
	s := ForTest(t, Options{CreateStreamMs: 10})
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL %s, want the loopback interface", s.URL)
	}
	ctx := context.Background()
	client := s.Client()
	if err := CreateStream(ctx, client, "test", 3); err != nil {
		t.Fatal(err)
	}
	out, err := client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("test")})
	if err != nil || len(out.Shards) != 3 {
		t.Fatalf("ListShards = %v, %v; want 3 shards", out, err)
	}
	put, err := client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("test"), PartitionKey: aws.String("k"), Data: []byte("hello")})
	if err != nil {
		t.Fatal(err)
	}
	it, err := client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("test"), ShardId: put.ShardId, ShardIteratorType: "TRIM_HORIZON"})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(recs.Records) != 1 || string(recs.Records[0].Data) != "hello" {
		t.Fatalf("GetRecords = %v, %v; want the record", recs, err)
	}

	// Nothing answers on the machine's other addresses.
	u, _ := url.Parse(s.URL)
	if ip := otherAddress(); ip != "" {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, u.Port()), time.Second); err == nil {
			c.Close()
			t.Errorf("kinesalite answers on %s, not only on the loopback interface", ip)
		}
	}

	s.Stop()
	if !s.Exited() {
		t.Errorf("the node process still runs after Stop")
	}
	if _, err := client.ListStreams(ctx, &kinesis.ListStreamsInput{}, func(o *kinesis.Options) { o.RetryMaxAttempts = 1 }); err == nil {
		t.Errorf("the server still answers after Stop")
	}
	s.Stop() // a second Stop does nothing
}

// otherAddress returns an IPv4 address of this machine outside the
// loopback network, or "".
func otherAddress() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// Install puts kinesalite into an empty directory with npm, and reuses it
// afterwards without npm.
func TestInstall(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("npm not found and CI is set: %v", err)
		}
		t.Skip("npm not found on PATH; install Node.js to run this test")
	}
	// An empty directory, as one made for KINESALITE_DIR, is installed into.
	dir := filepath.Join(t.TempDir(), "kinesalite")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(DirEnv, dir)
	var log strings.Builder
	ctx := context.Background()
	got, err := Install(ctx, &log)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("npm install failed, perhaps without network: %v", err)
		}
		t.Fatal(err)
	}
	if got != dir || !installed(dir) || !strings.Contains(log.String(), "installing kinesalite@"+Version) {
		t.Fatalf("Install = %q (log %q), want kinesalite %s in %s", got, log.String(), Version, dir)
	}
	t.Setenv("PATH", t.TempDir()) // no npm: only a reuse can succeed
	log.Reset()
	if got, err := Install(ctx, &log); err != nil || got != dir || log.Len() != 0 {
		t.Errorf("second Install = %q, %v (log %q), want the same directory, silently", got, err, log.String())
	}
}

func TestInstallRefusesForeignDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(DirEnv, dir)
	_, err := Install(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "holds something other than kinesalite") {
		t.Fatalf("Install into a non-empty directory = %v, want a refusal naming it", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "notes.txt")); err != nil || string(b) != "mine" {
		t.Errorf("the directory's file was touched: %q, %v", b, err)
	}
}

// fakeTB records how ForTest gives up.
type fakeTB struct {
	skipped, failed string
}

type stop struct{}

func (f *fakeTB) Helper()             {}
func (f *fakeTB) Logf(string, ...any) {}
func (f *fakeTB) Cleanup(func())      {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = fmt.Sprintf(format, args...)
	panic(stop{})
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	panic(stop{})
}

func forTest(f *fakeTB) {
	defer func() {
		if r := recover(); r != nil && r != (stop{}) {
			panic(r)
		}
	}()
	ForTest(f, Options{})
}

func TestWithoutNode(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv(DirEnv, t.TempDir())
	if _, err := Install(context.Background(), nil); !errors.Is(err, ErrNoNode) || !strings.Contains(err.Error(), "install Node.js") {
		t.Errorf("Install without node = %v, want ErrNoNode", err)
	}
	t.Setenv("CI", "")
	var f fakeTB
	forTest(&f)
	if !strings.Contains(f.skipped, "not found on PATH") || f.failed != "" {
		t.Errorf("without CI: skipped %q, failed %q; want a skip", f.skipped, f.failed)
	}
	t.Setenv("CI", "true")
	f = fakeTB{}
	forTest(&f)
	if !strings.Contains(f.failed, "CI is set, so the tests that need kinesalite must run") || f.skipped != "" {
		t.Errorf("with CI: skipped %q, failed %q; want a failure", f.skipped, f.failed)
	}
}

// A client that hangs up in the middle of a request, as kcl local does
// when a signal cancels a call, leaves the server answering the others.
func TestSurvivesAbortedRequest(t *testing.T) {
	s := ForTest(t, Options{})
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
		if err != nil {
			t.Fatalf("after an aborted request the server takes no connection: %v\n%s", err, s.stderr.String())
		}
		body := `{"StreamName":`
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.1\r\n"+
			"X-Amz-Target: Kinesis_20131202.DescribeStream\r\nContent-Length: %d\r\n\r\n%s", u.Host, len(body)+100, body)
		// Let the server read the headers and start on the body before
		// the connection goes.
		time.Sleep(50 * time.Millisecond)
		c.Close()
	}
	// The server would die within milliseconds of reading the hang-up.
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) && !s.Exited() {
		time.Sleep(10 * time.Millisecond)
	}
	if s.Exited() {
		t.Fatalf("kinesalite exited after a client aborted a request:\n%s", s.stderr.String())
	}
	ctx := context.Background()
	if _, err := s.Client().ListStreams(ctx, &kinesis.ListStreamsInput{}, func(o *kinesis.Options) { o.RetryMaxAttempts = 1 }); err != nil {
		t.Fatalf("ListStreams after an aborted request: %v\n%s", err, s.stderr.String())
	}
}
