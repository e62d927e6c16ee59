// Package local is the daemon side of the MultiLangDaemon protocol, in Go,
// for development and CI: it consumes one Kinesis stream (real, kinesalite
// or LocalStack) and runs a record processor per shard exactly as the Java
// daemon starts and drives it, so that a processor can be run end to end
// on a laptop or in CI without Java. It is what "kcl local" runs.
//
// It is not a production replacement for the KCL. There is one worker,
// which holds every shard; there are no leases shared across machines, no
// load balancing, no enhanced fan-out and no metrics, and checkpoints live
// in a local JSON file (see Store) instead of a DynamoDB table.
//
// # What it does as the Java daemon does
//
//   - It lists the stream's shards (ListShards, following NextToken) and
//     starts executableName once per shard, split on spaces with no shell
//     (kclprops.SplitExecutable), with stdin and stdout as the protocol
//     pipes; each line of the child's stderr goes to our stderr prefixed
//     with "[shardId] ".
//   - It reads each shard by polling: GetShardIterator, then GetRecords
//     with maxRecords, at most once per idleTimeBetweenReadsInMillis,
//     following NextShardIterator until it is null, which is the shard's
//     end. KPL aggregated records are split into their user records, with
//     sub-sequence numbers, as the KCL does.
//   - It writes the daemon's lines byte for byte (package protocol):
//     initialize with the shard's checkpoint or the initial-position
//     sentinel; processRecords for every non-empty batch, with
//     millisBehindLatest; shardEnded at the end of a shard.
//   - It answers checkpoints with the daemon's rules (package lease):
//     InvalidStateException during initialize and leaseLost,
//     IllegalArgumentException outside [last checkpoint, last record
//     delivered], SHARD_END only at the shard's end. A checkpoint is
//     written to the file before its reply says it succeeded.
//   - It reads the child's lines as the daemon's Jackson reader does, with
//     protocol.DecodeChild: a line the daemon skips (not a message, an
//     unknown field, ...) is skipped and logged, an empty one silently; a
//     status or checkpoint is acted on; other messages are ignored; the
//     JSON literal null fails the shard, as it fails the Java daemon.
//   - A shard that ended starts its child shards, which begin at
//     TRIM_HORIZON, only once every parent has a SHARD_END checkpoint. The
//     shards are listed again every shardSyncIntervalMillis, and at once
//     when a shard ends, to find shards created by resharding.
//
// # Shutdown
//
// When Run's context is cancelled (kcl local: SIGINT or SIGTERM), each
// child gets what the Java daemon sends on a graceful worker shutdown
// (docs/protocol.md §3.3, path c), in this order:
//
//  1. shutdownRequested, once the exchange in progress (if any) is over.
//     The child may checkpoint up to the last record delivered. A wrong
//     status here is only logged, as the daemon does.
//  2. leaseLost, with no checkpointer (InvalidStateException).
//  3. EOF on stdin; stdout and stderr are read to their end and the child
//     must exit. A child still running after ExitTimeout is killed.
//
// The whole shutdown is bounded by ShutdownTimeout, after which the
// children left are killed; Abort (a second interrupt) kills them at once.
// Children run in their own process group, so a Ctrl-C at the terminal
// reaches the daemon only, and every child gets the sequence above.
//
// # Failures
//
// The Java daemon ends the whole worker when one child fails (docs/protocol.md §4).
// Here only that shard stops, and the failure is logged at once, naming
// the shard, what was sent and what came back (a *ShardFailure):
//
//   - executableName cannot be started;
//   - a status for the wrong action, or the JSON literal null;
//   - the child's stdout ends (it exited) during an exchange;
//   - no message for timeoutInSeconds, when set (the Java daemon halts);
//     the child is killed;
//   - shardEnded acknowledged without a SHARD_END checkpoint: the shard is
//     left unfinished and its children do not start (the Java daemon
//     retries for ever);
//   - the child does not exit within ExitTimeout after EOF on stdin (the
//     Java daemon waits for ever); it is killed.
//
// A failed shard is not restarted. Run goes on with the other shards,
// returns when nothing is left that could run, and then returns every
// failure in a *FailedError, which wraps ErrShardsFailed.
package local
