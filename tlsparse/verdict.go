package tlsparse

import (
	"iter"
	"strconv"
	"strings"
)

// The verdicts are what a Summary says about a handshake. Each is a small
// type whose String is its spelling in tlsscan's output, the contract in
// docs/output.md ("Columns", "Flags"): report prints them and never spells
// one itself. docs/output.md "How each verdict is reached" says when each
// value is given.
//
// Not seen. A verdict's zero value is its unknown: the capture does not
// show enough to decide (no ServerHello, a flight cut short or encrypted).
// A Summary starts from the zero values and moves a verdict off unknown
// only on evidence. Values that are not verdicts keep the spellings the
// output contract already gives them for "not seen" (an empty text column,
// a count of -1); report/row.go lists them in one place.

// Resumption says whether, and how, a handshake resumed a session.
type Resumption uint8

const (
	ResumptionUnknown   Resumption = iota // the capture does not tell
	ResumptionFull                        // a full handshake: nothing resumed
	ResumptionSessionID                   // TLS <= 1.2 abbreviated handshake on an echoed session ID
	ResumptionTicket                      // TLS <= 1.2 abbreviated handshake on a session ticket (RFC 5077)
	ResumptionPSK                         // TLS 1.3 pre_shared_key selected by the server
)

var resumptionNames = [...]string{
	ResumptionUnknown:   "unknown",
	ResumptionFull:      "full",
	ResumptionSessionID: "session_id",
	ResumptionTicket:    "ticket",
	ResumptionPSK:       "psk",
}

func (r Resumption) String() string { return verdictName(resumptionNames[:], uint8(r), "Resumption") }

// CertRequested says whether the server asked for a client certificate.
type CertRequested uint8

const (
	CertRequestedUnknown CertRequested = iota // TLS 1.3, or the server's flight was not seen to its end
	CertRequestedYes                          // a CertificateRequest was seen
	CertRequestedNo                           // the flight reached ServerHelloDone without one, or was abbreviated
)

var certRequestedNames = [...]string{
	CertRequestedUnknown: "unknown",
	CertRequestedYes:     "yes",
	CertRequestedNo:      "no",
}

func (c CertRequested) String() string {
	return verdictName(certRequestedNames[:], uint8(c), "CertRequested")
}

// ClientCert says what the client answered with.
type ClientCert uint8

const (
	ClientCertUnknown ClientCert = iota // TLS 1.3, or the client's flight was not seen
	ClientCertSent                      // a Certificate with at least one certificate
	ClientCertEmpty                     // an empty Certificate, or SSLv3's no_certificate alert
	ClientCertMissing                   // requested, and the client's flight came without a Certificate
	ClientCertNone                      // not requested and not sent (every abbreviated handshake)
)

var clientCertNames = [...]string{
	ClientCertUnknown: "unknown",
	ClientCertSent:    "sent",
	ClientCertEmpty:   "empty",
	ClientCertMissing: "missing",
	ClientCertNone:    "none",
}

func (c ClientCert) String() string { return verdictName(clientCertNames[:], uint8(c), "ClientCert") }

// Evidence says how the client-authentication verdicts (CertRequested,
// ClientCert) were reached.
type Evidence uint8

const (
	EvidenceNone        Evidence = iota // both verdicts unknown
	EvidenceCleartext                   // read from cleartext handshake messages
	EvidenceKeylog                      // read from messages decrypted with a key log
	EvidenceRecordSizes                 // TLS 1.3: inferred from the client's record lengths (inference.go)
)

var evidenceNames = [...]string{
	EvidenceNone:        "",
	EvidenceCleartext:   "cleartext",
	EvidenceKeylog:      "keylog",
	EvidenceRecordSizes: "record_sizes",
}

func (e Evidence) String() string {
	if e == EvidenceNone {
		return ""
	}
	return verdictName(evidenceNames[:], uint8(e), "Evidence")
}

// Flag is one of the flags a row can carry; docs/output.md "Flags" says
// what each means.
type Flag uint8

