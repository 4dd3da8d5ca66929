package tlsparse

import "encoding/base64"

// GridFTP carries TLS inside FTP's security exchange (RFC 2228). The client
// sends "AUTH GSSAPI", the server accepts with 334, and then the GSS-API
// context tokens travel base64-encoded in text lines: the client's in
// "ADAT <base64>" commands, the server's in "335 ADAT=<base64>" replies
// ("235 ADAT=" on the last one, "334 ADAT=" allowed too). Globus' GSI
// mechanism does not frame its tokens (RFC 2743 3.1): each one is simply the
// TLS records OpenSSL wrote, so the decoded tokens of one direction, put end
// to end, are that direction's TLS stream. After the exchange, protected
// commands (ENC, MIC, CONF) and replies (631-633) carry TLS application data,
// which has nothing left to tell.
//
// adatHalf turns one direction of such a control connection into its TLS
// stream. Unlike the other cleartext preambles (STARTTLS, the PostgreSQL and
// MySQL requests), which are skipped to the first record boundary, these
// bytes must be decoded, so they cannot be parsed in place: the decoded
// bytes go to an owned buffer, reused from one feed to the next. The decoder
// works a byte at a time and keeps only a line's first few bytes and a
// partial base64 quantum between calls, so lines and CRLFs may be cut
// anywhere by segment boundaries and a long token costs no line buffer.

// Limits of the ADAT decoder, per direction.
const (
	// adatMaxText bounds an FTP line that carries no token (a command, a
	// reply, a banner line). RFC 959 lines are short; a longer one means
	// the stream is not the FTP control connection it looked like.
	adatMaxText = 4096
	// adatMaxToken bounds one base64 token (one ADAT line). A GSI token
	// is one TLS flight: a few records, well under this.
	adatMaxToken = 1 << 20
	// adatMaxPreamble bounds the FTP bytes before the first token, as
	// MaxScan bounds the other preambles.
	adatMaxPreamble = MaxScan
	// adatMaxDecoded bounds the decoded bytes of one direction: the whole
	// TLS handshake, certificate chains included.
	adatMaxDecoded = 4 << 20
	// adatHeadLen is how much of a line is kept to classify it: enough
	// for "AUTH GSSAPI" and "335-  ADAT=" with a little leading space.
	adatHeadLen = 16
)

// adatSide says which end of the FTP control connection a half is.
type adatSide uint8

const (
	adatClient adatSide = iota // sends commands: AUTH, ADAT
	adatServer                 // sends replies: 334, 335, 235
)

// adatStatus is what an adatHalf says after a feed. Every status but
// adatMore is final: later feeds return nothing and the same status.
type adatStatus uint8

const (
	// adatMore: keep feeding.
	adatMore adatStatus = iota
	// adatDone: the security exchange ended (235, 232/234, a refusal, a
	// reissued AUTH, a protected command or reply). What follows is FTP
	// with nothing more to decode; the direction has said all it will.
	adatDone
	// adatNotTLS: not GSI, so not TLS: the first token does not start
	// with a TLS record (Kerberos GSSAPI, for one), the exchange ended
	// before any token, or the stream is not an FTP control connection (a
	// text line or the preamble over its bound). Nothing was decoded.
	adatNotTLS
	// adatBad: a token could not be decoded (a byte outside the base64
	// alphabet, misplaced padding, a token over adatMaxToken, or the
	// direction over adatMaxDecoded). The TLS stream has lost bytes from
	// here: the caller counts AnomalyADATUndecodable and stops the half.
	adatBad
)

// adatState is where in a line the decoder is.
type adatState uint8

const (
	adatHead  adatState = iota // reading a line's first bytes into head
	adatToken                  // inside a base64 token
	adatTail                   // after a token: spaces, then the line end
	adatSkip                   // a line with nothing to decode: to its LF
	adatStop                   // a final status was reached
)

