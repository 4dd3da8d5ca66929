package report

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"hash/maphash"
	"strings"
)

// DNString renders a DER distinguished name as RFC 4514 text, or its hex
// (prefixed with '#', as RFC 4514 writes an unparsed value) when it does
// not parse. Every attribute is kept where it is: the RDNs last first, as
// RFC 4514 (and OpenSSL, and so Zeek) write them, a repeated attribute
// (OU, CN) as often as it comes, '+' only inside a multi-valued RDN.
// (pkix.Name.String reorders the attributes, joins repeated ones into one
// RDN and keeps only the last CN.) Attributes are named as crypto/x509
// names them, plus DC, UID and emailAddress; others by their OID with the
// value's DER in hex.
func DNString(der []byte) string {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) != 0 {
		return "#" + hex.EncodeToString(der)
	}
	var b strings.Builder
	for i := len(rdn) - 1; i >= 0; i-- {
		if i < len(rdn)-1 {
			b.WriteByte(',')
		}
		for j, atv := range rdn[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			writeATV(&b, atv)
		}
	}
	return b.String()
}

// dnAttrNames are the attribute type names DNString writes.
var dnAttrNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.5": "SERIALNUMBER", "2.5.4.6": "C", "2.5.4.7": "L",
	"2.5.4.8": "ST", "2.5.4.9": "STREET", "2.5.4.10": "O", "2.5.4.11": "OU",
	"2.5.4.17": "POSTALCODE", "0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1": "UID", "1.2.840.113549.1.9.1": "emailAddress",
}

// writeATV writes type=value, RFC 4514 2.3-2.4: a string value escaped, any
// other value (and any value of an unnamed type) as '#' and its DER in hex.
func writeATV(b *strings.Builder, atv pkix.AttributeTypeAndValue) {
	oid := atv.Type.String()
	name, named := dnAttrNames[oid]
	s, isStr := atv.Value.(string)
	if !named || !isStr {
		if !named {
			name = oid
		}
		b.WriteString(name)
		b.WriteString("=#")
		if v, err := asn1.Marshal(atv.Value); err == nil {
			b.WriteString(hex.EncodeToString(v))
		}
		return
	}
	b.WriteString(name)
	b.WriteByte('=')
	for k, c := range s {
		switch c {
		case ',', '+', '"', '\\', '<', '>', ';':
			b.WriteByte('\\')
		case ' ':
			if k == 0 || k == len(s)-1 {
				b.WriteByte('\\')
			}
		case '#':
			if k == 0 {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(c)
	}
}

// CertCache holds what each distinct certificate says, read once per DER
// (x509.go): the same server chain appears on every connection to that
// server, so a connection costs a fast keyed hash of each certificate
// looked up, a map lookup and a comparison with the DER kept (the SHA-256
// and SHA-1 fingerprints are computed once, with the parse: they were 3%
// of a handshake-heavy run). Not safe for concurrent use; give each
// worker its own.
type CertCache struct {
	m     map[uint64]*certFacts
	seed  maphash.Seed
	bytes int // DER held, against maxCertCacheBytes
}

// maxCertCache bounds the cache; past it the cache is dropped and refilled,
// which costs a re-parse, never memory. An entry holds the certificate's
// DER and its crypto/x509 parse, a few KB for common certificates: the
// bound keeps a worker's cache to some MB.
const maxCertCache = 4096

// maxCertCacheBytes bounds the DER the cache holds (its parse roughly
// doubles it): 4096 distinct certificates of 256 KiB each would otherwise
// hold a GB. A run whose distinct certificates pass it re-parses, and
// memory stays bounded.
const maxCertCacheBytes = 8 << 20

// Info returns the facts of der as they are written in JSON, parsing it on
// first sight only.
func (cc *CertCache) Info(der []byte) CertInfo { return cc.facts(der).info }

// facts returns the cached facts of der, parsing it on first sight.
func (cc *CertCache) facts(der []byte) *certFacts {
	if cc.m == nil || len(cc.m) >= maxCertCache || cc.bytes+len(der) > maxCertCacheBytes {
		cc.m = make(map[uint64]*certFacts)
		cc.seed = maphash.MakeSeed()
		cc.bytes = 0
	}
	k := maphash.Bytes(cc.seed, der)
	if f, ok := cc.m[k]; ok && bytes.Equal(f.der, der) {
		return f
	}
	f := parseCert(der, sha256.Sum256(der))
	cc.m[k] = f // a colliding certificate (2^-64) takes the slot
	cc.bytes += len(der)
	return f
}
