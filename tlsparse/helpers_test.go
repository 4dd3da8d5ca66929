package tlsparse

// A test-only TLS byte builder: records, handshake messages and a small
// deterministic PKI, so that tests spell out what they send instead of
// carrying opaque captures. Everything here is deterministic (fixed seeds,
// fixed times): the same bytes on every run, which the fuzz seeds and the
// expected structs in the tables rely on.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/crypto/cryptobyte"
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

func build(f func(b *cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	f(&b)
	return b.BytesOrPanic()
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// mkRecord is one record with the given fragment.
func mkRecord(typ ContentType, v Version, frag []byte) []byte {
	return build(func(b *cryptobyte.Builder) {
		b.AddUint8(uint8(typ))
		b.AddUint16(uint16(v))
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(frag) })
	})
}

// mkRecords fragments data into records of at most max bytes each.
func mkRecords(typ ContentType, v Version, data []byte, max int) []byte {
	var out []byte
	for len(data) > 0 {
		k := min(max, len(data))
		out = append(out, mkRecord(typ, v, data[:k])...)
		data = data[k:]
	}
	return out
}

// mkHS is a handshake message: type, 24-bit length, body.
func mkHS(typ HandshakeType, body []byte) []byte {
	return build(func(b *cryptobyte.Builder) {
		b.AddUint8(uint8(typ))
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
	})
}

// hsRec wraps handshake messages in one handshake record.
func hsRec(v Version, msgs ...[]byte) []byte {
	return mkRecord(ContentHandshake, v, cat(msgs...))
}

// mkExt is one extension in wire form.
func mkExt(typ ExtensionType, data []byte) Extension { return Extension{Type: typ, Data: data} }

func addExtensions(b *cryptobyte.Builder, exts []Extension) {
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, e := range exts {
			b.AddUint16(uint16(e.Type))
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Data) })
		}
	})
}

func sniData(host string) []byte {
	return build(func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint8(0)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(host)) })
		})
	})
}

func alpnData(protos ...string) []byte {
	return build(func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, p := range protos {
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p)) })
			}
		})
	})
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
		exts = append(exts, mkExt(ExtServerName, sniData(o.SNI)))
	}
	if o.ALPN != nil {
		exts = append(exts, mkExt(ExtALPN, alpnData(o.ALPN...)))
	}
	if o.TicketExt || o.Ticket != nil {
		exts = append(exts, mkExt(ExtSessionTicket, o.Ticket))
	}
	if o.Versions != nil {
		exts = append(exts, mkExt(ExtSupportedVersions, build(func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, v := range o.Versions {
					b.AddUint16(uint16(v))
				}
			})
		})))
	}
	if o.KeyShare {
		exts = append(exts, mkExt(ExtKeyShare, build(func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint16(0x001d)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(mkBytes(32, 0x5e)) })
			})
		})))
	}
	if o.EarlyData {
		exts = append(exts, mkExt(ExtEarlyData, nil))
	}
	exts = append(exts, o.Extra...)
	if o.PSK {
		exts = append(exts, mkExt(ExtPreSharedKey, build(func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { // identities
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(mkBytes(48, 0x77)) })
				b.AddUint32(0x01020304)
			})
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { // binders
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(mkBytes(32, 0x78)) })
			})
		})))
	}
	return exts
}

// body is the ClientHello body (no handshake header).
func (o chSpec) body() []byte {
	v, suites, comp := o.Version, o.Suites, o.Compression
	if v == 0 {
		v = VersionTLS12
	}
	if suites == nil {
		suites = []uint16{0xc02f, 0x1301}
	}
	if comp == nil {
		comp = []byte{0}
	}
	exts := o.extensions()
	return build(func(b *cryptobyte.Builder) {
		b.AddUint16(uint16(v))
		b.AddBytes(mkBytes(32, o.Seed))
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(o.SessionID) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, s := range suites {
				b.AddUint16(s)
			}
		})
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(comp) })
		if len(exts) > 0 || o.EmptyExts {
			addExtensions(b, exts)
		}
	})
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
		exts = append(exts, mkExt(ExtSupportedVersions, []byte{byte(o.SupportedVersion >> 8), byte(o.SupportedVersion)}))
	}
	if o.ALPN != "" {
		exts = append(exts, mkExt(ExtALPN, alpnData(o.ALPN)))
	}
	if o.TicketExt {
		exts = append(exts, mkExt(ExtSessionTicket, nil))
	}
	if o.PSK {
		exts = append(exts, mkExt(ExtPreSharedKey, []byte{0, 0}))
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
	exts := o.extensions()
	return build(func(b *cryptobyte.Builder) {
		b.AddUint16(uint16(v))
		b.AddBytes(random)
		if !o.Draft {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(o.SessionID) })
		}
		b.AddUint16(suite)
		if !o.Draft {
			b.AddUint8(o.Compression)
		}
		if len(exts) > 0 {
			addExtensions(b, exts)
		}
	})
}

