package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kclgo/mld/internal/kclprops"
	"github.com/kclgo/mld/internal/local"
	"github.com/kclgo/mld/internal/stream"
)

const localUsage = `usage: kcl local [flags] -p kcl.properties

Runs the record processor of kcl.properties against a Kinesis stream (AWS,
kinesalite or LocalStack) on this machine, as the KCL MultiLangDaemon would,
without Java: one child process per shard started from executableName, the
daemon's exact protocol lines and checkpoint rules, shard ends, resharding
(child shards start after their parents reach SHARD_END) and the graceful
shutdown sequence.

It is for development and CI, NOT a production daemon: one worker holds
every shard, no leases are shared between machines, there is no load
balancing, and checkpoints live in a local JSON file (-checkpoints) instead
of DynamoDB. Use the Java MultiLangDaemon in production.

Keys read from kcl.properties: streamName (or streamArn), regionName,
kinesisEndpoint, initialPositionInStream, initialPositionInStreamExtended,
maxRecords, idleTimeBetweenReadsInMillis, shardSyncIntervalMillis,
executableName, timeoutInSeconds. With a kinesisEndpoint outside AWS, dummy
credentials are used; otherwise the AWS SDK's default chain.

Logs and the children's stderr (prefixed "[shardId] ") go to stderr.

On SIGINT or SIGTERM every child gets shutdownRequested (it may checkpoint),
then leaseLost, then EOF on stdin, and must exit; a second signal kills the
children at once.

On Windows there are no process groups or file locks: kcl local warns at
start that a Ctrl-C in the console reaches the children too, that a child
is killed without the processes it started, and that a second kcl local on
the same checkpoint file goes undetected.

A child that fails (cannot start, a wrong status, exits, no message within
timeoutInSeconds, no SHARD_END checkpoint at a shard's end, no exit after
EOF) is reported naming the shard, what was sent and what came back. The
Java daemon would stop every shard; kcl local stops that shard only, and
ends once no shard is left that could run.

Exit status: 0 after a clean shutdown, or once every shard is finished;
1 if any shard failed (reported again at the end) or the stream cannot be
read; 2 for a mistake in the flags or kcl.properties.

flags:
`

func runLocal(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, localUsage); fs.PrintDefaults() }
	var props string
	fs.StringVar(&props, "p", "", "the kcl.properties file (also accepted as the only argument)")
	fs.StringVar(&props, "properties-file", "", "same as -p")
	checkpoints := fs.String("checkpoints", "kcl-local.checkpoints.json", "the checkpoint file: JSON, by stream and shard; one kcl local at a time may use it")
	streamName := fs.String("stream", "", "override streamName")
	endpoint := fs.String("endpoint", "", "override kinesisEndpoint, e.g. http://127.0.0.1:4567")
	region := fs.String("region", "", "override regionName")
	idle := fs.Duration("idle", 0, "override idleTimeBetweenReadsInMillis, below the KCL's 200ms minimum if need be (tests, demos)")
	shardSync := fs.Duration("shard-sync", 0, "override shardSyncIntervalMillis: how often the shards are listed again")
	progress := fs.Duration("progress", local.DefaultProgress, "how often each shard logs a progress line (0: never)")
	exitTimeout := fs.Duration("exit-timeout", local.DefaultExitTimeout, "how long a child may take to exit once its stdin is closed before it is killed")
	shutdownTimeout := fs.Duration("shutdown-timeout", local.DefaultShutdownTimeout, "how long the graceful shutdown may take before the children left are killed")
	level := slog.LevelInfo
	fs.TextVar(&level, "log-level", level, "log level: debug, info, warn or error")
	// Flags may also follow the file, as "kcl local kcl.properties -idle 50ms".
	var positional []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if err == flag.ErrHelp {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	switch {
	case len(positional) == 1 && props == "":
		props = positional[0]
	case len(positional) > 0:
		fmt.Fprintf(stderr, "kcl local: unexpected arguments %q: give the properties file once, with -p or alone\n", positional)
		return 2
	case props == "":
		fmt.Fprintln(stderr, "kcl local: no properties file: give one with -p kcl.properties")
		fs.Usage()
		return 2
	}
	f, err := kclprops.Load(props)
	if err != nil {
		fmt.Fprintf(stderr, "kcl local: %v\n", err)
		return 2
	}
	cfg, err := local.FromProperties(f)
	if err != nil {
		fmt.Fprintf(stderr, "kcl local: %v\n", err)
		return 2
	}
	for _, o := range []struct {
		dst *string
		v   string
	}{{&cfg.Stream, *streamName}, {&cfg.Endpoint, *endpoint}, {&cfg.Region, *region}} {
		if o.v != "" {
			*o.dst = o.v
		}
	}
	if *idle > 0 {
		cfg.IdleTime = *idle
	}
	if *shardSync > 0 {
		cfg.ShardSync = *shardSync
	}
	cfg.Progress = *progress
	if cfg.Progress == 0 {
		cfg.Progress = -1
	}
	cfg.ExitTimeout, cfg.ShutdownTimeout = *exitTimeout, *shutdownTimeout
	cfg.CheckpointFile = *checkpoints
	out := &local.LockedWriter{W: stderr}
	cfg.Logger = slog.New(local.NewLogHandler(out, level))
	cfg.ChildStderr = out

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client, err := stream.NewClient(ctx, cfg.Region, cfg.Endpoint)
	if err != nil {
		fmt.Fprintf(stderr, "kcl local: %v\n", err)
		return 2
	}
	d, err := local.New(cfg, client)
	if err != nil {
		fmt.Fprintf(stderr, "kcl local: %v\n", err)
		return 2
	}
	if !stream.IsLocalEndpoint(cfg.Endpoint) {
		cfg.Logger.Warn("reading a stream in AWS: kcl local is a development tool, not a production daemon")
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer func() {
		signal.Stop(sigs)
		close(sigs)
	}()
	go func() {
		n := 0
		for sig := range sigs {
			n++
			if n == 1 {
				cfg.Logger.Info("signal received: shutting down gracefully; a second one kills the children", "signal", sig.String())
				cancel()
				continue
			}
			cfg.Logger.Warn("second signal: killing the children", "signal", sig.String())
			d.Abort()
		}
	}()

	start := time.Now()
	err = d.Run(ctx)
	var failed *local.FailedError
	switch {
	case errors.As(err, &failed):
		fmt.Fprintf(stderr, "kcl local: %d of %d shards failed:\n", len(failed.Failures), failed.Shards)
		for _, f := range failed.Failures {
			fmt.Fprintf(stderr, "  %v\n", f)
		}
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "kcl local: %v\n", err)
		return 1
	}
	cfg.Logger.Info("stopped", "after", time.Since(start).Round(time.Millisecond).String())
	return 0
}
