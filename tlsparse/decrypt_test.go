package tlsparse

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/chacha20poly1305"
)

// RFC 8448 section 3, "Simple 1-RTT Handshake" (TLS_AES_128_GCM_SHA256):
// the traffic secrets, the keys and IVs derived from them, and the
// protected records of both sides.
const (
	rfc8448ClientHS = "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21"
	rfc8448ServerHS = "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38"
	rfc8448ClientAP = "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5"
	rfc8448ServerAP = "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43"

	// {server} send handshake record: EncryptedExtensions, Certificate,
	// CertificateVerify, Finished.
	rfc8448ServerFlight = `17 03 03 02 a2 d1 ff 33 4a 56 f5 bf f6 59 4a 07 cc 87 b5 80 23 3f 50 0f 45 e4 89 e7
	f3 3a f3 5e df 78 69 fc f4 0a a4 0a a2 b8 ea 73 f8 48 a7 ca 07 61 2e f9 f9 45 cb 96
	0b 40 68 90 51 23 ea 78 b1 11 b4 29 ba 91 91 cd 05 d2 a3 89 28 0f 52 61 34 aa dc 7f
	c7 8c 4b 72 9d f8 28 b5 ec f7 b1 3b d9 ae fb 0e 57 f2 71 58 5b 8e a9 bb 35 5c 7c 79
	02 07 16 cf b9 b1 18 3e f3 ab 20 e3 7d 57 a6 b9 d7 47 76 09 ae e6 e1 22 a4 cf 51 42
	73 25 25 0c 7d 0e 50 92 89 44 4c 9b 3a 64 8f 1d 71 03 5d 2e d6 5b 0e 3c dd 0c ba e8
	bf 2d 0b 22 78 12 cb b3 60 98 72 55 cc 74 41 10 c4 53 ba a4 fc d6 10 92 8d 80 98 10
	e4 b7 ed 1a 8f d9 91 f0 6a a6 24 82 04 79 7e 36 a6 a7 3b 70 a2 55 9c 09 ea d6 86 94
	5b a2 46 ab 66 e5 ed d8 04 4b 4c 6d e3 fc f2 a8 94 41 ac 66 27 2f d8 fb 33 0e f8 19
	05 79 b3 68 45 96 c9 60 bd 59 6e ea 52 0a 56 a8 d6 50 f5 63 aa d2 74 09 96 0d ca 63
	d3 e6 88 61 1e a5 e2 2f 44 15 cf 95 38 d5 1a 20 0c 27 03 42 72 96 8a 26 4e d6 54 0c
	84 83 8d 89 f7 2c 24 46 1a ad 6d 26 f5 9e ca ba 9a cb bb 31 7b 66 d9 02 f4 f2 92 a3
	6a c1 b6 39 c6 37 ce 34 31 17 b6 59 62 22 45 31 7b 49 ee da 0c 62 58 f1 00 d7 d9 61
	ff b1 38 64 7e 92 ea 33 0f ae ea 6d fa 31 c7 a8 4d c3 bd 7e 1b 7a 6c 71 78 af 36 87
	90 18 e3 f2 52 10 7f 24 3d 24 3d c7 33 9d 56 84 c8 b0 37 8b f3 02 44 da 8c 87 c8 43
	f5 e5 6e b4 c5 e8 28 0a 2b 48 05 2c f9 3b 16 49 9a 66 db 7c ca 71 e4 59 94 26 f7 d4
	61 e6 6f 99 88 2b d8 9f c5 08 00 be cc a6 2d 6c 74 11 6d bd 29 72 fd a1 fa 80 f8 5d
	f8 81 ed be 5a 37 66 89 36 b3 35 58 3b 59 91 86 dc 5c 69 18 a3 96 fa 48 a1 81 d6 b6
	fa 4f 9d 62 d5 13 af bb 99 2f 2b 99 2f 67 f8 af e6 7f 76 91 3f a3 88 cb 56 30 c8 ca
	01 e0 c6 5d 11 c6 6a 1e 2a c4 c8 59 77 b7 c7 a6 99 9b bf 10 dc 35 ae 69 f5 51 56 14
	63 6c 0b 9b 68 c1 9e d2 e3 1c 0b 3b 66 76 30 38 eb ba 42 f3 b3 8e dc 03 99 f3 a9 f2
	3f aa 63 97 8c 31 7f c9 fa 66 a7 3f 60 f0 50 4d e9 3b 5b 84 5e 27 55 92 c1 23 35 ee
	34 0b bc 4f dd d5 02 78 40 16 e4 b3 be 7e f0 4d da 49 f4 b4 40 a3 0c b5 d2 af 93 98
	28 fd 4a e3 79 4e 44 f9 4d f5 a6 31 ed e4 2c 17 19 bf da bf 02 53 fe 51 75 be 89 8e
	75 0e dc 53 37 0d 2b`
	// {client} send handshake record: Finished.
	rfc8448ClientFinished = `17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c 56 cc 77 b0
	51 7f e9 b9 3c 7a 4b fc 44 d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c
	ae ac ab 68 67 d7 26 c4 05 46`
	// {server} send handshake record under the application key:
	// NewSessionTicket.
	rfc8448ServerTicket = `17 03 03 00 de 3a 6b 8f 90 41 4a 97 d6 95 9c 34 87 68 0d e5 13 4a 2b 24
	0e 6c ff ac 11 6e 95 d4 1d 6a f8 f6 b5 80 dc f3 d1 1d 63 c7 58 db 28 9a
	01 59 40 25 2f 55 71 3e 06 1d c1 3e 07 88 91 a3 8e fb cf 57 53 ad 8e f1
	70 ad 3c 73 53 d1 6d 9d a7 73 b9 ca 7f 2b 9f a1 b6 c0 d4 a3 d0 3f 75 e0
	9c 30 ba 1e 62 97 2a c4 6f 75 f7 b9 81 be 63 43 9b 29 99 ce 13 06 46 15
	13 98 91 d5 e4 c5 b4 06 f1 6e 3f c1 81 a7 7c a4 75 84 00 25 db 2f 0a 77
	f8 1b 5a b0 5b 94 c0 13 46 75 5f 69 23 2c 86 51 9d 86 cb ee ac 87 aa c3
	47 d1 43 f9 60 5d 64 f6 50 db 4d 02 3e 70 e9 52 ca 49 fe 51 37 12 1c 74
	bc 26 97 68 7e 24 87 46 d6 df 35 30 05 f3 bc e1 86 96 12 9c 81 53 55 6b
	3b 6c 67 79 b3 7b f1 59 85 68 4f`
	// Application data (00 01 .. 31) from each side, then close_notify.
	rfc8448ClientApp = `17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea
	42 f9 14 aa 66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b
	62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4`
	rfc8448ServerApp = `17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc
	32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8
	fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d`
	rfc8448ClientAlert = "17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3"
	rfc8448ServerAlert = "17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64 a9"
)

