package tlsparse

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/maphash"
	"slices"
	"strconv"
)

// Fingerprints of the hellos: JA4 (FoxIO, BSD-3-Clause;
// github.com/FoxIO-LLC/ja4, technical_details/JA4.md) of the ClientHello,
// and JA3 / JA3S (Salesforce's original definitions, github.com/salesforce/ja3)
// of the ClientHello and ServerHello. They are pure functions over the facts
// the Conn kept of the hellos it had already parsed: nothing is parsed
// twice. JA4S, JA4X and the rest of JA4+ are under FoxIO's non-commercial
// licence and are left out.
//
// Which hellos: the connection's first ClientHello (when a
// HelloRetryRequest follows, the hello before it, as JA4 prescribes; JA3
// follows the same rule), and the ServerHello that negotiated (not a
// HelloRetryRequest). A renegotiation's hellos are not fingerprinted. An
// SSLv2-format ClientHello has no extensions and 3-byte cipher kinds,
// which neither definition covers: it keeps no facts and gets no
// fingerprint.

// HelloFacts is what the fingerprints and the JSON "hello" object need of a
// ClientHello: owned copies of its lists, in wire order, GREASE values
// included (the fingerprints drop them). It is built once per connection
// and never changed, so a Summary may share it.
type HelloFacts struct {
	Version Version // legacy_version
	SNI     bool    // a server_name extension is present

	// buf holds the lists in their wire encoding, one after another;
	// end[i] is where list i ends (list i starts at end[i-1]).
	buf []byte
	end [nLists]int32
}

// The lists of a HelloFacts, in buf order.
const (
	listSuites   = iota // 2 bytes a suite
	listExts            // extension types, 2 bytes each
	listVersions        // supported_versions, 2 bytes each
	listGroups          // supported_groups, 2 bytes each
	listPoints          // ec_point_formats, 1 byte each
	listSigAlgs         // signature_algorithms, 2 bytes each
	listALPN            // ALPN protocols, each with its 1-byte length
	nLists
)

// Sum64 hashes the facts with seed: equal facts, equal sums. A caller
// that sees the same ClientHello on many connections (one client, many
// connections) caches its fingerprints by it: JA4's two SHA-256s cost
// more than the rest of a row.
func (h *HelloFacts) Sum64(seed maphash.Seed) uint64 {
	var mh maphash.Hash
	mh.SetSeed(seed)
	var hdr [4 + 1 + 4*nLists]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(h.Version))
	if h.SNI {
		hdr[4] = 1
	}
	for i, e := range h.end {
		binary.BigEndian.PutUint32(hdr[5+4*i:], uint32(e))
	}
	mh.Write(hdr[:])
	mh.Write(h.buf)
	return mh.Sum64()
}

// Equal reports whether h and o hold the same facts (nil equals nil).
func (h *HelloFacts) Equal(o *HelloFacts) bool {
	if h == nil || o == nil {
		return h == o
	}
	return h.Version == o.Version && h.SNI == o.SNI && h.end == o.end && string(h.buf) == string(o.buf)
}

func (h *HelloFacts) list(i int) []byte {
	start := int32(0)
	if i > 0 {
		start = h.end[i-1]
	}
	return h.buf[start:h.end[i]:h.end[i]]
}

// newHelloFacts copies what the fingerprints need out of ch, in one
// allocation. ch must be a TLS-format hello (not ch.SSLv2). The lists
// ParseClientHello does not decode (supported_groups, ec_point_formats,
// signature_algorithms) are read from its extensions here; a malformed
// one counts as absent, as it is no parse error.
func newHelloFacts(ch *ClientHello) *HelloFacts {
	h := new(HelloFacts)
	h.fill(ch)
	return h
}

