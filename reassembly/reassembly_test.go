package reassembly_test

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/internal/testkit"
	"github.com/tlsscan/tlsscan/pcaps/craft/craftlib"
	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// A tiny TCP conversation builder: segments with real sequence numbers,
// decoded through layers.TCP so gopacket's flows are set as in a capture.

var (
	cliIP = netip.MustParseAddr("192.0.2.1")
	srvIP = netip.MustParseAddr("192.0.2.2")
	t0    = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
)

type packet struct {
	net gopacket.Flow
	tcp *layers.TCP
	ci  gopacket.CaptureInfo
}

type conv struct {
	t       *testing.T
	cport   uint16
	seq     [2]uint32 // next sequence number of client (0) and server (1)
	now     time.Time
	packets []packet
	mss     int
}

func newConv(t *testing.T, cport uint16, start time.Time) *conv {
	return &conv{t: t, cport: cport, seq: [2]uint32{1000, 5000}, now: start, mss: 1400}
}

func (c *conv) add(from int, flags string, payload []byte) {
	c.t.Helper()
	src, dst := cliIP, srvIP
	sp, dp := c.cport, uint16(443)
	if from == 1 {
		src, dst, sp, dp = dst, src, dp, sp
	}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: c.seq[from], Ack: c.seq[1-from], Window: 65535}
	for _, f := range flags {
		switch f {
		case 'S':
			tcp.SYN = true
		case 'A':
			tcp.ACK = true
		case 'F':
			tcp.FIN = true
		case 'R':
			tcp.RST = true
		case 'P':
			tcp.PSH = true
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, tcp, gopacket.Payload(payload)); err != nil {
		c.t.Fatal(err)
	}
	var dec layers.TCP
	if err := dec.DecodeFromBytes(slices.Clone(buf.Bytes()), gopacket.NilDecodeFeedback); err != nil {
		c.t.Fatal(err)
	}
	n := uint32(len(payload))
	if tcp.SYN || tcp.FIN {
		n++
	}
	c.seq[from] += n
	c.now = c.now.Add(time.Millisecond)
	c.packets = append(c.packets, packet{
		net: gopacket.NewFlow(layers.EndpointIPv4, src.AsSlice(), dst.AsSlice()),
		tcp: &dec,
		ci:  gopacket.CaptureInfo{Timestamp: c.now, CaptureLength: len(payload) + 54, Length: len(payload) + 54},
	})
}

func (c *conv) open() {
	c.add(0, "S", nil)
	c.add(1, "SA", nil)
	c.add(0, "A", nil)
}

// send splits data into MSS-sized segments.
func (c *conv) send(from int, data []byte) {
	for len(data) > 0 {
		n := min(c.mss, len(data))
		c.add(from, "PA", data[:n])
		data = data[n:]
	}
}

func (c *conv) close() {
	c.add(0, "FA", nil)
	c.add(1, "FA", nil)
	c.add(0, "A", nil)
}

// handshake appends a whole TLS 1.2 handshake built by testkit.
func (c *conv) handshake(h *testkit.Handshake) {
	c.send(0, h.ClientHello())
	c.send(1, h.ServerFlight())
	c.send(0, h.ClientFlight())
	c.send(1, h.ServerFinish())
}

func plain12(t *testing.T, sni string) *testkit.Handshake {
	pki, err := craftlib.DefaultPKI()
	if err != nil {
		t.Fatal(err)
	}
	return craftlib.MutualTLS12(testkit.NewRNG(sni), pki, sni)
}

type collector struct {
	results []reassembly.Result
	sums    []tlsparse.Summary
}

func (col *collector) emit(r *reassembly.Result) {
	col.results = append(col.results, *r)
	col.sums = append(col.sums, r.Conn.Summary())
}

func run(t *testing.T, opts reassembly.Options, pkts []packet) *collector {
	t.Helper()
	col := &collector{}
	a := reassembly.New(opts, col.emit)
	for _, p := range pkts {
		a.Add(p.net, p.tcp, p.ci)
	}
	a.Close()
	return col
}

