package pipeline_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlsscan/tlsscan/pcaps/craft/craftlib"
	"github.com/tlsscan/tlsscan/pipeline"
	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/report"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// heapCap is the documented memory cap (README "Robustness") for a run over
// any single hostile capture with the default limits; the SYN flood runs
// with --max-conns 20000 and the same cap.
const heapCap = 128 << 20

// collect runs the pipeline over files, sampling the heap while it runs.
func collect(t *testing.T, cfg pipeline.Config) (rows []*report.Row, res *pipeline.Result, peak uint64) {
	t.Helper()
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for !stop.Load() {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak {
				peak = m.HeapInuse
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	w := &rowCollector{}
	finished := make(chan struct{})
	var err error
	go func() {
		defer close(finished)
		res, err = pipeline.Run(cfg, w)
	}()
	select {
	case <-finished:
	case <-time.After(120 * time.Second):
		t.Fatalf("%v: hang (no result after 120 s)", cfg.Files)
	}
	stop.Store(true)
	<-done
	t.Logf("%v: peak heap in use %d MiB", cfg.Files, peak>>20)
	if err != nil {
		t.Fatalf("%v: %v", cfg.Files, err)
	}
	return w.rows, res, peak
}

func flagsOf(rows []*report.Row) map[string]int {
	m := map[string]int{}
	for _, r := range rows {
		for f := range r.Flags.All() {
			m[f.String()]++
		}
	}
	return m
}

// TestHostile runs the committed hostile set: no panic, no hang, the heap
// under the cap, the rows that can be reported reported, and every problem
// visible as a flag or as a file error naming the file and packet.
func TestHostile(t *testing.T) {
	dir := filepath.Join("..", "pcaps", "hostile")
	tests := []struct {
		file      string
		rows      int
		flags     map[string]int // each must be present with this count
		errPacket uint64         // >0: a FileError at this packet; 0: none
		errSubstr string
		warnings  []string // each must appear in one summary warning
	}{
		{file: "syn-flood.pcap", rows: 0},
		{file: "half-open.pcap", rows: 2000, flags: map[string]int{"truncated": 2000}},
		{file: "record-16mb.pcap", rows: 1, flags: map[string]int{"malformed": 1}},
		// Any message length up to 2^24-1 is legal; this one is cut
		// short by the end of the capture while the server's half is
		// still open: truncated, not malformed.
		{file: "hs-16mb.pcap", rows: 1, flags: map[string]int{"truncated": 1}},
		{file: "seq-wrap.pcap", rows: 1},
		{file: "port-reuse.pcap", rows: 2},
		// The clock steps back an hour at packet 6 and forward a day at
		// packet 8: the connection, idle for a day of capture time, is
		// closed by the idle timer mid-handshake. Both jumps are named.
		{file: "time-backwards.pcap", rows: 1, flags: map[string]int{"truncated": 1}, warnings: []string{
			"time-backwards.pcap: packet 6: timestamp goes back 1h0m0.004s",
			"time-backwards.pcap: packet 8: timestamp jumps 23h59m59.995s forward",
		}},
		{file: "snaplen-cut.pcap", rows: 1, flags: map[string]int{"gap": 1, "truncated": 1}},
		{file: "caplen-too-big.pcap", errPacket: 2, errSubstr: "exceeds the snaplen"},
		// The packets before the damage still make their row.
		{file: "pcapng-bad-blocks.pcapng", rows: 1, errPacket: 8, errSubstr: "malformed pcapng block"},
		{file: "gzip-short.pcap.gz", rows: 1, errPacket: 8, errSubstr: "truncated gzip"},
		{file: "not-a-capture.pcap", errSubstr: "not a pcap or pcapng file"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rows, res, peak := collect(t, pipeline.Config{Files: []string{filepath.Join(dir, tt.file)}})
			if len(rows) != tt.rows {
				t.Errorf("%d rows, want %d", len(rows), tt.rows)
			}
			got := flagsOf(rows)
			for f, n := range tt.flags {
				if got[f] != n {
					t.Errorf("flag %s on %d rows, want %d (flags: %v)", f, got[f], n, got)
				}
			}
			if peak > heapCap {
				t.Errorf("heap reached %d MiB, cap %d MiB", peak>>20, heapCap>>20)
			}
			for _, w := range tt.warnings {
				if !slices.ContainsFunc(res.Stats.Warnings, func(s string) bool { return strings.Contains(s, w) }) {
					t.Errorf("no warning %q in %q", w, res.Stats.Warnings)
				}
			}
			if tt.errSubstr == "" {
				if len(res.FileErrors) != 0 {
					t.Errorf("unexpected file errors: %v", res.FileErrors)
				}
				return
			}
			if len(res.FileErrors) != 1 {
				t.Fatalf("want one file error, got %v", res.FileErrors)
			}
			fe := res.FileErrors[0]
			if fe.Packet != tt.errPacket || !strings.Contains(fe.Error(), tt.errSubstr) || !strings.Contains(fe.Error(), tt.file) {
				t.Errorf("file error %q (packet %d), want packet %d and %q naming the file", fe, fe.Packet, tt.errPacket, tt.errSubstr)
			}
		})
	}
}

// The inputs too big to commit are made here.
func TestHostileGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the generated hostile captures take a while")
	}
	dir := t.TempDir()
	write := func(name string, gen func(*os.File) error) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := gen(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	syns := 1_000_000
	if raceEnabled {
		syns = 200_000
	}
	t.Run("syn-flood", func(t *testing.T) {
		p := write("flood.pcap", func(f *os.File) error { return craftlib.SynFlood(f, syns) })
		cfg := pipeline.Config{Files: []string{p}, Reassembly: reassembly.Options{MaxConns: 20000}}
		rows, res, peak := collect(t, cfg)
		if len(rows) != 0 || res.Stats.TCPConns != uint64(syns) {
			t.Errorf("%d rows, %d connections; want 0 and %d", len(rows), res.Stats.TCPConns, syns)
		}
		if res.Stats.Evicted == 0 {
			t.Error("no eviction counted under a SYN flood past --max-conns")
		}
		if peak > heapCap {
			t.Errorf("heap reached %d MiB, cap %d MiB", peak>>20, heapCap>>20)
		}
	})
	t.Run("handshake-16mb-sent", func(t *testing.T) {
		p := write("big-hs.pcap", func(f *os.File) error { return craftlib.BigHandshake(f, 0xffffff, 0xffffff+4) })
		rows, _, peak := collect(t, pipeline.Config{Files: []string{p}})
		if len(rows) != 1 || !rows[0].Flags.Has(tlsparse.FlagMalformed) {
			t.Errorf("want one malformed row, got %d rows %v", len(rows), flagsOf(rows))
		}
		if peak > heapCap {
			t.Errorf("heap reached %d MiB, cap %d MiB", peak>>20, heapCap>>20)
		}
	})
	// Issue 9's memory criterion, scaled for CI: 300 connections each
	// sending a 1 MB Certificate, all in progress at once (BENCHMARKS.md
	// has the full 1,000 with the binary). Buffering each whole would
	// take 300 MB; the buffer budget (64 MiB by default) holds the heap
	// under the cap, and every connection still gets its row: full,
	// established, certificates counted or, where the budget stopped the
	// buffering, flagged oversize with the count unknown.
	t.Run("many-big-certificates", func(t *testing.T) {
		conns, size, budget := 300, 1<<20, int64(reassembly.DefaultMaxBuffered)
		if raceEnabled {
			conns, budget = 60, 16<<20
		}
		// Streamed through a pipe: the capture is a gigabyte.
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(craftlib.ManyBigCertificates(pw, conns, size)) }()
		runtime.GC() // the heap before this subtest is not its own
		// The collector paced as the binary paces it (cmd/tlsscan: a
		// soft limit of 48 MiB, which the budget's bytes overrun).
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(48 << 20))
		rows, res, peak := collect(t, pipeline.Config{Files: []string{"-"}, Stdin: pr, Reassembly: reassembly.Options{MaxBuffered: budget}})
		if len(rows) != conns {
			t.Fatalf("%d rows, want %d", len(rows), conns)
		}
		oversize := 0
		for _, r := range rows {
			if r.Resumption != tlsparse.ResumptionFull || !r.Established || r.Flags.Has(tlsparse.FlagMalformed) || r.Flags.Has(tlsparse.FlagTruncated) {
				t.Fatalf("row %s: %v, established %v, flags %v; want full, established, no malformed or truncated", r.SNI, r.Resumption, r.Established, r.Flags)
			}
			switch {
			case r.Flags.Has(tlsparse.FlagOversize):
				oversize++
				if r.ServerCerts != -1 {
					t.Errorf("row %s: oversize but %d server certs counted", r.SNI, r.ServerCerts)
				}
			case r.ServerCerts < 90:
				t.Errorf("row %s: %d server certs, want the whole chain", r.SNI, r.ServerCerts)
			}
		}
		if oversize == 0 || res.Stats.Oversize != uint64(oversize) {
			t.Errorf("%d rows flagged oversize, summary counts %d; want the same, more than 0", oversize, res.Stats.Oversize)
		}
		t.Logf("%d of %d connections oversize", oversize, conns)
		if peak > heapCap {
			t.Errorf("heap reached %d MiB, cap %d MiB", peak>>20, heapCap>>20)
		}
	})
	// ClientHellos sent one byte per segment, every connection in
	// progress at once (issue 9: such a flood took quadratic time and
	// gigabytes). Each record is held once by its parser, inside the
	// budget; every connection is reported truncated with its SNI.
	t.Run("byte-segments", func(t *testing.T) {
		conns := 3000
		if raceEnabled {
			conns = 300
		}
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(craftlib.ByteSegments(pw, conns)) }()
		runtime.GC()
		start := time.Now()
		rows, res, peak := collect(t, pipeline.Config{Files: []string{"-"}, Stdin: pr})
		t.Logf("%d connections in %v", conns, time.Since(start).Round(time.Millisecond))
		if len(rows) != conns || res.Stats.Oversize != 0 {
			t.Fatalf("%d rows, %d oversize; want %d rows, none oversize", len(rows), res.Stats.Oversize, conns)
		}
		for _, r := range rows {
			if r.SNI != "half-open.example.test" || !r.Flags.Has(tlsparse.FlagTruncated) {
				t.Fatalf("row %+v: want the ClientHello's SNI, flag truncated", r)
			}
		}
		if peak > heapCap {
			t.Errorf("heap reached %d MiB, cap %d MiB", peak>>20, heapCap>>20)
		}
	})
	t.Run("many-max-records", func(t *testing.T) {
		p := write("big-records.pcap", func(f *os.File) error { return craftlib.BigRecords(f, 1000) })
		rows, _, peak := collect(t, pipeline.Config{Files: []string{p}})
		if len(rows) != 1 || !rows[0].Flags.Has(tlsparse.FlagMalformed) {
			t.Errorf("want one malformed row, got %d rows %v", len(rows), flagsOf(rows))
		}
		if peak > heapCap {
			t.Errorf("heap reached %d MiB, cap %d MiB", peak>>20, heapCap>>20)
		}
	})
}

// A failing writer (a full disk, a closed pipe) ends the run with its
// error, promptly and without a panic.
func TestWriteErrorStopsRun(t *testing.T) {
	w := report.NewWriter(failWriter{}, report.FormatCSV, report.Options{Stream: true})
	_, err := pipeline.Run(pipeline.Config{Files: []string{filepath.Join("..", "pcaps", "real", "multi.pcap")}}, w)
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("Run returned %v, want the writer's error", err)
	}
}

var errDiskFull = errors.New("no space left on device")

type failWriter struct{}

func (failWriter) Write(p []byte) (int, error) { return 0, errDiskFull }