// fill sets h from ch (see newHelloFacts); its only allocation is buf.
func (h *HelloFacts) fill(ch *ClientHello) {
	var groups, points, sigs []byte
	for _, e := range ch.Extensions {
		switch e.Type {
		case ExtSupportedGroups:
			groups = innerList(e.Data, 2, 2)
		case ExtECPointFormats:
			points = innerList(e.Data, 1, 1)
		case ExtSignatureAlgorithms:
			sigs = innerList(e.Data, 2, 2)
		}
	}
	var alpnLen int
	for _, p := range ch.ALPN {
		alpnLen += 1 + len(p)
	}
	n := len(ch.CipherSuites) + 2*len(ch.Extensions) + 2*len(ch.SupportedVersions) +
		len(groups) + len(points) + len(sigs) + alpnLen
	*h = HelloFacts{Version: ch.Version, buf: make([]byte, 0, n)}
	mark := func(i int) { h.end[i] = int32(len(h.buf)) }
	h.buf = append(h.buf, ch.CipherSuites...)
	mark(listSuites)
	for _, e := range ch.Extensions {
		h.buf = append(h.buf, byte(e.Type>>8), byte(e.Type))
		if e.Type == ExtServerName {
			h.SNI = true
		}
	}
	mark(listExts)
	for _, v := range ch.SupportedVersions {
		h.buf = append(h.buf, byte(v>>8), byte(v))
	}
	mark(listVersions)
	h.buf = append(h.buf, groups...)
	mark(listGroups)
	h.buf = append(h.buf, points...)
	mark(listPoints)
	h.buf = append(h.buf, sigs...)
	mark(listSigAlgs)
	for _, p := range ch.ALPN {
		h.buf = append(h.buf, byte(len(p)))
		h.buf = append(h.buf, p...)
	}
	mark(listALPN)
}

// innerList returns the list inside an extension body made of one list
// with a lenLen-byte length prefix whose length is a multiple of unit; nil
// when the body is anything else.
func innerList(b []byte, lenLen, unit int) []byte {
	if len(b) < lenLen {
		return nil
	}
	n := int(b[0])
	if lenLen == 2 {
		n = n<<8 | int(b[1])
	}
	if len(b) != lenLen+n || n%unit != 0 {
		return nil
	}
	return b[lenLen:]
}

// u16s decodes a list of 2-byte values.
func u16s[T ~uint16](b []byte) []T {
	out := make([]T, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		out = append(out, T(uint16(b[i])<<8|uint16(b[i+1])))
	}
	return out
}

// CipherSuites returns the offered cipher suites in wire order.
func (h *HelloFacts) CipherSuites() []CipherSuite { return u16s[CipherSuite](h.list(listSuites)) }

// Extensions returns the extension types in wire order.
func (h *HelloFacts) Extensions() []ExtensionType { return u16s[ExtensionType](h.list(listExts)) }

// SupportedVersions returns supported_versions in wire order (empty when
// the extension is absent).
func (h *HelloFacts) SupportedVersions() []Version { return u16s[Version](h.list(listVersions)) }

// Groups returns supported_groups (JA3's "elliptic curves") in wire order.
func (h *HelloFacts) Groups() []NamedGroup { return u16s[NamedGroup](h.list(listGroups)) }

// PointFormats returns ec_point_formats in wire order.
func (h *HelloFacts) PointFormats() []uint8 { return slices.Clone(h.list(listPoints)) }

// SignatureAlgorithms returns signature_algorithms in wire order.
func (h *HelloFacts) SignatureAlgorithms() []SignatureScheme {
	return u16s[SignatureScheme](h.list(listSigAlgs))
}

// ALPN returns the offered ALPN protocols in wire order.
func (h *HelloFacts) ALPN() []string {
	b := h.list(listALPN)
	var out []string
	for len(b) > 0 {
		n := int(b[0])
		out = append(out, string(b[1:1+n]))
		b = b[1+n:]
	}
	return out
}

// firstALPN is the first offered protocol, nil without one.
func (h *HelloFacts) firstALPN() []byte {
	b := h.list(listALPN)
	if len(b) == 0 {
		return nil
	}
	return b[1 : 1+int(b[0])]
}

// ServerHelloFacts is what JA3S and the JSON "hello" object need of the
// ServerHello that negotiated the connection (not a HelloRetryRequest).
type ServerHelloFacts struct {
	Version     Version // legacy_version
	CipherSuite CipherSuite
	Extensions  []ExtensionType // wire order
	// KeyShareGroup is the group of the server's key_share (TLS 1.3),
	// 0 when the ServerHello has none.
	KeyShareGroup NamedGroup
}

func newServerHelloFacts(sh *ServerHello) *ServerHelloFacts {
	f := new(ServerHelloFacts)
	f.fill(sh, nil)
	return f
}

