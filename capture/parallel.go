package capture

import (
	"io"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/report"
)

// Sharding (-j N). One goroutine reads and decodes packets and deals them
// to N workers by a hash of the connection that both directions share;
// each worker owns an Assembler, so no connection state is ever shared or
// locked. A worker's rows go to the merger, which releases them in the
// same order a single Assembler would: a row waits until every worker has
// moved past its time (no worker can still start or decide an earlier
// connection). Output is byte-identical to -j 1, except under connection
// eviction, whose budget is split between the workers.
//
// Packets cross goroutines in batches: the source reuses its buffers, so
// the TCP bytes are copied once into the batch's slab. That copy is the
// price of parallelism; -j 1 goes through Analyze without it.

const (
	batchPackets = 512
	batchBytes   = 1 << 20
	// batchAge bounds how long a live packet may wait in a half-full
	// batch: rows must appear within a second of the handshake.
	batchAge = 50 * time.Millisecond
)

type batchItem struct {
	ci     gopacket.CaptureInfo
	net    gopacket.Flow
	off, n int // TCP header and payload in the batch's slab
}

type batch struct {
	items []batchItem
	slab  []byte
	tick  time.Time // live: wall-clock time to close idle connections at
	first time.Time // when the first item was added (wall clock)
	// advance: capture time the dispatcher has reached; the worker will
	// see no earlier packet, so its rows before it can be released.
	advance time.Time
}

func (b *batch) reset() {
	b.items, b.slab = b.items[:0], b.slab[:0]
	b.tick, b.first, b.advance = time.Time{}, time.Time{}, time.Time{}
}

// progress is a worker's report after a batch.
type progress struct {
	worker int
	rows   []*report.Row
	// limit: no row this worker has yet to hand over sorts before it.
	limit time.Time
	final bool
	stats reassembly.Stats
}

// AnalyzeParallel is Analyze with the connections sharded over workers.
func AnalyzeParallel(cfg Config, src Source, out report.Writer, workers int) (*Result, error) {
	if workers <= 1 {
		return Analyze(cfg, src, out)
	}
	res := &Result{}
	sink := newRowSink(cfg, out, &res.Summary)
	free := make(chan *batch, workers*4)
	for range cap(free) {
		free <- &batch{items: make([]batchItem, 0, batchPackets), slab: make([]byte, 0, batchBytes)}
	}
	inbox := make([]chan *batch, workers)
	results := make(chan progress, workers*4)
	var wg sync.WaitGroup
	for i := range workers {
		inbox[i] = make(chan *batch, 4)
		wg.Add(1)
		go func() {
			defer wg.Done()
			runWorker(i, workers, cfg, inbox[i], free, results)
		}()
	}

	// The merger owns the output.
	var stats reassembly.Stats
	mergeDone := make(chan struct{})
	go func() {
		defer close(mergeDone)
		limits := make([]time.Time, workers)
		finished := make([]bool, workers)
		finals := 0
		for p := range results {
			for _, row := range p.rows {
				sink.push(row)
			}
			limits[p.worker] = p.limit
			if p.final {
				finished[p.worker] = true
				finals++
				stats.TCPConns += p.stats.TCPConns
				stats.Evicted += p.stats.Evicted
				stats.Idle += p.stats.Idle
			}
			if finals == workers {
				break
			}
			// A row may go once every unfinished worker has moved past
			// it; one that has not reported yet holds everything.
			var limit time.Time
			first := true
			for i, l := range limits {
				if !finished[i] && (first || l.Before(limit)) {
					limit, first = l, false
				}
			}
			sink.release(limit)
		}
		sink.flush()
		// Drain, so that no worker blocks on a full channel.
		for range results {
		}
	}()

	// The dispatcher: this goroutine.
	cur := make([]*batch, workers)
	send := func(i int) {
		if cur[i] != nil {
			inbox[i] <- cur[i]
			cur[i] = nil
		}
	}
	get := func(i int) *batch {
		if cur[i] == nil {
			cur[i] = <-free
			cur[i].reset()
		}
		return cur[i]
	}
	done := func() bool {
		select {
		case <-cfg.Stop:
			return true
		case <-sink.over:
			return true
		default:
			return false
		}
	}
	var srcErr error
	var advanced, latest time.Time
	idle := idleTimeout(cfg)
	for !done() {
		seg, err := src.Next()
		if err == io.EOF {
			break
		}
		if err == ErrNoPacket {
			now := time.Now()
			for i := range cur {
				b := get(i)
				b.tick = now
				send(i)
			}
			continue
		}
		if err != nil {
			if res.noteFileError(err) {
				continue
			}
			srcErr = err
			break
		}
		res.noteTimeJump(seg, latest, idle)
		t := seg.CI.Timestamp
		if t.After(latest) {
			latest = t
		}
		if t.Sub(advanced) > time.Second {
			// Move every worker's clock to the capture's, so one that
			// has had no packet lately does not hold rows back.
			for j := range cur {
				if cur[j] == nil {
					b := get(j)
					b.advance = t
					send(j)
				} else if cur[j].advance.Before(t) {
					cur[j].advance = t
				}
			}
			advanced = t
		}
		i := int(shard(seg) % uint64(workers))
		b := get(i)
		if len(b.items) == 0 && cfg.Stream {
			b.first = time.Now()
		}
		off := len(b.slab)
		b.slab = append(b.slab, seg.TCP.Contents...)
		b.slab = append(b.slab, seg.TCP.Payload...)
		ci := seg.CI
		ci.AncillaryData = nil
		b.items = append(b.items, batchItem{ci: ci, net: seg.Net, off: off, n: len(b.slab) - off})
		if len(b.items) == batchPackets || len(b.slab) >= batchBytes-64<<10 ||
			(cfg.Stream && time.Since(b.first) > batchAge) {
			send(i)
		}
	}
	for i := range cur {
		send(i)
		close(inbox[i])
	}
	wg.Wait()
	close(results)
	<-mergeDone
	fillSummary(&res.Summary, src.Stats())
	res.Summary.TCPConns, res.Summary.Evicted, res.Summary.IdleClosed = stats.TCPConns, stats.Evicted, stats.Idle
	if srcErr != nil {
		return res, srcErr
	}
	return res, sink.err
}

