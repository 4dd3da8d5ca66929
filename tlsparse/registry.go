package tlsparse

import (
	"fmt"
	"strconv"
)

// The IANA registries are open integer types: a value tlsscan has no name for
// is data, never a parse error (an IDS must read what it does not know). Each
// String falls back to 0xNNNN (AlertDescription to unknown(N),
// ClientCertificateType to 0xNN).
//
// The name tables are in registry_names.go, generated from IANA's CSV exports
// committed in internal/iana (internal/iana/README.md says where each copy
// came from). Spelling follows IANA, with the exceptions the generator
// applies and documents in internal/registrygen: "_RESERVED" suffixes and
// "(renamed from ...)" notes dropped, other parenthesised qualifiers dropped
// unless the bare name is taken ("connection_id (deprecated)" is
// connection_id_deprecated, "X25519Kyber768Draft00 (OBSOLETE)" is
// X25519Kyber768Draft00), TLS 1.2 signature/hash pairs named from their
// parts, and a short table of overrides (a few unregistered code points that
// are common on the wire, and names tlsscan spells differently), each with
// its reason. To update, replace the CSVs with IANA's current exports and
// run go generate; TestRegistryNamesGenerated fails while the generated
// file is stale.
//
// Lookups never allocate for named values: 8-bit registries are arrays
// indexed by value, 16-bit registries are sorted tables searched by binary
// search. Only the fallback text for an unnamed value is formatted.

//go:generate go run ./internal/gen-registry

// ContentType is the TLS record type (RFC 8446 5.1).
type ContentType uint8

const (
	ContentChangeCipherSpec ContentType = 20
	ContentAlert            ContentType = 21
	ContentHandshake        ContentType = 22
	ContentApplicationData  ContentType = 23
	ContentHeartbeat        ContentType = 24
)

// HandshakeType is the handshake message type (RFC 8446 4).
type HandshakeType uint8

const (
	TypeHelloRequest        HandshakeType = 0
	TypeClientHello         HandshakeType = 1
	TypeServerHello         HandshakeType = 2
	TypeHelloVerifyRequest  HandshakeType = 3
	TypeNewSessionTicket    HandshakeType = 4
	TypeEndOfEarlyData      HandshakeType = 5
	TypeHelloRetryRequest   HandshakeType = 6 // drafts only; final TLS 1.3 uses a ServerHello
	TypeEncryptedExtensions HandshakeType = 8
	TypeCertificate         HandshakeType = 11
	TypeServerKeyExchange   HandshakeType = 12
	TypeCertificateRequest  HandshakeType = 13
	TypeServerHelloDone     HandshakeType = 14
	TypeCertificateVerify   HandshakeType = 15
	TypeClientKeyExchange   HandshakeType = 16
	TypeFinished            HandshakeType = 20
	TypeCertificateURL      HandshakeType = 21
	TypeCertificateStatus   HandshakeType = 22
	TypeSupplementalData    HandshakeType = 23
	TypeKeyUpdate           HandshakeType = 24
	TypeMessageHash         HandshakeType = 254
)

// Version is a protocol version as it appears on the wire.
type Version uint16

const (
	VersionSSL2  Version = 0x0002
	VersionSSL3  Version = 0x0300
	VersionTLS10 Version = 0x0301
	VersionTLS11 Version = 0x0302
	VersionTLS12 Version = 0x0303
	VersionTLS13 Version = 0x0304
)

// IsTLS13 reports whether v is TLS 1.3 or one of its drafts (0x7fNN) or
// experiments (Chrome's 0x7eNN, Facebook fizz's 0xfb1a): all of them encrypt
// everything after the ServerHello and echo a meaningless legacy session ID.
func (v Version) IsTLS13() bool {
	return v == VersionTLS13 || v>>8 == 0x7f || v>>8 == 0x7e || v == 0xfb1a
}

// CipherSuite is a TLS cipher suite (IANA "TLS Cipher Suites").
type CipherSuite uint16

// ExtensionType is a TLS extension number (IANA "TLS ExtensionType Values").
type ExtensionType uint16

const (
	ExtServerName           ExtensionType = 0
	ExtStatusRequest        ExtensionType = 5
	ExtSupportedGroups      ExtensionType = 10
	ExtECPointFormats       ExtensionType = 11
	ExtSignatureAlgorithms  ExtensionType = 13
	ExtALPN                 ExtensionType = 16
	ExtEncryptThenMAC       ExtensionType = 22
	ExtExtendedMasterSecret ExtensionType = 23
	ExtSessionTicket        ExtensionType = 35
	ExtPreSharedKey         ExtensionType = 41
	ExtEarlyData            ExtensionType = 42
	ExtSupportedVersions    ExtensionType = 43
	ExtCookie               ExtensionType = 44
	ExtPSKKeyExchangeModes  ExtensionType = 45
	ExtCertAuthorities      ExtensionType = 47
	ExtPostHandshakeAuth    ExtensionType = 49
	ExtKeyShare             ExtensionType = 51
	ExtRenegotiationInfo    ExtensionType = 0xff01
)

