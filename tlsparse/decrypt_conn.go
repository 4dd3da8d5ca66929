package tlsparse

import (
	"errors"
	"sync"
)

// What a Conn reads with a key log (Options.Keys): the encrypted
// handshake records of TLS 1.3, and the encrypted handshake records of a
// TLS 1.2 connection after its ChangeCipherSpec (its Finished and any
// renegotiation). decrypt.go removes the record protection; this file
// decides which record is opened with which secret and hands the
// plaintext to the same message code as the cleartext.
//
// # Which records are opened
//
//   - TLS 1.3: every record of each direction from its ServerHello to its
//     handshake Finished, under the handshake traffic secret; then, under
//     the application traffic secret, the server's records up to its first
//     application data (its tickets, or the certificate_required alert
//     that refuses a client) and, when the client offered
//     post_handshake_auth, both directions up to the client's answer to a
//     post-handshake CertificateRequest, at most maxAppBytes13 of
//     application data each. A client record that does not open under the
//     handshake secret before any that does is 0-RTT data (RFC 8446
//     4.2.10: a server skips rejected early data the same way): skipped,
//     at most maxEarlyRecords.
//   - TLS 1.2: after each direction's ChangeCipherSpec, its handshake
//     records after the Finished (a renegotiation), alerts and a
//     renegotiation's ChangeCipherSpec are opened; the Finished and
//     application data are only counted (the sequence number goes on),
//     never decrypted, and keys are derived only when a record must be
//     opened. A renegotiation's new keys are looked up by its own
//     ClientHello random and apply from its ChangeCipherSpec.
//
// Secrets are looked up only when the first record that needs them comes,
// not at the ServerHello: a live key log may have grown in between.
//
// # What is not kept
//
// Plaintext is handled record by record in a pooled buffer (the input
// belongs to the caller and decrypt.go opens in place); a message spanning
// records is gathered in the half's message buffer like a cleartext one.
// Openers hold their keys until the direction is done.

// Bounds on what a key log makes a Conn read.
const (
	// maxEarlyRecords is how many client records may fail to open before
	// the first that opens and still be taken for 0-RTT data.
	maxEarlyRecords = 1024
	// maxAppBytes13 bounds the application data read per direction of a
	// TLS 1.3 connection whose client offered post_handshake_auth, while
	// waiting for a post-handshake CertificateRequest and its answer.
	maxAppBytes13 = 1 << 20
	// renegWatch is how many bytes of records a TLS <= 1.2 direction is
	// followed past its Finished (and past each renegotiation) for a
	// renegotiation: record headers only, with or without keys. Servers
	// that authenticate clients per resource renegotiate right after the
	// request that names it, well inside this.
	renegWatch = 64 << 10
)

// keyStatus is what the key log said about a connection.
type keyStatus uint8

const (
	keysUnasked keyStatus = iota
	keysFound
	keysMissing
)

// decHalf is one direction's decryption.
type decHalf struct {
	open    *recordOpener // the key of the records now coming
	count   uint64        // TLS 1.2: records since its CCS, while no key is derived
	keyGen  int           // TLS 1.2: the handshake generation its key comes from
	stage   uint8         // stage13*
	stopped bool          // nothing more is opened in this direction
	opened  int           // records opened
	early   int           // client records skipped as 0-RTT
	appData int           // TLS 1.3: application data bytes read after the handshake
	early0  *recordOpener // TLS 1.3 client: the 0-RTT key, once looked up
	tried0  bool          // the 0-RTT key was looked up
	opened0 int           // records opened with it
	finDone bool          // the record just opened carried this direction's Finished
	keyUpd  bool          // the record just opened carried a KeyUpdate
}

const (
	stage13None      uint8 = iota // no key tried yet
	stage13Handshake              // handshake traffic secret
	stage13App                    // application traffic secret
)

// decState is a Conn's decryption, allocated with Options.Keys.
type decState struct {
	status       keyStatus
	failed       bool // a record did not authenticate under a key the log gave
	unsupported  error
	serverRandom [32]byte
	// TLS 1.2 handshakes on the connection: gen counts them (1 the
	// first). A renegotiation's hellos, read decrypted, give its keys.
	gen              int
	renegCR, renegSR [32]byte
	renegSuite       CipherSuite
	renegETM         bool
	renegHello       bool // the renegotiation's ClientHello was read
	eeSeen, eeEarly  bool // EncryptedExtensions read; it accepted 0-RTT
	half             [2]decHalf
}

func (d *decState) decrypted() bool {
	return d.half[0].opened+d.half[1].opened+d.half[0].opened0+d.half[1].opened0 > 0
}

var plainPool = sync.Pool{New: func() any { b := make([]byte, RecordHeaderLen+MaxRecordLen); return &b }}

