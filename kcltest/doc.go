// Package kcltest plays the KCL MultiLangDaemon in tests, so that a record
// processor can be tested with go test, without Java or AWS.
//
// NewDaemon runs a processor through the real kcl code, in the test's
// process, over pipes; StartCommand runs a built binary as a child process,
// as the daemon does. Either way the Daemon writes the daemon's lines byte
// for byte, reads every line the child writes as the daemon reads it
// (protocol.DecodeChild: what the daemon skips is skipped and noted, what
// it acts on is acted on), answers checkpoints with the daemon's rules or
// with scripted exceptions (ReplyNext), and fails the test with the name of
// the action when the processor breaks the protocol or hangs. Canonical
// asks for more than the daemon does: every child line exactly as
// protocol.Append writes it.
//
//	d := kcltest.NewDaemon(t, func(string) (kcl.Processor, error) { return &myProcessor{}, nil })
//	d.Initialize("shardId-000000000000", "TRIM_HORIZON")
//	d.ReplyNext("ThrottlingException") // the first checkpoint is throttled
//	d.ProcessRecords(kcltest.Records(`{"id":1}`, `{"id":2}`)...)
//	d.ShardEnded() // fails the test unless SHARD_END was checkpointed
//	if got := d.Checkpoint(); got != kcltest.ShardEnd { ... }
package kcltest
