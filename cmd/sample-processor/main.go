// Command sample-processor is an example record processor for the Amazon
// KCL MultiLangDaemon, meant as the starting point of a real consumer. It
// logs every record it receives to stderr and checkpoints as it goes.
//
// The daemon starts it, one process per shard, as the executableName of
// kcl.properties (see kcl.properties.example at the root of this module);
// run from a terminal it explains that and exits. Flags may follow the path
// in executableName, since the daemon splits that value on spaces.
//
// Flags, each with an environment variable for deployments that would
// rather not edit kcl.properties; a flag wins over its variable:
//
//	-checkpoint-every-records N  SAMPLE_CHECKPOINT_RECORDS   default 1000 (0: off)
//	-checkpoint-every T          SAMPLE_CHECKPOINT_INTERVAL  default 1m   (0: off)
//	-log-level L                 SAMPLE_LOG_LEVEL            default info (debug, info, warn, error)
//
// A checkpoint is made at the end of a batch once N records or T have gone
// by since the last one, whichever comes first.
package main

import (
	"errors"
	"flag"
	"log/slog"
	"os"

	"github.com/kclgo/mld/kcl"
)

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2) // reported by parseConfig
	}
	// Stderr, because stdout carries the protocol. The daemon logs each
	// stderr line at ERROR whatever it says, so keep the volume in mind:
	// -log-level warn silences the per-record lines.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	slog.SetDefault(logger)
	// The SDK logs through the same logger, so -log-level governs its
	// messages too (and its own KCL_LOG_LEVEL no longer applies).
	kcl.Main(func(shardID string) (kcl.Processor, error) {
		return newProcessor(logger.With("shard", shardID), cfg), nil
	}, kcl.WithLogger(logger))
}