func TestHKDFExpandLabelRFC8448(t *testing.T) {
	for _, tc := range []struct {
		name, secret, key, iv string
	}{
		{"server handshake", rfc8448ServerHS, "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc", "5d 31 3e b2 67 12 76 ee 13 00 0b 30"},
		{"client handshake", rfc8448ClientHS, "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01", "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f"},
		{"server application", rfc8448ServerAP, "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56", "cf 78 2b 88 dd 83 54 9a ad f1 e9 84"},
	} {
		s, err := tls13SuiteOf(suiteAES128GCMSHA256)
		if err != nil {
			t.Fatal(err)
		}
		key, iv := trafficKeys13(s, unhex(t, tc.secret))
		if !bytes.Equal(key, unhex(t, tc.key)) || !bytes.Equal(iv, unhex(t, tc.iv)) {
			t.Errorf("%s: key %x iv %x, want %s / %s", tc.name, key, iv, tc.key, tc.iv)
		}
	}
	// The server Finished key, HKDF-Expand-Label(secret, "finished", "", 32).
	got := hkdfExpandLabel(crypto.SHA256, unhex(t, rfc8448ServerHS), "finished", nil, 32)
	if want := unhex(t, "00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f c0 68 bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8"); !bytes.Equal(got, want) {
		t.Errorf("finished key %x, want %x", got, want)
	}
}

// handshakeTypes lists the types of the whole handshake messages in b.
func handshakeTypes(t testing.TB, b []byte) []HandshakeType {
	t.Helper()
	var out []HandshakeType
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatalf("handshake stream ends inside a header: %x", b)
		}
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if len(b) < 4+n {
			t.Fatalf("handshake stream ends inside a %v message", HandshakeType(b[0]))
		}
		out = append(out, HandshakeType(b[0]))
		b = b[4+n:]
	}
	return out
}

// openHex opens one hex record with o, failing the test on an error.
func openHex(t *testing.T, o *recordOpener, rec string) (ContentType, []byte) {
	t.Helper()
	b := unhex(t, rec)
	r, n, err := ParseRecord(b)
	if err != nil || n != len(b) {
		t.Fatalf("ParseRecord: %d of %d bytes, %v", n, len(b), err)
	}
	typ, pt, err := o.Open(b[:RecordHeaderLen], r.Fragment)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return typ, pt
}

