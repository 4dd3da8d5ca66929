package report

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// zeekFieldsCorpus is ssl.log's #fields line of the Zeek version
// ../shared/corpus/zeek comes from (e.g. its gridftp ssl.log baseline):
// tlsscan's ssl.log starts with exactly these.
var zeekFieldsCorpus = []string{
	"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
	"version", "cipher", "curve", "server_name", "resumed", "last_alert",
	"next_protocol", "established", "ssl_history", "cert_chain_fps",
	"client_cert_chain_fps", "sni_matches_cert",
}

const zeekTypesCorpus = "time\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring\tbool\tstring\tstring\tbool\tstring\tvector[string]\tvector[string]\tbool"

// x509.log's #fields and #types of the same Zeek version.
const (
	x509FieldsCorpus = "ts\tfingerprint\tcertificate.version\tcertificate.serial\tcertificate.subject\tcertificate.issuer\tcertificate.not_valid_before\tcertificate.not_valid_after\tcertificate.key_alg\tcertificate.sig_alg\tcertificate.key_type\tcertificate.key_length\tcertificate.exponent\tcertificate.curve\tsan.dns\tsan.uri\tsan.email\tsan.ip\tbasic_constraints.ca\tbasic_constraints.path_len\thost_cert\tclient_cert"
	x509TypesCorpus  = "time\tstring\tcount\tstring\tstring\tstring\ttime\ttime\tstring\tstring\tstring\tcount\tstring\tstring\tvector[string]\tvector[string]\tvector[string]\tvector[addr]\tbool\tcount\tbool\tbool"
)

// zeekLogParsed is a TSV log read the way zeek-cut reads it: the header
// lines by name, #fields giving the column names, data lines split on tab.
type zeekLogParsed struct {
	meta   map[string]string // "#path" → "ssl", …
	fields []string
	types  []string
	rows   []map[string]string
	close  string
}

func parseZeekTSV(t *testing.T, b []byte) zeekLogParsed {
	t.Helper()
	p := zeekLogParsed{meta: map[string]string{}}
	text := string(b)
	if !strings.HasSuffix(text, "\n") {
		t.Fatalf("log does not end in a newline: %q", text)
	}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if rest, ok := strings.CutPrefix(line, "#separator "); ok {
			p.meta["#separator"] = rest
			continue
		}
		if strings.HasPrefix(line, "#") {
			k, v, _ := strings.Cut(line, "\t")
			switch k {
			case "#fields":
				p.fields = strings.Split(v, "\t")
			case "#types":
				p.types = strings.Split(v, "\t")
			case "#close":
				p.close = v
			}
			p.meta[k] = v
			continue
		}
		if p.fields == nil {
			t.Fatalf("data line before #fields: %q", line)
		}
		vals := strings.Split(line, "\t")
		if len(vals) != len(p.fields) {
			t.Fatalf("line has %d values, #fields %d: %q", len(vals), len(p.fields), line)
		}
		m := map[string]string{}
		for i, f := range p.fields {
			m[f] = vals[i]
		}
		p.rows = append(p.rows, m)
	}
	return p
}