// AlertLevel is an alert's level (RFC 5246 7.2).
type AlertLevel uint8

const (
	AlertWarning AlertLevel = 1
	AlertFatal   AlertLevel = 2
)

// AlertDescription is an alert's description (IANA "TLS Alerts").
type AlertDescription uint8

// SignatureScheme is a TLS 1.2/1.3 signature algorithm (IANA
// "TLS SignatureScheme"); in TLS 1.2 the high byte is the hash and the low
// byte the signature.
type SignatureScheme uint16

// ClientCertificateType is a CertificateRequest certificate type (IANA
// "TLS ClientCertificateType Identifiers").
type ClientCertificateType uint8

// NamedGroup is a key exchange group (IANA "TLS Supported Groups").
type NamedGroup uint16

// IsGREASE reports whether v is one of the RFC 8701 GREASE values, which
// clients put in lists to keep servers tolerant of unknown values.
func IsGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

func hex4(v uint16) string { return fmt.Sprintf("0x%04X", v) }

// ianaEntry is one row of a sparse 16-bit registry table. Every table of
// ianaEntry is sorted by strictly ascending v (TestRegistryTablesSorted).
type ianaEntry struct {
	v    uint16
	name string
}

// ianaLookup binary-searches the sorted table t for v.
func ianaLookup(t []ianaEntry, v uint16) (string, bool) {
	lo, hi := 0, len(t)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t[m].v < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(t) && t[lo].v == v {
		return t[lo].name, true
	}
	return "", false
}

// String returns the version as tlsscan reports it (SSLv3, TLSv1.2, ...);
// this spelling is an output contract, not an IANA name.
func (v Version) String() string {
	switch v {
	case VersionSSL2:
		return "SSLv2"
	case VersionSSL3:
		return "SSLv3"
	case VersionTLS10:
		return "TLSv1.0"
	case VersionTLS11:
		return "TLSv1.1"
	case VersionTLS12:
		return "TLSv1.2"
	case VersionTLS13:
		return "TLSv1.3"
	}
	return hex4(uint16(v))
}

// String returns the IANA "TLS Cipher Suites" description, or 0xNNNN.
func (c CipherSuite) String() string {
	if s, ok := ianaLookup(cipherSuiteNames, uint16(c)); ok {
		return s
	}
	return hex4(uint16(c))
}

// String returns the IANA "TLS ExtensionType Values" name, or 0xNNNN.
func (e ExtensionType) String() string {
	if s, ok := ianaLookup(extensionTypeNames, uint16(e)); ok {
		return s
	}
	return hex4(uint16(e))
}

// String returns the IANA "TLS Alerts" name. An unnamed description prints
// as unknown(N) with N in decimal, not 0xNNNN like the other registries: the
// alert is a single byte, which TLS tooling (and RFC text) writes in decimal.
func (a AlertDescription) String() string {
	if s := alertNames[a]; s != "" {
		return s
	}
	return "unknown(" + strconv.Itoa(int(a)) + ")"
}

// String returns the IANA "TLS SignatureScheme" name. A TLS 1.2
// SignatureAndHashAlgorithm pair that is not also a registered scheme is
// named <signature>_<hash> from the TLS 1.2 SignatureAlgorithm and
// HashAlgorithm registries, with rsa written rsa_pkcs1 as the TLS 1.3
// schemes write it (0x0101 rsa_pkcs1_md5, 0x0202 dsa_sha1, 0x0303
// ecdsa_sha224); with the Intrinsic hash the name is the signature algorithm
// alone (0x0840 gostr34102012_256), as for ed25519 (0x0807). Anything else
// prints as 0xNNNN.
func (s SignatureScheme) String() string {
	if n, ok := ianaLookup(signatureSchemeNames, uint16(s)); ok {
		return n
	}
	return hex4(uint16(s))
}

// String returns the IANA "TLS ClientCertificateType Identifiers" name, or
// 0xNN (the type is one byte).
func (t ClientCertificateType) String() string {
	if s := clientCertTypeNames[t]; s != "" {
		return s
	}
	return fmt.Sprintf("0x%02X", uint8(t))
}

// String returns the IANA "TLS Supported Groups" name, or 0xNNNN.
func (g NamedGroup) String() string {
	if s, ok := ianaLookup(namedGroupNames, uint16(g)); ok {
		return s
	}
	return hex4(uint16(g))
}

// String returns the IANA "TLS HandshakeType" name, or 0xNNNN.
func (t HandshakeType) String() string {
	if s := handshakeTypeNames[t]; s != "" {
		return s
	}
	return hex4(uint16(t))
}

// String returns the IANA "TLS ContentType" name, or 0xNNNN.
func (t ContentType) String() string {
	if s := contentTypeNames[t]; s != "" {
		return s
	}
	return hex4(uint16(t))
}
