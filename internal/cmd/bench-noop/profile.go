//go:build benchprofile

package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/kclgo/mld/kcl"
)

func init() {
	profiled = func(factory kcl.Factory, p *noop) (int, bool) {
		profile, memstats := os.Getenv("KCL_BENCH_CPUPROFILE"), os.Getenv("KCL_BENCH_MEMSTATS")
		if profile == "" && memstats == "" {
			return 0, false
		}
		return serveProfiled(factory, p, profile, memstats), true
	}
}

func serveProfiled(factory kcl.Factory, p *noop, profile, memstats string) int {
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
	if memstats != "" {
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		mallocs := after.Mallocs - before.Mallocs
		perRecord := 0.0
		if p.records > 0 {
			perRecord = float64(mallocs) / float64(p.records)
		}
		f, ferr := os.OpenFile(memstats, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if ferr == nil {
			fmt.Fprintf(f, "bench-noop: %d records, %d allocations (%.3f per record), %d bytes allocated, %d GCs\n",
				p.records, mallocs, perRecord, after.TotalAlloc-before.TotalAlloc, after.NumGC-before.NumGC)
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-noop:", err)
		return 1
	}
	return 0
}
