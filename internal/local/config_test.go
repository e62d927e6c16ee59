package local

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kclgo/mld/internal/kclprops"
)

func TestFromProperties(t *testing.T) {
	base := "streamName = orders\nexecutableName = /bin/proc  -x 1\n"
	tests := []struct {
		name    string
		props   string
		want    Config
		wantErr string
	}{
		{"defaults", base, Config{Stream: "orders", Executable: []string{"/bin/proc", "-x", "1"}, InitialPosition: "LATEST"}, ""},
		{"everything", base + `regionName = eu-west-1
kinesisEndpoint = http://127.0.0.1:4567
initialPositionInStream = trim_horizon
maxRecords = 500
idleTimeBetweenReadsInMillis = 50
shardSyncIntervalMillis = 5000
timeoutInSeconds = 30
`, Config{Stream: "orders", Executable: []string{"/bin/proc", "-x", "1"}, Region: "eu-west-1", Endpoint: "http://127.0.0.1:4567",
			InitialPosition: "TRIM_HORIZON", MaxRecords: 500, IdleTime: MinIdleTime, ShardSync: 5 * time.Second, Timeout: 30 * time.Second}, ""},
		{"at timestamp", base + "initialPositionInStreamExtended = 1700000000\n",
			Config{Stream: "orders", Executable: []string{"/bin/proc", "-x", "1"}, InitialPosition: "AT_TIMESTAMP", Timestamp: time.Unix(1700000000, 0)}, ""},
		{"zero is the default", base + "maxRecords = 0\nidleTimeBetweenReadsInMillis = 0\n",
			Config{Stream: "orders", Executable: []string{"/bin/proc", "-x", "1"}, InitialPosition: "LATEST"}, ""},
		{"stream ARN wins", base + "streamArn = arn:aws:kinesis:us-east-1:123456789012:stream/payments\n",
			Config{Stream: "payments", Executable: []string{"/bin/proc", "-x", "1"}, InitialPosition: "LATEST"}, ""},
		{"no stream", "executableName = /bin/proc\n", Config{}, "kcl.properties: streamName is not set: name the stream to consume"},
		{"no executable", "streamName = s\n", Config{}, "kcl.properties: executableName is not set"},
		{"bad ARN", base + "streamArn = orders\n", Config{}, `streamArn "orders" is not a stream ARN`},
		{"bad position", base + "initialPositionInStream = OLDEST\n", Config{}, `initialPositionInStream = "OLDEST": want TRIM_HORIZON or LATEST`},
		{"AT_TIMESTAMP without a time", base + "initialPositionInStream = AT_TIMESTAMP\n", Config{}, "needs initialPositionInStreamExtended"},
		{"bad timestamp", base + "initialPositionInStreamExtended = yesterday\n", Config{}, "want a time in epoch seconds"},
		{"too many records", base + "maxRecords = 20000\n", Config{}, "GetRecords returns at most 10000 records"},
		{"negative records", base + "maxRecords = -1\n", Config{}, `maxRecords = "-1": want a number of records`},
		{"bad idle time", base + "idleTimeBetweenReadsInMillis = 1s\n", Config{}, "want milliseconds"},
		{"bad sync", base + "shardSyncIntervalMillis = x\n", Config{}, "shardSyncIntervalMillis"},
		{"zero timeout", base + "timeoutInSeconds = 0\n", Config{}, "timeoutInSeconds = 0 makes the daemon give up on the first wait"},
		{"bad timeout", base + "timeoutInSeconds = soon\n", Config{}, `timeoutInSeconds = "soon": want seconds`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := kclprops.Parse("kcl.properties", []byte(tt.props))
			if err != nil {
				t.Fatal(err)
			}
			got, err := FromProperties(f)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FromProperties = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got, cmp.AllowUnexported(Config{})); d != "" {
				t.Errorf("FromProperties (-want +got):\n%s", d)
			}
		})
	}
}

func TestConfigChecks(t *testing.T) {
	ok := Config{Stream: "s", Executable: []string{"x"}, CheckpointFile: "c"}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no stream", func(c *Config) { c.Stream = "" }, "no stream"},
		{"empty executable", func(c *Config) { c.Executable = []string{""} }, "executableName is empty or starts with a space"},
		{"no checkpoint file", func(c *Config) { c.CheckpointFile = "" }, "no checkpoint file"},
		{"bad position", func(c *Config) { c.InitialPosition = "OLDEST" }, `initial position "OLDEST"`},
	}
	for _, tt := range tests {
		c := ok
		tt.edit(&c)
		if _, err := New(c, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: New = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
	if _, err := New(ok, nil); err != nil {
		t.Errorf("New(%+v) = %v", ok, err)
	}
}
