// Package kcl lets a Go program be a record processor of the Amazon Kinesis
// Client Library's MultiLangDaemon. The Java daemon does the distributed
// work: it holds shard leases in DynamoDB, balances them across workers,
// follows resharding and stores checkpoints. For each shard it holds, it
// starts the program named by executableName in kcl.properties and talks to
// it in JSON lines over stdin and stdout. Package kcl is that conversation.
//
// A program implements Processor and calls Main:
//
//	type printer struct{}
//
//	func (printer) ProcessRecords(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
//		for _, r := range in.Records {
//			slog.Info("record", "seq", r.SequenceNumber, "data", r.Data)
//		}
//		return cp.Checkpoint(ctx)
//	}
//
//	func main() {
//		kcl.Main(func(shardID string) (kcl.Processor, error) { return printer{}, nil })
//	}
//
// # Guarantees
//
// Records arrive in shard order, one batch at a time; the next batch comes
// only after the callback returned. Delivery is at least once: after a
// restart or a lease move, a shard is read again from its last checkpoint,
// so a processor should be idempotent or tolerate duplicates.
//
// A callback that returns an error or panics is never skipped silently. By
// default the child logs it and exits non-zero without acknowledging the
// action; the daemon then stops the whole worker (every shard it holds) and,
// once restarted, delivers the batch again from the last checkpoint.
// CallbackRetries and SkipFailed choose otherwise.
//
// # Memory
//
// The records of a batch, and each Record's Data, are valid only during the
// callback: the SDK reuses their memory for the next batch, which is what
// keeps large batches cheap. Record.Clone makes a copy that can be kept.
// Strings (partition keys, sequence numbers) are ordinary and can be kept.
//
// # Logging and output
//
// The daemon reads protocol messages from the child's stdout and logs every
// line of its stderr at ERROR. Main therefore keeps stdout for the protocol
// alone (stray writes to file descriptor 1 go to stderr), and the SDK logs
// with log/slog to stderr at level warn unless KCL_LOG_LEVEL or WithLogger
// says otherwise.
//
// This package uses only the standard library.
package kcl
