package testkit

import "encoding/binary"

// Protocol versions as they appear on the wire.
const (
	VersionSSL30        uint16 = 0x0300
	VersionTLS10        uint16 = 0x0301
	VersionTLS11        uint16 = 0x0302
	VersionTLS12        uint16 = 0x0303
	VersionTLS13        uint16 = 0x0304
	VersionTLS13Draft28 uint16 = 0x7f1c
)

// Record content types.
const (
	ContentChangeCipherSpec uint8 = 20
	ContentAlert            uint8 = 21
	ContentHandshake        uint8 = 22
	ContentApplicationData  uint8 = 23
)

// Handshake message types.
const (
	TypeClientHello        uint8 = 1
	TypeServerHello        uint8 = 2
	TypeNewSessionTicket   uint8 = 4
	TypeCertificate        uint8 = 11
	TypeServerKeyExchange  uint8 = 12
	TypeCertificateRequest uint8 = 13
	TypeServerHelloDone    uint8 = 14
	TypeCertificateVerify  uint8 = 15
	TypeClientKeyExchange  uint8 = 16
	TypeFinished           uint8 = 20
)

// Alert levels and the descriptions the catalogue uses.
const (
	AlertWarning       uint8 = 1
	AlertFatal         uint8 = 2
	AlertCloseNotify   uint8 = 0
	AlertNoCertificate uint8 = 41 // SSLv3 only
	AlertDecodeError   uint8 = 50
)

// Extension types.
const (
	ExtTypeServerName          uint16 = 0
	ExtTypeSupportedGroups     uint16 = 10
	ExtTypeECPointFormats      uint16 = 11
	ExtTypeSignatureAlgorithms uint16 = 13
	ExtTypeALPN                uint16 = 16
	ExtTypePadding             uint16 = 21
	ExtTypeExtendedMaster      uint16 = 23
	ExtTypeSessionTicket       uint16 = 35
	ExtTypePreSharedKey        uint16 = 41
	ExtTypeSupportedVersions   uint16 = 43
	ExtTypePSKModes            uint16 = 45
	ExtTypeKeyShare            uint16 = 51
	ExtTypeRenegotiationInfo   uint16 = 0xff01
)

// Cipher suites, signature schemes, groups and certificate types used.
const (
	SuiteRSA3DESSHA          uint16 = 0x000a
	SuiteRSAAES128SHA        uint16 = 0x002f
	SuiteECDHEECDSAAES256    uint16 = 0xc00a // TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA
	SuiteECDHEECDSAAES128GCM uint16 = 0xc02b
	SuiteTLS13AES128GCM      uint16 = 0x1301
	SuiteTLS13AES256GCM      uint16 = 0x1302
	SuiteTLS13ChaCha         uint16 = 0x1303

	SigEd25519        uint16 = 0x0807
	SigECDSAP256      uint16 = 0x0403
	SigRSAPSSSHA256   uint16 = 0x0804
	SigRSAPKCS1SHA256 uint16 = 0x0401

	GroupX25519    uint16 = 0x001d
	GroupSecp256r1 uint16 = 0x0017

	CertTypeRSASign   uint8 = 1
	CertTypeDSSSign   uint8 = 2
	CertTypeECDSASign uint8 = 64
)

// buf is an append-only wire encoder.
type buf []byte

func (b *buf) u8(v uint8)   { *b = append(*b, v) }
func (b *buf) u16(v uint16) { *b = binary.BigEndian.AppendUint16(*b, v) }
func (b *buf) u24(v int)    { *b = append(*b, byte(v>>16), byte(v>>8), byte(v)) }
func (b *buf) u32(v uint32) { *b = binary.BigEndian.AppendUint32(*b, v) }
func (b *buf) raw(p []byte) { *b = append(*b, p...) }
func (b *buf) vec8(p []byte) {
	b.u8(uint8(len(p)))
	b.raw(p)
}
func (b *buf) vec16(p []byte) {
	b.u16(uint16(len(p)))
	b.raw(p)
}
func (b *buf) vec24(p []byte) {
	b.u24(len(p))
	b.raw(p)
}

// MaxFragment is the largest plaintext record payload TLS allows (2^14).
const MaxFragment = 16384

// Record frames one record: type, version, 2-byte length, fragment. The
// length field is len(frag) truncated to 16 bits; use RecordWithLength to lie.
func Record(ct uint8, version uint16, frag []byte) []byte {
	return RecordWithLength(ct, version, len(frag), frag)
}

