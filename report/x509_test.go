package report

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsscan/tlsscan/internal/testkit"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// testPEM reads a certificate of the test PKI (pcaps/certs/README).
func testPEM(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "pcaps", "certs", name+".pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", name)
	}
	return blk.Bytes
}

// pkiTime is a time inside every test PKI certificate's validity
// (2026-11-27 to 2046-11-22).
var pkiTime = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// negativeSerial is server.pem with its serial (02 03 00 a0 02) made
// negative (02 03 ff a0 02): crypto/x509 refuses it, the names still read.
func negativeSerial(t testing.TB) []byte {
	t.Helper()
	der := bytes.Clone(testPEM(t, "server"))
	i := bytes.Index(der, []byte{0x02, 0x03, 0x00, 0xa0, 0x02})
	if i < 0 {
		t.Fatal("server.pem serial not found")
	}
	der[i+2] = 0xff
	if _, err := x509.ParseCertificate(der); err == nil {
		t.Fatal("crypto/x509 parses a negative serial: pick another odd certificate")
	}
	return der
}

func TestCertFactsTestPKI(t *testing.T) {
	var cc CertCache
	srv := cc.facts(testPEM(t, "server"))
	if srv.cert == nil {
		t.Fatal("server.pem did not parse")
	}
	s1 := sha1.Sum(testPEM(t, "server"))
	want := CertInfo{
		Subject: "CN=server.test,O=tlsscan test PKI - NOT FOR PRODUCTION",
		Issuer:  "CN=tlsscan test CA A,O=tlsscan test PKI - NOT FOR PRODUCTION",
		SHA256:  srv.info.SHA256, SHA1: hex.EncodeToString(s1[:]),
		Serial:    "a002",
		NotBefore: srv.cert.NotBefore, NotAfter: srv.cert.NotAfter,
		SANDNS:  []string{"server.test"},
		KeyType: "ecdsa", KeyBits: 256, Curve: "P-256", SigAlg: "ECDSA-SHA256",
	}
	if !jsonEqual(t, srv.info, want) {
		t.Errorf("server.pem:\n got %+v\nwant %+v", srv.info, want)
	}
	if srv.cn != "server.test" || srv.info.NotAfter.Location() != time.UTC || srv.info.NotAfter.Year() != 2046 {
		t.Errorf("cn %q, not_after %v", srv.cn, srv.info.NotAfter)
	}

	ca := cc.Info(testPEM(t, "ca-a"))
	if !ca.IsCA || !ca.SelfSigned || ca.Serial != "a000" || ca.Subject != ca.Issuer {
		t.Errorf("ca-a.pem: %+v", ca)
	}
	in := cc.Info(testPEM(t, "int-a"))
	if !in.IsCA || in.SelfSigned {
		t.Errorf("int-a.pem: is_ca %v self_signed %v", in.IsCA, in.SelfSigned)
	}
	large := cc.Info(testPEM(t, "large"))
	if large.KeyType != "rsa" || large.KeyBits != 4096 || large.Curve != "" || len(large.SANDNS) != 501 ||
		large.SigAlg != "SHA256-RSA" || large.IsCA {
		t.Errorf("large.pem: %s %d %q, %d SANs, %s", large.KeyType, large.KeyBits, large.Curve, len(large.SANDNS), large.SigAlg)
	}
	if len(cc.m) != 4 {
		t.Errorf("%d cached, want 4", len(cc.m))
	}
	if again := cc.facts(testPEM(t, "server")); again != srv {
		t.Error("second lookup parsed again")
	}
}

// jsonEqual compares two CertInfos as JSON writes them.
func jsonEqual(t *testing.T, a, b CertInfo) bool {
	t.Helper()
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return bytes.Equal(ja, jb)
}

