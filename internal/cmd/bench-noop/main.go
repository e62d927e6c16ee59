// Command bench-noop is the SDK side of "kcl bench": a record processor built
// with kcl.Main that does the least a real one must. It reads the last byte
// of every record's decoded Data (so that decoding cannot be skipped),
// acknowledges every action and leaves the rest to the SDK's defaults: the
// SDK checkpoints SHARD_END at shardEnded, and shutdownRequested checkpoints
// at the latest record.
//
// Built with -tags benchprofile, it also reads two environment variables
// that help to find where its time goes; either makes it serve through
// kcl.Run instead of kcl.Main, so that it can write them out when stdin
// closes. The tag keeps runtime/pprof out of the measured binary.
//
//	KCL_BENCH_CPUPROFILE=FILE   write a CPU profile (go tool pprof)
//	KCL_BENCH_MEMSTATS=FILE     append allocation counts to FILE at exit
package main

import (
	"context"
	"os"

	"github.com/kclgo/mld/kcl"
)

type noop struct {
	records int64
	// sum keeps the compiler from dropping the reads of record data.
	sum byte
}

func (p *noop) ProcessRecords(_ context.Context, in kcl.ProcessRecordsInput, _ *kcl.Checkpointer) error {
	for i := range in.Records {
		if d := in.Records[i].Data; len(d) > 0 {
			p.sum ^= d[len(d)-1]
		}
	}
	p.records += int64(len(in.Records))
	return nil
}

func (p *noop) ShutdownRequested(ctx context.Context, _ kcl.ShutdownRequestedInput, cp *kcl.Checkpointer) error {
	return cp.Checkpoint(ctx)
}

var (
	_ kcl.Processor                = (*noop)(nil)
	_ kcl.ShutdownRequestedHandler = (*noop)(nil)
)

// profiled is set by profile.go (-tags benchprofile); it reports false when
// no profile was asked for.
var profiled func(factory kcl.Factory, p *noop) (code int, ok bool)

func main() {
	p := &noop{}
	factory := func(string) (kcl.Processor, error) { return p, nil }
	if profiled != nil {
		if code, ok := profiled(factory, p); ok {
			os.Exit(code)
		}
	}
	kcl.Main(factory)
}
