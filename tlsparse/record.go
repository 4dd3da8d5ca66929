package tlsparse

// Limits. Each is a bound on what one direction may make tlsscan hold.
const (
	// RecordHeaderLen is the TLS record header: type, version, length.
	RecordHeaderLen = 5
	// MaxPlaintext is the largest plaintext fragment (RFC 8446 5.1).
	MaxPlaintext = 1 << 14
	// MaxRecordLen is the largest record body accepted: the ciphertext limit
	// of RFC 5246 6.2.3 (2^14 + 2048). TLS 1.3 allows only +256, so this
	// covers every version; anything longer is malformed, not buffered.
	MaxRecordLen = MaxPlaintext + 2048
	// MaxHandshakeLen is the longest handshake message the protocol can
	// express (a 24-bit length). Every message up to it is accepted: real
	// Certificate messages pass 400 KB and CertificateRequests with
	// hundreds of CA names pass 64 KiB. What bounds memory is the Budget
	// that the Conns of a run share, not a cap per message.
	MaxHandshakeLen = 1<<24 - 1
	// MaxScan bounds how many bytes of a direction are searched for a first
	// TLS record (STARTTLS preambles, captures that start mid-stream) before
	// the direction is declared not TLS.
	MaxScan = 1 << 16
)

// Record is one TLS record. Fragment aliases the input.
type Record struct {
	Type     ContentType
	Version  Version
	Fragment []byte
}

// ParseRecord reads one record from the start of b. It returns the record and
// the bytes it used, ErrNeedMore when b holds less than a whole record, or a
// *ParseError for a header no TLS peer sends (unknown type, major version
// other than 3, length over MaxRecordLen).
func ParseRecord(b []byte) (Record, int, error) {
	if len(b) < RecordHeaderLen {
		if len(b) > 0 && !plausibleType(b[0]) {
			return Record{}, 0, malformed("record", "type", 0)
		}
		return Record{}, 0, ErrNeedMore
	}
	if err := checkHeader(b); err != nil {
		return Record{}, 0, err
	}
	n := int(b[3])<<8 | int(b[4])
	if len(b) < RecordHeaderLen+n {
		return Record{}, 0, ErrNeedMore
	}
	return Record{
		Type:     ContentType(b[0]),
		Version:  Version(uint16(b[1])<<8 | uint16(b[2])),
		Fragment: b[RecordHeaderLen : RecordHeaderLen+n : RecordHeaderLen+n],
	}, RecordHeaderLen + n, nil
}

func plausibleType(t byte) bool { return t >= 20 && t <= 24 }

// checkHeader validates a record header for ParseRecord, naming the bad
// field; headerOK is the same test without the error, for the searches
// that reject most positions they look at and must not allocate for each.
func checkHeader(b []byte) *ParseError {
	switch headerFault(b) {
	case 0:
		return malformed("record", "type", 0)
	case 1:
		return malformed("record", "version", 1)
	case 3:
		return malformed("record", "length", 3)
	}
	return nil
}

func headerOK(b []byte) bool { return headerFault(b) < 0 }

// headerFault returns the offset of the first bad field of a 5-byte record
// header, or -1.
func headerFault(b []byte) int {
	if !plausibleType(b[0]) {
		return 0
	}
	// Major version 3 covers SSL 3.0 to TLS 1.3 (whose records say 0x0301 or
	// 0x0303). Some stacks put 0x0300 or even 0x0000 in the first ClientHello
	// record; 0x00 major is accepted only with minor 0 for that reason.
	if b[1] != 3 && !(b[1] == 0 && b[2] == 0) {
		return 1
	}
	if n := int(b[3])<<8 | int(b[4]); n > MaxRecordLen {
		return 3
	}
	return -1
}

// plausibleRecordAt reports whether b[i:] starts with a record header that a
// TLS peer could send, and, when the data goes on past that record, whether
// another plausible header follows it. It is the resynchronisation test: one
// header alone matches random bytes too often. need is true when b ends
// before the test can be decided.
func plausibleRecordAt(b []byte, i int) (ok, need bool) {
	if len(b)-i < RecordHeaderLen {
		return false, true
	}
	h := b[i:]
	if !headerOK(h) || h[1] != 3 || h[2] > 4 {
		return false, false
	}
	n := int(h[3])<<8 | int(h[4])
	if n == 0 {
		return false, false
	}
	next := i + RecordHeaderLen + n
	switch {
	case next == len(b):
		return true, false
	case next > len(b):
		// Only the first record's header is in: a handshake record whose
		// first message type is a known one is accepted (the common case
		// of a capture whose first segment starts a flight).
		if ContentType(h[0]) == ContentHandshake && len(b)-i > RecordHeaderLen {
			switch HandshakeType(h[5]) {
			case TypeClientHello, TypeServerHello, TypeCertificate, TypeServerKeyExchange,
				TypeCertificateRequest, TypeServerHelloDone, TypeClientKeyExchange,
				TypeNewSessionTicket, TypeCertificateVerify:
				return true, false
			}
			return false, false
		}
		return false, true
	}
	if len(b)-next < RecordHeaderLen {
		return false, true
	}
	return headerOK(b[next:]) && b[next+1] == 3, false
}

// scanNeed is how many bytes from i plausibleRecordAt needs before it can
// decide, when it said it needs more: a Conn waits for that many rather than
// asking again at every new byte.
func scanNeed(b []byte, i int) int {
	h := b[i:]
	if len(h) < RecordHeaderLen {
		return RecordHeaderLen
	}
	if ContentType(h[0]) == ContentHandshake {
		return RecordHeaderLen + 1
	}
	// The record and the next one's header.
	return 2*RecordHeaderLen + (int(h[3])<<8 | int(h[4]))
}

// sslv2Len is the length of the SSLv2 record at the start of b (at least
// two bytes, high bit set): its 2-byte header and its body.
func sslv2Len(b []byte) int { return 2 + (int(b[0]&0x7f)<<8 | int(b[1])) }

// IsSSLv2ClientHello reports whether b starts with an SSLv2-format
// ClientHello (RFC 6101 E.1 / RFC 5246 E.2): a 2-byte header with the high
// bit set, message type 1, and a version of SSL 2.0 or SSL 3.0 and later.
func IsSSLv2ClientHello(b []byte) bool {
	if len(b) < 5 || b[0]&0x80 == 0 || b[2] != 1 {
		return false
	}
	n := int(b[0]&0x7f)<<8 | int(b[1])
	if n < 9 {
		return false
	}
	return (b[3] == 0 && b[4] == 2) || b[3] == 3
}
