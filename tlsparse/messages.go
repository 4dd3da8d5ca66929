package tlsparse

import (
	"golang.org/x/crypto/cryptobyte"
)

// Handshake message parsers, one per message, dispatched by the handshake
// type. Each takes the message body (after the 4-byte type and length
// header) and returns a struct whose []byte fields alias body. Every
// length-prefixed sub-structure must be consumed exactly: a short or long one
// is a *ParseError naming the field.

// Extension is one extension in wire order; Data aliases the message.
type Extension struct {
	Type ExtensionType
	Data []byte
}

// ClientHello is the fields of a ClientHello that tlsscan reports on.
type ClientHello struct {
	Raw          []byte // the whole message body
	Version      Version
	Random       []byte
	SessionID    []byte
	CipherSuites []byte // wire list, 2 bytes a suite (3 for SSLv2 kinds)
	Compression  []byte
	Extensions   []Extension
	SSLv2        bool // sent in the SSLv2 record format

	// Decoded from the extensions.
	ServerName        []byte    // first host_name of server_name
	ALPN              [][]byte  // protocols offered
	HasSessionTicket  bool      // session_ticket extension present (empty: "I support tickets")
	SessionTicket     []byte    // its contents: non-empty means a resumption attempt
	SupportedVersions []Version // supported_versions, in order
	HasPSK            bool      // pre_shared_key offered
	// PSKIdentities is pre_shared_key's identities list (aliasing the
	// message: PskIdentity entries, read with PSKIdentity); nil when
	// absent or malformed, which is not an error.
	PSKIdentities     []byte
	EarlyData         bool
	PostHandshakeAuth bool // post_handshake_auth: a TLS 1.3 server may ask for a certificate later
	Anomalies         []Anomaly
}

// OffersTLS13 reports whether the hello lists TLS 1.3 or one of its drafts
// in supported_versions.
func (ch *ClientHello) OffersTLS13() bool {
	for _, v := range ch.SupportedVersions {
		if v.IsTLS13() {
			return true
		}
	}
	return false
}

// ServerHello is the fields of a ServerHello (or HelloRetryRequest).
type ServerHello struct {
	Raw         []byte
	Version     Version // legacy_version
	Random      []byte
	SessionID   []byte
	CipherSuite CipherSuite
	Compression uint8
	Extensions  []Extension

	SupportedVersion Version // from supported_versions, 0 when absent
	HasPSK           bool    // pre_shared_key: the server accepted a PSK
	PSKSelected      uint16  // its selected_identity (an index into the ClientHello's identities)
	HasSessionTicket bool    // session_ticket: the server will issue a ticket
	EncryptThenMAC   bool    // encrypt_then_mac (RFC 7366): CBC records are MACed after encryption
	ALPN             []byte
	HRR              bool // the RFC 8446 4.1.3 HelloRetryRequest random
	Anomalies        []Anomaly
}

// NegotiatedVersion is the version in force: supported_versions when the
// server sent it (TLS 1.3 and drafts), else legacy_version.
func (sh *ServerHello) NegotiatedVersion() Version {
	if sh.SupportedVersion != 0 {
		return sh.SupportedVersion
	}
	return sh.Version
}

// hrrRandom is SHA-256("HelloRetryRequest"), RFC 8446 4.1.3.
var hrrRandom = [32]byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

// Certificate is a Certificate message: the certificates in wire order, each
// the DER bytes aliasing the message.
type Certificate struct {
	Raw          []byte
	Context      []byte // TLS 1.3 certificate_request_context
	Certificates [][]byte
}

// CertificateRequest is a CertificateRequest in its TLS 1.0/1.1 form (types
// and CA names), TLS 1.2 form (types, signature algorithms, CA names) or
// TLS 1.3 form (a context and extensions; read only with a key log, since
// it is encrypted).
type CertificateRequest struct {
	Raw       []byte
	CertTypes []byte   // ClientCertificateType values; none in TLS 1.3
	SigAlgs   []byte   // 2 bytes each; nil before TLS 1.2
	CANames   [][]byte // DER-encoded distinguished names; empty means "any"
	Context   []byte   // TLS 1.3 certificate_request_context (non-empty after the handshake)
	Anomalies []Anomaly
}

// NewSessionTicket is a TLS 1.2 (RFC 5077) NewSessionTicket.
type NewSessionTicket struct {
	Raw      []byte
	Lifetime uint32
	Ticket   []byte
}