// adatHalf decodes one direction of a GridFTP control connection. The zero
// value is not ready: use newADATHalf.
type adatHalf struct {
	side   adatSide
	state  adatState
	status adatStatus

	head  [adatHeadLen]byte // the line's first bytes, to classify it
	nhead int
	quad  [4]byte // the base64 characters of an unfinished quantum, padding left out
	nquad int
	pad   int  // '=' seen in the current quantum
	ended bool // the token had its padding: no more data characters
	// doneAfter ends the exchange when the current line ends: a 235
	// reply may still carry the last token.
	doneAfter bool

	line     int  // bytes of the current line so far
	tokens   int  // tokens begun
	armed    bool // saw AUTH GSSAPI (client) or 334 (server)
	preamble int  // bytes before the first token
	decoded  int  // bytes decoded so far

	// The first token must start TLS (checkProbe): probe holds its first
	// bytes until they tell.
	probe  [3]byte
	nprobe int

	out []byte // the decoded bytes of the current feed (owned, reused)
}

// newADATHalf returns the decoder for one side of the control connection,
// positioned at a line start.
func newADATHalf(side adatSide) *adatHalf { return &adatHalf{side: side} }

// adatStart reports whether a client stream that begins with data opens
// an RFC 2228 GSSAPI exchange: its first line is "AUTH GSSAPI", or, for a
// capture that began after that line, it starts with "ADAT ". need means
// data is too short to tell: call again with more bytes. Only a client
// stream is tested: a server's 220 banner is also SMTP's, so the server
// half is switched by its peer (see newADATHalf's callers).
func adatStart(data []byte) (ok, need bool) {
	const auth, adat = "AUTH GSSAPI", "ADAT "
	if len(data) < len(adat) {
		return false, prefixFold(data, auth) || prefixFold(data, adat)
	}
	if prefixFold(data, adat) {
		return true, false
	}
	if len(data) < len(auth) {
		return false, prefixFold(data, auth)
	}
	if !prefixFold(data, auth) {
		return false, false
	}
	// Only spaces may follow, then the line end.
	for _, b := range data[len(auth):] {
		switch b {
		case ' ', '\t':
		case '\r', '\n':
			return true, false
		default:
			return false, false
		}
	}
	return false, len(data) < adatMaxText
}

// prefixFold reports whether the shorter of b and s is a prefix of the
// other, ignoring ASCII case (FTP commands are case-insensitive).
func prefixFold(b []byte, s string) bool {
	n := min(len(b), len(s))
	for i := 0; i < n; i++ {
		if upper(b[i]) != s[i] {
			return false
		}
	}
	return true
}

func upper(b byte) byte {
	if 'a' <= b && b <= 'z' {
		return b - 'a' + 'A'
	}
	return b
}

// feed consumes all of data, the next bytes of the direction, and returns
// the TLS bytes decoded from it, with the status reached. The bytes are
// valid until the next feed. When the status is final, the bytes returned
// with it were decoded before it and still belong to the stream; later
// feeds return nil.
func (a *adatHalf) feed(data []byte) ([]byte, adatStatus) {
	a.out = a.out[:0]
	if a.status != adatMore {
		return nil, a.status
	}
	for i := 0; i < len(data) && a.status == adatMore; i++ {
		a.step(data[i])
	}
	return a.out, a.status
}

// stop makes st final. The bytes decoded so far stay in out for the
// caller, except for adatNotTLS, where they were never TLS.
func (a *adatHalf) stop(st adatStatus) {
	if st == adatNotTLS {
		a.out = a.out[:0]
	}
	a.state, a.status = adatStop, st
}

// step takes one byte.
func (a *adatHalf) step(b byte) {
	a.line++
	if a.tokens == 0 {
		a.preamble++
		if a.preamble > adatMaxPreamble {
			a.finish()
			return
		}
	}
	a.dispatch(b)
}

// dispatch takes one byte in the current state.
func (a *adatHalf) dispatch(b byte) {
	switch a.state {
	case adatHead:
		if b == '\n' || b == '\r' {
			a.classify(true)
			switch a.state {
			case adatSkip:
				a.skip(b)
			case adatToken:
				a.tokenByte(b)
			}
			return
		}
		a.head[a.nhead] = b
		a.nhead++
		if a.nhead == len(a.head) {
			a.classify(true)
			return
		}
		a.classify(false)
	case adatToken:
		a.tokenByte(b)
	case adatTail:
		switch b {
		case ' ', '\t', '\r':
		case '\n':
			a.endLine()
		default:
			a.stop(adatBad)
		}
	case adatSkip:
		a.skip(b)
	}
}

// skip passes a line with nothing to decode.
func (a *adatHalf) skip(b byte) {
	if b == '\n' {
		a.endLine()
		return
	}
	if a.line > adatMaxText {
		a.finish() // not FTP, or no longer: nothing more to decode
	}
}

