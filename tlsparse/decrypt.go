package tlsparse

// The decrypting record layer: the building blocks a Conn uses to read the
// encrypted handshake records of a connection whose secrets a key log gives
// (issue 10). This file only removes record protection; which record is
// opened with which secret, and what the plaintext means, is the Conn's.
//
// # What is supported
//
//   - TLS 1.3 (RFC 8446): the key schedule of 7.1-7.3 (HKDF-Expand-Label,
//     traffic key and IV from a traffic secret, KeyUpdate's "traffic upd")
//     and record protection (5.2, 5.3) for all five suites of RFC 8446
//     B.4: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
//     TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_CCM_SHA256 and
//     TLS_AES_128_CCM_8_SHA256. CCM (RFC 3610, 16- and 8-byte tags) is in
//     neither the standard library nor golang.org/x/crypto; it comes from
//     Pion's DTLS stack (github.com/pion/dtls/v4/pkg/crypto/ccm, which
//     DTLS uses for the same suites), over crypto/aes: tlsscan writes no
//     cipher mode of its own.
//   - TLS 1.2 (RFC 5246) with a CLIENT_RANDOM master secret: the PRF
//     (P_SHA256, P_SHA384) key block, AES-GCM suites (RFC 5288: 4-byte
//     implicit and 8-byte explicit nonce), ChaCha20-Poly1305 suites
//     (RFC 7905), and AES and 3DES CBC suites with HMAC-SHA1/SHA256/SHA384,
//     MAC-then-encrypt or encrypt_then_mac (RFC 7366). TLS 1.0 and 1.1
//     (MD5/SHA-1 PRF, implicit CBC IV), RC4, CAMELLIA, ARIA and the
//     rest return an *UnsupportedSuiteError.
//
// The primitives are the standard library's (crypto/aes, crypto/cipher,
// crypto/des, crypto/hmac, crypto/hkdf) and golang.org/x/crypto's
// chacha20poly1305. What is written here is only TLS's composition of
// them: the HkdfLabel encoding, the TLS 1.2 PRF, nonces, additional data,
// padding.
//
// # Ownership
//
// recordOpener.Open decrypts in place: the plaintext it returns aliases the
// ciphertext slice the caller passed, which is overwritten. A caller whose
// bytes must not change (Conn.Feed's input belongs to reassembly) copies
// the record into its own per-direction buffer first and opens it there;
// the plaintext is then valid until that buffer is reused. On any error
// the contents of the ciphertext slice are unspecified (left as they were,
// partly decrypted, or zeroed, depending on the AEAD) and no plaintext is
// returned: a record that does not authenticate never yields bytes. The
// header is only read.
// Secrets passed in are read, never kept past the call that derives keys
// from them, except the TLS 1.3 traffic secret, which a recordOpener keeps
// (its own copy) to follow KeyUpdate.
//
// # Why it is pure
//
// Everything here is a function of the secrets and bytes it is given: no
// I/O, no clock, no randomness. Secrets arrive as values (through the Keys
// interface, whose implementation outside tlsparse reads key log files),
// so the record layer can be tested from RFC vectors and fuzzed with a
// fixed key like the rest of tlsparse.

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hkdf"
	"crypto/hmac"
	_ "crypto/sha1" // crypto.SHA1.New for the CBC suites' HMAC
	_ "crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math"

	"github.com/pion/dtls/v4/pkg/crypto/ccm"
	"golang.org/x/crypto/chacha20poly1305"
)

// Limits of protected records.
const (
	// maxCiphertext13 is TLS 1.3's ciphertext limit (RFC 8446 5.2): the
	// plaintext, the content type and padding, and the tag. Longer is
	// record_overflow.
	maxCiphertext13 = MaxPlaintext + 256
	// maxInnerPlaintext13 is the largest TLSInnerPlaintext: a full
	// fragment plus the content type byte (RFC 8446 5.4). Padding counts
	// against it.
	maxInnerPlaintext13 = MaxPlaintext + 1
	// maxCiphertext12 is TLS 1.2's ciphertext limit (RFC 5246 6.2.3).
	maxCiphertext12 = MaxPlaintext + 2048
	// aeadNonceLen is the per-record nonce of every AEAD suite here.
	aeadNonceLen = 12
)