// Alert is a cleartext alert.
type Alert struct {
	Level       AlertLevel
	Description AlertDescription
}

// ParseAlert reads a 2-byte cleartext alert.
func ParseAlert(b []byte) (Alert, error) {
	if len(b) != 2 {
		return Alert{}, malformed("Alert", "length", 0)
	}
	return Alert{Level: AlertLevel(b[0]), Description: AlertDescription(b[1])}, nil
}

// ParseClientHello parses a ClientHello body.
func ParseClientHello(body []byte) (ClientHello, error) {
	ch := ClientHello{Raw: body}
	s := cryptobyte.String(body)
	var v uint16
	var random, sid, suites, comp []byte
	if !s.ReadUint16(&v) {
		return ch, pe("ClientHello", "legacy_version", body, s)
	}
	ch.Version = Version(v)
	if !s.ReadBytes(&random, 32) {
		return ch, pe("ClientHello", "random", body, s)
	}
	if !readU8Bytes(&s, &sid) {
		return ch, pe("ClientHello", "legacy_session_id", body, s)
	}
	if !readU16Bytes(&s, &suites) || len(suites)%2 != 0 {
		return ch, pe("ClientHello", "cipher_suites", body, s)
	}
	if !readU8Bytes(&s, &comp) {
		return ch, pe("ClientHello", "legacy_compression_methods", body, s)
	}
	ch.Random, ch.SessionID, ch.CipherSuites, ch.Compression = random[:32:32], sid, suites, comp
	if len(sid) > 32 {
		ch.Anomalies = append(ch.Anomalies, AnomalySessionIDTooLong)
	}
	if s.Empty() {
		return ch, nil // SSL 3.0 style hello without extensions
	}
	exts, err := parseExtensions(&s, "ClientHello", body)
	if err != nil {
		return ch, err
	}
	ch.Extensions = exts
	ch.Anomalies = append(ch.Anomalies, duplicates(exts)...)
	for _, e := range exts {
		d := cryptobyte.String(e.Data)
		switch e.Type {
		case ExtServerName:
			var list cryptobyte.String
			if !d.ReadUint16LengthPrefixed(&list) || !d.Empty() {
				return ch, extErr("ClientHello", "server_name", body, e.Data)
			}
			for !list.Empty() {
				var typ uint8
				var name []byte
				if !list.ReadUint8(&typ) || !readU16Bytes(&list, &name) {
					return ch, extErr("ClientHello", "server_name", body, e.Data)
				}
				if typ == 0 && ch.ServerName == nil {
					ch.ServerName = name
				}
			}
		case ExtALPN:
			protos, ok := parseALPNList(e.Data)
			if !ok {
				return ch, extErr("ClientHello", "application_layer_protocol_negotiation", body, e.Data)
			}
			ch.ALPN = protos
		case ExtSessionTicket:
			ch.HasSessionTicket = true
			ch.SessionTicket = e.Data
		case ExtSupportedVersions:
			var list []byte
			if !readU8Bytes(&d, &list) || len(list)%2 != 0 || !d.Empty() {
				return ch, extErr("ClientHello", "supported_versions", body, e.Data)
			}
			ch.SupportedVersions = make([]Version, 0, len(list)/2)
			for i := 0; i+1 < len(list); i += 2 {
				ch.SupportedVersions = append(ch.SupportedVersions, Version(uint16(list[i])<<8|uint16(list[i+1])))
			}
		case ExtPreSharedKey:
			ch.HasPSK = true
			var ids []byte
			if readU16Bytes(&d, &ids) {
				ch.PSKIdentities = ids
			}
		case ExtEarlyData:
			ch.EarlyData = true
		case ExtPostHandshakeAuth:
			ch.PostHandshakeAuth = true
		}
	}
	return ch, nil
}

