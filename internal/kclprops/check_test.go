package kclprops

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// base holds the required keys for each major version; its program is in
// the fake file system of testEnv.
var base = map[int]string{
	1: "executableName = /opt/p\napplicationName = app\nstreamName = s\nAWSCredentialsProvider = DefaultAWSCredentialsProviderChain\n",
	2: "executableName = /opt/p\napplicationName = app\nstreamName = s\nAwsCredentialsProvider = DefaultCredentialsProvider\n",
	3: "executableName = /opt/p\napplicationName = app\nstreamName = s\nAwsCredentialsProvider = DefaultCredentialsProvider\n",
}

// base26 is base[2] for 2.x before 2.7.0, with the SDK v1 credentials key.
const base26 = "executableName = /opt/p\napplicationName = app\nstreamName = s\nAWSCredentialsProvider = DefaultAWSCredentialsProviderChain\n"

// testEnv is a machine with /opt/p executable, /opt/data not, and
// "/opt/my app/p" behind a space; PATH is /usr/bin, which holds tool.
func testEnv() Env {
	m := fstest.MapFS{
		"opt/p":          {Mode: 0o755},
		"opt/data":       {Mode: 0o644},
		"opt/my app/p":   {Mode: 0o755},
		"opt/dir/x":      {Mode: 0o755},
		"usr/bin/tool":   {Mode: 0o755},
		"usr/bin/noexec": {Mode: 0o644},
		"work/rel/p":     {Mode: 0o755},
	}
	return Env{
		Dir:       "/work",
		LookupEnv: func(k string) (string, bool) { return map[string]string{"PATH": "/usr/bin"}[k], k == "PATH" },
		Stat: func(name string) (fs.FileInfo, error) {
			return fs.Stat(m, strings.TrimPrefix(filepath.Clean(name), "/"))
		},
	}
}