func mustOpener13(t testing.TB, suite CipherSuite, secret []byte) *recordOpener {
	t.Helper()
	o, err := newTLS13Opener(suite, secret)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestOpenRFC8448 opens every protected record of RFC 8448 section 3 with
// the secrets a key log would give for it.
func TestOpenRFC8448(t *testing.T) {
	// The server's flight under its handshake traffic secret.
	sHS := mustOpener13(t, suiteAES128GCMSHA256, unhex(t, rfc8448ServerHS))
	typ, pt := openHex(t, sHS, rfc8448ServerFlight)
	if typ != ContentHandshake {
		t.Fatalf("server flight type %v", typ)
	}
	want := []HandshakeType{TypeEncryptedExtensions, TypeCertificate, TypeCertificateVerify, TypeFinished}
	if diff := cmp.Diff(want, handshakeTypes(t, pt)); diff != "" {
		t.Errorf("server flight (-want +got):\n%s", diff)
	}
	if len(pt) != 657 {
		t.Errorf("server flight is %d bytes, RFC 8448 says 657", len(pt))
	}
	if cap(pt) != len(pt) {
		t.Errorf("plaintext capacity %d runs past its length %d", cap(pt), len(pt))
	}

	// The client's Finished under its handshake traffic secret.
	cHS := mustOpener13(t, suiteAES128GCMSHA256, unhex(t, rfc8448ClientHS))
	typ, pt = openHex(t, cHS, rfc8448ClientFinished)
	if typ != ContentHandshake || !cmp.Equal(handshakeTypes(t, pt), []HandshakeType{TypeFinished}) {
		t.Errorf("client flight: %v %x", typ, pt)
	}

	// Application traffic: the ticket, data both ways, close_notify both
	// ways; the sequence numbers run on per direction.
	sAP := mustOpener13(t, suiteAES128GCMSHA256, unhex(t, rfc8448ServerAP))
	cAP := mustOpener13(t, suiteAES128GCMSHA256, unhex(t, rfc8448ClientAP))
	typ, pt = openHex(t, sAP, rfc8448ServerTicket)
	if typ != ContentHandshake || !cmp.Equal(handshakeTypes(t, pt), []HandshakeType{TypeNewSessionTicket}) {
		t.Errorf("ticket: %v %x", typ, pt)
	}
	data := make([]byte, 50)
	for i := range data {
		data[i] = byte(i)
	}
	for _, tc := range []struct {
		name string
		o    *recordOpener
		rec  string
		typ  ContentType
		pt   []byte
		seq  uint64
	}{
		{"client data", cAP, rfc8448ClientApp, ContentApplicationData, data, 1},
		{"server data", sAP, rfc8448ServerApp, ContentApplicationData, data, 2},
		{"client close_notify", cAP, rfc8448ClientAlert, ContentAlert, []byte{1, 0}, 2},
		{"server close_notify", sAP, rfc8448ServerAlert, ContentAlert, []byte{1, 0}, 3},
	} {
		typ, pt := openHex(t, tc.o, tc.rec)
		if typ != tc.typ || !bytes.Equal(pt, tc.pt) || tc.o.Seq() != tc.seq {
			t.Errorf("%s: %v %x seq %d, want %v %x seq %d", tc.name, typ, pt, tc.o.Seq(), tc.typ, tc.pt, tc.seq)
		}
	}
}

// seal13 protects one TLS 1.3 record the way a peer does (RFC 8446 5.2),
// with keys from the key schedule under test, for the failure and
// KeyUpdate tests and the fuzz seeds.
func seal13(t testing.TB, suite CipherSuite, secret []byte, seq uint64, inner []byte) []byte {
	t.Helper()
	s, err := tls13SuiteOf(suite)
	if err != nil {
		t.Fatal(err)
	}
	key, iv := trafficKeys13(s, secret)
	aead, err := s.newAEAD(key)
	if err != nil {
		t.Fatal(err)
	}
	nonce := append([]byte(nil), iv...)
	for i := range 8 {
		nonce[len(nonce)-1-i] ^= byte(seq >> (8 * i))
	}
	n := len(inner) + aead.Overhead()
	hdr := []byte{byte(ContentApplicationData), 3, 3, byte(n >> 8), byte(n)}
	return aead.Seal(hdr, nonce, inner, hdr)
}

func splitRecord(t testing.TB, rec []byte) (header, body []byte) {
	t.Helper()
	if len(rec) < RecordHeaderLen {
		t.Fatalf("record of %d bytes", len(rec))
	}
	return rec[:RecordHeaderLen], rec[RecordHeaderLen:]
}

func TestOpen13Padding(t *testing.T) {
	secret := mkBytes(32, 1)
	for _, tc := range []struct {
		name  string
		inner []byte
		typ   ContentType
		pt    []byte
	}{
		{"no padding", []byte{0x14, 0, 0, 1, 0xaa, 22}, ContentHandshake, []byte{0x14, 0, 0, 1, 0xaa}},
		{"padding", append([]byte{1, 0, 21}, make([]byte, 100)...), ContentAlert, []byte{1, 0}},
		{"empty content", append([]byte{23}, make([]byte, 7)...), ContentApplicationData, []byte{}},
		{"zero in content", []byte{0, 0, 22, 0}, ContentHandshake, []byte{0, 0}},
	} {
		o := mustOpener13(t, suiteAES128GCMSHA256, secret)
		typ, pt, err := o.Open(splitRecord(t, seal13(t, suiteAES128GCMSHA256, secret, 0, tc.inner)))
		if err != nil || typ != tc.typ || !bytes.Equal(pt, tc.pt) {
			t.Errorf("%s: %v %x %v, want %v %x", tc.name, typ, pt, err, tc.typ, tc.pt)
		}
	}
}

// TestOpen13Failures: every fault is either ErrBadRecordMAC or a
// *ParseError, gives no plaintext, and only an authenticated record moves
// the sequence number.
func TestOpen13Failures(t *testing.T) {
	secret := mkBytes(32, 2)
	good := seal13(t, suiteAES128GCMSHA256, secret, 0, []byte{0x14, 0, 0, 0, 22})
	long := make([]byte, maxCiphertext13+1)
	for _, tc := range []struct {
		name    string
		rec     []byte
		mac     bool   // want ErrBadRecordMAC, else a *ParseError
		field   string // the ParseError's field
		seqNext uint64
	}{
		{"wrong key", seal13(t, suiteAES128GCMSHA256, mkBytes(32, 3), 0, []byte{0x14, 0, 0, 0, 22}), true, "", 0},
		{"wrong sequence number", seal13(t, suiteAES128GCMSHA256, secret, 1, []byte{0x14, 0, 0, 0, 22}), true, "", 0},
		{"flipped tag bit", func() []byte { b := bytes.Clone(good); b[len(b)-1] ^= 1; return b }(), true, "", 0},
		{"flipped header bit", func() []byte { b := bytes.Clone(good); b[2] ^= 1; return b }(), true, "", 0},
		{"truncated body", cat(good[:3], []byte{0, byte(len(good) - 6)}, good[5:len(good)-1]), true, "", 0},
		{"length disagrees with body", good[:len(good)-1], false, "length", 0},
		{"shorter than the tag", []byte{23, 3, 3, 0, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, false, "length", 0},
		{"empty", []byte{23, 3, 3, 0, 0}, false, "length", 0},
		{"cleartext type", cat([]byte{22}, good[1:]), false, "opaque_type", 0},
		{"all-zero plaintext", seal13(t, suiteAES128GCMSHA256, secret, 0, make([]byte, 20)), false, "content_type", 1},
		{"plaintext over 2^14+1", seal13(t, suiteAES128GCMSHA256, secret, 0, append(make([]byte, MaxPlaintext+1), 22)), false, "length", 1},
		{"record over 2^14+256", cat([]byte{23, 3, 3, byte(len(long) >> 8), byte(len(long))}, long), false, "length", 0},
	} {
		o := mustOpener13(t, suiteAES128GCMSHA256, secret)
		typ, pt, err := o.Open(splitRecord(t, tc.rec))
		if pt != nil || typ != 0 {
			t.Errorf("%s: returned %v %x with %v", tc.name, typ, pt, err)
		}
		var pe *ParseError
		switch {
		case tc.mac && !errors.Is(err, ErrBadRecordMAC):
			t.Errorf("%s: %v, want ErrBadRecordMAC", tc.name, err)
		case !tc.mac && (!errors.As(err, &pe) || pe.Field != tc.field):
			t.Errorf("%s: %v, want a ParseError on %s", tc.name, err, tc.field)
		}
		if o.Seq() != tc.seqNext {
			t.Errorf("%s: seq %d after the failure, want %d", tc.name, o.Seq(), tc.seqNext)
		}
		// A failed record leaves the opener usable for the right one.
		if tc.seqNext == 0 {
			if _, _, err := o.Open(splitRecord(t, bytes.Clone(good))); err != nil {
				t.Errorf("%s: the good record after it: %v", tc.name, err)
			}
		}
	}
	if _, _, err := mustOpener13(t, suiteAES128GCMSHA256, secret).Open(good[:4], good[5:]); err == nil {
		t.Error("a 4-byte header opened")
	}
}

func TestUnsupportedSuites(t *testing.T) {
	for _, s := range []CipherSuite{0xC02F, 0x0a0a} {
		_, err := newTLS13Opener(s, make([]byte, 32))
		var ue *UnsupportedSuiteError
		if !errors.As(err, &ue) || ue.Suite != s || ue.Version != VersionTLS13 {
			t.Errorf("%v: %v, want an UnsupportedSuiteError", s, err)
		}
	}
	for _, s := range []CipherSuite{0x1301, 0x0005, 0x00BA} { // a 1.3 suite, RC4, CAMELLIA
		_, _, err := newTLS12Openers(s, make([]byte, 48), make([]byte, 32), make([]byte, 32), false)
		var ue *UnsupportedSuiteError
		if !errors.As(err, &ue) || ue.Suite != s || ue.Version != VersionTLS12 {
			t.Errorf("TLS 1.2 %v: %v, want an UnsupportedSuiteError", s, err)
		}
	}
	if _, err := newTLS13Opener(suiteAES256GCMSHA384, make([]byte, 32)); err == nil {
		t.Error("a 32-byte secret was taken for a SHA-384 suite")
	}
}

// TestOpen13CCM checks the CCM suites' parameters: the tag lengths (16
// and 8 bytes) and that a record sealed under one does not open under the
// other. That the bytes agree with a real peer's is
// TestDecryptFixtures' tls13-aes128ccm capture (OpenSSL).
func TestOpen13CCM(t *testing.T) {
	secret := mkBytes(32, 7)
	inner := append([]byte("hello"), byte(ContentApplicationData))
	for _, tc := range []struct {
		suite CipherSuite
		tag   int
	}{{suiteAES128CCMSHA256, 16}, {suiteAES128CCM8SHA256, 8}} {
		rec := seal13(t, tc.suite, secret, 0, inner)
		if got := len(rec) - RecordHeaderLen - len(inner); got != tc.tag {
			t.Errorf("%v: tag of %d bytes, want %d", tc.suite, got, tc.tag)
		}
		typ, pt, err := mustOpener13(t, tc.suite, secret).Open(splitRecord(t, bytes.Clone(rec)))
		if err != nil || typ != ContentApplicationData || string(pt) != "hello" {
			t.Errorf("%v: %v %q %v", tc.suite, typ, pt, err)
		}
		other := suiteAES128CCM8SHA256 + suiteAES128CCMSHA256 - tc.suite
		if _, _, err := mustOpener13(t, other, secret).Open(splitRecord(t, bytes.Clone(rec))); err == nil {
			t.Errorf("%v record opened as %v", tc.suite, other)
		}
	}
}

func TestKeyUpdate(t *testing.T) {
	for _, suite := range []CipherSuite{suiteAES128GCMSHA256, suiteAES256GCMSHA384, suiteChaCha20Poly1305SHA256} {
		s, _ := tls13SuiteOf(suite)
		secret := mkBytes(s.hash.Size(), 4)
		o := mustOpener13(t, suite, secret)
		ku := mkHS(TypeKeyUpdate, []byte{0})
		if _, _, err := o.Open(splitRecord(t, seal13(t, suite, secret, 0, append(ku, 22)))); err != nil {
			t.Fatalf("%v: %v", suite, err)
		}
		if err := o.KeyUpdate(); err != nil {
			t.Fatal(err)
		}
		// RFC 8446 7.2: the next secret is HKDF-Expand-Label(secret,
		// "traffic upd", "", Hash.length); the sequence number restarts.
		next := hkdfExpandLabel(s.hash, secret, "traffic upd", nil, s.hash.Size())
		if o.Seq() != 0 {
			t.Errorf("%v: seq %d after KeyUpdate", suite, o.Seq())
		}
		typ, pt, err := o.Open(splitRecord(t, seal13(t, suite, next, 0, []byte("after\x17"))))
		if err != nil || typ != ContentApplicationData || string(pt) != "after" {
			t.Errorf("%v: after KeyUpdate: %v %q %v", suite, typ, pt, err)
		}
		// The old key no longer opens.
		if _, _, err := o.Open(splitRecord(t, seal13(t, suite, secret, 1, []byte("old\x17")))); !errors.Is(err, ErrBadRecordMAC) {
			t.Errorf("%v: old key after KeyUpdate: %v", suite, err)
		}
	}
}

// TestChaCha20Poly1305RFC8439 pins the AEAD that the ChaCha20 suites use
// to RFC 8439 2.8.2's vector, so a test that seals with it is not only
// checking itself.
func TestChaCha20Poly1305RFC8439(t *testing.T) {
	key := unhex(t, "80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f")
	nonce := unhex(t, "07 00 00 00 40 41 42 43 44 45 46 47")
	aad := unhex(t, "50 51 52 53 c0 c1 c2 c3 c4 c5 c6 c7")
	pt := "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
	wantTag := unhex(t, "1a e1 0b 59 4f 09 e2 6a 7e 90 2e cb d0 60 06 91")
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		t.Fatal(err)
	}
	ct := aead.Seal(nil, nonce, []byte(pt), aad)
	if !bytes.Equal(ct[len(ct)-16:], wantTag) || !bytes.HasPrefix(ct, unhex(t, "d3 1a 8d 34 64 8e 60 db 7b 86 af bc 53 ef 7e c2")) {
		t.Errorf("RFC 8439 2.8.2: got %x", ct)
	}
}

// ---- end to end: real crypto/tls peers, their key log, their bytes ----

// recorder keeps a copy of every byte a side writes.
type recorder struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
	// rewrite, when set, changes what this side reads (the AES-256 test
	// edits the offered cipher suites on the server's side).
	rewrite func([]byte)
	// mute, when set, swallows this side's writes after its first: the
	// AES-256 test's client, whose alert would otherwise wait on the pipe
	// for a server that is still writing.
	mute   bool
	writes int
}

