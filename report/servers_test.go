package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/tlsscan/tlsscan/internal/testkit"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// srvRow is a row to server 198.51.100.7:443 "example.com": a TLS 1.2 full
// handshake read in cleartext, established, no client authentication.
// Each edit then changes what a case needs.
func srvRow(edits ...func(*Row)) *Row {
	r := &Row{
		ClientIP: netip.MustParseAddr("192.0.2.1"), ClientPort: 50000,
		ServerIP: netip.MustParseAddr("198.51.100.7"), ServerPort: 443,
		SNI: "example.com", Version: "TLSv1.2",
		Resumption: tlsparse.ResumptionFull, CertRequested: tlsparse.CertRequestedNo, ClientCert: tlsparse.ClientCertNone,
		ClientCerts: 0, ServerCerts: 2,
		Established: true,
		Evidence:    tlsparse.EvidenceCleartext,
	}
	for _, e := range edits {
		e(r)
	}
	return r
}

// Edits for srvRow.
var (
	asked = func(r *Row) { r.CertRequested = tlsparse.CertRequestedYes }
	sent  = func(r *Row) {
		r.CertRequested, r.ClientCert, r.ClientCerts = tlsparse.CertRequestedYes, tlsparse.ClientCertSent, 1
	}
	empty     = func(r *Row) { r.CertRequested, r.ClientCert = tlsparse.CertRequestedYes, tlsparse.ClientCertEmpty }
	missing   = func(r *Row) { r.CertRequested, r.ClientCert = tlsparse.CertRequestedYes, tlsparse.ClientCertMissing }
	authFail  = func(r *Row) { r.Flags.Set(tlsparse.FlagClientAuthFailed); r.Established = false }
	notEst    = func(r *Row) { r.Established = false }
	unknownCA = func(r *Row) {
		r.CertRequested, r.ClientCert, r.Evidence = tlsparse.CertRequestedUnknown, tlsparse.ClientCertUnknown, tlsparse.EvidenceNone
	}
	tls13 = func(r *Row) {
		r.Version = "TLSv1.3"
		r.Flags.Set(tlsparse.FlagEncryptedHandshake)
	}
	sizes   = func(r *Row) { r.Evidence = tlsparse.EvidenceRecordSizes }
	keylog  = func(r *Row) { r.Evidence = tlsparse.EvidenceKeylog; r.Flags.Set(tlsparse.FlagDecrypted) }
	resumed = func(res tlsparse.Resumption) func(*Row) {
		return func(r *Row) { r.Resumption = res }
	}
	withFlag = func(f tlsparse.Flag) func(*Row) { return func(r *Row) { r.Flags.Set(f) } }
	at       = func(ip string, port uint16, sni string) func(*Row) {
		return func(r *Row) { r.ServerIP, r.ServerPort, r.SNI = netip.MustParseAddr(ip), port, sni }
	}
)

// TestClientAuthRule is docs/audit.md's client_auth rule, case by case:
// the rows of one server and the value they give.
func TestClientAuthRule(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows []*Row
		want string
	}{
		{"no rows at all", nil, ClientAuthUnknown},
		{"only tls13 without keys", []*Row{srvRow(tls13, unknownCA), srvRow(tls13, unknownCA)}, ClientAuthUnknown},
		{"not asked on a full handshake", []*Row{srvRow()}, ClientAuthNever},
		{"not asked, not established", []*Row{srvRow(notEst)}, ClientAuthNever},
		{"not asked, record sizes", []*Row{srvRow(tls13, sizes)}, ClientAuthNever},
		{"never plus unknowns", []*Row{srvRow(), srvRow(tls13, unknownCA)}, ClientAuthNever},
		{"only resumed handshakes prove nothing", []*Row{
			srvRow(resumed(tlsparse.ResumptionSessionID)),
			srvRow(resumed(tlsparse.ResumptionTicket)),
			srvRow(resumed(tlsparse.ResumptionPSK), tls13, sizes),
		}, ClientAuthUnknown},
		{"asked, every client sent one", []*Row{srvRow(sent), srvRow(sent)}, ClientAuthRequested},
		{"asked, answer unknown", []*Row{srvRow(asked, func(r *Row) { r.ClientCert = tlsparse.ClientCertUnknown })}, ClientAuthRequested},
		{"asked, declined, not established without an alert", []*Row{srvRow(empty, notEst)}, ClientAuthRequested},
		{"asked, declined, established under tls13 record sizes", []*Row{srvRow(tls13, sizes, empty)}, ClientAuthRequested},
		{"asked on some, not on others, none declined", []*Row{srvRow(sent), srvRow()}, ClientAuthRequested},
		{"empty refused", []*Row{srvRow(empty, authFail), srvRow(sent)}, ClientAuthRequired},
		{"missing refused", []*Row{srvRow(missing, authFail)}, ClientAuthRequired},
		{"refused under tls13 with keys", []*Row{srvRow(tls13, keylog, empty, authFail)}, ClientAuthRequired},
		{"refused, plus unreadable and resumed rows", []*Row{
			srvRow(empty, authFail),
			srvRow(tls13, unknownCA),
			srvRow(resumed(tlsparse.ResumptionTicket)),
			srvRow(tls13, sizes, empty), // looks established: not an admission
		}, ClientAuthRequired},
		{"a sent certificate refused says nothing", []*Row{srvRow(sent, authFail)}, ClientAuthRequested},
		{"empty admitted", []*Row{srvRow(empty)}, ClientAuthOptional},
		{"missing admitted", []*Row{srvRow(missing), srvRow(sent)}, ClientAuthOptional},
		{"empty admitted under tls13 with keys", []*Row{srvRow(tls13, keylog, empty)}, ClientAuthOptional},
		{"optional, and not asked on others", []*Row{srvRow(empty), srvRow()}, ClientAuthOptional},
		{"refused and admitted when declined", []*Row{srvRow(empty, authFail), srvRow(empty)}, ClientAuthMixed},
		{"refused when declined, admitted unasked", []*Row{srvRow(empty, authFail), srvRow()}, ClientAuthMixed},
		{"refused, and unasked but not established", []*Row{srvRow(empty, authFail), srvRow(notEst)}, ClientAuthRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sv server
			for _, r := range tc.rows {
				sv.add(r)
			}
			if got := sv.clientAuth(); got != tc.want {
				t.Errorf("client_auth = %q, want %q (asked %d, not asked %d, refused %d, admitted declined %d, admitted unasked %d)",
					got, tc.want, sv.asked, sv.notAsked, sv.refusedDeclined, sv.admittedDeclined, sv.admittedUnasked)
			}
		})
	}
}