// ParseSSLv2ClientHello parses an SSLv2-format ClientHello record (header
// included, as IsSSLv2ClientHello accepted it) and returns it with the
// number of bytes it used, or ErrNeedMore.
func ParseSSLv2ClientHello(b []byte) (ClientHello, int, error) {
	if len(b) < 2 {
		return ClientHello{}, 0, ErrNeedMore
	}
	n := int(b[0]&0x7f)<<8 | int(b[1])
	if len(b) < 2+n {
		return ClientHello{}, 0, ErrNeedMore
	}
	body := b[2 : 2+n : 2+n]
	ch := ClientHello{Raw: body, SSLv2: true}
	s := cryptobyte.String(body)
	var typ uint8
	var v, suitesLen, sidLen, chLen uint16
	if !s.ReadUint8(&typ) || typ != 1 || !s.ReadUint16(&v) || !s.ReadUint16(&suitesLen) ||
		!s.ReadUint16(&sidLen) || !s.ReadUint16(&chLen) {
		return ch, 0, malformed("SSLv2ClientHello", "header", 2)
	}
	var suites, sid, challenge []byte
	if suitesLen%3 != 0 || !s.ReadBytes(&suites, int(suitesLen)) || !s.ReadBytes(&sid, int(sidLen)) ||
		!s.ReadBytes(&challenge, int(chLen)) || !s.Empty() {
		return ch, 0, malformed("SSLv2ClientHello", "lengths", 2)
	}
	ch.Version = Version(v)
	ch.CipherSuites = suites[:len(suites):len(suites)]
	ch.SessionID = sid[:len(sid):len(sid)]
	ch.Random = challenge[:len(challenge):len(challenge)]
	return ch, 2 + n, nil
}

// ParseServerHello parses a ServerHello body (also a TLS 1.3
// HelloRetryRequest, which shares its format).
func ParseServerHello(body []byte) (ServerHello, error) {
	sh := ServerHello{Raw: body}
	s := cryptobyte.String(body)
	var v, cs uint16
	var random, sid []byte
	if !s.ReadUint16(&v) {
		return sh, pe("ServerHello", "legacy_version", body, s)
	}
	if !s.ReadBytes(&random, 32) {
		return sh, pe("ServerHello", "random", body, s)
	}
	// TLS 1.3 drafts up to -21 put their version in this field and left
	// out the session ID and compression method (draft-ietf-tls-tls13-21
	// 4.1.3); draft 22 brought both back for middlebox compatibility.
	// A final TLS 1.3 ServerHello says 0x0303 here (RFC 8446 4.1.3), so
	// 0x0304 in this field comes only from those early drafts too.
	draft := Version(v) == VersionTLS13 || Version(v)>>8 == 0x7f && Version(v)&0xff <= 21
	if !draft && !readU8Bytes(&s, &sid) {
		return sh, pe("ServerHello", "legacy_session_id_echo", body, s)
	}
	if !s.ReadUint16(&cs) {
		return sh, pe("ServerHello", "cipher_suite", body, s)
	}
	if !draft && !s.ReadUint8(&sh.Compression) {
		return sh, pe("ServerHello", "legacy_compression_method", body, s)
	}
	sh.Version, sh.Random, sh.SessionID, sh.CipherSuite = Version(v), random[:32:32], sid, CipherSuite(cs)
	sh.HRR = [32]byte(random) == hrrRandom
	if len(sid) > 32 {
		sh.Anomalies = append(sh.Anomalies, AnomalySessionIDTooLong)
	}
	if s.Empty() {
		return sh, nil
	}
	exts, err := parseExtensions(&s, "ServerHello", body)
	if err != nil {
		return sh, err
	}
	sh.Extensions = exts
	sh.Anomalies = append(sh.Anomalies, duplicates(exts)...)
	for _, e := range exts {
		d := cryptobyte.String(e.Data)
		switch e.Type {
		case ExtSupportedVersions:
			var sv uint16
			// A HelloRetryRequest and a ServerHello both carry one version.
			if !d.ReadUint16(&sv) || !d.Empty() {
				return sh, extErr("ServerHello", "supported_versions", body, e.Data)
			}
			sh.SupportedVersion = Version(sv)
		case ExtPreSharedKey:
			sh.HasPSK = true
			d.ReadUint16(&sh.PSKSelected)
		case ExtSessionTicket:
			sh.HasSessionTicket = true
		case ExtEncryptThenMAC:
			sh.EncryptThenMAC = true
		case ExtALPN:
			protos, ok := parseALPNList(e.Data)
			if !ok || len(protos) != 1 {
				return sh, extErr("ServerHello", "application_layer_protocol_negotiation", body, e.Data)
			}
			sh.ALPN = protos[0]
		}
	}
	return sh, nil
}

