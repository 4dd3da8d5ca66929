package tlsparse

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Hex building blocks for the tables below.
const (
	random00 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	hrrHex   = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"
)

// msgCmp compares parsed messages: empty and nil slices are the same (a
// zero-length field aliases the input, nil means absent, and the tests care
// about the bytes).
var msgCmp = cmp.Options{cmpopts.EquateEmpty()}

func TestParseClientHello(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ClientHello
	}{
		{
			name: "TLS 1.2, no extensions",
			in:   "0303" + random00 + "00" + "0004 c02f 1301" + "01 00",
			want: ClientHello{
				Version:      VersionTLS12,
				Random:       hx(random00),
				CipherSuites: hx("c02f1301"),
				Compression:  hx("00"),
			},
		},
		{
			name: "SSL 3.0",
			in:   "0300" + random00 + "00" + "0002 000a" + "02 0100",
			want: ClientHello{
				Version:      VersionSSL3,
				Random:       hx(random00),
				CipherSuites: hx("000a"),
				Compression:  hx("0100"),
			},
		},
		{
			name: "empty extensions block",
			in:   "0303" + random00 + "00" + "0002 c02f" + "01 00" + "0000",
			want: ClientHello{
				Version:      VersionTLS12,
				Random:       hx(random00),
				CipherSuites: hx("c02f"),
				Compression:  hx("00"),
				Extensions:   []Extension{},
			},
		},
		{
			// A browser-like hello: GREASE suite, extension and version;
			// an unknown extension; pre_shared_key last.
			name: "TLS 1.3 offer with GREASE",
			in: "0303" + rep(0xaa, 32) + "20" + rep(0xbb, 32) + "0006 0a0a 1301 c02b" + "01 00" +
				"0055" +
				"0a0a 0000" +
				"0000 0010 000e 00 000b 6578616d706c652e636f6d" +
				"0010 000e 000c 02 6832 08 687474702f312e31" +
				"0023 0000" +
				"002b 0007 06 2a2a 0304 0303" +
				"002a 0000" +
				"1234 0002 abcd" +
				"0029 000e 0007 0001 aa 00000001 0003 02 cccc",
			want: ClientHello{
				Version:      VersionTLS12,
				Random:       hx(rep(0xaa, 32)),
				SessionID:    hx(rep(0xbb, 32)),
				CipherSuites: hx("0a0a1301c02b"),
				Compression:  hx("00"),
				Extensions: []Extension{
					{Type: 0x0a0a},
					{Type: ExtServerName, Data: hx("000e 00 000b 6578616d706c652e636f6d")},
					{Type: ExtALPN, Data: hx("000c 02 6832 08 687474702f312e31")},
					{Type: ExtSessionTicket},
					{Type: ExtSupportedVersions, Data: hx("06 2a2a 0304 0303")},
					{Type: ExtEarlyData},
					{Type: 0x1234, Data: hx("abcd")},
					{Type: ExtPreSharedKey, Data: hx("0007 0001 aa 00000001 0003 02 cccc")},
				},
				ServerName:        []byte("example.com"),
				ALPN:              [][]byte{[]byte("h2"), []byte("http/1.1")},
				HasSessionTicket:  true,
				SupportedVersions: []Version{0x2a2a, VersionTLS13, VersionTLS12},
				HasPSK:            true,
				PSKIdentities:     hx("0001 aa 00000001"),
				EarlyData:         true,
			},
		},
		{
			// The first host_name wins; other name types are skipped.
			// A 33-byte session ID and a repeated extension are
			// anomalies, not errors.
			name: "oddities",
			in: "0301" + random00 + "21" + rep(0x11, 33) + "0002 002f" + "01 00" +
				"0025" +
				"0000 0011 000f 01 0003 787878 00 0006 622e74657374" +
				"0023 0004 deadbeef" +
				"0017 0000" +
				"0017 0000",
			want: ClientHello{
				Version:      VersionTLS10,
				Random:       hx(random00),
				SessionID:    hx(rep(0x11, 33)),
				CipherSuites: hx("002f"),
				Compression:  hx("00"),
				Extensions: []Extension{
					{Type: ExtServerName, Data: hx("000f 01 0003 787878 00 0006 622e74657374")},
					{Type: ExtSessionTicket, Data: hx("deadbeef")},
					{Type: ExtExtendedMasterSecret},
					{Type: ExtExtendedMasterSecret},
				},
				ServerName:       []byte("b.test"),
				HasSessionTicket: true,
				SessionTicket:    hx("deadbeef"),
				Anomalies:        []Anomaly{AnomalySessionIDTooLong, AnomalyDuplicateExtension},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clip(unhex(t, tt.in))
			got, err := ParseClientHello(in)
			if err != nil {
				t.Fatalf("ParseClientHello: %v", err)
			}
			tt.want.Raw = in
			if diff := cmp.Diff(tt.want, got, msgCmp); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			checkAlias(t, "ClientHello", in, clientHelloSlices(&got)...)
			checkWithin(t, "ClientHello", in, got.Random)
			checkPrefixes(t, "ClientHello", in, func(b []byte) error { _, err := ParseClientHello(b); return err },
				helloNoExtLen(&got))
		})
	}
}

