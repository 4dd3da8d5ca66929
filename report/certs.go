package report

import (
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// DNString renders a DER distinguished name as RFC 4514 text, or its hex
// (prefixed with '#', as RFC 4514 writes an unparsed value) when it does
// not parse.
func DNString(der []byte) string {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) != 0 {
		return "#" + hex.EncodeToString(der)
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdn)
	return n.String()
}

// CertCache names certificates once per distinct DER: the same server chain
// appears on every connection to that server. Not safe for concurrent use;
// give each worker its own.
type CertCache struct {
	m map[[32]byte]CertInfo
}

// maxCertCache bounds the cache; past it the cache is dropped and refilled,
// which costs a re-parse, never memory.
const maxCertCache = 4096

// Info returns the names of der, parsing it on first sight only.
func (cc *CertCache) Info(der []byte) CertInfo {
	fp := sha256.Sum256(der)
	if ci, ok := cc.m[fp]; ok {
		return ci
	}
	if cc.m == nil || len(cc.m) >= maxCertCache {
		cc.m = make(map[[32]byte]CertInfo)
	}
	ci := CertInfo{SHA256: hex.EncodeToString(fp[:])}
	if iss, sub, ok := tlsparse.CertNames(der); ok {
		ci.Issuer, ci.Subject = DNString(iss), DNString(sub)
	}
	cc.m[fp] = ci
	return ci
}
