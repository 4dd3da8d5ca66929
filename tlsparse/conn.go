package tlsparse

import (
	"errors"
)

// Options tune what a Conn keeps.
type Options struct {
	// KeepChains copies each side's certificates so that Summary can return
	// them (JSON detail output); without it only counts and issuers are kept.
	KeepChains bool
	// Budget bounds the bytes buffered by all the Conns that share it
	// (budget.go); nil means no bound, for tests and one-off parsing.
	Budget *Budget
	// Keys, if set, gives the secrets of the connections a key log knows
	// (by ClientHello random): their encrypted handshake records are
	// read (decrypt_conn.go). nil reads only the cleartext.
	Keys Keys
	// Trace keeps every handshake message and alert read, cleartext or
	// decrypted (Conn.Trace), for tests that compare with other tools.
	Trace bool
}

// Conn is one TCP connection's TLS state, shared by its two halves the way
// Zeek's analyzer shares one context between the directions. Halves are
// numbered 0 and 1 by the caller (tlsscan uses 0 for the sender of the first
// packet); which half is the client is decided by who sends the ClientHello,
// not by who opened the connection.
//
// A Conn is not safe for concurrent use.
type Conn struct {
	opts      Options
	half      [2]half
	client    int8 // half that sent the ClientHello, -1 until known
	initiator int8 // half that sent the SYN, -1 if not seen
	seq       int  // event counter: orders events across the two halves

	state      state // the handshake state machine (state.go)
	helloCount int   // cleartext ClientHellos seen
	hrr        bool
	sslv2Hello bool
	inDecrypt  bool // the message being handled was read decrypted

	// Client authentication across handshakes: crSeq is the event of the
	// last CertificateRequest (0: none), phaSeq that of a TLS 1.3
	// post-handshake one. A renegotiation (TLS <= 1.2) is renegSeen;
	// renegHidden when its messages could not be read.
	crSeq       int
	phaSeq      int
	renegSeen   bool
	renegHidden bool
	tickets13   int // TLS 1.3 NewSessionTickets read decrypted
	// ticketKeys are the keys of the tickets the server issued
	// (NewSessionTicket: cleartext before TLS 1.3, decrypted in TLS 1.3),
	// the first maxTicketKeys of them (summary.go).
	ticketKeys []TicketKey

	// The session a ClientHello offers to resume (summary.go): its
	// ticket (TLS <= 1.2, 0 for none) and its first pre_shared_key
	// identities (TLS 1.3), of the last ClientHello.
	chTicketKey TicketKey
	pskKeys     [maxPSKKeys]TicketKey

	// ClientHello facts (the last one before the final ServerHello).
	sni          string
	chSessionID  bool // non-empty session ID offered
	chTicket     bool // non-empty session ticket offered
	chOffers13   bool
	pskOffered   bool // in any ClientHello of this handshake
	earlyOffered bool // early_data in the last ClientHello
	early0Before int  // client application_data records before the ServerHello: 0-RTT data
	earlyAny     bool // early_data in any ClientHello (the one after a HelloRetryRequest must not carry it)
	haveRandom   bool
	clientRandom [32]byte
	phaOffered   bool // post_handshake_auth in any ClientHello of this handshake
	ticketOffers bool // any ClientHello offered a non-empty ticket
	// hello is the fingerprint facts of the first TLS-format
	// ClientHello (fingerprint.go), valid when hasHello. Set once, so a
	// Summary may point at it.
	hello    HelloFacts
	hasHello bool

	// ServerHello facts (the final one, not a HelloRetryRequest).
	sawSH       bool
	version     Version
	cipher      CipherSuite
	alpn        string
	sidEchoed   bool // the server echoed the client's non-empty session ID
	shPSK       bool
	shPSKSel    uint16 // the identity it selected
	shTicketExt bool
	shSessionID SessionIDKey // the ServerHello's session ID (summary.go)
	etm         bool         // encrypt_then_mac negotiated

	shFacts ServerHelloFacts // for JA3S (fingerprint.go), valid when sawSH; set once
	shExts  [8]ExtensionType // shFacts.Extensions' storage when they fit

	dec   *decState   // with Options.Keys (decrypt_conn.go)
	trace []TraceItem // with Options.Trace

	certReq *CertificateRequestInfo

	alertSeen       bool
	alertFrom       int8
	alertDesc       AlertDescription
	fatalFrom       int8 // -1 if no fatal cleartext alert
	fatalSeq        int
	oversize        bool   // a buffer did not fit the Budget (budget.go)
	history         []byte // letters; bit 7 set when sent by half 1
	anomalies       map[Anomaly]int
	clientSessionID []byte // owned copy, to test the echo
}

// CertificateRequestInfo is an owned copy of a CertificateRequest.
type CertificateRequestInfo struct {
	CertTypes []ClientCertificateType
	SigAlgs   []SignatureScheme // nil before TLS 1.2
	CANames   [][]byte          // DER distinguished names
}

