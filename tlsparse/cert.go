package tlsparse

import (
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Verdicts need only a certificate's issuer and subject names, so they are
// cut out of the DER with cryptobyte instead of a full crypto/x509 parse,
// which costs far more and rejects certificates that are odd but real.

// CertIssuer returns the DER issuer Name of a certificate, aliasing der.
func CertIssuer(der []byte) ([]byte, bool) {
	issuer, _, ok := certNames(der)
	return issuer, ok
}

// CertSubject returns the DER subject Name of a certificate, aliasing der.
func CertSubject(der []byte) ([]byte, bool) {
	_, subject, ok := certNames(der)
	return subject, ok
}

// certNames walks TBSCertificate (RFC 5280 4.1) to its issuer and subject.
func certNames(der []byte) (issuer, subject []byte, ok bool) {
	s := cryptobyte.String(der)
	var cert, tbs cryptobyte.String
	if !s.ReadASN1(&cert, cbasn1.SEQUENCE) || !cert.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, nil, false
	}
	var iss, sub cryptobyte.String
	if !tbs.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) || // version
		!tbs.SkipASN1(cbasn1.INTEGER) || // serialNumber
		!tbs.SkipASN1(cbasn1.SEQUENCE) || // signature
		!tbs.ReadASN1Element(&iss, cbasn1.SEQUENCE) ||
		!tbs.SkipASN1(cbasn1.SEQUENCE) || // validity
		!tbs.ReadASN1Element(&sub, cbasn1.SEQUENCE) {
		return nil, nil, false
	}
	return iss, sub, true
}

// DNString renders a DER distinguished name as RFC 4514 text, or its hex
// when it does not parse.
func DNString(der []byte) string {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) != 0 {
		return "#" + hex.EncodeToString(der)
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdn)
	return n.String()
}

// CertInfo is a certificate's names and fingerprint, for detail output.
type CertInfo struct {
	Subject, Issuer, SHA256 string
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
	if iss, sub, ok := certNames(der); ok {
		ci.Issuer, ci.Subject = DNString(iss), DNString(sub)
	}
	cc.m[fp] = ci
	return ci
}
