package dynalite

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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

var _ = flag.Bool("update", false, "accepted so that go test ./... -update works; this package has no golden files")

func TestServer(t *testing.T) {
	s := ForTest(t, Options{})
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL %s, want the loopback interface", s.URL)
	}
	// Nothing answers on the machine's other addresses.
	u, _ := url.Parse(s.URL)
	if ip := otherAddress(); ip != "" {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, u.Port()), time.Second); err == nil {
			c.Close()
			t.Errorf("dynalite answers on %s, not only on the loopback interface", ip)
		}
	}
	client := s.Client()
	ctx := context.Background()
	s.Stop()
	if !s.Exited() {
		t.Errorf("the node process still runs after Stop")
	}
	if _, err := client.ListTables(ctx, &dynamodb.ListTablesInput{}, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }); err == nil {
		t.Errorf("the server still answers after Stop")
	}
	s.Stop() // a second Stop does nothing
}

// The tables are those the daemon would create, ACTIVE, with the index
// KCL 3.x queries; creating them again is harmless; and the lease rows a
// daemon writes read back.
func TestKCLTables(t *testing.T) {
	s := ForTest(t, Options{})
	ctx := context.Background()
	client := s.Client()
	for range 2 {
		if err := CreateKCLTables(ctx, client, "app"); err != nil {
			t.Fatal(err)
		}
	}
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.Table.GlobalSecondaryIndexes); n != 1 || *out.Table.GlobalSecondaryIndexes[0].IndexName != LeaseOwnerIndex {
		t.Fatalf("lease table indexes: %+v, want %s", out.Table.GlobalSecondaryIndexes, LeaseOwnerIndex)
	}
	for _, name := range []string{"app-CoordinatorState", "app-WorkerMetricStats"} {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil || out.Table.TableStatus != types.TableStatusActive {
			t.Errorf("DescribeTable(%s) = %v, want ACTIVE", name, err)
		}
	}

	put := func(item map[string]types.AttributeValue) {
		t.Helper()
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("app"), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	n := func(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }
	sv := func(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
	put(map[string]types.AttributeValue{"leaseKey": sv("shardId-000000000001"), "leaseOwner": sv("worker-1"),
		"leaseCounter": n("7"), "checkpoint": sv("4968"), "checkpointSubSequenceNumber": n("0")})
	put(map[string]types.AttributeValue{"leaseKey": sv("shardId-000000000000"),
		"leaseCounter": n("0"), "checkpoint": sv("TRIM_HORIZON"), "checkpointSubSequenceNumber": n("0")})
	got, err := Leases(ctx, client, "app")
	if err != nil {
		t.Fatal(err)
	}
	want := []Lease{
		{Key: "shardId-000000000000", Checkpoint: "TRIM_HORIZON"},
		{Key: "shardId-000000000001", Owner: "worker-1", Counter: 7, Checkpoint: "4968"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Leases (-want +got):\n%s", diff)
	}

	// The index answers the query KCL 3.x makes to find a worker's leases.
	q, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String("app"), IndexName: aws.String(LeaseOwnerIndex),
		KeyConditionExpression:    aws.String("leaseOwner = :o"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":o": sv("worker-1")},
	})
	if err != nil || len(q.Items) != 1 {
		t.Errorf("Query on %s = %v, %v; want the one lease of worker-1", LeaseOwnerIndex, q, err)
	}
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

// Install puts dynalite into an empty directory with npm, and reuses it
// afterwards without npm.
func TestInstall(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("npm not found and CI is set: %v", err)
		}
		t.Skip("npm not found on PATH; install Node.js to run this test")
	}
	dir := filepath.Join(t.TempDir(), "dynalite")
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
	if got != dir || !installed(dir) || !strings.Contains(log.String(), "installing dynalite@"+Version) {
		t.Fatalf("Install = %q (log %q), want dynalite %s in %s", got, log.String(), Version, dir)
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
	if err == nil || !strings.Contains(err.Error(), "holds something other than dynalite") {
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
	if !strings.Contains(f.failed, "CI is set, so the tests that need dynalite must run") || f.skipped != "" {
		t.Errorf("with CI: skipped %q, failed %q; want a failure", f.skipped, f.failed)
	}
}

// A client that hangs up in the middle of a request leaves the server
// answering the others.
func TestSurvivesAbortedRequest(t *testing.T) {
	s := ForTest(t, Options{})
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
		if err != nil {
			t.Fatalf("after an aborted request the server takes no connection: %v\n%s", err, s.Stderr())
		}
		body := `{"TableName":`
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.0\r\n"+
			"X-Amz-Target: DynamoDB_20120810.DescribeTable\r\nContent-Length: %d\r\n\r\n%s", u.Host, len(body)+100, body)
		time.Sleep(50 * time.Millisecond)
		c.Close()
	}
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) && !s.Exited() {
		time.Sleep(10 * time.Millisecond)
	}
	if s.Exited() {
		t.Fatalf("dynalite exited after a client aborted a request:\n%s", s.Stderr())
	}
	if _, err := s.Client().ListTables(context.Background(), &dynamodb.ListTablesInput{}, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }); err != nil {
		t.Fatalf("ListTables after an aborted request: %v\n%s", err, s.Stderr())
	}
}
