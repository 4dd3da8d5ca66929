package testkit

// Handshake describes a TLS 1.2-or-earlier full handshake (SSLv3 through
// TLS 1.2) and produces each flight's wire bytes. Every field is optional;
// the zero value plus an RNG is a plain TLS 1.2 ECDHE handshake with an
// empty server certificate list.
type Handshake struct {
	RNG *RNG

	Version uint16 // negotiated version; 0 means TLS 1.2
	SNI     string
	Cipher  uint16 // 0: a suite fitting Version and RSA
	RSA     bool   // RSA key exchange: no ServerKeyExchange (forced for SSLv3)

	// SSLv2Hello sends the ClientHello in SSLv2 format offering Version.
	SSLv2Hello bool
	// SessionID is the ClientHello's; ServerSessionID the ServerHello's.
	SessionID, ServerSessionID []byte

	ServerCerts   [][]byte // empty or nil: an empty certificate_list
	NoServerCerts bool     // omit the server's Certificate message entirely

	CertRequest []byte // a CertificateRequest message; nil: none sent

	ClientCertificate bool     // the client sends a Certificate message
	ClientCerts       [][]byte // its content (empty: an empty list)
	CertVerify        bool     // the client sends CertificateVerify
	// NoCertificateAlert makes the client send a warning no_certificate(41)
	// alert before its ClientKeyExchange (SSLv3's way to decline).
	NoCertificateAlert bool

	Ticket bool // the server sends NewSessionTicket before its CCS
}

func (h *Handshake) version() uint16 {
	if h.Version == 0 {
		return VersionTLS12
	}
	return h.Version
}

func (h *Handshake) rsa() bool { return h.RSA || h.version() == VersionSSL30 }

func (h *Handshake) cipher() uint16 {
	switch {
	case h.Cipher != 0:
		return h.Cipher
	case h.version() == VersionSSL30:
		return SuiteRSA3DESSHA
	case h.rsa():
		return SuiteRSAAES128SHA
	case h.version() == VersionTLS12:
		return SuiteECDHEECDSAAES128GCM
	default:
		return SuiteECDHEECDSAAES256
	}
}

// FinishedLen is the size of an encrypted Finished record payload for the
// version's usual suite (GCM for TLS 1.2, CBC-SHA before).
func FinishedLen(version uint16) int {
	switch version {
	case VersionSSL30:
		return 64 // 36 + 20 MAC, padded to 8
	case VersionTLS10:
		return 48 // 16 + 20 MAC, padded to 16
	case VersionTLS11:
		return 64 // explicit IV + 48
	default:
		return 40 // explicit nonce 8 + 16 + tag 16
	}
}

// ClientHello returns the client's first flight on the wire.
func (h *Handshake) ClientHello() []byte {
	v := h.version()
	ciphers := []uint16{SuiteECDHEECDSAAES128GCM, SuiteECDHEECDSAAES256, SuiteRSAAES128SHA, SuiteRSA3DESSHA}
	if h.SSLv2Hello {
		specs := []uint32{0x00c00a, 0x00002f, 0x00000a, 0x010080, 0x0700c0}
		return SSLv2ClientHello(v, specs, h.SessionID, h.RNG.Bytes(16))
	}
	ch := &ClientHello{Version: v, Random: h.RNG.Bytes(32), SessionID: h.SessionID, CipherSuites: ciphers}
	recVersion := VersionTLS10
	if v == VersionSSL30 {
		recVersion = VersionSSL30
		ch.CipherSuites = []uint16{SuiteRSA3DESSHA, 0x0005, 0x0004}
	} else {
		if h.SNI != "" {
			ch.Extensions = append(ch.Extensions, ExtServerName(h.SNI))
		}
		ch.Extensions = append(ch.Extensions,
			ExtECPointFormats(), ExtSupportedGroups(GroupX25519, GroupSecp256r1), ExtSessionTicket(nil))
		if v >= VersionTLS12 {
			ch.Extensions = append(ch.Extensions, ExtSignatureAlgorithms(SigEd25519, SigECDSAP256, SigRSAPSSSHA256, SigRSAPKCS1SHA256))
		}
		ch.Extensions = append(ch.Extensions, ExtExtendedMasterSecret(), ExtRenegotiationInfo())
	}
	return HandshakeRecords(recVersion, ch.Marshal())
}

// ServerHello returns the ServerHello message.
func (h *Handshake) ServerHello() []byte {
	sh := &ServerHello{Version: h.version(), Random: h.RNG.Bytes(32), SessionID: h.ServerSessionID, CipherSuite: h.cipher()}
	if h.version() != VersionSSL30 && !h.SSLv2Hello {
		sh.Extensions = []Extension{ExtRenegotiationInfo(), ExtExtendedMasterSecret()}
		if !h.rsa() {
			sh.Extensions = append(sh.Extensions, ExtECPointFormats())
		}
	}
	return sh.Marshal()
}