// ParseCertificate parses a Certificate body; tls13 selects the TLS 1.3
// format (request context, per-certificate extensions).
func ParseCertificate(body []byte, tls13 bool) (Certificate, error) {
	c := Certificate{Raw: body}
	s := cryptobyte.String(body)
	if tls13 {
		if !readU8Bytes(&s, &c.Context) {
			return c, pe("Certificate", "certificate_request_context", body, s)
		}
	}
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return c, pe("Certificate", "certificate_list", body, s)
	}
	for !list.Empty() {
		var der []byte
		if !readU24Bytes(&list, &der) || len(der) == 0 {
			return c, pe("Certificate", "cert_data", body, list)
		}
		if tls13 {
			var exts []byte
			if !readU16Bytes(&list, &exts) {
				return c, pe("Certificate", "extensions", body, list)
			}
		}
		c.Certificates = append(c.Certificates, der)
	}
	return c, nil
}

// ParseCertificateRequest parses a CertificateRequest body of version v:
// TLS 1.0-1.2's (RFC 5246 7.4.4; the signature algorithms field exists
// from TLS 1.2 on) or TLS 1.3's (RFC 8446 4.3.2: a request context and
// extensions, of which signature_algorithms and certificate_authorities are
// read).
func ParseCertificateRequest(body []byte, v Version) (CertificateRequest, error) {
	if v.IsTLS13() {
		return parseCertificateRequest13(body)
	}
	cr := CertificateRequest{Raw: body}
	s := cryptobyte.String(body)
	if !readU8Bytes(&s, &cr.CertTypes) {
		return cr, pe("CertificateRequest", "certificate_types", body, s)
	}
	if v >= VersionTLS12 {
		if !readU16Bytes(&s, &cr.SigAlgs) || len(cr.SigAlgs)%2 != 0 {
			return cr, pe("CertificateRequest", "supported_signature_algorithms", body, s)
		}
	}
	var cas cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&cas) || !s.Empty() {
		return cr, pe("CertificateRequest", "certificate_authorities", body, s)
	}
	for !cas.Empty() {
		var dn []byte
		if !readU16Bytes(&cas, &dn) {
			return cr, pe("CertificateRequest", "distinguished_name", body, cas)
		}
		cr.CANames = append(cr.CANames, dn)
	}
	return cr, nil
}

func parseCertificateRequest13(body []byte) (CertificateRequest, error) {
	cr := CertificateRequest{Raw: body}
	s := cryptobyte.String(body)
	if !readU8Bytes(&s, &cr.Context) {
		return cr, pe("CertificateRequest", "certificate_request_context", body, s)
	}
	exts, err := parseExtensions(&s, "CertificateRequest", body)
	if err != nil {
		return cr, err
	}
	if !s.Empty() {
		return cr, pe("CertificateRequest", "extensions", body, s)
	}
	cr.Anomalies = duplicates(exts)
	for _, e := range exts {
		d := cryptobyte.String(e.Data)
		switch e.Type {
		case ExtSignatureAlgorithms:
			if !readU16Bytes(&d, &cr.SigAlgs) || len(cr.SigAlgs)%2 != 0 || !d.Empty() {
				return cr, extErr("CertificateRequest", "signature_algorithms", body, e.Data)
			}
		case ExtCertAuthorities:
			var cas cryptobyte.String
			if !d.ReadUint16LengthPrefixed(&cas) || !d.Empty() {
				return cr, extErr("CertificateRequest", "certificate_authorities", body, e.Data)
			}
			for !cas.Empty() {
				var dn []byte
				if !readU16Bytes(&cas, &dn) {
					return cr, extErr("CertificateRequest", "certificate_authorities", body, e.Data)
				}
				cr.CANames = append(cr.CANames, dn)
			}
		}
	}
	return cr, nil
}

// EncryptedExtensions is what tlsscan reads of a TLS 1.3
// EncryptedExtensions message (RFC 8446 4.3.1).
type EncryptedExtensions struct {
	Raw        []byte
	Extensions []Extension
	EarlyData  bool // early_data: the server accepted the client's 0-RTT data
	Anomalies  []Anomaly
}

// ParseEncryptedExtensions parses an EncryptedExtensions body.
func ParseEncryptedExtensions(body []byte) (EncryptedExtensions, error) {
	ee := EncryptedExtensions{Raw: body}
	s := cryptobyte.String(body)
	exts, err := parseExtensions(&s, "EncryptedExtensions", body)
	if err != nil {
		return ee, err
	}
	if !s.Empty() {
		return ee, pe("EncryptedExtensions", "extensions", body, s)
	}
	ee.Extensions, ee.Anomalies = exts, duplicates(exts)
	for _, e := range exts {
		if e.Type == ExtEarlyData {
			ee.EarlyData = true
		}
	}
	return ee, nil
}