func TestParseServerHello(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ServerHello
		nego Version // NegotiatedVersion
	}{
		{
			name: "TLS 1.2 with ALPN and session_ticket",
			in: "0303" + rep(0xcc, 32) + "20" + rep(0xbb, 32) + "c02f" + "00" +
				"0018" +
				"ff01 0001 00" +
				"0010 0005 0003 02 6832" +
				"0023 0000" +
				"000b 0002 0100",
			want: ServerHello{
				Version:     VersionTLS12,
				Random:      hx(rep(0xcc, 32)),
				SessionID:   hx(rep(0xbb, 32)),
				CipherSuite: 0xc02f,
				Extensions: []Extension{
					{Type: ExtRenegotiationInfo, Data: hx("00")},
					{Type: ExtALPN, Data: hx("0003 02 6832")},
					{Type: ExtSessionTicket},
					{Type: ExtECPointFormats, Data: hx("0100")},
				},
				HasSessionTicket: true,
				ALPN:             []byte("h2"),
			},
			nego: VersionTLS12,
		},
		{
			name: "TLS 1.3 accepting a PSK",
			in: "0303" + rep(0xdd, 32) + "20" + rep(0xbb, 32) + "1301" + "00" +
				"0034" +
				"002b 0002 0304" +
				"0033 0024 001d 0020" + rep(0xee, 32) +
				"0029 0002 0000",
			want: ServerHello{
				Version:     VersionTLS12,
				Random:      hx(rep(0xdd, 32)),
				SessionID:   hx(rep(0xbb, 32)),
				CipherSuite: 0x1301,
				Extensions: []Extension{
					{Type: ExtSupportedVersions, Data: hx("0304")},
					{Type: ExtKeyShare, Data: hx("001d 0020" + rep(0xee, 32))},
					{Type: ExtPreSharedKey, Data: hx("0000")},
				},
				SupportedVersion: VersionTLS13,
				HasPSK:           true,
			},
			nego: VersionTLS13,
		},
		{
			name: "HelloRetryRequest",
			in: "0303" + hrrHex + "20" + rep(0xbb, 32) + "1302" + "00" +
				"0016" +
				"002b 0002 0304" +
				"0033 0002 001d" +
				"002c 0006 0004 01020304",
			want: ServerHello{
				Version:     VersionTLS12,
				Random:      hx(hrrHex),
				SessionID:   hx(rep(0xbb, 32)),
				CipherSuite: 0x1302,
				Extensions: []Extension{
					{Type: ExtSupportedVersions, Data: hx("0304")},
					{Type: ExtKeyShare, Data: hx("001d")},
					{Type: ExtCookie, Data: hx("0004 01020304")},
				},
				SupportedVersion: VersionTLS13,
				HRR:              true,
			},
			nego: VersionTLS13,
		},
		{
			// draft-ietf-tls-tls13-14: the version in legacy_version,
			// no session ID, no compression method.
			name: "draft 14 (0x7f0e)",
			in:   "7f0e" + rep(0xab, 32) + "1301" + "0028" + "0028 0024 001d 0020" + rep(0xee, 32),
			want: ServerHello{
				Version:     0x7f0e,
				Random:      hx(rep(0xab, 32)),
				CipherSuite: 0x1301,
				Extensions:  []Extension{{Type: 0x0028, Data: hx("001d 0020" + rep(0xee, 32))}},
			},
			nego: 0x7f0e,
		},
		{
			name: "draft 21 (0x7f15), no extensions",
			in:   "7f15" + rep(0xab, 32) + "1301",
			want: ServerHello{
				Version:     0x7f15,
				Random:      hx(rep(0xab, 32)),
				CipherSuite: 0x1301,
			},
			nego: 0x7f15,
		},
		{
			// Draft 22 brought the session ID and compression back.
			name: "draft 22 (0x7f16) layout",
			in:   "7f16" + rep(0xab, 32) + "00" + "1301" + "00",
			want: ServerHello{
				Version:     0x7f16,
				Random:      hx(rep(0xab, 32)),
				CipherSuite: 0x1301,
			},
			nego: 0x7f16,
		},
		{
			name: "draft 23 in supported_versions",
			in:   "0303" + rep(0xab, 32) + "00" + "1301" + "00" + "0006 002b 0002 7f17",
			want: ServerHello{
				Version:          VersionTLS12,
				Random:           hx(rep(0xab, 32)),
				CipherSuite:      0x1301,
				Extensions:       []Extension{{Type: ExtSupportedVersions, Data: hx("7f17")}},
				SupportedVersion: 0x7f17,
			},
			nego: 0x7f17,
		},
		{
			name: "unknown suite and extensions are data",
			in:   "0303" + random00 + "00" + "1337" + "00" + "000b" + "4444 0003 010203" + "fe0d 0000",
			want: ServerHello{
				Version:     VersionTLS12,
				Random:      hx(random00),
				CipherSuite: 0x1337,
				Extensions:  []Extension{{Type: 0x4444, Data: hx("010203")}, {Type: 0xfe0d}},
			},
			nego: VersionTLS12,
		},
		{
			name: "TLS 1.0, no extensions, compression 1",
			in:   "0301" + random00 + "00" + "002f" + "01",
			want: ServerHello{
				Version:     VersionTLS10,
				Random:      hx(random00),
				CipherSuite: 0x002f,
				Compression: 1,
			},
			nego: VersionTLS10,
		},
		{
			name: "long session ID and a repeated extension",
			in:   "0303" + random00 + "28" + rep(0x22, 40) + "c02f" + "00" + "0008" + "ff01 0000" + "ff01 0000",
			want: ServerHello{
				Version:     VersionTLS12,
				Random:      hx(random00),
				SessionID:   hx(rep(0x22, 40)),
				CipherSuite: 0xc02f,
				Extensions:  []Extension{{Type: ExtRenegotiationInfo}, {Type: ExtRenegotiationInfo}},
				Anomalies:   []Anomaly{AnomalySessionIDTooLong, AnomalyDuplicateExtension},
			},
			nego: VersionTLS12,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clip(unhex(t, tt.in))
			got, err := ParseServerHello(in)
			if err != nil {
				t.Fatalf("ParseServerHello: %v", err)
			}
			tt.want.Raw = in
			if diff := cmp.Diff(tt.want, got, msgCmp); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if v := got.NegotiatedVersion(); v != tt.nego {
				t.Errorf("NegotiatedVersion = %v, want %v", v, tt.nego)
			}
			checkAlias(t, "ServerHello", in, serverHelloSlices(&got)...)
			checkWithin(t, "ServerHello", in, got.Random)
			checkPrefixes(t, "ServerHello", in, func(b []byte) error { _, err := ParseServerHello(b); return err },
				serverHelloNoExtLen(&got))
		})
	}
}

