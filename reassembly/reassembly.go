// Package reassembly is tlsscan's TCP layer: it drives gopacket's
// reassembly with capture timestamps and feeds each direction's in-order
// bytes to a tlsparse.Conn, one per connection.
//
// It fetches what gopacket has in order and hands all of it to the parser,
// which holds a record cut by a segment boundary itself (within the run's
// tlsparse.Budget) rather than have gopacket KeepFrom it: gopacket re-copies
// kept bytes with every new segment, quadratic for bytes sent one per
// segment. On a gap it stops parsing that direction rather than guess where
// the next record starts. Once a direction can no
// longer change the verdicts its payload is not fetched (no copy); only its
// FIN/RST matters.
//
// Ownership: the bytes handed to tlsparse are gopacket's and are reused once
// ReassembledSG returns; tlsparse copies what it keeps.
package reassembly

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	gpr "github.com/gopacket/gopacket/reassembly"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// Options tune the assembler. The zero value is usable.
type Options struct {
	Parse tlsparse.Options
	// IdleTimeout closes a connection that has seen no packet for this long
	// in capture time (Zeek's tcp_inactivity_timeout is 5 minutes too).
	IdleTimeout time.Duration
	// MaxBufferedPages bounds out-of-order segments held, in gopacket pages
	// (about 1.9 KB each), per connection and in total.
	MaxPagesPerConn, MaxPagesTotal int
	// MaxConns bounds the connections tracked at once; past it the least
	// recently active are evicted (and counted). 0 means DefaultMaxConns.
	MaxConns int
	// MaxBuffered bounds the bytes the TLS parsers of all connections hold
	// (records cut by segment ends, messages that span records): the
	// Assembler's tlsparse.Budget. 0 means tlsparse.DefaultBudget.
	MaxBuffered int64
}

// Defaults. Each bounds memory or latency; see README "Limits".
const (
	DefaultIdleTimeout     = 5 * time.Minute
	DefaultMaxPagesPerConn = 256  // ~0.5 MB of out-of-order data per connection
	DefaultMaxPagesTotal   = 8192 // ~16 MB over all connections
	// DefaultMaxConns keeps the connection table near 100 MB in the worst
	// case (a SYN flood); a busy server's capture has far fewer
	// connections open at one moment.
	DefaultMaxConns = 100_000
	// DefaultMaxBuffered is the TLS parsers' buffer budget (MaxBuffered).
	DefaultMaxBuffered = tlsparse.DefaultBudget
	// flushEvery is how often, in capture time, idle connections are
	// looked for.
	flushEvery = 10 * time.Second
)

// Result is one connection, handed over once its handshake is decided
// (completed, failed, or both directions done) or when it ends.
type Result struct {
	// First and Last are the capture times of its first and last packet.
	First, Last time.Time
	// Seen is the latest capture time the Assembler had been given (by
	// Add or Tick) when the connection began: First, unless capture time
	// had gone back. It does not depend on how connections are sharded
	// when every Assembler is ticked with the capture's latest time.
	Seen time.Time
	// Addr[h] is the sender of half h; half 0 sent the first packet.
	Addr [2]netip.AddrPort
	// Conn holds the TLS state; Conn.Summary gives the verdicts.
	Conn *tlsparse.Conn
	// Order is the connection's creation order, a tie-breaker.
	Order uint64
	// Evicted is set when the connection budget forced it out before
	// it was decided.
	Evicted bool
	// From is where the connection's first packet was read (AddFrom).
	From Origin
}

// Origin is where a packet was read: the capture file (as named by the
// user) and the packet's 1-based number in it, tshark's frame number.
type Origin struct {
	File   string
	Packet uint64
}

// Stats are the assembler's counters.
type Stats struct {
	TCPConns uint64 // connections seen
	Idle     uint64 // closed by the idle timeout, not by FIN/RST
	Evicted  uint64 // forced out by MaxConns
	Oversize uint64 // connections that stopped buffering at MaxBuffered
	Watched  uint64 // connections read past gopacket for the renegotiation watch (startWatch)
}

