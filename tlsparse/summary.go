package tlsparse

import (
	"bytes"
	"hash/maphash"
	"maps"
	"slices"
)

// Summary is what one connection's handshake amounts to. Every field is an
// owned value: it stays valid after the Conn is gone. The verdicts
// (Resumption, CertReq, ClientCert, Flags) are the types of verdict.go, at
// their zero value (unknown, no flags) until the capture tells.
type Summary struct {
	Client      int  // half that sent the ClientHello (or was inferred to be the client); -1 if unknown
	SawHello    bool // a ClientHello or ServerHello was seen
	Version     Version
	HasVersion  bool // a ServerHello was seen
	Cipher      CipherSuite
	SNI         string
	ALPN        string
	Resumption  Resumption
	CertReq     CertRequested
	ClientCert  ClientCert
	ClientCerts int // -1 when not observable
	ServerCerts int // -1 when not observable
	Established bool
	Alert       string // "client:desc" / "server:desc" or ""
	Flags       Flags
	History     string
	Evidence    Evidence // how CertReq and ClientCert were reached
	// Tickets13 counts TLS 1.3 NewSessionTickets read with a key log.
	Tickets13 int

	// SessionIDOffered is the ClientHello's session ID, and
	// SessionIDIssued the one the server named in a TLS <= 1.2
	// ServerHello (a fresh ID on a full handshake, the echoed one on an ID
	// resumption); 0 for none. No ID is issued by a TLS 1.3 ServerHello
	// (it echoes the legacy ID) nor by an echo of an ID sent with a
	// session ticket (RFC 5077 3.4: the client's own random ID, no server
	// session). They link connections: FlagSessionIDRejected is only a
	// candidate here, kept by the pipeline when an earlier connection of
	// the capture was issued the offered ID.
	SessionIDOffered SessionIDKey
	SessionIDIssued  SessionIDKey

	// TicketOffered is the session ticket the ClientHello offered: the
	// session_ticket extension's (non-empty) contents up to TLS 1.2; in
	// TLS 1.3 the pre_shared_key identity the server selected, or the
	// first one offered when it selected none (a resumption PSK's
	// identity is the ticket of the NewSessionTicket it came from, RFC
	// 8446 4.6.1). 0 for none. TicketsIssued are the tickets of the
	// server's NewSessionTickets: cleartext before TLS 1.3, read with a
	// key log in TLS 1.3; the first maxTicketKeys. Like the session IDs,
	// they link connections (report.Sessions): FlagTicketRejected is a
	// candidate here, kept only when an earlier connection was issued the
	// ticket.
	TicketOffered TicketKey
	TicketsIssued []TicketKey

	// Hello is the facts of the connection's first (TLS-format)
	// ClientHello and ServerHello those of the ServerHello that
	// negotiated, for the fingerprints (fingerprint.go); nil when not
	// seen. They point into the Conn: set once and never changed, they
	// are owned copies of the wire (not of Feed's input) and shared.
	Hello       *HelloFacts
	ServerHello *ServerHelloFacts

	CertRequest *CertificateRequestInfo
	ClientChain [][]byte // with Options.KeepChains
	ServerChain [][]byte
	Anomalies   map[Anomaly]int
	Errors      []string // "client: ..." / "server: ..."
}

// SessionIDKey stands for a non-empty session ID across connections: a
// 64-bit hash of it, seeded at random once per process (hash/maphash), so
// it is fixed-size whatever the ID's length and the same for every Conn of
// a run; two IDs share a key by a 2^-64 chance, and since the seed is
// secret a peer cannot choose an ID that matches another's key. A key
// never leaves the process. 0 is no ID.
type SessionIDKey uint64

var sessionIDSeed = maphash.MakeSeed()

func sessionIDKey(id []byte) SessionIDKey {
	if len(id) == 0 {
		return 0
	}
	if k := SessionIDKey(maphash.Bytes(sessionIDSeed, id)); k != 0 {
		return k
	}
	return 1
}

// TicketKey stands for a non-empty session ticket (or TLS 1.3 PSK
// identity) across connections, hashed as a SessionIDKey is: fixed-size,
// seeded at random once per process, never leaving it; no ticket bytes are
// kept. 0 is no ticket.
type TicketKey uint64

func ticketKey(t []byte) TicketKey { return TicketKey(sessionIDKey(t)) }

