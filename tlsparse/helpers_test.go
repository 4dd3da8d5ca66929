package tlsparse

// Test helpers: records and handshake messages (typed wrappers over
// internal/testkit's builders) and a small deterministic PKI, so that tests
// spell out what they send instead of carrying opaque captures; alias
// checks; the first connection of each real capture. Everything here is
// deterministic (fixed seeds, fixed times): the same bytes on every run,
// which the fuzz seeds and the expected structs in the tables rely on.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// mkBytes returns n deterministic bytes derived from seed: distinct seeds
// give distinct randoms, session IDs and ciphertexts.
func mkBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// unhex decodes hex written with optional spaces and newlines.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.Join(strings.Fields(s), "")
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// The builders below are typed wrappers over internal/testkit's, which
// speak plain integers so that testkit need not import tlsparse.

// mkRecord is one record with the given fragment.
func mkRecord(typ ContentType, v Version, frag []byte) []byte {
	return testkit.Record(uint8(typ), uint16(v), frag)
}

// mkRecords fragments data into records of at most max bytes each.
func mkRecords(typ ContentType, v Version, data []byte, max int) []byte {
	return testkit.Fragment(uint8(typ), uint16(v), data, max)
}

// mkHS is a handshake message: type, 24-bit length, body.
func mkHS(typ HandshakeType, body []byte) []byte { return testkit.HandshakeMsg(uint8(typ), body) }

// hsRec wraps handshake messages in one handshake record.
func hsRec(v Version, msgs ...[]byte) []byte {
	return mkRecord(ContentHandshake, v, cat(msgs...))
}

// mkExt is one extension in wire form.
func mkExt(typ ExtensionType, data []byte) Extension { return Extension{Type: typ, Data: data} }

// kitExt is a testkit extension as tlsparse's type.
func kitExt(e testkit.Extension) Extension { return mkExt(ExtensionType(e.Type), e.Data) }

// kitExts converts extensions for testkit's hellos: nil stays nil (no
// extensions block), an empty list is an empty block.
func kitExts(exts []Extension) []testkit.Extension {
	if exts == nil {
		return nil
	}
	out := make([]testkit.Extension, len(exts))
	for i, e := range exts {
		out[i] = testkit.Extension{Type: uint16(e.Type), Data: e.Data}
	}
	return out
}

// chSpec describes a ClientHello. The zero value is a TLS 1.2 hello with
// two suites, null compression and no extensions block at all.
type chSpec struct {
	Version     Version // legacy_version; 0 means TLS 1.2
	Seed        byte    // for the random
	SessionID   []byte
	Suites      []uint16 // nil means {0xc02f, 0x1301}
	Compression []byte   // nil means {0}

	SNI       string
	ALPN      []string
	Ticket    []byte // session_ticket data (with TicketExt)
	TicketExt bool   // send session_ticket (empty unless Ticket is set)
	Versions  []Version
	PSK       bool // pre_shared_key (last, as RFC 8446 requires)
	EarlyData bool
	KeyShare  bool
	Extra     []Extension // appended before pre_shared_key
	EmptyExts bool        // send a zero-length extensions block when there are none
}

func (o chSpec) extensions() []Extension {
	var exts []Extension
	if o.SNI != "" {
		exts = append(exts, kitExt(testkit.ExtServerName(o.SNI)))
	}
	if o.ALPN != nil {
		exts = append(exts, kitExt(testkit.ExtALPN(o.ALPN...)))
	}
	if o.TicketExt || o.Ticket != nil {
		exts = append(exts, mkExt(ExtSessionTicket, o.Ticket))
	}
	if o.Versions != nil {
		vs := make([]uint16, len(o.Versions))
		for i, v := range o.Versions {
			vs[i] = uint16(v)
		}
		exts = append(exts, kitExt(testkit.ExtSupportedVersionsClient(vs...)))
	}
	if o.KeyShare {
		exts = append(exts, kitExt(testkit.ExtKeyShareClient(testkit.GroupX25519, mkBytes(32, 0x5e))))
	}
	if o.EarlyData {
		exts = append(exts, mkExt(ExtEarlyData, nil))
	}
	exts = append(exts, o.Extra...)
	if o.PSK {
		exts = append(exts, kitExt(testkit.ExtPreSharedKeyClient(mkBytes(48, 0x77), 0x01020304, mkBytes(32, 0x78))))
	}
	return exts
}

// body is the ClientHello body (no handshake header).
func (o chSpec) body() []byte {
	v, suites := o.Version, o.Suites
	if v == 0 {
		v = VersionTLS12
	}
	if suites == nil {
		suites = []uint16{0xc02f, 0x1301}
	}
	exts := o.extensions()
	if exts == nil && o.EmptyExts {
		exts = []Extension{}
	}
	ch := testkit.ClientHello{Version: uint16(v), Random: mkBytes(32, o.Seed), SessionID: o.SessionID,
		CipherSuites: suites, Compression: o.Compression, Extensions: kitExts(exts)}
	return ch.Body()
}

