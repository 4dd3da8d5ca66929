package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// readParquet reads back every row of a file the parquet writer wrote.
func readParquet(t *testing.T, b []byte) []ParquetRow {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	if v, ok := f.Lookup("tlsscan.schema_version"); !ok || v != fmt.Sprint(SchemaVersion) {
		t.Errorf("schema_version metadata = %q, %v", v, ok)
	}
	r := parquet.NewGenericReader[ParquetRow](f)
	defer r.Close()
	out := make([]ParquetRow, f.NumRows())
	n, err := r.Read(out)
	if err != nil && err != io.EOF {
		t.Fatalf("Read: %v", err)
	}
	return out[:n]
}

// listKeys are the keys whose empty value is [] or {} in JSON; a list or
// map read back from Parquet may come back nil for them.
var listKeys = []string{
	"flags", "server_chain", "client_chain", "errors", "anomalies", "cert_types", "sig_algs", "ca_names",
	"versions", "ciphers", "groups", "alpn", // hello
	"san_dns", "san_ip", "san_uri", "san_email", // a certificate
}

// timeKeys hold RFC 3339 times, compared as instants.
var timeKeys = []string{"ts", "server_not_after", "not_before", "not_after"}

// sameAsJSON compares a value read back from Parquet (through encoding/json
// of ParquetRow) with the JSON writer's, reporting each difference: every
// key of every object, the row's and the nested ones (resumed_from,
// cert_request, hello, each certificate of the chains), must be on both
// sides and equal; only schema_version, file metadata in Parquet, is not
// a column.
func sameAsJSON(key string, p, j any) []string {
	if p == nil && slices.Contains(listKeys, key) {
		switch jv := j.(type) {
		case []any:
			if len(jv) == 0 {
				return nil
			}
		case map[string]any:
			if len(jv) == 0 {
				return nil
			}
		}
	}
	if ps, ok := p.(string); ok && slices.Contains(timeKeys, key) {
		js, _ := j.(string)
		pt, perr := time.Parse(time.RFC3339Nano, ps)
		jt, jerr := time.Parse(time.RFC3339Nano, js)
		if perr != nil || jerr != nil || !pt.Equal(jt) {
			return []string{fmt.Sprintf("%s: parquet %v, json %v", key, p, j)}
		}
		return nil
	}
	switch pv := p.(type) {
	case map[string]any:
		jv, ok := j.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: parquet %v, json %v", key, p, j)}
		}
		var d []string
		for k, v := range pv {
			jx, ok := jv[k]
			if !ok {
				d = append(d, fmt.Sprintf("%s.%s: not in json", key, k))
				continue
			}
			d = append(d, sameAsJSON(k, v, jx)...)
		}
		for k := range jv {
			if _, ok := pv[k]; !ok && !(key == "" && k == "schema_version") {
				d = append(d, fmt.Sprintf("%s.%s: not in parquet", key, k))
			}
		}
		return d
	case []any:
		jv, ok := j.([]any)
		if !ok || len(jv) != len(pv) {
			return []string{fmt.Sprintf("%s: parquet %v, json %v", key, p, j)}
		}
		var d []string
		for i := range pv {
			d = append(d, sameAsJSON(key, pv[i], jv[i])...)
		}
		return d
	}
	if !reflect.DeepEqual(p, j) {
		return []string{fmt.Sprintf("%s: parquet %v (%T), json %v (%T)", key, p, p, j, j)}
	}
	return nil
}

// parquetTimes are the timestamp columns of ParquetRow read as the int64
// microseconds the file stores: parquet-go (v0.32.1) reads a TIMESTAMP
// into a time.Time through nanoseconds, which overflow outside 1678-2262,
// and a certificate's 9999-12-31 "no expiry" date is outside.
type parquetTimes struct {
	TS             int64  `parquet:"ts,timestamp(microsecond:utc)"`
	ServerNotAfter *int64 `parquet:"server_not_after,optional,timestamp(microsecond:utc)"`
	ResumedFrom    *struct {
		TS int64 `parquet:"ts,timestamp(microsecond:utc)"`
	} `parquet:"resumed_from,optional"`
	ServerChain []parquetCertTimes `parquet:"server_chain,list"`
	ClientChain []parquetCertTimes `parquet:"client_chain,list"`
}

