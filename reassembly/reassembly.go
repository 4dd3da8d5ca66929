// Package reassembly is tlsscan's TCP layer: it drives gopacket's
// reassembly with capture timestamps and feeds each direction's in-order
// bytes to a tlsparse.Conn, one per connection.
//
// It follows the pattern of gopacket's own reassembly examples for a
// length-prefixed protocol: fetch what is there, let the parser consume whole
// records, KeepFrom the unparsed tail; on a gap stop parsing that direction
// rather than guess where the next record starts. Once a direction can no
// longer change the verdicts its payload is not fetched (no copy); only its
// FIN/RST matters.
//
// Ownership: the bytes handed to tlsparse are gopacket's and are reused once
// ReassembledSG returns; tlsparse copies what it keeps.
package reassembly

import (
	"net/netip"
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
}

// Defaults. Each bounds memory or latency; see README "Limits".
const (
	DefaultIdleTimeout     = 5 * time.Minute
	DefaultMaxPagesPerConn = 256  // ~0.5 MB of out-of-order data per connection
	DefaultMaxPagesTotal   = 8192 // ~16 MB over all connections
	// flushEvery is how often, in capture time, idle connections are
	// looked for.
	flushEvery = 10 * time.Second
)

// Result is one connection, handed over when it ends.
type Result struct {
	// First and Last are the capture times of its first and last packet.
	First, Last time.Time
	// Addr[h] is the sender of half h; half 0 sent the first packet.
	Addr [2]netip.AddrPort
	// Conn holds the TLS state; Conn.Summary gives the verdicts.
	Conn *tlsparse.Conn
	// Order is the connection's creation order, a tie-breaker.
	Order uint64
}

// Stats are the assembler's counters.
type Stats struct {
	TCPConns uint64 // connections seen
	Idle     uint64 // closed by the idle timeout, not by FIN/RST
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
	ctx       context
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
	a.ctx.ci = ci
	a.asm.AssembleWithContext(net, tcp, &a.ctx)
	if ci.Timestamp.Sub(a.lastFlush) >= flushEvery || ci.Timestamp.Before(a.lastFlush) {
		if !a.lastFlush.IsZero() {
			_, closed := a.asm.FlushCloseOlderThan(ci.Timestamp.Add(-a.opts.IdleTimeout))
			a.stats.Idle += uint64(closed)
		}
		a.lastFlush = ci.Timestamp
	}
}

// Close flushes every open connection (the capture ended) and emits it.
func (a *Assembler) Close() { a.asm.FlushAll() }

// Stats returns the counters so far.
func (a *Assembler) Stats() Stats { return a.stats }

type factory struct{ a *Assembler }

func (f *factory) New(net, transport gopacket.Flow, tcp *layers.TCP, ac gpr.AssemblerContext) gpr.Stream {
	a := f.a
	a.stats.TCPConns++
	s := &stream{a: a, conn: tlsparse.NewConn(a.opts.Parse)}
	s.res.Order = a.stats.TCPConns
	s.res.Conn = s.conn
	src, _ := netip.AddrFromSlice(net.Src().Raw())
	dst, _ := netip.AddrFromSlice(net.Dst().Raw())
	s.res.Addr[0] = netip.AddrPortFrom(src.Unmap(), uint16(tcp.SrcPort))
	s.res.Addr[1] = netip.AddrPortFrom(dst.Unmap(), uint16(tcp.DstPort))
	s.res.First = ac.GetCaptureInfo().Timestamp
	s.res.Last = s.res.First
	return s
}

// stream is one connection as gopacket sees it.
type stream struct {
	a       *Assembler
	conn    *tlsparse.Conn
	res     Result
	begun   [2]bool // first bytes of the half delivered
	rst     bool
	emitted bool
}

func half(dir gpr.TCPFlowDirection) int {
	if dir == gpr.TCPDirClientToServer {
		return 0
	}
	return 1
}

func (s *stream) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir gpr.TCPFlowDirection, nextSeq gpr.Sequence, start *bool, ac gpr.AssemblerContext) bool {
	h := half(dir)
	if ci.Timestamp.After(s.res.Last) {
		s.res.Last = ci.Timestamp
	}
	if tcp.SYN && !tcp.ACK {
		s.conn.SetInitiator(h)
	}
	if tcp.RST {
		s.rst = true
	}
	if nextSeq == invalidSeq && !tcp.SYN && !*start {
		// The half's SYN was not captured: start from this segment
		// rather than wait for a SYN that will never come, and tell the
		// parser its first bytes may fall inside a record.
		*start = true
		s.conn.SetMidstream(h)
	}
	return true
}

func (s *stream) ReassembledSG(sg gpr.ScatterGather, ac gpr.AssemblerContext) {
	dir, _, end, skip := sg.Info()
	h := half(dir)
	avail, _ := sg.Lengths()
	if skip > 0 {
		s.conn.Gap(h)
	}
	if avail > 0 && s.conn.Wants(h) {
		// Fetch copies only when the bytes span several segments or
		// include kept bytes; a lone in-order segment is returned as is.
		data := sg.Fetch(avail)
		n := s.conn.Feed(h, data)
		if n < avail {
			sg.KeepFrom(n)
		}
		if end {
			s.conn.Close(h, avail-n)
		}
	} else if end {
		s.conn.Close(h, 0)
	}
	if s.rst {
		s.conn.Close(0, 0)
		s.conn.Close(1, 0)
	}
}

func (s *stream) ReassemblyComplete(ac gpr.AssemblerContext) bool {
	if !s.emitted {
		s.emitted = true
		s.a.emit(&s.res)
	}
	return true
}

// invalidSeq is gopacket's unexported marker for "no sequence number yet"
// (reassembly.invalidSequence), passed to Accept before a half has started.
const invalidSeq gpr.Sequence = -1