// half is one direction's parser and what it has said.
type half struct {
	buf       []byte    // a handshake message that spans records (owned copy)
	msgSlot   int       // 1 + its index in the Budget's message holders, 0 when not one
	skip      int       // bytes still to pass of a message too big for the Budget
	pend      []byte    // unconsumed stream bytes: a record cut by a segment end (owned copy)
	want      int       // len(pend) at which parsing can go on; until then only append
	cut       bool      // stopped: a record did not fit the Budget
	off       int64     // stream offset of the next unconsumed byte
	started   bool      // the first byte of the stream has been looked at
	synced    bool      // positioned on a record boundary
	mid       bool      // the stream start was not captured
	scanned   int       // bytes skipped while looking for the first record
	notTLS    bool      // no TLS found within MaxScan
	err       error     // sticky first error
	gap       bool      // bytes missing: parsing stopped
	closed    bool      // FIN or RST seen
	leftover  bool      // the caller still held bytes of a cut record at Close
	partHello bool      // a ClientHello/ServerHello began but never completed
	adat      *adatHalf // GridFTP: TLS in FTP ADAT lines, decoded (gridftp.go)

	ccs       bool // sent ChangeCipherSpec
	ccsSeq    int  // event of its last ChangeCipherSpec
	encrypted bool // TLS <= 1.2 after its ChangeCipherSpec
	finished  bool // sent the encrypted Finished after its CCS
	finSeq    int  // event of its last Finished read (decrypted)
	cvSeq     int  // event of its last CertificateVerify
	watch     int  // TLS <= 1.2: bytes still followed after Finished for a renegotiation
	lateGap   bool // bytes lost after its Finished (no gap flag: the handshake was whole)
	bufDec    bool // buf holds a message read decrypted
	sizes     [3]int
	nsizes    int  // TLS 1.3: lengths of the first encrypted records (inference.go)
	appData   int  // application_data records
	enc13     int  // TLS 1.3 encrypted records after the ServerHello
	done      bool // nothing more to learn from this direction

	msgs       msgSet // the cleartext handshake messages sent, parsed or not
	certSeen   bool   // a Certificate was parsed: certCount is valid
	certUnread bool   // a Certificate too big for the Budget: one or more certificates, not read
	certCount  int
	certSeq    int
	issuers    [][]byte // owned copies of each certificate's issuer DN
	chain      [][]byte // owned copies, with Options.KeepChains
	ckeSeq     int
	noCertAlrt bool // SSLv3 no_certificate warning alert
	noCertSeq  int
}

// msgSet is a set of handshake types. It holds the types below 32, which
// are all of TLS 1.0-1.3's (KeyUpdate is 24); it does not record others.
type msgSet uint32

func (m *msgSet) add(t HandshakeType) {
	if t < 32 {
		*m |= 1 << t
	}
}

func (m msgSet) has(t HandshakeType) bool { return t < 32 && m&(1<<t) != 0 }

// NewConn returns a Conn with nothing seen yet.
func NewConn(opts Options) *Conn {
	return &Conn{opts: opts, client: -1, initiator: -1, fatalFrom: -1}
}

// TraceItem is a handshake message or an alert a Conn read (Options.Trace).
type TraceItem struct {
	Half      int
	Alert     bool  // an alert: Type is its description, Level its level
	Type      uint8 // the handshake type (a HelloRetryRequest is a ServerHello)
	Level     uint8
	Decrypted bool
}

// Trace returns what was read, in order, with Options.Trace.
func (c *Conn) Trace() []TraceItem { return c.trace }

// traceItem keeps it with Options.Trace, marked decrypted when it was.
func (c *Conn) traceItem(it TraceItem) {
	if c.opts.Trace {
		it.Decrypted = c.inDecrypt
		c.trace = append(c.trace, it)
	}
}

// SetInitiator records which half sent the SYN, so that a ClientHello from
// the other half is reported as a flip.
func (c *Conn) SetInitiator(h int) { c.initiator = int8(h) }

// SetMidstream says that half h's stream start was not captured: its first
// bytes may fall inside a record, so Feed searches for a record boundary.
func (c *Conn) SetMidstream(h int) {
	c.half[h].mid = true
	c.lose()
}

// Gap says bytes of half h are missing. Parsing that direction stops there:
// guessing where the next record starts would make verdicts up.
func (c *Conn) Gap(h int) {
	hf := &c.half[h]
	if c.watching(h) || c.tls13() && hf.finSeq > 0 {
		// Lost past the Finished: the handshake was whole. What ends
		// is the renegotiation watch, or the reading of TLS 1.3 records
		// after the handshake with a key log (lateGap: a post-handshake
		// CertificateRequest may have been lost).
		hf.done, hf.lateGap = true, true
		return
	}
	if !hf.done && hf.err == nil && !hf.notTLS {
		hf.gap = true
		c.lose()
	}
}

// Close says half h ended (FIN or RST); pending says how many bytes the
// caller still held unconsumed (Feed consumes everything, so a caller that
// only uses Feed passes 0). Bytes of a record cut short, held by the
// caller or by the Conn (half.cutShort), make the direction's end a
// truncation.
func (c *Conn) Close(h int, pending int) {
	hf := &c.half[h]
	hf.closed = true
	if pending > 0 && hf.Wants() {
		hf.leftover = true
	}
}

// Release gives back the buffers of both halves to the Budget: the caller
// is done with the Conn (its Summary was taken). The Conn must not be fed
// afterwards; Summary still works.
func (c *Conn) Release() {
	for h := range c.half {
		release(c.opts.Budget, &c.half[h].pend)
		c.releaseMsg(h)
	}
}

// releaseMsg gives back half h's message buffer.
func (c *Conn) releaseMsg(h int) {
	c.opts.Budget.dropMsg(c, h)
	release(c.opts.Budget, &c.half[h].buf)
}

// Wants reports whether half h's payload can still change the summary; once
// it cannot, the caller should stop reassembling it and only count bytes.
func (c *Conn) Wants(h int) bool { return c.half[h].Wants() }

func (hf *half) Wants() bool { return !hf.done && hf.err == nil && !hf.gap && !hf.notTLS && !hf.cut }