// A certificate crypto/x509 refuses keeps today's names and its
// fingerprints, writes null for the rest, and counts as x509_unparsed.
func TestCertFactsUnparsed(t *testing.T) {
	der := negativeSerial(t)
	var cc CertCache
	f := cc.facts(der)
	if f.cert != nil {
		t.Fatal("parsed")
	}
	if f.info.Subject != "CN=server.test,O=tlsscan test PKI - NOT FOR PRODUCTION" || f.cn != "server.test" ||
		f.info.Issuer == "" || len(f.info.SHA1) != 40 || f.info.SelfSigned {
		t.Errorf("fallback: %+v cn %q", f.info, f.cn)
	}
	b, err := json.Marshal(f.info)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"serial", "not_before", "not_after", "key_type", "key_bits", "curve", "sig_alg"} {
		if v, ok := m[k]; !ok || v != nil {
			t.Errorf("%s = %#v, want null", k, v)
		}
	}
	for _, k := range []string{"san_dns", "san_ip", "san_uri", "san_email"} {
		if l, ok := m[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %#v, want []", k, m[k])
		}
	}

	// Through the Converter: the leaf's CN still fills the column; no
	// date flags, sni_mismatch or chain_invalid can be judged but the
	// anomaly says why, and a bundle makes the chain invalid.
	s := &tlsparse.Summary{SNI: "other.test", ServerChain: [][]byte{der, testPEM(t, "ca-a")}, ClientCerts: -1, ServerCerts: 2}
	row := NewConverter(true).Row(s, Conn{First: pkiTime})
	if row.ServerCN != "server.test" || !row.ServerNotAfter.IsZero() || row.Flags != 0 {
		t.Errorf("row: cn %q not_after %v flags %v", row.ServerCN, row.ServerNotAfter, row.Flags)
	}
	if n := row.Detail.Anomalies[AnomalyX509Unparsed]; n != 1 {
		t.Errorf("anomalies %v", row.Detail.Anomalies)
	}
	row = NewConverter(false).WithRoots(pool(t, "ca-a")).Row(s, Conn{First: pkiTime})
	if row.Flags != tlsparse.FlagsOf(tlsparse.FlagChainInvalid) {
		t.Errorf("with a bundle: flags %v", row.Flags)
	}

	// Not a certificate at all: fingerprints only.
	junk := cc.Info([]byte("junk"))
	if junk.Subject != "" || junk.SHA1 == "" || junk.SelfSigned {
		t.Errorf("junk: %+v", junk)
	}
}

func pool(t testing.TB, names ...string) *x509.CertPool {
	p := x509.NewCertPool()
	for _, n := range names {
		c, err := x509.ParseCertificate(testPEM(t, n))
		if err != nil {
			t.Fatal(err)
		}
		p.AddCert(c)
	}
	return p
}

// certSpec is a certificate made for a flag test.
type certSpec struct {
	cn        string
	dns       []string
	ips       []string
	from, to  time.Time
	ca        bool
	issuer    *madeCert // nil: self-signed
	forgeSelf bool      // issuer name = subject, signed by issuer's key
}