func check(t *testing.T, version, data string) *Report {
	t.Helper()
	v, err := ParseVersion(version)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse("kcl.properties", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return testEnv().Check(f, v)
}

// want is one expected problem: its severity, line and a part of its message.
type want struct {
	sev  Severity
	line int
	text string
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version string
		extra   string // appended to base; lines start at 5
		data    string // replaces base when set
		want    []want
	}{
		{name: "clean 3.x", version: "3.1.3"},
		{name: "clean 2.x", version: "2.7.2"},
		{name: "clean 1.x", version: "1.9.3"},

		// Keys.
		{name: "miscased key", version: "3.1.3", extra: "MaxRecords = 100\n",
			want: []want{{Error, 5, "MaxRecords: unknown key, ignored by the daemon without a word; did you mean maxRecords? (keys are case-sensitive)"}}},
		{name: "miscased endpoint", version: "3.1.3", extra: "DynamoDBEndpoint = http://localhost:4566\n",
			want: []want{{Error, 5, "did you mean dynamoDBEndpoint?"}}},
		{name: "1.x first letter is free", version: "1.9.3", extra: "MaxRecords = 100\n"},
		{name: "1.x rest is exact", version: "1.9.3", extra: "maxrecords = 100\n",
			want: []want{{Error, 5, "did you mean maxRecords?"}}},
		{name: "1.x getProperty keys are exact", version: "1.9.3", data: strings.Replace(base[1], "applicationName", "ApplicationName", 1),
			want: []want{{Error, 2, "ApplicationName: unknown key, ignored by the daemon without a word; did you mean applicationName? (keys are case-sensitive; applicationName is required)"}}},
		{name: "typo with suggestion", version: "3.1.3", extra: "initialPositionInSteam = LATEST\n",
			want: []want{{Error, 5, "initialPositionInSteam: unknown key, ignored by the daemon without a word; did you mean initialPositionInStream?"}}},
		{name: "unknown key", version: "3.1.3", extra: "colour = blue\n",
			want: []want{{Warning, 5, "colour: unknown key, ignored by the daemon"}}},
		{name: "key of a later version", version: "3.1.3", extra: "leaseTableScanTotalSegments = 4\n",
			want: []want{{Error, 5, "leaseTableScanTotalSegments is not read by KCL 3.1.3 (only by KCL 3.5.0 and later)"}}},
		{name: "3.x key on 2.x", version: "2.7.2", extra: "clientVersionConfig = CLIENT_VERSION_CONFIG_3X\n",
			want: []want{{Error, 5, "only by KCL 3.0.0 and later"}}},
		{name: "streamArn on 1.x", version: "1.9.3", data: strings.Replace(base[1], "streamName = s", "streamArn = arn:aws:kinesis:us-east-1:123456789012:stream/s", 1),
			want: []want{{Error, 0, "streamName is missing"}, {Error, 3, "streamArn is not read by KCL 1.9.3 (only by KCL 2.5.1 and later)"}}},
		{name: "streamArn before 2.5.1", version: "2.5.0", data: base26 + "streamArn = arn:aws:kinesis:us-east-1:123456789012:stream/s\n",
			want: []want{{Error, 5, "streamArn is not read by KCL 2.5.0"}}},
		{name: "credentials key in any case on 3.x", version: "3.1.3", data: strings.Replace(base[3], "AwsCredentialsProvider", "AWSCREDENTIALSPROVIDER", 1)},
		{name: "old credentials key on 3.x", version: "3.1.3", data: strings.Replace(base[3], "AwsCredentialsProvider", "AWSCredentialsProvider", 1)},
		{name: "credentials suffix is exact", version: "3.1.3", extra: "awsCredentialsProviderDynamodb = DefaultCredentialsProvider\n",
			want: []want{{Error, 5, "did you mean AwsCredentialsProviderDynamoDB?"}}},
		{name: "new credentials key on 2.6", version: "2.6.0", data: strings.Replace(base[2], "AwsCredentialsProvider = DefaultCredentialsProvider", "AwsCredentialsProvider = DefaultAWSCredentialsProviderChain", 1),
			want: []want{{Error, 4, "did you mean AWSCredentialsProvider? (keys are case-sensitive; AWSCredentialsProvider is required)"}}},
		{name: "builder keys pass", version: "3.1.3", extra: "kinesisClient.endpointOverride = http://localhost:4566\n"},
		{name: "fan-out keys", version: "3.1.3", extra: "fanoutConfig.consumerName = c\nfanoutConfig.retryBackoffMillis = soon\n",
			want: []want{{Warning, 6, "fanoutConfig.retryBackoffMillis: \"soon\" is not a long"}}},
		{name: "shardPrioritization", version: "3.1.3", extra: "shardPrioritization = x\n",
			want: []want{{Warning, 5, "no converter from a string"}}},
		{name: "1.x key without decoder", version: "1.9.3", extra: "billingMode = PAY_PER_REQUEST\n",
			want: []want{{Error, 5, "billingMode cannot be set from the file in KCL 1.x"}}},
		{name: "empty key", version: "3.1.3", extra: "= x\n",
			want: []want{{Warning, 5, "an entry with an empty key"}}},

		// Numbers.
		{name: "wrong int", version: "3.1.3", extra: "maxRecords = 10k\n",
			want: []want{{Error, 5, `maxRecords: "10k" is not an int (a whole number from -2147483648 to 2147483647); commons-beanutils turns what it cannot convert into 0, which the daemon then skips, so the default 10000 stays`}}},
		{name: "int out of range", version: "3.1.3", extra: "maxLeasesForWorker = 2147483648\n",
			want: []want{{Error, 5, "is not an int"}}},
		{name: "long in range", version: "3.1.3", extra: "failoverTimeMillis = 2147483648\n"},
		{name: "long out of range", version: "3.1.3", extra: "failoverTimeMillis = 9223372036854775808\n",
			want: []want{{Error, 5, "is not a long"}}},
		{name: "int with sign and spaces", version: "3.1.3", extra: "retrievalMode = POLLING\nmaxRecords = +100   \n"},
		{name: "1.x int with trailing space", version: "1.9.3", extra: "maxRecords = 100 \n",
			want: []want{{Error, 5, `maxRecords: "100 " is not an int (a whole number from -2147483648 to 2147483647); the whitespace around it is not trimmed; KCL 1.x logs a warning and ignores the key`}}},
		{name: "Integer converts to 0", version: "3.1.3", extra: "timeoutInSeconds = ten\n",
			want: []want{{Error, 5, "turns what it cannot convert into 0, and the daemon uses that"}}},
		{name: "double", version: "3.1.3", extra: "workerMetricsEMAAlpha = 0.25d\nmaxThroughputPerHostKBps = 1e3\n"},
		{name: "bad double", version: "3.1.3", extra: "workerMetricsEMAAlpha = half\n",
			want: []want{{Error, 5, `workerMetricsEMAAlpha: "half" is not a number`}}},

		// Zero values (docs/protocol.md §6.1).
		{name: "zero int ignored", version: "3.1.3", extra: "retrievalMode = POLLING\nmaxRecords = 0\n",
			want: []want{{Warning, 6, "maxRecords = 0 is ignored: the daemon skips a value equal to Java's default for the type (docs/protocol.md §6.1), so the default 10000 stays"}}},
		{name: "zero double ignored", version: "3.1.3", extra: "maxThroughputPerHostKBps = 0.0\n",
			want: []want{{Warning, 5, "so the default (unlimited) stays"}}},
		{name: "zero equal to default", version: "3.1.3", extra: "ignoreUnexpectedChildShards = false\n"},
		{name: "cleanupLeasesUponShardCompletion false", version: "3.1.3", extra: "cleanupLeasesUponShardCompletion = false\n",
			want: []want{{Warning, 5, "cleanupLeasesUponShardCompletion = false is ignored"}}},
		{name: "1.x applies false", version: "1.9.3", extra: "cleanupLeasesUponShardCompletion = false\n"},
		{name: "zero Integer applied", version: "3.1.3", extra: "retrievalMode = POLLING\nretryGetRecordsInSeconds = 0\n"},

		// Booleans.
		{name: "boolean forms", version: "3.1.3", extra: "callProcessRecordsEvenForEmptyRecordList = Yes\nskipShardSyncAtWorkerInitializationIfLeasesExist = ON\nmigrateAllEntitiesToLeaseTable = 1\n",
			want: []want{{Error, 7, "not read by KCL 3.1.3"}}},
		{name: "bad boolean", version: "3.1.3", extra: "callProcessRecordsEvenForEmptyRecordList = ture\n",
			want: []want{{Error, 5, `"ture" is not a boolean (true/false, yes/no, y/n, on/off, 1/0 in any case); commons-beanutils turns it into false`}}},
		{name: "boolean with trailing space", version: "3.1.3", extra: "isGracefulLeaseHandoffEnabled = true \n",
			want: []want{{Error, 5, "the whitespace around it is not trimmed; commons-beanutils turns it into false"}}},
		{name: "bad boolean skipped", version: "3.1.3", extra: "cleanupLeasesUponShardCompletion = nope\n",
			want: []want{{Error, 5, "which the daemon then skips, so the default true stays"}}},
		{name: "1.x yes is false", version: "1.9.3", extra: "callProcessRecordsEvenForEmptyRecordList = yes\n",
			want: []want{{Error, 5, `KCL 1.x reads only "true" (in any case) as true, so "yes" means false`}}},
		{name: "1.x TRUE", version: "1.9.3", extra: "callProcessRecordsEvenForEmptyRecordList = TRUE\n"},

		// Enums, durations, timestamps, lists, tags, URIs, ARNs.
		{name: "enum in lower case", version: "3.1.3", extra: "metricsLevel = summary\ninitialPositionInStream = trim_horizon\nretrievalMode = Polling\n"},
		{name: "bad enum", version: "3.1.3", extra: "metricsLevel = None \n",
			want: []want{{Error, 5, `metricsLevel: "None " has whitespace around it, which the daemon does not trim`}}},
		{name: "enum typo", version: "3.1.3", extra: "metricsLevel = SUMARY\n",
			want: []want{{Error, 5, `metricsLevel: "SUMARY" is not one of NONE, SUMMARY, DETAILED, so the daemon fails at startup; did you mean SUMMARY?`}}},
		{name: "AT_TIMESTAMP on 3.x", version: "3.1.3", extra: "initialPositionInStream = AT_TIMESTAMP\n",
			want: []want{{Error, 5, "AT_TIMESTAMP is not supported by the 2.x/3.x MultiLangDaemon"}}},
		{name: "AT_TIMESTAMP on 2.x", version: "2.7.2", extra: "initialPositionInStream = at_timestamp\n",
			want: []want{{Error, 5, "set initialPositionInStreamExtended = <epoch seconds> instead"}}},
		{name: "AT_TIMESTAMP on 1.x", version: "1.9.3", extra: "initialPositionInStream = AT_TIMESTAMP\ntimestampAtInitialPositionInStream = 1700000000\n",
			want: []want{{Warning, 5, "set timestampAtInitialPositionInStream"}, {Warning, 6, "both set the initial position"}}},
		{name: "both initial positions", version: "3.1.3", extra: "initialPositionInStream = LATEST\ninitialPositionInStreamExtended = 1700000000\n",
			want: []want{{Warning, 6, "initialPositionInStreamExtended and initialPositionInStream (line 5) both set the initial position"}}},
		{name: "epoch milliseconds", version: "3.1.3", extra: "initialPositionInStreamExtended = 1700000000000\n",
			want: []want{{Warning, 5, "looks like milliseconds"}}},
		{name: "bad epoch", version: "3.1.3", extra: "initialPositionInStreamExtended = 2024-01-01\n",
			want: []want{{Error, 5, "is not a whole number of seconds since 1970; the daemon fails at startup"}}},
		{name: "durations", version: "3.1.3", extra: "staleWorkerMetricsEntryCleanupDuration = pt12h30m\n"},
		{name: "negative duration", version: "3.1.3", extra: "staleWorkerMetricsEntryCleanupDuration = P1DT-25H\n",
			want: []want{{Error, 5, `"P1DT-25H" is negative`}}},
		{name: "negative duration sign", version: "3.1.3", extra: "staleWorkerMetricsEntryCleanupDuration = -PT1S\n",
			want: []want{{Error, 5, "is negative"}}},
		{name: "bad duration", version: "3.1.3", extra: "staleWorkerMetricsEntryCleanupDuration = 1 day\n",
			want: []want{{Error, 5, "is not an ISO-8601 duration"}}},
		{name: "tags", version: "3.1.3", extra: "workerMetricsTags = team=a, env = prod\ncoordinatorStateTags = team=a,broken,x=y=z\n",
			want: []want{{Error, 6, `tag "broken" is not key=value`}, {Error, 6, `tag "x=y=z" is not key=value`}}},
		{name: "endpoint without scheme", version: "3.1.3", extra: "kinesisEndpoint = localhost:4566\n",
			want: []want{{Error, 5, `kinesisEndpoint: "localhost:4566" does not start with http:// or https://`}}},
		{name: "endpoint with space", version: "3.1.3", extra: "dynamoDBEndpoint = http://localhost:4566 \n",
			want: []want{{Error, 5, "contains whitespace"}}},
		{name: "1.x endpoint without scheme", version: "1.9.3", extra: "kinesisEndpoint = kinesis.us-east-1.amazonaws.com\n"},
		{name: "bad stream ARN", version: "3.1.3", extra: "streamArn = arn:aws:kinesis:us-east-1:1234:stream/s\n",
			want: []want{{Error, 5, "is not a Kinesis stream ARN"}}},
		{name: "both streamName and streamArn", version: "3.1.3", extra: "streamArn = arn:aws:kinesis:us-east-1:123456789012:stream/other\n",
			want: []want{{Warning, 3, `streamName "s" is overridden by the stream in streamArn (line 5), "other"`}}},
		{name: "streamArn alone", version: "3.1.3", data: strings.Replace(base[3], "streamName = s", "streamArn = arn:aws:kinesis:us-east-1:123456789012:stream/s", 1)},
		{name: "region", version: "3.1.3", extra: "regionName = US East\n",
			want: []want{{Warning, 5, "does not look like an AWS region name"}}},
		{name: "placeholder", version: "3.1.3", extra: "tableName = <your-table>\n",
			want: []want{{Warning, 5, "looks like a placeholder"}}},
		{name: "non-ASCII", version: "3.1.3", extra: "workerId = wörker\n",
			want: []want{{Warning, 5, "non-ASCII bytes"}}},
		{name: "unicode escape is fine", version: "3.1.3", extra: "workerId = w\\u00f6rker\n"},

		// Credentials.
		{name: "v1 provider on 3.x", version: "3.1.3", data: strings.Replace(base[3], "DefaultCredentialsProvider", "DefaultAWSCredentialsProviderChain", 1),
			want: []want{{Error, 4, "DefaultAWSCredentialsProviderChain is an AWS SDK v1 class, but KCL 3.1.3 loads AWS SDK v2 providers and skips names it cannot load, so it gets no credentials; use DefaultCredentialsProvider"}}},
		{name: "v2 provider on 1.x", version: "1.9.3", data: strings.Replace(base[1], "DefaultAWSCredentialsProviderChain", "DefaultCredentialsProvider", 1),
			want: []want{{Error, 4, "use DefaultAWSCredentialsProviderChain"}}},
		{name: "provider typo", version: "3.1.3", data: strings.Replace(base[3], "DefaultCredentialsProvider", "DefaultCredentialProvider", 1),
			want: []want{{Error, 4, "did you mean DefaultCredentialsProvider?"}}},
		{name: "provider list with arguments", version: "3.1.3", data: strings.Replace(base[3], "DefaultCredentialsProvider", "StsAssumeRoleCredentialsProvider|arn:aws:iam::123456789012:role/r|s|endpointRegion=us-east-1|externalId=x, ProfileCredentialsProvider|dev, com.example.Mine", 1)},
		{name: "empty provider", version: "3.1.3", data: strings.Replace(base[3], "DefaultCredentialsProvider", " , ", 1),
			want: []want{{Error, 4, "AwsCredentialsProvider is empty: it names no credentials provider"}}},

		// Required keys.
		{name: "missing required keys", version: "3.1.3", data: "maxRecords = 100\n",
			want: []want{
				{Error, 0, "executableName is missing"}, {Error, 0, "applicationName is missing"},
				{Error, 0, "streamName (or streamArn) is missing"}, {Error, 0, "AwsCredentialsProvider is missing"},
				{Warning, 1, "maxRecords with retrievalMode DEFAULT switches the daemon from enhanced fan-out to polling"},
			}},
		{name: "missing required keys 1.x", version: "1.9.3", data: "\n",
			want: []want{{Error, 0, "executableName is missing"}, {Error, 0, "applicationName is missing"}, {Error, 0, "streamName is missing"}, {Error, 0, "AWSCredentialsProvider is missing"}}},
		{name: "missing credentials 2.6", version: "2.6.0", data: "executableName = /opt/p\napplicationName = app\nstreamName = s\n",
			want: []want{{Error, 0, "before 2.7.0 the key is exactly AWSCredentialsProvider"}}},
		{name: "blank application", version: "3.1.3", data: strings.Replace(base[3], "= app", "=   ", 1),
			want: []want{{Error, 0, "applicationName is missing or empty"}}},

		// Accepted but ignored (§6.1, §6.2).
		{name: "processingLanguage", version: "3.1.3", extra: "processingLanguage = go\n",
			want: []want{{Warning, 5, "processingLanguage is only logged"}}},
		{name: "processingLanguage 1.x", version: "1.9.3", extra: "processingLanguage = go\n"},
		{name: "validateSequenceNumberBeforeCheckpointing", version: "2.7.2", extra: "validateSequenceNumberBeforeCheckpointing = true\n",
			want: []want{{Warning, 5, "accepted but unused"}}},
		{name: "polling keys under DEFAULT", version: "3.1.3", extra: "maxRecords = 500\nidleTimeBetweenReadsInMillis = 100\n",
			want: []want{{Warning, 5, "maxRecords, idleTimeBetweenReadsInMillis with retrievalMode DEFAULT"}, {Warning, 6, "is raised to 200"}}},
		{name: "polling keys under FANOUT", version: "3.1.3", extra: "retrievalMode = fanout\nmaxRecords = 500\n",
			want: []want{{Warning, 6, "only apply to polling, and retrievalMode is FANOUT"}}},
		{name: "polling keys under POLLING", version: "3.1.3", extra: "retrievalMode = POLLING\nmaxRecords = 500\n"},
		{name: "maxRecords above the limit", version: "3.1.3", extra: "retrievalMode = POLLING\nmaxRecords = 20000\n",
			want: []want{{Warning, 6, "GetRecords returns at most 10000"}}},
		{name: "fixed thread pool", version: "3.1.3", extra: "maxActiveThreads = 4\n",
			want: []want{{Warning, 5, "makes a fixed pool"}}},
		{name: "timeout 0", version: "3.1.3", extra: "timeoutInSeconds = 0\n",
			want: []want{{Warning, 5, "every wait fails at once"}}},
		{name: "duplicate key", version: "3.1.3", extra: "metricsLevel = NONE\nmetricsLevel = SUMMARY\n",
			want: []want{{Warning, 5, "metricsLevel is set again on line 6; java.util.Properties keeps the last value"}}},
		{name: "two spellings of one property", version: "3.1.3", extra: "AWSCredentialsProvider = ProfileCredentialsProvider\n",
			want: []want{{Warning, 5, "AWSCredentialsProvider and AwsCredentialsProvider (line 4) set the same property"}}},
		{name: "continuation lines", version: "3.1.3", extra: "# a comment \\\nmetricsLevel = \\\n   SUMARY\nmaxRecords = \\\n  x\n",
			want: []want{{Error, 6, "SUMARY"}, {Error, 8, `"x" is not an int`}}},
		{name: "2.0.x", version: "2.0.5", data: base26, want: []want{{Warning, 0, "2.0.x MultiLangDaemon"}}},

		// executableName (§1).
		{name: "executable missing", version: "3.1.3", data: strings.Replace(base[3], "/opt/p", "/opt/q -x", 1),
			want: []want{{Error, 1, "executableName: /opt/q: no such file"}}},
		{name: "executable not executable", version: "3.1.3", data: strings.Replace(base[3], "/opt/p", "/opt/data", 1),
			want: []want{{Error, 1, "executableName: /opt/data is not executable (mode -rw-r--r--): chmod +x it"}}},
		{name: "executable is a directory", version: "3.1.3", data: strings.Replace(base[3], "/opt/p", "/opt/dir", 1),
			want: []want{{Error, 1, "/opt/dir is a directory"}}},
		{name: "executable relative", version: "3.1.3", data: strings.Replace(base[3], "/opt/p", "rel/p --flag", 1),
			want: []want{{Warning, 1, "executableName: rel/p is a relative path, resolved against the directory the daemon starts in (here /work)"}}},
		{name: "executable relative missing", version: "3.1.3", data: strings.Replace(base[3], "/opt/p", "./p", 1),
			want: []want{{Error, 1, "/work/p: no such file"}, {Warning, 1, "is a relative path"}}},
		{name: "executable with spaces", version: "3.1.3", data: strings.Replace(base[3], "/opt/p", "/opt/my app/p -x", 1),
			want: []want{{Error, 1, `executableName: /opt/my does not exist, but "/opt/my app/p" does: the daemon splits executableName on spaces with no quoting or escaping`}}},
		{name: "executable quoted", version: "3.1.3", data: strings.Replace(base[3], "/opt/p", `"/opt/my app/p"`, 1),
			want: []want{{Error, 1, "quotes are passed on as part of the name"}, {Warning, 1, "is a relative path"}}},
		{name: "executable with tab", version: "3.1.3", data: strings.Replace(base[3], "/opt/p", "/opt/p\t-x", 1),
			want: []want{{Error, 1, "no such file"}, {Warning, 1, "contains a tab, which is not a separator"}}},
		{name: "executable on PATH", version: "3.1.3", data: strings.Replace(base[3], "/opt/p", "tool arg", 1)},
		{name: "executable not on PATH", version: "3.1.3", data: strings.Replace(base[3], "/opt/p", "nosuch", 1),
			want: []want{{Error, 1, "executableName: nosuch is not found on PATH (/usr/bin)"}}},
		{name: "executable on PATH not executable", version: "3.1.3", data: strings.Replace(base[3], "/opt/p", "noexec", 1),
			want: []want{{Error, 1, "noexec is found on PATH at /usr/bin/noexec, but it is not an executable file"}}},
		{name: "executable with tilde", version: "3.1.3", data: strings.Replace(base[3], "/opt/p", "~/bin/p", 1),
			want: []want{{Error, 1, "there is no ~ expansion"}, {Warning, 1, "relative path"}}},
		{name: "executable with variable", version: "3.1.3", data: strings.Replace(base[3], "/opt/p", "/opt/p $HOME", 1),
			want: []want{{Warning, 1, "no variable expansion"}}},
		{name: "executable with leading space", version: "3.1.3", data: strings.Replace(base[3], "/opt/p", `\ /opt/p`, 1),
			want: []want{{Error, 1, "starts with a space"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data
			if data == "" {
				v, _ := ParseVersion(tc.version)
				data = base[v.Major] + tc.extra
			}
			r := check(t, tc.version, data)
			if len(r.Problems) != len(tc.want) {
				t.Errorf("got %d problems, want %d", len(r.Problems), len(tc.want))
			}
			used := make([]bool, len(r.Problems))
		next:
			for _, w := range tc.want {
				for i, p := range r.Problems {
					if !used[i] && p.Severity == w.sev && p.Line == w.line && strings.Contains(p.Message, w.text) {
						used[i] = true
						continue next
					}
				}
				t.Errorf("missing %v on line %d: %q", w.sev, w.line, w.text)
			}
			for i, p := range r.Problems {
				if !used[i] {
					t.Errorf("unexpected %v on line %d: %s", p.Severity, p.Line, p.Message)
				}
			}
			for i := 1; i < len(r.Problems); i++ {
				if r.Problems[i].Line < r.Problems[i-1].Line {
					t.Errorf("problems not sorted by line: %d after %d", r.Problems[i].Line, r.Problems[i-1].Line)
				}
			}
		})
	}
}

// The repository's example file must pass with no errors once its program
// is installed where it says; its placeholders are warnings.
func TestCheckExample(t *testing.T) {
	f, err := Load(filepath.Join("..", "..", "kcl.properties.example"))
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv()
	stat := env.Stat
	env.Stat = func(name string) (fs.FileInfo, error) {
		if name == "/opt/kclgo/bin/sample-processor" {
			return stat("/opt/p")
		}
		return stat(name)
	}
	for _, version := range []string{"3.1.3", "3.5.1", "3.0.0", "2.7.2"} {
		v, _ := ParseVersion(version)
		r := env.Check(f, v)
		for _, p := range r.Problems {
			if p.Severity == Error || !strings.Contains(p.Message, "placeholder") {
				t.Errorf("KCL %s: %s:%d: %v: %s", version, f.Path, p.Line, p.Severity, p.Message)
			}
		}
	}
}

// Check with the zero Env looks at the real file system and PATH.
func TestCheckRealEnv(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "proc")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	for exe, want := range map[string]string{
		prog:    "",
		"proc":  "",
		plain:   "is not executable",
		"plain": "is not an executable file",
	} {
		f, err := Parse("kcl.properties", []byte(strings.Replace(base[3], "/opt/p", exe, 1)))
		if err != nil {
			t.Fatal(err)
		}
		r := Check(f, Version{3, 1, 3})
		var got string
		if len(r.Problems) > 0 {
			got = r.Problems[0].Message
		}
		if (want == "") != (len(r.Problems) == 0) || !strings.Contains(got, want) {
			t.Errorf("executableName = %s: problems %v, want %q", exe, r.Problems, want)
		}
	}
}