// IsTLS reports whether a ClientHello or ServerHello was seen, if only its
// beginning: the test for a connection to get a row.
func (c *Conn) IsTLS() bool {
	return c.helloCount > 0 || c.sawSH || c.hrr || c.half[0].partHello || c.half[1].partHello
}

// NotTLS reports whether both directions have been given up on as not TLS,
// or one has and the other carried nothing that looked like TLS.
func (c *Conn) NotTLS() bool {
	return !c.IsTLS() && (c.half[0].notTLS || c.half[0].err != nil) && (c.half[1].notTLS || c.half[1].err != nil)
}

// Feed parses the next bytes of half h and returns how many it consumed,
// which is all of them: bytes that end inside a record are copied into the
// Conn (within the Budget) and parsed when the record is whole. A caller
// that passes back the unconsumed rest, as gopacket's KeepFrom would, never
// has one. data is not retained after Feed returns.
//
// The cost is linear in the bytes of a direction however they are cut:
// whole records in data are parsed in place (no copy), and a record cut
// into pieces is copied once, its parse retried only when enough bytes for
// it have arrived (want), not at every piece.
//
// A GridFTP control connection (TLS base64-encoded in FTP ADAT lines,
// gridftp.go) is recognised by its client's first line; both halves are
// then decoded before parsing.
func (c *Conn) Feed(h int, data []byte) int {
	hf := &c.half[h]
	total := len(data)
	if hf.adat == nil && !hf.synced && hf.Wants() {
		switch c.adatSwitch(h, data) {
		case adatWait:
			c.hold(h, data)
			hf.want = len(hf.pend) + 1
			return total
		case adatNow:
			// What was held is a prefix of "AUTH GSSAPI" or a bit of
			// "ADAT": raw text, which goes through the decoder, while
			// hf.pend is left for the decoded stream.
			held := append([]byte(nil), hf.pend...)
			release(c.opts.Budget, &hf.pend)
			hf.want = 0
			c.adatHalfFeed(h, held)
		}
	}
	if hf.adat != nil {
		if hf.Wants() {
			c.adatHalfFeed(h, data)
		}
		return total
	}
	return c.feedBytes(h, data)
}

type adatSwitchResult uint8

const (
	adatNo adatSwitchResult = iota
	adatWait
	adatNow
)

// adatSwitch puts half h in GridFTP mode (gridftp.go): the client when
// its stream starts with AUTH GSSAPI, the server when its peer is such a
// client. The decoded bytes are a stream of their own, read from its start.
func (c *Conn) adatSwitch(h int, data []byte) adatSwitchResult {
	hf := &c.half[h]
	if peer := c.half[1-h].adat; peer != nil && peer.side == adatClient {
		hf.adat = newADATHalf(adatServer)
		hf.pend, hf.want = hf.pend[:0], 0 // banner text held by the scan
	} else {
		if hf.started {
			return adatNo
		}
		head := data
		if len(hf.pend) > 0 {
			head = append(hf.pend[:len(hf.pend):len(hf.pend)], data...)
		}
		ok, need := adatStart(head)
		switch {
		case need:
			return adatWait
		case !ok:
			return adatNo
		}
		hf.adat = newADATHalf(adatClient)
	}
	hf.started, hf.scanned, hf.off = false, 0, 0
	return adatNow
}

// adatHalfFeed decodes data, the next raw bytes of GridFTP half h, and
// parses the TLS bytes that come out.
func (c *Conn) adatHalfFeed(h int, data []byte) {
	hf := &c.half[h]
	tls, st := hf.adat.feed(data)
	if len(tls) > 0 {
		c.feedBytes(h, tls)
	}
	if !hf.Wants() {
		return
	}
	switch st {
	case adatDone:
		hf.done = true
	case adatNotTLS:
		hf.notTLS = true
		c.lose()
	case adatBad:
		c.anomaly(AnomalyADATUndecodable)
		hf.done = true
		c.lose()
	}
	if !hf.Wants() {
		release(c.opts.Budget, &hf.pend)
	}
}

// feedBytes is Feed on the stream's bytes, raw or decoded.
func (c *Conn) feedBytes(h int, data []byte) int {
	hf := &c.half[h]
	total := len(data)
	for len(data) > 0 && hf.Wants() {
		if len(hf.pend) == 0 {
			n := c.feed(h, data)
			if n < len(data) && hf.Wants() {
				c.hold(h, data[n:])
			}
			break
		}
		// Exactly what the pending bytes lack (a record, an SSLv2
		// hello, what the scan for a first record needs to decide):
		// the rest of data is parsed in place on the next turn.
		k := min(len(data), max(hf.want-len(hf.pend), 1))
		if !c.hold(h, data[:k]) {
			break
		}
		data = data[k:]
		if len(hf.pend) < hf.want {
			continue
		}
		n := c.feed(h, hf.pend)
		hf.pend = hf.pend[:copy(hf.pend, hf.pend[n:])]
	}
	if !hf.Wants() {
		release(c.opts.Budget, &hf.pend)
	}
	return total
}

