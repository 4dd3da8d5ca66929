package tlsparse

import (
	"bytes"
	"maps"
	"sort"
)

// Summary is what one connection's handshake amounts to. Every field is an
// owned value: it stays valid after the Conn is gone.
type Summary struct {
	Client      int  // half that sent the ClientHello (or was inferred to be the client); -1 if unknown
	SawHello    bool // a ClientHello or ServerHello was seen
	Version     Version
	HasVersion  bool // a ServerHello was seen
	Cipher      CipherSuite
	SNI         string
	ALPN        string
	Resumption  string // full | session_id | ticket | psk | unknown
	CertReq     string // yes | no | unknown
	ClientCert  string // sent | empty | missing | none | unknown
	ClientCerts int    // -1 when not observable
	ServerCerts int    // -1 when not observable
	Established bool
	Alert       string // "client:desc" / "server:desc" or ""
	Flags       []string
	History     string

	CertRequest *CertificateRequestInfo
	ClientChain [][]byte // with Options.KeepChains
	ServerChain [][]byte
	Anomalies   map[Anomaly]int
	Errors      []string // "client: ..." / "server: ..."
}

// Flag names, the output contract's vocabulary (README "Flags").
const (
	FlagClientCertEmpty              = "client_cert_empty"
	FlagClientCertMissing            = "client_cert_missing"
	FlagClientCertUnsolicited        = "client_cert_unsolicited"
	FlagClientCertIssuerNotRequested = "client_cert_issuer_not_requested"
	FlagCertVerifyMissing            = "cert_verify_missing"
	FlagClientAuthFailed             = "client_auth_failed"
	FlagServerCertEmpty              = "server_cert_empty"
	FlagTicketRejected               = "ticket_rejected"
	FlagSessionIDRejected            = "session_id_rejected"
	FlagPSKRejected                  = "psk_rejected"
	FlagTicketIssued                 = "ticket_issued"
	FlagHRR                          = "hrr"
	FlagSSLv2Hello                   = "sslv2_hello"
	FlagEncryptedHandshake           = "encrypted_handshake"
	FlagPartial                      = "partial"
	FlagGap                          = "gap"
	FlagTruncated                    = "truncated"
	FlagMalformed                    = "malformed"
	FlagFlipped                      = "flipped"
	FlagNoCertificateAlert           = "no_certificate_alert"
)

// Decided reports whether the handshake's outcome is known: it completed,
// failed with a fatal alert, or both directions ended. A live reporter can
// print the row then.
func (c *Conn) Decided() bool {
	if c.fatalFrom >= 0 {
		return true
	}
	h0, h1 := &c.half[0], &c.half[1]
	if (h0.closed || !h0.Wants()) && (h1.closed || !h1.Wants()) {
		return true
	}
	return c.established()
}

func (c *Conn) roles() (cl, sv *half) {
	if c.client < 0 {
		return nil, nil
	}
	return &c.half[c.client], &c.half[1-c.client]
}

func (c *Conn) established() bool {
	cl, sv := c.roles()
	if cl == nil || !c.sawSH || c.fatalFrom >= 0 {
		return false
	}
	if c.tls13() {
		// The Finished messages are encrypted: a server that sent its
		// encrypted flight and a client that answered with its own is as
		// far as a capture can tell.
		return sv.enc13 > 0 && cl.enc13 > 0
	}
	return sv.finished && cl.finished
}

// abbreviated reports whether the server went from ServerHello straight to
// ChangeCipherSpec (RFC 5246 7.3's abbreviated handshake). Its CCS ends the
// cleartext, so no Certificate can follow it unseen.
func (c *Conn) abbreviated(sv *half) bool {
	return c.sawSH && !c.tls13() && sv.ccs && !serverFull(sv)
}

// serverFull reports whether the server's flight shows a full handshake.
func serverFull(sv *half) bool { return sv.certMsg || sv.sawSKE || sv.sawCR || sv.sawSHD }

