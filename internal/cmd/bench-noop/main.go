// Command bench-noop is the SDK side of "kcl bench": a record processor built
// with kcl.Main that does the least a real one must. It reads the last byte
// of every record's decoded Data (so that decoding cannot be skipped),
// acknowledges every action and leaves the rest to the SDK's defaults: the
// SDK checkpoints SHARD_END at shardEnded, and shutdownRequested checkpoints
// at the latest record.
//
// Two environment variables help to find where its time goes; both make it
// serve through kcl.Run instead of kcl.Main, so that it can write them out
// when stdin closes:
//
//	KCL_BENCH_CPUPROFILE=FILE   write a CPU profile (go tool pprof)
//	KCL_BENCH_MEMSTATS=1        print allocation counts to stderr at exit
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

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

func main() {
	p := &noop{}
	factory := func(string) (kcl.Processor, error) { return p, nil }
	profile, memstats := os.Getenv("KCL_BENCH_CPUPROFILE"), os.Getenv("KCL_BENCH_MEMSTATS") != ""
	if profile == "" && !memstats {
		kcl.Main(factory)
	}
	os.Exit(serveProfiled(factory, p, profile, memstats))
}

func serveProfiled(factory kcl.Factory, p *noop, profile string, memstats bool) int {
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench-noop:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench-noop:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	err := kcl.Run(context.Background(), factory, os.Stdin, os.Stdout)
	if memstats {
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		mallocs := after.Mallocs - before.Mallocs
		perRecord := 0.0
		if p.records > 0 {
			perRecord = float64(mallocs) / float64(p.records)
		}
		fmt.Fprintf(os.Stderr, "bench-noop: %d records, %d allocations (%.3f per record), %d bytes allocated, %d GCs\n",
			p.records, mallocs, perRecord, after.TotalAlloc-before.TotalAlloc, after.NumGC-before.NumGC)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-noop:", err)
		return 1
	}
	return 0
}