func tlsRows(col *collector) []tlsparse.Summary {
	var out []tlsparse.Summary
	for _, s := range col.sums {
		if s.SawHello {
			out = append(out, s)
		}
	}
	return out
}

func TestInOrderHandshake(t *testing.T) {
	c := newConv(t, 40000, t0)
	c.open()
	c.handshake(plain12(t, "inorder.test"))
	c.close()
	rows := tlsRows(run(t, reassembly.Options{}, c.packets))
	if len(rows) != 1 {
		t.Fatalf("got %d TLS results, want 1", len(rows))
	}
	s := rows[0]
	if s.SNI != "inorder.test" || s.ClientCert.String() != "sent" || !s.Established || s.Flags != 0 {
		t.Errorf("unexpected summary: %+v", s)
	}
}

// Reordering and retransmission must not change anything.
func TestReorderedSameAsInOrder(t *testing.T) {
	c := newConv(t, 40001, t0)
	c.mss = 300 // many segments per flight
	c.open()
	c.handshake(plain12(t, "reorder.test"))
	c.close()
	want := tlsRows(run(t, reassembly.Options{}, c.packets))

	pk := slices.Clone(c.packets)
	// Swap two pairs of data segments in the server flight and
	// retransmit one client segment.
	pk[6], pk[8] = pk[8], pk[6]
	pk[9], pk[10] = pk[10], pk[9]
	pk = slices.Insert(pk, 12, pk[3])
	got := tlsRows(run(t, reassembly.Options{}, pk))
	if len(got) != 1 || len(want) != 1 {
		t.Fatalf("rows: got %d, want %d", len(got), len(want))
	}
	g, w := got[0], want[0]
	if g.History != w.History || g.ClientCert != w.ClientCert || g.Established != w.Established || g.Flags != w.Flags {
		t.Errorf("reordered: %+v\nin order: %+v", g, w)
	}
}

// A lost client segment before its handshake ended: gap, and the client's
// answer becomes unknown rather than guessed.
func TestGapStopsDirection(t *testing.T) {
	c := newConv(t, 40002, t0)
	c.mss = 200
	c.open()
	h := plain12(t, "gap.test")
	c.send(0, h.ClientHello())
	c.send(1, h.ServerFlight())
	n := len(c.packets)
	c.send(0, h.ClientFlight())
	c.send(1, h.ServerFinish())
	c.close()
	pk := slices.Delete(slices.Clone(c.packets), n+1, n+2) // the client flight's second segment
	rows := tlsRows(run(t, reassembly.Options{}, pk))
	if len(rows) != 1 {
		t.Fatalf("got %d rows", len(rows))
	}
	if !rows[0].Flags.Has(tlsparse.FlagGap) || rows[0].ClientCert.String() != "unknown" {
		t.Errorf("want gap and client_cert unknown, got %+v", rows[0])
	}
}

// A capture that starts after the SYNs but at a record boundary: the
// connection is analysed and flagged partial.
func TestMidstreamStart(t *testing.T) {
	c := newConv(t, 40003, t0)
	c.open()
	c.handshake(plain12(t, "mid.test"))
	c.close()
	rows := tlsRows(run(t, reassembly.Options{}, c.packets[3:])) // no SYN, SYN-ACK, ACK
	if len(rows) != 1 {
		t.Fatalf("got %d rows", len(rows))
	}
	if !rows[0].Flags.Has(tlsparse.FlagPartial) || rows[0].SNI != "mid.test" {
		t.Errorf("want a partial row with the SNI, got %+v", rows[0])
	}
}