// hold appends p to half h's pending bytes, within the Budget. A record
// that does not fit ends the direction: without its bytes the next record
// boundary is unknown.
func (c *Conn) hold(h int, p []byte) bool {
	hf := &c.half[h]
	if appendHeld(c.opts.Budget, &hf.pend, p, hf.want) {
		return true
	}
	if len(hf.buf) >= 4 {
		// The message being gathered is what the budget cannot hold,
		// whether it is noticed while growing it or, as here, while
		// holding the record that continues it: pass over it and keep
		// the record boundary. The outcome then does not depend on
		// where the segments were cut.
		c.messageTooBig(h, 4+u24(hf.buf[1:4]), nil)
		if appendHeld(c.opts.Budget, &hf.pend, p, hf.want) {
			return true
		}
	}
	hf.cut = true
	c.overBudget()
	c.lose()
	return false
}

// overBudget marks the connection oversize, counting it once in the Budget.
func (c *Conn) overBudget() {
	if !c.oversize && c.opts.Budget != nil {
		c.opts.Budget.cut++
	}
	c.oversize = true
}

// feed parses data, which starts at half h's next unconsumed byte, and
// returns how many bytes it consumed. When it stops short it sets hf.want:
// how many bytes from there it needs before trying again.
func (c *Conn) feed(h int, data []byte) int {
	hf := &c.half[h]
	n := 0
	if !hf.synced {
		k, ok := c.sync(h, data)
		n = k
		if !ok {
			hf.off += int64(n)
			return n
		}
	}
	for n < len(data) && hf.Wants() {
		rec, used, err := ParseRecord(data[n:])
		if err == ErrNeedMore {
			c.notePartialHello(h, data[n:])
			hf.want = recordNeed(data[n:], hf.partHello || hf.encrypted || hf.inMessage())
			break
		}
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.Offset += int(hf.off) + n
			}
			c.fail(h, err)
			n = len(data)
			break
		}
		c.record(h, rec)
		n += used
	}
	hf.off += int64(n)
	return n
}

// sync positions half h on its first record. It returns how many bytes it
// consumed (skipped, or an SSLv2 hello) and whether the stream is now on a
// record boundary.
func (c *Conn) sync(h int, data []byte) (int, bool) {
	hf := &c.half[h]
	// The stream-start tests (SSLv2 hello, a record header at offset 0)
	// need a whole header; with fewer bytes, wait rather than decide.
	if !hf.started && len(data) < RecordHeaderLen && !hf.mid {
		hf.want = RecordHeaderLen
		return 0, false
	}
	if !hf.started && len(data) >= RecordHeaderLen {
		hf.started = true
		if !hf.mid && IsSSLv2ClientHello(data) {
			ch, used, err := ParseSSLv2ClientHello(data)
			if err == ErrNeedMore {
				hf.started = false
				hf.want = sslv2Len(data)
				return 0, false
			}
			if err != nil {
				c.fail(h, err)
				return len(data), false
			}
			c.sslv2Hello = true
			c.clientHello(h, &ch)
			hf.synced = true
			return used, true
		}
		if headerOK(data) && !hf.mid {
			hf.synced = true
			return 0, true
		}
	}
	// The stream did not start with a record: either it began before the
	// capture did, or TLS follows a cleartext preamble (STARTTLS, the
	// PostgreSQL and MySQL requests). Look for a record boundary; one header
	// alone matches noise too often, so plausibleRecordAt wants a second
	// sign (a following header, or a known first handshake message).
	for i := 0; i < len(data); i++ {
		if hf.scanned+i >= MaxScan {
			hf.notTLS = true
			c.lose()
			return len(data), false
		}
		ok, need := plausibleRecordAt(data, i)
		if ok {
			if hf.scanned+i > 0 {
				c.anomaly(AnomalyResync)
			}
			hf.synced = true
			hf.scanned += i
			return i, true
		}
		if need {
			hf.scanned += i
			hf.want = scanNeed(data, i)
			return i, false
		}
	}
	hf.scanned += len(data)
	return len(data), false
}

// notePartialHello records that b, an incomplete record, starts a
// ClientHello or ServerHello: if the stream ends here (a killed tcpdump, a
// snaplen, a peer that gave up) the connection was still a TLS attempt and
// deserves a row flagged truncated.
func (c *Conn) notePartialHello(h int, b []byte) {
	// Only a record that starts a message can start a hello: not one
	// continuing a message that spans records (held or passed over), nor
	// ciphertext.
	hf := &c.half[h]
	if len(b) <= RecordHeaderLen || ContentType(b[0]) != ContentHandshake || hf.encrypted || hf.inMessage() {
		return
	}
	c.partialHello(h, HandshakeType(b[RecordHeaderLen]))
}

// inMessage reports whether half h's next handshake bytes continue a
// message begun in an earlier record: one being gathered in hf.buf, or one
// over the budget being passed over (hf.skip).
func (hf *half) inMessage() bool { return len(hf.buf) > 0 || hf.skip > 0 }

// recordNeed is how many bytes the incomplete record at the start of b
// needs before it can be parsed: its header, then its whole body. One byte
// past the header comes first when notePartialHello may want to see the
// type of the message the record starts.
func recordNeed(b []byte, typeKnown bool) int {
	switch {
	case len(b) < RecordHeaderLen:
		return RecordHeaderLen
	case len(b) == RecordHeaderLen && !typeKnown && ContentType(b[0]) == ContentHandshake:
		return RecordHeaderLen + 1
	}
	return RecordHeaderLen + (int(b[3])<<8 | int(b[4]))
}

func (c *Conn) partialHello(h int, t HandshakeType) {
	if t == TypeClientHello || t == TypeServerHello {
		c.half[h].partHello = true
		c.roleHint(h, impliedRole(t))
	}
}

func (c *Conn) fail(h int, err error) {
	if c.half[h].err == nil {
		c.half[h].err = err
		c.lose()
	}
}