func (o chSpec) msg() []byte { return mkHS(TypeClientHello, o.body()) }

// rec is the hello in its own record; record version 0x0301 as real
// clients send it.
func (o chSpec) rec() []byte { return hsRec(VersionTLS10, o.msg()) }

// shSpec describes a ServerHello (or HelloRetryRequest).
type shSpec struct {
	Version     Version // legacy_version; 0 means TLS 1.2
	Seed        byte
	SessionID   []byte
	Suite       uint16 // 0 means 0xc02f
	Compression uint8

	SupportedVersion Version // supported_versions, 0 to omit
	PSK              bool
	HRR              bool // the HelloRetryRequest random
	ALPN             string
	TicketExt        bool
	Extra            []Extension
	Draft            bool // pre-draft-22 layout: no session ID, no compression
}

func (o shSpec) extensions() []Extension {
	var exts []Extension
	if o.SupportedVersion != 0 {
		exts = append(exts, kitExt(testkit.ExtSupportedVersionsServer(uint16(o.SupportedVersion))))
	}
	if o.ALPN != "" {
		exts = append(exts, kitExt(testkit.ExtALPN(o.ALPN)))
	}
	if o.TicketExt {
		exts = append(exts, mkExt(ExtSessionTicket, nil))
	}
	if o.PSK {
		exts = append(exts, kitExt(testkit.ExtPreSharedKeyServer(0)))
	}
	return append(exts, o.Extra...)
}

func (o shSpec) body() []byte {
	v, suite := o.Version, o.Suite
	if v == 0 {
		v = VersionTLS12
	}
	if suite == 0 {
		suite = 0xc02f
	}
	random := mkBytes(32, o.Seed|0x80)
	if o.HRR {
		random = hrrRandom[:]
	}
	sh := testkit.ServerHello{Version: uint16(v), Random: random, SessionID: o.SessionID, CipherSuite: suite,
		Compression: o.Compression, Extensions: kitExts(o.extensions()), Draft: o.Draft}
	return sh.Body()
}

func (o shSpec) msg() []byte { return mkHS(TypeServerHello, o.body()) }

// certBody is a Certificate body: TLS 1.2 form, or TLS 1.3 form with an
// empty context and empty per-certificate extensions.
func certBody(tls13 bool, certs ...[]byte) []byte {
	if tls13 {
		return testkit.Certificate13Body(nil, certs...)
	}
	return testkit.CertificateBody(certs...)
}

func certMsg(certs ...[]byte) []byte { return testkit.CertificateMsg(certs...) }

// crBody is a CertificateRequest body; sigalgs nil gives the TLS 1.0/1.1
// form (no supported_signature_algorithms field).
func crBody(types []byte, sigalgs []uint16, cas ...[]byte) []byte {
	return testkit.CertificateRequestBody(types, sigalgs, cas)
}

// crMsg12 is a TLS 1.2 CertificateRequest (rsa_sign, ecdsa_sign; ed25519,
// ecdsa_secp256r1_sha256) naming cas.
func crMsg12(cas ...[]byte) []byte {
	return testkit.CertificateRequestMsg([]byte{testkit.CertTypeRSASign, testkit.CertTypeECDSASign},
		[]uint16{testkit.SigEd25519, testkit.SigECDSAP256}, cas)
}

// crMsg10 is the TLS 1.0/1.1 and SSL 3.0 form.
func crMsg10(cas ...[]byte) []byte {
	return testkit.CertificateRequestMsg([]byte{testkit.CertTypeRSASign, testkit.CertTypeDSSSign}, nil, cas)
}

// skeMsg is an ECDHE ServerKeyExchange (x25519, ed25519 signature); its
// contents are opaque to tlsparse.
func skeMsg() []byte {
	return testkit.ServerKeyExchangeMsg(testkit.ECDHEParams(testkit.GroupX25519, mkBytes(32, 0x11), testkit.SigEd25519, mkBytes(64, 0x12)))
}

func shdMsg() []byte { return testkit.ServerHelloDoneMsg() }

func ckeMsg() []byte {
	return testkit.ClientKeyExchangeMsg(testkit.ECDHEClientPublic(mkBytes(32, 0x21)))
}

func cvMsg() []byte { return testkit.CertificateVerifyMsg(testkit.SigEd25519, mkBytes(64, 0x31)) }

func nstMsg() []byte { return testkit.NewSessionTicketMsg(7200, mkBytes(96, 0x41)) }

func ccsRec(v Version) []byte { return testkit.ChangeCipherSpec(uint16(v)) }