// ParseNewSessionTicket parses a TLS 1.2 NewSessionTicket body.
func ParseNewSessionTicket(body []byte) (NewSessionTicket, error) {
	t := NewSessionTicket{Raw: body}
	s := cryptobyte.String(body)
	if !s.ReadUint32(&t.Lifetime) {
		return t, pe("NewSessionTicket", "ticket_lifetime_hint", body, s)
	}
	if !readU16Bytes(&s, &t.Ticket) || !s.Empty() {
		return t, pe("NewSessionTicket", "ticket", body, s)
	}
	return t, nil
}

// PSKIdentity returns the i-th identity of the pre_shared_key extension
// (RFC 8446 4.2.11: a resumption PSK's identity is the ticket of the
// NewSessionTicket it came from), nil when there is none or the list is
// malformed.
func (ch *ClientHello) PSKIdentity(i int) []byte {
	s := cryptobyte.String(ch.PSKIdentities)
	for ; !s.Empty(); i-- {
		var id []byte
		var age uint32
		if !readU16Bytes(&s, &id) || !s.ReadUint32(&age) {
			return nil
		}
		if i == 0 {
			return id
		}
	}
	return nil
}

// NewSessionTicket13Ticket returns the ticket of a TLS 1.3 NewSessionTicket
// body (RFC 8446 4.6.1), aliasing it; ok is false when the body does not
// parse.
func NewSessionTicket13Ticket(body []byte) (ticket []byte, ok bool) {
	s := cryptobyte.String(body)
	var lifetime, ageAdd uint32
	var nonce, exts []byte
	if !s.ReadUint32(&lifetime) || !s.ReadUint32(&ageAdd) || !readU8Bytes(&s, &nonce) ||
		!readU16Bytes(&s, &ticket) || !readU16Bytes(&s, &exts) || !s.Empty() || len(ticket) == 0 {
		return nil, false
	}
	return ticket, true
}

func parseExtensions(s *cryptobyte.String, msg string, body []byte) ([]Extension, error) {
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() {
		return nil, pe(msg, "extensions", body, *s)
	}
	// Counting first sizes the slice exactly: one allocation per hello.
	n, probe := 0, list
	for !probe.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !probe.ReadUint16(&typ) || !probe.ReadUint16LengthPrefixed(&data) {
			return nil, pe(msg, "extension", body, probe)
		}
		n++
	}
	exts := make([]Extension, 0, n)
	for !list.Empty() {
		var typ uint16
		var data []byte
		list.ReadUint16(&typ)
		readU16Bytes(&list, &data)
		exts = append(exts, Extension{Type: ExtensionType(typ), Data: data})
	}
	return exts, nil
}

func duplicates(exts []Extension) []Anomaly {
	for i := range exts {
		for j := i + 1; j < len(exts); j++ {
			if exts[i].Type == exts[j].Type {
				return []Anomaly{AnomalyDuplicateExtension}
			}
		}
	}
	return nil
}

func parseALPNList(b []byte) ([][]byte, bool) {
	s := cryptobyte.String(b)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() {
		return nil, false
	}
	var out [][]byte
	for !list.Empty() {
		var p []byte
		if !readU8Bytes(&list, &p) || len(p) == 0 {
			return nil, false
		}
		out = append(out, p)
	}
	return out, true
}

// The readers below return sub-slices of the input with their capacity cut
// to their length, so an append by a caller can never write into the bytes
// that follow.

func readU8Bytes(s *cryptobyte.String, out *[]byte) bool {
	var v cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&v) {
		return false
	}
	*out = v[:len(v):len(v)]
	return true
}

func readU16Bytes(s *cryptobyte.String, out *[]byte) bool {
	var v cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&v) {
		return false
	}
	*out = v[:len(v):len(v)]
	return true
}

func readU24Bytes(s *cryptobyte.String, out *[]byte) bool {
	var v cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&v) {
		return false
	}
	*out = v[:len(v):len(v)]
	return true
}

// pe builds a ParseError whose offset is where the cursor stopped.
func pe(msg, field string, body []byte, rest cryptobyte.String) *ParseError {
	return malformed(msg, field, len(body)-len(rest))
}

func extErr(msg, ext string, body, data []byte) *ParseError {
	return malformed(msg, "extension "+ext, offsetIn(body, data))
}

// offsetIn is where sub starts inside b (sub must alias b).
func offsetIn(b, sub []byte) int {
	if len(sub) == 0 || len(b) == 0 {
		return 0
	}
	for i := range b {
		if &b[i] == &sub[0] {
			return i
		}
	}
	return 0
}
