package tlsparse

import (
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Verdicts need only a certificate's issuer and subject names, so they are
// cut out of the DER with cryptobyte instead of a full crypto/x509 parse,
// which costs far more and rejects certificates that are odd but real.

// CertIssuer returns the DER issuer Name of a certificate, aliasing der.
func CertIssuer(der []byte) ([]byte, bool) {
	issuer, _, ok := CertNames(der)
	return issuer, ok
}

// CertNames walks TBSCertificate (RFC 5280 4.1) to its issuer and subject
// Names, both DER and aliasing der.
func CertNames(der []byte) (issuer, subject []byte, ok bool) {
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