func writeZeek(t *testing.T, f Format, rows []*Row) (ssl, x509 []byte) {
	t.Helper()
	var sb, xb bytes.Buffer
	w := NewZeekWriter(&sb, &xb, f, Options{})
	for _, r := range rows {
		if err := w.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	return sb.Bytes(), xb.Bytes()
}

func TestZeekHeader(t *testing.T) {
	ssl, x509 := writeZeek(t, FormatZeek, testRows())
	s := parseZeekTSV(t, ssl)
	wantHead := "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tssl\n#open\t2024-03-09-23-59-58\n#fields\t"
	if !strings.HasPrefix(string(ssl), wantHead) {
		t.Errorf("ssl.log header:\n%s\nwant prefix:\n%s", ssl[:min(len(ssl), 300)], wantHead)
	}
	if !slices.Equal(s.fields[:len(zeekFieldsCorpus)], zeekFieldsCorpus) {
		t.Errorf("#fields = %v, want Zeek's first: %v", s.fields, zeekFieldsCorpus)
	}
	for _, f := range s.fields[len(zeekFieldsCorpus):] {
		if !strings.HasPrefix(f, "tlsscan_") {
			t.Errorf("tlsscan's own field %q lacks the tlsscan_ prefix", f)
		}
	}
	if got := strings.Join(s.types[:len(zeekFieldsCorpus)], "\t"); got != zeekTypesCorpus {
		t.Errorf("#types = %s\nwant %s", got, zeekTypesCorpus)
	}
	if len(s.types) != len(s.fields) {
		t.Errorf("%d types for %d fields", len(s.types), len(s.fields))
	}
	// #close: the latest row (the third, 3 s after day1), in UTC.
	if s.close != "2024-03-10-00-00-01" {
		t.Errorf("#close = %q", s.close)
	}
	if !strings.HasSuffix(string(ssl), "\n#close\t2024-03-10-00-00-01\n") {
		t.Errorf("ssl.log does not end with #close")
	}
	if len(s.rows) != 4 {
		t.Fatalf("%d rows", len(s.rows))
	}
	x := parseZeekTSV(t, x509)
	if x.meta["#path"] != "x509" || x.meta["#open"] != "2024-03-09-23-59-58" {
		t.Errorf("x509.log meta: %v", x.meta)
	}
	n := len(strings.Split(x509FieldsCorpus, "\t"))
	if got := strings.Join(x.fields[:n], "\t"); got != x509FieldsCorpus {
		t.Errorf("x509 #fields = %s", got)
	}
	if got := strings.Join(x.types[:n], "\t"); got != x509TypesCorpus {
		t.Errorf("x509 #types = %s", got)
	}
}

func TestZeekValues(t *testing.T) {
	rows := testRows()
	ssl, x509 := writeZeek(t, FormatZeek, rows)
	s := parseZeekTSV(t, ssl)
	r0, r1, r2, r3 := s.rows[0], s.rows[1], s.rows[2], s.rows[3]
	for k, want := range map[string]string{
		"ts": "1710028798.123456", "id.orig_h": "192.0.2.10", "id.orig_p": "51234",
		"id.resp_h": "198.51.100.7", "id.resp_p": "443", "version": "TLSv13",
		"cipher": "TLS_AES_128_GCM_SHA256", "curve": "-", "server_name": "example.com",
		"resumed": "F", "last_alert": "-", "next_protocol": "h2", "established": "T",
		"ssl_history": "CsiI", "cert_chain_fps": "-", "client_cert_chain_fps": "-",
		"sni_matches_cert": "-", "tlsscan_flags": "encrypted_handshake",
		"tlsscan_client_certs": "-", "tlsscan_evidence": "-", "tlsscan_file": "-",
		"tlsscan_packet": "-", "tlsscan_resumption": "full",
	} {
		if r0[k] != want {
			t.Errorf("row 0 %s = %q, want %q", k, r0[k], want)
		}
	}
	ab, cd, ef := strings.Repeat("ab", 32), strings.Repeat("cd", 32), strings.Repeat("ef", 32)
	for k, want := range map[string]string{
		"version": "TLSv12", "cert_chain_fps": ab + "," + cd, "client_cert_chain_fps": ef,
		"tlsscan_client_certs": "2", "tlsscan_server_certs": "3", "tlsscan_packet": "1234",
		"tlsscan_flags": "(empty)", "tlsscan_client_cn": `client\x1b1`,
		"tlsscan_server_not_after": "1735787045.000000",
	} {
		if r1[k] != want {
			t.Errorf("row 1 %s = %q, want %q", k, r1[k], want)
		}
	}
	for k, want := range map[string]string{
		"version": "-", "cipher": "-", "resumed": "-", "last_alert": "handshake_failure",
		"tlsscan_alert": "server:handshake_failure", "established": "F",
		"tlsscan_flags": "client_auth_failed,truncated", "server_name": `odd,"sni"<&>`,
		"tlsscan_file": `odd,"name\x0a.pcap`,
	} {
		if r2[k] != want {
			t.Errorf("row 2 %s = %q, want %q", k, r2[k], want)
		}
	}
	for k, want := range map[string]string{
		"version": "TLSv13-draft28", "server_name": `bad\x1bname\xff`, "resumed": "T",
		"id.orig_h": "-", "id.orig_p": "0", "tlsscan_resumed_from": r1["uid"],
	} {
		if r3[k] != want {
			t.Errorf("row 3 %s = %q, want %q", k, r3[k], want)
		}
	}
	// uids: Zeek's shape, distinct, deterministic, shared with x509.log.
	uids := map[string]bool{}
	for i, r := range s.rows {
		u := r["uid"]
		if !strings.HasPrefix(u, "C") || len(u) < 10 || strings.Trim(u[1:], base62) != "" {
			t.Errorf("row %d uid %q is not C + base62", i, u)
		}
		uids[u] = true
		if again := RowUID(rows[i]); again != u {
			t.Errorf("row %d uid %q, RowUID %q", i, u, again)
		}
	}
	if len(uids) != 4 {
		t.Errorf("uids not distinct: %v", uids)
	}
	x := parseZeekTSV(t, x509)
	if len(x.rows) != 3 {
		t.Fatalf("x509.log has %d rows, want 3 (2 server, 1 client)", len(x.rows))
	}
	want := []map[string]string{
		{"fingerprint": ab, "host_cert": "T", "client_cert": "F", "certificate.subject": "CN=api.example.org", "certificate.issuer": "CN=Example Issuing CA"},
		{"fingerprint": cd, "host_cert": "F", "client_cert": "F"},
		{"fingerprint": ef, "host_cert": "T", "client_cert": "T", "certificate.subject": "CN=client<1>&co"},
	}
	for i, w := range want {
		if x.rows[i]["uid"] != r1["uid"] || x.rows[i]["ts"] != r1["ts"] {
			t.Errorf("x509 row %d uid/ts %s %s, want row 1's %s %s", i, x.rows[i]["uid"], x.rows[i]["ts"], r1["uid"], r1["ts"])
		}
		for k, v := range w {
			if x.rows[i][k] != v {
				t.Errorf("x509 row %d %s = %q, want %q", i, k, x.rows[i][k], v)
			}
		}
		if x.rows[i]["certificate.serial"] != "-" {
			t.Errorf("x509 row %d serial %q, want unset", i, x.rows[i]["certificate.serial"])
		}
	}
	// Determinism: a second run is byte-identical.
	ssl2, x5092 := writeZeek(t, FormatZeek, testRows())
	if !bytes.Equal(ssl, ssl2) || !bytes.Equal(x509, x5092) {
		t.Error("two runs over the same rows differ")
	}
}

func TestZeekEscape(t *testing.T) {
	for _, c := range []struct {
		in    string
		inSet bool
		want  string
	}{
		{"plain", false, "plain"},
		{"a\tb", false, `a\x09b`},
		{"a\nb", false, `a\x0ab`},
		{`back\slash`, false, `back\\slash`},
		{"\xff\xfe", false, `\xff\xfe`},
		{"\u202eevil", false, `\xe2\x80\xaeevil`},
		{"caf\u00e9", false, "caf\u00e9"},
		{"-", false, `\x2d`},
		{"(empty)", false, `\x28empty)`},
		{"a,b", false, "a,b"},
		{"a,b", true, `a\x2cb`},
		{"-", true, `\x2d`},
		{"--", false, "--"},
	} {
		if got := zeekText(c.in, c.inSet); got != c.want {
			t.Errorf("zeekText(%q, %v) = %q, want %q", c.in, c.inSet, got, c.want)
		}
	}
	// Through the writer: an SNI of "-" is not read as unset, an empty
	// history as "(empty)", an empty set as "(empty)".
	r := &Row{Time: day1, SNI: "-", ALPN: "a\tb", ClientCerts: -1, ServerCerts: -1, Flags: 0}
	ssl, _ := writeZeek(t, FormatZeek, []*Row{r})
	s := parseZeekTSV(t, ssl)
	got := s.rows[0]
	for k, want := range map[string]string{
		"server_name": `\x2d`, "next_protocol": `a\x09b`, "ssl_history": "(empty)",
		"tlsscan_flags": "(empty)", "resumed": "-", "tlsscan_resumption": "unknown",
	} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
}

func TestZeekFlipped(t *testing.T) {
	r := &Row{Time: day1, ClientIP: netip.MustParseAddr("10.0.0.1"), ClientPort: 5000,
		ServerIP: netip.MustParseAddr("10.0.0.2"), ServerPort: 443,
		Flags: tlsparse.FlagsOf(tlsparse.FlagFlipped), ClientCerts: -1, ServerCerts: -1}
	ssl, _ := writeZeek(t, FormatZeek, []*Row{r})
	got := parseZeekTSV(t, ssl).rows[0]
	if got["id.orig_h"] != "10.0.0.2" || got["id.orig_p"] != "443" || got["id.resp_h"] != "10.0.0.1" || got["id.resp_p"] != "5000" {
		t.Errorf("flipped connection: orig %s:%s resp %s:%s, want the TCP opener (tlsscan's server) as orig",
			got["id.orig_h"], got["id.orig_p"], got["id.resp_h"], got["id.resp_p"])
	}
}

func TestZeekEmpty(t *testing.T) {
	ssl, x509 := writeZeek(t, FormatZeek, nil)
	for name, b := range map[string][]byte{"ssl": ssl, "x509": x509} {
		p := parseZeekTSV(t, b)
		if len(p.rows) != 0 || p.meta["#open"] != "1970-01-01-00-00-00" || p.close != "1970-01-01-00-00-00" || p.meta["#path"] != name {
			t.Errorf("%s.log of no rows:\n%s", name, b)
		}
	}
	ssl, x509 = writeZeek(t, FormatZeekJSON, nil)
	if len(ssl) != 0 || len(x509) != 0 {
		t.Errorf("zeek-json of no rows: %q %q", ssl, x509)
	}
}

func TestZeekVersionCipher(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "SSLv2": "SSLv2", "SSLv3": "SSLv3", "TLSv1.0": "TLSv10", "TLSv1.1": "TLSv11",
		"TLSv1.2": "TLSv12", "TLSv1.3": "TLSv13", "0x7f1c": "TLSv13-draft28",
		"0x7e01": "unknown-32257", "0xfb1a": "unknown-64282",
	} {
		if got := ZeekVersion(in); got != want {
			t.Errorf("ZeekVersion(%q) = %q, want %q", in, got, want)
		}
	}
	if got := ZeekCipher("0x00ff"); got != "unknown-255" {
		t.Errorf("ZeekCipher(0x00ff) = %q", got)
	}
	if got := ZeekCipher("TLS_AES_128_GCM_SHA256"); got != "TLS_AES_128_GCM_SHA256" {
		t.Errorf("ZeekCipher = %q", got)
	}
}

