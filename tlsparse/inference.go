package tlsparse

// Client authentication in TLS 1.3 without a key log, from the lengths of
// the client's first encrypted records (issue 10's "record_sizes"
// evidence). RFC 8446 fixes the client's second flight: a Certificate if
// and only if the server sent a CertificateRequest (4.4.2), a
// CertificateVerify if that Certificate is not empty (4.4.3), then
// Finished (4.4.4). Protected, each record adds its inner content type
// byte and the AEAD tag (5.2), and no application data may precede the
// Finished (0-RTT aside). So, with H the suite's hash length and T its tag
// length (16; 8 for TLS_AES_128_CCM_8_SHA256):
//
//	Finished alone                  4 + H + 1 + T      (53 with SHA-256)
//	empty Certificate alone         4 + 1 + 3 + 1 + T  (25)
//	empty Certificate + Finished    8 + 4 + H + 1 + T  (61)
//
// and a Certificate carrying certificates is far larger (its DER alone is
// hundreds of bytes). The layouts recognised:
//
//	first record = Finished                       -> not requested, none
//	empty Certificate, then Finished              -> requested, empty
//	empty Certificate + Finished in one record    -> requested, empty
//	big record, CertificateVerify, Finished       -> requested, sent
//	big record (Certificate+CertificateVerify), Finished -> requested, sent
//
// Anything else (record padding, a flight in one record, a capture that
// lost the flight) stays unknown, and so does a client that offered 0-RTT
// (its early data records come first) or, for "not requested",
// post_handshake_auth (the server may still ask, encrypted, later). The
// tests check every layout against the key-log verdicts of real OpenSSL,
// Go and GnuTLS peers.

// minCertRecord is the least a protected Certificate record carrying one
// certificate can be: message and list headers, a certificate of 100
// bytes (smaller than any real one), its extensions length, the content
// type and a tag.
const minCertRecord = 4 + 1 + 3 + 3 + 100 + 2 + 1 + 8

// noteSize13 keeps the length of a TLS 1.3 record half h sent after the
// ServerHello and reports whether the direction should be read on for
// more (the client's first three records).
func (c *Conn) noteSize13(h int, n int) bool {
	hf := &c.half[h]
	if int(c.client) != h || c.earlyOffered || hf.nsizes >= len(hf.sizes) {
		return false
	}
	hf.sizes[hf.nsizes] = n
	hf.nsizes++
	_, _, ok := inferClientAuth13(c.cipher, hf.sizes[:hf.nsizes])
	return !ok && hf.nsizes < len(hf.sizes)
}

// inferClientAuth13 reads the client's first record lengths under suite.
// ok is false when they fit no layout.
func inferClientAuth13(suite CipherSuite, sizes []int) (req CertRequested, cert ClientCert, ok bool) {
	hashLen, tag := 32, 16
	switch suite {
	case suiteAES256GCMSHA384:
		hashLen = 48
	case suiteAES128CCM8SHA256:
		tag = 8
	case suiteAES128GCMSHA256, suiteChaCha20Poly1305SHA256, suiteAES128CCMSHA256:
	default:
		return 0, 0, false
	}
	fin := 4 + hashLen + 1 + tag
	empty := 8 + 1 + tag
	if len(sizes) == 0 {
		return 0, 0, false
	}
	big := sizes[0] >= minCertRecord && sizes[0] != fin
	switch {
	case sizes[0] == fin:
		return CertRequestedNo, ClientCertNone, true
	case sizes[0] == empty && len(sizes) >= 2 && sizes[1] == fin:
		return CertRequestedYes, ClientCertEmpty, true
	case sizes[0] == empty+fin-1-tag:
		return CertRequestedYes, ClientCertEmpty, true
	case big && len(sizes) >= 3 && sizes[2] == fin && sizes[1] != fin:
		return CertRequestedYes, ClientCertSent, true
	case big && len(sizes) >= 2 && sizes[1] == fin:
		return CertRequestedYes, ClientCertSent, true
	}
	return 0, 0, false
}