// RecordWithLength frames a record whose length field says length, whatever
// len(frag) is (for records that claim more than is sent).
func RecordWithLength(ct uint8, version uint16, length int, frag []byte) []byte {
	var b buf
	b.u8(ct)
	b.u16(version)
	b.u16(uint16(length))
	b.raw(frag)
	return b
}

// Fragment cuts data into records of at most max bytes (MaxFragment if
// max <= 0), as a TLS stack does with a flight of handshake messages.
func Fragment(ct uint8, version uint16, data []byte, max int) []byte {
	if max <= 0 {
		max = MaxFragment
	}
	var out []byte
	for len(data) > 0 {
		n := min(max, len(data))
		out = append(out, Record(ct, version, data[:n])...)
		data = data[n:]
	}
	return out
}

// HandshakeRecords concatenates handshake messages and packs them into as
// few records as MaxFragment allows (several messages per record).
func HandshakeRecords(version uint16, msgs ...[]byte) []byte {
	var all []byte
	for _, m := range msgs {
		all = append(all, m...)
	}
	return Fragment(ContentHandshake, version, all, MaxFragment)
}

// RecordPerMessage puts each handshake message into its own record(s).
func RecordPerMessage(version uint16, msgs ...[]byte) []byte {
	var out []byte
	for _, m := range msgs {
		out = append(out, Fragment(ContentHandshake, version, m, MaxFragment)...)
	}
	return out
}

// HandshakeMsg frames a handshake message: type, 3-byte length, body.
func HandshakeMsg(typ uint8, body []byte) []byte {
	return HandshakeMsgWithLength(typ, len(body), body)
}

// HandshakeMsgWithLength frames a handshake message whose length field says
// length (up to 0xffffff), whatever len(body) is.
func HandshakeMsgWithLength(typ uint8, length int, body []byte) []byte {
	var b buf
	b.u8(typ)
	b.u24(length)
	b.raw(body)
	return b
}

// Extension is one hello extension: type and opaque data.
type Extension struct {
	Type uint16
	Data []byte
}

func marshalExtensions(b *buf, exts []Extension) {
	var e buf
	for _, x := range exts {
		e.u16(x.Type)
		e.vec16(x.Data)
	}
	b.vec16(e)
}

// ExtServerName is server_name with one host_name entry.
func ExtServerName(host string) Extension {
	var n buf
	n.u8(0) // host_name
	n.vec16([]byte(host))
	var b buf
	b.vec16(n)
	return Extension{ExtTypeServerName, b}
}

// ExtSessionTicket is session_ticket: empty (asking for one) or a ticket.
func ExtSessionTicket(ticket []byte) Extension {
	return Extension{ExtTypeSessionTicket, append([]byte{}, ticket...)}
}

// ExtSupportedVersionsClient is the ClientHello form (1-byte list length).
func ExtSupportedVersionsClient(vs ...uint16) Extension {
	var b buf
	b.vec8(u16List(vs))
	return Extension{ExtTypeSupportedVersions, b}
}

// ExtSupportedVersionsServer is the ServerHello form (the selected version).
func ExtSupportedVersionsServer(v uint16) Extension {
	var b buf
	b.u16(v)
	return Extension{ExtTypeSupportedVersions, b}
}

// ExtKeyShareClient is key_share with one client share.
func ExtKeyShareClient(group uint16, key []byte) Extension {
	var b buf
	b.vec16(ExtKeyShareServer(group, key).Data)
	return Extension{ExtTypeKeyShare, b}
}

// ExtKeyShareServer is the ServerHello key_share (one entry, no list).
func ExtKeyShareServer(group uint16, key []byte) Extension {
	var b buf
	b.u16(group)
	b.vec16(key)
	return Extension{ExtTypeKeyShare, b}
}

// ExtPreSharedKeyClient is the ClientHello pre_shared_key with one identity
// and one binder; it must be the last extension.
func ExtPreSharedKeyClient(identity []byte, age uint32, binder []byte) Extension {
	var ids buf
	ids.vec16(identity)
	ids.u32(age)
	var binders buf
	binders.vec8(binder)
	var b buf
	b.vec16(ids)
	b.vec16(binders)
	return Extension{ExtTypePreSharedKey, b}
}

// ExtPreSharedKeyServer is the ServerHello pre_shared_key (selected index).
func ExtPreSharedKeyServer(selected uint16) Extension {
	var b buf
	b.u16(selected)
	return Extension{ExtTypePreSharedKey, b}
}

// ExtPSKModes is psk_key_exchange_modes (1 = psk_dhe_ke).
func ExtPSKModes(modes ...uint8) Extension {
	var b buf
	b.vec8(modes)
	return Extension{ExtTypePSKModes, b}
}

