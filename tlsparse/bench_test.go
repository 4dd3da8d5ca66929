package tlsparse

import (
	"strings"
	"testing"
)

func BenchmarkParseRecord(b *testing.B) {
	p := pkiOnce()
	rec := hsRec(v12, shSpec{}.msg(), certMsg(p.server, p.caA), skeMsg(), shdMsg())
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if _, _, err := ParseRecord(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// benchClientHello is a browser-sized hello: GREASE, SNI, ALPN, a ticket,
// supported_versions, key_share, padding-like extras and a PSK.
func benchClientHello() []byte {
	return chSpec{
		SessionID: sid1,
		Suites:    []uint16{0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035},
		SNI:       "www.example.test", ALPN: []string{"h2", "http/1.1"}, TicketExt: true,
		Versions: []Version{0x2a2a, v13, v12}, KeyShare: true, PSK: true,
		Extra: []Extension{
			{Type: 0x1a1a}, {Type: ExtExtendedMasterSecret}, {Type: ExtRenegotiationInfo, Data: []byte{0}},
			{Type: ExtSupportedGroups, Data: hx("0008 2a2a 001d 0017 0018")},
			{Type: ExtECPointFormats, Data: hx("0100")},
			{Type: ExtSignatureAlgorithms, Data: hx("0010 0403 0804 0401 0503 0805 0501 0806 0601")},
			{Type: ExtPSKKeyExchangeModes, Data: hx("0101")},
			{Type: 21, Data: make([]byte, 200)}, // padding
		},
	}.body()
}

func BenchmarkParseClientHello(b *testing.B) {
	body := benchClientHello()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseClientHello(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseServerHello(b *testing.B) {
	body := shSpec{SessionID: sid1, Suite: 0x1301, SupportedVersion: v13, PSK: true,
		Extra: []Extension{{Type: ExtKeyShare, Data: hx("001d 0020" + rep(0xee, 32))}}}.body()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseServerHello(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCertificate(b *testing.B) {
	p := pkiOnce()
	body := certBody(false, p.server, p.caA, p.caB)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		c, err := ParseCertificate(body, false)
		if err != nil || len(c.Certificates) != 3 {
			b.Fatal(err)
		}
	}
}

// BenchmarkConnFeedHandshake is one whole TLS 1.2 mTLS handshake (client
// certificate, CertificateVerify, ticket) through a fresh Conn, each flight
// fed as one segment, and its Summary.
func BenchmarkConnFeedHandshake(b *testing.B) {
	p := pkiOnce()
	evs := []event{
		send(0, chSpec{SNI: "www.test", ALPN: []string{"h2"}, TicketExt: true, KeyShare: true}.rec()),
		send(1, tls12Server(shSpec{ALPN: "h2", TicketExt: true}, crMsg12(p.dnA))),
		send(0, hsRec(v12, certMsg(p.clientA, p.caA), ckeMsg(), cvMsg()), clientFinish(v12)),
		send(1, hsRec(v12, nstMsg()), serverFinish(v12)),
	}
	total := 0
	for _, e := range evs {
		total += len(e.data)
	}
	b.ReportAllocs()
	b.SetBytes(int64(total))
	for b.Loop() {
		c := NewConn(Options{})
		for _, e := range evs {
			if n := c.Feed(e.h, e.data); n != len(e.data) {
				b.Fatalf("Feed consumed %d of %d", n, len(e.data))
			}
		}
		if s := c.Summary(); !s.Established || s.ClientCert != ClientCertSent {
			b.Fatalf("%+v", s)
		}
	}
}

// BenchmarkConnFeedNotTLS is the cost of giving up on a non-TLS stream:
// MaxScan bytes searched for a record boundary.
func BenchmarkConnFeedNotTLS(b *testing.B) {
	body := []byte(strings.Repeat("<p>lorem ipsum dolor sit amet</p>\n", MaxScan/34+10))
	b.ReportAllocs()
	b.SetBytes(MaxScan)
	for b.Loop() {
		c := NewConn(Options{})
		c.Feed(1, body)
		if c.Wants(1) {
			b.Fatal("still wants a non-TLS stream")
		}
	}
}
