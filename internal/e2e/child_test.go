package e2e

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/kclgo/mld/kcl"
	"github.com/kclgo/mld/protocol"
)

// child plays a record processor, as "<test binary> e2e-child <kind> [n]":
//
//	crash N      an SDK processor that logs each record as the sample
//	             processor does, checkpoints every 10th record inside
//	             the batch, and exits with status 3 in the middle of a
//	             batch once N records were processed
//	wrong-status answers processRecords with a status for "initialize"
//	hang         never answers processRecords
//
// The last two misbehave on shardId-000000000000 only; on other shards
// they checkpoint each batch and follow the protocol. Each writes its pid
// to stderr first.
func child(args []string) int {
	fmt.Fprintf(os.Stderr, "pid %d\n", os.Getpid())
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "e2e-child: no kind")
		return 2
	}
	switch args[0] {
	case "crash":
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return 2
		}
		return crashingProcessor(n)
	case "wrong-status", "hang":
		return rawChild(args[0])
	}
	fmt.Fprintln(os.Stderr, "e2e-child: unknown kind", args[0])
	return 2
}

func crashingProcessor(limit int) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	count := 0
	kcl.Main(func(shardID string) (kcl.Processor, error) {
		log := log.With("shard", shardID)
		return kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
			for _, r := range in.Records {
				log.Info("record", "sequenceNumber", r.SequenceNumber, "subSequenceNumber", r.SubSequenceNumber)
				count++
				if count == limit {
					log.Info("crashing in the middle of a batch", "records", count)
					os.Exit(3)
				}
				if count%10 == 0 {
					if err := cp.CheckpointRecord(ctx, r); err != nil {
						return err
					}
				}
			}
			return nil
		}), nil
	})
	return 0 // not reached: Main exits
}

// badShard is the shard on which rawChild misbehaves.
const badShard = "shardId-000000000000"

func rawChild(kind string) int {
	in := bufio.NewReader(os.Stdin)
	send := func(m protocol.Message) { os.Stdout.Write(append(protocol.Append(nil, m), '\n')) }
	shard := ""
	for {
		line, err := in.ReadBytes('\n')
		if err != nil {
			return 0
		}
		m, err := protocol.Decode(line)
		if err != nil {
			return 2
		}
		action := m.Action()
		switch m := m.(type) {
		case protocol.Initialize:
			shard = m.ShardID
		case protocol.ProcessRecords:
			if shard == badShard {
				switch kind {
				case "wrong-status":
					action = protocol.ActionInitialize
				case "hang":
					time.Sleep(time.Hour)
				}
				break
			}
			send(protocol.Checkpoint{})
			if _, err := in.ReadBytes('\n'); err != nil {
				return 2
			}
			last := m.Records[len(m.Records)-1]
			fmt.Fprintf(os.Stderr, "checkpointed %s\n", last.SequenceNumber)
		}
		send(protocol.Status{ResponseFor: action})
	}
}