// ErrBadRecordMAC means a record did not authenticate: its AEAD tag (or
// TLS 1.2 CBC MAC or padding) is wrong for the key. Either the key is not
// this connection's (a wrong key log entry), the record was not protected
// with this key (0-RTT data a server rejected, a key the Conn has not
// switched to yet), or the bytes were damaged. It is kept apart from
// *ParseError: the record's framing was sound, only the key disagrees. The
// opener's sequence number is not advanced, so the Conn may try the record
// with another key or skip it.
var ErrBadRecordMAC = errors.New("tlsparse: record authentication failed (bad_record_mac)")

// UnsupportedSuiteError is a cipher suite, or protocol version, whose
// records tlsscan cannot decrypt. The connection is reported from what is
// visible, as without a key.
type UnsupportedSuiteError struct {
	Version Version
	Suite   CipherSuite
}

func (e *UnsupportedSuiteError) Error() string {
	return fmt.Sprintf("tlsparse: cannot decrypt %v records of %v", e.Version, e.Suite)
}

// The TLS 1.3 cipher suites (RFC 8446 B.4).
const (
	suiteAES128GCMSHA256        CipherSuite = 0x1301
	suiteAES256GCMSHA384        CipherSuite = 0x1302
	suiteChaCha20Poly1305SHA256 CipherSuite = 0x1303
	suiteAES128CCMSHA256        CipherSuite = 0x1304
	suiteAES128CCM8SHA256       CipherSuite = 0x1305
)

