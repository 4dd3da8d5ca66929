package craftlib

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// Sizes of the committed hostile captures; tests pass bigger ones to the
// same functions at run time.
const (
	SynFloodCommitted   = 20000
	HalfOpenCommitted   = 2000
	BigRecordsCommitted = 16      // records of 0xffff bytes: ~1 MB
	BigHandshakeSent    = 1 << 20 // bytes of the 16 MB message actually sent
)

func hostileItems() []Item {
	return []Item{
		{"hostile/syn-flood.pcap",
			fmt.Sprintf("%d SYNs from 198.18.0.1, distinct source ports 1024.., to 198.51.100.20:443; no answers, no data (craftlib.SynFlood(w, 1000000) makes the million-SYN variant)", SynFloodCommitted),
			"no TLS rows; every half-open TCP state bounded/evicted; no crash",
			func(*PKI) ([]byte, error) {
				return toBytes(func(w io.Writer) error { return SynFlood(w, SynFloodCommitted) })
			}},
		{"hostile/half-open.pcap",
			fmt.Sprintf("%d connections (198.18.0.1, ports 1024..): three-way handshake, then a ClientHello record whose header says 300 bytes of which only 100 are sent; no FIN (craftlib.HalfOpen)", HalfOpenCommitted),
			fmt.Sprintf("%d rows (or an eviction count), each without ServerHello, flag truncated; bounded memory", HalfOpenCommitted),
			func(*PKI) ([]byte, error) {
				return toBytes(func(w io.Writer) error { return HalfOpen(w, HalfOpenCommitted) })
			}},
		{"hostile/record-16mb.pcap",
			fmt.Sprintf("after a normal ClientHello and ServerHello, the server sends %d handshake records whose length field is 0xffff (the field's maximum, far past the 2^14+2048 limit), the first starting with a Certificate header claiming 0xffffff bytes (craftlib.BigRecords)", BigRecordsCommitted),
			"flag malformed (record overflow) or truncated, never an allocation of the claimed sizes; ClientHello and ServerHello still reported (TLSv1.2)",
			func(*PKI) ([]byte, error) {
				return toBytes(func(w io.Writer) error { return BigRecords(w, BigRecordsCommitted) })
			}},
		{"hostile/hs-16mb.pcap",
			"a server Certificate message header claiming 0xffffff bytes spread over 16 KB records; 1 MB actually sent, then FIN (craftlib.BigHandshake)",
			"flag truncated (or a size-limit flag), bounded memory; ClientHello and ServerHello still reported (TLSv1.2), server_certs unknown",
			func(*PKI) ([]byte, error) {
				return toBytes(func(w io.Writer) error { return BigHandshake(w, 0xffffff, BigHandshakeSent) })
			}},
		{"hostile/seq-wrap.pcap",
			"TLS 1.2 mTLS handshake whose server sequence numbers wrap past 2^32 inside the server's Certificate (inside its first 536-byte segment)",
			"TLSv1.2, full, cert_requested yes, client_cert sent, client_certs 1, server_certs 2, established, no gap flag",
			buildSeqWrap},
		{"hostile/port-reuse.pcap",
			"the same 4-tuple (192.0.2.10:50700 -> 198.51.100.20:443) carries two TLS 1.2 connections one after the other: FIN, then a new SYN with a new ISN (SNI first.example.test, whose server also sends NewSessionTicket, then second.example.test)",
			"two rows, first.example.test then second.example.test, both TLSv1.2, full, established",
			buildPortReuse},
		{"hostile/time-backwards.pcap",
			"TLS 1.2 handshake whose packet timestamps go backwards: the server flight is stamped an hour before the first packet, the client's second flight a day later, then time resumes",
			"one row, ts the first packet's (2024-01-01T00:00:00Z), no crash; warnings name packet 6 (an hour back) and packet 8 (a day forward); idle timers run on capture time, so the connection, idle for a day by the clock, is closed before packet 8: TLSv1.2, full, not established, flag truncated",
			buildTimeBackwards},
		{"hostile/snaplen-cut.pcap",
			"a TLS 1.2 mTLS handshake captured with snaplen 96: every packet cut at 96 bytes (caplen < len), so each segment keeps only its first 42 payload bytes",
			"flag truncated or gap (payload missing past the snap length), never bytes parsed from beyond caplen; no crash",
			buildSnaplenCut},
		{"hostile/caplen-too-big.pcap",
			"snaplen 65535; one good packet (a SYN), then a record header claiming caplen 262145 (and len 262145), followed by a few more packets' bytes",
			"a warning naming packet 2 (capture length exceeds snap length / too big) and no allocation of the claimed size; packet 1 counted; no crash",
			buildCaplenTooBig},
		{"hostile/pcapng-bad-blocks.pcapng",
			"pcapng holding a short TLS 1.2 handshake; after packet 3 an unknown block type 0x00000bad, after packet 6 an enhanced packet block whose leading and trailing total lengths disagree (the trailing one is 64 too big), after packet 9 an enhanced packet block whose captured length (4000) overruns its block",
			"warnings naming the bad blocks; the good packets before them are read; with the bad blocks skipped the row is TLSv1.2, full, established, else it is cut (truncated) where reading stopped",
			buildPcapngBadBlocks},
		{"hostile/gzip-short.pcap.gz",
			"gzip (stored deflate blocks of 4096 bytes) of a TLS 1.2 mTLS capture, cut at 60% of its length: no trailer, the last block incomplete",
			"a warning about the unexpected end of the gzip stream; the packets before the cut are read; row flagged truncated",
			buildGzipShort},
		{"hostile/not-a-capture.pcap",
			"a text file with a .pcap name",
			"an error naming the file (unknown file format); no rows; no crash",
			func(*PKI) ([]byte, error) {
				return []byte("This is not a capture file.\nIt is plain text with a .pcap name, to check that tlsscan\nrejects it with a clear message instead of crashing.\n"), nil
			}},
	}
}

