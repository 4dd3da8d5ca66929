// Command profile runs tlsscan's pipeline (pipeline.Run, CSV rows to nowhere)
// over capture files under runtime/pprof, for the hotspot lists in
// BENCHMARKS.md:
//
//	go run ./bench/profile -cpu cpu.prof [-mem mem.prof] FILE...
//	go tool pprof -top -nodecount=15 cpu.prof
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/tlsscan/tlsscan/pipeline"
	"github.com/tlsscan/tlsscan/report"
)

func main() {
	cpu := flag.String("cpu", "cpu.prof", "write the CPU profile to `FILE`")
	mem := flag.String("mem", "", "write an allocation profile to `FILE`")
	rounds := flag.Int("n", 1, "analyze the files `N` times (longer profile)")
	workers := flag.Int("j", 1, "shard over `N` workers, as tlsscan -j")
	keyLog := flag.String("keylog", "", "read secrets from the key log `FILE`, as tlsscan --keylog")
	flag.Parse()
	var keyLogs []string
	if *keyLog != "" {
		keyLogs = []string{*keyLog}
	}
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: profile [-cpu FILE] [-mem FILE] [-n N] CAPTURE...")
		os.Exit(2)
	}
	if *mem != "" {
		runtime.MemProfileRate = 64 << 10
	}
	f, err := os.Create(*cpu)
	if err != nil {
		fail(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fail(err)
	}
	start := time.Now()
	var rows uint64
	for i := 0; i < *rounds; i++ {
		w := report.NewWriter(io.Discard, report.FormatCSV, report.Options{})
		res, err := pipeline.Run(pipeline.Config{Files: flag.Args(), Workers: *workers, KeyLogs: keyLogs}, w)
		if err != nil {
			fail(err)
		}
		if err := w.Close(&res.Stats); err != nil {
			fail(err)
		}
		rows = res.Stats.TLSConns
	}
	pprof.StopCPUProfile()
	f.Close()
	fmt.Fprintf(os.Stderr, "profile: %d rows, %d round(s) in %v\n", rows, *rounds, time.Since(start).Round(time.Millisecond))
	if *mem != "" {
		m, err := os.Create(*mem)
		if err != nil {
			fail(err)
		}
		if err := pprof.Lookup("allocs").WriteTo(m, 0); err != nil {
			fail(err)
		}
		m.Close()
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "profile:", err)
	os.Exit(1)
}