// openRecord authenticates and decrypts rec with o into a pooled buffer
// and calls use with the plaintext, valid only during the call.
func openRecord(o *recordOpener, rec Record, use func(ContentType, []byte)) error {
	bp := plainPool.Get().(*[]byte)
	defer plainPool.Put(bp)
	b := (*bp)[:RecordHeaderLen+len(rec.Fragment)]
	n := len(rec.Fragment)
	b[0], b[1], b[2], b[3], b[4] = byte(rec.Type), byte(rec.Version>>8), byte(rec.Version), byte(n>>8), byte(n)
	copy(b[RecordHeaderLen:], rec.Fragment)
	typ, pt, err := o.Open(b[:RecordHeaderLen], b[RecordHeaderLen:])
	if err != nil {
		return err
	}
	use(typ, pt)
	return nil
}

// plaintext handles the decrypted content of a record from half h.
func (c *Conn) plaintext(h int, typ ContentType, pt []byte) {
	c.inDecrypt = true
	defer func() { c.inDecrypt = false }()
	switch typ {
	case ContentHandshake:
		if len(pt) == 0 {
			c.anomaly(AnomalyEmptyRecord)
			return
		}
		c.handshakeFragment(h, pt)
	case ContentAlert:
		for i := 0; i+1 < len(pt); i += 2 {
			c.alert(h, Alert{Level: AlertLevel(pt[i]), Description: AlertDescription(pt[i+1])})
		}
	case ContentChangeCipherSpec:
		// TLS 1.2: a renegotiation's CCS, under the old keys (record
		// handles the switch).
	}
}

// lookup13 returns half h's TLS 1.3 opener for label, noting in the
// state what the key log said.
func (c *Conn) lookup13(label SecretLabel) (*recordOpener, bool) {
	o, err := tls13OpenerFromKeys(c.opts.Keys, label, c.clientRandom[:], c.cipher)
	return o, c.dec.noteLookup(err)
}

// noteLookup records what a key log lookup gave (err from the
// *FromKeys functions): found, missing (unless a secret of the
// connection was found before), or a suite that cannot be opened. It
// reports whether a key was found.
func (d *decState) noteLookup(err error) bool {
	switch {
	case err == nil:
		d.status = keysFound
		return true
	case errors.Is(err, ErrNoSecret):
		if d.status == keysUnasked {
			d.status = keysMissing
		}
	default:
		d.unsupported = err
	}
	return false
}

// key13 installs the opener of a direction's next TLS 1.3 stage: the
// server's or the client's secret, by which side it is. Without it the
// direction stops being read.
func (c *Conn) key13(dh *decHalf, client bool, server, clientLabel SecretLabel, stage uint8) bool {
	label := server
	if client {
		label = clientLabel
	}
	o, ok := c.lookup13(label)
	if !ok {
		dh.stopped = true
		return false
	}
	dh.open, dh.stage = o, stage
	return true
}

// decrypt13 reads a TLS 1.3 protected record of half h with the key log.
// It reports whether the direction is still being read.
func (c *Conn) decrypt13(h int, rec Record) bool {
	d := c.dec
	if d == nil || !c.haveRandom || d.half[h].stopped {
		return false
	}
	dh := &d.half[h]
	client := int(c.client) == h
	if dh.stage == stage13None && !c.key13(dh, client, SecretServerHandshakeTraffic, SecretClientHandshakeTraffic, stage13Handshake) {
		return false
	}
	var appData bool
	err := openRecord(dh.open, rec, func(typ ContentType, pt []byte) {
		dh.opened++
		if typ == ContentApplicationData {
			appData = true
			dh.appData += len(pt)
			return
		}
		c.plaintext(h, typ, pt)
	})
	switch {
	case errors.Is(err, ErrBadRecordMAC):
		if client && c.earlyOffered && dh.opened == 0 && dh.stage == stage13Handshake {
			if dh.early++; dh.early <= maxEarlyRecords {
				c.earlyRecord(h, rec)
				return true
			}
		}
		d.failed = true
		dh.stopped = true
		return false
	case err != nil:
		c.fail(h, err)
		dh.stopped = true
		return false
	}
	if dh.keyUpd {
		dh.keyUpd = false
		if dh.open.KeyUpdate() != nil {
			dh.stopped = true
		}
	}
	if dh.finDone {
		// RFC 8446 5.1: a key change comes at a record boundary.
		dh.finDone = false
		if dh.stage == stage13Handshake {
			if client && !c.phaOffered {
				// Nothing after the client's Finished can change a
				// verdict unless the server may ask it again.
				dh.stopped = true
				return false
			}
			if !c.key13(dh, client, SecretServerTraffic0, SecretClientTraffic0, stage13App) {
				return false
			}
		}
	}
	if dh.stage != stage13App {
		return !dh.stopped
	}
	// After the handshake: the server's tickets and alerts come before
	// its application data; with post_handshake_auth offered, a
	// CertificateRequest and its answer may come at any time.
	switch {
	case c.phaOffered && !c.phaAnswered():
		if dh.appData > maxAppBytes13 {
			dh.stopped = true
		}
	case client, appData:
		dh.stopped = true
	}
	return !dh.stopped
}