// ServerMessages returns the server's first flight as handshake messages:
// ServerHello, Certificate, ServerKeyExchange, CertificateRequest,
// ServerHelloDone (those that apply).
func (h *Handshake) ServerMessages() [][]byte {
	msgs := [][]byte{h.ServerHello()}
	if !h.NoServerCerts {
		msgs = append(msgs, CertificateMsg(h.ServerCerts...))
	}
	if !h.rsa() {
		alg := uint16(0)
		if h.version() >= VersionTLS12 {
			alg = SigEd25519
		}
		msgs = append(msgs, ServerKeyExchangeMsg(ECDHEParams(GroupX25519, h.RNG.Bytes(32), alg, h.RNG.Bytes(64))))
	}
	if h.CertRequest != nil {
		msgs = append(msgs, h.CertRequest)
	}
	return append(msgs, ServerHelloDoneMsg())
}

// ServerFlight returns the server's first flight packed into records.
func (h *Handshake) ServerFlight() []byte {
	return HandshakeRecords(h.version(), h.ServerMessages()...)
}

// ClientMessages returns the client's second flight handshake messages:
// Certificate, ClientKeyExchange, CertificateVerify (those that apply).
func (h *Handshake) ClientMessages() [][]byte {
	var msgs [][]byte
	if h.ClientCertificate {
		msgs = append(msgs, CertificateMsg(h.ClientCerts...))
	}
	if h.rsa() {
		msgs = append(msgs, ClientKeyExchangeMsg(RSAPremaster(h.RNG.Bytes(128), h.version() == VersionSSL30)))
	} else {
		msgs = append(msgs, ClientKeyExchangeMsg(ECDHEClientPublic(h.RNG.Bytes(32))))
	}
	if h.CertVerify {
		alg := uint16(0)
		if h.version() >= VersionTLS12 {
			alg = SigEd25519
		}
		msgs = append(msgs, CertificateVerifyMsg(alg, h.RNG.Bytes(64)))
	}
	return msgs
}

// ClientFinish returns the client's ChangeCipherSpec and encrypted Finished.
func (h *Handshake) ClientFinish() []byte {
	v := h.version()
	return append(ChangeCipherSpec(v), EncryptedRecord(ContentHandshake, v, FinishedLen(v), h.RNG)...)
}

// ClientFlight returns the client's second flight on the wire.
func (h *Handshake) ClientFlight() []byte {
	var out []byte
	if h.NoCertificateAlert {
		out = Alert(h.version(), AlertWarning, AlertNoCertificate)
	}
	out = append(out, HandshakeRecords(h.version(), h.ClientMessages()...)...)
	return append(out, h.ClientFinish()...)
}

// ServerFinish returns the server's last flight: NewSessionTicket when
// Ticket, ChangeCipherSpec, encrypted Finished.
func (h *Handshake) ServerFinish() []byte {
	v := h.version()
	var out []byte
	if h.Ticket {
		out = HandshakeRecords(v, NewSessionTicketMsg(7200, h.RNG.Bytes(160)))
	}
	out = append(out, ChangeCipherSpec(v)...)
	return append(out, EncryptedRecord(ContentHandshake, v, FinishedLen(v), h.RNG)...)
}

// AppData returns one application data record of n plaintext-ish bytes.
func (h *Handshake) AppData(n int) []byte {
	return EncryptedRecord(ContentApplicationData, h.version(), n+FinishedLen(h.version())-16, h.RNG)
}

// Exchange appends the whole TLS conversation to an open connection: the
// client's hello, the server's flight, the client's flight, the server's
// finish, one request and one response.
func (h *Handshake) Exchange(c *Conn, client Side) {
	server := client.Other()
	c.Send(client, h.ClientHello())
	c.Send(server, h.ServerFlight())
	c.Send(client, h.ClientFlight())
	h.Finish(c, client)
}

// Finish is the server's ChangeCipherSpec and Finished, then a request and
// its response: the tail every crafted handshake shares, whatever was done
// to the flights before it.
func (h *Handshake) Finish(c *Conn, client Side) {
	server := client.Other()
	c.Send(server, h.ServerFinish())
	c.Send(client, h.AppData(120))
	c.Send(server, h.AppData(600))
}

// Run is Open, Exchange and Close (the client closes).
func (h *Handshake) Run(c *Conn, client Side) {
	c.Open()
	h.Exchange(c, client)
	c.Close(client)
}