type madeCert struct {
	der  []byte
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func makeCert(t testing.TB, s certSpec) *madeCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0x1234), Subject: pkix.Name{CommonName: s.cn},
		NotBefore: s.from, NotAfter: s.to, DNSNames: s.dns,
		BasicConstraintsValid: true, IsCA: s.ca,
	}
	if s.ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign
	}
	for _, ip := range s.ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	parent, signer := tmpl, key
	if s.issuer != nil {
		parent, signer = s.issuer.cert, s.issuer.key
		if s.forgeSelf {
			p := *s.issuer.cert
			p.RawSubject = nil
			p.Subject = tmpl.Subject
			parent = &p
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &madeCert{der: der, cert: c, key: key}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// The certificate flags, each decided at the connection's capture time,
// never at the time tlsscan runs.
func TestCertFlags(t *testing.T) {
	root := makeCert(t, certSpec{cn: "Root", from: date(2000, 1, 1), to: date(2040, 1, 1), ca: true})
	// Valid through 2001 only: long expired today.
	old := makeCert(t, certSpec{cn: "old.example", dns: []string{"old.example"}, from: date(2000, 1, 1), to: date(2001, 12, 31), issuer: root})
	wild := makeCert(t, certSpec{cn: "wild", dns: []string{"*.example.com"}, ips: []string{"192.0.2.1"}, from: date(2000, 1, 1), to: date(2040, 1, 1), issuer: root})
	selfLeaf := makeCert(t, certSpec{cn: "self.example", dns: []string{"self.example"}, from: date(2000, 1, 1), to: date(2040, 1, 1)}) // CA:FALSE, self-signed
	forged := makeCert(t, certSpec{cn: "forged", dns: []string{"forged"}, from: date(2000, 1, 1), to: date(2040, 1, 1), issuer: root, forgeSelf: true})
	if forged.cert.Issuer.CommonName != "forged" {
		t.Fatalf("forged issuer %v", forged.cert.Issuer)
	}
	at := date(2001, 6, 1)
	const (
		exp  = tlsparse.FlagExpired
		nyv  = tlsparse.FlagNotYetValid
		sni  = tlsparse.FlagSNIMismatch
		self = tlsparse.FlagSelfSigned
		bad  = tlsparse.FlagChainInvalid
	)
	for _, tc := range []struct {
		name   string
		sni    string
		server [][]byte
		client [][]byte
		at     time.Time
		roots  bool
		want   []tlsparse.Flag
	}{
		{"valid then", "old.example", [][]byte{old.der}, nil, at, false, nil},
		{"expired at capture time", "old.example", [][]byte{old.der}, nil, date(2002, 1, 1), false, []tlsparse.Flag{exp}},
		{"one second after not_after", "old.example", [][]byte{old.der}, nil, old.cert.NotAfter.Add(time.Second), false, []tlsparse.Flag{exp}},
		{"at not_after exactly", "old.example", [][]byte{old.der}, nil, old.cert.NotAfter, false, nil},
		{"not yet valid", "old.example", [][]byte{old.der}, nil, date(1999, 12, 31), false, []tlsparse.Flag{nyv}},
		{"expired client leaf", "", nil, [][]byte{old.der}, date(2003, 1, 1), false, []tlsparse.Flag{exp}},

		{"no SNI", "", [][]byte{wild.der}, nil, at, false, nil},
		{"wildcard one label", "www.example.com", [][]byte{wild.der}, nil, at, false, nil},
		{"wildcard case", "WWW.Example.COM", [][]byte{wild.der}, nil, at, false, nil},
		{"wildcard trailing dot", "www.example.com.", [][]byte{wild.der}, nil, at, false, nil},
		{"wildcard not the apex", "example.com", [][]byte{wild.der}, nil, at, false, []tlsparse.Flag{sni}},
		{"wildcard one label only", "a.b.example.com", [][]byte{wild.der}, nil, at, false, []tlsparse.Flag{sni}},
		{"other domain", "www.example.org", [][]byte{wild.der}, nil, at, false, []tlsparse.Flag{sni}},
		{"IP SAN", "192.0.2.1", [][]byte{wild.der}, nil, at, false, nil},
		{"IP not in SANs", "192.0.2.2", [][]byte{wild.der}, nil, at, false, []tlsparse.Flag{sni}},
		{"CN is not read", "wild", [][]byte{wild.der}, nil, at, false, []tlsparse.Flag{sni}},
		{"SNI without server leaf", "x.example", nil, [][]byte{wild.der}, at, false, nil},
		{"leaf judged, not the rest", "www.example.com", [][]byte{wild.der, old.der}, nil, date(2005, 1, 1), false, nil},

		{"self-signed CA:FALSE leaf", "self.example", [][]byte{selfLeaf.der}, nil, at, false, []tlsparse.Flag{self}},
		{"self-signed root as leaf", "", [][]byte{root.der}, nil, at, false, []tlsparse.Flag{self}},
		{"issuer = subject, other key", "forged", [][]byte{forged.der}, nil, at, false, nil},
		{"self-signed client leaf", "", nil, [][]byte{selfLeaf.der}, at, false, []tlsparse.Flag{self}},

		{"chain verifies", "www.example.com", [][]byte{wild.der}, nil, at, true, nil},
		{"chain verifies, root sent too", "www.example.com", [][]byte{wild.der, root.der}, nil, at, true, nil},
		{"chain expired", "old.example", [][]byte{old.der}, nil, date(2002, 1, 1), true, []tlsparse.Flag{exp, bad}},
		{"chain to another root", "self.example", [][]byte{selfLeaf.der}, nil, at, true, []tlsparse.Flag{self, bad}},
		{"client chain to another root", "", [][]byte{wild.der}, [][]byte{selfLeaf.der}, at, true, []tlsparse.Flag{self, bad}},
		{"client chain verifies", "", nil, [][]byte{old.der}, at, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cv := NewConverter(false)
			if tc.roots {
				p := x509.NewCertPool()
				p.AddCert(root.cert)
				cv.WithRoots(p)
			}
			s := &tlsparse.Summary{SNI: tc.sni, ServerChain: tc.server, ClientChain: tc.client}
			row := cv.Row(s, Conn{First: tc.at})
			if want := tlsparse.FlagsOf(tc.want...); row.Flags != want {
				t.Errorf("flags %q, want %q", row.Flags, want)
			}
		})
	}
}

// The leaf columns, for every format: CSV has them, no Detail needed.
func TestLeafColumns(t *testing.T) {
	s := &tlsparse.Summary{
		SNI:         "server.test",
		ServerChain: [][]byte{testPEM(t, "server"), testPEM(t, "ca-a")},
		ClientChain: [][]byte{testPEM(t, "client-a"), testPEM(t, "int-a")},
	}
	for _, detail := range []bool{false, true} {
		row := NewConverter(detail).WithRoots(pool(t, "ca-a")).Row(s, Conn{First: pkiTime})
		if row.ServerCN != "server.test" || row.ClientCN != "client-a" ||
			!row.ServerNotAfter.Equal(date(2046, 11, 22).Add(29*time.Minute+33*time.Second)) || row.Flags != 0 {
			t.Errorf("detail %v: %q %v %q flags %v", detail, row.ServerCN, row.ServerNotAfter, row.ClientCN, row.Flags)
		}
		if detail {
			d := row.Detail
			if len(d.ServerChain) != 2 || len(d.ClientChain) != 2 || d.ClientChain[1].Subject != "CN=tlsscan test intermediate A1,O=tlsscan test PKI - NOT FOR PRODUCTION" {
				t.Errorf("chains %+v", d)
			}
			if d.Anomalies != nil {
				t.Errorf("anomalies %v", d.Anomalies)
			}
		}
	}
	// Before the test PKI existed: not yet valid, and the chain does not
	// verify then either; client-b's chain leads to CA B, not in the bundle.
	s.ClientChain = [][]byte{testPEM(t, "client-b")}
	row := NewConverter(false).WithRoots(pool(t, "ca-a")).Row(s, Conn{First: date(2025, 1, 1)})
	if want := tlsparse.FlagsOf(tlsparse.FlagNotYetValid, tlsparse.FlagChainInvalid); row.Flags != want {
		t.Errorf("2025: flags %q, want %q", row.Flags, want)
	}
	row = NewConverter(false).WithRoots(pool(t, "ca-a")).Row(s, Conn{First: pkiTime})
	if want := tlsparse.FlagsOf(tlsparse.FlagChainInvalid); row.Flags != want {
		t.Errorf("client-b: flags %q, want %q", row.Flags, want)
	}
}

// The verification memo gives the verdict Verify would give at each time.
func TestChainVerifyMemo(t *testing.T) {
	root := makeCert(t, certSpec{cn: "Root", from: date(2000, 1, 1), to: date(2040, 1, 1), ca: true})
	mid := makeCert(t, certSpec{cn: "Mid", from: date(2005, 1, 1), to: date(2010, 1, 1), ca: true, issuer: root})
	leaf := makeCert(t, certSpec{cn: "leaf", dns: []string{"leaf"}, from: date(2000, 1, 1), to: date(2020, 1, 1), issuer: mid})
	p := x509.NewCertPool()
	p.AddCert(root.cert)
	cv := NewConverter(false).WithRoots(p)
	s := &tlsparse.Summary{ServerChain: [][]byte{leaf.der, mid.der}}
	for _, tc := range []struct {
		at      time.Time
		invalid bool
	}{
		{date(2006, 1, 1), false}, {date(2007, 1, 1), false}, // memo hit
		{date(2003, 1, 1), true}, {date(2004, 1, 1), true}, // mid not yet valid
		{date(2009, 1, 1), false},
		{date(2012, 1, 1), true}, {date(2015, 1, 1), true}, // mid expired
		{date(2021, 1, 1), true}, // leaf expired too
		{date(2008, 1, 1), false},
	} {
		row := cv.Row(s, Conn{First: tc.at})
		if got := row.Flags.Has(tlsparse.FlagChainInvalid); got != tc.invalid {
			t.Errorf("%v: chain_invalid %v, want %v", tc.at.Year(), got, tc.invalid)
		}
	}
	if len(cv.verify.memo) != 1 {
		t.Errorf("%d memo entries", len(cv.verify.memo))
	}
}

// A row built from real chains follows the schema, every certificate key
// present, and the chain keys are the schema's.
func TestChainJSONSchema(t *testing.T) {
	doc, sch := loadSchema(t)
	s := &tlsparse.Summary{
		SNI: "large.server.test", ServerCerts: 2, ClientCerts: 2,
		ServerChain: [][]byte{testPEM(t, "large"), testPEM(t, "int-l3")},
		ClientChain: [][]byte{negativeSerial(t), testPEM(t, "int-a")},
	}
	row := NewConverter(true).Row(s, Conn{First: pkiTime, Addr: [2]netip.AddrPort{
		netip.MustParseAddrPort("192.0.2.1:1234"), netip.MustParseAddrPort("192.0.2.2:443")}})
	out, _ := render(t, FormatJSON, false, []*Row{row}, nil)
	objs := validateLines(t, "chains", doc, sch, out)
	if len(objs) != 1 {
		t.Fatalf("%d lines", len(objs))
	}
	chain := doc["$defs"].(map[string]any)["chain"].(map[string]any)["items"].(map[string]any)
	req := stringList(t, chain["required"])
	b, _ := json.Marshal(CertInfo{})
	if got := testkit.JSONKeys(t, b); !slices.Equal(got, req) {
		t.Errorf("CertInfo keys %v,\nschema chain requires %v", got, req)
	}
	if !strings.Contains(string(out), `"anomalies":{"x509_unparsed":1}`) || !strings.Contains(string(out), `"server_cn":"large.server.test"`) {
		t.Errorf("line: %s", out)
	}
}

// DNString keeps a DN as it is: order, repeated attributes, multi-valued
// RDNs (pkix.Name.String would reorder, join the OUs and drop CNs).
func TestDNStringKeepsOrder(t *testing.T) {
	oid := func(s ...int) asn1.ObjectIdentifier { return asn1.ObjectIdentifier(s) }
	cn, ou, o := oid(2, 5, 4, 3), oid(2, 5, 4, 11), oid(2, 5, 4, 10)
	email := oid(1, 2, 840, 113549, 1, 9, 1)
	atv := func(t asn1.ObjectIdentifier, v any) pkix.AttributeTypeAndValue {
		return pkix.AttributeTypeAndValue{Type: t, Value: v}
	}
	rdn := pkix.RDNSequence{
		{atv(o, "Grid")}, {atv(ou, "GlobusTest")}, {atv(ou, "simpleCA-alpha")},
		{atv(cn, "Jon Siwek")}, {atv(cn, "917532944"), atv(email, "a@b.example")},
		{atv(oid(1, 2, 3), "x")}, {atv(cn, " #a,b+c ")},
	}
	der, err := asn1.Marshal(rdn)
	if err != nil {
		t.Fatal(err)
	}
	want := `CN=\ #a\,b\+c\ ,1.2.3=#130178,CN=917532944+emailAddress=a@b.example,CN=Jon Siwek,OU=simpleCA-alpha,OU=GlobusTest,O=Grid`
	if got := DNString(der); got != want {
		t.Errorf("DNString =\n %s\nwant\n %s", got, want)
	}
}