// tls13Suite is what the record layer needs of a TLS 1.3 suite.
type tls13Suite struct {
	hash    crypto.Hash
	keyLen  int
	newAEAD func(key []byte) (cipher.AEAD, error)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// newCCM returns AES-CCM with the given tag length and TLS's 12-byte
// nonce (RFC 6655 3: L = 3).
func newCCM(tagLen int) func(key []byte) (cipher.AEAD, error) {
	return func(key []byte) (cipher.AEAD, error) {
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		return ccm.NewCCM(b, tagLen, aeadNonceLen)
	}
}

// tls13SuiteOf returns the suite's parameters, or an
// *UnsupportedSuiteError for what is not a TLS 1.3 suite.
func tls13SuiteOf(id CipherSuite) (tls13Suite, error) {
	switch id {
	case suiteAES128CCMSHA256:
		return tls13Suite{crypto.SHA256, 16, newCCM(16)}, nil
	case suiteAES128CCM8SHA256:
		return tls13Suite{crypto.SHA256, 16, newCCM(8)}, nil
	case suiteAES128GCMSHA256:
		return tls13Suite{crypto.SHA256, 16, newGCM}, nil
	case suiteAES256GCMSHA384:
		return tls13Suite{crypto.SHA384, 32, newGCM}, nil
	case suiteChaCha20Poly1305SHA256:
		return tls13Suite{crypto.SHA256, chacha20poly1305.KeySize, chacha20poly1305.New}, nil
	}
	return tls13Suite{}, &UnsupportedSuiteError{Version: VersionTLS13, Suite: id}
}

// hkdfExpandLabel is HKDF-Expand-Label (RFC 8446 7.1): HKDF-Expand of
// secret with the HkdfLabel {length, "tls13 " + label, context}. Labels
// and contexts are the key schedule's, short constants and hashes; length
// is at most a hash or key length, so HKDF cannot refuse it.
func hkdfExpandLabel(h crypto.Hash, secret []byte, label string, context []byte, length int) []byte {
	const prefix = "tls13 "
	info := make([]byte, 0, 2+1+len(prefix)+len(label)+1+len(context))
	info = binary.BigEndian.AppendUint16(info, uint16(length))
	info = append(info, byte(len(prefix)+len(label)))
	info = append(info, prefix...)
	info = append(info, label...)
	info = append(info, byte(len(context)))
	info = append(info, context...)
	out, err := hkdf.Expand(h.New, secret, string(info), length)
	if err != nil {
		// Only a length over 255 hash blocks fails; no caller asks for it.
		panic("tlsparse: hkdfExpandLabel: " + err.Error())
	}
	return out
}

// trafficKeys13 derives the write key and IV of a traffic secret (RFC 8446
// 7.3).
func trafficKeys13(s tls13Suite, secret []byte) (key, iv []byte) {
	return hkdfExpandLabel(s.hash, secret, "key", nil, s.keyLen),
		hkdfExpandLabel(s.hash, secret, "iv", nil, aeadNonceLen)
}

// nextTrafficSecret13 is application_traffic_secret_N+1 (RFC 8446 7.2).
func nextTrafficSecret13(h crypto.Hash, secret []byte) []byte {
	return hkdfExpandLabel(h, secret, "traffic upd", nil, h.Size())
}

// recordOpener removes the protection of the records of one direction of
// one connection under one key: the read half of crypto/tls's halfConn,
// without the I/O. It holds the key, the IV and the sequence number, which
// counts the records it opened since the key was installed (RFC 8446 5.3,
// RFC 5246 6.1). A Conn keeps one per direction and replaces it when the
// direction changes keys (TLS 1.3: handshake to application traffic secret;
// TLS 1.2: at ChangeCipherSpec). It is not safe for concurrent use.
type recordOpener struct {
	version Version // VersionTLS13 or VersionTLS12
	suite   CipherSuite
	seq     uint64

	aead cipher.AEAD
	// iv is TLS 1.3's write IV and TLS 1.2 ChaCha20's (XORed with the
	// sequence number); for TLS 1.2 GCM its first 4 bytes are the
	// implicit salt.
	iv            [aeadNonceLen]byte
	explicitNonce bool // TLS 1.2 GCM: the record starts with 8 nonce bytes

	// TLS 1.3: the current traffic secret and its hash, for KeyUpdate.
	hash   crypto.Hash
	secret []byte

	// TLS 1.2 CBC suites.
	block cipher.Block
	cbc   cbcMode   // a CBC decrypter of block, its IV set per record
	mac   hash.Hash // HMAC keyed with the MAC write key
	etm   bool      // encrypt_then_mac negotiated (RFC 7366)

	// Scratch space for what Open hands to the AEAD and HMAC interfaces,
	// which would make stack arrays escape: Open allocates nothing.
	nonce [aeadNonceLen]byte
	ad    [13]byte
	sum   [sha512.Size]byte
}

// newTLS13Opener returns the opener for records protected with a TLS 1.3
// traffic secret (a handshake, application or early traffic secret from
// the key log). The secret is copied.
func newTLS13Opener(suite CipherSuite, trafficSecret []byte) (*recordOpener, error) {
	s, err := tls13SuiteOf(suite)
	if err != nil {
		return nil, err
	}
	if len(trafficSecret) != s.hash.Size() {
		return nil, fmt.Errorf("tlsparse: %v traffic secret is %d bytes, want %d", suite, len(trafficSecret), s.hash.Size())
	}
	o := &recordOpener{version: VersionTLS13, suite: suite, hash: s.hash}
	if err := o.install13(s, append([]byte(nil), trafficSecret...)); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *recordOpener) install13(s tls13Suite, secret []byte) error {
	key, iv := trafficKeys13(s, secret)
	aead, err := s.newAEAD(key)
	if err != nil {
		return err
	}
	o.aead, o.secret, o.seq = aead, secret, 0
	copy(o.iv[:], iv)
	return nil
}

// ErrNoSecret means the key log holds no secret of the needed label for
// the connection's client random: the connection is reported as without
// keys, flagged keys_missing. A live capture may see the secret arrive
// later, so a Conn may ask again.
var ErrNoSecret = errors.New("tlsparse: no secret for this connection in the key log")

// tls13OpenerFromKeys looks up a TLS 1.3 traffic secret (a handshake,
// application or early traffic label) and returns its opener, ErrNoSecret,
// or an *UnsupportedSuiteError.
func tls13OpenerFromKeys(keys Keys, label SecretLabel, clientRandom []byte, suite CipherSuite) (*recordOpener, error) {
	if _, err := tls13SuiteOf(suite); err != nil {
		return nil, err
	}
	secret, ok := keys.Secret(label, clientRandom)
	if !ok {
		return nil, ErrNoSecret
	}
	return newTLS13Opener(suite, secret)
}

// tls12OpenersFromKeys looks up the CLIENT_RANDOM master secret and
// returns both directions' openers (see newTLS12Openers), ErrNoSecret, or
// an *UnsupportedSuiteError.
func tls12OpenersFromKeys(keys Keys, clientRandom, serverRandom []byte, suite CipherSuite, etm bool) (client, server *recordOpener, err error) {
	if _, ok := tls12Suites[suite]; !ok {
		return nil, nil, &UnsupportedSuiteError{Version: VersionTLS12, Suite: suite}
	}
	master, ok := keys.Secret(SecretMaster, clientRandom)
	if !ok {
		return nil, nil, ErrNoSecret
	}
	return newTLS12Openers(suite, master, clientRandom, serverRandom, etm)
}

// KeyUpdate moves a TLS 1.3 opener to the next application traffic secret
// (RFC 8446 4.6.3, 7.2) and restarts its sequence number. The Conn calls
// it after the record that carried the sender's KeyUpdate message: the
// records after it use the new key.
func (o *recordOpener) KeyUpdate() error {
	if o.version != VersionTLS13 {
		return errors.New("tlsparse: KeyUpdate on a TLS 1.2 record opener")
	}
	s, err := tls13SuiteOf(o.suite)
	if err != nil {
		return err
	}
	next := nextTrafficSecret13(o.hash, o.secret)
	clear(o.secret)
	return o.install13(s, next)
}

// Seq returns the sequence number of the next record Open expects.
func (o *recordOpener) Seq() uint64 { return o.seq }

// Open authenticates and decrypts one record, given its 5-byte header and
// its body (the Fragment of ParseRecord), in place: see the ownership
// contract at the top of this file. It returns the record's real content
// type (TLS 1.3's inner type; TLS 1.2's header type) and the plaintext
// with TLS 1.3 padding removed. Framing faults are a *ParseError (message
// "encrypted record"); a record that does not authenticate is
// ErrBadRecordMAC, and then the sequence number stays where it was.
func (o *recordOpener) Open(header, ciphertext []byte) (contentType ContentType, plaintext []byte, err error) {
	if len(header) != RecordHeaderLen {
		return 0, nil, malformed("encrypted record", "header", 0)
	}
	if int(header[3])<<8|int(header[4]) != len(ciphertext) {
		return 0, nil, malformed("encrypted record", "length", 3)
	}
	if o.seq == math.MaxUint64 {
		// RFC 8446 5.3: the sequence number must not wrap.
		return 0, nil, malformed("encrypted record", "sequence_number", 0)
	}
	if o.version == VersionTLS13 {
		return o.open13(header, ciphertext)
	}
	return o.open12(header, ciphertext)
}

func (o *recordOpener) open13(header, ciphertext []byte) (ContentType, []byte, error) {
	// RFC 8446 5.2: a protected record says application_data outside.
	if ContentType(header[0]) != ContentApplicationData {
		return 0, nil, malformed("encrypted record", "opaque_type", 0)
	}
	if len(ciphertext) > maxCiphertext13 {
		return 0, nil, malformed("encrypted record", "length", 3)
	}
	if len(ciphertext) < o.aead.Overhead()+1 {
		// No room for the tag and the content type.
		return 0, nil, malformed("encrypted record", "length", 3)
	}
	o.nonceXORSeq(&o.nonce)
	pt, err := o.aead.Open(ciphertext[:0], o.nonce[:], ciphertext, header)
	if err != nil {
		return 0, nil, ErrBadRecordMAC
	}
	o.seq++
	if len(pt) > maxInnerPlaintext13 {
		return 0, nil, malformed("encrypted record", "length", 3)
	}
	// TLSInnerPlaintext: content, the type, then zeros (RFC 8446 5.4).
	i := len(pt) - 1
	for i >= 0 && pt[i] == 0 {
		i--
	}
	if i < 0 {
		return 0, nil, malformed("encrypted record", "content_type", RecordHeaderLen)
	}
	return ContentType(pt[i]), pt[:i:i], nil
}

// nonceXORSeq writes the per-record nonce of RFC 8446 5.3 (and RFC 7905):
// the IV XOR the big-endian sequence number, padded on the left.
func (o *recordOpener) nonceXORSeq(nonce *[aeadNonceLen]byte) {
	*nonce = o.iv
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], o.seq)
	subtle.XORBytes(nonce[aeadNonceLen-8:], nonce[aeadNonceLen-8:], seq[:])
}