const (
	// maxTicketKeys bounds the issued tickets kept per connection: a
	// server sends one per TLS <= 1.2 handshake and a few after a TLS 1.3
	// one (OpenSSL two), but may send any number afterwards.
	maxTicketKeys = 8
	// maxPSKKeys bounds the pre_shared_key identities kept per
	// ClientHello: clients offer one resumption ticket.
	maxPSKKeys = 4
)

// Decided reports whether the connection's row is known: the handshake
// failed with a fatal alert, both directions ended, or it completed and
// no direction is still read for what may change a verdict (a TLS <= 1.2
// renegotiation within renegWatch, TLS 1.3 records a key log opens, the
// client's first record lengths). A live reporter can print the row then.
func (c *Conn) Decided() bool {
	if c.fatalFrom >= 0 {
		return true
	}
	h0, h1 := &c.half[0], &c.half[1]
	if h0.settled() && h1.settled() {
		return true
	}
	if (h0.settled() || h1.settled()) && c.watchOnly() {
		// One direction is over and the other only watched for a
		// renegotiation, which could not be followed without it.
		return true
	}
	return c.established() && !c.reading(0) && !c.reading(1)
}

// watchOnly reports whether every direction has ended or is only watched
// for a renegotiation.
func (c *Conn) watchOnly() bool {
	return (c.half[0].settled() || c.watching(0)) && (c.half[1].settled() || c.watching(1))
}

// Watching reports whether the connection is decided but for the
// renegotiation watch (a completed TLS <= 1.2 handshake followed
// renegWatch past each Finished): what remains to read is record headers
// in order. The caller may then read the rest of the connection without
// reassembly, feeding in-order payload and telling gaps and ends, until
// Decided.
func (c *Conn) Watching() bool {
	return c.fatalFrom < 0 && c.established() && c.watchOnly() &&
		!(c.half[0].settled() && c.half[1].settled())
}

// watching reports whether TLS <= 1.2 half h is only followed past its
// Finished for a renegotiation.
func (c *Conn) watching(h int) bool {
	hf := &c.half[h]
	return !c.tls13() && hf.finished && hf.watch > 0
}

// settled reports whether the direction ended or was given up on.
func (hf *half) settled() bool { return hf.closed || !hf.Wants() }

// reading reports whether half h, after the handshake, is still read for
// something that may change a verdict.
func (c *Conn) reading(h int) bool {
	hf := &c.half[h]
	if hf.settled() {
		return false
	}
	// TLS 1.3: Wants holds only while the key log reads it or the
	// record sizes are gathered.
	return c.tls13() || c.watching(h)
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
		if c.dec13(c.client) && c.dec13(1-c.client) {
			// Both flights read with a key log: both Finished seen.
			return sv.finSeq > 0 && cl.finSeq > 0
		}
		// The Finished messages are encrypted: a server that sent its
		// encrypted flight and a client that answered with its own is as
		// far as a capture can tell.
		return sv.enc13 > 0 && cl.enc13 > 0
	}
	return sv.finished && cl.finished
}

// dec13 reports whether half h's TLS 1.3 encrypted handshake was read
// with a key log (at least one record opened).
func (c *Conn) dec13(h int8) bool {
	return c.dec != nil && h >= 0 && c.dec.half[h].opened > 0
}

// abbreviated reports whether the server went from ServerHello straight to
// ChangeCipherSpec (RFC 5246 7.3's abbreviated handshake). Its CCS ends the
// cleartext, so no Certificate can follow it unseen.
func (c *Conn) abbreviated(sv *half) bool {
	return c.sawSH && !c.tls13() && sv.ccs && !serverFull(sv)
}

// serverFull reports whether the server's flight shows a full handshake:
// a message the abbreviated one leaves out.
func serverFull(sv *half) bool {
	return sv.msgs.has(TypeCertificate) || sv.msgs.has(TypeServerKeyExchange) ||
		sv.msgs.has(TypeCertificateRequest) || sv.msgs.has(TypeServerHelloDone)
}