func TestZeekJSON(t *testing.T) {
	rows := testRows()
	ssl, x509 := writeZeek(t, FormatZeekJSON, rows)
	tsv, _ := writeZeek(t, FormatZeek, rows)
	tp := parseZeekTSV(t, tsv)
	lines := strings.Split(strings.TrimSuffix(string(ssl), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, line := range lines {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, line)
		}
		// Keys in #fields order, unset ones left out, the rest the
		// same values as the TSV (numbers, booleans and lists typed).
		var keys []string
		d := json.NewDecoder(strings.NewReader(line))
		d.Token()
		for d.More() {
			k, _ := d.Token()
			keys = append(keys, k.(string))
			var skip json.RawMessage
			d.Decode(&skip)
		}
		var wantKeys []string
		for _, f := range tp.fields {
			if tp.rows[i][f] != "-" {
				wantKeys = append(wantKeys, f)
			}
		}
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("line %d keys %v, want %v", i, keys, wantKeys)
		}
		for k, v := range m {
			tv := tp.rows[i][k]
			var got string
			switch v := v.(type) {
			case json.Number:
				got = v.String()
			case bool:
				got = map[bool]string{true: "T", false: "F"}[v]
			case string:
				got = v
				if v == "" {
					got = "(empty)"
				}
			case []any:
				var parts []string
				for _, e := range v {
					parts = append(parts, strings.ReplaceAll(e.(string), ",", `\x2c`))
				}
				got = strings.Join(parts, ",")
				if len(parts) == 0 {
					got = "(empty)"
				}
			}
			if k == "server_name" && got == "-" {
				got = `\x2d`
			}
			if got != tv {
				t.Errorf("line %d %s: JSON %v, TSV %q", i, k, v, tv)
			}
		}
	}
	if !strings.Contains(lines[0], `"ts":1710028798.123456,`) || !strings.Contains(lines[0], `"id.orig_p":51234,`) || !strings.Contains(lines[0], `"established":true,`) {
		t.Errorf("line 0 typing: %s", lines[0])
	}
	if n := strings.Count(string(x509), "\n"); n != 3 {
		t.Errorf("x509 JSON has %d lines, want 3", n)
	}
	if !strings.Contains(string(x509), `"uid":"`+tp.rows[1]["uid"]+`"`) {
		t.Errorf("x509 JSON does not carry row 1's uid: %s", x509)
	}
}