func toBytes(f func(io.Writer) error) ([]byte, error) {
	var b bytes.Buffer
	err := f(&b)
	return b.Bytes(), err
}

// floodSource is the i-th source of a flood: distinct ports 1024..65535 on
// 198.18.0.1, then the next address of 198.18.0.0/15.
func floodSource(i int) testkit.Endpoint {
	const ports = 65536 - 1024
	a := 198<<24 | 18<<16 | uint32(1+i/ports)
	return testkit.Endpoint{MAC: ClientMAC, IP: netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), Port: uint16(1024 + i%ports)}
}

// SynFlood writes a pcap of n SYNs from distinct source (address, port)
// pairs to 198.51.100.20:443, 10 µs apart, nothing else.
func SynFlood(w io.Writer, n int) error {
	clock := testkit.NewClock()
	clock.Step = 10 * time.Microsecond
	pw, err := testkit.NewPcapWriter(w, layers.LinkTypeEthernet, 262144, clock)
	if err != nil {
		return err
	}
	for i := range n {
		src := floodSource(i)
		seg := &testkit.Segment{Src: src, Dst: ServerEP(), Seq: uint32(i) * 2654435761, Flags: testkit.SYN,
			Window: 64240, MSS: 1460, IPID: uint16(i)}
		if err := pw.WriteSegment(seg); err != nil {
			return err
		}
	}
	return nil
}

// HalfOpenClientHello is a ClientHello whose record is exactly 300 bytes of
// payload (305 on the wire), padded with the padding extension.
func HalfOpenClientHello(rng *testkit.RNG) []byte {
	ch := &testkit.ClientHello{Version: testkit.VersionTLS12, Random: rng.Bytes(32), SessionID: rng.Bytes(32),
		CipherSuites: []uint16{testkit.SuiteECDHEECDSAAES128GCM, testkit.SuiteECDHEECDSAAES256, testkit.SuiteRSAAES128SHA},
		Extensions: []testkit.Extension{testkit.ExtServerName("half-open.example.test"), testkit.ExtSupportedGroups(testkit.GroupX25519),
			testkit.ExtECPointFormats(), testkit.ExtSignatureAlgorithms(testkit.SigEd25519, testkit.SigECDSAP256)}}
	l := len(ch.Marshal())
	ch.Extensions = append(ch.Extensions, testkit.ExtPadding(300-l-4))
	return testkit.HandshakeRecords(testkit.VersionTLS10, ch.Marshal())
}