func (r *recorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	r.buf.Write(b)
	r.writes++
	muted := r.mute && r.writes > 1
	r.mu.Unlock()
	if muted {
		return len(b), nil
	}
	return r.Conn.Write(b)
}

func (r *recorder) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	if r.rewrite != nil {
		r.rewrite(b[:n])
	}
	return n, err
}

func (r *recorder) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.buf.Bytes())
}

var testCerts = sync.OnceValues(func() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "decrypt test"},
		DNSNames:     []string{"decrypt.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
})

// keyLog is a minimal NSS key log reader: label -> secret, for the one
// connection a test makes.
func parseKeyLog(t testing.TB, text string) map[SecretLabel][]byte {
	t.Helper()
	out := map[SecretLabel][]byte{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		secret, err := hex.DecodeString(f[2])
		if err != nil {
			t.Fatalf("key log line %q: %v", line, err)
		}
		out[SecretLabelOf(f[0])] = secret
	}
	return out
}

type pipeRun struct {
	client, server []byte // what each side wrote
	keyLog         string
	state          tls.ConnectionState
	serverErr      error
}

// runPipe runs a crypto/tls handshake over net.Pipe and a short exchange
// of data, recording both sides' bytes and the key log.
func runPipe(t *testing.T, version uint16, suites []uint16, mTLS bool, serverRewrite func([]byte)) pipeRun {
	t.Helper()
	cert, err := testCerts()
	if err != nil {
		t.Fatal(err)
	}
	var keyLog bytes.Buffer
	var logMu sync.Mutex
	kw := writerFunc(func(b []byte) (int, error) { logMu.Lock(); defer logMu.Unlock(); return keyLog.Write(b) })
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool.AddCert(leaf)
	serverCfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   version, MaxVersion: version,
		CipherSuites: suites,
		KeyLogWriter: kw,
	}
	clientCfg := &tls.Config{
		RootCAs: pool, ServerName: "decrypt.test",
		MinVersion: version, MaxVersion: version,
		CipherSuites: suites,
	}
	if serverRewrite == nil {
		// The server logs too; the client's log is the one a test host's
		// owner usually has.
		serverCfg.KeyLogWriter = nil
		clientCfg.KeyLogWriter = kw
	}
	if mTLS {
		serverCfg.ClientAuth = tls.RequireAndVerifyClientCert
		serverCfg.ClientCAs = pool
		clientCfg.Certificates = []tls.Certificate{cert}
	}
	c, s := net.Pipe()
	rc, rs := &recorder{Conn: c, mute: serverRewrite != nil}, &recorder{Conn: s, rewrite: serverRewrite}
	deadline := time.Now().Add(10 * time.Second)
	c.SetDeadline(deadline)
	s.SetDeadline(deadline)

	done := make(chan error, 1)
	go func() {
		srv := tls.Server(rs, serverCfg)
		err := srv.Handshake()
		if err == nil {
			buf := make([]byte, 4)
			if _, err = io.ReadFull(srv, buf); err == nil {
				_, err = srv.Write([]byte("pong"))
			}
		}
		// Close the pipe, not the tls.Conn: on a synchronous pipe both
		// close_notify writes would wait for a reader (5 s each).
		s.Close()
		done <- err
	}()
	cli := tls.Client(rc, clientCfg)
	var run pipeRun
	if err := cli.Handshake(); err == nil {
		run.state = cli.ConnectionState()
		if _, err := cli.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(cli, make([]byte, 4)); err != nil {
			t.Fatal(err)
		}
	} else if serverRewrite == nil {
		t.Fatalf("client handshake: %v", err)
	}
	c.Close()
	run.serverErr = <-done
	run.client, run.server, run.keyLog = rc.bytes(), rs.bytes(), keyLog.String()
	return run
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// direction13 reads one direction of a TLS 1.3 connection the way a Conn
// will: cleartext records up to the hello, then every application_data
// record opened with the handshake traffic secret until that side's
// Finished, then with the application traffic secret. It returns the
// handshake message types it read encrypted, and the application data.
func direction13(t *testing.T, stream []byte, suite CipherSuite, hsSecret, apSecret []byte) (encrypted []HandshakeType, appData []byte) {
	t.Helper()
	o := mustOpener13(t, suite, hsSecret)
	var hs []byte
	for len(stream) > 0 {
		rec, n, err := ParseRecord(stream)
		if err != nil {
			t.Fatalf("ParseRecord: %v", err)
		}
		header := stream[:RecordHeaderLen]
		stream = stream[n:]
		if rec.Type != ContentApplicationData {
			continue // the hello, middlebox ChangeCipherSpec
		}
		// Decrypt in a buffer of our own: the stream is the recorder's.
		body := bytes.Clone(rec.Fragment)
		typ, pt, err := o.Open(header, body)
		if err != nil {
			t.Fatalf("record %d under %v: %v", o.Seq(), suite, err)
		}
		switch typ {
		case ContentHandshake:
			hs = append(hs, pt...)
		case ContentApplicationData:
			appData = append(appData, pt...)
		}
		// Cut whole messages; switch keys after this side's Finished.
		for len(hs) >= 4 {
			m := 4 + (int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3]))
			if len(hs) < m {
				break
			}
			mt := HandshakeType(hs[0])
			encrypted = append(encrypted, mt)
			hs = hs[m:]
			if mt == TypeFinished && apSecret != nil {
				o = mustOpener13(t, suite, apSecret)
			}
		}
	}
	return encrypted, appData
}