func TestZeekNewWriter(t *testing.T) {
	// NewWriter gives ssl.log alone (--format zeek without -o).
	var b bytes.Buffer
	w := NewWriter(&b, FormatZeek, Options{})
	for _, r := range testRows() {
		if err := w.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	ssl, _ := writeZeek(t, FormatZeek, testRows())
	if !bytes.Equal(b.Bytes(), ssl) {
		t.Error("NewWriter's ssl.log differs from NewZeekWriter's")
	}
	if err := NewZeekWriter(&b, nil, FormatCSV, Options{}).WriteRow(&Row{}); err == nil {
		t.Error("NewZeekWriter accepted FormatCSV")
	}
	for _, f := range []Format{FormatZeek, FormatZeekJSON, FormatParquet} {
		if g, err := ParseFormat(f.String()); err != nil || g != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f.String(), g, err)
		}
	}
	// Stream flushes each row to both logs.
	var s, x bytes.Buffer
	sw := NewZeekWriter(&s, &x, FormatZeek, Options{Stream: true})
	if err := sw.WriteRow(testRows()[1]); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.String(), "TLSv12") || strings.Count(x.String(), "\n") != 8+3 {
		t.Errorf("stream: not flushed:\n%s\n%s", s.String(), x.String())
	}
	_ = time.Second
}

