// Package report turns verdicts into rows and renders them: the Converter
// makes a Row of a connection's tlsparse.Summary, CompareRows fixes the
// output order, and the writers print rows and the run's RunStats as a
// table, CSV or JSON lines. It reads typed verdicts and never parses
// packets or TLS; tlsparse decides every verdict, report only spells it.
package report

import (
	"net/netip"
	"time"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// Columns is the CSV header, in the order the output contract fixes. JSON
// lines use the same names as keys.
var Columns = []string{
	"ts", "client_ip", "client_port", "server_ip", "server_port", "sni",
	"version", "cipher", "alpn", "resumption", "cert_requested",
	"client_cert", "client_certs", "server_certs", "established", "alert",
	"flags", "history", "evidence", "file", "packet",
	"ja4", "server_cn", "server_not_after", "client_cn", "resumed_from",
}

// Row is one TLS connection: the values of the output's columns
// (docs/output.md "Columns"). The verdicts are tlsparse's types, spelled by
// their String methods; the text columns are in their final spelling.
//
// Not seen. A value the capture did not show is spelled the way the output
// contract has always spelled it, and this is the one place that lists
// them:
//
//   - a verdict (Resumption, CertRequested, ClientCert) is its zero value,
//     "unknown" in every format;
//   - a text column (SNI, Version, Cipher, ALPN, Alert) is empty, in the
//     tally of versions "none";
//   - a certificate count is -1: empty in CSV and the table, null in JSON;
//   - Flags is the empty set: an empty column, [] in JSON.
type Row struct {
	Time       time.Time  // first packet of the connection
	ClientIP   netip.Addr // the side that sent the ClientHello
	ClientPort uint16
	ServerIP   netip.Addr
	ServerPort uint16

	SNI     string
	Version string // SSLv2 … TLSv1.3, 0xNNNN, or "" without ServerHello
	Cipher  string // IANA name or 0xNNNN, "" without ServerHello
	ALPN    string // the protocol the server selected

	Resumption    tlsparse.Resumption
	CertRequested tlsparse.CertRequested
	ClientCert    tlsparse.ClientCert

	// ClientCerts and ServerCerts count the certificates in each side's
	// Certificate message; -1 when not observable (rendered empty / null).
	ClientCerts int
	ServerCerts int

	Established bool
	Alert       string            // first cleartext alert, "client:desc" or "server:desc"
	Flags       tlsparse.Flags    // listed by name
	History     string            // Zeek ssl_history letters
	Evidence    tlsparse.Evidence // how cert_requested and client_cert were reached
	// File is the capture file the connection's first packet was read
	// from, as the user named it ("-" for standard input, the interface
	// name live); Packet is that packet's 1-based number in it (tshark's
	// frame number), 0 when unknown.
	File   string
	Packet uint64

	// What an auditor asks next (issue 12).
	//
	// JA4 is the FoxIO JA4 fingerprint of the ClientHello ("" without
	// one). ServerCN and ClientCN are the subject common names of the two
	// leaf certificates, ServerNotAfter the server leaf's expiry (zero
	// when no server certificate was seen). ResumedFrom is the connection
	// in the same capture whose handshake created the session this one
	// resumed; nil when the row is not a resumption or its origin is not
	// in the capture.
	JA4            string
	ServerCN       string
	ServerNotAfter time.Time
	ClientCN       string
	ResumedFrom    *Origin

	// Detail carries the JSON-only fields; nil renders them empty (every
	// JSON line has every key: json.go, docs/schema/row.schema.json).
	Detail *Detail

	// SessionIDOffered and SessionIDIssued are the summary's session ID
	// keys, TicketOffered and TicketsIssued its ticket keys
	// (tlsparse.Summary), which the pipeline uses to link connections
	// (Sessions: ResumedFrom, the refusal flags). Internal: no writer
	// prints them.
	SessionIDOffered tlsparse.SessionIDKey
	SessionIDIssued  tlsparse.SessionIDKey
	TicketOffered    tlsparse.TicketKey
	TicketsIssued    []tlsparse.TicketKey
}

// Origin names an earlier connection of the capture: where its first
// packet is, its endpoints, and the client-authentication verdict of its
// handshake, which a resumed session inherits (a resumption carries no
// certificate of its own).
type Origin struct {
	File       string
	Packet     uint64
	Time       time.Time
	ClientIP   netip.Addr
	ClientPort uint16
	ServerIP   netip.Addr
	ServerPort uint16
	ClientCert tlsparse.ClientCert
}

// Detail is what JSON lines add beyond the CSV columns. Its json tags
// name the keys; the JSON writer spells their empty values itself
// (json.go), so omitempty here only keeps a marshalled Detail short.
type Detail struct {
	// CertRequest is the server's CertificateRequest, nil when none was seen.
	CertRequest *CertRequest `json:"cert_request,omitempty"`
	ServerChain []CertInfo   `json:"server_chain,omitempty"`
	ClientChain []CertInfo   `json:"client_chain,omitempty"`
	// Anomalies are the snake_case anomaly codes counted on this connection.
	Anomalies map[string]int `json:"anomalies,omitempty"`
	// Errors are the parse errors that stopped a direction, one per side.
	Errors []string `json:"errors,omitempty"`
	// SNIHex and ALPNHex are the raw bytes, in hex, of an SNI or ALPN
	// that is not valid UTF-8 (JSON would replace the bad bytes; CSV and
	// the table escape them instead, wireText).
	SNIHex  string `json:"sni_hex,omitempty"`
	ALPNHex string `json:"alpn_hex,omitempty"`
	// Tickets13 counts the TLS 1.3 NewSessionTickets read with a key log
	// (TLS <= 1.2 tickets are the cleartext flag ticket_issued).
	Tickets13 int `json:"tls13_tickets,omitempty"`

	// JA3 and JA3S are the MD5 hex fingerprints of the ClientHello and
	// of the ServerHello that negotiated (tlsparse/fingerprint.go); ""
	// without one. Hello is what the ClientHello offered, nil without one.
	JA3   string `json:"ja3,omitempty"`
	JA3S  string `json:"ja3s,omitempty"`
	Hello *Hello `json:"hello,omitempty"`
}

// Hello is the raw material of the fingerprints: the first ClientHello's
// offered versions (supported_versions, else its legacy_version), cipher
// suites, groups, signature algorithms and ALPN protocols in wire order,
// named from the IANA registries (0xNNNN when unnamed), GREASE left out;
// and the group of the ServerHello's key_share ("" without one: TLS <= 1.2
// or no ServerHello). An ALPN protocol is spelled as in CSV (wireText).
type Hello struct {
	Versions        []string `json:"versions"`
	Ciphers         []string `json:"ciphers"`
	Groups          []string `json:"groups"`
	SigAlgs         []string `json:"sig_algs"`
	ALPN            []string `json:"alpn"`
	NegotiatedGroup string   `json:"negotiated_group,omitempty"`
}

// CertRequest is the decoded CertificateRequest.
type CertRequest struct {
	CertTypes []string `json:"cert_types"`
	SigAlgs   []string `json:"sig_algs,omitempty"` // TLS 1.2 only
	CANames   []string `json:"ca_names"`           // RFC 4514 strings; empty means "any"
}

// CertInfo is what one certificate of a chain says, read with
// crypto/x509 (x509.go). A certificate crypto/x509 refuses has only its
// names and fingerprints; its other fields are zero, null in JSON.
// MarshalJSON writes it (docs/schema/row.schema.json, $defs/chain).
type CertInfo struct {
	Subject string // RFC 4514
	Issuer  string
	SHA256  string // lower-case hex of the DER
	SHA1    string

	Serial              string    // lower-case hex, an even number of digits
	NotBefore, NotAfter time.Time // UTC

	// The subjectAltName entries: DNS names, IP addresses, URIs, e-mail
	// addresses, in the certificate's order.
	SANDNS, SANIP, SANURI, SANEmail []string

	KeyType string // rsa, ecdsa, ed25519, x25519, dsa, else the algorithm
	KeyBits int    // the modulus or curve size; 0 when not known
	Curve   string // an ECDSA key's curve: P-256, P-384, P-521
	SigAlg  string // crypto/x509's name (SHA256-RSA, ECDSA-SHA256, ...)

	IsCA       bool // basicConstraints CA:TRUE
	SelfSigned bool // issuer = subject, and its own key verifies its signature

	js []byte // the JSON, when the cache made it (x509.go): shared, read only

	// Facts Zeek's x509.log shows that JSON does not (zeek.go):
	// certificate.version, the RSA exponent, and whether the certificate
	// has a basicConstraints extension at all (Zeek leaves
	// basic_constraints.ca unset without one).
	version  int
	exponent string
	hasBC    bool
	pathLen  int // -1 when not set
}

// RunStats is what the run counted, printed after the rows. The pipeline
// builds it in one place, from the counters of the packet front end, the
// reassembly layer and its own.
type RunStats struct {
	Files          int
	Packets        uint64
	Bytes          uint64
	NonTCP         uint64 // packets that were not TCP over IPv4/IPv6
	DecodeErrors   uint64 // packets whose headers could not be decoded
	TCPConns       uint64
	TLSConns       uint64
	Evicted        uint64 // connections dropped by the memory budget
	IdleClosed     uint64 // connections closed by the idle timer
	Oversize       uint64 // connections that stopped buffering at the buffer budget (--max-buffer)
	KernelReceived uint64 // live capture only
	KernelDropped  uint64 // live capture only
	Live           bool
	Duration       time.Duration
	Warnings       []string // file-level problems, each naming file and packet

	// SessionIDsForgotten counts the issued session IDs and tickets
	// dropped from the pipeline's bounded set (report.Sessions): a later
	// resumption of one of them is not linked (resumed_from), a later
	// refusal not flagged session_id_rejected or ticket_rejected.
	SessionIDsForgotten uint64

	// Captures is how many captures the files made (each analysed on its
	// own; rotation sets and --merge join files into one), printed when
	// fewer than Files.
	Captures int
	// Skipped lists, per named directory, the files in it that were not
	// captures: "DIR: N files".
	Skipped []string
	// Stopped says why the input was not read to its end ("-c 10",
	// "--duration 1m0s", "interrupted"), empty when it was; StoppedAt
	// names the file and packet where reading stopped.
	Stopped, StoppedAt string

	// Tally counts the rows written by column value.
	Tally
}

// Tally counts rows per column value, by the value's spelling.
type Tally struct {
	Versions   map[string]uint64
	Resumption map[string]uint64
	ClientCert map[string]uint64
	Flags      map[string]uint64
}

// Add counts one row into the per-value tallies.
func (s *Tally) Add(r *Row) {
	if s.Versions == nil {
		s.Versions = map[string]uint64{}
		s.Resumption = map[string]uint64{}
		s.ClientCert = map[string]uint64{}
		s.Flags = map[string]uint64{}
	}
	v := r.Version
	if v == "" {
		v = "none" // no ServerHello (see Row, "Not seen")
	}
	s.Versions[v]++
	s.Resumption[r.Resumption.String()]++
	s.ClientCert[r.ClientCert.String()]++
	for f := range r.Flags.All() {
		s.Flags[f.String()]++
	}
}