func checkTLS13Pipe(t *testing.T, wantSuite CipherSuite) {
	run := runPipe(t, tls.VersionTLS13, nil, true, nil)
	if run.serverErr != nil {
		t.Fatalf("server: %v", run.serverErr)
	}
	suite := CipherSuite(run.state.CipherSuite)
	if suite != wantSuite {
		t.Fatalf("crypto/tls chose %v, want %v", suite, wantSuite)
	}
	keys := parseKeyLog(t, run.keyLog)
	sTypes, sData := direction13(t, run.server, suite, keys[SecretServerHandshakeTraffic], keys[SecretServerTraffic0])
	cTypes, cData := direction13(t, run.client, suite, keys[SecretClientHandshakeTraffic], keys[SecretClientTraffic0])
	wantS := []HandshakeType{TypeEncryptedExtensions, TypeCertificateRequest, TypeCertificate, TypeCertificateVerify, TypeFinished}
	if len(sTypes) < len(wantS) || !cmp.Equal(sTypes[:len(wantS)], wantS) {
		t.Errorf("server's encrypted messages %v, want %v then tickets", sTypes, wantS)
	}
	for _, mt := range sTypes[min(len(wantS), len(sTypes)):] {
		if mt != TypeNewSessionTicket {
			t.Errorf("server's post-handshake message %v", mt)
		}
	}
	if diff := cmp.Diff([]HandshakeType{TypeCertificate, TypeCertificateVerify, TypeFinished}, cTypes); diff != "" {
		t.Errorf("client's encrypted messages (-want +got):\n%s", diff)
	}
	if string(cData) != "ping" || string(sData) != "pong" {
		t.Errorf("application data %q / %q", cData, sData)
	}
}

// TestDecryptGoTLS13 decrypts every encrypted record of a mutual-TLS
// handshake between crypto/tls peers, both directions, with the secrets
// of the client's key log.
func TestDecryptGoTLS13(t *testing.T) {
	if os.Getenv("TLSPARSE_DECRYPT_CHILD") != "" {
		// Re-executed by the ChaCha20 case with AES hardware hidden.
		checkTLS13Pipe(t, suiteChaCha20Poly1305SHA256)
		return
	}
	t.Run("AES_128_GCM", func(t *testing.T) { checkTLS13Pipe(t, suiteAES128GCMSHA256) })
	t.Run("CHACHA20_POLY1305", func(t *testing.T) {
		// crypto/tls has no knob for TLS 1.3 suites, but both sides put
		// ChaCha20 first when the CPU lacks AES: GODEBUG=cpu.aes=off
		// hides it, and GODEBUG is read at start, hence the child process.
		cmd := exec.Command(os.Args[0], "-test.run=^TestDecryptGoTLS13$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "TLSPARSE_DECRYPT_CHILD=1", "GODEBUG=cpu.aes=off")
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("--- PASS: TestDecryptGoTLS13")) {
			t.Fatalf("child: %v\n%s", err, out)
		}
	})
	t.Run("AES_256_GCM_server_flight", func(t *testing.T) {
		// Nor can crypto/tls be made to choose AES-256-GCM: its server
		// prefers AES-128. The server's side of the pipe rewrites the
		// offered TLS_AES_128_GCM_SHA256 to a GREASE value, so the server
		// picks TLS_AES_256_GCM_SHA384 and encrypts its flight under it.
		// The client's transcript then differs and it aborts, so only the
		// server's flight (from the server's key log) is checked.
		rewrite := func(b []byte) {
			if i := bytes.Index(b, []byte{0x13, 0x01, 0x13, 0x02, 0x13, 0x03}); i >= 0 {
				b[i], b[i+1] = 0x0a, 0x0a
			}
		}
		run := runPipe(t, tls.VersionTLS13, nil, true, rewrite)
		keys := parseKeyLog(t, run.keyLog)
		hs := keys[SecretServerHandshakeTraffic]
		if len(hs) != 48 {
			t.Fatalf("server handshake secret %x: the rewrite did not give SHA-384 (server: %v)", hs, run.serverErr)
		}
		types, _ := direction13(t, run.server, suiteAES256GCMSHA384, hs, nil)
		want := []HandshakeType{TypeEncryptedExtensions, TypeCertificateRequest, TypeCertificate, TypeCertificateVerify, TypeFinished}
		if diff := cmp.Diff(want, types); diff != "" {
			t.Errorf("server's encrypted messages (-want +got):\n%s", diff)
		}
	})
}

// helloRandom is the random of the hello at the start of stream.
func helloRandom(t *testing.T, stream []byte) []byte {
	t.Helper()
	rec, _, err := ParseRecord(stream)
	if err != nil || rec.Type != ContentHandshake || len(rec.Fragment) < 38 {
		t.Fatalf("no hello at the start of the stream: %v", err)
	}
	return rec.Fragment[6:38]
}

// direction12 opens the records of one TLS 1.2 direction after its
// ChangeCipherSpec.
func direction12(t *testing.T, stream []byte, o *recordOpener) (encrypted []HandshakeType, appData []byte) {
	t.Helper()
	on := false
	for len(stream) > 0 {
		rec, n, err := ParseRecord(stream)
		if err != nil {
			t.Fatalf("ParseRecord: %v", err)
		}
		header := stream[:RecordHeaderLen]
		stream = stream[n:]
		if rec.Type == ContentChangeCipherSpec {
			on = true
			continue
		}
		if !on {
			continue
		}
		typ, pt, err := o.Open(header, bytes.Clone(rec.Fragment))
		if err != nil {
			t.Fatalf("record %d: %v", o.Seq(), err)
		}
		switch typ {
		case ContentHandshake:
			encrypted = append(encrypted, handshakeTypes(t, pt)...)
		case ContentApplicationData:
			appData = append(appData, pt...)
		}
	}
	return encrypted, appData
}

