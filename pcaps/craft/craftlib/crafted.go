package craftlib

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

func craftedItems() []Item {
	return []Item{
		{"crafted/server-cert-empty.pcap",
			"TLS 1.2 full handshake whose server Certificate message has an empty certificate_list (SNI empty-cert.example.test)",
			"TLSv1.2, full, server_certs 0, flag server_cert_empty, cert_requested no, client_cert none, established",
			buildServerCertEmpty},
		{"crafted/client-cert-missing.pcap",
			"TLS 1.2: server sends CertificateRequest; client flight is ClientKeyExchange, CCS, Finished with no Certificate message",
			"cert_requested yes, client_cert missing, flag client_cert_missing, established",
			buildClientCertMissing},
		{"crafted/client-cert-unsolicited.pcap",
			"TLS 1.2 without CertificateRequest; client sends a Certificate with one cert (client-1) and CertificateVerify anyway",
			"cert_requested no, client_cert sent, client_certs 1, flag client_cert_unsolicited, established",
			buildClientCertUnsolicited},
		{"crafted/cert-verify-missing.pcap",
			"TLS 1.2 with CertificateRequest; client sends a 2-cert Certificate but no CertificateVerify",
			"cert_requested yes, client_cert sent, client_certs 2, flag cert_verify_missing, established",
			buildCertVerifyMissing},
		{"crafted/tls10-certreq.pcap",
			"TLS 1.0 full handshake; CertificateRequest in the TLS 1.0 form (types + CA names, no signature algorithms); client answers with a chain of 2 and CertificateVerify",
			"TLSv1.0, full, cert_requested yes (CA tlsscan Crafted Client CA, no sig_algs), client_cert sent, client_certs 2, established",
			buildTLS10CertReq},
		{"crafted/sslv3-no-certificate.pcap",
			"SSLv3 (RSA, 3DES) server asks for a certificate; client sends a warning no_certificate(41) alert instead of Certificate, then ClientKeyExchange, CCS, Finished",
			"SSLv3, full, cert_requested yes, client_cert empty (SSLv3's no_certificate is its empty Certificate), alert client:no_certificate, established",
			buildSSLv3NoCertificate},
		{"crafted/sslv2-hello.pcap",
			"SSLv2-format ClientHello (2-byte header with high bit, msg type 1, offering TLS 1.0) answered with TLS 1.0 ServerHello, Certificate, ServerHelloDone (RSA)",
			"TLSv1.0, full, no SNI, cert_requested no, client_cert none, server_certs 2, established",
			buildSSLv2Hello},
		{"crafted/split-everything.pcap",
			"TLS 1.2 mTLS where every TCP segment carries 1-7 bytes; a ~20 KB Certificate message over 2 records; ServerKeyExchange+CertificateRequest+ServerHelloDone in one record; client Certificate+ClientKeyExchange+CertificateVerify in one record",
			"TLSv1.2, full, cert_requested yes, client_cert sent, client_certs 1, server_certs 2 (big.example.test), established, no flags",
			buildSplitEverything},
		{"crafted/out-of-order.pcap",
			"the TLS 1.2 mTLS handshake of out-of-order-ref.pcap with the server flight's segments (256 bytes each) arriving pairwise swapped and the third one retransmitted after the flight",
			"same row as out-of-order-ref.pcap (TLSv1.2, full, cert_requested yes, client_cert sent, client_certs 1, server_certs 2, established); no gap/overlap-conflict flag",
			func(p *PKI) ([]byte, error) { return buildOutOfOrder(p, true) }},
		{"crafted/out-of-order-ref.pcap",
			"the in-order reference for out-of-order.pcap (same bytes, same segments)",
			"TLSv1.2, full, cert_requested yes, client_cert sent, client_certs 1, server_certs 2, established",
			func(p *PKI) ([]byte, error) { return buildOutOfOrder(p, false) }},
		{"crafted/overlap-conflict.pcap",
			"TLS 1.2 mTLS; after the server flight, a retransmission overlapping the end of one segment and the start of the next (200 bytes inside the server leaf's DER) carries different bytes (XOR 0xff)",
			overlapExpect(),
			buildOverlapConflict},
		{"crafted/midstream.pcap",
			"capture starts inside the server's Certificate record (no SYN, no ClientHello, no ServerHello); whole records follow: ServerKeyExchange, CertificateRequest, ServerHelloDone, client Certificate/ClientKeyExchange/CertificateVerify, CCS, Finished, application data",
			"no row: tlsscan reports a connection only when a ClientHello or ServerHello was seen (README), and here neither was; the connection is counted in the summary",
			buildMidstream},
		{"crafted/gap.pcap",
			"TLS 1.2 mTLS (client chain of 2); the 2nd 256-byte segment of the client's flight, inside its Certificate message, is missing (a hole in the sequence space; the server's ACKs cover it)",
			"flag gap; cert_requested yes; the client Certificate is not fully observable (client_cert sent or unknown, client_certs unknown)",
			buildGap},
		{"crafted/truncated-handshake.pcap",
			"TLS 1.2: ClientHello, then ServerHello and Certificate records, and the capture ends (no ServerHelloDone)",
			"flag truncated, TLSv1.2, server_certs 2, cert_requested unknown, client_cert unknown, not established",
			buildTruncated},
		{"crafted/malformed-record.pcap",
			"connection 1 (port 50100): the ServerHello's extensions length says 1024 while only 15 bytes of extensions remain in the message and record (handshake and record lengths are consistent); the client answers with a fatal decode_error alert. Connection 2 (port 50101): a valid TLS 1.2 handshake (SNI valid.example.test)",
			"conn 1: flag malformed, alert client:decode_error, not established; conn 2: TLSv1.2, full, established, no flags",
			buildMalformed},
		{"crafted/flipped.pcap",
			"TCP opened by 192.0.2.30:49200 toward 198.51.100.40:5061, but 198.51.100.40 sends the ClientHello and 192.0.2.30 answers as the TLS server",
			"client_ip 198.51.100.40 client_port 5061, server_ip 192.0.2.30 server_port 49200; TLSv1.2, full, established",
			buildFlipped},
		{"crafted/vlan-qinq.pcap",
			"two TLS 1.2 handshakes over Ethernet: one 802.1Q (VLAN 100, port 50200), one QinQ (0x88a8 VLAN 200 + 0x8100 VLAN 300, port 50201)",
			"two rows, both TLSv1.2, full, established",
			buildVLAN},
		{"crafted/raw-ipv4.pcap",
			"one TLS 1.2 handshake, link type 228 (raw IPv4, no link header)",
			"TLSv1.2, full, established",
			func(p *PKI) ([]byte, error) { return buildLink(p, layers.LinkTypeIPv4, false, "raw-ipv4") }},
		{"crafted/raw-101.pcap",
			"one TLS 1.2 handshake over IPv6 (2001:db8::10 -> 2001:db8::20), link type 101 (raw IP)",
			"TLSv1.2, full, established",
			func(p *PKI) ([]byte, error) { return buildLink(p, layers.LinkTypeRaw, true, "raw-101") }},
		{"crafted/null-loopback.pcap",
			"one TLS 1.2 handshake, link type 0 (BSD null/loopback, AF_INET in host byte order), 127.0.0.1 -> 127.0.0.1:8443",
			"TLSv1.2, full, established",
			buildNull},
		{"crafted/big-endian.pcap",
			"classic pcap written big-endian (magic a1 b2 c3 d4, big-endian header and record fields), Ethernet, one TLS 1.2 handshake",
			"TLSv1.2, full, established",
			buildBigEndian},
		{"crafted/tls13-psk-crafted.pcap",
			"TLS 1.3: ClientHello with psk_key_exchange_modes and pre_shared_key and a 32-byte session id; ServerHello with supported_versions 0x0304, key_share, pre_shared_key (identity 0), echoing the session id; then CCS and encrypted records",
			"TLSv1.3, resumption psk (not session_id), cert_requested unknown, client_cert unknown",
			buildTLS13PSK},
		{"crafted/tls13-draft-echo.pcap",
			"TLS 1.3 draft 28: ServerHello with supported_versions 0x7f1c echoing the client's 32-byte session id, key_share, no pre_shared_key",
			"version 0x7f1c (TLS 1.3 draft 28), resumption full (NOT session_id: the echo is the 1.3 compatibility id)",
			buildTLS13DraftEcho},
		{"crafted/hostile-sni.pcap",
			"TLS 1.2 full handshake whose SNI host_name holds a comma, a double quote, a newline, ESC, a byte 0xFF (not UTF-8), a backslash and a right-to-left override (U+202E): `a,b\"c` LF `d` ESC `e` 0xFF `\\f` U+202E `gnp.exe`",
			"one row; CSV and table escape the SNI Zeek-style (`\\x0a`, `\\x1b`, `\\xff`, `\\\\`, `\\xe2\\x80\\xae`) inside CSV quoting; JSON keeps the valid text and adds `sni_hex`",
			buildHostileSNI},
		{"crafted/tls12-ticket-echo.pcap",
			"TLS 1.2 abbreviated handshake: ClientHello with a 192-byte session_ticket and a 32-byte session id; ServerHello echoes the id; server CCS + Finished, client CCS + Finished",
			"TLSv1.2, resumption ticket (not session_id), server_certs unknown, cert_requested no, established",
			buildTLS12TicketEcho},
		resumptionItem(),
	}
}

