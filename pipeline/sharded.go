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
// rank (ranked; no worker can still start or decide an earlier connection).
// Every worker's Assembler runs on the capture's latest time, not its own
// packets' (batchItem.latest, and a clock-only item to all workers at each
// whole second), so idle connections close at the same packet as in one
// Assembler however the capture's clock jumps. Output is byte-identical to
// -j 1, except when a budget (connections, buffered bytes) is exceeded:
// each worker has its share of it.
//
// Packets cross goroutines in batches: the source reuses its buffers, so
// the TCP bytes are copied once into the batch's slab. That copy is the
// price of parallelism; -j 1 (serial.go) goes without it. The loop's
// goroutine is the serial part, so it does as little as it can: the
// source leaves TCP headers undecoded (capture.RawTCP), the hash is taken
// from the addresses and raw ports, and each worker decodes its own.

const (
	batchPackets = 512
	batchBytes   = 1 << 20
	// batchAge bounds how long a live packet may wait in a half-full
	// batch: rows must appear within a second of the handshake.
	batchAge = 50 * time.Millisecond
)

// batchItem is one packet, or a clock-only item, as small as it can be
// (96 bytes, against 192 with a whole CaptureInfo, Origin and the latest
// time in each): the loop writes one and a worker reads it for every
// packet. The assembler reads nothing of the CaptureInfo but its
// Timestamp.
//
// The worker's Assembler is ticked with the capture time the loop had
// reached with each packet (latest: its own time or later), so idle
// connections close and Result.Seen reads as they would in a single
// Assembler that saw every packet. A packet older than latest is preceded
// by a clock-only item, which ticks the same as latest in the item would.
type batchItem struct {
	ts     time.Time // the packet's capture time; a clock-only item's: the loop's latest
	net    gopacket.Flow
	packet uint64 // Origin.Packet; Origin.File is the batch's
	off, n int32  // TCP header and payload in the batch's slab; n < 0: none, the clock alone
}

type batch struct {
	items []batchItem
	slab  []byte
	file  string    // the file of every packet in it (Origin.File); a new file starts a new batch
	tick  time.Time // live: wall-clock time to close idle connections at
	first time.Time // when the first item was added (wall clock)
	// barrier, when set, is told once the worker has handled the batch
	// (sharded.barrier).
	barrier *sync.WaitGroup
}

func (b *batch) reset() {
	b.items, b.slab, b.file = b.items[:0], b.slab[:0], ""
	b.tick, b.first = time.Time{}, time.Time{}
	b.barrier = nil
}

// progress is a worker's report after a batch.
type progress struct {
	worker int
	rows   []ranked
	// limit: no row this worker has yet to hand over sorts before it.
	limit time.Time
	final bool
	stats reassembly.Stats
}

