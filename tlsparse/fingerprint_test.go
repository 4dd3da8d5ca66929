package tlsparse

import (
	"crypto/md5"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// The vectors below are checked by hand against the definitions: JA4's
// from FoxIO's technical_details/JA4.md (its worked example is the first
// case), JA3's from the salesforce/ja3 README (its two examples, with their
// MD5s), JA3S's from a suricata-verify expectation (tls-ja3s).

// specExample is the ClientHello of JA4.md's example, with GREASE added
// in every list it may appear in: 15 suites, 16 extensions, ALPN h2, TLS
// 1.3 in supported_versions, eight signature algorithms.
func specExample() chSpec {
	return chSpec{
		Suites: []uint16{0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
			0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035},
		Extra: []Extension{
			{Type: 0x0a0a},
			{Type: 0x001b, Data: hx("02 0002")},
			kitExt(testkit.ExtServerName("www.example.test")),
			{Type: 0x0033, Data: hx("0026 2a2a 0001 00 001d 0020" + rep(0x11, 32))},
			kitExt(testkit.ExtALPN("h2", "http/1.1")),
			{Type: 0x4469, Data: hx("0003 02 6832")},
			{Type: 0x0017},
			{Type: 0x002d, Data: hx("0101")},
			{Type: 0x000d, Data: hx("0010 0403 0804 0401 0503 0805 0501 0806 0601")},
			{Type: 0x0005, Data: hx("0100000000")},
			{Type: 0x0023},
			{Type: 0x0012},
			{Type: 0x002b, Data: hx("06 3a3a 0304 0303")},
			{Type: 0xff01, Data: hx("00")},
			{Type: 0x000b, Data: hx("0100")},
			{Type: 0x000a, Data: hx("0008 4a4a 001d 0017 0018")},
			{Type: 0x0015, Data: make([]byte, 20)},
			{Type: 0x1a1a, Data: hx("00")},
		},
	}
}

func facts(t *testing.T, spec chSpec) *HelloFacts {
	t.Helper()
	ch, err := ParseClientHello(spec.body())
	if err != nil {
		t.Fatal(err)
	}
	return newHelloFacts(&ch)
}

func TestJA4(t *testing.T) {
	many := make([]uint16, 120)
	for i := range many {
		many[i] = uint16(0x0100 + i)
	}
	noSigs := specExample()
	for i, e := range noSigs.Extra {
		if e.Type == ExtSignatureAlgorithms {
			noSigs.Extra[i].Data = hx("0000") // present, empty
		}
	}
	for _, tc := range []struct {
		name string
		spec chSpec
		want string
	}{
		{"JA4.md example with GREASE", specExample(), "t13d1516h2_8daaf6152771_e5627efa2ab1"},
		// JA4.md: "no signature algorithms ... ends without an underscore":
		// 0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01 = 6d807ffa2a79.
		{"no signature algorithms", noSigs, "t13d1516h2_8daaf6152771_6d807ffa2a79"},
		// No suites, no extensions: every list empty.
		{"empty lists", chSpec{Suites: []uint16{}}, "t12i000000_000000000000_000000000000"},
		{"only GREASE", chSpec{Suites: []uint16{0x0a0a}, Extra: []Extension{{Type: 0xfafa}}},
			"t12i000000_000000000000_000000000000"},
		// SNI and ALPN count but are not hashed: nothing is left for c.
		{"only SNI and ALPN", chSpec{Suites: []uint16{0x1301}, SNI: "a.test", ALPN: []string{"http/1.1"}},
			"t12d0102h1_" + hash12("1301") + "_000000000000"},
		{"counts capped at 99", chSpec{Suites: many, Extra: []Extension{{Type: 0x0017}}},
			"t12i9901" + "00_" + hash12(hexList(many)) + "_" + hash12("0017")},
		{"SSL 3.0, no extensions block", chSpec{Version: VersionSSL3, Suites: []uint16{0x000a, 0x0005}},
			"ts3i020000_" + hash12("0005,000a") + "_000000000000"},
		{"supported_versions only GREASE: legacy version", chSpec{Version: VersionTLS10, Suites: []uint16{0x002f},
			Versions: []Version{0x0a0a}}, "t10i010100_" + hash12("002f") + "_" + hash12("002b")},
		{"unknown version", chSpec{Version: 0x0305, Suites: []uint16{0x002f}}, "t00i010000_" + hash12("002f") + "_000000000000"},
		// Signature algorithms keep their order; GREASE leaves them.
		{"signature algorithms in wire order", chSpec{Suites: []uint16{0x002f},
			Extra: []Extension{{Type: 0x000d, Data: hx("0006 0601 2a2a 0403")}}},
			"t12i010100_" + hash12("002f") + "_" + hash12("000d_0601,0403")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := JA4(facts(t, tc.spec)); got != tc.want {
				t.Errorf("JA4 = %s, want %s", got, tc.want)
			}
		})
	}
	if got := JA4(nil); got != "" {
		t.Errorf("JA4(nil) = %q", got)
	}
}