// TestDecryptGoTLS12 opens both directions' Finished and data of TLS 1.2
// connections between crypto/tls peers, from the CLIENT_RANDOM line.
func TestDecryptGoTLS12(t *testing.T) {
	for _, suite := range []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	} {
		t.Run(tls.CipherSuiteName(suite), func(t *testing.T) {
			run := runPipe(t, tls.VersionTLS12, []uint16{suite}, true, nil)
			if run.serverErr != nil {
				t.Fatalf("server: %v", run.serverErr)
			}
			if run.state.CipherSuite != suite {
				t.Fatalf("crypto/tls chose %v", tls.CipherSuiteName(run.state.CipherSuite))
			}
			master := parseKeyLog(t, run.keyLog)[SecretMaster]
			co, so, err := newTLS12Openers(CipherSuite(suite), master, helloRandom(t, run.client), helloRandom(t, run.server), false)
			if err != nil {
				t.Fatal(err)
			}
			cTypes, cData := direction12(t, run.client, co)
			sTypes, sData := direction12(t, run.server, so)
			if !cmp.Equal(cTypes, []HandshakeType{TypeFinished}) || string(cData) != "ping" {
				t.Errorf("client: %v %q", cTypes, cData)
			}
			// crypto/tls sends no ticket here, so the server's Finished
			// is its only encrypted handshake message.
			if !cmp.Equal(sTypes, []HandshakeType{TypeFinished}) || string(sData) != "pong" {
				t.Errorf("server: %v %q", sTypes, sData)
			}
		})
	}
}

// seal12CBC protects a TLS 1.2 CBC record (for encrypt_then_mac, which
// crypto/tls does not speak, and the failure cases).
func seal12CBC(t testing.TB, o *recordOpener, macKey, key []byte, seq uint64, typ ContentType, content []byte, padLen int) []byte {
	t.Helper()
	b, _ := aes.NewCipher(key)
	iv := mkBytes(16, byte(seq))
	mac := func(data []byte) []byte {
		var ad [13]byte
		binary.BigEndian.PutUint64(ad[:], seq)
		ad[8], ad[9], ad[10] = byte(typ), 3, 3
		binary.BigEndian.PutUint16(ad[11:], uint16(len(data)))
		h := hmac.New(sha1.New, macKey)
		h.Write(ad[:])
		h.Write(data)
		return h.Sum(nil)
	}
	pad := func(p []byte) []byte {
		for range padLen + 1 {
			p = append(p, byte(padLen))
		}
		return p
	}
	var body []byte
	if o.etm {
		p := pad(bytes.Clone(content))
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(p, p)
		ct := cat(iv, p)
		body = cat(ct, mac(ct))
	} else {
		p := pad(cat(content, mac(content)))
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(p, p)
		body = cat(iv, p)
	}
	return cat([]byte{byte(typ), 3, 3, byte(len(body) >> 8), byte(len(body))}, body)
}

func TestOpen12CBC(t *testing.T) {
	const suite = CipherSuite(0xC013) // ECDHE_RSA_WITH_AES_128_CBC_SHA
	master, cr, sr := mkBytes(48, 5), mkBytes(32, 6), mkBytes(32, 7)
	for _, etm := range []bool{false, true} {
		// The client's keys, as the opener derived them.
		s := tls12Suites[suite]
		kb := prf12(s.prf, master, "key expansion", cat(sr, cr), 2*(20+16))
		macKey, key := kb[:20], kb[40:56]
		co, _, err := newTLS12Openers(suite, master, cr, sr, etm)
		if err != nil {
			t.Fatal(err)
		}
		msg := mkHS(TypeFinished, mkBytes(12, 8))
		// 32 bytes of content + MAC 20 = 52; pad to 64 with 11+1 bytes
		// (MtE), or 12+4 (EtM: 12 content + 3 +1 = 16).
		padLen := 11
		if etm {
			padLen = 15 - len(msg)%16
		}
		for i, tc := range []struct {
			name string
			rec  []byte
			ok   bool
		}{
			{"good", seal12CBC(t, co, macKey, key, 0, ContentHandshake, msg, padLen), true},
			{"long padding", seal12CBC(t, co, macKey, key, 1, ContentHandshake, msg, padLen+16), true},
			{"wrong MAC key", seal12CBC(t, co, mkBytes(20, 9), key, 2, ContentHandshake, msg, padLen), false},
			{"wrong sequence number", seal12CBC(t, co, macKey, key, 7, ContentHandshake, msg, padLen), false},
		} {
			typ, pt, err := co.Open(splitRecord(t, tc.rec))
			if tc.ok && (err != nil || typ != ContentHandshake || !bytes.Equal(pt, msg)) {
				t.Errorf("etm=%v %s: %v %x %v", etm, tc.name, typ, pt, err)
			}
			if !tc.ok && (!errors.Is(err, ErrBadRecordMAC) || pt != nil) {
				t.Errorf("etm=%v %s: %x %v, want ErrBadRecordMAC", etm, tc.name, pt, err)
			}
			if want := uint64(min(i+1, 2)); co.Seq() != want {
				t.Errorf("etm=%v %s: seq %d, want %d", etm, tc.name, co.Seq(), want)
			}
		}
	}
}

// TestTLS12SuiteNames checks the suite table's numbers against the IANA
// names: a typo in an ID would otherwise decrypt the wrong suite.
func TestTLS12SuiteNames(t *testing.T) {
	for id, s := range tls12Suites {
		name := id.String()
		var want []string
		switch s.kind {
		case kindGCM:
			want = []string{fmt.Sprintf("_AES_%d_GCM_", s.keyLen*8)}
		case kindChaCha:
			want = []string{"_CHACHA20_POLY1305_SHA256"}
		case kindCBC:
			if s.des {
				want = []string{"_3DES_EDE_CBC_"}
			} else {
				want = []string{fmt.Sprintf("_AES_%d_CBC_", s.keyLen*8)}
			}
			want = append(want, map[crypto.Hash]string{crypto.SHA1: "_SHA", crypto.SHA256: "_SHA256", crypto.SHA384: "_SHA384"}[s.mac])
		}
		if s.prf == crypto.SHA384 {
			want = append(want, "_SHA384")
		}
		for _, w := range want {
			if !strings.Contains(name, w) || (w == "_SHA" && !strings.HasSuffix(name, "_SHA")) {
				t.Errorf("0x%04X is %s, table says %q", uint16(id), name, w)
			}
		}
		if s.prf != crypto.SHA384 && strings.HasSuffix(name, "SHA384") {
			t.Errorf("0x%04X is %s, table says PRF %v", uint16(id), name, s.prf)
		}
	}
}

// ---- fuzzing ----

// The fixed keys of the fuzz target: one opener per kind, each made anew
// for every input.
var fuzzKinds = []struct {
	name    string
	version Version
	suite   CipherSuite
	etm     bool
}{
	{"1.3 AES-128-GCM (RFC 8448 server handshake secret)", VersionTLS13, suiteAES128GCMSHA256, false},
	{"1.3 AES-256-GCM", VersionTLS13, suiteAES256GCMSHA384, false},
	{"1.3 ChaCha20-Poly1305", VersionTLS13, suiteChaCha20Poly1305SHA256, false},
	{"1.2 AES-128-GCM", VersionTLS12, 0xC02F, false},
	{"1.2 ChaCha20-Poly1305", VersionTLS12, 0xCCA8, false},
	{"1.2 AES-128-CBC-SHA", VersionTLS12, 0xC013, false},
	{"1.2 AES-128-CBC-SHA encrypt_then_mac", VersionTLS12, 0xC013, true},
	{"1.2 AES-256-CBC-SHA384", VersionTLS12, 0xC028, false},
	{"1.2 3DES-EDE-CBC-SHA", VersionTLS12, 0x000A, false},
}

func fuzzSecret13(t testing.TB, suite CipherSuite) []byte {
	if suite == suiteAES128GCMSHA256 {
		return unhex(t, rfc8448ServerHS)
	}
	s, _ := tls13SuiteOf(suite)
	return mkBytes(s.hash.Size(), 10)
}