// HalfOpen writes n connections, each a three-way handshake followed by the
// first 105 bytes (record header + 100) of a 300-byte ClientHello record and
// the server's ACK; none is closed.
func HalfOpen(w io.Writer, n int) error {
	pw, err := testkit.NewPcapWriter(w, layers.LinkTypeEthernet, 262144, nil)
	if err != nil {
		return err
	}
	rng := testkit.NewRNG("half-open")
	for i := range n {
		c := testkit.NewConn(floodSource(i), ServerEP(), rng.Uint32(), rng.Uint32())
		c.Open()
		ch := HalfOpenClientHello(rng)
		if len(ch) != 305 {
			return fmt.Errorf("half-open ClientHello record is %d bytes", len(ch))
		}
		c.Send(testkit.A, ch[:105])
		if err := pw.WriteConn(c); err != nil {
			return err
		}
	}
	return nil
}

// bigConn starts a TLS 1.2 connection and has the server send its
// ServerHello, returning the connection and the handshake.
func bigConn(label string, port uint16) (*testkit.Conn, *testkit.Handshake) {
	rng := testkit.NewRNG(label)
	c := newConn(rng, port)
	h := &testkit.Handshake{RNG: rng, SNI: label + ".example.test"}
	c.Open()
	c.Send(testkit.A, h.ClientHello())
	c.Send(testkit.B, testkit.HandshakeRecords(testkit.VersionTLS12, h.ServerHello()))
	return c, h
}

// BigRecords writes a connection whose server, after its ServerHello, sends
// count handshake records each with length 0xffff (and carrying 0xffff
// bytes); the first begins with a Certificate header claiming 0xffffff.
// Segments are flushed per record, so memory stays small for any count.
func BigRecords(w io.Writer, count int) error {
	pw, err := testkit.NewPcapWriter(w, layers.LinkTypeEthernet, 262144, nil)
	if err != nil {
		return err
	}
	c, h := bigConn("record-16mb", 50800)
	for i := range count {
		frag := h.RNG.Bytes(0xffff)
		if i == 0 {
			copy(frag, testkit.HandshakeMsgWithLength(testkit.TypeCertificate, 0xffffff, []byte{0xff, 0xff, 0xfc}))
		}
		// The receiver ACKs every half record: the window is 64240.
		rec := testkit.Record(testkit.ContentHandshake, testkit.VersionTLS12, frag)
		c.Send(testkit.B, rec[:len(rec)/2])
		c.Send(testkit.B, rec[len(rec)/2:])
		if err := flush(pw, c); err != nil {
			return err
		}
	}
	c.Close(testkit.A)
	return flush(pw, c)
}

// BigHandshake writes a connection whose server sends a Certificate message
// whose header claims claimed bytes (at most 0xffffff); sent bytes of the
// message (header included) actually go out, in 16 KB records, then the
// client closes.
func BigHandshake(w io.Writer, claimed, sent int) error {
	pw, err := testkit.NewPcapWriter(w, layers.LinkTypeEthernet, 262144, nil)
	if err != nil {
		return err
	}
	c, h := bigConn("hs-16mb", 50801)
	body := claimed - 3 // certificate_list length, consistent with the claim
	hdr := testkit.HandshakeMsgWithLength(testkit.TypeCertificate, claimed, []byte{byte(body >> 16), byte(body >> 8), byte(body)})
	for off, i := 0, 0; off < sent; i++ {
		n := min(testkit.MaxFragment, sent-off)
		frag := h.RNG.Bytes(n)
		if off == 0 {
			copy(frag, hdr)
		}
		off += n
		c.AutoAck = i%3 == 2 || off == sent
		c.Send(testkit.B, testkit.Record(testkit.ContentHandshake, testkit.VersionTLS12, frag))
		if err := flush(pw, c); err != nil {
			return err
		}
	}
	c.Close(testkit.A)
	return flush(pw, c)
}

// flush writes c's segments so far and forgets them.
func flush(pw *testkit.PcapWriter, c *testkit.Conn) error {
	err := pw.WriteConn(c)
	c.Segs = c.Segs[:0]
	return err
}