func hash12(s string) string {
	var b []byte
	return string(appendHash12(b, []byte(s)))
}

func hexList(vs []uint16) string {
	s := slices.Clone(vs)
	slices.Sort(s)
	return string(appendHexList(nil, s))
}

// TestJA4ALPN is JA4.md's ALPN rule with its own examples.
func TestJA4ALPN(t *testing.T) {
	for _, tc := range []struct {
		alpn []byte
		want string
	}{
		{nil, "00"},
		{[]byte("h2"), "h2"},
		{[]byte("http/1.1"), "h1"},
		{[]byte("spdy/3.1"), "s1"},
		{[]byte("h"), "hh"},
		{[]byte{0xab}, "ab"},
		{[]byte{0xab, 0xcd}, "ad"},
		{[]byte{0x30, 0xab}, "3b"},
		{[]byte{0x30, 0x31, 0xab, 0xcd}, "3d"},
		{[]byte{0x30, 0xab, 0xcd, 0x31}, "01"},
		{[]byte("h2/"), "6f"}, // "/" is not alphanumeric: hex 68322f
	} {
		if got := string(appendALPN(nil, tc.alpn)); got != tc.want {
			t.Errorf("ALPN %x: %q, want %q", tc.alpn, got, tc.want)
		}
	}
}

func TestJA4HashHelpers(t *testing.T) {
	// JA4.md's worked values.
	if got := hash12("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9"); got != "8daaf6152771" {
		t.Errorf("cipher hash %s", got)
	}
	if got := hash12("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"); got != "e5627efa2ab1" {
		t.Errorf("extension hash %s", got)
	}
}

func TestJA3(t *testing.T) {
	for _, tc := range []struct {
		name       string
		spec       chSpec
		text, hash string
	}{
		{
			"README example", chSpec{Version: VersionTLS10,
				Suites: []uint16{47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4},
				Extra: []Extension{kitExt(testkit.ExtServerName("a.test")),
					{Type: 10, Data: hx("0006 0017 0018 0019")}, {Type: 11, Data: hx("0100")}}},
			"769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0",
			"ada70206e40642a3e4461f35503241d5",
		},
		{
			"README example without extensions", chSpec{Version: VersionTLS10,
				Suites: []uint16{4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99}},
			"769,4-5-10-9-100-98-3-6-19-18-99,,,",
			"de350869b8c85de67a350c8d186f11e6",
		},
		{
			// GREASE leaves suites, extensions and curves; the order is
			// the wire's.
			"JA4.md example", specExample(),
			"771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53," +
				"27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0", "",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := facts(t, tc.spec)
			if got := JA3String(h); got != tc.text {
				t.Errorf("JA3String = %s, want %s", got, tc.text)
			}
			want := tc.hash
			if want == "" {
				sum := md5.Sum([]byte(tc.text))
				want = hex.EncodeToString(sum[:])
			}
			if got := JA3(h); got != want {
				t.Errorf("JA3 = %s, want %s", got, want)
			}
		})
	}
	if JA3(nil) != "" || JA3String(nil) != "" || JA3S(nil) != "" || JA3SString(nil) != "" {
		t.Error("nil facts give a fingerprint")
	}
}

func TestJA3S(t *testing.T) {
	// suricata-verify tls-ja3s: "771,49199,65281-0-11-16-23".
	sh, err := ParseServerHello((&testkit.ServerHello{Version: 0x0303, Random: mkBytes(32, 1), CipherSuite: 49199,
		Extensions: kitExts([]Extension{
			{Type: 0xff01, Data: hx("00")}, {Type: 0}, {Type: 11, Data: hx("0100")},
			kitExt(testkit.ExtALPN("h2")), {Type: 23},
		})}).Body())
	if err != nil {
		t.Fatal(err)
	}
	f := newServerHelloFacts(&sh)
	if got, want := JA3SString(f), "771,49199,65281-0-11-16-23"; got != want {
		t.Errorf("JA3SString = %s, want %s", got, want)
	}
	if got, want := JA3S(f), "5d79edf64e03689ff559a54e9d9487bc"; got != want {
		t.Errorf("JA3S = %s, want %s", got, want)
	}
	// No extensions: the field is empty, its comma stays.
	sh, err = ParseServerHello(shSpec{Version: VersionTLS10, Suite: 57}.body())
	if err != nil {
		t.Fatal(err)
	}
	if got := JA3SString(newServerHelloFacts(&sh)); got != "769,57," {
		t.Errorf("JA3SString without extensions = %s", got)
	}
}