type parquetCertTimes struct {
	NotBefore *int64 `parquet:"not_before,optional,timestamp(microsecond:utc)"`
	NotAfter  *int64 `parquet:"not_after,optional,timestamp(microsecond:utc)"`
}

// microsText is a stored TIMESTAMP(MICROS) as RFC 3339, nil for null.
func microsText(v *int64) any {
	if v == nil {
		return nil
	}
	return time.UnixMicro(*v).UTC().Format(time.RFC3339Nano)
}

// parquetMaps reads a file the parquet writer wrote back into one map per
// row, as encoding/json of ParquetRow gives it, with every time the
// instant the file stores (parquetTimes).
func parquetMaps(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	back := readParquet(t, b)
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	r := parquet.NewGenericReader[parquetTimes](f)
	defer r.Close()
	times := make([]parquetTimes, f.NumRows())
	if n, err := r.Read(times); n != len(back) || err != nil && err != io.EOF {
		t.Fatalf("reading the times: %d rows, %v", n, err)
	}
	out := make([]map[string]any, len(back))
	for i := range back {
		pj, err := json.Marshal(&back[i])
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal(pj, &p); err != nil {
			t.Fatal(err)
		}
		tm := &times[i]
		p["ts"] = microsText(&tm.TS)
		p["server_not_after"] = microsText(tm.ServerNotAfter)
		if o, ok := p["resumed_from"].(map[string]any); ok && tm.ResumedFrom != nil {
			o["ts"] = microsText(&tm.ResumedFrom.TS)
		}
		for key, chain := range map[string][]parquetCertTimes{"server_chain": tm.ServerChain, "client_chain": tm.ClientChain} {
			l, _ := p[key].([]any)
			if len(l) != len(chain) {
				t.Fatalf("row %d %s: %d certificates, %d with times", i, key, len(l), len(chain))
			}
			for k, c := range l {
				c.(map[string]any)["not_before"] = microsText(chain[k].NotBefore)
				c.(map[string]any)["not_after"] = microsText(chain[k].NotAfter)
			}
		}
		out[i] = p
	}
	return out
}