// step moves the state machine on by a message of type t from half h. It
// counts AnomalyUnexpectedMessage when next says t cannot come now, and
// reports whether it could.
func (c *Conn) step(h int, t HandshakeType, tls13 bool) bool {
	s, ok := next(c.state, c.roleOf(h), t, tls13)
	if !ok {
		c.anomaly(AnomalyUnexpectedMessage)
	}
	c.state = s
	return ok
}

// lose says the capture misses some of the handshake's messages: a
// direction's start was not captured, bytes were lost, or a direction
// stopped at bytes that are malformed or not TLS. The state machine can no
// longer tell which message should come next.
func (c *Conn) lose() { c.state = stateLost }

func (c *Conn) anomaly(a Anomaly) {
	if c.anomalies == nil {
		c.anomalies = make(map[Anomaly]int)
	}
	c.anomalies[a]++
}

// isServer reports whether half h is known to be the server.
func (c *Conn) isServer(h int) bool { return c.client >= 0 && int(c.client) != h }

// roleOf is half h's role, unknown until the roles are fixed.
func (c *Conn) roleOf(h int) role {
	switch {
	case c.client < 0:
		return roleUnknown
	case int(c.client) == h:
		return roleClient
	}
	return roleServer
}

func (c *Conn) tls13() bool { return c.sawSH && c.version.IsTLS13() }

func (c *Conn) record(h int, rec Record) {
	hf := &c.half[h]
	c.seq++
	switch rec.Type {
	case ContentChangeCipherSpec:
		if hf.encrypted && c.sawSH && !c.tls13() {
			// A renegotiation's CCS, protected by the keys it ends.
			c.decrypt12(h, rec)
			hf.ccs, hf.ccsSeq = true, c.seq
			c.ccs12(h)
			return
		}
		c.addHistory(h, letterCCS)
		hf.ccs, hf.ccsSeq = true, c.seq
		if !c.sawSH {
			// TLS 1.3 clients send a compatibility CCS right after the
			// ClientHello when they send early data, and a second
			// ClientHello may follow: nothing changes. Otherwise a CCS
			// ends the cleartext whatever came before: in a capture that
			// starts after the hellos, the next handshake record is the
			// encrypted Finished, not a message to parse.
			if c.chOffers13 {
				return
			}
			if c.helloCount > 0 {
				c.anomaly(AnomalyCCSBeforeHello)
			}
			hf.encrypted = true
			return
		}
		if !c.tls13() {
			hf.encrypted = true
			c.ccs12(h)
		}
	case ContentAlert:
		if hf.encrypted && c.decrypt12(h, rec) {
			return
		}
		if hf.encrypted || len(rec.Fragment)%2 != 0 || len(rec.Fragment) == 0 {
			// An encrypted alert: its description cannot be read.
			if len(rec.Fragment) == 0 {
				c.anomaly(AnomalyEmptyRecord)
			}
			return
		}
		for i := 0; i+1 < len(rec.Fragment); i += 2 {
			a := Alert{Level: AlertLevel(rec.Fragment[i]), Description: AlertDescription(rec.Fragment[i+1])}
			c.alert(h, a)
		}
	case ContentHandshake:
		if hf.encrypted {
			if c.decrypt12(h, rec) {
				hf.watch = renegWatch
				return
			}
			if !hf.finished {
				// The first handshake record after CCS is the
				// encrypted Finished. The direction is followed a
				// little further (headers only) for a renegotiation.
				hf.finished, hf.watch = true, renegWatch
				return
			}
			// A handshake record after the Finished: a renegotiation,
			// whose messages cannot be read.
			c.renegSeen, c.renegHidden = true, true
			hf.done = true
			return
		}
		if len(rec.Fragment) == 0 {
			c.anomaly(AnomalyEmptyRecord)
			return
		}
		c.handshakeFragment(h, rec.Fragment)
	case ContentApplicationData:
		hf.appData++
		switch {
		case c.tls13():
			// Under TLS 1.3 everything after the ServerHello is
			// application_data on the wire; the first such record of a
			// side is the start of its encrypted flight, and nothing in
			// the clear follows it. With a key log it is read; the
			// client's first records' lengths are kept (inference.go).
			hf.enc13++
			wantSizes := c.noteSize13(h, len(rec.Fragment))
			if !c.decrypt13(h, rec) && !wantSizes {
				hf.done = true
			}
		case c.sawSH && hf.finished && hf.watch > 0:
			// TLS <= 1.2 application data after the Finished: only
			// counted (and, with keys, its sequence number), while
			// watching for a renegotiation.
			c.decrypt12(h, rec)
			if hf.watch -= RecordHeaderLen + len(rec.Fragment); hf.watch <= 0 {
				hf.done = true
			}
		case c.sawSH:
			hf.done = true
		}
	case ContentHeartbeat:
		if hf.encrypted {
			c.decrypt12(h, rec) // counted: the sequence number goes on
			return
		}
		c.addHistory(h, letterHeartbeat)
		c.anomaly(AnomalyHeartbeat)
	}
}

