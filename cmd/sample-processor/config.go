package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// config is what the flags and environment set.
type config struct {
	everyRecords int           // checkpoint after this many records; 0: never by count
	every        time.Duration // checkpoint after this long; 0: never by time
	logLevel     slog.Level
}

// parseConfig reads the environment, then the flags in args, so that a
// flag overrides its variable. Like the flag package, it reports errors
// to out as well as returning them; -h returns flag.ErrHelp.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (config, error) {
	c := config{everyRecords: 1000, every: time.Minute, logLevel: slog.LevelInfo}
	fail := func(err error) (config, error) {
		fmt.Fprintln(out, "sample-processor:", err)
		return c, err
	}
	fs := flag.NewFlagSet("sample-processor", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.IntVar(&c.everyRecords, "checkpoint-every-records", c.everyRecords,
		"checkpoint once this many records were processed since the last checkpoint; 0 turns it off (env SAMPLE_CHECKPOINT_RECORDS)")
	fs.DurationVar(&c.every, "checkpoint-every", c.every,
		"checkpoint once this long has passed since the last checkpoint; 0 turns it off (env SAMPLE_CHECKPOINT_INTERVAL)")
	fs.TextVar(&c.logLevel, "log-level", c.logLevel, "log level: debug, info, warn or error (env SAMPLE_LOG_LEVEL)")

	// Setting the flags from the environment first means both go through
	// the same parsing, and the command line then simply overrides them.
	for _, e := range []struct{ flag, env, want string }{
		{"checkpoint-every-records", "SAMPLE_CHECKPOINT_RECORDS", "a number of records"},
		{"checkpoint-every", "SAMPLE_CHECKPOINT_INTERVAL", "a duration such as 30s"},
		{"log-level", "SAMPLE_LOG_LEVEL", "debug, info, warn or error"},
	} {
		if v := getenv(e.env); v != "" {
			if err := fs.Set(e.flag, v); err != nil {
				return fail(fmt.Errorf("%s=%q: want %s, as for -%s", e.env, v, e.want, e.flag))
			}
		}
	}
	if err := fs.Parse(args); err != nil {
		return c, err // already reported, with the usage
	}
	switch {
	case fs.NArg() > 0:
		return fail(fmt.Errorf("unexpected arguments %q: check executableName in kcl.properties", fs.Args()))
	case c.everyRecords < 0 || c.every < 0:
		return fail(errors.New("-checkpoint-every-records and -checkpoint-every must not be negative"))
	case c.everyRecords == 0 && c.every == 0:
		// Checkpoints would come only at a graceful shutdown, so a crash
		// would replay everything since the shard was assigned.
		return fail(errors.New("-checkpoint-every-records and -checkpoint-every are both 0: nothing would be checkpointed until shutdown"))
	}
	return c, nil
}