// parquetAndJSON writes rows as Parquet and as JSON lines and returns each
// row both ways: read back from the Parquet file (parquetMaps) and decoded
// from its JSON line.
func parquetAndJSON(t *testing.T, rows []*Row) (ps, js []map[string]any) {
	t.Helper()
	var pb, jb bytes.Buffer
	pw := NewWriter(&pb, FormatParquet, Options{})
	jw := NewWriter(&jb, FormatJSON, Options{})
	for _, r := range rows {
		if err := pw.WriteRow(r); err != nil {
			t.Fatal(err)
		}
		if err := jw.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := pw.Close(nil); err != nil {
		t.Fatal(err)
	}
	if err := jw.Close(nil); err != nil {
		t.Fatal(err)
	}
	ps = parquetMaps(t, pb.Bytes())
	var lines []string
	if len(rows) > 0 {
		lines = strings.Split(strings.TrimSuffix(jb.String(), "\n"), "\n")
	}
	if len(ps) != len(lines) {
		t.Fatalf("parquet has %d rows, json %d lines", len(ps), len(lines))
	}
	for _, l := range lines {
		var j map[string]any
		if err := json.Unmarshal([]byte(l), &j); err != nil {
			t.Fatal(err)
		}
		js = append(js, j)
	}
	return ps, js
}

// checkParquetRoundTrip writes rows as Parquet and as JSON lines, reads the
// Parquet file back and compares every row, key by key, with its JSON
// line.
func checkParquetRoundTrip(t *testing.T, rows []*Row) {
	t.Helper()
	ps, js := parquetAndJSON(t, rows)
	for i := range ps {
		for _, d := range sameAsJSON("", ps[i], js[i]) {
			t.Errorf("row %d %s", i, d)
		}
	}
}

func TestParquetRoundTrip(t *testing.T) {
	checkParquetRoundTrip(t, testRows())
}

func TestParquetRoundTripEdges(t *testing.T) {
	checkParquetRoundTrip(t, edgeRows())
}

// helloRows are rows with every Detail key JSON has beyond the CSV
// columns set: JA3, JA3S, a full hello and a bare one, and chains of the
// test PKI's certificates (read with crypto/x509 through the cache, one
// refused) and of certificates with every fact set by hand.
func helloRows(t *testing.T) []*Row {
	t.Helper()
	var cc CertCache
	var pki []CertInfo
	for _, n := range []string{"server", "int-a", "ca-a", "large"} {
		pki = append(pki, cc.Info(testPEM(t, n)))
	}
	refused := cc.Info(negativeSerial(t))
	if refused.Serial != "" || refused.SHA1 == "" {
		t.Fatalf("negative serial read as %+v", refused)
	}
	full := CertInfo{
		Subject: "CN=f\xffull,O=Ex\\, Inc.", Issuer: "CN=bad\xfe\xffissuer", SHA256: strings.Repeat("12", 32), SHA1: strings.Repeat("34", 20),
		Serial: "00ff", NotBefore: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC),
		// Sub-second dates: JSON writes them to the second, so must Parquet.
		NotAfter: time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, cet),
		SANDNS:   []string{"a.example", "*.b.example"}, SANIP: []string{"192.0.2.1", "2001:db8::1"},
		SANURI: []string{"spiffe://example.org/x"}, SANEmail: []string{"a@example.org", "b\xff@example.org"},
		KeyType: "rsa", KeyBits: 3072, SigAlg: "SHA384-RSA", IsCA: true, SelfSigned: true,
	}
	ec := CertInfo{
		Subject: "CN=ec", Issuer: "CN=ec", SHA256: strings.Repeat("56", 32), SHA1: strings.Repeat("78", 20),
		Serial: "01", NotBefore: day1, NotAfter: day1.AddDate(1, 0, 0),
		KeyType: "ecdsa", KeyBits: 384, Curve: "P-384", SigAlg: "ECDSA-SHA384",
	}
	base := testRows()[1]
	r1 := *base
	d1 := *base.Detail
	d1.JA3, d1.JA3S = strings.Repeat("a1", 16), strings.Repeat("b2", 16)
	d1.Hello = &Hello{
		Versions: []string{"TLSv1.3", "TLSv1.2"},
		Ciphers:  []string{"TLS_AES_128_GCM_SHA256", "0x1301"},
		Groups:   []string{"x25519", "secp256r1", "X25519MLKEM768"},
		SigAlgs:  []string{"ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256"},
		ALPN:     []string{"h2", "http/1.1", `\xff\\`, "bad\xff"},

		NegotiatedGroup: "x25519",
	}
	d1.ServerChain = append(append([]CertInfo{}, pki...), refused)
	d1.ClientChain = []CertInfo{full, ec}
	r1.Detail = &d1

	// A ClientHello answered by nothing: ja3 without ja3s, a hello with no
	// lists but versions and no negotiated group.
	r2 := *testRows()[2]
	d2 := *r2.Detail
	d2.JA3 = strings.Repeat("c3", 16)
	d2.Hello = &Hello{Versions: []string{"TLSv1.2"}}
	r2.Detail = &d2

	// A hello with every list empty (not nil) and a JA3S alone.
	r3 := *testRows()[3]
	r3.Detail = &Detail{JA3S: strings.Repeat("d4", 16), Hello: &Hello{
		Versions: []string{}, Ciphers: []string{}, Groups: []string{}, SigAlgs: []string{}, ALPN: []string{},
	}, ServerChain: []CertInfo{{SHA256: strings.Repeat("00", 32)}}}
	return []*Row{&r1, &r2, &r3}
}