func (c *Conn) alert(h int, a Alert) {
	c.traceItem(TraceItem{Half: h, Alert: true, Type: uint8(a.Description), Level: uint8(a.Level)})
	c.addHistory(h, letterAlert)
	if a.Level == AlertWarning && a.Description == 41 {
		// SSLv3's no_certificate: the client's answer to a
		// CertificateRequest when it has no certificate.
		c.half[h].noCertAlrt = true
		c.half[h].noCertSeq = c.seq
		c.anomaly(AnomalyNoCertificateAlert)
	}
	if !c.alertSeen && !(c.inDecrypt && a.Description == 0) {
		// A decrypted close_notify is not the connection's alert: it
		// is how every connection read with keys ends, and without
		// keys it is invisible.
		c.alertSeen, c.alertFrom, c.alertDesc = true, int8(h), a.Description
	}
	// Up to TLS 1.2 the level decides: a warning-level unrecognized_name
	// (RFC 6066 3) lets the handshake go on. TLS 1.3 ignores the level and
	// makes every alert but close_notify and user_canceled fatal (RFC 8446
	// 6). close_notify never counts, whatever level a peer gives it.
	if c.fatalFrom < 0 && a.Description != 0 &&
		(a.Level == AlertFatal || c.tls13() && fatalByDefinition(a.Description)) {
		c.fatalFrom, c.fatalSeq = int8(h), c.seq
	}
}

// fatalByDefinition reports whether RFC 8446 6.2 says the alert is always
// fatal (TLS 1.3 ignores the level field).
func fatalByDefinition(d AlertDescription) bool {
	switch d {
	case 0, 41, 90, 100: // close_notify, no_certificate, user_canceled, no_renegotiation
		return false
	}
	return true
}

// handshakeFragment splits a handshake record into messages. Messages that
// fit in the record are parsed in place; one that runs past its record is
// copied into hf.buf until complete, within the Budget. A message that does
// not fit is passed over to its end (hf.skip): the messages after it are
// parsed as usual.
func (c *Conn) handshakeFragment(h int, frag []byte) {
	hf := &c.half[h]
	if hf.skip > 0 {
		k := min(hf.skip, len(frag))
		hf.skip -= k
		frag = frag[k:]
	}
	if len(hf.buf) > 0 {
		frag = c.continueMessage(h, frag)
	}
	for len(frag) > 0 && hf.Wants() {
		typ, whole := HandshakeType(frag[0]), len(frag)+1 // header cut: more than there is
		if len(frag) >= 4 {
			whole = 4 + u24(frag[1:4])
		}
		if len(frag) < whole {
			// The message runs past its record. Its type byte alone
			// makes a hello a TLS attempt, as notePartialHello's does
			// in a record cut short: otherwise whether the connection
			// gets a row would depend on where the segments end.
			c.partialHello(h, typ)
			c.bufferMessage(h, frag)
			return
		}
		c.message(h, typ, frag[4:whole:whole])
		frag = frag[whole:]
	}
}

// bufferMessage starts hf.buf with the first bytes of a message that runs
// past its record.
func (c *Conn) bufferMessage(h int, p []byte) {
	c.half[h].buf = c.half[h].buf[:0]
	c.continueMessage(h, p)
}

// continueMessage adds the bytes of frag that belong to the message in
// hf.buf, handles the message once it is whole, and returns the rest of
// frag.
func (c *Conn) continueMessage(h int, frag []byte) []byte {
	hf := &c.half[h]
	whole := 4
	if len(hf.buf) >= 4 {
		whole += u24(hf.buf[1:4])
	} else if len(hf.buf)+len(frag) >= 4 {
		var hdr [4]byte
		copy(hdr[copy(hdr[:], hf.buf):], frag)
		whole += u24(hdr[1:4])
	}
	k := min(whole-len(hf.buf), len(frag))
	hf.bufDec = c.inDecrypt
	if !appendHeld(c.opts.Budget, &hf.buf, frag[:k], whole) {
		c.messageTooBig(h, whole, frag)
		return frag[min(k, len(frag)):]
	}
	frag = frag[k:]
	if len(hf.buf) < whole {
		if len(hf.buf) >= 4 {
			c.opts.Budget.holdMsg(c, h)
		}
		return frag
	}
	c.opts.Budget.dropMsg(c, h)
	c.message(h, HandshakeType(hf.buf[0]), hf.buf[4:whole:whole])
	if cap(hf.buf) > keepBuf {
		release(c.opts.Budget, &hf.buf)
	} else {
		hf.buf = hf.buf[:0]
	}
	return frag
}

// keepBuf is the largest message buffer a half keeps for the next message;
// a bigger one goes back to the Budget once its message is handled.
const keepBuf = 16 << 10

// messageTooBig handles a message whose bytes do not fit the Budget. With
// its header known, the message is counted by type and passed over to its
// end (hf.skip counts what remains past frag); without it, the direction
// cannot go on.
func (c *Conn) messageTooBig(h int, whole int, frag []byte) {
	hf := &c.half[h]
	c.overBudget()
	if len(hf.buf)+len(frag) < 4 {
		hf.cut = true
		c.lose()
		c.releaseMsg(h)
		return
	}
	var hdr [4]byte
	copy(hdr[copy(hdr[:], hf.buf):], frag)
	hf.skip = whole - len(hf.buf) - min(whole-len(hf.buf), len(frag))
	c.releaseMsg(h)
	c.messageUnread(h, HandshakeType(hdr[0]))
}

func u24(b []byte) int { return int(b[0])<<16 | int(b[1])<<8 | int(b[2]) }

