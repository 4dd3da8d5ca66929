package tlsparse

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// GridFTP ADAT decoding (gridftp.go). The decoder's own tests feed FTP
// text to an adatHalf and compare the decoded bytes and the status; the end
// to end tests put the decoded bytes through a fresh Conn with the public
// API (NewConn, Feed, Summary), the way Conn.Feed will once it routes a
// GridFTP half through the decoder.

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// adatCmd and adatReply are one client ADAT command and one server reply
// carrying data (code 334, 335 or 235).
func adatCmd(data []byte) string { return "ADAT " + b64(data) + "\r\n" }

func adatReply(code string, data []byte) string { return code + " ADAT=" + b64(data) + "\r\n" }

// decodeAll feeds s to a new decoder of the given side in pieces of the
// given sizes (the last repeats; none: whole) and returns everything it
// decoded and the final status.
func decodeAll(side adatSide, s []byte, sizes ...int) ([]byte, adatStatus) {
	a := newADATHalf(side)
	var out []byte
	st := adatMore
	for i := 0; len(s) > 0; i++ {
		n := len(s)
		if len(sizes) > 0 {
			n = min(n, sizes[min(i, len(sizes)-1)])
		}
		var dec []byte
		dec, st = a.feed(s[:n])
		out = append(out, dec...)
		s = s[n:]
	}
	return out, st
}

func TestADATStart(t *testing.T) {
	tests := []struct {
		in       string
		ok, need bool
	}{
		{"AUTH GSSAPI\r\n", true, false},
		{"auth gssapi\n", true, false},
		{"AUTH GSSAPI  \r\n", true, false},
		{"ADAT FgMB", true, false},
		{"adat ", true, false},
		{"", false, true},
		{"A", false, true},
		{"AUTH", false, true},
		{"AUTH GSS", false, true},
		{"AUTH GSSAPI", false, true},
		{"AUTH GSSAPI ", false, true},
		{"AUTH TLS\r\n", false, false},
		{"AUTH GSSAPIX\r\n", false, false},
		{"EHLO mail\r\n", false, false},
		{"220 ready\r\n", false, false},
		{"\x16\x03\x01\x00\x05", false, false},
	}
	for _, tt := range tests {
		ok, need := adatStart([]byte(tt.in))
		if ok != tt.ok || need != tt.need {
			t.Errorf("adatStart(%q) = %v, %v; want %v, %v", tt.in, ok, need, tt.ok, tt.need)
		}
	}
}