// ExtSupportedGroups is supported_groups.
func ExtSupportedGroups(gs ...uint16) Extension {
	var b buf
	b.vec16(u16List(gs))
	return Extension{ExtTypeSupportedGroups, b}
}

// ExtECPointFormats is ec_point_formats with "uncompressed".
func ExtECPointFormats() Extension { return Extension{ExtTypeECPointFormats, []byte{1, 0}} }

// ExtSignatureAlgorithms is signature_algorithms.
func ExtSignatureAlgorithms(algs ...uint16) Extension {
	var b buf
	b.vec16(u16List(algs))
	return Extension{ExtTypeSignatureAlgorithms, b}
}

// u16List is the values back to back, for a length-prefixed list.
func u16List(vs []uint16) []byte {
	var l buf
	for _, v := range vs {
		l.u16(v)
	}
	return l
}

// ExtALPN is application_layer_protocol_negotiation.
func ExtALPN(protos ...string) Extension {
	var l buf
	for _, p := range protos {
		l.vec8([]byte(p))
	}
	var b buf
	b.vec16(l)
	return Extension{ExtTypeALPN, b}
}

// ExtExtendedMasterSecret is extended_master_secret (empty).
func ExtExtendedMasterSecret() Extension { return Extension{ExtTypeExtendedMaster, []byte{}} }

// ExtRenegotiationInfo is an initial renegotiation_info (empty verify data).
func ExtRenegotiationInfo() Extension { return Extension{ExtTypeRenegotiationInfo, []byte{0}} }

// ExtPadding is padding with n zero bytes.
func ExtPadding(n int) Extension { return Extension{ExtTypePadding, make([]byte, n)} }

// ClientHello is a TLS ClientHello. A nil Extensions omits the extensions
// block entirely (SSLv3 style); a nil Compression means {null}.
type ClientHello struct {
	Version      uint16
	Random       []byte // 32 bytes
	SessionID    []byte
	CipherSuites []uint16
	Compression  []byte
	Extensions   []Extension
}

// Marshal returns the handshake message (header included).
func (h *ClientHello) Marshal() []byte { return HandshakeMsg(TypeClientHello, h.Body()) }

// Body returns the message body without the handshake header.
func (h *ClientHello) Body() []byte {
	var b buf
	b.u16(h.Version)
	b.raw(pad32(h.Random))
	b.vec8(h.SessionID)
	b.vec16(u16List(h.CipherSuites))
	comp := h.Compression
	if comp == nil {
		comp = []byte{0}
	}
	b.vec8(comp)
	if h.Extensions != nil {
		marshalExtensions(&b, h.Extensions)
	}
	return b
}

// ServerHello is a TLS ServerHello (also TLS 1.3's, with legacy fields).
type ServerHello struct {
	Version     uint16
	Random      []byte
	SessionID   []byte
	CipherSuite uint16
	Compression uint8
	Extensions  []Extension // nil omits the block
	// Draft leaves out the session ID and compression fields, as TLS 1.3
	// drafts before 22 did.
	Draft bool
}

// Marshal returns the handshake message (header included).
func (h *ServerHello) Marshal() []byte { return HandshakeMsg(TypeServerHello, h.Body()) }

// Body returns the message body without the handshake header.
func (h *ServerHello) Body() []byte {
	var b buf
	b.u16(h.Version)
	b.raw(pad32(h.Random))
	if !h.Draft {
		b.vec8(h.SessionID)
	}
	b.u16(h.CipherSuite)
	if !h.Draft {
		b.u8(h.Compression)
	}
	if h.Extensions != nil {
		marshalExtensions(&b, h.Extensions)
	}
	return b
}

func pad32(r []byte) []byte {
	out := make([]byte, 32)
	copy(out, r)
	return out
}

// CertificateMsg is a TLS 1.2 (and earlier) Certificate message; no
// arguments gives the empty list.
func CertificateMsg(certs ...[]byte) []byte {
	return HandshakeMsg(TypeCertificate, CertificateBody(certs...))
}

// CertificateBody is the body of a TLS 1.2 (and earlier) Certificate.
func CertificateBody(certs ...[]byte) []byte {
	var l buf
	for _, c := range certs {
		l.vec24(c)
	}
	var b buf
	b.vec24(l)
	return b
}

// Certificate13Body is the body of a TLS 1.3 Certificate: the request
// context, then each certificate with empty extensions.
func Certificate13Body(context []byte, certs ...[]byte) []byte {
	var l buf
	for _, c := range certs {
		l.vec24(c)
		l.u16(0)
	}
	var b buf
	b.vec8(context)
	b.vec24(l)
	return b
}