func TestParseCertificate(t *testing.T) {
	p := pkiOnce()
	tests := []struct {
		name  string
		in    []byte
		tls13 bool
		want  Certificate
	}{
		{name: "empty list", in: hx("000000"), want: Certificate{}},
		{
			name: "two opaque entries",
			in:   hx("00000a 000002 0a0b 000002 0c0d"),
			want: Certificate{Certificates: [][]byte{hx("0a0b"), hx("0c0d")}},
		},
		{name: "TLS 1.3 empty", in: hx("00 000000"), tls13: true, want: Certificate{}},
		{
			name:  "TLS 1.3 with context and an extension",
			in:    hx("02 abcd 00000c 000003 010203 0004 00050000"),
			tls13: true,
			want:  Certificate{Context: hx("abcd"), Certificates: [][]byte{hx("010203")}},
		},
		{
			name: "real chain",
			in:   certBody(false, p.server, p.caA),
			want: Certificate{Certificates: [][]byte{p.server, p.caA}},
		},
		{
			name:  "real chain, TLS 1.3",
			in:    certBody(true, p.clientA),
			tls13: true,
			want:  Certificate{Certificates: [][]byte{p.clientA}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clip(tt.in)
			got, err := ParseCertificate(in, tt.tls13)
			if err != nil {
				t.Fatalf("ParseCertificate: %v", err)
			}
			tt.want.Raw = in
			if diff := cmp.Diff(tt.want, got, msgCmp); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			checkAlias(t, "Certificate", in, certificateSlices(&got)...)
			checkPrefixes(t, "Certificate", in, func(b []byte) error { _, err := ParseCertificate(b, tt.tls13); return err }, -1)
		})
	}
}