// The TLS 1.2 cipher suites this file can open. Each name is checked
// against the IANA registry's in the tests.
type tls12Kind uint8

const (
	kindGCM tls12Kind = iota + 1
	kindChaCha
	kindCBC
)

type tls12Suite struct {
	kind   tls12Kind
	keyLen int
	prf    crypto.Hash // SHA-256 unless the suite's name ends in SHA384
	mac    crypto.Hash // CBC suites
	des    bool        // 3DES-EDE-CBC instead of AES
}

var tls12Suites = map[CipherSuite]tls12Suite{
	// AES-GCM (RFC 5288, 5289, 5487, 8442).
	0x009C: {kind: kindGCM, keyLen: 16, prf: crypto.SHA256}, // RSA AES_128_GCM_SHA256
	0x009D: {kind: kindGCM, keyLen: 32, prf: crypto.SHA384}, // RSA AES_256_GCM_SHA384
	0x009E: {kind: kindGCM, keyLen: 16, prf: crypto.SHA256}, // DHE_RSA
	0x009F: {kind: kindGCM, keyLen: 32, prf: crypto.SHA384},
	0x00A2: {kind: kindGCM, keyLen: 16, prf: crypto.SHA256}, // DHE_DSS
	0x00A3: {kind: kindGCM, keyLen: 32, prf: crypto.SHA384},
	0x00A8: {kind: kindGCM, keyLen: 16, prf: crypto.SHA256}, // PSK
	0x00A9: {kind: kindGCM, keyLen: 32, prf: crypto.SHA384},
	0x00AA: {kind: kindGCM, keyLen: 16, prf: crypto.SHA256}, // DHE_PSK
	0x00AB: {kind: kindGCM, keyLen: 32, prf: crypto.SHA384},
	0x00AC: {kind: kindGCM, keyLen: 16, prf: crypto.SHA256}, // RSA_PSK
	0x00AD: {kind: kindGCM, keyLen: 32, prf: crypto.SHA384},
	0xC02B: {kind: kindGCM, keyLen: 16, prf: crypto.SHA256}, // ECDHE_ECDSA
	0xC02C: {kind: kindGCM, keyLen: 32, prf: crypto.SHA384},
	0xC02F: {kind: kindGCM, keyLen: 16, prf: crypto.SHA256}, // ECDHE_RSA
	0xC030: {kind: kindGCM, keyLen: 32, prf: crypto.SHA384},
	0xD001: {kind: kindGCM, keyLen: 16, prf: crypto.SHA256}, // ECDHE_PSK
	0xD002: {kind: kindGCM, keyLen: 32, prf: crypto.SHA384},
	// ChaCha20-Poly1305 (RFC 7905).
	0xCCA8: {kind: kindChaCha, keyLen: 32, prf: crypto.SHA256}, // ECDHE_RSA
	0xCCA9: {kind: kindChaCha, keyLen: 32, prf: crypto.SHA256}, // ECDHE_ECDSA
	0xCCAA: {kind: kindChaCha, keyLen: 32, prf: crypto.SHA256}, // DHE_RSA
	0xCCAB: {kind: kindChaCha, keyLen: 32, prf: crypto.SHA256}, // PSK
	0xCCAC: {kind: kindChaCha, keyLen: 32, prf: crypto.SHA256}, // ECDHE_PSK
	0xCCAD: {kind: kindChaCha, keyLen: 32, prf: crypto.SHA256}, // DHE_PSK
	0xCCAE: {kind: kindChaCha, keyLen: 32, prf: crypto.SHA256}, // RSA_PSK
	// CBC with HMAC (RFC 5246, 5289).
	0x000A: {kind: kindCBC, keyLen: 24, prf: crypto.SHA256, mac: crypto.SHA1, des: true}, // RSA 3DES_EDE_CBC_SHA
	0xC012: {kind: kindCBC, keyLen: 24, prf: crypto.SHA256, mac: crypto.SHA1, des: true}, // ECDHE_RSA 3DES_EDE_CBC_SHA
	0x002F: {kind: kindCBC, keyLen: 16, prf: crypto.SHA256, mac: crypto.SHA1},            // RSA AES_128_CBC_SHA
	0x0035: {kind: kindCBC, keyLen: 32, prf: crypto.SHA256, mac: crypto.SHA1},            // RSA AES_256_CBC_SHA
	0x003C: {kind: kindCBC, keyLen: 16, prf: crypto.SHA256, mac: crypto.SHA256},          // RSA AES_128_CBC_SHA256
	0x003D: {kind: kindCBC, keyLen: 32, prf: crypto.SHA256, mac: crypto.SHA256},          // RSA AES_256_CBC_SHA256
	0x0033: {kind: kindCBC, keyLen: 16, prf: crypto.SHA256, mac: crypto.SHA1},            // DHE_RSA AES_128_CBC_SHA
	0x0039: {kind: kindCBC, keyLen: 32, prf: crypto.SHA256, mac: crypto.SHA1},            // DHE_RSA AES_256_CBC_SHA
	0x0067: {kind: kindCBC, keyLen: 16, prf: crypto.SHA256, mac: crypto.SHA256},          // DHE_RSA AES_128_CBC_SHA256
	0x006B: {kind: kindCBC, keyLen: 32, prf: crypto.SHA256, mac: crypto.SHA256},          // DHE_RSA AES_256_CBC_SHA256
	0xC009: {kind: kindCBC, keyLen: 16, prf: crypto.SHA256, mac: crypto.SHA1},            // ECDHE_ECDSA AES_128_CBC_SHA
	0xC00A: {kind: kindCBC, keyLen: 32, prf: crypto.SHA256, mac: crypto.SHA1},            // ECDHE_ECDSA AES_256_CBC_SHA
	0xC023: {kind: kindCBC, keyLen: 16, prf: crypto.SHA256, mac: crypto.SHA256},          // ECDHE_ECDSA AES_128_CBC_SHA256
	0xC024: {kind: kindCBC, keyLen: 32, prf: crypto.SHA384, mac: crypto.SHA384},          // ECDHE_ECDSA AES_256_CBC_SHA384
	0xC013: {kind: kindCBC, keyLen: 16, prf: crypto.SHA256, mac: crypto.SHA1},            // ECDHE_RSA AES_128_CBC_SHA
	0xC014: {kind: kindCBC, keyLen: 32, prf: crypto.SHA256, mac: crypto.SHA1},            // ECDHE_RSA AES_256_CBC_SHA
	0xC027: {kind: kindCBC, keyLen: 16, prf: crypto.SHA256, mac: crypto.SHA256},          // ECDHE_RSA AES_128_CBC_SHA256
	0xC028: {kind: kindCBC, keyLen: 32, prf: crypto.SHA384, mac: crypto.SHA384},          // ECDHE_RSA AES_256_CBC_SHA384
}

