package kclprops

// The keys each KCL version reads from kcl.properties, from
// docs/protocol.md §6 (§6.2: the 3.x keys as of 3.5.1, with the version each
// appeared in; §6.3: 1.x and the 2.x differences). Defaults are the KCL's
// effective ones when the key is absent; 2.x shares the 3.x defaults, which
// docs/protocol.md gives for 3.5.1.

// kind is how the daemon converts a value.
type kind int

const (
	kString       kind = iota
	kInt               // Java int: commons-beanutils (2.x/3.x) or Integer.parseInt (1.x)
	kLong              // Java long
	kDouble            // Java double
	kBool              // Java boolean
	kInteger           // java.lang.Integer: like kInt, but unset is null and 0 is applied (§6.1 skips only primitive defaults)
	kLongObj           // java.lang.Long
	kBoolObj           // java.lang.Boolean
	kEnum              // one of enum, in any case: the converters upper-case the value (§6.1)
	kDuration          // ISO-8601 duration, not negative (§6.1, DurationConverter)
	kURI               // an endpoint URI
	kEpochSeconds      // seconds since 1970 (§6.2 initialPositionInStreamExtended, §6.3 timestampAtInitialPositionInStream)
	kList              // comma list (§6.1)
	kTags              // k1=v1,k2=v2 (§6.1)
	kCredentials       // credentials provider spec (§6.2)
	kExecutable        // executableName (§1)
	kRegion            // AWS region name
	kStreamARN         // a Kinesis stream ARN, parsed and validated (§6.1)
	kNoConverter       // has a setter but no way to convert a string (§6.2 shardPrioritization, §6.3 1.x)
)

var kindNames = map[kind]string{
	kString: "string", kInt: "int", kLong: "long", kDouble: "double", kBool: "boolean",
	kInteger: "Integer", kLongObj: "Long", kBoolObj: "Boolean", kEnum: "enum",
	kDuration: "ISO-8601 duration", kURI: "URI", kEpochSeconds: "epoch seconds", kList: "comma list",
	kTags: "tags", kCredentials: "credentials provider", kExecutable: "command line",
	kRegion: "region", kStreamARN: "stream ARN", kNoConverter: "no converter",
}

func (k kind) String() string { return kindNames[k] }

// primitive reports whether the Java type is primitive, whose default value
// (0, false) ConfigurationSettableUtils treats as "not set" (§6.1).
func (k kind) primitive() bool { return k == kInt || k == kLong || k == kDouble || k == kBool }

// Version ranges of the table.
var (
	v1      = span{Version{1, 0, 0}, Version{2, 0, 0}}
	v2up    = span{Version{2, 0, 0}, Version{}}
	v3      = span{Version{3, 0, 0}, Version{}}
	sdkV1   = span{Version{1, 0, 0}, Version{2, 7, 0}} // AWSCredentialsProvider with SDK v1 class names
	sdkV2   = span{Version{2, 7, 0}, Version{}}        // AwsCredentialsProvider with SDK v2 class names (§6.3)
	always  = span{Version{1, 0, 0}, Version{}}
	from    = func(major, minor, patch int) span { return span{Version{major, minor, patch}, Version{}} }
	v1From  = func(minor, patch int) span { return span{Version{1, minor, patch}, Version{2, 0, 0}} }
	noLimit = Version{}
)

// span is the versions [since, until) that read a key; a zero until is open.
type span struct{ since, until Version }

func (s span) has(v Version) bool {
	return !v.less(s.since) && (s.until == noLimit || v.less(s.until))
}

func (v Version) less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// keySpec is one key of the table.
type keySpec struct {
	name     string
	kind     kind
	versions span
	def      string   // the default value when absent, as the daemon would use it; "" if none
	defNote  string   // what the default means, when def alone does not say
	enum     []string // kEnum: the accepted values, upper case
	section  string   // where docs/protocol.md describes it

	exact      bool // 1.x: read with getProperty, so even the first letter's case counts (§6.3)
	settable   bool // applied through ConfigurationSettableUtils, which skips Java default values (§6.1)
	polling    bool // a polling key: setting it selects polling under retrievalMode DEFAULT (§6.2)
	unverified bool // docs/protocol.md infers the key name without a test (§8.3): value problems are warnings
	field      string
}