// fill sets f from sh; the extension types go into store when they fit
// (the Conn's array: no allocation), else into a new slice.
func (f *ServerHelloFacts) fill(sh *ServerHello, store []ExtensionType) {
	*f = ServerHelloFacts{Version: sh.Version, CipherSuite: sh.CipherSuite}
	if len(sh.Extensions) > 0 {
		if len(sh.Extensions) <= len(store) {
			f.Extensions = store[:len(sh.Extensions):len(sh.Extensions)]
		} else {
			f.Extensions = make([]ExtensionType, len(sh.Extensions))
		}
		for i, e := range sh.Extensions {
			f.Extensions[i] = e.Type
			// A ServerHello's KeyShareEntry and a HelloRetryRequest's
			// selected_group both start with the group.
			if e.Type == ExtKeyShare && len(e.Data) >= 2 {
				f.KeyShareGroup = NamedGroup(uint16(e.Data[0])<<8 | uint16(e.Data[1]))
			}
		}
	}
}

// ---- JA4 --------------------------------------------------------------------

// ja4Empty is JA4's value of a hash part whose list is empty.
const ja4Empty = "000000000000"

// JA4 returns the JA4 fingerprint of the ClientHello h, TLS over TCP
// ("t…"); "" for nil. The rules are FoxIO's (technical_details/JA4.md):
// GREASE values are ignored everywhere; the version is the highest of
// supported_versions, else legacy_version; the counts have two digits,
// capped at 99, and the extension count includes server_name and ALPN;
// the ALPN part is the first and last character of the first protocol, or
// of its hex when either is not alphanumeric ("00" without ALPN); the
// cipher hash is SHA-256 of the sorted hex list, the extension hash of the
// sorted list less server_name and ALPN, then "_" and the signature
// algorithms in wire order (no "_" without them), each cut to 12 hex
// digits and 000000000000 for an empty list.
func JA4(h *HelloFacts) string {
	if h == nil {
		return ""
	}
	var out [36]byte
	a := out[:0]
	a = append(a, 't')
	a = append(a, ja4Version(h)...)
	if h.SNI {
		a = append(a, 'd')
	} else {
		a = append(a, 'i')
	}
	var stack [128]uint16
	suites := nonGREASE(stack[:0], h.list(listSuites))
	a = appendCount(a, len(suites))
	exts := nonGREASE(suites[len(suites):], h.list(listExts))
	a = appendCount(a, len(exts))
	a = appendALPN(a, h.firstALPN())
	a = append(a, '_')

	var text [1024]byte
	slices.Sort(suites)
	if len(suites) == 0 {
		a = append(a, ja4Empty...)
	} else {
		a = appendHash12(a, appendHexList(text[:0], suites))
	}
	a = append(a, '_')
	exts = slices.DeleteFunc(exts, func(v uint16) bool {
		return v == uint16(ExtServerName) || v == uint16(ExtALPN)
	})
	if len(exts) == 0 {
		a = append(a, ja4Empty...)
	} else {
		slices.Sort(exts)
		s := appendHexList(text[:0], exts)
		sigs := nonGREASE(exts[len(exts):], h.list(listSigAlgs))
		if len(sigs) > 0 {
			s = append(s, '_')
			s = appendHexList(s, sigs)
		}
		a = appendHash12(a, s)
	}
	return string(a)
}

// ja4Version is JA4's two-character version.
func ja4Version(h *HelloFacts) string {
	v, found := Version(0), false
	vs := h.list(listVersions)
	for i := 0; i+1 < len(vs); i += 2 {
		x := uint16(vs[i])<<8 | uint16(vs[i+1])
		if !IsGREASE(x) && (!found || Version(x) > v) {
			v, found = Version(x), true
		}
	}
	if !found {
		v = h.Version
	}
	switch v {
	case VersionTLS13:
		return "13"
	case VersionTLS12:
		return "12"
	case VersionTLS11:
		return "11"
	case VersionTLS10:
		return "10"
	case VersionSSL3:
		return "s3"
	case VersionSSL2:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

// nonGREASE appends the 2-byte values of b that are not GREASE to dst.
func nonGREASE(dst []uint16, b []byte) []uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		if v := uint16(b[i])<<8 | uint16(b[i+1]); !IsGREASE(v) {
			dst = append(dst, v)
		}
	}
	return dst
}

