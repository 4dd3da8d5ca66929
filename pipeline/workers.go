package pipeline

import (
	"io"
	"os"

	"github.com/tlsscan/tlsscan/capture"
)

// The default -j. Sharding pays per connection (the handshakes are parsed
// on every core) but costs per packet: the batch item, the hand-over
// between goroutines, the copy, a second look at the header, about 150 ns
// a packet on this project's benchmark machine. On a capture of a few long
// connections (a bulk transfer: almost every packet is past its
// handshake, which costs -j 1 one map lookup) N workers are therefore
// slower than one, and nothing can make up for it (BENCHMARKS.md, "The
// default -j"). So when -j is not given (Config.AutoWorkers), a single
// capture whose first packets hold fewer than one connection opening (a
// SYN without ACK) per segmentsPerConn TCP segments is analysed by one
// worker. The rows are those of -j N (README "Choices": -j changes no
// row) except where a budget is exceeded, since each worker has its share
// of --max-conns and --max-buffer; a wrong guess otherwise costs only
// time.
//
// The sample reads the first sampleBytes of the capture's first file,
// through a reader that stops there, so neither a filter that keeps
// nothing nor a capture of little TCP makes it read more. It looks at all
// TCP, not only what -f keeps. Only regular files are sampled: a pipe,
// a FIFO or /dev/stdin can be read only once, and is left to the run.
const (
	sampleSegments  = 20_000
	sampleBytes     = 8 << 20
	segmentsPerConn = 100
)

// fewConnections reports whether the start of the capture made of files
// looks like bulk transfer (see above). An input that is not a regular
// file, and an unreadable start, decide nothing: both answer no.
func fewConnections(files []string) bool {
	for _, name := range files {
		if st, err := os.Stat(name); name == "-" || err != nil || !st.Mode().IsRegular() {
			return false
		}
	}
	f, err := os.Open(files[0])
	if err != nil {
		return false
	}
	defer f.Close()
	src, err := capture.OpenFiles([]string{"-"}, io.LimitReader(f, sampleBytes), capture.Options{})
	if err != nil {
		return false
	}
	defer src.Close()
	segs, syns := 0, 0
	for segs < sampleSegments {
		seg, err := src.Next()
		if err != nil {
			break // the end of the sample, or a file error the run will report
		}
		segs++
		if seg.TCP.SYN && !seg.TCP.ACK {
			syns++
		}
	}
	return segs >= 1000 && syns*segmentsPerConn < segs
}