// Add counts o into s: the counters of several Assemblers (-j workers,
// the lanes of a fanout group) as one.
func (s *Stats) Add(o Stats) {
	s.TCPConns += o.TCPConns
	s.Idle += o.Idle
	s.Evicted += o.Evicted
	s.Oversize += o.Oversize
	s.Watched += o.Watched
}

// Assembler turns TCP segments into Results. Not safe for concurrent use;
// shard connections across several Assemblers for parallelism.
type Assembler struct {
	opts      Options
	pool      *gpr.StreamPool
	asm       *gpr.Assembler
	emit      func(*Result)
	stats     Stats
	lastFlush time.Time
	nextFlush time.Time // lastFlush + flushEvery
	now       time.Time // the latest time given to Tick (Result.Seen)
	ctx       context
	origin    Origin     // of the packet being added, for a connection it opens
	rev       layers.TCP // scratch for closeReverse and drop
	// synth is set while rstAt feeds gopacket a RST of its own making;
	// reset is the stream whose half the packet being added reset (a RST
	// gopacket honours: at the half's next sequence number), nil if none.
	synth bool
	reset *stream
	// done holds the connections already emitted, keyed by gopacket's
	// own (network, transport) flow pair in the orientation first seen;
	// their packets bypass gopacket (see Add). toDrop lists streams
	// emitted during the current AssembleWithContext, to be removed from
	// gopacket once it returns (its connection lock is held until then).
	done     map[uint64]*doneConn
	toDrop   []*stream
	toWatch  []*stream // streams to move to the watch during the current AssembleWithContext
	watched  int       // entries of done with a watched stream
	open     int       // streams created and not yet complete
	live     []*stream // the open streams, in no order (index in stream.slot)
	pending  []*stream // streams not yet emitted, in creation order (head first)
	head     int
	settled  int // emitted streams still in pending
	evicting bool
	idling   bool // inside Tick's flush: completions are idle closures
}