func TestParseCertificateRequest(t *testing.T) {
	p := pkiOnce()
	tests := []struct {
		name string
		in   []byte
		v    Version
		want CertificateRequest
	}{
		{
			name: "TLS 1.2, any CA",
			in:   hx("02 0140 0004 0807 0403 0000"),
			v:    VersionTLS12,
			want: CertificateRequest{CertTypes: hx("0140"), SigAlgs: hx("08070403")},
		},
		{
			name: "TLS 1.2 with names",
			in:   hx("01 01 0002 0401 000a 0003 414243 0003 444546"),
			v:    VersionTLS12,
			want: CertificateRequest{CertTypes: hx("01"), SigAlgs: hx("0401"), CANames: [][]byte{hx("414243"), hx("444546")}},
		},
		{
			name: "TLS 1.0 form",
			in:   hx("02 0102 0005 0003 414243"),
			v:    VersionTLS10,
			want: CertificateRequest{CertTypes: hx("0102"), CANames: [][]byte{hx("414243")}},
		},
		{
			name: "SSL 3.0 form, empty name",
			in:   hx("01 01 0002 0000"),
			v:    VersionSSL3,
			want: CertificateRequest{CertTypes: hx("01"), CANames: [][]byte{{}}},
		},
		{
			name: "real DNs",
			in:   crBody([]byte{64}, []uint16{0x0807}, p.dnA, p.dnB),
			v:    VersionTLS12,
			want: CertificateRequest{CertTypes: hx("40"), SigAlgs: hx("0807"), CANames: [][]byte{p.dnA, p.dnB}},
		},
		{
			// RFC 8446 4.3.2: a context, then extensions.
			name: "TLS 1.3 layout",
			in:   hx("00 0014 000d 0006 0004 0807 0403 002f 0006 0004 0002 3000"),
			v:    VersionTLS13,
			want: CertificateRequest{Context: hx(""), SigAlgs: hx("0807 0403"), CANames: [][]byte{hx("3000")}},
		},
		{
			name: "TLS 1.3 post-handshake, with a context",
			in:   hx("02 abcd 0008 000d 0004 0002 0807"),
			v:    VersionTLS13,
			want: CertificateRequest{Context: hx("abcd"), SigAlgs: hx("0807")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clip(tt.in)
			got, err := ParseCertificateRequest(in, tt.v)
			if err != nil {
				t.Fatalf("ParseCertificateRequest: %v", err)
			}
			tt.want.Raw = in
			if diff := cmp.Diff(tt.want, got, msgCmp); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			checkAlias(t, "CertificateRequest", in, certRequestSlices(&got)...)
			checkPrefixes(t, "CertificateRequest", in, func(b []byte) error { _, err := ParseCertificateRequest(b, tt.v); return err }, -1)
		})
	}
}

func TestParseNewSessionTicket(t *testing.T) {
	tests := []struct {
		in   string
		want NewSessionTicket
	}{
		{"00001c20 0004 01020304", NewSessionTicket{Lifetime: 7200, Ticket: hx("01020304")}},
		{"00000000 0000", NewSessionTicket{}},
	}
	for _, tt := range tests {
		in := slices.Clip(unhex(t, tt.in))
		got, err := ParseNewSessionTicket(in)
		if err != nil {
			t.Fatalf("ParseNewSessionTicket(%s): %v", tt.in, err)
		}
		tt.want.Raw = in
		if diff := cmp.Diff(tt.want, got, msgCmp); diff != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", tt.in, diff)
		}
		checkAlias(t, "NewSessionTicket", in, got.Raw, got.Ticket)
		checkPrefixes(t, "NewSessionTicket", in, func(b []byte) error { _, err := ParseNewSessionTicket(b); return err }, -1)
	}
}

func TestParseAlert(t *testing.T) {
	got, err := ParseAlert(hx("0228"))
	if err != nil || got != (Alert{Level: AlertFatal, Description: 40}) {
		t.Errorf("ParseAlert(0228) = %+v, %v", got, err)
	}
	got, err = ParseAlert(hx("01ff"))
	if err != nil || got != (Alert{Level: AlertWarning, Description: 255}) || got.Description.String() != "unknown(255)" {
		t.Errorf("ParseAlert(01ff) = %+v, %v", got, err)
	}
}

