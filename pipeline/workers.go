package pipeline

import (
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
// worker. The rows are the same whatever -j is, so a wrong guess costs
// only time.
const (
	sampleSegments  = 20_000
	sampleBytes     = 8 << 20
	segmentsPerConn = 100
)

// fewConnections reports whether the start of the capture made of files
// looks like bulk transfer (see above). Standard input cannot be read
// twice, and an unreadable start decides nothing: both answer no.
func fewConnections(files []string, opts capture.Options) bool {
	for _, f := range files {
		if f == "-" {
			return false
		}
	}
	opts.Secrets = nil // the run proper reports them
	src, err := capture.OpenFiles(files, nil, opts)
	if err != nil {
		return false
	}
	defer src.Close()
	segs, syns := 0, 0
	for segs < sampleSegments && src.Stats().Bytes < sampleBytes {
		seg, err := src.Next()
		if err != nil {
			break // the end, or a file error the run will report
		}
		segs++
		if seg.TCP.SYN && !seg.TCP.ACK {
			syns++
		}
	}
	return segs >= 1000 && syns*segmentsPerConn < segs
}