// New returns an Assembler that calls emit once for every connection, when
// it ends (both sides closed, idle timeout, or Close).
func New(opts Options, emit func(*Result)) *Assembler {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.MaxPagesPerConn <= 0 {
		opts.MaxPagesPerConn = DefaultMaxPagesPerConn
	}
	if opts.MaxPagesTotal <= 0 {
		opts.MaxPagesTotal = DefaultMaxPagesTotal
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.Parse.Budget == nil {
		opts.Parse.Budget = tlsparse.NewBudget(opts.MaxBuffered)
	}
	a := &Assembler{opts: opts, emit: emit}
	a.pool = gpr.NewStreamPool(&factory{a: a})
	a.asm = gpr.NewAssembler(a.pool)
	a.asm.MaxBufferedPagesPerConnection = opts.MaxPagesPerConn
	a.asm.MaxBufferedPagesTotal = opts.MaxPagesTotal
	return a
}

// context carries the capture info into gopacket without an allocation per
// packet (AssembleWithContext takes an interface).
type context struct{ ci gopacket.CaptureInfo }

func (c *context) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

// Add feeds one TCP segment. tcp.Payload must stay valid until Add returns.
func (a *Assembler) Add(net gopacket.Flow, tcp *layers.TCP, ci gopacket.CaptureInfo) {
	a.AddFrom(net, tcp, ci, Origin{})
}

// AddFrom is Add for a packet read at o, which a connection it opens
// keeps as Result.From.
func (a *Assembler) AddFrom(net gopacket.Flow, tcp *layers.TCP, ci gopacket.CaptureInfo, o Origin) {
	// Idle connections are closed before the packet is assembled, so the
	// outcome depends only on the packet's own time, not on which other
	// packets this Assembler happened to see: a run sharded over several
	// Assemblers (-j) decides exactly as one does.
	a.Tick(ci.Timestamp)
	if len(a.done) > 0 && a.bypass(net, tcp, ci.Timestamp) {
		return
	}
	a.ctx.ci = ci
	a.origin = o
	a.reset = nil
	a.asm.AssembleWithContext(net, tcp, &a.ctx)
	if a.reset != nil {
		a.reset = nil
		a.closeReverse(net, tcp)
	}
	if len(a.toDrop) > 0 {
		a.dropEmitted()
	}
	if len(a.toWatch) > 0 {
		a.startWatch()
	}
	if a.open > a.opts.MaxConns {
		a.evict(ci.Timestamp)
	}
}

// Tick closes the connections idle for IdleTimeout, checking at fixed
// boundaries of capture time (multiples of flushEvery): at the first call
// past a boundary b it closes those last seen before b - IdleTimeout. Add
// calls it with capture time; a live capture also calls it with the wall
// clock while no packet arrives.
func (a *Assembler) Tick(now time.Time) {
	if now.After(a.now) {
		a.now = now
	}
	// Nothing is due before the next multiple of flushEvery (Truncate on
	// every packet was 6% of a bulk run's workers).
	if now.Before(a.nextFlush) {
		return
	}
	b := now.Truncate(flushEvery)
	if !b.After(a.lastFlush) {
		return
	}
	if !a.lastFlush.IsZero() {
		cut := b.Add(-a.opts.IdleTimeout)
		a.idling = true
		a.asm.FlushCloseOlderThan(cut)
		a.idling = false
		for k, d := range a.done {
			if d.last.Before(cut) && d.watch == nil {
				delete(a.done, k)
			}
		}
		for _, s := range a.watchedIdle(cut) {
			a.endWatch(s)
			delete(a.done, FlowHash(s.key[0], s.key[1]))
		}
	}
	a.lastFlush, a.nextFlush = b, b.Add(flushEvery)
}

// keepIdled remembers a connection the idle timeout closes with its
// handshake undecided, as if emitted, so that its packets after a pause
// (a clock jump forward) take the bypass instead of starting a second row
// for it midstream. The entry lasts an idle timeout from the Tick that
// closed it (a.now: the capture's latest time, the same whatever -j is).
func (a *Assembler) keepIdled(s *stream) {
	if a.done == nil {
		a.done = make(map[uint64]*doneConn)
	}
	a.done[FlowHash(s.key[0], s.key[1])] = newDoneConn(s.key, a.now)
}

// doneConn is what is left of an emitted connection: enough to see it end.
// Or, with watch set, of a connection not yet emitted whose handshake is
// over but for the renegotiation watch (tlsparse.Conn.Watching): its
// in-order payload is fed to the Conn here, without gopacket.
type doneConn struct {
	key   [2]gopacket.Flow // gopacket's key, in half 0's orientation
	rkey  [2]gopacket.Flow // the same, reversed: no Reverse per packet
	last  time.Time
	fin   uint8   // bit 0: FIN from the key's source side, bit 1: from the other
	watch *stream // the watched stream, nil once emitted
	next  [2]uint32
	queue [2][]heldSeg // watched: segments ahead of next, waiting
}

func newDoneConn(key [2]gopacket.Flow, last time.Time) *doneConn {
	return &doneConn{key: key, rkey: [2]gopacket.Flow{key[0].Reverse(), key[1].Reverse()}, last: last}
}

// FlowHash is the same for both directions of a connection: gopacket's
// FastHash is symmetric in each flow. One lookup serves either direction,
// and the pipeline shards connections over assemblers by it (-j), so a
// connection's packets all reach the assembler that owns it.
func FlowHash(net, transport gopacket.Flow) uint64 {
	return net.FastHash() ^ transport.FastHash()*0x9E3779B97F4A7C15
}

// bypass handles a packet of a connection already emitted, without
// gopacket: after its handshake is decided a connection's payload can
// change nothing, so reassembling it (and taking gopacket's locks and
// lookups) would be pure cost; bulk transfers are almost all such packets.
// It reports whether the packet was consumed. A SYN opening a new
// connection on the same ports ends the old entry and goes on to gopacket.
func (a *Assembler) bypass(net gopacket.Flow, tcp *layers.TCP, now time.Time) bool {
	tr := tcp.TransportFlow()
	h := FlowHash(net, tr)
	d, ok := a.done[h]
	if !ok {
		return false
	}
	var bit uint8
	switch {
	case d.key[0] == net && d.key[1] == tr:
		bit = 1
	case d.rkey[0] == net && d.rkey[1] == tr:
		bit = 2
	default:
		return false // another connection with the same hash: gopacket's
	}
	if d.watch != nil {
		return a.watchPacket(h, d, int(bit-1), tcp, now)
	}
	switch {
	case tcp.SYN && !tcp.ACK:
		delete(a.done, h)
		return false
	case tcp.RST:
		delete(a.done, h)
	case tcp.FIN:
		if d.fin |= bit; d.fin == 3 {
			delete(a.done, h)
		}
	}
	if now.After(d.last) {
		d.last = now
	}
	return true
}

// startWatch moves the streams that only watch for a renegotiation
// (tlsparse.Conn.Watching) out of gopacket into the watch: their packets
// take the bypass, which feeds in-order payload straight to the Conn. A
// connection is watched for at most 64 KiB a direction past its Finished
// (tlsparse), so this is short; but reassembling those packets through
// gopacket doubled the packets it handled per TLS 1.2 connection and cost
// a quarter of a handshake-heavy run (BENCHMARKS.md). At most MaxConns
// connections are watched at once; past that a connection is emitted
// without the watch.
func (a *Assembler) startWatch() {
	list := a.toWatch
	a.toWatch = a.toWatch[:0]
	for _, s := range list {
		if s.emitted || s.watch != nil {
			continue
		}
		h := FlowHash(s.key[0], s.key[1])
		if _, taken := a.done[h]; taken || a.watched >= a.opts.MaxConns {
			s.maybeEmit(true)
			a.toDrop = append(a.toDrop, s)
			continue
		}
		if a.done == nil {
			a.done = make(map[uint64]*doneConn)
		}
		d := newDoneConn(s.key, s.res.Last)
		d.watch, d.next = s, [2]uint32{s.base[0] + s.fed[0], s.base[1] + s.fed[1]}
		a.done[h] = d
		a.watched++
		a.stats.Watched++
		s.watch = d
		a.closeInGopacket(s)
	}
	clear(list)
	if len(a.toDrop) > 0 {
		a.dropEmitted()
	}
}

// watchPacket is bypass for a watched connection: in-order payload goes
// to the Conn; a segment ahead of the next byte waits in a small queue
// (watchQueue segments a direction) for the bytes before it, and a hole
// the queue cannot bridge ends the watch of that direction (Gap); FIN ends
// a half once the bytes before it are in, and a RST exactly at the next
// sequence number ends both (RFC 5961, as on the gopacket path). Once the
// Conn is Decided the row goes out and the entry becomes an emitted
// connection's. A SYN on the same ports (a new connection) ends it too,
// and goes on to gopacket.
func (a *Assembler) watchPacket(key uint64, d *doneConn, h int, tcp *layers.TCP, now time.Time) bool {
	s := d.watch
	if now.After(d.last) {
		d.last = now
	}
	if now.After(s.res.Last) {
		s.res.Last = now
	}
	if tcp.SYN && !tcp.ACK {
		a.endWatch(s)
		delete(a.done, key)
		return false
	}
	conn := s.conn
	rst := tcp.RST && tcp.Seq == d.next[h]
	if len(tcp.Payload) > 0 || tcp.FIN {
		if int32(tcp.Seq-d.next[h]) > 0 {
			if tcp.FIN {
				// The sender is done and the bytes before its FIN
				// were not captured: they are lost, not late.
				conn.Gap(h)
				conn.Close(h, 0)
				d.fin |= 1 << h
				d.queue[h] = nil
			} else if len(d.queue[h]) < watchQueue {
				d.queue[h] = append(d.queue[h], heldSeg{tcp.Seq, bytes.Clone(tcp.Payload)})
			} else {
				conn.Gap(h)
				d.queue[h] = nil
				d.next[h] = tcp.Seq + uint32(len(tcp.Payload))
			}
		} else {
			d.take(conn, h, tcp.Seq, tcp.Payload, tcp.FIN)
		}
		for d.drain(conn, h) {
		}
	}
	if rst {
		conn.Close(0, 0)
		conn.Close(1, 0)
	}
	if conn.Decided() {
		a.endWatch(s)
		if rst || d.fin == 3 {
			delete(a.done, key)
		}
	}
	return true
}

// watchQueue bounds the out-of-order segments a watched direction holds.
const watchQueue = 16

// heldSeg is a watched segment that came before the bytes ahead of it
// (never a FIN: one ahead of a hole ends the half at once).
type heldSeg struct {
	seq  uint32
	data []byte
}

// take feeds the part of a segment at or before the next byte that is
// new, and a FIN.
func (d *doneConn) take(conn *tlsparse.Conn, h int, seq uint32, p []byte, fin bool) {
	if off := int(d.next[h] - seq); off < len(p) {
		if conn.Wants(h) {
			conn.Feed(h, p[off:])
		}
		d.next[h] += uint32(len(p) - off)
	}
	if fin && d.fin&(1<<h) == 0 {
		conn.Close(h, 0)
		d.fin |= 1 << h
		d.next[h]++
	}
}

// drain feeds one held segment that the bytes in now reach, and reports
// whether it did.
func (d *doneConn) drain(conn *tlsparse.Conn, h int) bool {
	for i, q := range d.queue[h] {
		if int32(q.seq-d.next[h]) <= 0 {
			d.queue[h] = slices.Delete(d.queue[h], i, i+1)
			d.take(conn, h, q.seq, q.data, false)
			return true
		}
	}
	return false
}

// endWatch emits a watched stream's row; its entry in done stays, as an
// emitted connection's, unless the caller deletes it.
func (a *Assembler) endWatch(s *stream) {
	d := s.watch
	if d == nil {
		return
	}
	d.watch, s.watch = nil, nil
	d.queue = [2][]heldSeg{}
	a.watched--
	s.maybeEmit(true)
}

// dropEmitted moves the streams emitted during the last packet out of
// gopacket: a RST into each half closes both halves (ReassemblyComplete
// follows), and later packets take the bypass.
func (a *Assembler) dropEmitted() {
	drop := a.toDrop
	a.toDrop = a.toDrop[:0]
	for _, s := range drop {
		if a.done == nil {
			a.done = make(map[uint64]*doneConn)
		}
		// A hash collision with another emitted connection replaces
		// it: that one loses the bypass, its later packets go through
		// gopacket as a connection without hello, which makes no row.
		a.done[FlowHash(s.key[0], s.key[1])] = newDoneConn(s.key, s.res.Last)
		a.closeInGopacket(s)
	}
	clear(drop)
}

// closeInGopacket ends both halves of s in gopacket with RSTs of our own
// (ReassemblyComplete follows): later packets take the bypass.
func (a *Assembler) closeInGopacket(s *stream) {
	for h := range 2 {
		if s.complete {
			break
		}
		net, tr := s.key[0], s.key[1]
		if h == 1 {
			net, tr = net.Reverse(), tr.Reverse()
		}
		src, dst := tr.Endpoints()
		a.rstAt(net, binary.BigEndian.Uint16(src.Raw()), binary.BigEndian.Uint16(dst.Raw()))
	}
}

// rstAt closes the half (net, sport->dport) with a bare RST of its own.
// gopacket honours a RST only at the half's next sequence number (RFC
// 5961), which the packets do not always tell (bytes lost, data queued out
// of order, a half never seen); stream.Accept, which gopacket hands that
// number, puts the RST there (a.synth), so the half always closes.
func (a *Assembler) rstAt(net gopacket.Flow, sport, dport uint16) {
	var hdr [20]byte
	binary.BigEndian.PutUint16(hdr[0:], sport)
	binary.BigEndian.PutUint16(hdr[2:], dport)
	hdr[12] = 5 << 4 // data offset: 5 words
	hdr[13] = 0x04   // RST
	a.rev.Payload = nil
	if a.rev.DecodeFromBytes(hdr[:], gopacket.NilDecodeFeedback) != nil {
		return
	}
	a.synth = true
	a.asm.AssembleWithContext(net, &a.rev, &a.ctx)
	a.synth = false
}

// closeReverse ends the other half of a connection that one side reset.
// A RST ends the whole connection, with or without ACK, but gopacket
// closes only the half that sent it; the other half would wait for the
// idle timeout, holding memory, and the next SYN on the same ports (a
// client reusing its port, or retransmitting the SYN it reset) would be
// dropped as a SYN on an open connection, losing that connection's row.
// Called only for a RST gopacket honoured (see stream.Accept): an
// out-of-window or in-window-but-inexact RST ends nothing, as in a stack
// that follows RFC 5961.
func (a *Assembler) closeReverse(net gopacket.Flow, rst *layers.TCP) {
	a.rstAt(net.Reverse(), uint16(rst.DstPort), uint16(rst.SrcPort))
}

// evict closes the least recently active connections until the table is
// back under 90% of MaxConns. gopacket can only close by age, so the age
// cutoff is read off a sample of the open connections' last-packet times:
// one pass to sample, one flush per try, rather than a scan per guess.
func (a *Assembler) evict(now time.Time) {
	a.evicting = true
	defer func() { a.evicting = false }()
	target := a.opts.MaxConns * 9 / 10
	const samples = 512
	var seen [samples]time.Time
	for try := 0; a.open > target && try < 4; try++ {
		n := min(samples, len(a.live))
		step := len(a.live) / n
		for i := range n {
			seen[i] = a.live[i*step].res.Last
		}
		sample := seen[:n]
		slices.SortFunc(sample, time.Time.Compare)
		// The share to evict, plus a margin that grows with each try
		// (ties in last-seen times make one cutoff take fewer).
		q := (a.open - target) * n / a.open
		q = min(n-1, q+(try+1)*n/16)
		cut := sample[q].Add(time.Nanosecond)
		if try == 3 {
			cut = now.Add(time.Nanosecond)
		}
		a.asm.FlushCloseOlderThan(cut)
	}
}

// Close flushes every open connection (the capture ended) and emits it,
// the watched ones (startWatch) in the order they began.
func (a *Assembler) Close() {
	a.asm.FlushAll()
	for _, s := range a.watchedIdle(time.Time{}) {
		a.endWatch(s)
	}
}

// watchedIdle lists the watched streams last seen before cut (all of
// them for a zero cut), in pending order: which rows come out first must
// not depend on map order. It is a copy: emitting compacts a.pending.
func (a *Assembler) watchedIdle(cut time.Time) []*stream {
	if a.watched == 0 {
		return nil
	}
	var out []*stream
	for _, s := range a.pending[a.head:] {
		if s != nil && s.watch != nil && (cut.IsZero() || s.watch.last.Before(cut)) {
			out = append(out, s)
		}
	}
	return out
}

// Stats returns the counters so far.
func (a *Assembler) Stats() Stats {
	s := a.stats
	s.Oversize = a.opts.Parse.Budget.Cut()
	return s
}

// Open is the number of connections tracked now, watched ones included.
func (a *Assembler) Open() int { return a.open + a.watched }

// ConnCost is about what one tracked connection costs in memory: the
// stream, its tlsparse.Conn and gopacket's connection state.
const ConnCost = 1 << 10

// Held estimates the memory the Assembler must keep now: the TLS buffers
// its parsers hold (the Budget's) and its tracked connections. A caller
// that sets a soft memory limit adds it to what the rest of the process
// needs, so that the limit follows what the run must keep.
func (a *Assembler) Held() int64 {
	return a.opts.Parse.Budget.Used() + int64(a.Open())*ConnCost
}

// Watermark is the Seen time of the oldest connection not yet emitted
// (its first-packet time while capture time runs forward): no connection
// still to be emitted began when the capture had reached an earlier time.
// ok is false when every connection has been emitted.
func (a *Assembler) Watermark() (t time.Time, ok bool) {
	for a.head < len(a.pending) && a.pending[a.head].emitted {
		a.pending[a.head] = nil
		a.head++
		a.settled--
	}
	a.trimPending()
	if a.head == len(a.pending) {
		return time.Time{}, false
	}
	return a.pending[a.head].res.Seen, true
}

type factory struct{ a *Assembler }

func (f *factory) New(net, transport gopacket.Flow, tcp *layers.TCP, ac gpr.AssemblerContext) gpr.Stream {
	if !tcp.SYN && len(tcp.Payload) == 0 {
		// A bare ACK, FIN or RST on an unknown 4-tuple is the tail of a
		// connection already closed (the last ACK after FIN-FIN) or of
		// one that started before the capture. Tracking it would create
		// a ghost connection that swallows the next SYN on the same
		// ports (gopacket drops a SYN on a synchronised half) and holds
		// rows back until it idles out. Returning nil makes gopacket
		// ignore the packet.
		return nil
	}
	a := f.a
	a.stats.TCPConns++
	s := &stream{a: a, initiator: -1, key: [2]gopacket.Flow{net, transport}}
	s.res.Order = a.stats.TCPConns
	src, _ := netip.AddrFromSlice(net.Src().Raw())
	dst, _ := netip.AddrFromSlice(net.Dst().Raw())
	s.res.Addr[0] = netip.AddrPortFrom(src.Unmap(), uint16(tcp.SrcPort))
	s.res.Addr[1] = netip.AddrPortFrom(dst.Unmap(), uint16(tcp.DstPort))
	s.res.First = ac.GetCaptureInfo().Timestamp
	s.res.From = a.origin
	s.res.Last = s.res.First
	s.res.Seen = s.res.First
	if a.now.After(s.res.Seen) {
		s.res.Seen = a.now
	}
	a.open++
	s.slot = len(a.live)
	a.live = append(a.live, s)
	a.pending = append(a.pending, s)
	return s
}

// stream is one connection as gopacket sees it.
type stream struct {
	a        *Assembler
	conn     *tlsparse.Conn
	res      Result
	rst      bool
	emitted  bool      // the result went out; conn is released
	watch    *doneConn // in the watch (startWatch): gopacket no longer has it
	complete bool

	// Where each half's stream began (the sequence number after its SYN,
	// or of its first segment) and the bytes gopacket delivered or
	// skipped since: the half's next sequence number, for the watch.
	base    [2]uint32
	baseSet [2]bool
	fed     [2]uint32
	slot    int // index in Assembler.live

	// For dropEmitted: gopacket's key for the connection (half 0's
	// orientation).
	key [2]gopacket.Flow

	// What is known before the first payload byte, when conn is made: a
	// SYN flood or a port scan never costs a TLS parser.
	initiator int8
	mid       [2]bool
}

// settle marks the stream emitted and keeps the pending list from pinning
// settled streams, whatever the oldest pending one is doing.
func (s *stream) settle() {
	s.emitted = true
	s.a.settled++
	s.a.trimPending()
}

// trimPending drops the dead entries of the pending list (the prefix that
// Watermark has passed, and settled streams behind its head) once they are
// half of it: amortised O(1) per stream, order kept.
func (a *Assembler) trimPending() {
	if n := len(a.pending); n <= 1024 || (a.head+a.settled)*2 <= n {
		return
	}
	live := a.pending[:0]
	for _, p := range a.pending[a.head:] {
		if !p.emitted {
			live = append(live, p)
		}
	}
	clear(a.pending[len(live):])
	a.pending, a.head, a.settled = live, 0, 0
}

// parser returns the connection's TLS state, making it on first use.
func (s *stream) parser() *tlsparse.Conn {
	if s.conn == nil {
		s.conn = tlsparse.NewConn(s.a.opts.Parse)
		s.res.Conn = s.conn
		if s.initiator >= 0 {
			s.conn.SetInitiator(int(s.initiator))
		}
		for h, m := range s.mid {
			if m {
				s.conn.SetMidstream(h)
			}
		}
	}
	return s.conn
}

// maybeEmit hands the result over once nothing more in the packets can
// change it, and drops the parser state: from here on the connection
// costs only gopacket's bookkeeping until it closes.
func (s *stream) maybeEmit(final bool) {
	if s.emitted {
		return
	}
	if s.conn == nil {
		// No payload yet: nothing to report, but the connection may
		// still start talking, unless this is the end.
		if final {
			s.settle()
		}
		return
	}
	if s.watch != nil {
		return // endWatch emits it
	}
	if !final && s.conn.Watching() {
		s.a.toWatch = append(s.a.toWatch, s)
		return
	}
	if !(final || s.conn.Decided() || s.conn.NotTLS()) {
		return
	}
	s.settle()
	s.res.Evicted = final && s.a.evicting
	s.a.emit(&s.res)
	s.conn.Release() // its buffers go back to the budget
	s.res.Conn, s.conn = nil, nil
	if !final {
		s.a.toDrop = append(s.a.toDrop, s)
	}
}

func half(dir gpr.TCPFlowDirection) int {
	if dir == gpr.TCPDirClientToServer {
		return 0
	}
	return 1
}

func (s *stream) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir gpr.TCPFlowDirection, nextSeq gpr.Sequence, start *bool, ac gpr.AssemblerContext) bool {
	if s.a.synth {
		// rstAt's RST: put it where gopacket honours it, the half's
		// next sequence number, or start a half never seen with it.
		if nextSeq == invalidSeq {
			*start = true
		} else {
			tcp.Seq = uint32(nextSeq)
		}
		return true
	}
	if ci.Timestamp.After(s.res.Last) {
		s.res.Last = ci.Timestamp
	}
	if tcp.RST && (nextSeq == invalidSeq || uint32(nextSeq) == tcp.Seq) {
		// A RST gopacket honours ends the connection: exactly at the
		// half's next sequence number (RFC 5961 3.2; Linux conntrack
		// closes only on such a RST too), or the first packet of a half
		// never seen (a RST refusing a SYN). Any other RST is dropped by
		// a real receiver, or answered with a challenge ACK, and the
		// connection goes on: it changes nothing here either.
		*start = true
		s.rst = true
		s.a.reset = s
	}
	if s.emitted {
		// Keep gopacket's sequence tracking (FIN/RST, port reuse) but
		// never start a half here: nothing will read it.
		return true
	}
	h := half(dir)
	if !s.baseSet[h] && (tcp.SYN || nextSeq == invalidSeq) {
		s.baseSet[h] = true
		s.base[h] = tcp.Seq
		if tcp.SYN {
			s.base[h]++
		}
	}
	if tcp.SYN && !tcp.ACK {
		s.initiator = int8(h)
		if s.conn != nil {
			s.conn.SetInitiator(h)
		}
	}
	if nextSeq == invalidSeq && !tcp.SYN && !*start {
		// The half's SYN was not captured: start from this segment
		// rather than wait for a SYN that will never come, and tell the
		// parser its first bytes may fall inside a record.
		*start = true
		s.mid[h] = true
		if s.conn != nil {
			s.conn.SetMidstream(h)
		}
	}
	return true
}