func TestParquetRoundTripHello(t *testing.T) {
	rows := helloRows(t)
	checkParquetRoundTrip(t, rows)

	// What the JSON writer leaves out Parquet leaves out too, and the
	// other way round, on the typed values themselves.
	p := ParquetRowOf(rows[0])
	if p.JA3 == nil || *p.JA3 != rows[0].Detail.JA3 || p.JA3S == nil || p.Hello == nil ||
		p.Hello.NegotiatedGroup == nil || *p.Hello.NegotiatedGroup != "x25519" {
		t.Errorf("row 0: ja3 %v ja3s %v hello %+v", p.JA3, p.JA3S, p.Hello)
	}
	if c := p.ClientChain[0]; c.NotAfter == nil || c.NotAfter.Nanosecond() != 0 || c.KeyBits == nil || *c.KeyBits != 3072 || c.Curve != nil {
		t.Errorf("client_chain[0] = %+v", c)
	}
	if c := p.ServerChain[len(p.ServerChain)-1]; c.Serial != nil || c.NotBefore != nil || c.KeyType != nil || c.KeyBits != nil || c.SHA1 == nil {
		t.Errorf("refused certificate = %+v", c)
	}
	if p := ParquetRowOf(rows[1]); p.JA3S != nil || p.Hello.NegotiatedGroup != nil || p.Hello.Ciphers == nil {
		t.Errorf("row 1: ja3s %v hello %+v", p.JA3S, p.Hello)
	}
	if p := ParquetRowOf(testRows()[0]); p.JA3 != nil || p.JA3S != nil || p.Hello != nil {
		t.Errorf("no Detail: ja3 %v ja3s %v hello %v", p.JA3, p.JA3S, p.Hello)
	}
}

// TestParquetCompareDescends: the round-trip comparison reads inside the
// chains' certificates and hello, so a value or key that differs there is
// reported, not passed over.
func TestParquetCompareDescends(t *testing.T) {
	rows := helloRows(t)[:1]
	fresh := func() (p, j map[string]any) {
		ps, js := parquetAndJSON(t, rows)
		return ps[0], js[0]
	}
	p, j := fresh()
	if d := sameAsJSON("", p, j); len(d) != 0 {
		t.Fatalf("unchanged row differs: %v", d)
	}
	cert := func(m map[string]any, chain string, i int) map[string]any {
		return m[chain].([]any)[i].(map[string]any)
	}
	for name, change := range map[string]func(p, j map[string]any){
		"server_chain sig_alg":    func(p, _ map[string]any) { cert(p, "server_chain", 0)["sig_alg"] = "MD5-RSA" },
		"server_chain san_dns":    func(p, _ map[string]any) { cert(p, "server_chain", 3)["san_dns"] = []any{"x"} },
		"client_chain not_after":  func(p, _ map[string]any) { cert(p, "client_chain", 0)["not_after"] = "2000-01-01T00:00:00Z" },
		"client_chain key_bits":   func(p, _ map[string]any) { delete(cert(p, "client_chain", 1), "key_bits") },
		"client_chain extra key":  func(_, j map[string]any) { cert(j, "client_chain", 1)["new"] = true },
		"hello negotiated_group":  func(p, _ map[string]any) { p["hello"].(map[string]any)["negotiated_group"] = nil },
		"hello alpn":              func(p, _ map[string]any) { p["hello"].(map[string]any)["alpn"] = []any{"h2"} },
		"hello missing key":       func(p, _ map[string]any) { delete(p["hello"].(map[string]any), "groups") },
		"ja3":                     func(p, _ map[string]any) { p["ja3"] = nil },
		"top-level key not in pq": func(p, _ map[string]any) { delete(p, "ja3s") },
	} {
		p, j := fresh()
		change(p, j)
		if d := sameAsJSON("", p, j); len(d) == 0 {
			t.Errorf("%s: change not reported", name)
		}
	}
}