// earlyRecord reads a client record that is not under the handshake key:
// 0-RTT data (RFC 8446 4.2.10), under the early traffic secret when the
// key log has it. Its application data is not read; its EndOfEarlyData
// is. A record that does not open under that key either (early data the
// server refused, with no early secret logged) is passed over.
func (c *Conn) earlyRecord(h int, rec Record) {
	dh := &c.dec.half[h]
	if !dh.tried0 {
		dh.tried0 = true
		if o, ok := c.lookup13(SecretClientEarlyTraffic); ok {
			// The client's records before the ServerHello were 0-RTT
			// data too: they used the first sequence numbers.
			o.seq = uint64(c.early0Before)
			dh.early0 = o
		}
	}
	if dh.early0 == nil {
		return
	}
	_ = openRecord(dh.early0, rec, func(typ ContentType, pt []byte) {
		dh.opened0++
		if typ != ContentApplicationData {
			c.plaintext(h, typ, pt)
		}
	})
}

// phaAnswered reports whether a post-handshake CertificateRequest was seen
// and the client's Finished answered it.
func (c *Conn) phaAnswered() bool {
	cl, _ := c.roles()
	return c.phaSeq > 0 && cl != nil && cl.finSeq > c.phaSeq
}

// ccs12 starts half h's TLS 1.2 protected records at its ChangeCipherSpec
// (the first handshake's, or a renegotiation's: generation gen). Keys are
// derived only when a record must be read (keys12): a renegotiation, an
// encrypted alert. The Finished right after the CCS is not decrypted: it
// carries nothing a verdict uses, and deriving every connection's keys
// for it would double the cost of a run with a key log (BENCHMARKS.md).
// Whether the key log covers the connection is still looked up here.
func (c *Conn) ccs12(h int) {
	d := c.dec
	if d == nil || !c.haveRandom || c.version != VersionTLS12 {
		return
	}
	dh := &d.half[h]
	dh.open, dh.stopped, dh.count, dh.keyGen = nil, false, 0, d.gen
	cr := c.clientRandom
	if d.gen > 1 {
		cr = d.renegCR
	}
	var err error
	if _, ok := c.opts.Keys.Secret(SecretMaster, cr[:]); !ok {
		err = ErrNoSecret
	}
	dh.stopped = !d.noteLookup(err)
}

// keys12 derives half h's TLS 1.2 key for the handshake generation it is
// under, its sequence number past the records already counted.
func (c *Conn) keys12(h int) bool {
	d := c.dec
	dh := &d.half[h]
	cr, sr, suite, etm := c.clientRandom, d.serverRandom, c.cipher, c.etm
	if dh.keyGen > 1 {
		cr, sr, suite, etm = d.renegCR, d.renegSR, d.renegSuite, d.renegETM
	}
	cl, sv, err := tls12OpenersFromKeys(c.opts.Keys, cr[:], sr[:], suite, etm)
	if !d.noteLookup(err) {
		dh.stopped = true
		return false
	}
	dh.open = sv
	if int(c.client) == h {
		dh.open = cl
	}
	dh.open.seq = dh.count
	return true
}

// decrypt12 reads a TLS 1.2 record of half h sent after its
// ChangeCipherSpec: application data, the Finished and alerts after the
// handshake are only counted, until a record that may change a verdict
// needs the key: another handshake record (a renegotiation), an alert
// before the handshake is over, a renegotiation's CCS. It reports whether the record was opened (false: not
// read, for want of a key or because it is the Finished).
func (c *Conn) decrypt12(h int, rec Record) bool {
	d := c.dec
	if d == nil || d.half[h].stopped || !c.haveRandom || c.version != VersionTLS12 {
		return false
	}
	dh := &d.half[h]
	if rec.Type == ContentHeartbeat {
		rec.Type = ContentApplicationData // only counted, like application data
	}
	if dh.open == nil && (rec.Type == ContentApplicationData || rec.Type == ContentHandshake && !c.half[h].finished ||
		rec.Type == ContentAlert && c.established()) {
		// Not worth a key: the Finished, application data, and an
		// alert after the handshake (the close_notify that ends every
		// connection): none changes a verdict.
		dh.count++
		return false
	}
	if dh.open == nil && !c.keys12(h) {
		return false
	}
	if rec.Type == ContentApplicationData {
		dh.open.seq++
		return false
	}
	err := openRecord(dh.open, rec, func(typ ContentType, pt []byte) {
		dh.opened++
		c.plaintext(h, typ, pt)
	})
	if err != nil {
		if errors.Is(err, ErrBadRecordMAC) {
			d.failed = true
		} else {
			c.fail(h, err)
		}
		dh.stopped = true
		return false
	}
	return true
}

// renegHello records the randoms and suite of a renegotiation's hello,
// read decrypted, for its keys.
func (c *Conn) renegClientHello(ch *ClientHello) {
	if d := c.dec; d != nil && len(ch.Random) == 32 {
		copy(d.renegCR[:], ch.Random)
		d.renegHello = true
	}
}

func (c *Conn) renegServerHello(sh *ServerHello) {
	if d := c.dec; d != nil && d.renegHello {
		copy(d.renegSR[:], sh.Random)
		d.renegSuite, d.renegETM = sh.CipherSuite, sh.EncryptThenMAC
		d.renegHello = false
		d.gen++
	}
}