// cutShort reports whether the direction's bytes so far end inside a
// record or a handshake message.
func (hf *half) cutShort() bool {
	return hf.leftover || hf.Wants() && (len(hf.pend) > 0 || hf.inMessage())
}

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
		ClientCerts: -1,
		ServerCerts: -1,
		CertRequest: c.certReq,
		// A copy: later Feed calls must not change a Summary already
		// handed out, and Summary itself must not change the Conn.
		Anomalies: maps.Clone(c.anomalies),
	}
	var flags Flags
	cl, sv := c.roles()
	for i := range c.half {
		hf := &c.half[i]
		who := "client"
		if c.isServer(i) {
			who = "server"
		}
		if hf.err != nil {
			flags.Set(FlagMalformed)
			s.Errors = append(s.Errors, who+": "+hf.err.Error())
		}
		if hf.gap {
			flags.Set(FlagGap)
		}
		if hf.mid {
			flags.Set(FlagPartial)
		}
	}
	if c.hrr {
		flags.Set(FlagHRR)
	}
	if c.oversize {
		flags.Set(FlagOversize)
	}
	if d := c.dec; d != nil {
		switch {
		case d.decrypted():
			flags.Set(FlagDecrypted)
		case d.status == keysMissing:
			flags.Set(FlagKeysMissing)
		}
		if d.failed {
			flags.Set(FlagDecryptFailed)
		}
		if d.unsupported != nil {
			s.Errors = append(s.Errors, d.unsupported.Error())
		}
	}
	if c.renegSeen {
		flags.Set(FlagRenegotiation)
	}
	s.Tickets13 = c.tickets13
	if c.hasHello {
		s.Hello = &c.hello
	}
	if c.sawSH {
		s.ServerHello = &c.shFacts
	}
	if c.sslv2Hello {
		flags.Set(FlagSSLv2Hello)
	}
	if c.initiator >= 0 && c.client >= 0 && c.initiator != c.client {
		flags.Set(FlagFlipped)
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
		c.verdicts(&s, cl, sv, &flags)
	}
	h0, h1 := &c.half[0], &c.half[1]
	if !s.Established && c.fatalFrom < 0 && c.IsTLS() &&
		((!h0.closed && !h1.closed) || h0.cutShort() || h1.cutShort()) {
		// Neither finished, failed nor closed (or a direction ended
		// inside a record or message): the capture stopped before the
		// handshake did.
		flags.Set(FlagTruncated)
	}
	s.History = c.renderHistory()
	s.Flags = flags
	return s
}