// Summary computes the verdicts from what was seen so far.
func (c *Conn) Summary() Summary {
	s := Summary{
		Client:      int(c.client),
		SawHello:    c.IsTLS(),
		Version:     c.version,
		HasVersion:  c.sawSH,
		Cipher:      c.cipher,
		SNI:         c.sni,
		ALPN:        c.alpn,
		Resumption:  "unknown",
		CertReq:     "unknown",
		ClientCert:  "unknown",
		ClientCerts: -1,
		ServerCerts: -1,
		CertRequest: c.certReq,
		// A copy: later Feed calls must not change a Summary already
		// handed out, and Summary itself must not change the Conn.
		Anomalies: maps.Clone(c.anomalies),
	}
	flags := map[string]bool{}
	cl, sv := c.roles()
	for i := range c.half {
		hf := &c.half[i]
		role := "client"
		if c.isServer(i) {
			role = "server"
		}
		if hf.err != nil {
			flags[FlagMalformed] = true
			s.Errors = append(s.Errors, role+": "+hf.err.Error())
		}
		if hf.gap {
			flags[FlagGap] = true
		}
		if hf.mid {
			flags[FlagPartial] = true
		}
	}
	if c.hrr {
		flags[FlagHRR] = true
	}
	if c.sslv2Hello {
		flags[FlagSSLv2Hello] = true
	}
	if c.initiator >= 0 && c.client >= 0 && c.initiator != c.client {
		flags[FlagFlipped] = true
	}
	if c.alertSeen {
		who := "client"
		if c.isServer(int(c.alertFrom)) {
			who = "server"
		}
		s.Alert = who + ":" + c.alertDesc.String()
	}
	s.Established = c.established()
	if cl != nil {
		c.verdicts(&s, cl, sv, flags)
	}
	h0, h1 := &c.half[0], &c.half[1]
	if !s.Established && c.fatalFrom < 0 && c.IsTLS() &&
		((!h0.closed && !h1.closed) || h0.leftover || h1.leftover) {
		// Neither finished, failed nor closed (or closed inside a
		// record): the capture stopped before the handshake did.
		flags[FlagTruncated] = true
	}
	s.History = c.renderHistory()
	for f := range flags {
		s.Flags = append(s.Flags, f)
	}
	sort.Strings(s.Flags)
	return s
}