// cbcMode is the standard library's CBC decrypter, whose IV can be reset
// (as crypto/tls uses it), so a record costs no allocation.
type cbcMode interface {
	cipher.BlockMode
	SetIV([]byte)
}

// masterSecretLen is the TLS 1.2 master secret (RFC 5246 8.1).
const masterSecretLen = 48

// prf12 is the TLS 1.2 PRF (RFC 5246 5): P_hash(secret, label + seed).
func prf12(h crypto.Hash, secret []byte, label string, seed []byte, n int) []byte {
	mac := hmac.New(h.New, secret)
	ls := append([]byte(label), seed...)
	out := make([]byte, 0, n+h.Size())
	mac.Write(ls)
	a := mac.Sum(nil) // A(1)
	for len(out) < n {
		mac.Reset()
		mac.Write(a)
		mac.Write(ls)
		out = mac.Sum(out)
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(a[:0])
	}
	return out[:n]
}

// newTLS12Openers returns the openers of both directions of a TLS 1.2
// connection, from its master secret (a CLIENT_RANDOM line of the key log)
// and the hellos' randoms: the key block of RFC 5246 6.3. etm says the
// server echoed encrypt_then_mac for a CBC suite. The secret is not kept.
// Each opener applies from its direction's ChangeCipherSpec on; a
// renegotiation brings new openers.
func newTLS12Openers(suite CipherSuite, masterSecret, clientRandom, serverRandom []byte, etm bool) (client, server *recordOpener, err error) {
	s, ok := tls12Suites[suite]
	if !ok {
		return nil, nil, &UnsupportedSuiteError{Version: VersionTLS12, Suite: suite}
	}
	if len(masterSecret) != masterSecretLen || len(clientRandom) != 32 || len(serverRandom) != 32 {
		return nil, nil, fmt.Errorf("tlsparse: TLS 1.2 master secret and randoms must be 48, 32 and 32 bytes")
	}
	macLen, ivLen := 0, 0
	switch s.kind {
	case kindGCM:
		ivLen = 4
	case kindChaCha:
		ivLen = aeadNonceLen
	case kindCBC:
		macLen = s.mac.Size()
	}
	seed := make([]byte, 0, 64)
	seed = append(append(seed, serverRandom...), clientRandom...)
	kb := prf12(s.prf, masterSecret, "key expansion", seed, 2*(macLen+s.keyLen+ivLen))
	take := func(n int) []byte { b := kb[:n:n]; kb = kb[n:]; return b }
	cMAC, sMAC := take(macLen), take(macLen)
	cKey, sKey := take(s.keyLen), take(s.keyLen)
	cIV, sIV := take(ivLen), take(ivLen)
	if client, err = newTLS12Opener(suite, s, cMAC, cKey, cIV, etm); err != nil {
		return nil, nil, err
	}
	if server, err = newTLS12Opener(suite, s, sMAC, sKey, sIV, etm); err != nil {
		return nil, nil, err
	}
	return client, server, nil
}