// TestHelloFactsConn: the Conn keeps the first ClientHello's facts (the one
// before a HelloRetryRequest), the final ServerHello's (not the HRR's) and
// its key_share group; an SSLv2-format hello keeps none.
func TestHelloFactsConn(t *testing.T) {
	ch1 := chSpec{SNI: "first.test", SessionID: sid1, Versions: []Version{v13}, KeyShare: true,
		Suites: []uint16{0x1301, 0x1302}, ALPN: []string{"h2"},
		Extra: []Extension{{Type: ExtSupportedGroups, Data: hx("0004 001d 0017")}}}
	ch2 := ch1
	ch2.ALPN, ch2.Seed = nil, 9
	hrr := shSpec{SessionID: sid1, Suite: 0x1301, SupportedVersion: v13, HRR: true,
		Extra: []Extension{{Type: ExtKeyShare, Data: hx("0017")}}}
	sh := shSpec{SessionID: sid1, Suite: 0x1301, SupportedVersion: v13,
		Extra: []Extension{{Type: ExtKeyShare, Data: hx("0017 0041" + rep(4, 65))}}}

	c := NewConn(Options{})
	c.Feed(0, ch1.rec())
	c.Feed(1, hsRec(v12, hrr.msg()))
	c.Feed(0, hsRec(v12, ch2.msg()))
	c.Feed(1, hsRec(v12, sh.msg()))
	s := c.Summary()
	if s.Hello == nil || s.ServerHello == nil {
		t.Fatalf("facts missing: %+v %+v", s.Hello, s.ServerHello)
	}
	if got, want := JA4(s.Hello), JA4(facts(t, ch1)); got != want || !strings.HasSuffix(got[:10], "h2") {
		t.Errorf("JA4 = %s, want the first hello's %s", got, want)
	}
	if got := s.Hello.ALPN(); !slices.Equal(got, []string{"h2"}) {
		t.Errorf("ALPN = %q", got)
	}
	if got := s.Hello.Groups(); !slices.Equal(got, []NamedGroup{0x1d, 0x17}) {
		t.Errorf("Groups = %v", got)
	}
	if got := s.Hello.CipherSuites(); !slices.Equal(got, []CipherSuite{0x1301, 0x1302}) {
		t.Errorf("CipherSuites = %v", got)
	}
	if got := s.Hello.SupportedVersions(); !slices.Equal(got, []Version{v13}) {
		t.Errorf("SupportedVersions = %v", got)
	}
	if got := s.ServerHello.KeyShareGroup; got != 0x17 {
		t.Errorf("KeyShareGroup = %v", got)
	}
	if got := JA3SString(s.ServerHello); got != "771,4865,43-51" {
		t.Errorf("JA3S of the final ServerHello = %s", got)
	}
	// The facts are copies: scribbling over the fed bytes changes nothing.
	before := JA3String(s.Hello)
	buf := ch1.rec()
	c2 := NewConn(Options{})
	c2.Feed(0, buf)
	clear(buf)
	if got := JA3String(c2.Summary().Hello); got != before {
		t.Errorf("facts alias the input: %s, want %s", got, before)
	}

	c3 := NewConn(Options{})
	c3.Feed(0, mkSSLv2Hello(v10))
	if s := c3.Summary(); s.Hello != nil || JA4(s.Hello) != "" {
		t.Errorf("SSLv2-format hello has facts: %+v", s.Hello)
	}
}

// TestJA4Allocs keeps the always-on fingerprint cheap: one allocation,
// the result.
func TestJA4Allocs(t *testing.T) {
	h := facts(t, specExample())
	if n := testing.AllocsPerRun(100, func() { _ = JA4(h) }); n > 1 {
		t.Errorf("JA4 allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = JA3(h) }); n > 1 {
		t.Errorf("JA3 allocates %v times", n)
	}
}

func BenchmarkJA4(b *testing.B) {
	ch, err := ParseClientHello(benchClientHello())
	if err != nil {
		b.Fatal(err)
	}
	h := newHelloFacts(&ch)
	b.ReportAllocs()
	for b.Loop() {
		_ = JA4(h)
	}
}

func BenchmarkJA3(b *testing.B) {
	ch, err := ParseClientHello(benchClientHello())
	if err != nil {
		b.Fatal(err)
	}
	h := newHelloFacts(&ch)
	b.ReportAllocs()
	for b.Loop() {
		_ = JA3(h)
	}
}
