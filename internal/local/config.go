package local

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/kclgo/mld/internal/kclprops"
	"github.com/kclgo/mld/internal/lease"
)

// Defaults of the settings that kcl.properties or flags can change. The
// first three are the KCL's own.
const (
	DefaultMaxRecords      = 10000
	DefaultIdleTime        = 1500 * time.Millisecond
	MinIdleTime            = 200 * time.Millisecond // the KCL raises lower values to this
	DefaultShardSync       = time.Minute            // shardSyncIntervalMillis
	DefaultProgress        = 10 * time.Second
	DefaultExitTimeout     = 10 * time.Second
	DefaultShutdownTimeout = 30 * time.Second
)

// Config is what a Daemon runs with. FromProperties fills it from
// kcl.properties; the zero values of the durations below mean their
// defaults.
type Config struct {
	// Stream is the stream to consume (streamName).
	Stream string
	// Region and Endpoint are regionName and kinesisEndpoint. An Endpoint
	// outside AWS (see IsLocalEndpoint) is used with dummy credentials.
	Region   string
	Endpoint string
	// InitialPosition is where a shard with no checkpoint starts:
	// "TRIM_HORIZON", "LATEST" or "AT_TIMESTAMP" (with Timestamp), from
	// initialPositionInStream and initialPositionInStreamExtended.
	InitialPosition string
	Timestamp       time.Time
	// MaxRecords is the GetRecords limit, hence the largest batch.
	MaxRecords int
	// IdleTime is the least time between two GetRecords calls on a shard
	// (idleTimeBetweenReadsInMillis).
	IdleTime time.Duration
	// Executable is the child's command line, executableName split as the
	// daemon splits it.
	Executable []string
	// Timeout bounds each wait for the child's next message
	// (timeoutInSeconds); 0 waits for ever, as the daemon does when it is
	// unset.
	Timeout time.Duration
	// CheckpointFile is where checkpoints are kept.
	CheckpointFile string
	// ShardSync is how often the shards are listed again, to find shards
	// created by resharding (shardSyncIntervalMillis). A shard's end also
	// lists them at once.
	ShardSync time.Duration
	// Progress is how often each shard logs a progress line; negative
	// turns the lines off.
	Progress time.Duration
	// ExitTimeout bounds the wait for a child to exit once its stdin is
	// closed; after it, the child is killed.
	ExitTimeout time.Duration
	// ShutdownTimeout bounds a graceful shutdown, from the moment Run's
	// context is cancelled; after it, the children still running are
	// killed.
	ShutdownTimeout time.Duration
	// Logger receives the daemon's logs; nil discards them.
	Logger *slog.Logger
	// ChildStderr receives every line the children write to stderr,
	// prefixed with the shard id; nil discards them.
	ChildStderr io.Writer
}