func newTLS12Opener(id CipherSuite, s tls12Suite, macKey, key, iv []byte, etm bool) (*recordOpener, error) {
	o := &recordOpener{version: VersionTLS12, suite: id}
	copy(o.iv[:], iv)
	var err error
	switch s.kind {
	case kindGCM:
		o.aead, err = newGCM(key)
		o.explicitNonce = true
	case kindChaCha:
		o.aead, err = chacha20poly1305.New(key)
	case kindCBC:
		if s.des {
			o.block, err = des.NewTripleDESCipher(key)
		} else {
			o.block, err = aes.NewCipher(key)
		}
		o.mac, o.etm = hmac.New(s.mac.New, macKey), etm
	}
	if err != nil {
		return nil, err
	}
	if o.block != nil {
		if m, ok := cipher.NewCBCDecrypter(o.block, make([]byte, o.block.BlockSize())).(cbcMode); ok {
			o.cbc = m
		}
	}
	return o, nil
}

// additionalData12 is the MAC and AEAD input of RFC 5246 6.2.3.1/6.2.3.3:
// seq_num, type, version, length.
// It is written to o.ad.
func (o *recordOpener) additionalData12(header []byte, length int) {
	binary.BigEndian.PutUint64(o.ad[:8], o.seq)
	o.ad[8], o.ad[9], o.ad[10] = header[0], header[1], header[2]
	binary.BigEndian.PutUint16(o.ad[11:], uint16(length))
}