func (c *Conn) verdicts(s *Summary, cl, sv *half, flags map[string]bool) {
	tls13 := c.tls13()
	abbrev := c.abbreviated(sv)
	full := serverFull(sv)

	// Resumption. TLS 1.3 says so in the ServerHello itself; TLS <= 1.2
	// says so by the shape of the server's flight.
	switch {
	case !c.sawSH:
	case tls13:
		if c.shPSK {
			s.Resumption = "psk"
		} else {
			s.Resumption = "full"
		}
	case abbrev:
		switch {
		case c.chTicket:
			// RFC 5077 3.4: a server accepting a ticket echoes the
			// client's session ID, which OpenSSL always sends with a
			// ticket, so the echo proves nothing here.
			s.Resumption = "ticket"
		case c.sidEchoed:
			s.Resumption = "session_id"
		default:
			if s.Anomalies == nil {
				s.Anomalies = map[Anomaly]int{}
			}
			s.Anomalies[AnomalyAbbreviatedNoReason]++
		}
	case full:
		s.Resumption = "full"
	}
	if s.Resumption == "full" || s.Resumption == "psk" {
		if c.ticketOffers && s.Resumption == "full" {
			flags[FlagTicketRejected] = true
		}
		// A client that offers TLS 1.3 sends a random 32-byte session ID
		// in every hello (RFC 8446 D.4), so an ID it offers proves a
		// resumption attempt only when it does not offer TLS 1.3.
		if !tls13 && c.chSessionID && !c.chTicket && !c.chOffers13 {
			flags[FlagSessionIDRejected] = true
		}
	}
	if c.pskOffered && c.sawSH && s.Resumption != "psk" && s.Resumption != "unknown" {
		flags[FlagPSKRejected] = true
	}
	if tls13 {
		flags[FlagEncryptedHandshake] = true
	}
	if sv.sawNST && !tls13 {
		flags[FlagTicketIssued] = true
	}

	// Server certificates.
	switch {
	case tls13:
	case sv.certSeen:
		s.ServerCerts = sv.certCount
		if sv.certCount == 0 {
			flags[FlagServerCertEmpty] = true
		}
	case abbrev || (c.sawSH && (sv.sawSKE || sv.sawSHD)):
		s.ServerCerts = 0 // resumed, or an anonymous suite
	}

	// Was a client certificate requested? Only the cleartext flight of
	// TLS <= 1.2 can tell.
	switch {
	case !c.sawSH || tls13:
	case sv.sawCR:
		s.CertReq = "yes"
	case abbrev || sv.sawSHD:
		s.CertReq = "no"
	}

	// What did the client answer?
	flightSeen := cl.certSeen || cl.sawCKE || cl.ccs || cl.noCertAlrt
	switch {
	case !c.sawSH || tls13:
	case abbrev:
		s.ClientCert, s.ClientCerts = "none", 0
	case cl.certSeen:
		s.ClientCerts = cl.certCount
		if cl.certCount > 0 {
			s.ClientCert = "sent"
		} else {
			s.ClientCert = "empty"
		}
	case cl.noCertAlrt:
		// SSLv3's way of answering "I have none" (RFC 6101 5.6.6):
		// the same answer TLS gives with an empty list.
		s.ClientCert, s.ClientCerts = "empty", 0
	case !flightSeen:
	case s.CertReq == "yes":
		s.ClientCert, s.ClientCerts = "missing", 0
	case s.CertReq == "no":
		s.ClientCert, s.ClientCerts = "none", 0
	}
	switch s.ClientCert {
	case "empty":
		flags[FlagClientCertEmpty] = true
	case "missing":
		flags[FlagClientCertMissing] = true
	}
	if cl.noCertAlrt {
		flags[FlagNoCertificateAlert] = true
	}
	if cl.certSeen && s.CertReq == "no" {
		flags[FlagClientCertUnsolicited] = true
	}
	if cl.certCount > 0 && c.certReq != nil && len(c.certReq.CANames) > 0 && !issuedByAny(cl.issuers, c.certReq.CANames) {
		flags[FlagClientCertIssuerNotRequested] = true
	}
	if cl.certCount > 0 && cl.ccs && !cl.sawCV {
		flags[FlagCertVerifyMissing] = true
	}
	// A fatal alert from the server after the client's certificate flight
	// (its Certificate, its ClientKeyExchange, or SSLv3's no_certificate)
	// answers that flight.
	if sv.sawCR && c.fatalFrom >= 0 && c.isServer(int(c.fatalFrom)) {
		start := 0
		for _, q := range []int{cl.certSeq, cl.ckeSeq, cl.noCertSeq} {
			if q > 0 && (start == 0 || q < start) {
				start = q
			}
		}
		if start > 0 && c.fatalSeq > start {
			flags[FlagClientAuthFailed] = true
		}
	}
	if c.opts.KeepChains {
		s.ClientChain, s.ServerChain = cl.chain, sv.chain
	}
}

// issuedByAny reports whether any certificate's issuer is one of the
// requested CA names. Names are compared as DER, as TLS stacks do.
func issuedByAny(issuers, cas [][]byte) bool {
	for _, iss := range issuers {
		for _, ca := range cas {
			if bytes.Equal(iss, ca) {
				return true
			}
		}
	}
	return false
}

// renderHistory spells the letters with the client upper case and the
// server lower case. Before the roles are known (a capture that starts
// mid-handshake and never shows a role-fixing message) half 0 counts as
// the client.
func (c *Conn) renderHistory() string {
	client := byte(0)
	if c.client == 1 {
		client = 1
	}
	out := make([]byte, 0, len(c.history)+1)
	if c.initiator >= 0 && c.client >= 0 && c.initiator != c.client {
		out = append(out, '^')
	}
	for _, l := range c.history {
		h := l >> 7
		l &= 0x7f
		if h != client {
			l = l - 'A' + 'a'
		}
		out = append(out, l)
	}
	return string(out)
}