// serverRows covers several servers: IPv4 and IPv6, the same address with
// two ports and two SNIs, no SNI, text the table and CSV must escape and
// JSON must give in hex, versions and none, refusals, and every
// client_auth value.
func serverRows() []*Row {
	a := at("198.51.100.7", 443, "example.com")
	b := at("198.51.100.7", 443, "api.example.com")
	c := at("198.51.100.7", 8443, "example.com")
	d := at("2001:db8::443", 443, "")
	e := at("203.0.113.9", 993, `odd,"sni"<&>`+"\x1b[31m\xff")
	f := at("192.0.2.200", 443, "mtls.internal")
	g := at("192.0.2.200", 443, "例え.テスト") // two columns a character
	return []*Row{
		srvRow(a),
		srvRow(a, resumed(tlsparse.ResumptionSessionID), withFlag(tlsparse.FlagTicketIssued)),
		srvRow(a, withFlag(tlsparse.FlagTicketRejected), withFlag(tlsparse.FlagTicketIssued)),
		srvRow(a, tls13, sizes),
		srvRow(a, tls13, unknownCA, withFlag(tlsparse.FlagPSKRejected), withFlag(tlsparse.FlagHRR)),
		srvRow(b, empty, withFlag(tlsparse.FlagClientCertEmpty)),
		srvRow(b, sent),
		srvRow(c, empty, authFail, withFlag(tlsparse.FlagClientCertEmpty)),
		srvRow(c, missing, authFail, withFlag(tlsparse.FlagClientCertMissing)),
		srvRow(c, sent),
		srvRow(c, func(r *Row) { r.Version = "TLSv1.0" }, withFlag(tlsparse.FlagSessionIDRejected)),
		srvRow(d, tls13, unknownCA),
		srvRow(d, func(r *Row) {
			r.Version, r.Resumption, r.Established = "", tlsparse.ResumptionUnknown, false
			r.CertRequested, r.ClientCert, r.Evidence = tlsparse.CertRequestedUnknown, tlsparse.ClientCertUnknown, tlsparse.EvidenceNone
			r.Flags.Set(tlsparse.FlagTruncated)
		}),
		srvRow(e, func(r *Row) { r.Version = "0x7F1C" }),
		srvRow(f, empty, authFail, withFlag(tlsparse.FlagClientCertEmpty)),
		srvRow(f, empty, withFlag(tlsparse.FlagClientCertEmpty)),
		srvRow(f, sent, withFlag(tlsparse.FlagClientCertIssuerNotRequested)),
		srvRow(g, tls13, sizes, sent),
	}
}

func writeServers(t *testing.T, rows []*Row, f Format) []byte {
	t.Helper()
	s := NewServers()
	for _, r := range rows {
		s.Add(r)
	}
	var buf bytes.Buffer
	if err := s.Write(&buf, f); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// TestServersGolden: go test ./report -run TestServersGolden -update
// rewrites these files only.
func TestServersGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format Format
		rows   []*Row
	}{
		{"servers.table", FormatTable, serverRows()},
		{"servers.csv", FormatCSV, serverRows()},
		{"servers.json", FormatJSON, serverRows()},
		{"servers.empty.table", FormatTable, nil},
		{"servers.empty.csv", FormatCSV, nil},
		{"servers.empty.json", FormatJSON, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, writeServers(t, tc.rows, tc.format))
		})
	}
}