func TestADATDecode(t *testing.T) {
	rec := hsRec(VersionTLS10, chSpec{}.msg())
	rec2 := cat(ccsRec(VersionTLS12), finRec(VersionTLS12, 7))
	krb := cat([]byte{0x60, 0x82, 0x02, 0x00, 0x06, 0x09}, mkBytes(40, 1)) // an RFC 2743 framed Kerberos token
	short := rec[:len(rec)-1]
	if len(short)%3 == 0 {
		short = short[:len(short)-1] // a length that needs padding
	}
	unpadded := strings.TrimRight(b64(short), "=")
	tests := []struct {
		name string
		side adatSide
		in   string
		want []byte
		st   adatStatus
	}{
		{"client hello", adatClient, "AUTH GSSAPI\r\n" + adatCmd(rec), rec, adatMore},
		{"lower case, bare LF", adatClient, "auth gssapi\nadat " + b64(rec) + "\n", rec, adatMore},
		{"two tokens", adatClient, "AUTH GSSAPI\r\n" + adatCmd(rec) + adatCmd(rec2), cat(rec, rec2), adatMore},
		{"trailing space", adatClient, "AUTH GSSAPI\r\nADAT " + b64(rec) + "  \r\n", rec, adatMore},
		{"unpadded", adatClient, "AUTH GSSAPI\r\nADAT " + unpadded + "\r\n", short, adatMore},
		{"capture after AUTH", adatClient, adatCmd(rec), rec, adatMore},
		{"other commands first", adatClient, "FEAT\r\nAUTH GSSAPI\r\n" + adatCmd(rec), rec, adatMore},
		{"sslv2 hello", adatClient, "AUTH GSSAPI\r\n" + adatCmd(mkSSLv2Hello(VersionTLS10)), mkSSLv2Hello(VersionTLS10), adatMore},
		{"protected command ends", adatClient, "AUTH GSSAPI\r\n" + adatCmd(rec) + "ENC " + b64(rec2) + "\r\n" + adatCmd(rec2), rec, adatDone},
		{"reissued AUTH ends", adatClient, "AUTH GSSAPI\r\n" + adatCmd(rec) + "AUTH GSSAPI\r\n" + adatCmd(rec2), rec, adatDone},
		{"AUTH TLS", adatClient, "AUTH TLS\r\n\x16\x03\x01", nil, adatNotTLS},
		{"kerberos", adatClient, "AUTH GSSAPI\r\n" + adatCmd(krb), nil, adatNotTLS},
		{"short first token", adatClient, "AUTH GSSAPI\r\nADAT FgM=\r\n", nil, adatNotTLS},
		{"empty first token", adatClient, "AUTH GSSAPI\r\nADAT \r\n", nil, adatNotTLS},
		{"bad character", adatClient, "AUTH GSSAPI\r\n" + adatCmd(rec) + "ADAT Fg*B\r\n", rec, adatBad},
		{"bad padding", adatClient, "AUTH GSSAPI\r\n" + adatCmd(rec) + "ADAT F===\r\n", rec, adatBad},
		{"data after padding", adatClient, "AUTH GSSAPI\r\n" + adatCmd(rec) + "ADAT FgM=FgMB\r\n", cat(rec, []byte{0x16, 0x03}), adatBad},
		{"one character quantum", adatClient, "AUTH GSSAPI\r\n" + adatCmd(rec) + "ADAT FgMBF\r\n", cat(rec, []byte{0x16, 0x03, 0x01}), adatBad},
		{"garbage after token in head", adatClient, "AUTH GSSAPI\r\n" + adatCmd(rec) + "ADAT FgMB  x\r\n", cat(rec, []byte{0x16, 0x03, 0x01}), adatBad},
		{"spaces after token in head", adatServer, "334 ok\r\n" + adatReply("335", rec) + "335 ADAT=FgMB   \r\n", cat(rec, []byte{0x16, 0x03, 0x01}), adatMore},
		{"garbage after token", adatClient, "AUTH GSSAPI\r\n" + adatCmd(rec) + "ADAT FgMB x\r\n", cat(rec, []byte{0x16, 0x03, 0x01}), adatBad},
		{"not FTP", adatClient, "AUTH GSSAPI\r\n" + strings.Repeat("x", adatMaxText+1), nil, adatNotTLS},

		{"server flight", adatServer,
			"220-alpha GridFTP Server\r\n220 ready.\r\n334 Using authentication type; ADAT must follow.\r\n" +
				adatReply("335", rec) + adatReply("335", rec2),
			cat(rec, rec2), adatMore},
		{"235 with the last token", adatServer, "334 ok\r\n" + adatReply("335", rec) + adatReply("235", rec2) + adatReply("335", rec), cat(rec, rec2), adatDone},
		{"235 without token", adatServer, "334 ok\r\n" + adatReply("335", rec) + "235 GSSAPI Authentication successful.\r\n" + adatReply("335", rec2), rec, adatDone},
		{"334 with a token", adatServer, adatReply("334", rec), rec, adatMore},
		{"continuation", adatServer, "334 ok\r\n335-ADAT=" + b64(rec) + "\r\n335 ADAT=\r\n", rec, adatMore},
		{"spaces before ADAT=", adatServer, "335   ADAT=" + b64(rec) + "\r\n", rec, adatMore},
		{"protected reply ends", adatServer, "334 ok\r\n" + adatReply("335", rec) + "632 " + b64(rec2) + "\r\n", rec, adatDone},
		{"refused", adatServer, "334 ok\r\n535 Failed\r\n" + adatReply("335", rec), nil, adatNotTLS},
		{"refusal before 334 is someone else's", adatServer, "500 what\r\n334 ok\r\n" + adatReply("335", rec), rec, adatMore},
		{"server bad base64", adatServer, "334 ok\r\n335 ADAT=%%%%\r\n", nil, adatBad},
		{"server kerberos", adatServer, "334 ok\r\n" + adatReply("335", krb), nil, adatNotTLS},
		{"server alert", adatServer, "334 ok\r\n" + adatReply("335", alertRec(VersionTLS10, AlertFatal, 40)), alertRec(VersionTLS10, AlertFatal, 40), adatMore},
		{"server over preamble", adatServer, strings.Repeat("220-welcome to the banner\r\n", adatMaxPreamble/27+1), nil, adatNotTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := decodeAll(tt.side, []byte(tt.in))
			if st != tt.st {
				t.Errorf("status %d, want %d", st, tt.st)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("decoded\n%x\nwant\n%x", got, tt.want)
			}
			// A final status stays, and gives nothing more.
			if st != adatMore {
				a := newADATHalf(tt.side)
				a.feed([]byte(tt.in))
				if more, st2 := a.feed([]byte(adatCmd(rec) + adatReply("335", rec))); more != nil || st2 != st {
					t.Errorf("after status %d: feed gave %d bytes, status %d", st, len(more), st2)
				}
			}
		})
	}
}

