package craftlib

import (
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// ManyBigCertificates writes conns TLS 1.2 connections whose servers each
// send a Certificate message of about certSize bytes (the PKI's ~10 KB
// certificate, repeated), all at once: every connection opens and says
// hello, then the servers send their flights one 16 KB record each in
// turn, so that every Certificate is in progress at the same moment. Each
// handshake then completes and closes. It is the capture of issue 9's
// memory criterion (1,000 connections x 1 MB Certificate): a parser that
// buffers every message whole needs conns x certSize bytes at once.
// Segments are flushed per round, so memory stays small for any size.
func ManyBigCertificates(w io.Writer, conns, certSize int) error {
	p, err := DefaultPKI()
	if err != nil {
		return err
	}
	pw, err := testkit.NewPcapWriter(w, layers.LinkTypeEthernet, 262144, nil)
	if err != nil {
		return err
	}
	one := p.BigServer.DER
	chain := make([][]byte, max(1, certSize/(len(one)+3)))
	for i := range chain {
		chain[i] = one
	}
	// Every server sends the same Certificate message; only the few
	// bytes after it differ. It is built once and each flow keeps an
	// offset into it, so the generator holds one message, not conns.
	certMsg := testkit.CertificateMsg(chain...)
	type flow struct {
		c    *testkit.Conn
		h    *testkit.Handshake
		off  int    // bytes of certMsg+tail sent
		tail []byte // ServerKeyExchange, ServerHelloDone
	}
	flows := make([]flow, conns)
	for i := range flows {
		rng := testkit.NewRNG(fmt.Sprintf("many-big-certs/%d", i))
		c := testkit.NewConn(floodSource(i), ServerEP(), rng.Uint32(), rng.Uint32())
		h := &testkit.Handshake{RNG: rng, SNI: fmt.Sprintf("big%d.example.test", i), NoServerCerts: true}
		msgs := h.ServerMessages() // ServerHello, ServerKeyExchange, ServerHelloDone
		c.Open()
		c.Send(testkit.A, h.ClientHello())
		c.Send(testkit.B, testkit.HandshakeRecords(testkit.VersionTLS12, msgs[0]))
		var tail []byte
		for _, m := range msgs[1:] {
			tail = append(tail, m...)
		}
		flows[i] = flow{c: c, h: h, tail: tail}
		if err := flush(pw, c); err != nil {
			return err
		}
	}
	total := len(certMsg) + len(flows[0].tail)
	frag := make([]byte, 0, testkit.MaxFragment)
	for more := true; more; {
		more = false
		for i := range flows {
			f := &flows[i]
			if f.off == total {
				continue
			}
			// The next record: up to 16 KB of certMsg, then the tail.
			frag = frag[:0]
			for len(frag) < testkit.MaxFragment && f.off < total {
				var src []byte
				if f.off < len(certMsg) {
					src = certMsg[f.off:]
				} else {
					src = f.tail[f.off-len(certMsg):]
				}
				k := min(len(src), testkit.MaxFragment-len(frag))
				frag = append(frag, src[:k]...)
				f.off += k
			}
			f.c.Send(testkit.B, testkit.Record(testkit.ContentHandshake, testkit.VersionTLS12, frag))
			if f.off == total {
				f.c.Send(testkit.A, f.h.ClientFlight())
				f.c.Send(testkit.B, f.h.ServerFinish())
				f.c.Close(testkit.A)
			} else {
				more = true
			}
			if err := flush(pw, f.c); err != nil {
				return err
			}
		}
	}
	return nil
}

// ByteSegments writes n connections whose clients each send a 300-byte
// ClientHello record one byte per TCP segment, the connections taking
// turns byte by byte, so that every record is in progress at once: the
// flood that made reassembly quadratic (gopacket's KeepFrom re-copied the
// kept bytes with each segment) and held a record per connection. None is
// answered or closed.
func ByteSegments(w io.Writer, n int) error {
	pw, err := testkit.NewPcapWriter(w, layers.LinkTypeEthernet, 262144, nil)
	if err != nil {
		return err
	}
	rng := testkit.NewRNG("byte-segments")
	conns := make([]*testkit.Conn, n)
	hellos := make([][]byte, n)
	for i := range conns {
		c := testkit.NewConn(floodSource(i), ServerEP(), rng.Uint32(), rng.Uint32())
		c.AutoAck = false
		c.Open()
		conns[i], hellos[i] = c, HalfOpenClientHello(rng)
		if err := flush(pw, c); err != nil {
			return err
		}
	}
	for k := range len(hellos[0]) {
		for i, c := range conns {
			c.Send(testkit.A, hellos[i][k:k+1])
			if err := flush(pw, c); err != nil {
				return err
			}
		}
	}
	return nil
}