// The output depends on the set of rows, not their order.
func TestServersOrderIndependent(t *testing.T) {
	rows := serverRows()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range []Format{FormatTable, FormatCSV, FormatJSON} {
		want := writeServers(t, rows, f)
		for range 5 {
			shuffled := append([]*Row(nil), rows...)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			if got := writeServers(t, shuffled, f); !bytes.Equal(got, want) {
				t.Fatalf("%v: shuffled rows give\n%s\nwant\n%s", f, got, want)
			}
		}
	}
}

// Every JSON line has exactly ServerColumns then sni_hex, in that order,
// and the CSV has the header and one field per column on every record.
func TestServersColumns(t *testing.T) {
	out := writeServers(t, serverRows(), FormatJSON)
	want := append(append([]string(nil), ServerColumns...), "sni_hex")
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		keys := testkit.JSONKeys(t, line)
		if !reflect.DeepEqual(keys, want) {
			t.Fatalf("keys %v, want %v", keys, want)
		}
	}

	recs, err := csv.NewReader(bytes.NewReader(writeServers(t, serverRows(), FormatCSV))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recs[0], ServerColumns) {
		t.Errorf("header %v, want %v", recs[0], ServerColumns)
	}
	if len(recs) != 1+7 {
		t.Errorf("%d records, want a header and 7 servers", len(recs))
	}
}

// JSON gives the SNI's text and, for invalid UTF-8, its bytes in hex;
// CSV escapes it as the rows do.
func TestServersSNI(t *testing.T) {
	sni := "bad\x1b\xffname"
	rows := []*Row{srvRow(at("192.0.2.1", 443, sni))}
	var js map[string]any
	if err := json.Unmarshal(writeServers(t, rows, FormatJSON), &js); err != nil {
		t.Fatal(err)
	}
	if js["sni_hex"] != "6261641bff6e616d65" {
		t.Errorf("sni_hex = %v", js["sni_hex"])
	}
	recs, err := csv.NewReader(bytes.NewReader(writeServers(t, rows, FormatCSV))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[1][2]; got != `bad\x1b\xffname` {
		t.Errorf("csv sni = %q", got)
	}
}

// Past MaxServers distinct servers, rows are counted on one line.
func TestServersLimit(t *testing.T) {
	s := NewServers()
	const extra = 5
	for i := range MaxServers + extra {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		s.Add(srvRow(at(ip.String(), 443, "")))
	}
	// A server already counted apart stays apart.
	s.Add(srvRow(at("10.0.0.0", 443, "")))
	if s.Len() != MaxServers || s.Other() != extra {
		t.Fatalf("Len %d Other %d, want %d and %d", s.Len(), s.Other(), MaxServers, extra)
	}
	var buf bytes.Buffer
	if err := s.Write(&buf, FormatCSV); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+MaxServers+1 {
		t.Fatalf("%d records", len(recs))
	}
	if recs[1][0] != "10.0.0.0" || recs[1][3] != "2" {
		t.Errorf("first record %v", recs[1])
	}
	last := recs[len(recs)-1]
	if want := []string{OtherServers, "", "", strconv.Itoa(extra)}; !reflect.DeepEqual(last[:4], want) || last[8] != "" {
		t.Errorf("last record %v, want it to start %v with an empty client_auth", last, want)
	}

	buf.Reset()
	if err := s.Write(&buf, FormatJSON); err != nil {
		t.Fatal(err)
	}
	out := bytes.TrimSpace(buf.Bytes())
	var js map[string]any
	if err := json.Unmarshal(out[bytes.LastIndexByte(out, '\n')+1:], &js); err != nil {
		t.Fatal(err)
	}
	if js["server_ip"] != OtherServers || js["server_port"] != nil || js["sni"] != nil || js["client_auth"] != nil || js["connections"] != float64(extra) {
		t.Errorf("last JSON line %v", js)
	}
}

// Long SNIs are bounded by bytes, not only by count.
func TestServersSNIBytesLimit(t *testing.T) {
	s := NewServers()
	long := strings.Repeat("a", 1<<16-1)
	n := MaxServerSNIBytes / len(long)
	for i := range n + 3 {
		s.Add(srvRow(at("192.0.2.1", uint16(i), long)))
	}
	if s.Len() != n || s.Other() != 3 {
		t.Fatalf("Len %d Other %d, want %d and 3", s.Len(), s.Other(), n)
	}
	if s.sniBytes > MaxServerSNIBytes {
		t.Errorf("%d SNI bytes held", s.sniBytes)
	}
}

type failingWriter struct{}

var errWrite = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestServersWriteErrors(t *testing.T) {
	s := NewServers()
	for _, r := range serverRows() {
		s.Add(r)
	}
	s.Add(nil) // ignored
	for _, f := range []Format{FormatTable, FormatCSV, FormatJSON} {
		if err := s.Write(failingWriter{}, f); !errors.Is(err, errWrite) {
			t.Errorf("%v: err = %v, want %v", f, err, errWrite)
		}
	}
	if err := s.Write(&bytes.Buffer{}, Format(9)); err == nil {
		t.Error("unknown format: no error")
	}
}
