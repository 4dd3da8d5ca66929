package tlsparse

import "fmt"

// The IANA registries are open integer types: a value tlsscan has no name for
// is data, never a parse error (an IDS must read what it does not know). Each
// String falls back to 0xNNNN. The name tables live in registry_names.go.

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
	ExtExtendedMasterSecret ExtensionType = 23
	ExtSessionTicket        ExtensionType = 35
	ExtPreSharedKey         ExtensionType = 41
	ExtEarlyData            ExtensionType = 42
	ExtSupportedVersions    ExtensionType = 43
	ExtCookie               ExtensionType = 44
	ExtPSKKeyExchangeModes  ExtensionType = 45
	ExtCertAuthorities      ExtensionType = 47
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