func appendCount(a []byte, n int) []byte {
	n = min(n, 99)
	return append(a, byte('0'+n/10), byte('0'+n%10))
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

// appendALPN appends JA4's two ALPN characters for the first protocol p.
func appendALPN(a []byte, p []byte) []byte {
	if len(p) == 0 {
		return append(a, '0', '0')
	}
	first, last := p[0], p[len(p)-1]
	if isAlnum(first) && isAlnum(last) {
		return append(a, first, last)
	}
	const digits = "0123456789abcdef"
	return append(a, digits[first>>4], digits[last&15])
}

// appendHexList appends vs as 4-digit lower-case hex, comma-separated.
func appendHexList(s []byte, vs []uint16) []byte {
	const digits = "0123456789abcdef"
	for i, v := range vs {
		if i > 0 {
			s = append(s, ',')
		}
		s = append(s, digits[v>>12], digits[v>>8&15], digits[v>>4&15], digits[v&15])
	}
	return s
}

// appendHash12 appends the first 12 hex digits of SHA-256(s).
func appendHash12(a, s []byte) []byte {
	sum := sha256.Sum256(s)
	return hex.AppendEncode(a, sum[:6])
}

// ---- JA3 / JA3S ---------------------------------------------------------------

// JA3String returns the JA3 text of the ClientHello h:
// "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats",
// decimal values joined by "-" in wire order, GREASE values left out of
// the ciphers, extensions and curves, and an absent list empty. "" for nil.
func JA3String(h *HelloFacts) string {
	if h == nil {
		return ""
	}
	return string(appendJA3(nil, h))
}

// JA3 returns the JA3 fingerprint of h: the lower-case hex MD5 of
// JA3String. "" for nil.
func JA3(h *HelloFacts) string {
	if h == nil {
		return ""
	}
	var text [1024]byte
	return md5Hex(appendJA3(text[:0], h))
}

func appendJA3(s []byte, h *HelloFacts) []byte {
	s = strconv.AppendUint(s, uint64(h.Version), 10)
	for _, l := range [...]int{listSuites, listExts, listGroups} {
		s = append(s, ',')
		s = appendDecimal16(s, h.list(l), true)
	}
	s = append(s, ',')
	for i, p := range h.list(listPoints) {
		if i > 0 {
			s = append(s, '-')
		}
		s = strconv.AppendUint(s, uint64(p), 10)
	}
	return s
}

// appendDecimal16 appends the 2-byte values of b in decimal, "-"-joined,
// without the GREASE ones when skipGREASE.
func appendDecimal16(s, b []byte, skipGREASE bool) []byte {
	first := true
	for i := 0; i+1 < len(b); i += 2 {
		v := uint16(b[i])<<8 | uint16(b[i+1])
		if skipGREASE && IsGREASE(v) {
			continue
		}
		if !first {
			s = append(s, '-')
		}
		first = false
		s = strconv.AppendUint(s, uint64(v), 10)
	}
	return s
}

// JA3SString returns the JA3S text of the ServerHello f:
// "SSLVersion,Cipher,Extensions" in decimal, the extensions "-"-joined in
// wire order (as the original, nothing is left out: a server sends no
// GREASE). "" for nil.
func JA3SString(f *ServerHelloFacts) string {
	if f == nil {
		return ""
	}
	return string(appendJA3S(nil, f))
}

// JA3S returns the JA3S fingerprint of f: the lower-case hex MD5 of
// JA3SString. "" for nil.
func JA3S(f *ServerHelloFacts) string {
	if f == nil {
		return ""
	}
	var text [256]byte
	return md5Hex(appendJA3S(text[:0], f))
}

func appendJA3S(s []byte, f *ServerHelloFacts) []byte {
	s = strconv.AppendUint(s, uint64(f.Version), 10)
	s = append(s, ',')
	s = strconv.AppendUint(s, uint64(f.CipherSuite), 10)
	s = append(s, ',')
	for i, e := range f.Extensions {
		if i > 0 {
			s = append(s, '-')
		}
		s = strconv.AppendUint(s, uint64(e), 10)
	}
	return s
}

func md5Hex(s []byte) string {
	sum := md5.Sum(s)
	var out [2 * md5.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}