func TestParseSSLv2ClientHello(t *testing.T) {
	in := slices.Clip(cat(mkSSLv2Hello(VersionTLS10), []byte("next")))
	got, n, err := ParseSSLv2ClientHello(in)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(in)-4 {
		t.Errorf("n = %d, want %d", n, len(in)-4)
	}
	want := ClientHello{
		Raw:          in[2:n],
		Version:      VersionTLS10,
		Random:       mkBytes(16, 0x51), // the challenge
		CipherSuites: hx("00002f 00000a 0700c0"),
		SSLv2:        true,
	}
	if diff := cmp.Diff(want, got, msgCmp); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	checkAlias(t, "SSLv2ClientHello", in, got.Raw)
	checkWithin(t, "SSLv2ClientHello", in, got.Random, got.SessionID, got.CipherSuites)
	if !IsSSLv2ClientHello(in) {
		t.Error("IsSSLv2ClientHello = false")
	}
	// Every prefix is a wait for more, like a record.
	for k := range n {
		if ch, m, err := ParseSSLv2ClientHello(in[:k:k]); err != ErrNeedMore || m != 0 || ch.Raw != nil {
			t.Fatalf("prefix %d: %+v, %d, %v; want ErrNeedMore", k, ch, m, err)
		}
	}
	// With a session ID.
	in2 := unhex(t, "8012 01 0300 0003 0004 0002 000035 01020304 aabb")
	got, n, err = ParseSSLv2ClientHello(in2)
	if err != nil || n != len(in2) {
		t.Fatalf("with session ID: %d, %v", n, err)
	}
	want = ClientHello{Raw: in2[2:], Version: VersionSSL3, CipherSuites: hx("000035"), SessionID: hx("01020304"),
		Random: hx("aabb"), SSLv2: true}
	if diff := cmp.Diff(want, got, msgCmp); diff != "" {
		t.Errorf("with session ID: mismatch (-want +got):\n%s", diff)
	}
}