// endLine is a line's LF: the next byte starts a new line.
func (a *adatHalf) endLine() {
	a.line, a.nhead = 0, 0
	a.state = adatHead
	if a.doneAfter {
		a.finish()
	}
}

// finish ends the exchange: adatDone once a token was seen, else
// adatNotTLS (a refused AUTH GSSAPI carried no TLS at all).
func (a *adatHalf) finish() {
	if a.tokens == 0 {
		a.stop(adatNotTLS)
		return
	}
	a.stop(adatDone)
}

// classify decides what the line whose first bytes are in head is. final
// says no more bytes will come into head (its line ended, or head is
// full); otherwise classify may leave the decision for a later byte. A
// token's first data bytes may already be in head: they are decoded.
func (a *adatHalf) classify(final bool) {
	h := a.head[:a.nhead]
	var rest []byte // bytes of head after "ADAT " or "ADAT="
	var ok, wait bool
	if a.side == adatClient {
		rest, ok, wait = a.classifyCommand(h, final)
	} else {
		rest, ok, wait = a.classifyReply(h, final)
	}
	if wait || a.state == adatStop {
		return
	}
	if !ok {
		a.state = adatSkip
		return
	}
	a.tokens++
	a.state = adatToken
	a.quad, a.nquad, a.pad, a.ended = [4]byte{}, 0, 0, false
	// rest holds no CR or LF (they end head): only the token and the
	// spaces after it.
	for _, b := range rest {
		a.dispatch(b)
	}
}

// classifyCommand classifies a client line. ok means it carries a token,
// whose first bytes (if head holds any) are rest; wait means more bytes
// are needed to tell.
func (a *adatHalf) classifyCommand(h []byte, final bool) (rest []byte, ok, wait bool) {
	// The command word: up to a space or the line end. FTP commands are
	// 3 or 4 letters (RFC 959), so head holds it and its argument's start.
	sp := -1
	for i, b := range h {
		if b == ' ' {
			sp = i
			break
		}
	}
	if sp < 0 && !final {
		return nil, false, true
	}
	word := h
	if sp >= 0 {
		word = h[:sp]
	}
	switch {
	case len(word) == 0:
		// An empty line, or leading space: nothing to decode.
	case equalFold(word, "ADAT") && sp >= 0:
		return h[sp+1:], true, false
	case equalFold(word, "AUTH"):
		arg := []byte(nil)
		if sp >= 0 {
			arg = trimSpace(h[sp+1:])
		}
		if !final && len(arg) < len("GSSAPI") {
			return nil, false, true
		}
		if a.tokens > 0 {
			// A reissued AUTH resets the security state (RFC
			// 2228 3): this exchange is over.
			a.finish()
			return nil, false, false
		}
		if prefixFold(arg, "GSSAPI") && len(arg) >= len("GSSAPI") {
			a.armed = true
			return nil, false, false
		}
		a.finish() // AUTH TLS and the like: not ours
		return nil, false, false
	case a.tokens > 0:
		// ENC, MIC, CONF or any other command after the tokens: the
		// exchange is over, and protected commands carry only
		// application data.
		a.finish()
	}
	return nil, false, false
}

// classifyReply classifies a server line, as classifyCommand does.
func (a *adatHalf) classifyReply(h []byte, final bool) (rest []byte, ok, wait bool) {
	if len(h) < 4 && !final {
		return nil, false, true
	}
	if len(h) < 3 || !digit(h[0]) || !digit(h[1]) || !digit(h[2]) ||
		len(h) > 3 && h[3] != ' ' && h[3] != '-' {
		return nil, false, false // a banner's continuation, or not a reply
	}
	code := int(h[0]-'0')*100 + int(h[1]-'0')*10 + int(h[2]-'0')
	switch code {
	case 334, 335, 235:
	case 232, 234, // accepted, nothing more to decode
		421, 431, 500, 501, 503, 504, 534, 535, // refused
		631, 632, 633: // protected replies: the exchange succeeded before
		if a.armed || a.tokens > 0 {
			a.finish()
		}
		return nil, false, false
	default:
		return nil, false, false
	}
	// "ADAT=" after the code, its separator and optional spaces.
	i := 4
	for i < len(h) && h[i] == ' ' {
		i++
	}
	const key = "ADAT="
	tail := h[min(i, len(h)):]
	if len(tail) < len(key) && !final && prefixFold(tail, key) {
		return nil, false, true
	}
	if code == 334 {
		a.armed = true
	}
	if code == 235 {
		// Complete: this line's token, if any, is the last one.
		a.doneAfter = true
	}
	if len(tail) < len(key) || !prefixFold(tail[:len(key)], key) {
		return nil, false, false // a reply without a token
	}
	return tail[len(key):], true, false
}