func (o shSpec) msg() []byte { return mkHS(TypeServerHello, o.body()) }

// certBody is a Certificate body: TLS 1.2 form, or TLS 1.3 form with an
// empty context and empty per-certificate extensions.
func certBody(tls13 bool, certs ...[]byte) []byte {
	return build(func(b *cryptobyte.Builder) {
		if tls13 {
			b.AddUint8(0)
		}
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, c := range certs {
				b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c) })
				if tls13 {
					b.AddUint16(0)
				}
			}
		})
	})
}

func certMsg(certs ...[]byte) []byte { return mkHS(TypeCertificate, certBody(false, certs...)) }

// crBody is a CertificateRequest body; sigalgs nil gives the TLS 1.0/1.1
// form (no supported_signature_algorithms field).
func crBody(types []byte, sigalgs []uint16, cas ...[]byte) []byte {
	return build(func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(types) })
		if sigalgs != nil {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, s := range sigalgs {
					b.AddUint16(s)
				}
			})
		}
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, dn := range cas {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(dn) })
			}
		})
	})
}

// crMsg12 is a TLS 1.2 CertificateRequest (rsa_sign, ecdsa_sign; ed25519,
// ecdsa_secp256r1_sha256) naming cas.
func crMsg12(cas ...[]byte) []byte {
	return mkHS(TypeCertificateRequest, crBody([]byte{1, 64}, []uint16{0x0807, 0x0403}, cas...))
}

// crMsg10 is the TLS 1.0/1.1 and SSL 3.0 form.
func crMsg10(cas ...[]byte) []byte {
	return mkHS(TypeCertificateRequest, crBody([]byte{1, 2}, nil, cas...))
}

// skeMsg is an ECDHE ServerKeyExchange (x25519, ed25519 signature); its
// contents are opaque to tlsparse.
func skeMsg() []byte {
	return mkHS(TypeServerKeyExchange, build(func(b *cryptobyte.Builder) {
		b.AddUint8(3)
		b.AddUint16(0x001d)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(mkBytes(32, 0x11)) })
		b.AddUint16(0x0807)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(mkBytes(64, 0x12)) })
	}))
}

func shdMsg() []byte { return mkHS(TypeServerHelloDone, nil) }

func ckeMsg() []byte {
	return mkHS(TypeClientKeyExchange, build(func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(mkBytes(32, 0x21)) })
	}))
}

func cvMsg() []byte {
	return mkHS(TypeCertificateVerify, build(func(b *cryptobyte.Builder) {
		b.AddUint16(0x0807)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(mkBytes(64, 0x31)) })
	}))
}

func nstBody(lifetime uint32, ticket []byte) []byte {
	return build(func(b *cryptobyte.Builder) {
		b.AddUint32(lifetime)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(ticket) })
	})
}

func nstMsg() []byte { return mkHS(TypeNewSessionTicket, nstBody(7200, mkBytes(96, 0x41))) }

func ccsRec(v Version) []byte { return mkRecord(ContentChangeCipherSpec, v, []byte{1}) }

// finRec is an encrypted Finished: an opaque handshake record after CCS.
func finRec(v Version, seed byte) []byte { return mkRecord(ContentHandshake, v, mkBytes(40, seed)) }

func alertRec(v Version, level AlertLevel, desc AlertDescription) []byte {
	return mkRecord(ContentAlert, v, []byte{byte(level), byte(desc)})
}

func appRec(v Version, n int, seed byte) []byte {
	return mkRecord(ContentApplicationData, v, mkBytes(n, seed))
}

// mkSSLv2Hello is an SSLv2-format ClientHello (2-byte header) offering
// SSL 3.0/TLS: three kinds, no session ID, a 16-byte challenge.
func mkSSLv2Hello(v Version) []byte {
	body := build(func(b *cryptobyte.Builder) {
		b.AddUint8(1)
		b.AddUint16(uint16(v))
		b.AddUint16(9)  // cipher_spec_length
		b.AddUint16(0)  // session_id_length
		b.AddUint16(16) // challenge_length
		b.AddBytes([]byte{0x00, 0x00, 0x2f, 0x00, 0x00, 0x0a, 0x07, 0x00, 0xc0})
		b.AddBytes(mkBytes(16, 0x51))
	})
	return cat([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body)
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
	return append([][]byte{cr.Raw, cr.CertTypes, cr.SigAlgs}, cr.CANames...)
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
