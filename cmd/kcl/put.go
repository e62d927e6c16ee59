package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kclgo/mld/internal/kclprops"
	"github.com/kclgo/mld/internal/stream"
	"github.com/kclgo/mld/internal/stream/producer"
)

const putUsage = `usage: kcl put [flags] [-p kcl.properties] < lines
       kcl put [flags] [-p kcl.properties] -n N

Writes records to a Kinesis stream with PutRecords: each line of stdin is one
record (empty lines are skipped), or -n generates N small JSON records. The
stream, endpoint and region come from kcl.properties (streamName,
kinesisEndpoint, regionName) or from -stream, -endpoint and -region. With an
endpoint outside AWS, dummy credentials are used; otherwise the AWS SDK's
default chain.

Records go in batches of at most 500 records and 5 MiB; one record, with
its partition key, may take at most 1 MiB. Entries a call
reports as failed (throttling, internal errors) are sent again with
exponential backoff, up to -retries times each; records resent this way may
land after records added later, as with any PutRecords client.

The partition key of each record is -key, where {n} stands for the record's
number (from 1) and "random" for a random key per record; with -tab, each
line is key<TAB>data instead.

A summary goes to stdout: records written, calls, entries retried, and per
shard the records and the last sequence number. Exit status: 0 if every
record was written, 1 if not (the summary says how far it got), 2 for a
mistake in the flags or kcl.properties.

flags:
`

func runPut(args []string, stdout, stderr io.Writer) int {
	return put(args, os.Stdin, stdout, stderr)
}

func put(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("put", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, putUsage); fs.PrintDefaults() }
	props := fs.String("p", "", "kcl.properties to take streamName, kinesisEndpoint and regionName from")
	streamName := fs.String("stream", "", "the stream (overrides streamName)")
	endpoint := fs.String("endpoint", "", "the Kinesis endpoint, e.g. http://127.0.0.1:4567 (overrides kinesisEndpoint)")
	region := fs.String("region", "", "the region (overrides regionName)")
	n := fs.Int("n", 0, "generate this many records instead of reading stdin")
	key := fs.String("key", "random", `partition key: a template where {n} is the record number, or "random"`)
	tab := fs.Bool("tab", false, "each line is key<TAB>data; -key is not used")
	retries := fs.Int("retries", 8, "the most times one record is sent")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "kcl put: "+format+"\n", a...)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usageErr("unexpected arguments %q: records come from stdin or -n", fs.Args())
	case *n < 0:
		return usageErr("-n %d: want a number of records", *n)
	case *n > 0 && *tab:
		return usageErr("-tab reads keys from stdin, and -n does not read stdin: use one of them")
	case *retries < 1:
		return usageErr("-retries %d: want at least 1 (one attempt, no resend)", *retries)
	case *key == "":
		return usageErr(`-key is empty: give a template such as "user-{n}", or "random"`)
	}
	if *props != "" {
		f, err := kclprops.Load(*props)
		if err != nil {
			return usageErr("%v", err)
		}
		for _, o := range []struct {
			dst *string
			key string
		}{{streamName, "streamName"}, {endpoint, "kinesisEndpoint"}, {region, "regionName"}} {
			if v, ok := f.Get(o.key); ok && *o.dst == "" {
				*o.dst = strings.TrimSpace(v)
			}
		}
	}
	if *streamName == "" {
		return usageErr("no stream: give -stream, or -p with a kcl.properties that sets streamName")
	}

	ctx, cancel := interruptible()
	defer cancel()
	client, err := stream.NewClient(ctx, *region, *endpoint)
	if err != nil {
		return usageErr("%v", err)
	}
	p := producer.New(client, *streamName, producer.Options{
		MaxAttempts: *retries,
		OnRetry: func(entries, attempt int, delay time.Duration, codes map[string]int) {
			fmt.Fprintf(stderr, "kcl put: %d entries failed (%v); sending them again in %v (attempt %d of %d)\n", entries, codes, delay, attempt, *retries)
		},
	})
	keyFor := func(i int) string {
		if *key == "random" {
			var b [8]byte
			rand.Read(b[:])
			return hex.EncodeToString(b[:])
		}
		return strings.ReplaceAll(*key, "{n}", strconv.Itoa(i))
	}

	err = func() error {
		if *n > 0 {
			for i := 1; i <= *n; i++ {
				data := fmt.Appendf(nil, `{"n":%d,"of":%d,"at":%q}`, i, *n, time.Now().UTC().Format(time.RFC3339Nano))
				if err := p.Add(ctx, producer.Record{PartitionKey: keyFor(i), Data: data}); err != nil {
					return err
				}
			}
			return p.Flush(ctx)
		}
		// A bad line stops the input; the lines before it are still sent, so
		// the outcome is exact: everything before that line is written,
		// nothing from it on.
		badLine := func(err error) error {
			if ferr := p.Flush(ctx); ferr != nil {
				return errors.Join(err, ferr)
			}
			return fmt.Errorf("%w; the lines before it were written, none from it on", err)
		}
		r := bufio.NewReader(stdin)
		for i, lineNo := 1, 1; ; lineNo++ {
			line, err := r.ReadBytes('\n')
			if err != nil && err != io.EOF {
				return fmt.Errorf("reading stdin: %w", err)
			}
			line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
			if len(line) > 0 {
				rec := producer.Record{PartitionKey: keyFor(i), Data: line}
				if *tab {
					k, data, ok := bytes.Cut(line, []byte("\t"))
					if !ok {
						return badLine(fmt.Errorf("line %d has no tab: with -tab each line is key<TAB>data", lineNo))
					}
					rec = producer.Record{PartitionKey: string(k), Data: data}
				}
				if err := p.Add(ctx, rec); err != nil {
					return badLine(fmt.Errorf("line %d: %w", lineNo, err))
				}
				i++
			}
			if err == io.EOF {
				return p.Flush(ctx)
			}
		}
	}()

	s := p.Summary()
	fmt.Fprintf(stdout, "kcl put: %d records written to stream %s in %d calls; %d entries retried\n", s.Records, *streamName, s.Calls, s.Retries)
	for _, id := range s.ShardIDs() {
		fmt.Fprintf(stdout, "  %s: %d records, last sequence number %s\n", id, s.Shards[id].Records, s.Shards[id].Last)
	}
	if err != nil {
		msg := err.Error()
		if errors.Is(err, context.Canceled) {
			msg = "interrupted"
		}
		msg = strings.ReplaceAll(strings.TrimPrefix(msg, "producer: "), ": producer: ", ": ")
		fmt.Fprintf(stderr, "kcl put: %s\n", msg)
		return 1
	}
	return 0
}