func TestADATLimits(t *testing.T) {
	rec := hsRec(VersionTLS10, chSpec{}.msg())
	t.Run("token", func(t *testing.T) {
		big := "AUTH GSSAPI\r\n" + adatCmd(rec) + "ADAT " + strings.Repeat("AAAA", adatMaxToken/4+1) + "\r\n"
		got, st := decodeAll(adatClient, []byte(big))
		if st != adatBad || len(got) > len(rec)+adatMaxToken*3/4 {
			t.Errorf("status %d after %d bytes, want %d within the token bound", st, len(got), adatBad)
		}
	})
	t.Run("direction", func(t *testing.T) {
		var s strings.Builder
		s.WriteString("AUTH GSSAPI\r\n" + adatCmd(rec))
		tok := adatCmd(mkBytes(adatMaxToken/2, 3))
		for s.Len() < adatMaxDecoded*4/3+len(tok) {
			s.WriteString(tok)
		}
		got, st := decodeAll(adatClient, []byte(s.String()), 65536)
		if st != adatBad || len(got) > adatMaxDecoded {
			t.Errorf("status %d after %d bytes, want %d within %d", st, len(got), adatBad, adatMaxDecoded)
		}
	})
}

// gridftpStreams is a GridFTP control connection carrying a TLS 1.2 mutual
// authentication handshake: the client's and the server's whole streams.
func gridftpStreams(t testing.TB) (client, server []byte, h *testkit.Handshake) {
	p := pkiOnce()
	h = &testkit.Handshake{
		RNG: testkit.NewRNG("gridftp"), ServerCerts: [][]byte{p.server, p.caA},
		CertRequest: crMsg12(p.dnA), ClientCertificate: true, ClientCerts: [][]byte{p.clientA}, CertVerify: true,
	}
	var c, s strings.Builder
	s.WriteString("220 gridftp.test GridFTP Server ready.\r\n")
	c.WriteString("AUTH GSSAPI\r\n")
	s.WriteString("334 Using authentication type; ADAT must follow.\r\n")
	c.WriteString(adatCmd(h.ClientHello()))
	s.WriteString(adatReply("335", h.ServerFlight()))
	c.WriteString(adatCmd(h.ClientFlight()))
	s.WriteString(adatReply("335", h.ServerFinish()))
	c.WriteString(adatCmd(h.AppData(32))) // GSI's delegation byte, encrypted
	s.WriteString("235 GSSAPI Authentication successful.\r\n")
	c.WriteString("ENC " + b64(h.AppData(40)) + "\r\n")
	s.WriteString("632 " + b64(h.AppData(60)) + "\r\n")
	return []byte(c.String()), []byte(s.String()), h
}

// adatConn plays evs through one decoder per half into a fresh Conn, with
// the public API only: the bytes a decoder returns are the half's stream.
// Half 0 is the client (the first event must be its). It stands for
// Conn.Feed's ADAT mode until that is wired in.
func adatConn(evs []event) *Conn {
	c := NewConn(Options{})
	c.SetInitiator(0)
	dec := [2]*adatHalf{newADATHalf(adatClient), newADATHalf(adatServer)}
	var pend [2][]byte
	for _, e := range evs {
		if e.close {
			c.Close(e.h, len(pend[e.h]))
			continue
		}
		if dec[e.h] == nil {
			continue
		}
		out, st := dec[e.h].feed(e.data)
		pend[e.h] = append(pend[e.h], out...)
		n := c.Feed(e.h, pend[e.h])
		pend[e.h] = pend[e.h][n:]
		if st != adatMore {
			dec[e.h] = nil
		}
	}
	return c
}