func TestReportWrite(t *testing.T) {
	r := &Report{Problems: []Problem{
		{Severity: Error, Message: "applicationName is missing"},
		{Severity: Warning, Line: 7, Message: "colour: unknown key"},
	}}
	var b strings.Builder
	if err := r.Write(&b, "kcl.properties"); err != nil {
		t.Fatal(err)
	}
	want := "kcl.properties: error: applicationName is missing\nkcl.properties:7: warning: colour: unknown key\n"
	if b.String() != want {
		t.Errorf("Write:\n%s\nwant:\n%s", b.String(), want)
	}
	if r.Errors() != 1 || r.Warnings() != 1 {
		t.Errorf("Errors, Warnings = %d, %d, want 1, 1", r.Errors(), r.Warnings())
	}
}

// Check's messages quote bad values, and kcl daemon prints them where logs
// are kept: the secrets in them are masked as in Effective.
func TestCheckMasksSecrets(t *testing.T) {
	r := check(t, "3.1.3", base[3]+
		"kinesisEndpoint = localhost:4566?token=abc123\n"+
		"dynamoDBEndpoint = http://user:s3cr%zz@localhost\n"+
		"secretName = a\n") // named like a secret, its message quotes no value
	var b strings.Builder
	r.Write(&b, "kcl.properties")
	for _, secret := range []string{"abc123", "s3cr"} {
		if strings.Contains(b.String(), secret) {
			t.Errorf("a message shows %q:\n%s", secret, b.String())
		}
	}
	for _, w := range []string{`kinesisEndpoint: "localhost:4566?token=****" does not start with http://`, `dynamoDBEndpoint: "http://****@localhost" is not a URI`,
		"secretName: unknown key, ignored by the daemon\n"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("messages lack %q:\n%s", w, b.String())
		}
	}
}