// finRec is an encrypted Finished: an opaque handshake record after CCS.
func finRec(v Version, seed byte) []byte { return mkRecord(ContentHandshake, v, mkBytes(40, seed)) }

func alertRec(v Version, level AlertLevel, desc AlertDescription) []byte {
	return testkit.Alert(uint16(v), uint8(level), uint8(desc))
}

func appRec(v Version, n int, seed byte) []byte {
	return mkRecord(ContentApplicationData, v, mkBytes(n, seed))
}

// mkSSLv2Hello is an SSLv2-format ClientHello (2-byte header) offering
// SSL 3.0/TLS: three kinds, no session ID, a 16-byte challenge.
func mkSSLv2Hello(v Version) []byte {
	return testkit.SSLv2ClientHello(uint16(v), []uint32{0x00002f, 0x00000a, 0x0700c0}, nil, mkBytes(16, 0x51))
}

// A small PKI: two roots with distinct DNs, a server certificate, client
// certificates under each root, and a server certificate padded past 19 KB
// by a private extension. ed25519 signatures are deterministic, so with
// fixed serials and times the DER is identical on every run.
type testPKI struct {
	caA, caB               []byte // DER, self-signed
	server, clientA        []byte // issued by caA
	clientB                []byte // issued by caB
	big                    []byte // issued by caA, > 19 KB
	dnA, dnB, dnUnrelated  []byte // DER subject Names
	caACert, caBCert       *x509.Certificate
	serverCert, clientCert *x509.Certificate
}

var pkiOnce = sync.OnceValue(func() *testPKI {
	key := func(seed byte) ed25519.PrivateKey {
		s := make([]byte, ed25519.SeedSize)
		for i := range s {
			s[i] = seed
		}
		return ed25519.NewKeyFromSeed(s)
	}
	nb := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	na := time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC)
	tmpl := func(serial int64, cn string, ca bool) *x509.Certificate {
		return &x509.Certificate{
			SerialNumber:          big.NewInt(serial),
			Subject:               pkix.Name{CommonName: cn, Organization: []string{"tlsscan tests"}},
			NotBefore:             nb,
			NotAfter:              na,
			BasicConstraintsValid: true,
			IsCA:                  ca,
		}
	}
	mk := func(t *x509.Certificate, parent *x509.Certificate, pub, priv ed25519.PrivateKey) []byte {
		if parent == nil {
			parent = t
		}
		der, err := x509.CreateCertificate(nil, t, parent, pub.Public(), priv)
		if err != nil {
			panic(err)
		}
		return der
	}
	parse := func(der []byte) *x509.Certificate {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			panic(err)
		}
		return c
	}
	kA, kB, kS, kC := key(1), key(2), key(3), key(4)
	p := &testPKI{}
	p.caA = mk(tmpl(1, "Test CA A", true), nil, kA, kA)
	p.caB = mk(tmpl(2, "Test CA B", true), nil, kB, kB)
	p.caACert, p.caBCert = parse(p.caA), parse(p.caB)
	p.server = mk(tmpl(10, "server.test", false), p.caACert, kS, kA)
	p.clientA = mk(tmpl(11, "client a", false), p.caACert, kC, kA)
	p.clientB = mk(tmpl(12, "client b", false), p.caBCert, kC, kB)
	bt := tmpl(13, "big.test", false)
	bt.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 1}, Value: mkBytes(19500, 0x61)}}
	p.big = mk(bt, p.caACert, kS, kA)
	p.serverCert, p.clientCert = parse(p.server), parse(p.clientA)
	p.dnA, p.dnB = p.caACert.RawSubject, p.caBCert.RawSubject
	un, err := asn1.Marshal(pkix.Name{CommonName: "Unrelated CA", Organization: []string{"elsewhere"}}.ToRDNSequence())
	if err != nil {
		panic(err)
	}
	p.dnUnrelated = un
	return p
})

// within reports whether sub lies inside b (same backing array, in range).
// An empty sub is accepted wherever it points.
func within(b, sub []byte) bool {
	if len(sub) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	return p >= base && p+uintptr(len(sub)) <= base+uintptr(len(b))
}

// checkAlias fails unless every slice lies inside in and has cap == len, so
// an append by a caller can never write into the input.
func checkAlias(t testing.TB, what string, in []byte, slices ...[]byte) {
	t.Helper()
	for i, s := range slices {
		if s == nil {
			continue
		}
		if !within(in, s) {
			t.Errorf("%s: slice %d (%x) does not alias the input", what, i, s)
		}
		if cap(s) != len(s) {
			t.Errorf("%s: slice %d has cap %d != len %d", what, i, cap(s), len(s))
		}
	}
}

