package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestGridFTPRows pins the rows of pcaps/golden/crafted/gridftp.pcap.csv
// independently of -update: the control connection on port 2811 gets the
// row of the TLS handshake carried in its ADAT lines (tlsparse/gridftp.go),
// the data connection on 50000 the row of the same handshake in plain TLS.
func TestGridFTPRows(t *testing.T) {
	const want = `ts,client_ip,client_port,server_ip,server_port,sni,version,cipher,alpn,resumption,cert_requested,client_cert,client_certs,server_certs,established,alert,flags,history,evidence,file,packet,ja4,server_cn,server_not_after,client_cn,resumed_from
2024-01-01T00:00:00.000000Z,192.0.2.10,50500,198.51.100.20,2811,,TLSv1.2,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,,full,yes,sent,1,2,yes,,,CsxkrnXGYIi,cleartext,pcaps/crafted/gridftp.pcap,1,t12i040600_3c39298c7941_53cff5a8de1e,server.example.test,2034-01-01T00:00:00.000000Z,client-1,
2024-01-01T00:00:01.031000Z,192.0.2.10,50501,198.51.100.20,50000,,TLSv1.2,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,,full,yes,sent,1,2,yes,,,CsxkrnXGYIi,cleartext,pcaps/crafted/gridftp.pcap,32,t12i040600_3c39298c7941_53cff5a8de1e,server.example.test,2034-01-01T00:00:00.000000Z,client-1,
`
	var out, errb bytes.Buffer
	code := run([]string{"--format", "csv", "-q", filepath.Join("..", "..", "pcaps", "crafted", "gridftp.pcap")},
		strings.NewReader(""), &out, &errb)
	if code != exitOK || errb.Len() > 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if got := relPaths(out.String()); got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
}