// TestMalformed names, for each parser, the field a broken input fails on.
// The offset is where the cryptobyte cursor stopped: the start of a fixed
// field that could not be read, just past the length prefix of a
// length-prefixed field that overruns (cryptobyte consumes the prefix before
// it finds the contents short), or the end of a field whose contents are
// wrong.
func TestMalformed(t *testing.T) {
	ch := func(b []byte) error { _, err := ParseClientHello(b); return err }
	sh := func(b []byte) error { _, err := ParseServerHello(b); return err }
	cert12 := func(b []byte) error { _, err := ParseCertificate(b, false); return err }
	cert13 := func(b []byte) error { _, err := ParseCertificate(b, true); return err }
	cr := func(v Version) func([]byte) error {
		return func(b []byte) error { _, err := ParseCertificateRequest(b, v); return err }
	}
	nst := func(b []byte) error { _, err := ParseNewSessionTicket(b); return err }
	alert := func(b []byte) error { _, err := ParseAlert(b); return err }
	v2 := func(b []byte) error { _, _, err := ParseSSLv2ClientHello(b); return err }

	chHead := "0303" + random00 + "00" + "0002 c02f" + "01 00" // 41 bytes
	shHead := "0303" + random00 + "00" + "1301" + "00"         // 38 bytes
	tests := []struct {
		name   string
		parse  func([]byte) error
		in     string
		msg    string
		field  string
		offset int
	}{
		{"CH empty", ch, "", "ClientHello", "legacy_version", 0},
		{"CH version cut", ch, "03", "ClientHello", "legacy_version", 0},
		{"CH random cut", ch, "0303" + rep(1, 31), "ClientHello", "random", 2},
		{"CH session ID overruns", ch, "0303" + random00 + "21 0102", "ClientHello", "legacy_session_id", 35},
		{"CH odd suites", ch, "0303" + random00 + "00 0003 c02f13 0100", "ClientHello", "cipher_suites", 40},
		{"CH suites overrun", ch, "0303" + random00 + "00 0004 c02f", "ClientHello", "cipher_suites", 37},
		{"CH no compression", ch, "0303" + random00 + "00 0002 c02f", "ClientHello", "legacy_compression_methods", 39},
		{"CH one byte of extensions", ch, chHead + "00", "ClientHello", "extensions", 41},
		{"CH extensions overrun", ch, chHead + "0005 0000 0000", "ClientHello", "extensions", 43},
		{"CH bytes after extensions", ch, chHead + "0004 0000 0000 ff", "ClientHello", "extensions", 47},
		{"CH extension overruns the block", ch, chHead + "0004 0000 0005", "ClientHello", "extension", 47},
		{"CH extension header cut", ch, chHead + "0003 0000 00", "ClientHello", "extension", 45},
		{"CH server_name entry cut", ch, chHead + "0007 0000 0003 000100", "ClientHello", "extension server_name", 47},
		{"CH server_name trailing", ch, chHead + "0007 0000 0003 000000", "ClientHello", "extension server_name", 47},
		{"CH ALPN empty protocol", ch, chHead + "0007 0010 0003 000100", "ClientHello", "extension application_layer_protocol_negotiation", 47},
		{"CH ALPN list overruns", ch, chHead + "0008 0010 0004 0005 0168", "ClientHello", "extension application_layer_protocol_negotiation", 47},
		{"CH supported_versions odd", ch, chHead + "0008 002b 0004 03 030403", "ClientHello", "extension supported_versions", 47},
		{"CH supported_versions trailing", ch, chHead + "0008 002b 0004 02 0304 00", "ClientHello", "extension supported_versions", 47},

		{"SH empty", sh, "", "ServerHello", "legacy_version", 0},
		{"SH random cut", sh, "0303 aa", "ServerHello", "random", 2},
		{"SH session ID overruns", sh, "0303" + random00 + "20 00", "ServerHello", "legacy_session_id_echo", 35},
		{"SH suite cut", sh, "0303" + random00 + "00 13", "ServerHello", "cipher_suite", 35},
		{"SH no compression", sh, "0303" + random00 + "00 1301", "ServerHello", "legacy_compression_method", 37},
		{"SH draft suite cut", sh, "7f0e" + random00 + "13", "ServerHello", "cipher_suite", 34},
		{"SH extensions overrun", sh, shHead + "0005 002b 0002", "ServerHello", "extensions", 40},
		{"SH supported_versions too long", sh, shHead + "0007 002b 0003 030400", "ServerHello", "extension supported_versions", 44},
		{"SH supported_versions short", sh, shHead + "0005 002b 0001 03", "ServerHello", "extension supported_versions", 44},
		{"SH two ALPN protocols", sh, shHead + "000c 0010 0008 0006 026832 026833", "ServerHello", "extension application_layer_protocol_negotiation", 44},

		{"Cert empty", cert12, "", "Certificate", "certificate_list", 0},
		{"Cert list overruns", cert12, "000006 000002 0a0b", "Certificate", "certificate_list", 3},
		{"Cert trailing", cert12, "000005 000002 0a0b ff", "Certificate", "certificate_list", 8},
		{"Cert zero-length entry", cert12, "000003 000000", "Certificate", "cert_data", 6},
		{"Cert entry overruns", cert12, "000004 000005 aa", "Certificate", "cert_data", 6},
		{"Cert13 empty", cert13, "", "Certificate", "certificate_request_context", 0},
		{"Cert13 context overruns", cert13, "05 0102", "Certificate", "certificate_request_context", 1},
		{"Cert13 no extensions", cert13, "00 000005 000002 0a0b", "Certificate", "extensions", 9},
		{"Cert13 as TLS 1.2", cert12, "00 000009 000002 0a0b 0000", "Certificate", "certificate_list", 3},

		{"CR empty", cr(VersionTLS12), "", "CertificateRequest", "certificate_types", 0},
		{"CR odd sigalgs", cr(VersionTLS12), "01 01 0003 080704 0000", "CertificateRequest", "supported_signature_algorithms", 7},
		{"CR no CA list", cr(VersionTLS12), "01 01 0002 0807", "CertificateRequest", "certificate_authorities", 6},
		{"CR DN overruns", cr(VersionTLS12), "01 01 0002 0807 0004 0005 4142", "CertificateRequest", "distinguished_name", 10},
		{"CR TLS 1.0 form as TLS 1.2", cr(VersionTLS12), "01 01 0005 0003 414243", "CertificateRequest", "supported_signature_algorithms", 9},
		{"CR TLS 1.0 trailing", cr(VersionTLS10), "01 01 0000 ff", "CertificateRequest", "certificate_authorities", 4},

		{"NST lifetime cut", nst, "000000", "NewSessionTicket", "ticket_lifetime_hint", 0},
		{"NST ticket overruns", nst, "00001c20 0005 0102", "NewSessionTicket", "ticket", 6},
		{"NST trailing", nst, "00001c20 0001 01 ff", "NewSessionTicket", "ticket", 7},

		{"Alert short", alert, "02", "Alert", "length", 0},
		{"Alert long", alert, "022800", "Alert", "length", 0},

		{"SSLv2 message type", v2, "8009 02 0301 0000 0000 0000", "SSLv2ClientHello", "header", 2},
		{"SSLv2 header cut", v2, "8004 01 0301 00", "SSLv2ClientHello", "header", 2},
		{"SSLv2 kinds not a multiple of 3", v2, "800b 01 0301 0002 0000 0000 aabb", "SSLv2ClientHello", "lengths", 2},
		{"SSLv2 trailing", v2, "800a 01 0301 0000 0000 0000 ff", "SSLv2ClientHello", "lengths", 2},
		{"SSLv2 lengths overrun", v2, "800b 01 0301 0003 0000 0010 000035", "SSLv2ClientHello", "lengths", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(slices.Clip(unhex(t, tt.in)))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error = %v, want *ParseError", err)
			}
			want := &ParseError{Msg: tt.msg, Field: tt.field, Offset: tt.offset}
			if diff := cmp.Diff(want, pe); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// helloNoExtLen is the length of the hello without its extensions block:
// a prefix of exactly that length is itself a valid (SSL 3.0 style) hello.
func helloNoExtLen(ch *ClientHello) int {
	if ch.Extensions == nil {
		return -1
	}
	return 2 + 32 + 1 + len(ch.SessionID) + 2 + len(ch.CipherSuites) + 1 + len(ch.Compression)
}

func serverHelloNoExtLen(sh *ServerHello) int {
	if sh.Extensions == nil {
		return -1
	}
	if sh.Version>>8 == 0x7f && sh.Version&0xff <= 21 {
		return 2 + 32 + 2
	}
	return 2 + 32 + 1 + len(sh.SessionID) + 2 + 1
}

// checkPrefixes asserts that every proper prefix of a valid message body
// fails with a *ParseError naming an offset inside the prefix, except the
// one prefix (okLen, -1 for none) that is itself a valid message.
func checkPrefixes(t *testing.T, msg string, body []byte, parse func([]byte) error, okLen int) {
	t.Helper()
	for k := range len(body) {
		err := parse(body[:k:k])
		if k == okLen {
			if err != nil {
				t.Errorf("%s prefix %d (no extensions) should parse: %v", msg, k, err)
			}
			continue
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("%s prefix %d/%d: error = %v, want *ParseError", msg, k, len(body), err)
		}
		if pe.Msg != msg || pe.Offset < 0 || pe.Offset > k {
			t.Fatalf("%s prefix %d: %+v", msg, k, pe)
		}
	}
}

// The builder's messages parse back to what was asked for: a check of the
// builder as much as of the parsers, which the Conn tests rely on.
func TestBuilderRoundTrip(t *testing.T) {
	spec := chSpec{
		Version: VersionTLS12, Seed: 3, SessionID: mkBytes(32, 4), Suites: []uint16{0x0a0a, 0x1301, 0xc02f},
		SNI: "round.trip", ALPN: []string{"h2", "http/1.1"}, Ticket: mkBytes(64, 5),
		Versions: []Version{0x3a3a, VersionTLS13, VersionTLS12}, PSK: true, EarlyData: true, KeyShare: true,
		Extra: []Extension{{Type: 0x7777, Data: []byte("x")}},
	}
	body := slices.Clip(spec.body())
	ch, err := ParseClientHello(body)
	if err != nil {
		t.Fatal(err)
	}
	got := struct {
		SID, Ticket          []byte
		SNI                  string
		ALPN                 [][]byte
		Versions             []Version
		PSK, Early, Ticketed bool
		Offers13             bool
		LastExt              ExtensionType
	}{ch.SessionID, ch.SessionTicket, string(ch.ServerName), ch.ALPN, ch.SupportedVersions, ch.HasPSK, ch.EarlyData,
		ch.HasSessionTicket, ch.OffersTLS13(), ch.Extensions[len(ch.Extensions)-1].Type}
	want := got
	want.SID, want.Ticket, want.SNI = spec.SessionID, spec.Ticket, spec.SNI
	want.ALPN = [][]byte{[]byte("h2"), []byte("http/1.1")}
	want.Versions = spec.Versions
	want.PSK, want.Early, want.Ticketed, want.Offers13, want.LastExt = true, true, true, true, ExtPreSharedKey
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ClientHello (-want +got):\n%s", diff)
	}
	if !IsGREASE(uint16(ch.CipherSuites[0])<<8|uint16(ch.CipherSuites[1])) || !IsGREASE(uint16(ch.SupportedVersions[0])) {
		t.Error("GREASE values did not come through")
	}

	shs := shSpec{SessionID: spec.SessionID, Suite: 0x1301, SupportedVersion: VersionTLS13, PSK: true, ALPN: "h2"}
	sh, err := ParseServerHello(slices.Clip(shs.body()))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sh.SessionID, spec.SessionID) || sh.NegotiatedVersion() != VersionTLS13 || !sh.HasPSK ||
		string(sh.ALPN) != "h2" || sh.HRR || sh.CipherSuite != 0x1301 {
		t.Errorf("ServerHello: %+v", sh)
	}
	hrr, err := ParseServerHello(shSpec{HRR: true, SupportedVersion: VersionTLS13}.body())
	if err != nil || !hrr.HRR {
		t.Errorf("HRR: %+v, %v", hrr, err)
	}
}