var fuzzMaster, fuzzCR, fuzzSR = mkBytes(48, 11), mkBytes(32, 12), mkBytes(32, 13)

func fuzzOpener(t testing.TB, kind int) *recordOpener {
	k := fuzzKinds[kind]
	if k.version == VersionTLS13 {
		return mustOpener13(t, k.suite, fuzzSecret13(t, k.suite))
	}
	c, _, err := newTLS12Openers(k.suite, fuzzMaster, fuzzCR, fuzzSR, k.etm)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seal12AEAD protects a TLS 1.2 AEAD record with the client keys of the
// fuzz master secret.
func seal12AEAD(t testing.TB, suite CipherSuite, seq uint64, typ ContentType, content []byte) []byte {
	s := tls12Suites[suite]
	ivLen := 4
	if s.kind == kindChaCha {
		ivLen = 12
	}
	kb := prf12(s.prf, fuzzMaster, "key expansion", cat(fuzzSR, fuzzCR), 2*(s.keyLen+ivLen))
	key, iv := kb[:s.keyLen], kb[2*s.keyLen:2*s.keyLen+ivLen]
	var aead cipher.AEAD
	var nonce, explicit []byte
	if s.kind == kindChaCha {
		aead, _ = chacha20poly1305.New(key)
		nonce = bytes.Clone(iv)
		for i := range 8 {
			nonce[11-i] ^= byte(seq >> (8 * i))
		}
	} else {
		aead, _ = newGCM(key)
		explicit = binary.BigEndian.AppendUint64(nil, seq^0x5a5a)
		nonce = cat(iv, explicit)
	}
	ad := binary.BigEndian.AppendUint64(nil, seq)
	ad = append(ad, byte(typ), 3, 3, byte(len(content)>>8), byte(len(content)))
	body := cat(explicit, aead.Seal(nil, nonce, content, ad))
	return cat([]byte{byte(typ), 3, 3, byte(len(body) >> 8), byte(len(body))}, body)
}

// fuzzSeed is a record for an opener of fuzzKinds; ok says it opens.
type fuzzSeed struct {
	kind int
	rec  []byte
	ok   bool
}

func fuzzSeeds(tb testing.TB) []fuzzSeed {
	out := []fuzzSeed{
		{0, unhex(tb, rfc8448ServerFlight), true},
		{0, unhex(tb, rfc8448ClientFinished), false}, // the client's key
	}
	fin := mkHS(TypeFinished, mkBytes(12, 14))
	for i, k := range fuzzKinds {
		switch {
		case k.version == VersionTLS13:
			secret := fuzzSecret13(tb, k.suite)
			out = append(out,
				fuzzSeed{i, seal13(tb, k.suite, secret, 0, append(bytes.Clone(fin), 22)), true},
				fuzzSeed{i, seal13(tb, k.suite, secret, 0, append([]byte{1, 0, 21}, make([]byte, 30)...)), true},
				fuzzSeed{i, seal13(tb, k.suite, secret, 0, make([]byte, 3)), false}) // all zeros
		case k.suite == 0xC02F || k.suite == 0xCCA8:
			out = append(out, fuzzSeed{i, seal12AEAD(tb, k.suite, 0, ContentHandshake, fin), true})
		case k.suite == 0xC013:
			s := tls12Suites[k.suite]
			kb := prf12(s.prf, fuzzMaster, "key expansion", cat(fuzzSR, fuzzCR), 2*(20+16))
			n := len(fin) // padding makes content (and the MAC unless EtM) whole blocks
			if !k.etm {
				n += 20
			}
			rec := seal12CBC(tb, fuzzOpener(tb, i), kb[:20], kb[40:56], 0, ContentHandshake, fin, 15-n%16)
			out = append(out, fuzzSeed{i, rec, true})
		}
	}
	return out
}

// TestFuzzSeedsOpen: the seeds that should open do, so the fuzzer starts
// from records that reach past the tag.
func TestFuzzSeedsOpen(t *testing.T) {
	for i, sd := range fuzzSeeds(t) {
		_, _, err := fuzzOpener(t, sd.kind).Open(splitRecord(t, bytes.Clone(sd.rec)))
		if (err == nil) != sd.ok {
			t.Errorf("seed %d (%s): %v, want ok=%v", i, fuzzKinds[sd.kind].name, err, sd.ok)
		}
	}
}

// FuzzOpen opens arbitrary records with fixed keys. Beyond not panicking:
// an error returns no content type and no plaintext (a record that fails
// its tag never yields bytes) and is ErrBadRecordMAC, which leaves the
// sequence number alone, or a *ParseError; a success returns plaintext
// inside the caller's buffer, advances the sequence number by one, and
// (TLS 1.3) is exactly what sealing the decrypted inner plaintext with
// the key gives back, so no unauthenticated byte came through. The low
// bit of mode picks whether the header's length is made to agree with
// the body (to reach the AEAD) or left as fuzzed.
func FuzzOpen(f *testing.F) {
	for _, sd := range fuzzSeeds(f) {
		f.Add(uint8(sd.kind<<1), sd.rec)
	}
	f.Fuzz(func(t *testing.T, mode uint8, rec []byte) {
		kind := int(mode>>1) % len(fuzzKinds)
		o := fuzzOpener(t, kind)
		if len(rec) < RecordHeaderLen {
			return
		}
		header, body := bytes.Clone(rec[:RecordHeaderLen]), bytes.Clone(rec[RecordHeaderLen:])
		if mode&1 == 0 && len(body) <= 0xffff {
			header[3], header[4] = byte(len(body)>>8), byte(len(body))
		}
		orig := bytes.Clone(body)
		typ, pt, err := o.Open(header, body)
		if err != nil {
			var pe *ParseError
			if typ != 0 || pt != nil {
				t.Fatalf("error %v came with %v %x", err, typ, pt)
			}
			if errors.Is(err, ErrBadRecordMAC) {
				if o.Seq() != 0 {
					t.Fatalf("seq %d after a failed tag", o.Seq())
				}
			} else if !errors.As(err, &pe) {
				t.Fatalf("error %v is neither ErrBadRecordMAC nor a *ParseError", err)
			}
			return
		}
		if o.Seq() != 1 {
			t.Fatalf("seq %d after one record", o.Seq())
		}
		if len(pt) > 0 && !inside(pt, body) {
			t.Fatal("plaintext is not inside the caller's buffer")
		}
		if k := fuzzKinds[kind]; k.version == VersionTLS13 {
			const tagLen = 16 // every TLS 1.3 AEAD here
			inner := body[:len(orig)-tagLen]
			if resealed := seal13(t, k.suite, fuzzSecret13(t, k.suite), 0, inner); !bytes.Equal(resealed, cat(header, orig)) {
				t.Fatalf("opened a record that the key does not seal to")
			}
			if len(pt) >= len(inner) || inner[len(pt)] != byte(typ) {
				t.Fatalf("content type %v is not the inner plaintext's", typ)
			}
		}
	})
}

// inside reports whether sub lies within buf's memory.
func inside(sub, buf []byte) bool {
	for i := range buf {
		if &buf[i] == &sub[0] {
			return i+len(sub) <= len(buf)
		}
	}
	return false
}

// mapKeys is a Keys over one connection's parsed key log.
type mapKeys struct {
	random  []byte
	secrets map[SecretLabel][]byte
}

func (m mapKeys) Secret(l SecretLabel, clientRandom []byte) ([]byte, bool) {
	if !bytes.Equal(clientRandom, m.random) {
		return nil, false
	}
	s, ok := m.secrets[l]
	return s, ok
}

func TestOpenersFromKeys(t *testing.T) {
	cr := mkBytes(32, 20)
	keys := mapKeys{cr, map[SecretLabel][]byte{
		SecretServerHandshakeTraffic: unhex(t, rfc8448ServerHS),
		SecretMaster:                 fuzzMaster,
	}}
	o, err := tls13OpenerFromKeys(keys, SecretServerHandshakeTraffic, cr, suiteAES128GCMSHA256)
	if err != nil {
		t.Fatal(err)
	}
	if typ, _ := openHex(t, o, rfc8448ServerFlight); typ != ContentHandshake {
		t.Errorf("type %v", typ)
	}
	if _, err := tls13OpenerFromKeys(keys, SecretClientHandshakeTraffic, cr, suiteAES128GCMSHA256); !errors.Is(err, ErrNoSecret) {
		t.Errorf("missing label: %v", err)
	}
	if _, err := tls13OpenerFromKeys(keys, SecretServerHandshakeTraffic, mkBytes(32, 21), suiteAES128GCMSHA256); !errors.Is(err, ErrNoSecret) {
		t.Errorf("other connection: %v", err)
	}
	var ue *UnsupportedSuiteError
	if _, err := tls13OpenerFromKeys(keys, SecretServerHandshakeTraffic, cr, 0xC02F); !errors.As(err, &ue) {
		t.Errorf("a TLS 1.2 suite: %v", err)
	}
	c, _, err := tls12OpenersFromKeys(mapKeys{fuzzCR, keys.secrets}, fuzzCR, fuzzSR, 0xC02F, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Open(splitRecord(t, seal12AEAD(t, 0xC02F, 0, ContentHandshake, []byte{20, 0, 0, 0}))); err != nil {
		t.Errorf("TLS 1.2 from keys: %v", err)
	}
	if _, _, err := tls12OpenersFromKeys(keys, mkBytes(32, 21), fuzzSR, 0xC02F, false); !errors.Is(err, ErrNoSecret) {
		t.Errorf("TLS 1.2 other connection: %v", err)
	}
}

// TestOpenAllocs holds Open to its zero-copy contract: opening a record
// allocates nothing.
func TestOpenAllocs(t *testing.T) {
	for i, k := range fuzzKinds {
		var rec []byte
		for _, sd := range fuzzSeeds(t) {
			if sd.kind == i && sd.ok {
				rec = sd.rec
				break
			}
		}
		if rec == nil {
			continue
		}
		buf := make([]byte, len(rec))
		o := fuzzOpener(t, i)
		allocs := testing.AllocsPerRun(50, func() {
			seq := o.seq
			copy(buf, rec)
			if _, _, err := o.Open(buf[:RecordHeaderLen], buf[RecordHeaderLen:]); err != nil {
				t.Fatal(err)
			}
			o.seq = seq
		})
		if allocs != 0 {
			t.Errorf("%s: Open allocates %.0f times per record", k.name, allocs)
		}
	}
}

func BenchmarkOpen13(b *testing.B) {
	for _, suite := range []CipherSuite{suiteAES128GCMSHA256, suiteAES256GCMSHA384, suiteChaCha20Poly1305SHA256} {
		b.Run(suite.String(), func(b *testing.B) {
			secret := fuzzSecret13(b, suite)
			rec := seal13(b, suite, secret, 0, append(make([]byte, MaxPlaintext), 23))
			buf := make([]byte, len(rec))
			o := mustOpener13(b, suite, secret)
			b.SetBytes(int64(len(rec)))
			for b.Loop() {
				copy(buf, rec)
				o.seq = 0
				if _, _, err := o.Open(buf[:RecordHeaderLen], buf[RecordHeaderLen:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDecryptOpenSSLClientAES256 covers TLS_AES_256_GCM_SHA384 in both
// directions, which crypto/tls alone will not negotiate: an OpenSSL
// s_client limited to that suite, with a client certificate, talks to a
// crypto/tls server whose key log gives the secrets. Skipped without an
// openssl binary.
func TestDecryptOpenSSLClientAES256(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("no openssl on PATH")
	}
	cert, err := testCerts()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := dir+"/c.pem", dir+"/k.pem"
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback listener: %v", err)
	}
	defer ln.Close()
	var keyLog bytes.Buffer
	type result struct {
		client, server []byte
		suite          uint16
		err            error
	}
	done := make(chan result, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		raw.SetDeadline(time.Now().Add(10 * time.Second))
		rec := &recorder{Conn: raw}
		var readBuf bytes.Buffer // what the client sent
		rec.rewrite = func(b []byte) { readBuf.Write(b) }
		srv := tls.Server(rec, &tls.Config{
			Certificates: []tls.Certificate{cert},
			ClientAuth:   tls.RequireAnyClientCert,
			MinVersion:   tls.VersionTLS13,
			KeyLogWriter: &keyLog,
		})
		err = srv.Handshake()
		var suite uint16
		if err == nil {
			suite = srv.ConnectionState().CipherSuite
			buf := make([]byte, 4)
			if _, err = io.ReadFull(srv, buf); err == nil {
				srv.Write([]byte("pong")) // the client may be gone already
			}
		}
		raw.Close()
		done <- result{readBuf.Bytes(), rec.bytes(), suite, err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, openssl, "s_client", "-connect", ln.Addr().String(),
		"-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384", "-cert", certPath, "-key", keyPath, "-no_ign_eof")
	cmd.Stdin = strings.NewReader("ping")
	out, cmdErr := cmd.CombinedOutput()
	r := <-done
	if r.err != nil {
		t.Fatalf("server: %v (s_client: %v)\n%s", r.err, cmdErr, out)
	}
	if CipherSuite(r.suite) != suiteAES256GCMSHA384 {
		t.Fatalf("negotiated %v", CipherSuite(r.suite))
	}
	keys := parseKeyLog(t, keyLog.String())
	sTypes, _ := direction13(t, r.server, suiteAES256GCMSHA384, keys[SecretServerHandshakeTraffic], keys[SecretServerTraffic0])
	cTypes, cData := direction13(t, r.client, suiteAES256GCMSHA384, keys[SecretClientHandshakeTraffic], keys[SecretClientTraffic0])
	wantS := []HandshakeType{TypeEncryptedExtensions, TypeCertificateRequest, TypeCertificate, TypeCertificateVerify, TypeFinished}
	if len(sTypes) < len(wantS) || !cmp.Equal(sTypes[:len(wantS)], wantS) {
		t.Errorf("server's encrypted messages %v, want %v then tickets", sTypes, wantS)
	}
	if diff := cmp.Diff([]HandshakeType{TypeCertificate, TypeCertificateVerify, TypeFinished}, cTypes); diff != "" {
		t.Errorf("client's encrypted messages (-want +got):\n%s", diff)
	}
	if string(cData) != "ping" {
		t.Errorf("client data %q", cData)
	}
}
