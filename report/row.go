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

	// Detail carries the JSON-only fields; nil renders them empty (every
	// JSON line has every key: json.go, docs/schema/row.schema.json).
	Detail *Detail

	// SessionIDOffered and SessionIDIssued are the summary's session ID
	// keys (tlsparse.Summary), which the pipeline uses to decide
	// FlagSessionIDRejected across connections. Internal: no writer
	// prints them.
	SessionIDOffered tlsparse.SessionIDKey
	SessionIDIssued  tlsparse.SessionIDKey
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
}

// CertRequest is the decoded CertificateRequest.
type CertRequest struct {
	CertTypes []string `json:"cert_types"`
	SigAlgs   []string `json:"sig_algs,omitempty"` // TLS 1.2 only
	CANames   []string `json:"ca_names"`           // RFC 4514 strings; empty means "any"
}

// CertInfo names one certificate of a chain.
type CertInfo struct {
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
	SHA256  string `json:"sha256"` // lower-case hex of the DER
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

	// SessionIDsForgotten counts the issued session IDs dropped from the
	// pipeline's bounded set: a later rejection of one of them is not
	// flagged session_id_rejected.
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