// The last ACK after FIN-FIN must not become a connection that swallows
// the next SYN on the same ports.
func TestPortReuseAfterClose(t *testing.T) {
	c := newConv(t, 40004, t0)
	c.open()
	c.handshake(plain12(t, "first.test"))
	c.close()
	c.seq = [2]uint32{90000, 70000}
	c.open()
	c.handshake(plain12(t, "second.test"))
	c.close()
	col := run(t, reassembly.Options{}, c.packets)
	rows := tlsRows(col)
	if len(rows) != 2 || rows[0].SNI != "first.test" || rows[1].SNI != "second.test" {
		t.Fatalf("want two rows first.test, second.test; got %+v", rows)
	}
	for _, r := range rows {
		if r.Flags != 0 {
			t.Errorf("%s: unexpected flags %v", r.SNI, r.Flags)
		}
	}
	if len(col.results) != 2 {
		t.Errorf("%d connections emitted, want 2 (a bare ACK created a ghost)", len(col.results))
	}
}

// Clients reuse ports right after a RST (OpenSSL's s_time does it
// constantly): the RST must end both halves, or the next SYN on the same
// ports is dropped as a SYN on an open connection and its row is lost.
func TestPortReuseAfterRST(t *testing.T) {
	c := newConv(t, 40010, t0)
	c.open()
	c.handshake(plain12(t, "first.test"))
	c.add(0, "RA", nil)
	c.seq = [2]uint32{90000, 70000}
	c.open()
	c.handshake(plain12(t, "second.test"))
	c.add(0, "RA", nil)
	col := &collector{}
	a := reassembly.New(reassembly.Options{}, col.emit)
	for _, p := range c.packets {
		a.Add(p.net, p.tcp, p.ci)
	}
	if a.Open() != 0 {
		t.Errorf("%d connections still open after both were reset", a.Open())
	}
	a.Close()
	rows := tlsRows(col)
	if len(rows) != 2 || rows[0].SNI != "first.test" || rows[1].SNI != "second.test" {
		t.Fatalf("want rows first.test and second.test, got %d: %+v", len(rows), rows)
	}
}

// Rows are released behind the watermark: the oldest connection not yet
// emitted.
func TestWatermark(t *testing.T) {
	col := &collector{}
	a := reassembly.New(reassembly.Options{}, col.emit)
	slow := newConv(t, 40005, t0)
	slow.open()
	h := plain12(t, "slow.test")
	slow.send(0, h.ClientHello())
	fast := newConv(t, 40006, t0.Add(time.Second))
	fast.open()
	fast.handshake(plain12(t, "fast.test"))
	fast.close() // decided: a TLS 1.2 connection is watched for a renegotiation until it ends
	for _, p := range append(slices.Clone(slow.packets), fast.packets...) {
		a.Add(p.net, p.tcp, p.ci)
	}
	if len(col.results) != 1 || col.sums[0].SNI != "fast.test" {
		t.Fatalf("the established connection should be emitted once decided, got %d results", len(col.results))
	}
	wm, ok := a.Watermark()
	if !ok || !wm.Equal(slow.packets[0].ci.Timestamp) {
		t.Errorf("watermark = %v, %v; want the slow connection's first packet %v", wm, ok, slow.packets[0].ci.Timestamp)
	}
	a.Close()
	if _, ok := a.Watermark(); ok {
		t.Error("watermark still pending after Close")
	}
	if len(col.results) != 2 || !col.sums[1].Flags.Has(tlsparse.FlagTruncated) {
		t.Errorf("the unfinished connection should come out truncated at Close: %+v", col.sums)
	}
}

// The connection budget holds: a SYN flood cannot grow the table past it.
func TestEvictionBoundsTable(t *testing.T) {
	col := &collector{}
	a := reassembly.New(reassembly.Options{MaxConns: 100}, col.emit)
	peak := 0
	for i := range 5000 {
		c := newConv(t, uint16(1024+i), t0.Add(time.Duration(i)*time.Millisecond))
		c.add(0, "S", nil)
		p := c.packets[0]
		a.Add(p.net, p.tcp, p.ci)
		peak = max(peak, a.Open())
	}
	if peak > 101 {
		t.Errorf("table reached %d connections with MaxConns 100", peak)
	}
	if a.Stats().Evicted == 0 || a.Stats().TCPConns != 5000 {
		t.Errorf("stats %+v: want evictions and 5000 connections", a.Stats())
	}
}

