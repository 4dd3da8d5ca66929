package pipeline

import (
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/capture"
	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/report"
)

// Sharding (-j N). The loop's goroutine reads and decodes packets and deals
// them to N workers by a hash of the connection that both directions share
// (reassembly.FlowHash, the one the assembler uses itself); each worker owns
// an Assembler, so no connection state is ever shared or locked. A
// worker's rows go to the merger, which releases them in the same order a
// single Assembler would: a row waits until every worker has moved past its
// time (no worker can still start or decide an earlier connection). Output
// is byte-identical to -j 1, except under connection eviction, whose
// budget is split between the workers.
//
// Packets cross goroutines in batches: the source reuses its buffers, so
// the TCP bytes are copied once into the batch's slab. That copy is the
// price of parallelism; -j 1 (serial.go) goes without it.

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

// sharded is the back end of -j N: the dispatcher side runs in the loop's
// goroutine, the workers and the merger in their own.
type sharded struct {
	stream   bool
	workers  int
	cur      []*batch // the batch being filled, per worker
	inbox    []chan *batch
	free     chan *batch
	results  chan progress
	wg       sync.WaitGroup
	merged   chan reassembly.Stats // the merger's sum of the workers' counters
	advanced time.Time             // capture time every worker was last moved to
}

func newSharded(cfg Config, sink *rowSink) *sharded {
	n := cfg.Workers
	s := &sharded{
		stream:  cfg.Stream,
		workers: n,
		cur:     make([]*batch, n),
		inbox:   make([]chan *batch, n),
		free:    make(chan *batch, n*4),
		results: make(chan progress, n*4),
		merged:  make(chan reassembly.Stats, 1),
	}
	for range cap(s.free) {
		s.free <- &batch{items: make([]batchItem, 0, batchPackets), slab: make([]byte, 0, batchBytes)}
	}
	for i := range n {
		s.inbox[i] = make(chan *batch, 4)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			runWorker(i, cfg, s.inbox[i], s.free, s.results)
		}()
	}
	go s.merge(sink)
	return s
}

// merge owns the output: it pushes the workers' rows into the sink and
// releases them as far as every unfinished worker has moved.
func (s *sharded) merge(sink *rowSink) {
	var stats reassembly.Stats
	limits := make([]time.Time, s.workers)
	finished := make([]bool, s.workers)
	finals := 0
	for p := range s.results {
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
		if finals == s.workers {
			break
		}
		// A row may go once every unfinished worker has moved past it;
		// one that has not reported yet holds everything.
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
	for range s.results {
	}
	s.merged <- stats
}

func (s *sharded) send(i int) {
	if s.cur[i] != nil {
		s.inbox[i] <- s.cur[i]
		s.cur[i] = nil
	}
}

func (s *sharded) get(i int) *batch {
	if s.cur[i] == nil {
		s.cur[i] = <-s.free
		s.cur[i].reset()
	}
	return s.cur[i]
}

func (s *sharded) idle(now time.Time) {
	for i := range s.cur {
		s.get(i).tick = now
		s.send(i)
	}
}

func (s *sharded) add(seg *capture.Segment, _ time.Time) {
	t := seg.CI.Timestamp
	if t.Sub(s.advanced) > time.Second {
		// Move every worker's clock to the capture's, so one that has
		// had no packet lately does not hold rows back.
		for j := range s.cur {
			if s.cur[j] == nil {
				s.get(j).advance = t
				s.send(j)
			} else if s.cur[j].advance.Before(t) {
				s.cur[j].advance = t
			}
		}
		s.advanced = t
	}
	i := int(reassembly.FlowHash(seg.Net, seg.TCP.TransportFlow()) % uint64(s.workers))
	b := s.get(i)
	if len(b.items) == 0 && s.stream {
		b.first = time.Now()
	}
	off := len(b.slab)
	b.slab = append(b.slab, seg.TCP.Contents...)
	b.slab = append(b.slab, seg.TCP.Payload...)
	ci := seg.CI
	ci.AncillaryData = nil
	b.items = append(b.items, batchItem{ci: ci, net: seg.Net, off: off, n: len(b.slab) - off})
	if len(b.items) == batchPackets || len(b.slab) >= batchBytes-64<<10 ||
		(s.stream && time.Since(b.first) > batchAge) {
		s.send(i)
	}
}

func (s *sharded) finish() reassembly.Stats {
	for i := range s.cur {
		s.send(i)
		close(s.inbox[i])
	}
	s.wg.Wait()
	close(s.results)
	return <-s.merged
}

func runWorker(id int, cfg Config, in <-chan *batch, free chan<- *batch, results chan<- progress) {
	conv := report.NewConverter(cfg.Detail)
	var rows []*report.Row
	asm := reassembly.New(assemblerOptions(cfg, cfg.Workers), func(r *reassembly.Result) {
		if r.Conn.IsTLS() {
			rows = append(rows, rowOf(conv, r))
		}
	})
	var tcp layers.TCP
	var last time.Time
	hand := func(final bool) {
		results <- progress{worker: id, rows: rows, limit: releaseLimit(asm, last), final: final, stats: asm.Stats()}
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
		hand(false)
	}
	asm.Close()
	last = time.Time{}
	hand(true)
}
