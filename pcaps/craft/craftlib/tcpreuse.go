package craftlib

import (
	"fmt"

	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// The RST, port-reuse and SYN-retransmission shapes of issue 9 ("TCP as
// real stacks and middleboxes produce it"). Every file is crafted; the
// real-peer counterpart is pcaps/real/port-reuse-rst.pcap
// (pcaps/peers/port-reuse.sh).
func tcpReuseItems() []Item {
	return []Item{
		{"crafted/rst-syn-retransmit.pcap",
			"a SYN, then a RST, then the same SYN again (same ISN) and a full TLS 1.2 handshake, on four 4-tuples: port 50801 SYN, SYN-ACK, the client's bare RST at ISN+1; port 50802 SYN, the client's bare RST (no SYN-ACK captured); port 50803 SYN, SYN-ACK, the client's RST+ACK (as a browser aborting a connect and retrying); port 50804 SYN, SYN-ACK, the server's bare RST",
			"four rows (retry-1/2/3/4.example.test), each TLSv1.2, full, established, history CsxknGIi, no flags (no partial): the aborted attempt carries no payload and makes no row, and its RST closes both halves so the retransmitted SYN starts a new connection",
			buildRSTSynRetransmit},
		{"crafted/rst-new-isn.pcap",
			"port 50811: a TLS 1.2 connection ended by the client's RST+ACK at its next sequence number, then a new SYN with a new ISN on the same 4-tuple; port 50812: the server answers the ClientHello with RST+ACK, then the client opens again with a new ISN",
			"four rows: first.reset.example.test full and established; second.reset.example.test full and established; refused.example.test with only the ClientHello (history C, not established, no flags); again.example.test full and established",
			buildRSTNewISN},
		{"crafted/rst-old-isn.pcap",
			"port 50821: a full TLS 1.2 connection, the client's bare RST at its next sequence number, then a new connection whose SYN reuses the first one's ISN (a SYN retransmitted late, or a stack that reuses ISNs)",
			"two rows, old-isn-1.example.test and old-isn-2.example.test, both TLSv1.2, full, established",
			buildRSTOldISN},
		{"crafted/rst-window.pcap",
			"port 50831: during the handshake a RST from the server far outside the client's window (next sequence + 2^20) and a RST from the client before its next sequence number (an old one); port 50832: a RST from the server inside the window but not at its next sequence number (RFC 5961: a real stack answers it with a challenge ACK and keeps the connection)",
			"two rows, out-of-window.example.test and in-window.example.test, both TLSv1.2, full, established, no flags: only a RST exactly at the next sequence number ends a connection",
			buildRSTWindow},
	}
}

// rstSeg appends a RST (flags RST, plus ACK when ack) from side s at seq.
func rstSeg(c *testkit.Conn, s testkit.Side, seq uint32, ack bool) *testkit.Segment {
	flags := testkit.RST
	if ack {
		flags |= testkit.ACK
	}
	seg := c.Segment(s, seq, flags, nil)
	seg.Window = 0
	c.Segs = append(c.Segs, seg)
	return seg
}

// synOnly appends the client's SYN at the connection's ISN without moving
// its sequence space (the SYN Open sends later is its retransmission).
func synOnly(c *testkit.Conn) {
	syn := c.Segment(testkit.A, c.ISN(testkit.A), testkit.SYN, nil)
	syn.MSS = 1460
	c.Segs = append(c.Segs, syn)
}

func buildRSTSynRetransmit(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("rst-syn-retransmit")
	var conns []*testkit.Conn
	for i, shape := range []struct {
		synAck, ack bool
		from        testkit.Side
	}{{true, false, testkit.A}, {false, false, testkit.A}, {true, true, testkit.A}, {true, false, testkit.B}} {
		port := uint16(50801 + i)
		isn, isnB := rng.Uint32(), rng.Uint32()
		// The aborted attempt: SYN, (SYN-ACK), RST at ISN+1.
		first := testkit.NewConn(ClientEP(port), ServerEP(), isn, isnB)
		synOnly(first)
		if shape.synAck {
			sa := first.Segment(testkit.B, isnB, testkit.SYN|testkit.ACK, nil)
			sa.Ack, sa.MSS = isn+1, 1460
			first.Segs = append(first.Segs, sa)
		}
		if shape.from == testkit.B {
			rstSeg(first, testkit.B, isnB+1, false)
		} else if r := rstSeg(first, testkit.A, isn+1, shape.ack); shape.ack {
			r.Ack = isnB + 1
		}
		// The retry: the same SYN, a new SYN-ACK, a whole handshake.
		retry := testkit.NewConn(ClientEP(port), ServerEP(), isn, rng.Uint32())
		Plain12(rng, p, fmt.Sprintf("retry-%d.example.test", i+1)).Run(retry, testkit.A)
		conns = append(conns, first, retry)
	}
	return pcapOf(layers.LinkTypeEthernet, conns...)
}

func buildRSTNewISN(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("rst-new-isn")
	c1 := newConn(rng, 50811)
	c1.Open()
	Plain12(rng, p, "first.reset.example.test").Exchange(c1, testkit.A)
	rstSeg(c1, testkit.A, c1.NextSeq(testkit.A), true)
	c2 := newConn(rng, 50811)
	Plain12(rng, p, "second.reset.example.test").Run(c2, testkit.A)

	c3 := newConn(rng, 50812)
	c3.Open()
	c3.AutoAck = false
	c3.Send(testkit.A, Plain12(rng, p, "refused.example.test").ClientHello())
	rstSeg(c3, testkit.B, c3.NextSeq(testkit.B), true)
	c4 := newConn(rng, 50812)
	Plain12(rng, p, "again.example.test").Run(c4, testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c1, c2, c3, c4)
}

func buildRSTOldISN(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("rst-old-isn")
	c1 := newConn(rng, 50821)
	c1.Open()
	Plain12(rng, p, "old-isn-1.example.test").Exchange(c1, testkit.A)
	rstSeg(c1, testkit.A, c1.NextSeq(testkit.A), false)
	c2 := testkit.NewConn(ClientEP(50821), ServerEP(), c1.ISN(testkit.A), rng.Uint32())
	Plain12(rng, p, "old-isn-2.example.test").Run(c2, testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c1, c2)
}

func buildRSTWindow(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("rst-window")
	c1 := newConn(rng, 50831)
	h1 := Plain12(rng, p, "out-of-window.example.test")
	c1.Open()
	c1.Send(testkit.A, h1.ClientHello())
	rstSeg(c1, testkit.B, c1.NextSeq(testkit.B)+1<<20, true)
	c1.Send(testkit.B, h1.ServerFlight())
	rstSeg(c1, testkit.A, c1.NextSeq(testkit.A)-100, true)
	c1.Send(testkit.A, h1.ClientFlight())
	h1.Finish(c1, testkit.A)
	c1.Close(testkit.A)

	c2 := newConn(rng, 50832)
	h2 := Plain12(rng, p, "in-window.example.test")
	c2.Open()
	c2.Send(testkit.A, h2.ClientHello())
	rstSeg(c2, testkit.B, c2.NextSeq(testkit.B)+100, true)
	c2.Ack(testkit.A) // the challenge ACK a real stack sends
	c2.Send(testkit.B, h2.ServerFlight())
	c2.Send(testkit.A, h2.ClientFlight())
	h2.Finish(c2, testkit.A)
	c2.Close(testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c1, c2)
}