// FromProperties reads the keys kcl local uses from a kcl.properties file:
// streamName (or the name in streamArn), regionName, kinesisEndpoint,
// initialPositionInStream, initialPositionInStreamExtended, maxRecords,
// idleTimeBetweenReadsInMillis, shardSyncIntervalMillis, executableName and
// timeoutInSeconds. Other keys are ignored, as the lease and metrics
// settings mean nothing here. The returned error names the key and the
// mistake.
func FromProperties(f *kclprops.File) (Config, error) {
	var c Config
	get := func(key string) string {
		v, _ := f.Get(key)
		return strings.TrimSpace(v)
	}
	fail := func(format string, args ...any) (Config, error) {
		return Config{}, fmt.Errorf("%s: "+format, append([]any{f.Path}, args...)...)
	}
	c.Stream = get("streamName")
	if arn := get("streamArn"); arn != "" {
		// The daemon takes the stream name from the ARN, which wins.
		_, name, ok := strings.Cut(arn, ":stream/")
		if !ok || name == "" {
			return fail("streamArn %q is not a stream ARN (arn:aws:kinesis:<region>:<account>:stream/<name>)", arn)
		}
		c.Stream = name
	}
	if c.Stream == "" {
		return fail("streamName is not set: name the stream to consume")
	}
	c.Region = get("regionName")
	c.Endpoint = get("kinesisEndpoint")
	exe := get("executableName")
	if exe == "" {
		return fail("executableName is not set: give the record processor's command line")
	}
	c.Executable = kclprops.SplitExecutable(exe)

	c.InitialPosition = lease.Latest // the KCL's default
	if v := get("initialPositionInStream"); v != "" {
		switch p := strings.ToUpper(v); p {
		case lease.TrimHorizon, lease.Latest:
			c.InitialPosition = p
		case lease.AtTimestamp:
			if get("initialPositionInStreamExtended") == "" {
				return fail("initialPositionInStream = AT_TIMESTAMP needs initialPositionInStreamExtended, in epoch seconds")
			}
		default:
			return fail("initialPositionInStream = %q: want TRIM_HORIZON or LATEST (or initialPositionInStreamExtended for a time)", v)
		}
	}
	if v := get("initialPositionInStreamExtended"); v != "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs < 0 {
			return fail("initialPositionInStreamExtended = %q: want a time in epoch seconds", v)
		}
		c.InitialPosition, c.Timestamp = lease.AtTimestamp, time.Unix(secs, 0)
	}

	// A value equal to Java's default for the type (0) is ignored by the
	// daemon, so it means the KCL default here too.
	n, err := positiveOrZero(get("maxRecords"))
	switch {
	case err != nil:
		return fail("maxRecords = %q: want a number of records up to %d", get("maxRecords"), DefaultMaxRecords)
	case n > DefaultMaxRecords:
		return fail("maxRecords = %d: GetRecords returns at most %d records", n, DefaultMaxRecords)
	}
	c.MaxRecords = int(n)
	n, err = positiveOrZero(get("idleTimeBetweenReadsInMillis"))
	if err != nil {
		return fail("idleTimeBetweenReadsInMillis = %q: want milliseconds", get("idleTimeBetweenReadsInMillis"))
	}
	if n > 0 {
		c.IdleTime = max(time.Duration(n)*time.Millisecond, MinIdleTime)
	}
	n, err = positiveOrZero(get("shardSyncIntervalMillis"))
	if err != nil {
		return fail("shardSyncIntervalMillis = %q: want milliseconds", get("shardSyncIntervalMillis"))
	}
	c.ShardSync = time.Duration(n) * time.Millisecond
	if v, ok := f.Get("timeoutInSeconds"); ok {
		n, err := positiveOrZero(strings.TrimSpace(v))
		switch {
		case err != nil:
			return fail("timeoutInSeconds = %q: want seconds", v)
		case n == 0:
			return fail("timeoutInSeconds = 0 makes the daemon give up on the first wait for any child: leave it unset or set it above the slowest batch")
		}
		c.Timeout = time.Duration(n) * time.Second
	}
	return c, nil
}

func positiveOrZero(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil && n < 0 {
		err = errors.New("negative")
	}
	return n, err
}

// withDefaults returns c with the defaults of unset fields filled in, or an
// error for a setting that cannot work.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Stream == "":
		return c, errors.New("local: no stream to consume")
	case len(c.Executable) == 0 || c.Executable[0] == "":
		return c, errors.New("local: no executable to start: executableName is empty or starts with a space")
	case c.CheckpointFile == "":
		return c, errors.New("local: no checkpoint file")
	}
	switch c.InitialPosition {
	case "":
		c.InitialPosition = lease.Latest
	case lease.TrimHorizon, lease.Latest, lease.AtTimestamp:
	default:
		return c, fmt.Errorf("local: initial position %q: want TRIM_HORIZON, LATEST or AT_TIMESTAMP", c.InitialPosition)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.MaxRecords <= 0 {
		c.MaxRecords = DefaultMaxRecords
	}
	def(&c.IdleTime, DefaultIdleTime)
	def(&c.ShardSync, DefaultShardSync)
	def(&c.Progress, DefaultProgress)
	def(&c.ExitTimeout, DefaultExitTimeout)
	def(&c.ShutdownTimeout, DefaultShutdownTimeout)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ChildStderr == nil {
		c.ChildStderr = io.Discard
	}
	return c, nil
}