func buildSeqWrap(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("seq-wrap")
	h := MutualTLS12(rng, p, "seq-wrap.example.test")
	ch := h.ClientHello()
	flight := h.ServerFlight()
	wrapAt := bytes.Index(flight, p.Server.DER) + 100 // inside the Certificate
	if wrapAt < 100 {
		return nil, fmt.Errorf("leaf not in flight")
	}
	// The server's first data byte has sequence ISN+1; byte wrapAt must be 0.
	isnB := ^uint32(0) - uint32(wrapAt)
	c := testkit.NewConn(ClientEP(50900), ServerEP(), rng.Uint32(), isnB)
	c.MSS = 536
	c.Open()
	c.Send(testkit.A, ch)
	c.Send(testkit.B, flight)
	if c.NextSeq(testkit.B) > isnB {
		return nil, fmt.Errorf("server sequence did not wrap")
	}
	c.MSS = 1460
	c.Send(testkit.A, h.ClientFlight())
	h.Finish(c, testkit.A)
	c.Close(testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildPortReuse(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("port-reuse")
	c1 := newConn(rng, 50700)
	h1 := Plain12(rng, p, "first.example.test")
	h1.Ticket = true
	h1.Run(c1, testkit.A)
	c2 := newConn(rng, 50700)
	Plain12(rng, p, "second.example.test").Run(c2, testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c1, c2)
}

func buildTimeBackwards(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("time-backwards")
	c := newConn(rng, 51000)
	h := Plain12(rng, p, "time.example.test")
	c.Open()
	c.Send(testkit.A, h.ClientHello())
	for i, s := range c.Send(testkit.B, h.ServerFlight()) {
		s.Time = testkit.Epoch.Add(-time.Hour + time.Duration(i)*time.Millisecond)
	}
	for i, s := range c.Send(testkit.A, h.ClientFlight()) {
		s.Time = testkit.Epoch.Add(24*time.Hour + time.Duration(i)*time.Millisecond)
	}
	h.Finish(c, testkit.A)
	c.Close(testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildSnaplenCut(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("snaplen-cut")
	c := newConn(rng, 51100)
	MutualTLS12(rng, p, "snaplen.example.test").Run(c, testkit.A)
	cp, err := captureOf(layers.LinkTypeEthernet, 96, c)
	if err != nil {
		return nil, err
	}
	return cp.Pcap(), nil
}

func buildCaplenTooBig(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("caplen-too-big")
	c := newConn(rng, 51200)
	Plain12(rng, p, "caplen.example.test").Run(c, testkit.A)
	cp, err := captureOf(layers.LinkTypeEthernet, 65535, c)
	if err != nil {
		return nil, err
	}
	full := cp.Pcap()
	// Header and packet 1, a lying record header, then packets 2.. as they
	// were (their own record headers included).
	first := 24 + 16 + len(cp.Packets[0].Data)
	out := bytes.Clone(full[:first])
	out = testkit.PcapHeader{}.AppendRecordHeader(out, cp.Packets[1].Time, 262145, 262145)
	return append(out, full[first:first+2048]...), nil
}

func buildPcapngBadBlocks(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("pcapng-bad-blocks")
	c := newConn(rng, 51300)
	Plain12(rng, p, "pcapng.example.test").Run(c, testkit.A)
	cp, err := captureOf(layers.LinkTypeEthernet, 262144, c)
	if err != nil {
		return nil, err
	}
	var w testkit.NGWriter
	w.SectionHeader()
	w.InterfaceDescription(layers.LinkTypeEthernet, 262144)
	for i, pkt := range cp.Packets {
		w.EnhancedPacket(pkt)
		switch i + 1 {
		case 3: // unknown block type, well framed
			w.Block(0x00000bad, []byte("unknown block type, skip me"))
		case 6: // leading and trailing total lengths disagree
			body := w.EPBBody(testkit.Packet{Time: pkt.Time, Data: pkt.Data[:60]}, 0)
			w.BlockLengths(6, body, 0, uint32(12+len(body)+64))
		case 9: // captured length overruns the block
			w.Block(6, w.EPBBody(testkit.Packet{Time: pkt.Time, Data: pkt.Data[:60], Length: 4000}, 4000))
		}
	}
	return w.Bytes(), nil
}

func buildGzipShort(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("gzip-short")
	c := newConn(rng, 51400)
	MutualTLS12(rng, p, "gzip.example.test").Run(c, testkit.A)
	full, err := pcapOf(layers.LinkTypeEthernet, c)
	if err != nil {
		return nil, err
	}
	gz := testkit.GzipStored(full, 4096)
	return gz[:len(gz)*6/10], nil
}