func TestOffersTLS13(t *testing.T) {
	tests := []struct {
		versions []Version
		want     bool
	}{
		{nil, false},
		{[]Version{VersionTLS12, VersionTLS11}, false},
		{[]Version{0x0a0a, VersionTLS13}, true},
		{[]Version{0x7f17}, true},  // draft 23
		{[]Version{0x7e02}, true},  // Chrome experiment
		{[]Version{0xfb1a}, true},  // fizz
		{[]Version{0x0305}, false}, // not (yet) a version
	}
	for _, tt := range tests {
		ch := ClientHello{SupportedVersions: tt.versions}
		if got := ch.OffersTLS13(); got != tt.want {
			t.Errorf("OffersTLS13(%v) = %v, want %v", tt.versions, got, tt.want)
		}
	}
}

// The PKI's certificates have the issuers the Conn tests rely on, and
// CertIssuer cuts them out of the DER without a full parse.
func TestCertIssuer(t *testing.T) {
	p := pkiOnce()
	tests := []struct {
		name string
		der  []byte
		want []byte
	}{
		{"CA A (self-signed)", p.caA, p.dnA},
		{"server", p.server, p.dnA},
		{"client A", p.clientA, p.dnA},
		{"client B", p.clientB, p.dnB},
		{"big", p.big, p.dnA},
	}
	for _, tt := range tests {
		iss, ok := CertIssuer(tt.der)
		if !ok || !slices.Equal(iss, tt.want) {
			t.Errorf("%s: CertIssuer = %x, %v; want %x", tt.name, iss, ok, tt.want)
		}
		checkAlias(t, tt.name, tt.der, iss[:len(iss):len(iss)])
	}
	if slices.Equal(p.dnA, p.dnB) || slices.Equal(p.dnA, p.dnUnrelated) {
		t.Fatal("test PKI names are not distinct")
	}
	if len(p.big) < 19000 {
		t.Errorf("big certificate is only %d bytes", len(p.big))
	}
	for _, bad := range [][]byte{nil, hx("3000"), hx("30030201"), p.server[:100]} {
		if _, ok := CertIssuer(bad); ok {
			t.Errorf("CertIssuer(%x...) ok", bad[:min(8, len(bad))])
		}
	}
}