// checkWithin fails unless every slice lies inside in; for the fields read
// with a fixed length (hello randoms, the SSLv2 hello's fields), whose
// capacity is not cut yet (TestFixedLengthFieldsCapped).
func checkWithin(t testing.TB, what string, in []byte, slices ...[]byte) {
	t.Helper()
	for i, s := range slices {
		if !within(in, s) {
			t.Errorf("%s: uncapped slice %d (%x) does not alias the input", what, i, s)
		}
	}
}

// clientHelloSlices lists every []byte a ClientHello returns except Random
// (see checkWithin); SSLv2 hellos are checked apart.
func clientHelloSlices(ch *ClientHello) [][]byte {
	s := [][]byte{ch.Raw, ch.SessionID, ch.CipherSuites, ch.Compression, ch.ServerName, ch.SessionTicket}
	for _, e := range ch.Extensions {
		s = append(s, e.Data)
	}
	return append(s, ch.ALPN...)
}

func serverHelloSlices(sh *ServerHello) [][]byte {
	s := [][]byte{sh.Raw, sh.SessionID, sh.ALPN}
	for _, e := range sh.Extensions {
		s = append(s, e.Data)
	}
	return s
}

func certificateSlices(c *Certificate) [][]byte {
	return append([][]byte{c.Raw, c.Context}, c.Certificates...)
}

func certRequestSlices(cr *CertificateRequest) [][]byte {
	return append([][]byte{cr.Raw, cr.CertTypes, cr.SigAlgs, cr.Context}, cr.CANames...)
}

// hx decodes hex written with optional spaces; for table literals, where
// there is no *testing.T at hand. It panics on a typo.
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic("bad hex in test table: " + err.Error())
	}
	return b
}

// rep is b repeated n times, for randoms and session IDs in hex tables.
func rep(b byte, n int) string { return strings.Repeat(hex.EncodeToString([]byte{b}), n) }

// Real captures: the first TCP connection of each Ethernet capture in
// pcaps/real, as events in capture order, read with internal/testkit.

type realCapture struct {
	name string
	evs  []event
}

func (c realCapture) stream(h int) []byte {
	var out []byte
	for _, e := range c.evs {
		if e.h == h {
			out = append(out, e.data...)
		}
	}
	return out
}

var realCapturesOnce []realCapture

func realCaptures() []realCapture {
	if realCapturesOnce != nil {
		return realCapturesOnce
	}
	files, _ := filepath.Glob(filepath.Join("..", "pcaps", "real", "*.pcap"))
	out := []realCapture{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if evs := firstTCPConn(data); len(evs) > 0 {
			out = append(out, realCapture{name: filepath.Base(f), evs: evs})
		}
	}
	realCapturesOnce = out
	return out
}

// firstTCPConn returns the payloads of the first TCP connection with a SYN,
// half 0 being the SYN's sender, retransmissions dropped. nil when data is
// not an Ethernet capture; a damaged end ends the connection there.
func firstTCPConn(data []byte) []event { return nthTCPConn(data, 0) }

// nthTCPConn is firstTCPConn for the connection of the capture's n-th SYN
// (from 0) that starts a new 4-tuple.
func nthTCPConn(data []byte, n int) []event {
	f, _ := testkit.Read(data) // on an error, the packets before it
	if f.LinkType != 1 {       // Ethernet
		return nil
	}
	type key struct{ src, dst netip.AddrPort }
	var conn *key
	var skipped []key
	var next [2]uint32
	var started [2]bool
	var evs []event
	for _, p := range f.Packets {
		if len(p.Data) < p.Length {
			continue // cut by the snap length
		}
		s, err := testkit.DecodeSegment(f.LinkType, p.Data, false)
		if err != nil {
			continue
		}
		k := key{netip.AddrPortFrom(s.Src.IP, s.Src.Port), netip.AddrPortFrom(s.Dst.IP, s.Dst.Port)}
		syn := s.Flags&testkit.SYN != 0
		if conn == nil {
			if !syn || s.Flags&testkit.ACK != 0 {
				continue
			}
			if !slices.Contains(skipped, k) && len(skipped) < n {
				skipped = append(skipped, k)
				continue
			}
			if slices.Contains(skipped, k) {
				continue
			}
			conn = &k
		}
		var h int
		switch k {
		case *conn:
			h = 0
		case key{conn.dst, conn.src}:
			h = 1
		default:
			continue
		}
		if syn {
			next[h], started[h] = s.Seq+1, true
			continue
		}
		payload := s.Payload
		if !started[h] || len(payload) == 0 {
			continue
		}
		if d := int32(next[h] - s.Seq); d > 0 { // retransmitted bytes
			if int(d) >= len(payload) {
				continue
			}
			payload = payload[d:]
		} else if d < 0 {
			return evs // a hole: stop there
		}
		next[h] += uint32(len(payload))
		evs = append(evs, send(h, payload))
	}
	return evs
}