// ServerKeyExchangeMsg wraps opaque key exchange parameters.
func ServerKeyExchangeMsg(params []byte) []byte { return HandshakeMsg(TypeServerKeyExchange, params) }

// ECDHEParams is ServerECDHParams plus the signature: named curve, point,
// then sigAlg (omitted when 0, the TLS 1.0/1.1 form) and the signature.
func ECDHEParams(group uint16, pub []byte, sigAlg uint16, sig []byte) []byte {
	var b buf
	b.u8(3) // named_curve
	b.u16(group)
	b.vec8(pub)
	if sigAlg != 0 {
		b.u16(sigAlg)
	}
	b.vec16(sig)
	return b
}

// CertificateRequestMsg builds a CertificateRequest. With sigAlgs nil it is
// the SSLv3/TLS 1.0/1.1 form (types and CA names only); otherwise the TLS 1.2
// form. caNames are DER-encoded distinguished names.
func CertificateRequestMsg(types []byte, sigAlgs []uint16, caNames [][]byte) []byte {
	return HandshakeMsg(TypeCertificateRequest, CertificateRequestBody(types, sigAlgs, caNames))
}

// CertificateRequestBody is CertificateRequestMsg without the handshake
// header.
func CertificateRequestBody(types []byte, sigAlgs []uint16, caNames [][]byte) []byte {
	var b buf
	b.vec8(types)
	if sigAlgs != nil {
		b.vec16(u16List(sigAlgs))
	}
	var cas buf
	for _, n := range caNames {
		cas.vec16(n)
	}
	b.vec16(cas)
	return b
}

// ServerHelloDoneMsg is the empty ServerHelloDone.
func ServerHelloDoneMsg() []byte { return HandshakeMsg(TypeServerHelloDone, nil) }

// ClientKeyExchangeMsg wraps an opaque ClientKeyExchange body.
func ClientKeyExchangeMsg(body []byte) []byte { return HandshakeMsg(TypeClientKeyExchange, body) }

// ECDHEClientPublic is the ECDHE ClientKeyExchange body (1-byte length).
func ECDHEClientPublic(pub []byte) []byte {
	var b buf
	b.vec8(pub)
	return b
}

// RSAPremaster is the RSA ClientKeyExchange body: the encrypted premaster
// secret with a 2-byte length in TLS, bare in SSLv3.
func RSAPremaster(enc []byte, ssl3 bool) []byte {
	if ssl3 {
		return append([]byte{}, enc...)
	}
	var b buf
	b.vec16(enc)
	return b
}

// CertificateVerifyMsg is CertificateVerify; sigAlg 0 omits the algorithm
// (SSLv3/TLS 1.0/1.1 form).
func CertificateVerifyMsg(sigAlg uint16, sig []byte) []byte {
	var b buf
	if sigAlg != 0 {
		b.u16(sigAlg)
	}
	b.vec16(sig)
	return HandshakeMsg(TypeCertificateVerify, b)
}

// NewSessionTicketMsg is the RFC 5077 NewSessionTicket.
func NewSessionTicketMsg(lifetime uint32, ticket []byte) []byte {
	var b buf
	b.u32(lifetime)
	b.vec16(ticket)
	return HandshakeMsg(TypeNewSessionTicket, b)
}

// ChangeCipherSpec is the ChangeCipherSpec record.
func ChangeCipherSpec(version uint16) []byte {
	return Record(ContentChangeCipherSpec, version, []byte{1})
}

// Alert is a cleartext alert record.
func Alert(version uint16, level, desc uint8) []byte {
	return Record(ContentAlert, version, []byte{level, desc})
}

// EncryptedRecord is a record of type ct holding n random bytes: an
// encrypted Finished (ct = handshake), application data, or an encrypted
// alert.
func EncryptedRecord(ct uint8, version uint16, n int, rng *RNG) []byte {
	return Record(ct, version, rng.Bytes(n))
}

// SSLv2ClientHello is the SSLv2-format (2-byte header, high bit set)
// CLIENT-HELLO offering version; specs are 3-byte cipher kinds.
func SSLv2ClientHello(version uint16, specs []uint32, sessionID, challenge []byte) []byte {
	var body buf
	body.u8(TypeClientHello)
	body.u16(version)
	body.u16(uint16(3 * len(specs)))
	body.u16(uint16(len(sessionID)))
	body.u16(uint16(len(challenge)))
	for _, s := range specs {
		body.u24(int(s))
	}
	body.raw(sessionID)
	body.raw(challenge)
	var b buf
	b.u16(0x8000 | uint16(len(body)))
	b.raw(body)
	return b
}