// tokenByte takes one byte of a base64 token.
func (a *adatHalf) tokenByte(b byte) {
	if a.line > adatMaxToken {
		a.stop(adatBad)
		return
	}
	switch {
	case b == '\r' || b == '\n' || b == ' ' || b == '\t':
		a.endToken()
		if a.state == adatToken {
			a.state = adatTail
			if b == '\n' {
				a.endLine()
			}
		}
		return
	case b == '=':
		// Padding: only in the last two places of a quantum.
		if a.nquad+a.pad < 2 {
			a.stop(adatBad)
			return
		}
		a.pad++
		if a.nquad+a.pad == 4 {
			a.flush()
			a.ended = true
		}
		return
	}
	if a.pad > 0 || a.ended {
		a.stop(adatBad)
		return
	}
	// A byte outside the alphabet is found when its quantum is decoded
	// (flush), before any of the quantum is used.
	a.quad[a.nquad] = b
	a.nquad++
	if a.nquad == 4 {
		a.flush()
	}
}

// endToken is the end of a token's characters. A final quantum without
// its padding is taken as the padded one would be (lenient: nothing is
// lost); one character alone cannot encode a byte.
func (a *adatHalf) endToken() {
	switch {
	case a.pad > 0:
		a.stop(adatBad) // '=' without the quantum it completes
	case a.nquad == 1:
		a.stop(adatBad)
	case a.nquad > 1:
		a.flush()
	}
	if a.state == adatStop {
		return
	}
	if a.tokens == 1 && a.nprobe < len(a.probe) {
		a.checkProbe(true)
	}
}

// flush decodes the quantum in quad (2 to 4 characters, its padding left
// out) into out, with encoding/base64's unpadded standard decoding.
func (a *adatHalf) flush() {
	q := a.quad
	n := a.nquad
	a.quad, a.nquad, a.pad = [4]byte{}, 0, 0
	var dec [3]byte
	if _, err := base64.RawStdEncoding.Decode(dec[:], q[:n]); err != nil {
		a.stop(adatBad)
		return
	}
	k := n - 1 // bytes the quantum carries
	if a.decoded+k > adatMaxDecoded {
		a.stop(adatBad)
		return
	}
	a.decoded += k
	for _, d := range dec[:k] {
		if a.tokens == 1 && a.nprobe < len(a.probe) {
			a.probe[a.nprobe] = d
			a.nprobe++
			if a.nprobe == len(a.probe) {
				a.out = append(a.out, a.probe[:a.nprobe]...)
				a.checkProbe(false)
				if a.state == adatStop {
					return
				}
			}
			continue
		}
		a.out = append(a.out, d)
	}
}

// checkProbe checks a direction's first token, as Zeek checks the
// client's: the client's must start with a TLS handshake record (type 22,
// major version 3) or an SSLv2 ClientHello (high bit of the length, type
// 1), the server's with a handshake or alert record. short says the token
// ended before len(probe) bytes.
func (a *adatHalf) checkProbe(short bool) {
	if short || !adatFirstToken(a.side, a.probe[:a.nprobe]) {
		a.stop(adatNotTLS)
	}
}

// adatFirstToken reports whether p, the first bytes of side's first token,
// start TLS.
func adatFirstToken(side adatSide, p []byte) bool {
	switch {
	case len(p) < 3:
		return false
	case p[1] == 3 && ContentType(p[0]) == ContentHandshake:
		return true
	case side == adatClient:
		return p[0]&0x80 != 0 && p[2] == 1
	}
	return p[1] == 3 && ContentType(p[0]) == ContentAlert
}

func digit(b byte) bool { return '0' <= b && b <= '9' }

func equalFold(b []byte, s string) bool { return len(b) == len(s) && prefixFold(b, s) }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