// message handles one complete handshake message. body is valid only during
// the call.
func (c *Conn) message(h int, t HandshakeType, body []byte) {
	hf := &c.half[h]
	c.messageSeen(h, t)
	switch t {
	case TypeClientHello:
		ch, err := ParseClientHello(body)
		if err != nil {
			c.fail(h, err)
			return
		}
		c.clientHello(h, &ch)
	case TypeServerHello:
		sh, err := ParseServerHello(body)
		if err != nil {
			c.addHistory(h, historyLetter(t))
			c.fail(h, err)
			return
		}
		if sh.HRR {
			t = TypeHelloRetryRequest
		}
		c.addHistory(h, historyLetter(t))
		c.serverHello(h, t, &sh)
	case TypeCertificate:
		// The message itself proves a full handshake even when its body
		// turns out malformed (hf.msgs has it); only the count is then
		// unknown.
		cert, err := ParseCertificate(body, c.tls13())
		if err != nil {
			c.fail(h, err)
			return
		}
		hf.certSeen, hf.certCount, hf.certSeq = true, len(cert.Certificates), c.seq
		hf.issuers = hf.issuers[:0]
		for _, der := range cert.Certificates {
			if iss, ok := CertIssuer(der); ok {
				hf.issuers = append(hf.issuers, clone(iss))
			}
			if c.opts.KeepChains {
				hf.chain = append(hf.chain, clone(der))
			}
		}
	case TypeHelloRetryRequest:
		// Drafts before -22 had a message of its own for this.
		c.hrr = true
	case TypeCertificateRequest:
		v := c.version
		if !c.sawSH {
			v = VersionTLS12 // mid-stream: the record version is the best hint
		}
		cr, err := ParseCertificateRequest(body, v)
		if err != nil {
			c.fail(h, err)
			return
		}
		info := &CertificateRequestInfo{CANames: make([][]byte, 0, len(cr.CANames))}
		for _, t := range cr.CertTypes {
			info.CertTypes = append(info.CertTypes, ClientCertificateType(t))
		}
		for i := 0; i+1 < len(cr.SigAlgs); i += 2 {
			info.SigAlgs = append(info.SigAlgs, SignatureScheme(uint16(cr.SigAlgs[i])<<8|uint16(cr.SigAlgs[i+1])))
		}
		for _, dn := range cr.CANames {
			info.CANames = append(info.CANames, clone(dn))
		}
		for _, a := range cr.Anomalies {
			c.anomaly(a)
		}
		if int(c.client) != h {
			c.certReq = info
		}
	case TypeClientKeyExchange:
		hf.ckeSeq = c.seq
	case TypeNewSessionTicket:
		if !c.tls13() {
			t, err := ParseNewSessionTicket(body)
			if err != nil {
				c.fail(h, err)
				return
			}
			c.ticketIssued(h, t.Ticket)
		} else {
			c.tickets13++
			if t, ok := NewSessionTicket13Ticket(body); ok {
				c.ticketIssued(h, t)
			}
		}
	case TypeEncryptedExtensions:
		ee, err := ParseEncryptedExtensions(body)
		if err != nil {
			c.fail(h, err)
			return
		}
		for _, a := range ee.Anomalies {
			c.anomaly(a)
		}
		if c.dec != nil {
			c.dec.eeSeen, c.dec.eeEarly = true, ee.EarlyData
		}
	case TypeFinished:
		if c.inDecrypt {
			// Keys change after it, at the record's end (decrypt13).
			c.dec.half[h].finDone = true
			if !c.tls13() {
				hf.finished = true
			}
		}
	case TypeKeyUpdate:
		if c.dec != nil && c.inDecrypt {
			c.dec.half[h].keyUpd = true
		}
	case TypeHelloRequest:
		if c.inDecrypt {
			c.renegSeen = true
		}
	}
}

// messageSeen records what a message of type t from half h tells before
// its body is read.
func (c *Conn) messageSeen(h int, t HandshakeType) {
	c.seq++
	hf := &c.half[h]
	hf.msgs.add(t)
	switch t {
	case TypeCertificateRequest:
		// Only a server's request counts; one from the client (a
		// confused or hostile peer) must not hide its own answer.
		if c.client < 0 || int(c.client) != h {
			c.crSeq = c.seq
			if c.tls13() && hf.finSeq > 0 {
				c.phaSeq = c.seq
			}
		}
	case TypeCertificateVerify:
		hf.cvSeq = c.seq
	case TypeFinished:
		hf.finSeq = c.seq
	}
	c.traceItem(TraceItem{Half: h, Type: uint8(t)})
	if c.inDecrypt {
		// Decrypted messages do not move the cleartext state machine
		// (nor the history: addHistory).
		if t == TypeClientHello || t == TypeServerHello {
			c.roleHint(h, impliedRole(t))
		}
		return
	}
	// A hello counts whether or not it parses: the connection was a TLS
	// attempt and gets a row, as when the hello is cut short.
	c.partialHello(h, t)
	c.roleHint(h, impliedRole(t))
	if t != TypeServerHello {
		// A ServerHello's letter waits for its body: it may be a
		// HelloRetryRequest.
		c.addHistory(h, historyLetter(t))
	}
	if t != TypeClientHello && t != TypeServerHello {
		// The hellos move the state machine once parsed: what may follow
		// a ServerHello depends on what it negotiated.
		c.step(h, t, false)
	}
}

// messageUnread records a message that was too big for the Budget: its
// type is known, its body was not kept. A Certificate still proves a full
// handshake and, being longer than an empty list, that certificates were
// sent; a CertificateRequest still says one was asked for. A hello that is
// not read leaves its facts unknown and the state machine lost.
func (c *Conn) messageUnread(h int, t HandshakeType) {
	hf := &c.half[h]
	c.messageSeen(h, t)
	switch t {
	case TypeServerHello:
		c.addHistory(h, historyLetter(t))
		c.lose()
	case TypeClientHello:
		c.lose()
	case TypeCertificate:
		hf.certUnread, hf.certSeq = true, c.seq
	}
}

