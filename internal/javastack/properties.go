package javastack

import (
	"fmt"
	"strings"

	"github.com/kclgo/mld/internal/kclprops"
)

// Endpoints are where the daemon's clients go.
type Endpoints struct {
	Kinesis  string // kinesisEndpoint: the h2c proxy for 2.x and 3.x, kinesalite for 1.x
	DynamoDB string // dynamoDBEndpoint: dynalite
}

// PropertiesInput is what Properties writes into a kcl.properties.
type PropertiesInput struct {
	KCL         kclprops.Version
	Executable  string // executableName: the program and its arguments
	Stream, App string
	WorkerID    string
	Endpoints   Endpoints
}

// Properties returns a kcl.properties for the daemon of in.KCL, spelled as
// that version reads it (docs/protocol.md §6), and tuned so that a worker
// alone on a small stream starts processing within seconds instead of a
// minute. Every timing key below is one the daemon of that version reads;
// kcl check passes the file without a warning.
func Properties(in PropertiesInput) string {
	var b strings.Builder
	line := func(k, v, why string) {
		if why != "" {
			fmt.Fprintf(&b, "# %s\n", why)
		}
		fmt.Fprintf(&b, "%s = %s\n", k, v)
	}
	fmt.Fprintf(&b, "# Written for the KCL %s MultiLangDaemon, against emulators on this machine.\n", in.KCL)
	line("executableName", in.Executable, "")
	line("applicationName", in.App, "")
	line("streamName", in.Stream, "")
	line("workerId", in.WorkerID, "")
	line("regionName", "us-east-1", "")
	if in.KCL.Major == 1 {
		// 1.x reads the key with exactly this case, and SDK v1 providers.
		line("AWSCredentialsProvider", "DefaultAWSCredentialsProviderChain",
			"The environment holds dummy credentials; the emulators check none.")
	} else {
		line("AwsCredentialsProvider", "DefaultCredentialsProvider",
			"The environment holds dummy credentials; the emulators check none.")
	}
	line("kinesisEndpoint", in.Endpoints.Kinesis, "")
	line("dynamoDBEndpoint", in.Endpoints.DynamoDB, "")
	line("initialPositionInStream", "TRIM_HORIZON", "")
	if in.KCL.Major >= 2 {
		line("retrievalMode", "POLLING", "Enhanced fan-out needs SubscribeToShard, which kinesalite lacks.")
		// The shutdown hook waits this long at most for the processors'
		// last checkpoints; the default, 0, does not wait at all.
		line("shutdownGraceMillis", "20000", "Let SIGTERM reach the processors' shutdownRequested and last checkpoint.")
	}
	line("idleTimeBetweenReadsInMillis", "200", "Read often: a test waits for its records.")
	// Leases: renewals every third of this, expiry after it. Short, so
	// that the first lease is taken within a few seconds.
	line("failoverTimeMillis", "2000", "Take and renew leases every few seconds rather than every 10.")
	line("shardSyncIntervalMillis", "2000", "")
	line("parentShardPollIntervalMillis", "1000", "")
	line("metricsLevel", "NONE", "No CloudWatch here.")
	if in.KCL.Major == 3 {
		line("disableWorkerMetrics", "true", "No CPU or network figures to balance leases by: one worker.")
		if in.KCL.Minor >= 1 {
			// The leader assigns leases this often; the default is twice
			// failoverTimeMillis, and the first round finds no worker yet.
			line("leaseAssignmentIntervalMillis", "1000", "Assign the leases within a second of the worker's start.")
		}
	}
	return b.String()
}