// x509.log's basic_constraints.ca is unset for a certificate without the
// extension, as Zeek logs it, and T/F with it; version, exponent and
// path_len come from the parse.
func TestZeekX509BasicConstraints(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	field := func(ci *CertInfo, name string) string {
		for _, f := range x509Fields {
			if f.name == name {
				v := f.get(&zeekCert{c: ci})
				switch {
				case !v.ok:
					return "-"
				case f.kind == zkBool:
					return map[bool]string{true: "T", false: "F"}[v.b]
				case f.kind == zkCount:
					return strconv.FormatUint(v.n, 10)
				default:
					return v.s
				}
			}
		}
		t.Fatalf("no field %s", name)
		return ""
	}
	for _, tc := range []struct {
		name          string
		bc, ca        bool
		pathLen       int
		wantCA, wantP string
	}{
		{"no extension", false, false, 0, "-", "-"},
		{"CA:FALSE", true, false, -1, "F", "-"},
		{"CA:TRUE, pathlen 2", true, true, 2, "T", "2"},
	} {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "x"},
			NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1e9, 0),
			BasicConstraintsValid: tc.bc, IsCA: tc.ca, MaxPathLen: tc.pathLen,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		var cc CertCache
		ci := cc.Info(der)
		if got := field(&ci, "basic_constraints.ca"); got != tc.wantCA {
			t.Errorf("%s: basic_constraints.ca %s, want %s", tc.name, got, tc.wantCA)
		}
		if got := field(&ci, "basic_constraints.path_len"); got != tc.wantP {
			t.Errorf("%s: path_len %s, want %s", tc.name, got, tc.wantP)
		}
		if got := field(&ci, "certificate.version"); got != "3" {
			t.Errorf("%s: version %s, want 3", tc.name, got)
		}
		if got := field(&ci, "certificate.exponent"); got != "65537" {
			t.Errorf("%s: exponent %s, want 65537", tc.name, got)
		}
	}
}