func (s *stream) ReassembledSG(sg gpr.ScatterGather, ac gpr.AssemblerContext) {
	if s.emitted || s.watch != nil {
		return // not fetched: no copy of payload nobody reads
	}
	dir, _, end, skip := sg.Info()
	h := half(dir)
	avail, _ := sg.Lengths()
	s.fed[h] += uint32(avail + max(skip, 0))
	if avail == 0 && s.conn == nil {
		return // a bare FIN/RST before any payload: nothing to parse
	}
	conn := s.parser()
	if skip > 0 {
		conn.Gap(h)
	}
	if avail > 0 && conn.Wants(h) {
		// Fetch copies only when the bytes span several segments; a
		// lone in-order segment is returned as is. Feed consumes all of
		// it, holding a record cut by the segment's end itself: no
		// KeepFrom, whose re-copy of the kept bytes with every new
		// segment made a flight sent a byte per segment cost quadratic
		// time.
		conn.Feed(h, sg.Fetch(avail))
	}
	if end {
		conn.Close(h, 0)
	}
	if s.rst {
		conn.Close(0, 0)
		conn.Close(1, 0)
	}
	s.maybeEmit(false)
}

func (s *stream) ReassemblyComplete(ac gpr.AssemblerContext) bool {
	if !s.complete {
		s.complete = true
		s.a.open--
		switch {
		case s.a.evicting:
			s.a.stats.Evicted++
		case s.a.idling:
			s.a.stats.Idle++
		}
		// Swap-remove from the table of open streams.
		live := s.a.live
		last := live[len(live)-1]
		live[s.slot], last.slot = last, s.slot
		live[len(live)-1] = nil
		s.a.live = live[:len(live)-1]
	}
	if s.a.idling && !s.emitted && s.conn != nil {
		s.a.keepIdled(s)
	}
	s.maybeEmit(true)
	return true
}

// invalidSeq is gopacket's unexported marker for "no sequence number yet"
// (reassembly.invalidSequence), passed to Accept before a half has started.
const invalidSeq gpr.Sequence = -1