// sharded is the back end of -j N: the dispatcher side runs in the loop's
// goroutine, the workers and the merger in their own.
type sharded struct {
	stream  bool
	workers int
	cur     []*batch // the batch being filled, per worker
	inbox   []chan *batch
	free    chan *batch
	results chan progress
	wg      sync.WaitGroup
	merged  chan reassembly.Stats // the merger's sum of the workers' counters
	// advanced is the capture time every worker was last moved to, next
	// advanced plus a second: until latest reaches next no worker needs
	// moving (Truncate on every packet was 7% of a bulk run).
	advanced, next time.Time
	latest         time.Time // the loop's latest capture time
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
		for _, rk := range p.rows {
			sink.push(rk)
		}
		limits[p.worker] = p.limit
		if p.final {
			finished[p.worker] = true
			finals++
			stats.Add(p.stats)
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

func (s *sharded) add(seg *capture.Segment, latest time.Time) {
	s.latest = latest
	// The cheap check first, Truncate only when a second may have passed;
	// at the zero time, or where sec+1s would saturate, next stays and the
	// exact check alone decides, as it did before next existed.
	if !latest.Before(s.next) {
		if sec := latest.Truncate(time.Second); sec.After(s.advanced) {
			// Move every worker's clock to the capture's, in order with its
			// packets, each time it passes a whole second: the idle timers
			// check at whole multiples of reassembly's flushEvery (10 s),
			// so every Assembler closes idle connections at the same packet,
			// with the same latest time, as a single one would. And a worker
			// that has had no packet lately does not hold rows back.
			for j := range s.cur {
				idle := s.cur[j] == nil
				b := s.get(j)
				b.items = append(b.items, batchItem{ts: latest, n: -1})
				if idle {
					s.send(j)
				}
			}
			s.advanced, s.next = sec, sec.Add(time.Second)
		}
	}
	// The source leaves the TCP header undecoded (capture.RawTCP): the
	// worker decodes it from the copy, and the hash needs only the ports.
	raw := rawTCP(seg)
	tr := gopacket.NewFlow(layers.EndpointTCPPort, raw[0:2], raw[2:4])
	i := int(reassembly.FlowHash(seg.Net, tr) % uint64(s.workers))
	b := s.get(i)
	if b.file != seg.File {
		if b.file != "" { // the batch has packets of the file before
			s.send(i)
			b = s.get(i)
		}
		b.file = seg.File
	}
	if len(b.items) == 0 && s.stream {
		b.first = time.Now()
	}
	if !latest.Equal(seg.CI.Timestamp) {
		b.items = append(b.items, batchItem{ts: latest, n: -1})
	}
	off := len(b.slab)
	b.slab = append(b.slab, raw...)
	b.items = append(b.items, batchItem{ts: seg.CI.Timestamp, net: seg.Net, packet: seg.Packet,
		off: int32(off), n: int32(len(b.slab) - off)})
	if len(b.items) >= batchPackets || len(b.slab) >= batchBytes-64<<10 ||
		(s.stream && time.Since(b.first) > batchAge) {
		s.send(i)
	}
}

// rawTCP is the segment's TCP header and payload: Segment.Raw, which
// capture's sources fill, or, from a Source that decodes only into
// Segment.TCP (Analyze takes any), a copy of its Contents and Payload.
func rawTCP(seg *capture.Segment) []byte {
	if seg.Raw != nil {
		return seg.Raw
	}
	return append(append([]byte(nil), seg.TCP.Contents...), seg.TCP.Payload...)
}

// barrier returns once every worker has handled every packet sent so
// far: what changes state that all workers share (a key log growing from
// a pcapng secrets block) then happens at the same point of the packets
// as in a single Assembler, so -j changes no row.
func (s *sharded) barrier() {
	var wg sync.WaitGroup
	wg.Add(s.workers)
	for i := range s.cur {
		s.get(i).barrier = &wg
		s.send(i)
	}
	wg.Wait()
}

func (s *sharded) held() int64 { return 0 } // each worker reports its own

func (s *sharded) finish() reassembly.Stats {
	for i := range s.cur {
		// Every worker reaches the capture's last time before its
		// connections are flushed: those idle by then close as idle,
		// as in a single Assembler.
		b := s.get(i)
		b.items = append(b.items, batchItem{ts: s.latest, n: -1})
		s.send(i)
		close(s.inbox[i])
	}
	s.wg.Wait()
	close(s.results)
	return <-s.merged
}

func runWorker(id int, cfg Config, in <-chan *batch, free chan<- *batch, results chan<- progress) {
	conv := report.NewConverter(cfg.Detail).WithRoots(cfg.CARoots)
	var rows []ranked
	asm := reassembly.New(assemblerOptions(cfg, cfg.Workers), func(r *reassembly.Result) {
		if r.Conn.IsTLS() {
			rows = append(rows, rankedRow(conv, r))
		}
	})
	var tcp layers.TCP
	var dec capture.TCPDecoder
	var last time.Time
	var held int64
	defer cfg.Progress.heldNote(0, &held)
	hand := func(final bool) {
		results <- progress{worker: id, rows: rows, limit: releaseLimit(asm, last), final: final, stats: asm.Stats()}
		rows = nil
	}
	for b := range in {
		for k := range b.items {
			it := &b.items[k]
			if it.ts.After(last) {
				last = it.ts
			}
			asm.Tick(it.ts)
			if it.n < 0 {
				continue // the clock alone (sharded.add)
			}
			if !dec.Decode(&tcp, b.slab[it.off:it.off+it.n]) {
				continue // cannot fail: capture made the same checks (capture.RawTCP)
			}
			asm.AddFrom(it.net, &tcp, gopacket.CaptureInfo{Timestamp: it.ts}, reassembly.Origin{File: b.file, Packet: it.packet})
		}
		if !b.tick.IsZero() {
			asm.Tick(b.tick)
		}
		if b.barrier != nil {
			b.barrier.Done()
		}
		b.reset()
		free <- b
		cfg.Progress.heldNote(asm.Held(), &held)
		hand(false)
	}
	asm.Close()
	last = time.Time{}
	hand(true)
}