// interleave cuts both streams into lines and sends them in the order of
// the exchange (one line each way, server first), each line cut into
// pieces of the given sizes (the last repeats).
func interleave(client, server []byte, sizes ...int) []event {
	split := func(b []byte) [][]byte {
		var out [][]byte
		for len(b) > 0 {
			i := bytes.IndexByte(b, '\n') + 1
			if i == 0 {
				i = len(b)
			}
			out = append(out, b[:i])
			b = b[i:]
		}
		return out
	}
	cl, sv := split(client), split(server)
	var evs []event
	add := func(h int, line []byte) {
		for j := 0; len(line) > 0; j++ {
			n := len(line)
			if len(sizes) > 0 {
				n = min(n, sizes[min(j, len(sizes)-1)])
			}
			evs = append(evs, send(h, line[:n]))
			line = line[n:]
		}
	}
	for i := 0; i < max(len(cl), len(sv)); i++ {
		if i < len(sv) {
			add(1, sv[i])
		}
		if i < len(cl) {
			add(0, cl[i])
		}
	}
	return evs
}

type adatRow struct {
	Version                  Version
	Cipher                   CipherSuite
	Resumption               Resumption
	CertReq                  CertRequested
	ClientCert               ClientCert
	ClientCerts, ServerCerts int
	Established              bool
	Flags                    Flags
	History                  string
}

func rowOf(s Summary) adatRow {
	return adatRow{s.Version, s.Cipher, s.Resumption, s.CertReq, s.ClientCert, s.ClientCerts, s.ServerCerts, s.Established, s.Flags, s.History}
}

// TestADATConn decodes a whole GridFTP exchange and reads the TLS row out
// of it, however the lines are cut (CRLFs and base64 quanta split across
// segments, one byte at a time).
func TestADATConn(t *testing.T) {
	client, server, _ := gridftpStreams(t)
	want := adatRow{
		Version: VersionTLS12, Cipher: 0xc02b, Resumption: ResumptionFull, CertReq: CertRequestedYes,
		ClientCert: ClientCertSent, ClientCerts: 1, ServerCerts: 2, Established: true, History: "CsxkrnXGYIi",
	}
	for _, sizes := range [][]int{nil, {1}, {7}, {1460}, {3, 1, 4, 1, 5, 9, 2, 6}} {
		s := adatConn(interleave(client, server, sizes...)).Summary()
		if diff := cmp.Diff(want, rowOf(s)); diff != "" {
			t.Errorf("segments %v: (-want +got)\n%s", sizes, diff)
		}
		if len(s.Anomalies) > 0 || len(s.Errors) > 0 {
			t.Errorf("segments %v: anomalies %v, errors %v", sizes, s.Anomalies, s.Errors)
		}
	}
}