// macOK reports whether tag is the record MAC of data under o.ad.
func (o *recordOpener) macOK(data, tag []byte) bool {
	o.mac.Reset()
	o.mac.Write(o.ad[:])
	o.mac.Write(data)
	return hmac.Equal(o.mac.Sum(o.sum[:0]), tag)
}

func (o *recordOpener) open12(header, ciphertext []byte) (ContentType, []byte, error) {
	if len(ciphertext) > maxCiphertext12 {
		return 0, nil, malformed("encrypted record", "length", 3)
	}
	var pt []byte
	var err error
	if o.aead != nil {
		pt, err = o.openAEAD12(header, ciphertext)
	} else {
		pt, err = o.openCBC12(header, ciphertext)
	}
	if err != nil {
		return 0, nil, err
	}
	o.seq++
	if len(pt) > MaxPlaintext {
		return 0, nil, malformed("encrypted record", "length", 3)
	}
	return ContentType(header[0]), pt, nil
}

func (o *recordOpener) openAEAD12(header, ciphertext []byte) ([]byte, error) {
	if o.explicitNonce {
		// RFC 5288 3: salt (4 implicit bytes) || nonce_explicit (8).
		if len(ciphertext) < 8+o.aead.Overhead() {
			return nil, malformed("encrypted record", "length", 3)
		}
		copy(o.nonce[:4], o.iv[:4])
		copy(o.nonce[4:], ciphertext[:8])
		ciphertext = ciphertext[8:]
	} else {
		if len(ciphertext) < o.aead.Overhead() {
			return nil, malformed("encrypted record", "length", 3)
		}
		o.nonceXORSeq(&o.nonce)
	}
	o.additionalData12(header, len(ciphertext)-o.aead.Overhead())
	pt, err := o.aead.Open(ciphertext[:0], o.nonce[:], ciphertext, o.ad[:])
	if err != nil {
		return nil, ErrBadRecordMAC
	}
	return pt, nil
}