// Issue 4: no allocation per packet in steady state on the in-order path
// (an established connection moving data).
func TestSteadyStateAllocs(t *testing.T) {
	c := newConv(t, 40007, t0)
	c.open()
	c.handshake(plain12(t, "bulk.test"))
	a := reassembly.New(reassembly.Options{}, func(*reassembly.Result) {})
	for _, p := range c.packets {
		a.Add(p.net, p.tcp, p.ci)
	}
	// Application data packets, prepared in advance; each run sends the
	// next one with the right sequence number.
	const n = 2000
	rec := testkit.Record(testkit.ContentApplicationData, testkit.VersionTLS12, make([]byte, 1300))
	for range n + 200 {
		c.add(0, "PA", rec)
	}
	data := c.packets[len(c.packets)-(n+200):]
	i := 0
	allocs := testing.AllocsPerRun(n, func() {
		p := data[i]
		i++
		a.Add(p.net, p.tcp, p.ci)
	})
	if allocs != 0 {
		t.Errorf("%.2f allocations per in-order data packet, want 0", allocs)
	}
}

func BenchmarkAssembleInOrder(b *testing.B) {
	t := &testing.T{}
	c := newConv(t, 40008, t0)
	c.open()
	c.handshake(plain12(t, "bench.test"))
	a := reassembly.New(reassembly.Options{}, func(*reassembly.Result) {})
	for _, p := range c.packets {
		a.Add(p.net, p.tcp, p.ci)
	}
	rec := testkit.Record(testkit.ContentApplicationData, testkit.VersionTLS12, make([]byte, 1300))
	for range b.N {
		c.add(0, "PA", rec)
	}
	data := c.packets[len(c.packets)-b.N:]
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p := data[i]
		a.Add(p.net, p.tcp, p.ci)
	}
}

func BenchmarkHandshake(b *testing.B) {
	t := &testing.T{}
	var pkts []packet
	for i := range b.N {
		c := newConv(t, uint16(1024+i%60000), t0.Add(time.Duration(i)*time.Millisecond))
		c.seq = [2]uint32{uint32(i) * 100000, uint32(i) * 300000}
		c.open()
		c.handshake(plain12(t, "hs.test"))
		c.close()
		pkts = append(pkts, c.packets...)
	}
	a := reassembly.New(reassembly.Options{}, func(*reassembly.Result) {})
	b.ReportAllocs()
	b.ResetTimer()
	for _, p := range pkts {
		a.Add(p.net, p.tcp, p.ci)
	}
	a.Close()
}

// The idle timer closes a connection silent for IdleTimeout of capture
// time, and counts it once (gopacket closes it half by half).
func TestIdleClosureCounted(t *testing.T) {
	col := &collector{}
	a := reassembly.New(reassembly.Options{}, col.emit)
	slow := newConv(t, 40020, t0)
	slow.open()
	slow.send(0, plain12(t, "idle.test").ClientHello())
	later := newConv(t, 40021, t0.Add(reassembly.DefaultIdleTimeout+time.Minute))
	later.open()
	for _, p := range append(slices.Clone(slow.packets), later.packets...) {
		a.Add(p.net, p.tcp, p.ci)
	}
	if got := a.Stats().Idle; got != 1 {
		t.Errorf("Stats().Idle = %d, want 1 (the silent connection, once)", got)
	}
	if len(col.results) != 1 || col.sums[0].SNI != "idle.test" || !col.sums[0].Flags.Has(tlsparse.FlagTruncated) {
		t.Errorf("the idle connection should be emitted, truncated: %+v", col.sums)
	}
}