// impliedRole is the side that sends t, for the messages whose type fixes
// the roles in a capture that starts after the hellos; roleUnknown for the
// others (a Certificate comes from either side).
func impliedRole(t HandshakeType) role {
	switch t {
	case TypeClientHello, TypeClientKeyExchange:
		return roleClient
	case TypeServerHello, TypeHelloRetryRequest, TypeServerKeyExchange, TypeCertificateRequest,
		TypeServerHelloDone, TypeNewSessionTicket:
		return roleServer
	}
	return roleUnknown
}

// roleHint fixes the roles, if they are not yet, from a message that
// only side r sends.
func (c *Conn) roleHint(h int, r role) {
	switch {
	case c.client >= 0:
	case r == roleClient:
		c.client = int8(h)
	case r == roleServer:
		c.client = int8(1 - h)
	}
}

func (c *Conn) clientHello(h int, ch *ClientHello) {
	if c.inDecrypt {
		// A renegotiation's ClientHello, under the first handshake's
		// keys: its random names its keys in the key log. TLS 1.3 has
		// no renegotiation.
		if c.sawSH && int(c.client) == h && !c.tls13() {
			c.renegSeen = true
			c.renegClientHello(ch)
		}
		return
	}
	if ch.SSLv2 {
		c.addHistory(h, historyLetter(TypeClientHello))
	}
	c.helloCount++
	c.roleHint(h, roleClient) // an SSLv2 hello did not go through message
	ok := c.step(h, TypeClientHello, false)
	if int(c.client) != h {
		// Both sides sent a ClientHello (step counted it): keep the
		// first sender as client.
		return
	}
	if c.sawSH {
		// A cleartext ClientHello after the ServerHello must not
		// overwrite the first handshake's facts. Before TLS 1.3 it starts
		// a renegotiation in the clear; after a TLS 1.3 ServerHello it
		// cannot come at all, and step counted it.
		if ok {
			c.anomaly(AnomalyRenegotiation)
			c.renegSeen = !c.tls13()
		}
		return
	}
	for _, a := range ch.Anomalies {
		c.anomaly(a)
	}
	c.sni = string(ch.ServerName)
	c.chSessionID = len(ch.SessionID) > 0
	c.chTicket = len(ch.SessionTicket) > 0
	c.chOffers13 = c.chOffers13 || ch.OffersTLS13()
	c.pskOffered = c.pskOffered || ch.HasPSK
	c.chTicketKey = ticketKey(ch.SessionTicket)
	for i := range c.pskKeys {
		c.pskKeys[i] = ticketKey(ch.PSKIdentity(i))
	}
	c.phaOffered = c.phaOffered || ch.PostHandshakeAuth
	c.ticketOffers = c.ticketOffers || c.chTicket
	c.earlyOffered = ch.EarlyData
	c.earlyAny = c.earlyAny || ch.EarlyData
	if !c.hasHello && !ch.SSLv2 {
		// The first hello only: JA4 fingerprints the one before a
		// HelloRetryRequest.
		c.hello.fill(ch)
		c.hasHello = true
	}
	c.clientSessionID = append(c.clientSessionID[:0], ch.SessionID...)
	if len(ch.Random) == 32 {
		c.haveRandom = true
		copy(c.clientRandom[:], ch.Random)
	}
}

// serverHello takes the facts of a ServerHello, t being TypeServerHello or
// TypeHelloRetryRequest.
func (c *Conn) serverHello(h int, t HandshakeType, sh *ServerHello) {
	if c.inDecrypt {
		if c.sawSH && c.isServer(h) && !c.tls13() {
			c.renegServerHello(sh)
		}
		return
	}
	c.step(h, t, sh.NegotiatedVersion().IsTLS13())
	if int(c.client) == h {
		// A ServerHello from the client (step counted it): the roles
		// stand.
		return
	}
	for _, a := range sh.Anomalies {
		c.anomaly(a)
	}
	if sh.HRR {
		c.hrr = true
		return
	}
	if c.sawSH {
		// A second ServerHello (step counted it, unless it answers a
		// renegotiation) must not overwrite the first's facts.
		return
	}
	c.sawSH = true
	c.version = sh.NegotiatedVersion()
	c.cipher = sh.CipherSuite
	c.alpn = string(sh.ALPN)
	c.sidEchoed = len(sh.SessionID) > 0 && string(sh.SessionID) == string(c.clientSessionID)
	c.shPSK = sh.HasPSK
	c.shPSKSel = sh.PSKSelected
	c.shTicketExt = sh.HasSessionTicket
	c.shSessionID = sessionIDKey(sh.SessionID)
	c.etm = sh.EncryptThenMAC
	c.shFacts.fill(sh, c.shExts[:])
	if c.client >= 0 {
		c.early0Before = c.half[c.client].appData
	}
	if keysOn(c.opts.Keys) {
		// Decryption state only for connections a key log may cover.
		c.dec = &decState{gen: 1}
		copy(c.dec.serverRandom[:], sh.Random)
	}
}

// ticketIssued keeps the key of a ticket the server issued: the first
// maxTicketKeys of the connection's non-empty ones (RFC 5077 3.3: an empty
// one issues none).
func (c *Conn) ticketIssued(h int, ticket []byte) {
	if c.isServer(h) && len(ticket) > 0 && len(c.ticketKeys) < maxTicketKeys {
		c.ticketKeys = append(c.ticketKeys, ticketKey(ticket))
	}
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