// openCBC12 is GenericBlockCipher (RFC 5246 6.2.3.2) with an explicit IV,
// MAC-then-encrypt, or encrypt_then_mac (RFC 7366). A bad MAC and bad
// padding are the same error, as the RFC asks; tlsscan is a passive reader
// and answers nobody, so there is no padding oracle to hide, but the checks
// are constant-time all the same.
func (o *recordOpener) openCBC12(header, ciphertext []byte) ([]byte, error) {
	bs, macLen := o.block.BlockSize(), o.mac.Size()
	body := ciphertext
	var tag []byte
	if o.etm {
		if len(body) < bs+bs+macLen {
			return nil, malformed("encrypted record", "length", 3)
		}
		body, tag = body[:len(body)-macLen], body[len(body)-macLen:]
		o.additionalData12(header, len(body))
		if !o.macOK(body, tag) {
			return nil, ErrBadRecordMAC
		}
	}
	// IV, then at least one block (with padding, and the MAC unless EtM).
	need := bs + bs
	if !o.etm {
		need = bs + max(bs, (macLen+1+bs-1)/bs*bs)
	}
	if len(body) < need || len(body)%bs != 0 {
		return nil, malformed("encrypted record", "length", 3)
	}
	iv, data := body[:bs], body[bs:]
	if o.cbc != nil {
		o.cbc.SetIV(iv)
		o.cbc.CryptBlocks(data, data)
	} else {
		cipher.NewCBCDecrypter(o.block, iv).CryptBlocks(data, data)
	}
	padLen := int(data[len(data)-1])
	good := subtle.ConstantTimeLessOrEq(padLen+1, len(data))
	if !o.etm {
		good &= subtle.ConstantTimeLessOrEq(padLen+1+macLen, len(data))
	}
	// Every padding byte equals padLen (at most 256 bytes to look at).
	for i := 1; i <= 256 && i <= len(data); i++ {
		inPad := subtle.ConstantTimeLessOrEq(i, padLen+1)
		same := subtle.ConstantTimeByteEq(data[len(data)-i], byte(padLen))
		good &= same | (inPad ^ 1)
	}
	if good != 1 {
		clear(data)
		return nil, ErrBadRecordMAC
	}
	content := data[:len(data)-padLen-1]
	if o.etm {
		return content, nil
	}
	content, tag = content[:len(content)-macLen], content[len(content)-macLen:]
	o.additionalData12(header, len(content))
	if !o.macOK(content, tag) {
		clear(data)
		return nil, ErrBadRecordMAC
	}
	return content[:len(content):len(content)], nil
}