// schema lists every key, grouped as in docs/protocol.md. A name may appear twice
// with disjoint version ranges when versions read it differently.
var schema = []keySpec{
	// §6.2 Required, and §1 for executableName.
	{name: "executableName", kind: kExecutable, versions: always, exact: true, section: "§1, §6.2"},
	{name: "applicationName", kind: kString, versions: always, exact: true, section: "§6.2"},
	{name: "streamName", kind: kString, versions: always, exact: true, section: "§6.2", defNote: "taken from streamArn when that is set"},
	{name: "streamArn", kind: kStreamARN, versions: from(2, 5, 1), section: "§6.2"},
	{name: "AWSCredentialsProvider", kind: kCredentials, versions: sdkV1, exact: true, section: "§6.3"},
	{name: "AWSCredentialsProviderDynamoDB", kind: kCredentials, versions: sdkV1, exact: true, section: "§6.3", defNote: "the Kinesis provider"},
	{name: "AWSCredentialsProviderCloudWatch", kind: kCredentials, versions: sdkV1, exact: true, section: "§6.3", defNote: "the Kinesis provider"},
	{name: "AwsCredentialsProvider", kind: kCredentials, versions: sdkV2, section: "§6.2"},
	{name: "AwsCredentialsProviderDynamoDB", kind: kCredentials, versions: sdkV2, section: "§6.2", defNote: "the Kinesis provider"},
	{name: "AwsCredentialsProviderCloudWatch", kind: kCredentials, versions: sdkV2, section: "§6.2", defNote: "the Kinesis provider"},
	{name: "regionName", kind: kRegion, versions: always, section: "§6.2, §6.3", defNote: "the SDK's default region chain"},

	// §6.2 The daemon itself.
	{name: "processingLanguage", kind: kString, versions: always, exact: true, section: "§6.2"},
	{name: "maxActiveThreads", kind: kInt, versions: always, exact: true, def: "0", defNote: "an unbounded thread pool", section: "§6.2"},
	{name: "timeoutInSeconds", kind: kInteger, versions: v2up, defNote: "waits for ever", section: "§6.2"},
	{name: "timeoutInSeconds", kind: kInteger, versions: v1From(8, 1), defNote: "waits for ever", section: "§6.3"},
	{name: "shutdownGraceMillis", kind: kLong, versions: v2up, def: "0", defNote: "gives up at once", section: "§6.2"},
	{name: "shutdownGraceMillis", kind: kLong, versions: v1, def: "5000", section: "§6.3"},
	{name: "workerId", kind: kString, versions: always, exact: true, defNote: "a random UUID per start", section: "§6.2, §6.3"},
	{name: "kinesisEndpoint", kind: kURI, versions: always, defNote: "the SDK default", section: "§6.2, §6.3"},
	{name: "dynamoDBEndpoint", kind: kURI, versions: always, defNote: "the SDK default", section: "§6.2, §6.3"},
	{name: "retrievalMode", kind: kEnum, versions: v2up, def: "DEFAULT", enum: []string{"FANOUT", "POLLING", "DEFAULT"}, section: "§6.2"},
	{name: "validateSequenceNumberBeforeCheckpointing", kind: kBool, versions: v2up, defNote: "unused by 2.x and 3.x", section: "§6.2"},
	{name: "validateSequenceNumberBeforeCheckpointing", kind: kBool, versions: v1, def: "true", section: "§6.2"},

	// §6.2 Where a new lease starts.
	{name: "initialPositionInStream", kind: kEnum, versions: always, def: "LATEST", enum: []string{"TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"}, field: "initial position", section: "§6.2"},
	{name: "initialPositionInStreamExtended", kind: kEpochSeconds, versions: v2up, field: "initial position", section: "§6.2"},

	// §6.2 Polling.
	{name: "maxRecords", kind: kInt, versions: v2up, def: "10000", settable: true, polling: true, section: "§6.2"},
	{name: "idleTimeBetweenReadsInMillis", kind: kLong, versions: v2up, def: "1500", settable: true, polling: true, section: "§6.2"},
	{name: "retryGetRecordsInSeconds", kind: kInteger, versions: v2up, polling: true, section: "§6.2"},
	{name: "maxGetRecordsThreadPool", kind: kInteger, versions: v2up, polling: true, section: "§6.2"},
	{name: "millisBehindLatestThresholdForReducedTps", kind: kLong, versions: from(3, 1, 1), def: "0", settable: true, polling: true, section: "§6.2"},

	// §6.2 Enhanced fan-out: nested bean keys, unverified (§8.3).
	{name: "fanoutConfig.consumerArn", kind: kString, versions: v2up, unverified: true, section: "§6.2, §8.3"},
	{name: "fanoutConfig.consumerName", kind: kString, versions: v2up, unverified: true, defNote: "applicationName", section: "§6.2, §8.3"},
	{name: "fanoutConfig.maxDescribeStreamSummaryRetries", kind: kInt, versions: v2up, def: "10", settable: true, unverified: true, section: "§6.2, §8.3"},
	{name: "fanoutConfig.maxDescribeStreamConsumerRetries", kind: kInt, versions: v2up, def: "10", settable: true, unverified: true, section: "§6.2, §8.3"},
	{name: "fanoutConfig.registerStreamConsumerRetries", kind: kInt, versions: v2up, def: "10", settable: true, unverified: true, section: "§6.2, §8.3"},
	{name: "fanoutConfig.retryBackoffMillis", kind: kLong, versions: v2up, def: "1000", settable: true, unverified: true, section: "§6.2, §8.3"},

	// §6.2 Leases.
	{name: "tableName", kind: kString, versions: always, defNote: "applicationName", section: "§6.2, §6.3"},
	{name: "failoverTimeMillis", kind: kLong, versions: v2up, def: "10000", settable: true, section: "§6.2"},
	{name: "leaseAssignmentIntervalMillis", kind: kLong, versions: from(3, 1, 1), defNote: "2 × failoverTimeMillis", settable: true, section: "§6.2"},
	{name: "enablePriorityLeaseAssignment", kind: kBoolObj, versions: from(2, 6, 0), def: "true", section: "§6.2"},
	{name: "leaseTableDeletionProtectionEnabled", kind: kBoolObj, versions: from(2, 6, 1), def: "false", section: "§6.2"},
	{name: "leaseTablePitrEnabled", kind: kBoolObj, versions: from(2, 6, 1), def: "false", section: "§6.2"},
	{name: "shardSyncIntervalMillis", kind: kLong, versions: v2up, def: "60000", settable: true, section: "§6.2"},
	{name: "cleanupLeasesUponShardCompletion", kind: kBool, versions: v2up, def: "true", settable: true, section: "§6.1, §6.2"},
	{name: "ignoreUnexpectedChildShards", kind: kBool, versions: v2up, def: "false", settable: true, section: "§6.2"},
	{name: "maxLeasesForWorker", kind: kInt, versions: v2up, def: "2147483647", settable: true, section: "§6.2"},
	{name: "maxLeasesToStealAtOneTime", kind: kInt, versions: v2up, def: "1", settable: true, section: "§6.2"},
	{name: "initialLeaseTableReadCapacity", kind: kInt, versions: v2up, def: "10", settable: true, section: "§6.2"},
	{name: "initialLeaseTableWriteCapacity", kind: kInt, versions: v2up, def: "10", settable: true, section: "§6.2"},
	{name: "leaseTableScanTotalSegments", kind: kInt, versions: from(3, 5, 0), defNote: "automatic", settable: true, section: "§6.2"},
	{name: "maxLeaseRenewalThreads", kind: kInt, versions: v2up, def: "20", settable: true, section: "§6.2"},
	{name: "listShardsBackoffTimeInMillis", kind: kLong, versions: v2up, def: "1500", settable: true, section: "§6.2"},
	{name: "maxListShardsRetryAttempts", kind: kInt, versions: v2up, def: "50", settable: true, section: "§6.2"},

	// §6.2 Coordinator, lifecycle, processing and metrics.
	{name: "parentShardPollIntervalMillis", kind: kLong, versions: v2up, def: "10000", settable: true, section: "§6.2"},
	{name: "skipShardSyncAtWorkerInitializationIfLeasesExist", kind: kBool, versions: v2up, def: "false", settable: true, section: "§6.2"},
	{name: "schedulerInitializationBackoffTimeMillis", kind: kLong, versions: v2up, def: "1000", settable: true, section: "§6.2"},
	{name: "clientVersionConfig", kind: kEnum, versions: v3, def: "CLIENT_VERSION_CONFIG_3X", enum: []string{"CLIENT_VERSION_CONFIG_3X", "CLIENT_VERSION_CONFIG_COMPATIBLE_WITH_2X"}, section: "§6.2"},
	{name: "migrateAllEntitiesToLeaseTable", kind: kBool, versions: from(3, 5, 0), def: "false", settable: true, section: "§6.2"},
	{name: "tableMigrationCompleteBakeTimeSeconds", kind: kLong, versions: from(3, 5, 0), def: "86400", settable: true, section: "§6.2"},
	{name: "taskBackoffTimeMillis", kind: kLong, versions: v2up, def: "500", settable: true, section: "§6.2"},
	{name: "logWarningForTaskAfterMillis", kind: kLongObj, versions: v2up, defNote: "no warning", section: "§6.2"},
	{name: "callProcessRecordsEvenForEmptyRecordList", kind: kBool, versions: v2up, def: "false", settable: true, section: "§6.2"},
	{name: "metricsBufferTimeMillis", kind: kLong, versions: v2up, def: "10000", settable: true, section: "§6.2"},
	{name: "metricsMaxQueueSize", kind: kInt, versions: v2up, def: "10000", settable: true, section: "§6.2"},
	{name: "metricsLevel", kind: kEnum, versions: always, def: "DETAILED", enum: []string{"NONE", "SUMMARY", "DETAILED"}, section: "§6.2"},
	{name: "metricsEnabledDimensions", kind: kList, versions: always, defNote: "all", section: "§6.2"},
	{name: "shardPrioritization", kind: kNoConverter, versions: v2up, section: "§6.2"},

	// §6.2 Graceful handoff and lease balancing (3.x).
	{name: "isGracefulLeaseHandoffEnabled", kind: kBoolObj, versions: v3, def: "true", section: "§6.2"},
	{name: "gracefulLeaseHandoffTimeoutMillis", kind: kLongObj, versions: v3, def: "30000", section: "§6.2"},
	{name: "inMemoryWorkerMetricsCaptureFrequencyMillis", kind: kLong, versions: v3, def: "1000", settable: true, section: "§6.2"},
	{name: "workerMetricsReporterFreqInMillis", kind: kLong, versions: v3, def: "30000", settable: true, section: "§6.2"},
	{name: "noOfPersistedMetricsPerWorkerMetrics", kind: kInt, versions: v3, def: "10", settable: true, section: "§6.2"},
	{name: "disableWorkerMetrics", kind: kBoolObj, versions: v3, def: "false", section: "§6.2"},
	{name: "maxThroughputPerHostKBps", kind: kDouble, versions: v3, defNote: "unlimited", settable: true, section: "§6.2"},
	{name: "dampeningPercentage", kind: kInt, versions: v3, def: "60", settable: true, section: "§6.2"},
	{name: "reBalanceThresholdPercentage", kind: kInt, versions: v3, def: "10", settable: true, section: "§6.2"},
	{name: "allowThroughputOvershoot", kind: kBoolObj, versions: v3, def: "true", section: "§6.2"},
	{name: "varianceBalancingFrequency", kind: kInt, versions: v3, def: "3", settable: true, section: "§6.2"},
	{name: "workerMetricsEMAAlpha", kind: kDouble, versions: v3, def: "0.5", settable: true, section: "§6.2"},
	{name: "staleWorkerMetricsEntryCleanupDuration", kind: kDuration, versions: v3, def: "P1D", section: "§6.2"},

	// §6.2 The worker-metrics and coordinator-state tables (3.x).
	{name: "workerMetricsTableName", kind: kString, versions: v3, defNote: "<applicationName>-WorkerMetricStats", section: "§6.2"},
	{name: "workerMetricsBillingMode", kind: kEnum, versions: v3, def: "PAY_PER_REQUEST", enum: []string{"PAY_PER_REQUEST", "PROVISIONED"}, section: "§6.2"},
	{name: "workerMetricsReadCapacity", kind: kLong, versions: v3, settable: true, defNote: "the KCL default", section: "§6.2"},
	{name: "workerMetricsWriteCapacity", kind: kLong, versions: v3, settable: true, defNote: "the KCL default", section: "§6.2"},
	{name: "workerMetricsPointInTimeRecoveryEnabled", kind: kBoolObj, versions: v3, def: "false", section: "§6.2"},
	{name: "workerMetricsDeletionProtectionEnabled", kind: kBoolObj, versions: v3, def: "false", section: "§6.2"},
	{name: "workerMetricsTags", kind: kTags, versions: v3, defNote: "none", section: "§6.2"},
	{name: "coordinatorStateTableName", kind: kString, versions: v3, defNote: "<applicationName>-CoordinatorState", section: "§6.2"},
	{name: "coordinatorStateBillingMode", kind: kEnum, versions: v3, def: "PAY_PER_REQUEST", enum: []string{"PAY_PER_REQUEST", "PROVISIONED"}, section: "§6.2"},
	{name: "coordinatorStateReadCapacity", kind: kLong, versions: v3, settable: true, defNote: "the KCL default", section: "§6.2"},
	{name: "coordinatorStateWriteCapacity", kind: kLong, versions: v3, settable: true, defNote: "the KCL default", section: "§6.2"},
	{name: "coordinatorStatePointInTimeRecoveryEnabled", kind: kBoolObj, versions: v3, def: "false", section: "§6.2"},
	{name: "coordinatorStateDeletionProtectionEnabled", kind: kBoolObj, versions: v3, def: "false", section: "§6.2"},
	{name: "coordinatorStateTags", kind: kTags, versions: v3, defNote: "none", section: "§6.2"},

	// §6.3 1.x: KinesisClientLibConfiguration.with<Key>(value), so the first
	// letter's case is free; defaults are those of KCL 1.x.
	{name: "failoverTimeMillis", kind: kLong, versions: v1, def: "10000", section: "§6.3"},
	{name: "shardSyncIntervalMillis", kind: kLong, versions: v1, def: "60000", section: "§6.3"},
	{name: "maxRecords", kind: kInt, versions: v1, def: "10000", section: "§6.3"},
	{name: "idleTimeBetweenReadsInMillis", kind: kLong, versions: v1, def: "1000", section: "§6.3"},
	{name: "callProcessRecordsEvenForEmptyRecordList", kind: kBool, versions: v1, def: "false", section: "§6.3"},
	{name: "parentShardPollIntervalMillis", kind: kLong, versions: v1, def: "10000", section: "§6.3"},
	{name: "cleanupLeasesUponShardCompletion", kind: kBool, versions: v1, def: "true", section: "§6.3"},
	{name: "ignoreUnexpectedChildShards", kind: kBool, versions: v1, def: "false", section: "§6.3"},
	{name: "taskBackoffTimeMillis", kind: kLong, versions: v1, def: "500", section: "§6.3"},
	{name: "metricsBufferTimeMillis", kind: kLong, versions: v1, def: "10000", section: "§6.3"},
	{name: "metricsMaxQueueSize", kind: kInt, versions: v1, def: "10000", section: "§6.3"},
	{name: "maxLeasesForWorker", kind: kInt, versions: v1, def: "2147483647", section: "§6.3"},
	{name: "maxLeasesToStealAtOneTime", kind: kInt, versions: v1, def: "1", section: "§6.3"},
	{name: "initialLeaseTableReadCapacity", kind: kInt, versions: v1, def: "10", section: "§6.3"},
	{name: "initialLeaseTableWriteCapacity", kind: kInt, versions: v1, def: "10", section: "§6.3"},
	{name: "maxLeaseRenewalThreads", kind: kInt, versions: v1, def: "20", section: "§6.3"},
	{name: "logWarningForTaskAfterMillis", kind: kLong, versions: v1, defNote: "no warning", section: "§6.3"},
	{name: "listShardsBackoffTimeInMillis", kind: kLong, versions: v1, def: "1500", section: "§6.3"},
	{name: "maxListShardsRetryAttempts", kind: kInt, versions: v1, def: "50", section: "§6.3"},
	{name: "retryGetRecordsInSeconds", kind: kInt, versions: v1, section: "§6.3"},
	{name: "maxGetRecordsThreadPool", kind: kInt, versions: v1, section: "§6.3"},
	{name: "timestampAtInitialPositionInStream", kind: kEpochSeconds, versions: v1, field: "initial position", section: "§6.3"},
	{name: "idleMillisBetweenCalls", kind: kLong, versions: v1, def: "1500", section: "§6.3"},
	{name: "maxCacheByteSize", kind: kInt, versions: v1, def: "8388608", section: "§6.3"},
	{name: "maxRecordsCount", kind: kInt, versions: v1, def: "30000", section: "§6.3"},
	{name: "dataFetchingStrategy", kind: kEnum, versions: v1, def: "DEFAULT", enum: []string{"DEFAULT", "PREFETCH_CACHED"}, section: "§6.3"},
	{name: "maxPendingProcessRecordsInput", kind: kInt, versions: v1, def: "3", section: "§6.3"},
	{name: "userAgent", kind: kString, versions: v1, defNote: "the KCL's own", section: "§6.3"},
	{name: "leaseCleanupIntervalMillis", kind: kLong, versions: v1, def: "60000", section: "§6.3"},
	{name: "completedLeaseCleanupThresholdMillis", kind: kLong, versions: v1, def: "300000", section: "§6.3"},
	{name: "garbageLeaseCleanupThresholdMillis", kind: kLong, versions: v1, def: "1800000", section: "§6.3"},
	{name: "maxInitializationAttempts", kind: kInt, versions: v1, def: "20", section: "§6.3"},
	{name: "skipShardSyncAtStartupIfLeasesExist", kind: kBool, versions: v1, def: "false", section: "§6.3"},
	{name: "http.proxyHost", kind: kString, versions: v1, exact: true, defNote: "the JVM property or HTTP_PROXY", section: "§6.3"},
	{name: "http.proxyPort", kind: kInt, versions: v1, exact: true, defNote: "the JVM property or HTTP_PROXY", section: "§6.3"},
	// §6.3: these have a with-method whose parameter type has no decoder.
	{name: "billingMode", kind: kNoConverter, versions: v1, section: "§6.3"},
	{name: "shardSyncStrategyType", kind: kNoConverter, versions: v1, section: "§6.3"},
	{name: "shardPrioritizationStrategy", kind: kNoConverter, versions: v1, section: "§6.3"},
}

// builderPrefixes are the nested keys that reach an AWS SDK client builder
// (§8.3: inferred, untested). Check accepts any key under them unchecked.
var builderPrefixes = []string{"kinesisClient.", "dynamoDbClient.", "cloudWatchClient."}

// Latest returns the newest release of a major version that the checks
// describe (docs/protocol.md §5), for a version given as a bare major.
func Latest(major int) Version {
	switch major {
	case 1:
		return Version{1, 15, 3}
	case 2:
		return Version{2, 7, 3}
	}
	return Version{3, 5, 1}
}