// TestFixedLengthFieldsCapped is the contract messages.go states for its
// readers ("capacity cut to their length, so an append by a caller can never
// write into the bytes that follow"), applied to the fields read with
// cryptobyte's ReadBytes, which does not cut the capacity: the hello randoms
// and the SSLv2 hello's cipher specs, session ID and challenge.
func TestFixedLengthFieldsCapped(t *testing.T) {
	ch, err := ParseClientHello(slices.Clip(chSpec{SNI: "x.test"}.body()))
	if err != nil {
		t.Fatal(err)
	}
	sh, err := ParseServerHello(slices.Clip(shSpec{}.body()))
	if err != nil {
		t.Fatal(err)
	}
	in := slices.Clip(cat(mkSSLv2Hello(VersionTLS10), []byte("more")))
	v2, _, err := ParseSSLv2ClientHello(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		b    []byte
	}{
		{"ClientHello.Random", ch.Random},
		{"ServerHello.Random", sh.Random},
		{"SSLv2 CipherSuites", v2.CipherSuites},
		{"SSLv2 SessionID", v2.SessionID},
		{"SSLv2 Random", v2.Random},
	} {
		if cap(f.b) != len(f.b) {
			t.Errorf("%s: cap %d != len %d", f.name, cap(f.b), len(f.b))
		}
	}
	// What the cut prevents: an append that writes into the input.
	before := slices.Clone(in)
	_ = append(v2.SessionID, 'X')
	if !slices.Equal(in, before) {
		t.Error("append to the SSLv2 hello's empty session ID overwrote its challenge")
	}
}