func TestParquetEmpty(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b, FormatParquet, Options{})
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	if rows := readParquet(t, b.Bytes()); len(rows) != 0 {
		t.Errorf("%d rows", len(rows))
	}
}

// TestParquetSchema pins the physical and logical types the docs promise.
func TestParquetSchema(t *testing.T) {
	s := parquet.SchemaOf(ParquetRow{})
	text := s.String()
	for _, want := range []string{
		"required int64 ts (TIMESTAMP(isAdjustedToUTC=true,unit=MICROS))",
		"required int32 client_port",
		"optional int32 client_certs",
		"optional int64 packet",
		"required boolean established",
		"required group flags (LIST)",
		"optional int64 server_not_after (TIMESTAMP(isAdjustedToUTC=true,unit=MICROS))",
		"required binary sni (STRING)",
		"optional binary ja3 (STRING)",
		"optional binary ja3s (STRING)",
		"optional group hello {",
		"optional binary negotiated_group (STRING)",
		"optional int64 not_before (TIMESTAMP(isAdjustedToUTC=true,unit=MICROS))",
		"optional int64 not_after (TIMESTAMP(isAdjustedToUTC=true,unit=MICROS))",
		"optional int32 key_bits (INT(32,true))",
		"required group san_dns (LIST)",
		"required boolean self_signed",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("schema lacks %q:\n%s", want, text)
		}
	}
	// Every CSV column is a top-level column of the same name.
	for _, c := range Columns {
		if _, ok := s.Lookup(c); !ok {
			if f := s.Fields(); !slices.ContainsFunc(f, func(f parquet.Field) bool { return f.Name() == c }) {
				t.Errorf("column %s is not in the schema", c)
			}
		}
	}
}

// TestParquetRowGroups: more rows than a row group holds make several row
// groups, all read back in order.
func TestParquetRowGroups(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	base := testRows()[1]
	var rows []*Row
	for i := range ParquetRowGroupRows*2 + 10 {
		r := *base
		r.Packet = uint64(i + 1)
		rows = append(rows, &r)
	}
	var b bytes.Buffer
	w := NewWriter(&b, FormatParquet, Options{})
	for _, r := range rows {
		if err := w.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.RowGroups()); n != 3 {
		t.Errorf("%d row groups, want 3", n)
	}
	back := readParquet(t, b.Bytes())
	for i, p := range back {
		if p.Packet == nil || *p.Packet != int64(i+1) {
			t.Fatalf("row %d packet %v", i, p.Packet)
		}
	}
}

// TestParquetRowGroupBytes: rows with long chains end a row group at the
// byte bound, before the row bound, and every row is read back in order.
func TestParquetRowGroupBytes(t *testing.T) {
	base := helloRows(t)[0] // the test PKI's chain: large.pem has 501 SANs
	var b bytes.Buffer
	w := NewWriter(&b, FormatParquet, Options{})
	pw := w.(*parquetWriter)
	pw.maxBytes = 256 << 10
	const n = 300
	for i := range n {
		r := *base
		r.Packet = uint64(i + 1)
		if err := w.WriteRow(&r); err != nil {
			t.Fatal(err)
		}
		if got := pw.pw.Size() - pw.base; got > 2*pw.maxBytes {
			t.Fatalf("row %d: the open row group buffers %d bytes", i, got)
		}
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	groups := f.RowGroups()
	if len(groups) < 3 {
		t.Errorf("%d row groups for %d rows of %d bytes", len(groups), n, b.Len()/n)
	}
	for i, g := range groups {
		if g.NumRows() == 0 || g.NumRows() >= n {
			t.Errorf("row group %d has %d rows", i, g.NumRows())
		}
	}
	back := readParquet(t, b.Bytes())
	if len(back) != n {
		t.Fatalf("%d rows back", len(back))
	}
	for i, p := range back {
		if p.Packet == nil || *p.Packet != int64(i+1) || len(p.ServerChain) != 5 {
			t.Fatalf("row %d packet %v, %d certificates", i, p.Packet, len(p.ServerChain))
		}
	}
}