func (c *Conn) verdicts(s *Summary, cl, sv *half, flags *Flags) {
	tls13 := c.tls13()
	abbrev := c.abbreviated(sv)
	full := serverFull(sv)

	// Resumption. TLS 1.3 says so in the ServerHello itself; TLS <= 1.2
	// says so by the shape of the server's flight.
	switch {
	case !c.sawSH:
	case tls13:
		if c.shPSK {
			s.Resumption = ResumptionPSK
		} else {
			s.Resumption = ResumptionFull
		}
	case abbrev:
		switch {
		case c.chTicket:
			// RFC 5077 3.4: a server accepting a ticket echoes the
			// client's session ID, which OpenSSL always sends with a
			// ticket, so the echo proves nothing here.
			s.Resumption = ResumptionTicket
		case c.sidEchoed:
			s.Resumption = ResumptionSessionID
		default:
			if s.Anomalies == nil {
				s.Anomalies = map[Anomaly]int{}
			}
			s.Anomalies[AnomalyAbbreviatedNoReason]++
		}
	case full:
		s.Resumption = ResumptionFull
	}
	if s.Resumption == ResumptionFull || s.Resumption == ResumptionPSK {
		if c.ticketOffers && s.Resumption == ResumptionFull {
			flags.Set(FlagTicketRejected)
		}
		// A client that offers TLS 1.3 sends a random 32-byte session ID
		// in every hello (RFC 8446 D.4), so an ID it offers proves a
		// resumption attempt only when it does not offer TLS 1.3. Go's
		// TLS 1.2-only client sends one too, so this is a candidate: the
		// pipeline keeps it only for an ID issued earlier in the capture
		// (SessionIDOffered).
		if !tls13 && c.chSessionID && !c.chTicket && !c.chOffers13 {
			flags.Set(FlagSessionIDRejected)
		}
	}
	s.SessionIDOffered = sessionIDKey(c.clientSessionID)
	if c.sawSH && !tls13 && !(c.sidEchoed && c.chTicket) {
		s.SessionIDIssued = c.shSessionID
	}
	s.TicketOffered = c.chTicketKey
	if tls13 && c.pskOffered {
		// The resumption a TLS 1.3 server can accept is a PSK; without
		// one offered, the TLS 1.2 ticket stays what a refusal refused
		// (a server upgraded to TLS 1.3 refusing a ticket it issued).
		sel := 0
		if c.shPSK {
			sel = int(c.shPSKSel)
		}
		s.TicketOffered = 0
		if sel < maxPSKKeys {
			s.TicketOffered = c.pskKeys[sel]
		}
	}
	s.TicketsIssued = slices.Clone(c.ticketKeys)
	if c.pskOffered && c.sawSH && s.Resumption != ResumptionPSK && s.Resumption != ResumptionUnknown {
		flags.Set(FlagPSKRejected)
	}
	// Whose encrypted TLS 1.3 flights were read with a key log.
	svRead, clRead := tls13 && c.dec13(int8(1-c.client)), tls13 && c.dec13(c.client)
	if tls13 {
		if !svRead || !clRead {
			flags.Set(FlagEncryptedHandshake)
		}
		if c.phaOffered {
			// The ClientHello says so in the clear: the server may
			// ask for a certificate at any time after the handshake,
			// encrypted, so client authentication stays open for the
			// connection's whole life, not just its handshake.
			flags.Set(FlagPHAOffered)
		}
		if c.phaSeq > 0 {
			flags.Set(FlagPostHandshakeAuth)
		}
		if c.earlyOffered && c.dec != nil && c.dec.eeSeen {
			if c.dec.eeEarly {
				flags.Set(FlagEarlyDataAccepted)
			} else {
				flags.Set(FlagEarlyDataRejected)
			}
		}
	}
	if c.earlyAny && c.hrr {
		// RFC 8446 4.2.10: a HelloRetryRequest refuses 0-RTT data.
		flags.Set(FlagEarlyDataRejected)
	}
	if sv.msgs.has(TypeNewSessionTicket) && (!tls13 || c.tickets13 > 0) {
		flags.Set(FlagTicketIssued)
	}

	// Server certificates.
	switch {
	case tls13 && !svRead:
	case sv.certSeen:
		s.ServerCerts = sv.certCount
		if sv.certCount == 0 {
			flags.Set(FlagServerCertEmpty)
		}
	case sv.certUnread:
		// Certificates were sent; how many is not known.
	case tls13:
		if sv.finSeq > 0 {
			s.ServerCerts = 0 // a PSK handshake: no Certificate
		}
	case abbrev || (c.sawSH && (sv.msgs.has(TypeServerKeyExchange) || sv.msgs.has(TypeServerHelloDone))):
		s.ServerCerts = 0 // resumed, or an anonymous suite
	}

	// Was a client certificate requested, in any handshake on the
	// connection? TLS <= 1.2 says so in the clear (and in a renegotiation
	// read with keys); TLS 1.3 only to a key log. A renegotiation that
	// could not be read leaves "no" open; so does, in TLS 1.3, a client
	// that offered post_handshake_auth while the server's records after
	// the handshake were not read to the connection's end.
	s.Evidence = EvidenceCleartext
	if tls13 || c.renegSeen && c.dec != nil && c.dec.decrypted() {
		s.Evidence = EvidenceKeylog
	}
	switch {
	case !c.sawSH:
	case sv.msgs.has(TypeCertificateRequest):
		s.CertReq = CertRequestedYes
	case c.renegHidden:
	case tls13 && !svRead:
	case tls13:
		if sv.finSeq > 0 && !c.phaOpen() {
			s.CertReq = CertRequestedNo
		}
	case abbrev || sv.msgs.has(TypeServerHelloDone):
		s.CertReq = CertRequestedNo
	}

	// What did the client answer the last CertificateRequest with?
	// Before one, what it sent at all.
	after := func(seq int) bool { return seq > 0 && seq > c.crSeq }
	flightSeen := after(cl.certSeq) || after(cl.ckeSeq) || after(cl.ccsSeq) || after(cl.noCertSeq) || after(cl.finSeq)
	// A Certificate too big for the Budget was not read, but an empty
	// list is 3 or 4 bytes: it carried certificates.
	certsSent := cl.certCount > 0 || cl.certUnread
	switch {
	case !c.sawSH:
	case c.renegHidden && c.crSeq > 0:
		// The renegotiation may have asked again.
	case tls13 && !clRead:
	case abbrev:
		s.ClientCert, s.ClientCerts = ClientCertNone, 0
	case cl.certSeen && after(cl.certSeq):
		s.ClientCerts = cl.certCount
		if cl.certCount > 0 {
			s.ClientCert = ClientCertSent
		} else {
			s.ClientCert = ClientCertEmpty
		}
	case cl.certUnread && after(cl.certSeq):
		s.ClientCert = ClientCertSent
	case cl.noCertAlrt && after(cl.noCertSeq):
		// SSLv3's way of answering "I have none" (RFC 6101 5.6.6):
		// the same answer TLS gives with an empty list.
		s.ClientCert, s.ClientCerts = ClientCertEmpty, 0
	case !flightSeen:
	case s.CertReq == CertRequestedYes:
		s.ClientCert, s.ClientCerts = ClientCertMissing, 0
	case s.CertReq == CertRequestedNo:
		s.ClientCert, s.ClientCerts = ClientCertNone, 0
	}
	if c.version == VersionTLS13 && !svRead && !clRead && s.CertReq == CertRequestedUnknown && s.ClientCert == ClientCertUnknown {
		c.inferClientAuth(s, cl)
	}
	if s.CertReq == CertRequestedUnknown && s.ClientCert == ClientCertUnknown {
		s.Evidence = EvidenceNone
	}
	switch s.ClientCert {
	case ClientCertEmpty:
		flags.Set(FlagClientCertEmpty)
	case ClientCertMissing:
		flags.Set(FlagClientCertMissing)
	}
	if cl.noCertAlrt {
		flags.Set(FlagNoCertificateAlert)
	}
	if (cl.certSeen || cl.certUnread) && s.CertReq == CertRequestedNo {
		flags.Set(FlagClientCertUnsolicited)
	}
	if cl.certCount > 0 && c.certReq != nil && len(c.certReq.CANames) > 0 && !issuedByAny(cl.issuers, c.certReq.CANames) {
		flags.Set(FlagClientCertIssuerNotRequested)
	}
	// The client's flight ended (TLS <= 1.2: its ChangeCipherSpec; TLS
	// 1.3: its Finished) after certificates without a CertificateVerify.
	if certsSent && cl.certSeq > 0 && max(cl.ccsSeq, cl.finSeq) > cl.certSeq && cl.cvSeq < cl.certSeq {
		flags.Set(FlagCertVerifyMissing)
	}
	// A fatal alert from the server after the client's certificate flight
	// (its Certificate, its ClientKeyExchange, or SSLv3's no_certificate)
	// answers that flight.
	if sv.msgs.has(TypeCertificateRequest) && c.fatalFrom >= 0 && c.isServer(int(c.fatalFrom)) {
		start := 0
		for _, q := range []int{cl.certSeq, cl.ckeSeq, cl.noCertSeq} {
			if after(q) && (start == 0 || q < start) {
				start = q
			}
		}
		if start > 0 && c.fatalSeq > start {
			flags.Set(FlagClientAuthFailed)
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

// phaOpen reports whether a TLS 1.3 server may still have asked for a
// certificate after the handshake unseen: the client offered
// post_handshake_auth and the server's records were not read with keys to
// the connection's end.
func (c *Conn) phaOpen() bool {
	if !c.phaOffered || c.phaSeq > 0 {
		return false
	}
	_, sv := c.roles()
	return c.dec.half[1-c.client].stopped || !sv.closed ||
		sv.lateGap || sv.gap || sv.err != nil || sv.cut || sv.skip > 0 || sv.leftover
}

// inferClientAuth sets the client-authentication verdicts of a TLS 1.3
// connection read without keys from its client's record lengths
// (inference.go), when they fit a layout.
func (c *Conn) inferClientAuth(s *Summary, cl *half) {
	req, cert, ok := inferClientAuth13(c.cipher, cl.sizes[:cl.nsizes])
	if !ok || c.phaOffered && req == CertRequestedNo {
		return
	}
	// The counts stay unknown: sizes tell whether certificates were sent,
	// not how many.
	s.CertReq, s.ClientCert, s.Evidence = req, cert, EvidenceRecordSizes
}
