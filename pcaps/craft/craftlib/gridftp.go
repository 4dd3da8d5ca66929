package craftlib

import (
	"encoding/base64"
	"fmt"

	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// GridFTP: TLS inside FTP's security exchange (RFC 2228), the way Globus'
// GSI does it. The TLS records of each flight travel base64-encoded in
// "ADAT" commands and "335 ADAT=" replies on the control connection
// (port 2811); the data connection then speaks TLS directly. Modelled on
// Zeek's globus-url-copy.pcap, with the catalogue's TLS 1.2 mutual
// authentication instead of that trace's TLS 1.0.

func gridftpItems() []Item {
	return []Item{
		{"crafted/gridftp.pcap",
			"GridFTP (crafted, modelled on Zeek's globus-url-copy.pcap). Connection 1, control on port 2811: 220 banner, AUTH GSSAPI, 334, then a TLS 1.2 mutual-auth handshake (no SNI; CertificateRequest, client Certificate + CertificateVerify) base64-encoded in ADAT commands and 335 ADAT= replies, one flight per line, the client's second ADAT line cut inside a base64 quantum and between its CR and LF; then encrypted ADAT (delegation), 235, ENC and 632. Connection 2, data on port 50000: the same kind of handshake in plain TLS",
			"two rows, both TLSv1.2, full, cert_requested yes, client_cert sent, client_certs 1, server_certs 2, established, history CsxkrnXGYIi: the control connection's TLS is read from the ADAT tokens (as Zeek does), the data connection's directly",
			buildGridFTP},
	}
}

func buildGridFTP(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("gridftp")
	server := func(port uint16) testkit.Endpoint {
		return testkit.Endpoint{MAC: ServerMAC, IP: ServerIP, Port: port}
	}
	ctrl := testkit.NewConn(ClientEP(50500), server(2811), rng.Uint32(), rng.Uint32())
	h := MutualTLS12(rng, p, "") // GSI clients send no SNI
	cl, sv := testkit.A, testkit.B
	line := func(s string) []byte { return []byte(s + "\r\n") }
	b64 := base64.StdEncoding.EncodeToString

	ctrl.Open()
	ctrl.Send(sv, line("220 gridftp.example.test GridFTP Server 6.14 (crafted) ready."))
	ctrl.Send(cl, line("AUTH GSSAPI"))
	ctrl.Send(sv, line("334 Using authentication type; ADAT must follow."))
	ctrl.Send(cl, line("ADAT "+b64(h.ClientHello())))
	ctrl.Send(sv, line("335 ADAT="+b64(h.ServerFlight())))
	// The client's flight: the first segment ends inside a base64
	// quantum, the second between CR and LF.
	flight := line("ADAT " + b64(h.ClientFlight()))
	cut := len("ADAT ") + 4*100 + 2
	if len(flight)-1-cut > ctrl.MSS || len(flight)-1 <= cut {
		return nil, fmt.Errorf("gridftp: client ADAT line is %d bytes", len(flight))
	}
	ctrl.SendSizes(cl, flight, cut, len(flight)-1-cut, 1)
	ctrl.Send(sv, line("335 ADAT="+b64(h.ServerFinish())))
	ctrl.Send(cl, line("ADAT "+b64(h.AppData(1)))) // GSI's delegation flag
	ctrl.Send(sv, line("235 GSSAPI Authentication successful."))
	ctrl.Send(cl, line("ENC "+b64(h.AppData(24)))) // a protected command
	ctrl.Send(sv, line("632 "+b64(h.AppData(60)))) // its protected reply
	ctrl.Close(cl)

	data := testkit.NewConn(ClientEP(50501), server(50000), rng.Uint32(), rng.Uint32())
	MutualTLS12(rng, p, "").Run(data, cl)
	return pcapOf(layers.LinkTypeEthernet, ctrl, data)
}
