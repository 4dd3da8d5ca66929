package craftlib

import (
	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// resumptionItem is the capture for resumed_without_client_auth (issue
// 12): a server that asks for client certificates resuming a session
// established without one. OpenSSL and Go refuse to do it, so the
// capture is crafted: it shows the wire picture of botan#5818 (a ticket
// minted before mTLS became mandatory, accepted after) and of a ticket
// shared between a server context without client authentication and one
// with it.
func resumptionItem() Item {
	return Item{"crafted/resumed-without-client-auth.pcap",
		"four TLS 1.2 connections to 198.51.100.20:443 (SNI mtls.example.test), a second apart: 1 (port 50700) full handshake without CertificateRequest, the server issues ticket T1 (NewSessionTicket); 2 (50701) full handshake with CertificateRequest, the client sends a certificate, the server issues T2; 3 (50702) the client offers T1 and the server resumes it (abbreviated handshake, no certificate); 4 (50703) T2 resumed",
		"1: full, cert_requested no, client_cert none, ticket_issued; 2: full, cert_requested yes, client_cert sent, ticket_issued; 3: ticket, resumed_from packet 1 with origin_client_cert none, flag **resumed_without_client_auth** (the server asked every full handshake since T1 was issued); 4: ticket, resumed_from connection 2 with origin_client_cert sent, no flag",
		buildResumedWithoutClientAuth}
}

func buildResumedWithoutClientAuth(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("resumed-without-client-auth")
	const sni = "mtls.example.test"
	t1, t2 := rng.Bytes(160), rng.Bytes(160)
	c1 := newConn(rng, 50700)
	fullWithTicket(c1, Plain12(rng, p, sni), t1)
	c2 := newConn(rng, 50701)
	fullWithTicket(c2, MutualTLS12(rng, p, sni), t2)
	c3 := newConn(rng, 50702)
	resumeTicket12(c3, rng, sni, t1)
	c4 := newConn(rng, 50703)
	resumeTicket12(c4, rng, sni, t2)
	return pcapOf(layers.LinkTypeEthernet, c1, c2, c3, c4)
}

// fullWithTicket runs h (the client on side A) with the server issuing
// ticket in a NewSessionTicket before its ChangeCipherSpec.
func fullWithTicket(c *testkit.Conn, h *testkit.Handshake, ticket []byte) {
	v := testkit.VersionTLS12
	c.Open()
	c.Send(testkit.A, h.ClientHello())
	c.Send(testkit.B, h.ServerFlight())
	c.Send(testkit.A, h.ClientFlight())
	sf := testkit.HandshakeRecords(v, testkit.NewSessionTicketMsg(7200, ticket))
	sf = append(sf, testkit.ChangeCipherSpec(v)...)
	sf = append(sf, testkit.EncryptedRecord(testkit.ContentHandshake, v, testkit.FinishedLen(v), h.RNG)...)
	c.Send(testkit.B, sf)
	c.Send(testkit.A, h.AppData(120))
	c.Send(testkit.B, h.AppData(600))
	c.Close(testkit.A)
}

// resumeTicket12 is a TLS 1.2 abbreviated handshake on ticket: the
// ClientHello offers it with a fresh session ID, the server echoes the ID
// (RFC 5077 3.4) and finishes first.
func resumeTicket12(c *testkit.Conn, rng *testkit.RNG, sni string, ticket []byte) {
	v := testkit.VersionTLS12
	sid := rng.Bytes(32)
	ch := &testkit.ClientHello{Version: v, Random: rng.Bytes(32), SessionID: sid,
		CipherSuites: []uint16{testkit.SuiteECDHEECDSAAES128GCM, testkit.SuiteECDHEECDSAAES256},
		Extensions: []testkit.Extension{testkit.ExtServerName(sni), testkit.ExtECPointFormats(),
			testkit.ExtSupportedGroups(testkit.GroupX25519), testkit.ExtSessionTicket(ticket),
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
}