// TestADATCraftedFixture reads the control connection of
// pcaps/crafted/gridftp.pcap (pcaps/craft/craftlib/gridftp.go) through the
// decoder: the row its golden file gets once Conn.Feed decodes ADAT.
func TestADATCraftedFixture(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "pcaps", "crafted", "gridftp.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	evs := firstTCPConn(data)
	if len(evs) == 0 {
		t.Fatal("no connection")
	}
	want := adatRow{
		Version: VersionTLS12, Cipher: 0xc02b, Resumption: ResumptionFull, CertReq: CertRequestedYes,
		ClientCert: ClientCertSent, ClientCerts: 1, ServerCerts: 2, Established: true, History: "CsxkrnXGYIi",
	}
	s := adatConn(evs).Summary()
	if diff := cmp.Diff(want, rowOf(s)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if len(s.Anomalies) > 0 || len(s.Errors) > 0 {
		t.Errorf("anomalies %v, errors %v", s.Anomalies, s.Errors)
	}
}

// TestADATSplitAnywhere feeds each stream cut in two at every offset: the
// decoded bytes and the status are those of the whole.
func TestADATSplitAnywhere(t *testing.T) {
	client, server, _ := gridftpStreams(t)
	for _, tc := range []struct {
		side adatSide
		s    []byte
	}{{adatClient, client}, {adatServer, server}} {
		want, wst := decodeAll(tc.side, tc.s)
		for k := 1; k < len(tc.s); k++ {
			if testing.Short() && k > 256 && k%97 != 0 {
				continue
			}
			got, st := decodeAll(tc.side, tc.s, k, len(tc.s))
			if st != wst || !bytes.Equal(got, want) {
				t.Fatalf("side %d cut at %d: %d bytes, status %d; want %d bytes, status %d", tc.side, k, len(got), st, len(want), wst)
			}
		}
	}
}

// TestADATZeekTrace reads the GridFTP control connection of Zeek's
// globus-url-copy.pcap (a real Globus Toolkit 5.2 session) and compares
// with Zeek's ssl.log for it (scripts.base.protocols.ftp.gridftp).
func TestADATZeekTrace(t *testing.T) {
	path := filepath.Join(testkit.Corpus(t, "zeek", "traces"), "globus-url-copy.pcap")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("zeek trace: %v", err)
	}
	evs := firstTCPConn(data)
	if len(evs) == 0 || evs[0].h != 1 {
		t.Fatalf("want the control connection, server banner first: %d events", len(evs))
	}
	// firstTCPConn numbers the SYN's sender 0: the client.
	s := adatConn(evs).Summary()
	want := adatRow{
		Version: VersionTLS10, Cipher: 0x0035, Resumption: ResumptionFull, CertReq: CertRequestedYes,
		ClientCert: ClientCertSent, ClientCerts: 3, ServerCerts: 2, Established: true,
		Flags: FlagsOf(FlagTicketIssued), History: "CsxrnXGYIti", // Zeek: CsxrnXGYIti
	}
	if diff := cmp.Diff(want, rowOf(s)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

// FuzzADATHalf checks the decoder on any bytes, from either side: cutting
// the input anywhere changes nothing, the output is never more than the
// base64 can hold, a final status stays final, and what a decoder lets
// out starts like TLS.
func FuzzADATHalf(f *testing.F) {
	client, server, _ := gridftpStreams(f)
	f.Add(false, client, uint16(100))
	f.Add(true, server, uint16(7))
	f.Add(false, []byte("AUTH GSSAPI\r\nADAT FgMBAAE=\r\nADAT Fg*B\r\n"), uint16(20))
	f.Add(true, []byte("334 ok\r\n335-ADAT=FgMB\r\n235 ADAT=\r\n"), uint16(3))
	if data, err := os.ReadFile(filepath.Join(testkit.OptionalCorpus(f, "zeek", "traces"), "globus-url-copy.pcap")); err == nil {
		var st [2][]byte
		for _, e := range firstTCPConn(data) {
			st[e.h] = append(st[e.h], e.data...)
		}
		f.Add(false, st[0], uint16(1448))
		f.Add(true, st[1], uint16(1448))
	}
	f.Fuzz(func(t *testing.T, server bool, in []byte, cut uint16) {
		side := adatClient
		if server {
			side = adatServer
		}
		whole, wst := decodeAll(side, in)
		k := int(cut)%(len(in)+1) + 1
		split, sst := decodeAll(side, in, k, 1, len(in))
		if wst != sst || !bytes.Equal(whole, split) {
			t.Fatalf("cut at %d: %d bytes, status %d; whole: %d bytes, status %d", k, len(split), sst, len(whole), wst)
		}
		if len(whole) > len(in)*3/4+3 {
			t.Fatalf("%d bytes out of %d", len(whole), len(in))
		}
		if len(whole) > 0 && !adatFirstToken(side, whole[:min(3, len(whole))]) {
			t.Fatalf("side %d: output starts %x", side, whole[:min(3, len(whole))])
		}
		a := newADATHalf(side)
		a.feed(in)
		if _, st := a.feed(in); wst != adatMore && st != wst {
			t.Fatalf("final status %d became %d", wst, st)
		}
	})
}