func buildServerCertEmpty(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("server-cert-empty")
	c := newConn(rng, 50001)
	(&testkit.Handshake{RNG: rng, SNI: "empty-cert.example.test"}).Run(c, testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildClientCertMissing(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("client-cert-missing")
	c := newConn(rng, 50002)
	h := Plain12(rng, p, "mtls.example.test")
	h.CertRequest = CertRequest12(p)
	h.Run(c, testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildClientCertUnsolicited(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("client-cert-unsolicited")
	c := newConn(rng, 50003)
	h := Plain12(rng, p, "server.example.test")
	h.ClientCertificate, h.ClientCerts, h.CertVerify = true, [][]byte{p.Client.DER}, true
	h.Run(c, testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildCertVerifyMissing(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("cert-verify-missing")
	c := newConn(rng, 50004)
	h := MutualTLS12(rng, p, "mtls.example.test")
	h.ClientCerts, h.CertVerify = p.ClientChain(), false
	h.Run(c, testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildTLS10CertReq(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("tls10-certreq")
	c := newConn(rng, 50005)
	h := &testkit.Handshake{RNG: rng, Version: testkit.VersionTLS10, SNI: "tls10.example.test", ServerCerts: p.ServerChain(),
		CertRequest: CertRequest10(p), ClientCertificate: true, ClientCerts: p.ClientChain(), CertVerify: true}
	h.Run(c, testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildSSLv3NoCertificate(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("sslv3-no-certificate")
	c := newConn(rng, 50006)
	h := &testkit.Handshake{RNG: rng, Version: testkit.VersionSSL30, ServerCerts: p.ServerChain(),
		CertRequest:        testkit.CertificateRequestMsg([]byte{testkit.CertTypeRSASign, testkit.CertTypeDSSSign}, nil, p.ClientCANames()),
		NoCertificateAlert: true}
	h.Run(c, testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildSSLv2Hello(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("sslv2-hello")
	c := newConn(rng, 50007)
	h := &testkit.Handshake{RNG: rng, Version: testkit.VersionTLS10, SSLv2Hello: true, RSA: true, ServerCerts: p.ServerChain()}
	h.Run(c, testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildSplitEverything(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("split-everything")
	seg := testkit.NewRNG("split-everything/sizes")
	tiny := func(int) int { return seg.Range(1, 7) }
	c := newConn(rng, 50008)
	h := MutualTLS12(rng, p, "big.example.test")
	h.ServerCerts = [][]byte{p.BigServer.DER, p.BigServerCA.DER}
	v := testkit.VersionTLS12

	c.Open()
	c.SendFunc(testkit.A, h.ClientHello(), tiny)
	msgs := h.ServerMessages() // SH, Certificate, SKE, CertificateRequest, SHD
	cert := msgs[1]
	if len(cert) < 20000 || len(cert) > 2*testkit.MaxFragment {
		return nil, fmt.Errorf("big Certificate is %d bytes", len(cert))
	}
	half := len(cert) / 2
	var flight []byte
	flight = append(flight, testkit.Record(testkit.ContentHandshake, v, msgs[0])...)
	flight = append(flight, testkit.Record(testkit.ContentHandshake, v, cert[:half])...)
	flight = append(flight, testkit.Record(testkit.ContentHandshake, v, cert[half:])...)
	flight = append(flight, testkit.HandshakeRecords(v, msgs[2], msgs[3], msgs[4])...) // one record, 3 messages
	c.SendFunc(testkit.B, flight, tiny)
	cflight := testkit.HandshakeRecords(v, h.ClientMessages()...) // one record, 3 messages
	cflight = append(cflight, h.ClientFinish()...)
	c.SendFunc(testkit.A, cflight, tiny)
	c.SendFunc(testkit.B, h.ServerFinish(), tiny)
	c.SendFunc(testkit.A, h.AppData(120), tiny)
	c.SendFunc(testkit.B, h.AppData(600), tiny)
	c.Close(testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildOutOfOrder(p *PKI, reorder bool) ([]byte, error) {
	rng := testkit.NewRNG("out-of-order")
	c := newConn(rng, 50009)
	c.MSS = 256
	h := MutualTLS12(rng, p, "reorder.example.test")
	c.Open()
	c.Send(testkit.A, h.ClientHello())
	segs := c.Send(testkit.B, h.ServerFlight())
	if len(segs) < 5 {
		return nil, fmt.Errorf("server flight has only %d segments", len(segs))
	}
	if reorder {
		perm := make([]int, len(segs))
		for i := range perm {
			perm[i] = i
		}
		for i := 0; i+1 < len(perm); i += 2 {
			perm[i], perm[i+1] = perm[i+1], perm[i]
		}
		c.Reorder(segs, perm)
		c.Retransmit(segs[2], c.Last(segs))
	}
	c.Send(testkit.A, h.ClientFlight())
	h.Finish(c, testkit.A)
	c.Close(testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func overlapExpect() string {
	p, err := DefaultPKI()
	if err != nil {
		return "?"
	}
	_, mutated, err := overlapConflict(p)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("no flag (gopacket keeps the first copy and does not tell a conflicting overlap from a plain retransmission; README); first copy wins, so the handshake parses as TLSv1.2, full, cert_requested yes, client_cert sent, established, and the server leaf's sha256 is %x (taking the retransmitted copy would give %x; Wireshark takes it and shows the Certificate malformed)",
		sha256.Sum256(p.Server.DER), sha256.Sum256(mutated))
}

func buildOverlapConflict(p *PKI) ([]byte, error) {
	c, _, err := overlapConflict(p)
	if err != nil {
		return nil, err
	}
	return pcapOf(layers.LinkTypeEthernet, c)
}

// overlapConflict builds the connection and returns the server leaf as the
// conflicting copy would make it.
func overlapConflict(p *PKI) (*testkit.Conn, []byte, error) {
	rng := testkit.NewRNG("overlap-conflict")
	c := newConn(rng, 50010)
	c.MSS = 256
	h := MutualTLS12(rng, p, "overlap.example.test")
	c.Open()
	c.Send(testkit.A, h.ClientHello())
	flight := h.ServerFlight()
	base := c.NextSeq(testkit.B)
	segs := c.Send(testkit.B, flight)
	// 200 bytes centred on a segment boundary, inside the server leaf's DER.
	leaf := p.Server.DER
	off := bytes.Index(flight, leaf)
	const n = 200
	bnd := ((off+n/2)/c.MSS + 1) * c.MSS
	start := bnd - n/2
	if off < 0 || start < off || start+n > off+len(leaf) {
		return nil, nil, fmt.Errorf("overlap [%d,%d) not inside leaf at %d+%d", start, start+n, off, len(leaf))
	}
	bad := xorBytes(flight[start:start+n], 0xff)
	c.InsertAfter(segs[(start+n)/c.MSS], c.Segment(testkit.B, base+uint32(start), testkit.ACK|testkit.PSH, bad))
	c.Send(testkit.A, h.ClientFlight())
	h.Finish(c, testkit.A)
	c.Close(testkit.A)
	mutated := bytes.Clone(leaf)
	copy(mutated[start-off:], bad)
	return c, mutated, nil
}

func buildMidstream(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("midstream")
	c := newConn(rng, 50011)
	h := MutualTLS12(rng, p, "midstream.example.test")
	c.Open()
	c.Send(testkit.A, h.ClientHello())
	msgs := h.ServerMessages()
	v := testkit.VersionTLS12
	var sizes []int
	var flight []byte
	for _, m := range msgs {
		r := testkit.Record(testkit.ContentHandshake, v, m)
		flight = append(flight, r...)
		sizes = append(sizes, len(r))
	}
	// Segment 0: ServerHello record + first half of the Certificate record;
	// segment 1: the rest of the Certificate record; then one record each.
	k := sizes[1] / 2
	sizes = append([]int{sizes[0] + k, sizes[1] - k}, sizes[2:]...)
	c.AutoAck = false
	segs := c.SendSizes(testkit.B, flight, sizes...)
	c.AutoAck = true
	c.Ack(testkit.A)
	c.Remove(slices.Clone(c.Segs[:c.Index(segs[1])])...)
	c.Send(testkit.A, testkit.HandshakeRecords(v, h.ClientMessages()...))
	c.Send(testkit.A, h.ClientFinish())
	h.Finish(c, testkit.A)
	c.Close(testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildGap(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("gap")
	c := newConn(rng, 50012)
	h := MutualTLS12(rng, p, "gap.example.test")
	h.ClientCerts = p.ClientChain()
	c.Open()
	c.Send(testkit.A, h.ClientHello())
	c.Send(testkit.B, h.ServerFlight())
	c.MSS = 256
	segs := c.Send(testkit.A, h.ClientFlight())
	c.MSS = 1460
	c.Remove(segs[1])
	h.Finish(c, testkit.A)
	c.Close(testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildTruncated(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("truncated-handshake")
	c := newConn(rng, 50013)
	h := Plain12(rng, p, "truncated.example.test")
	c.Open()
	c.Send(testkit.A, h.ClientHello())
	msgs := h.ServerMessages()
	c.AutoAck = false
	c.Send(testkit.B, testkit.RecordPerMessage(testkit.VersionTLS12, msgs[0], msgs[1]))
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildMalformed(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("malformed-record")
	c := newConn(rng, 50100)
	h := Plain12(rng, p, "malformed.example.test")
	c.Open()
	c.Send(testkit.A, h.ClientHello())
	sh := &testkit.ServerHello{Version: testkit.VersionTLS12, Random: rng.Bytes(32), SessionID: rng.Bytes(32),
		CipherSuite: testkit.SuiteECDHEECDSAAES128GCM,
		Extensions:  []testkit.Extension{testkit.ExtRenegotiationInfo(), testkit.ExtExtendedMasterSecret(), testkit.ExtECPointFormats()}}
	body := sh.Body()
	extLenAt := 2 + 32 + 1 + len(sh.SessionID) + 2 + 1
	if got := int(binary.BigEndian.Uint16(body[extLenAt:])); got != len(body)-extLenAt-2 {
		return nil, fmt.Errorf("extensions length at %d is %d", extLenAt, got)
	}
	binary.BigEndian.PutUint16(body[extLenAt:], 1024) // overruns message and record
	msgs := h.ServerMessages()
	msgs[0] = testkit.HandshakeMsg(testkit.TypeServerHello, body)
	c.Send(testkit.B, testkit.RecordPerMessage(testkit.VersionTLS12, msgs...))
	c.Send(testkit.A, testkit.Alert(testkit.VersionTLS12, testkit.AlertFatal, testkit.AlertDecodeError))
	c.Close(testkit.A)

	c2 := newConn(rng, 50101)
	Plain12(rng, p, "valid.example.test").Run(c2, testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c, c2)
}

func buildFlipped(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("flipped")
	a := testkit.Endpoint{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 0x1e}, IP: netip.MustParseAddr("192.0.2.30"), Port: 49200}
	b := testkit.Endpoint{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 0x28}, IP: netip.MustParseAddr("198.51.100.40"), Port: 5061}
	c := testkit.NewConn(a, b, rng.Uint32(), rng.Uint32())
	h := Plain12(rng, p, "flipped.example.test")
	c.Open()                 // A opens the TCP connection...
	h.Exchange(c, testkit.B) // ...but B speaks TLS first.
	c.Close(testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildVLAN(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("vlan-qinq")
	c1 := newConn(rng, 50200)
	c1.VLANs = []uint16{100}
	Plain12(rng, p, "vlan.example.test").Run(c1, testkit.A)
	c2 := newConn(rng, 50201)
	c2.VLANs = []uint16{200, 300}
	Plain12(rng, p, "qinq.example.test").Run(c2, testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c1, c2)
}

func buildLink(p *PKI, lt layers.LinkType, v6 bool, label string) ([]byte, error) {
	rng := testkit.NewRNG(label)
	cl, sv := ClientEP(50300), ServerEP()
	if v6 {
		cl.IP, sv.IP = ClientIP6, ServerIP6
	}
	c := testkit.NewConn(cl, sv, rng.Uint32(), rng.Uint32())
	Plain12(rng, p, label+".example.test").Run(c, testkit.A)
	return pcapOf(lt, c)
}

func buildNull(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("null-loopback")
	lo := netip.MustParseAddr("127.0.0.1")
	c := testkit.NewConn(testkit.Endpoint{IP: lo, Port: 50400}, testkit.Endpoint{IP: lo, Port: 8443}, rng.Uint32(), rng.Uint32())
	Plain12(rng, p, "localhost").Run(c, testkit.A)
	return pcapOf(layers.LinkTypeNull, c)
}

func buildBigEndian(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("big-endian")
	c := newConn(rng, 50500)
	Plain12(rng, p, "big-endian.example.test").Run(c, testkit.A)
	cp, err := captureOf(layers.LinkTypeEthernet, 65535, c)
	if err != nil {
		return nil, err
	}
	return cp.PcapBigEndian(), nil
}

// tls13Exchange runs a TLS 1.3-shaped conversation: the hellos in clear,
// then CCS and encrypted records of the given sizes.
func tls13Exchange(c *testkit.Conn, rng *testkit.RNG, ch *testkit.ClientHello, sh *testkit.ServerHello, serverEnc int) {
	v := testkit.VersionTLS12
	c.Open()
	c.Send(testkit.A, testkit.HandshakeRecords(testkit.VersionTLS10, ch.Marshal()))
	var sf []byte
	sf = append(sf, testkit.HandshakeRecords(v, sh.Marshal())...)
	sf = append(sf, testkit.ChangeCipherSpec(v)...)
	sf = append(sf, testkit.Fragment(testkit.ContentApplicationData, v, rng.Bytes(serverEnc), testkit.MaxFragment)...) // EE..Finished
	c.Send(testkit.B, sf)
	cf := testkit.ChangeCipherSpec(v)
	cf = append(cf, testkit.EncryptedRecord(testkit.ContentApplicationData, v, 53, rng)...) // Finished
	cf = append(cf, testkit.EncryptedRecord(testkit.ContentApplicationData, v, 137, rng)...)
	c.Send(testkit.A, cf)
	sr := testkit.EncryptedRecord(testkit.ContentApplicationData, v, 201, rng) // NewSessionTicket
	sr = append(sr, testkit.EncryptedRecord(testkit.ContentApplicationData, v, 617, rng)...)
	c.Send(testkit.B, sr)
	c.Close(testkit.A)
}

func tls13ClientHello(rng *testkit.RNG, sni string, versions []uint16, psk bool) *testkit.ClientHello {
	ch := &testkit.ClientHello{Version: testkit.VersionTLS12, Random: rng.Bytes(32), SessionID: rng.Bytes(32),
		CipherSuites: []uint16{testkit.SuiteTLS13AES128GCM, testkit.SuiteTLS13AES256GCM, testkit.SuiteTLS13ChaCha, testkit.SuiteECDHEECDSAAES128GCM},
		Extensions: []testkit.Extension{
			testkit.ExtServerName(sni), testkit.ExtSupportedGroups(testkit.GroupX25519, testkit.GroupSecp256r1),
			testkit.ExtSignatureAlgorithms(testkit.SigEd25519, testkit.SigECDSAP256, testkit.SigRSAPSSSHA256),
			testkit.ExtSupportedVersionsClient(versions...), testkit.ExtPSKModes(1),
			testkit.ExtKeyShareClient(testkit.GroupX25519, rng.Bytes(32)),
		}}
	if psk {
		ch.Extensions = append(ch.Extensions, testkit.ExtPreSharedKeyClient(rng.Bytes(96), rng.Uint32(), rng.Bytes(32)))
	}
	return ch
}

func buildTLS13PSK(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("tls13-psk-crafted")
	c := newConn(rng, 50600)
	ch := tls13ClientHello(rng, "tls13.example.test", []uint16{testkit.VersionTLS13, testkit.VersionTLS12}, true)
	sh := &testkit.ServerHello{Version: testkit.VersionTLS12, Random: rng.Bytes(32), SessionID: ch.SessionID,
		CipherSuite: testkit.SuiteTLS13AES128GCM,
		Extensions: []testkit.Extension{testkit.ExtSupportedVersionsServer(testkit.VersionTLS13),
			testkit.ExtKeyShareServer(testkit.GroupX25519, rng.Bytes(32)), testkit.ExtPreSharedKeyServer(0)}}
	tls13Exchange(c, rng, ch, sh, 91)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildTLS13DraftEcho(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("tls13-draft-echo")
	c := newConn(rng, 50601)
	ch := tls13ClientHello(rng, "draft28.example.test", []uint16{testkit.VersionTLS13Draft28, testkit.VersionTLS12}, false)
	sh := &testkit.ServerHello{Version: testkit.VersionTLS12, Random: rng.Bytes(32), SessionID: ch.SessionID,
		CipherSuite: testkit.SuiteTLS13AES128GCM,
		Extensions: []testkit.Extension{testkit.ExtSupportedVersionsServer(testkit.VersionTLS13Draft28),
			testkit.ExtKeyShareServer(testkit.GroupX25519, rng.Bytes(32))}}
	tls13Exchange(c, rng, ch, sh, 1200)
	return pcapOf(layers.LinkTypeEthernet, c)
}

func buildTLS12TicketEcho(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("tls12-ticket-echo")
	c := newConn(rng, 50602)
	v := testkit.VersionTLS12
	sid := rng.Bytes(32)
	ch := &testkit.ClientHello{Version: v, Random: rng.Bytes(32), SessionID: sid,
		CipherSuites: []uint16{testkit.SuiteECDHEECDSAAES128GCM, testkit.SuiteECDHEECDSAAES256},
		Extensions: []testkit.Extension{testkit.ExtServerName("ticket.example.test"), testkit.ExtECPointFormats(),
			testkit.ExtSupportedGroups(testkit.GroupX25519), testkit.ExtSessionTicket(rng.Bytes(192)),
			testkit.ExtSignatureAlgorithms(testkit.SigEd25519, testkit.SigECDSAP256), testkit.ExtExtendedMasterSecret(), testkit.ExtRenegotiationInfo()}}
	sh := &testkit.ServerHello{Version: v, Random: rng.Bytes(32), SessionID: sid, CipherSuite: testkit.SuiteECDHEECDSAAES128GCM,
		Extensions: []testkit.Extension{testkit.ExtRenegotiationInfo(), testkit.ExtExtendedMasterSecret(), testkit.ExtECPointFormats()}}
	c.Open()
	c.Send(testkit.A, testkit.HandshakeRecords(testkit.VersionTLS10, ch.Marshal()))
	sf := testkit.HandshakeRecords(v, sh.Marshal())
	sf = append(sf, testkit.ChangeCipherSpec(v)...)
	sf = append(sf, testkit.EncryptedRecord(testkit.ContentHandshake, v, testkit.FinishedLen(v), rng)...)
	c.Send(testkit.B, sf)
	c.Send(testkit.A, append(testkit.ChangeCipherSpec(v), testkit.EncryptedRecord(testkit.ContentHandshake, v, testkit.FinishedLen(v), rng)...))
	c.Send(testkit.A, testkit.EncryptedRecord(testkit.ContentApplicationData, v, 144, rng))
	c.Send(testkit.B, testkit.EncryptedRecord(testkit.ContentApplicationData, v, 624, rng))
	c.Close(testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}

// hostileSNI is what a peer could put in server_name to break a CSV, a
// terminal or a log pipeline (issue 11: "output people can trust").
const hostileSNI = "a,b\"c\nd\x1be\xff\\f\u202egnp.exe"

func buildHostileSNI(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("hostile-sni")
	c := newConn(rng, 50603)
	Plain12(rng, p, hostileSNI).Run(c, testkit.A)
	return pcapOf(layers.LinkTypeEthernet, c)
}