// The flags are declared in the byte order of their names, so that a Flags
// set lists them in the output's order (TestFlagOrder keeps it so). The zero
// Flag is none.
const (
	FlagCertVerifyMissing            Flag = iota + 1 // client certificates and the end of its flight without CertificateVerify
	FlagChainInvalid                                 // with a CA bundle: a certificate chain does not verify to it at the capture time (set by report)
	FlagClientAuthFailed                             // fatal server alert after the client's certificate flight
	FlagClientCertEmpty                              // ClientCertEmpty
	FlagClientCertIssuerNotRequested                 // no client certificate issued by a requested CA
	FlagClientCertMissing                            // ClientCertMissing
	FlagClientCertUnsolicited                        // a client Certificate the server did not ask for
	FlagDecryptFailed                                // the key log's secrets for this connection do not authenticate its records
	FlagDecrypted                                    // part of the connection was read with a key log
	FlagEarlyDataAccepted                            // TLS 1.3: the server accepted 0-RTT data (decrypted EncryptedExtensions)
	FlagEarlyDataRejected                            // TLS 1.3: 0-RTT data offered and refused (HelloRetryRequest, or EncryptedExtensions without early_data)
	FlagEncryptedHandshake                           // TLS 1.3 without keys: client authentication cannot be read
	FlagEvicted                                      // forced out by the connection budget (set by report)
	FlagExpired                                      // a leaf certificate had expired at the capture time (set by report)
	FlagFlipped                                      // the client did not open the TCP connection
	FlagGap                                          // bytes lost before a direction's handshake ended
	FlagHRR                                          // a HelloRetryRequest
	FlagKeysMissing                                  // a key log was given but has no secret for this connection
	FlagMalformed                                    // a direction stopped at bytes that do not parse
	FlagNoCertificateAlert                           // SSLv3 no_certificate alert
	FlagNotYetValid                                  // a leaf certificate was not yet valid at the capture time (set by report)
	FlagOversize                                     // a buffer did not fit the run's Budget: some bytes were passed over unread
	FlagPartial                                      // a direction's start was not captured
	FlagPHAOffered                                   // TLS 1.3: the client offered post-handshake authentication
	FlagPostHandshakeAuth                            // TLS 1.3: a post-handshake CertificateRequest was read (key log)
	FlagPSKRejected                                  // pre_shared_key offered, not selected
	FlagRenegotiation                                // TLS <= 1.2: a second handshake on the connection
	FlagResumedWithoutClientAuth                     // a resumption, on a server that asks for client certificates, of a session established without one (set by report)
	FlagSelfSigned                                   // a leaf certificate is self-signed (set by report)
	FlagServerCertEmpty                              // the server's Certificate was empty
	FlagSessionIDRejected                            // session ID offered, full TLS <= 1.2 handshake; kept by the pipeline only if issued earlier (Summary.SessionIDOffered)
	FlagSNIMismatch                                  // the server leaf does not cover the SNI (set by report)
	FlagSSLv2Hello                                   // SSLv2-format ClientHello
	FlagTicketIssued                                 // NewSessionTicket (cleartext, or decrypted in TLS 1.3)
	FlagTicketRejected                               // ticket offered, full handshake; kept by the pipeline only if issued earlier (Summary.TicketOffered), else FlagTicketRejectedUnknown
	FlagTicketRejectedUnknown                        // a ticket not issued earlier in the capture offered, full handshake (set by report)
	FlagTruncated                                    // the capture ends before the handshake does
	flagEnd
)

var flagNames = [...]string{
	FlagCertVerifyMissing:            "cert_verify_missing",
	FlagChainInvalid:                 "chain_invalid",
	FlagClientAuthFailed:             "client_auth_failed",
	FlagClientCertEmpty:              "client_cert_empty",
	FlagClientCertIssuerNotRequested: "client_cert_issuer_not_requested",
	FlagClientCertMissing:            "client_cert_missing",
	FlagClientCertUnsolicited:        "client_cert_unsolicited",
	FlagDecryptFailed:                "decrypt_failed",
	FlagDecrypted:                    "decrypted",
	FlagEarlyDataAccepted:            "early_data_accepted",
	FlagEarlyDataRejected:            "early_data_rejected",
	FlagEncryptedHandshake:           "encrypted_handshake",
	FlagEvicted:                      "evicted",
	FlagExpired:                      "expired",
	FlagFlipped:                      "flipped",
	FlagGap:                          "gap",
	FlagHRR:                          "hrr",
	FlagKeysMissing:                  "keys_missing",
	FlagMalformed:                    "malformed",
	FlagNoCertificateAlert:           "no_certificate_alert",
	FlagNotYetValid:                  "not_yet_valid",
	FlagOversize:                     "oversize",
	FlagPartial:                      "partial",
	FlagPHAOffered:                   "pha_offered",
	FlagPostHandshakeAuth:            "post_handshake_auth",
	FlagPSKRejected:                  "psk_rejected",
	FlagRenegotiation:                "renegotiation",
	FlagResumedWithoutClientAuth:     "resumed_without_client_auth",
	FlagSelfSigned:                   "self_signed",
	FlagServerCertEmpty:              "server_cert_empty",
	FlagSessionIDRejected:            "session_id_rejected",
	FlagSNIMismatch:                  "sni_mismatch",
	FlagSSLv2Hello:                   "sslv2_hello",
	FlagTicketIssued:                 "ticket_issued",
	FlagTicketRejected:               "ticket_rejected",
	FlagTicketRejectedUnknown:        "ticket_rejected_unknown",
	FlagTruncated:                    "truncated",
}

func (f Flag) String() string { return verdictName(flagNames[:], uint8(f), "Flag") }

// Flags is a set of flags. Its zero value is the empty set; it is listed
// in the output's order (by name), each flag once.
type Flags uint64

// FlagsOf returns the set of the given flags.
func FlagsOf(fl ...Flag) Flags {
	var s Flags
	for _, f := range fl {
		s.Set(f)
	}
	return s
}

// Set adds f to the set.
func (s *Flags) Set(f Flag) {
	if f > 0 && f < flagEnd {
		*s |= 1 << f
	}
}

// Has reports whether f is in the set.
func (s Flags) Has(f Flag) bool { return f < flagEnd && s&(1<<f) != 0 }

// All yields the flags in the set in the output's order.
func (s Flags) All() iter.Seq[Flag] {
	return func(yield func(Flag) bool) {
		for f := Flag(1); f < flagEnd; f++ {
			if s.Has(f) && !yield(f) {
				return
			}
		}
	}
}

// String is the CSV and table spelling: the names joined by ";", empty for
// the empty set.
func (s Flags) String() string {
	var b strings.Builder
	for f := range s.All() {
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(f.String())
	}
	return b.String()
}

// verdictName returns names[v], or typ(v) for a value without a name.
func verdictName(names []string, v uint8, typ string) string {
	if int(v) < len(names) && names[v] != "" {
		return names[v]
	}
	return typ + "(" + strconv.Itoa(int(v)) + ")"
}