// shard hashes a segment's connection so both directions land on the same
// worker: gopacket's FastHash is symmetric in each flow.
func shard(seg *Segment) uint64 {
	return seg.Net.FastHash() ^ seg.TCP.TransportFlow().FastHash()*0x9E3779B97F4A7C15
}

func runWorker(id, workers int, cfg Config, in <-chan *batch, free chan<- *batch, results chan<- progress) {
	ropts := cfg.Reassembly
	ropts.Parse.KeepChains = cfg.Detail
	if ropts.MaxConns <= 0 {
		ropts.MaxConns = reassembly.DefaultMaxConns
	}
	// The budget is shared: each worker may hold its part of it.
	ropts.MaxConns = max(ropts.MaxConns/workers, 1)
	conv := NewConverter(cfg.Detail)
	var rows []*report.Row
	asm := reassembly.New(ropts, func(r *reassembly.Result) {
		if !r.Conn.IsTLS() {
			return
		}
		rows = append(rows, conv.Row(r))
	})
	var tcp layers.TCP
	var last time.Time
	report := func(final bool) {
		limit, pending := asm.Watermark()
		if !pending || last.Before(limit) {
			limit = last
		}
		results <- progress{worker: id, rows: rows, limit: limit, final: final, stats: asm.Stats()}
		rows = nil
	}
	for b := range in {
		for _, it := range b.items {
			if tcp.DecodeFromBytes(b.slab[it.off:it.off+it.n], gopacket.NilDecodeFeedback) != nil {
				continue // decoded once already; cannot fail on the same bytes
			}
			if it.ci.Timestamp.After(last) {
				last = it.ci.Timestamp
			}
			asm.Add(it.net, &tcp, it.ci)
		}
		if !b.tick.IsZero() {
			asm.Tick(b.tick)
		}
		if b.advance.After(last) {
			last = b.advance
		}
		b.reset()
		free <- b
		report(false)
	}
	asm.Close()
	last = time.Time{}
	report(true)
}
