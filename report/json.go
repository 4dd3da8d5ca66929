package report

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"unicode/utf8"
)

// SchemaVersion is the value of every JSON line's schema_version key: the
// version of the published contract docs/schema/row.schema.json describes.
//
// It is bumped when a change could make an existing consumer read a line
// wrong: a key removed or renamed, a key's type changed, a key's meaning
// changed, or a verdict column (resumption, cert_requested, client_cert,
// evidence) given a new value (a connection that had one value would now
// have another). It is not bumped for additions a consumer that ignores
// what it does not know reads correctly: a new key, a new flag, a new
// anomaly code. The schema file is updated with every change, bumped or
// not, so it always describes exactly what this version of tlsscan writes;
// docs/output.md ("JSON lines") states the policy for users.
const SchemaVersion = 1

// jsonRow fixes the key order and the shape of a JSON line: the CSV
// columns in Columns order (encoding/json writes struct fields in
// declaration order), then the Detail fields, then schema_version.
// TestJSONKeysMatchColumns keeps the tags in step with Columns, and the
// schema tests (schema_test.go) with docs/schema/row.schema.json.
//
// Every key is always present, whatever the Row holds (a nil Detail
// included): a list is [] when empty, anomalies {} when there are none,
// and null means "absent" where that differs from empty (a count that is
// not observable, no CertificateRequest, an SNI or ALPN that needs no hex).
// No field is omitempty.
type jsonRow struct {
	TS             string      `json:"ts"`
	ClientIP       string      `json:"client_ip"`
	ClientPort     uint16      `json:"client_port"`
	ServerIP       string      `json:"server_ip"`
	ServerPort     uint16      `json:"server_port"`
	SNI            string      `json:"sni"`
	Version        string      `json:"version"`
	Cipher         string      `json:"cipher"`
	ALPN           string      `json:"alpn"`
	Resumption     string      `json:"resumption"`
	CertRequested  string      `json:"cert_requested"`
	ClientCert     string      `json:"client_cert"`
	ClientCerts    *int        `json:"client_certs"` // nil → null when not observable
	ServerCerts    *int        `json:"server_certs"`
	Established    bool        `json:"established"`
	Alert          string      `json:"alert"`
	Flags          []string    `json:"flags"` // never nil: consumers get [] not null
	History        string      `json:"history"`
	Evidence       string      `json:"evidence"`
	File           string      `json:"file"`
	Packet         *uint64     `json:"packet"` // nil → null when unknown
	JA4            string      `json:"ja4"`
	ServerCN       string      `json:"server_cn"`
	ServerNotAfter *string     `json:"server_not_after"` // null: no server certificate
	ClientCN       string      `json:"client_cn"`
	ResumedFrom    *jsonOrigin `json:"resumed_from"` // null: not resumed, or the origin is not in the capture

	// The Detail fields (see Detail), each always present.
	CertRequest *jsonCertRequest `json:"cert_request"` // null: no CertificateRequest seen
	ServerChain []CertInfo       `json:"server_chain"`
	ClientChain []CertInfo       `json:"client_chain"`
	Anomalies   map[string]int   `json:"anomalies"` // encoding/json sorts the keys
	Errors      []string         `json:"errors"`
	SNIHex      *string          `json:"sni_hex"` // null: the SNI is valid UTF-8
	ALPNHex     *string          `json:"alpn_hex"`
	Tickets13   int              `json:"tls13_tickets"`
	JA3         *string          `json:"ja3"`   // null: no ClientHello
	JA3S        *string          `json:"ja3s"`  // null: no ServerHello
	Hello       *jsonHello       `json:"hello"` // null: no ClientHello

	SchemaVersion int `json:"schema_version"`
}

// jsonOrigin is resumed_from: the connection whose handshake created the
// resumed session, and its client-authentication verdict, which the
// resumption inherits.
type jsonOrigin struct {
	File       string  `json:"file"`
	Packet     *uint64 `json:"packet"`
	TS         string  `json:"ts"`
	ClientIP   string  `json:"client_ip"`
	ClientPort uint16  `json:"client_port"`
	ServerIP   string  `json:"server_ip"`
	ServerPort uint16  `json:"server_port"`
	ClientCert string  `json:"origin_client_cert"`
}

// jsonHello is Hello with every list present ([] when empty) and
// negotiated_group null without a key_share.
type jsonHello struct {
	Versions        []string `json:"versions"`
	Ciphers         []string `json:"ciphers"`
	Groups          []string `json:"groups"`
	SigAlgs         []string `json:"sig_algs"`
	ALPN            []string `json:"alpn"`
	NegotiatedGroup *string  `json:"negotiated_group"`
}

// jsonCertRequest is CertRequest with every list present: sig_algs is []
// where the message has none (before TLS 1.2), cert_types [] under TLS 1.3.
type jsonCertRequest struct {
	CertTypes []string `json:"cert_types"`
	SigAlgs   []string `json:"sig_algs"`
	CANames   []string `json:"ca_names"` // [] means "any CA"
}

// The empty values of the always-present keys. encoding/json only reads
// them; sharing them keeps a row without detail free of allocations.
var (
	noStrings   = []string{}
	noCerts     = []CertInfo{}
	noAnomalies = map[string]int{}
)

// jsonWriter renders one JSON object per line.
type jsonWriter struct {
	state
	bw    *bufio.Writer
	enc   *json.Encoder
	flags []string // reused for each row's flags; never nil, so no flags is []
	cr    jsonCertRequest
	hello jsonHello
	row   jsonRow // reused for each row: encoding is synchronous

	notAfter string
	origin   jsonOrigin
}

func newJSONWriter(bw *bufio.Writer, opts Options) *jsonWriter {
	enc := json.NewEncoder(bw)
	// SNI, ALPN and CA names are attacker-chosen text read by people and
	// jq, not embedded in HTML: keep "<", ">" and "&" readable.
	enc.SetEscapeHTML(false)
	return &jsonWriter{state: state{opts: opts}, bw: bw, enc: enc, flags: make([]string, 0, 8)}
}

// orEmpty returns l, or the shared empty list for a nil or empty one.
func orEmpty[T any](l, empty []T) []T {
	if len(l) == 0 {
		return empty
	}
	return l
}

// hexPtr returns the hex of s's bytes, for the *_hex keys.
func hexPtr(s string) *string {
	h := hex.EncodeToString([]byte(s))
	return &h
}

func (w *jsonWriter) WriteRow(r *Row) error {
	if err := w.check(r); err != nil {
		return err
	}
	w.flags = w.flags[:0]
	for f := range r.Flags.All() {
		w.flags = append(w.flags, f.String())
	}
	jr := &w.row
	*jr = jsonRow{
		TS:            formatTS(r.Time),
		ClientIP:      formatIP(r.ClientIP),
		ClientPort:    r.ClientPort,
		ServerIP:      formatIP(r.ServerIP),
		ServerPort:    r.ServerPort,
		SNI:           r.SNI,
		Version:       r.Version,
		Cipher:        r.Cipher,
		ALPN:          r.ALPN,
		Resumption:    r.Resumption.String(),
		CertRequested: r.CertRequested.String(),
		ClientCert:    r.ClientCert.String(),
		Established:   r.Established,
		Alert:         r.Alert,
		Flags:         w.flags,
		History:       r.History,
		Evidence:      r.Evidence.String(),
		File:          r.File,

		ServerChain: noCerts,
		ClientChain: noCerts,
		Anomalies:   noAnomalies,
		Errors:      noStrings,

		SchemaVersion: SchemaVersion,
	}
	// Pointers into the Row, not copies: null without an allocation.
	if r.ClientCerts >= 0 {
		jr.ClientCerts = &r.ClientCerts
	}
	if r.ServerCerts >= 0 {
		jr.ServerCerts = &r.ServerCerts
	}
	if r.Packet != 0 {
		jr.Packet = &r.Packet
	}
	jr.JA4, jr.ServerCN, jr.ClientCN = r.JA4, r.ServerCN, r.ClientCN
	if !r.ServerNotAfter.IsZero() {
		w.notAfter = formatTS(r.ServerNotAfter)
		jr.ServerNotAfter = &w.notAfter
	}
	if o := r.ResumedFrom; o != nil {
		w.origin = jsonOrigin{
			File: o.File, TS: formatTS(o.Time),
			ClientIP: formatIP(o.ClientIP), ClientPort: o.ClientPort,
			ServerIP: formatIP(o.ServerIP), ServerPort: o.ServerPort,
			ClientCert: o.ClientCert.String(),
		}
		if o.Packet != 0 {
			w.origin.Packet = &o.Packet
		}
		jr.ResumedFrom = &w.origin
	}
	if d := r.Detail; d != nil {
		if cr := d.CertRequest; cr != nil {
			w.cr = jsonCertRequest{
				CertTypes: orEmpty(cr.CertTypes, noStrings),
				SigAlgs:   orEmpty(cr.SigAlgs, noStrings),
				CANames:   orEmpty(cr.CANames, noStrings),
			}
			jr.CertRequest = &w.cr
		}
		jr.ServerChain = orEmpty(d.ServerChain, noCerts)
		jr.ClientChain = orEmpty(d.ClientChain, noCerts)
		if len(d.Anomalies) > 0 {
			jr.Anomalies = d.Anomalies
		}
		jr.Errors = orEmpty(d.Errors, noStrings)
		if d.SNIHex != "" {
			jr.SNIHex = &d.SNIHex
		}
		if d.ALPNHex != "" {
			jr.ALPNHex = &d.ALPNHex
		}
		jr.Tickets13 = d.Tickets13
		if d.JA3 != "" {
			jr.JA3 = &d.JA3
		}
		if d.JA3S != "" {
			jr.JA3S = &d.JA3S
		}
		if h := d.Hello; h != nil {
			w.hello = jsonHello{
				Versions: orEmpty(h.Versions, noStrings),
				Ciphers:  orEmpty(h.Ciphers, noStrings),
				Groups:   orEmpty(h.Groups, noStrings),
				SigAlgs:  orEmpty(h.SigAlgs, noStrings),
				ALPN:     orEmpty(h.ALPN, noStrings),
			}
			if h.NegotiatedGroup != "" {
				w.hello.NegotiatedGroup = &h.NegotiatedGroup
			}
			jr.Hello = &w.hello
		}
	}
	// The Converter fills the hex keys; a Row built elsewhere gets them
	// here, so sni_hex and alpn_hex are never null beside invalid UTF-8.
	if jr.SNIHex == nil && !utf8.ValidString(r.SNI) {
		jr.SNIHex = hexPtr(r.SNI)
	}
	if jr.ALPNHex == nil && !utf8.ValidString(r.ALPN) {
		jr.ALPNHex = hexPtr(r.ALPN)
	}
	// Encode marshals the whole object before writing, so a marshal error
	// leaves no partial line behind.
	if err := w.enc.Encode(jr); err != nil {
		return w.fail(err)
	}
	if w.opts.Stream {
		if err := w.bw.Flush(); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

func (w *jsonWriter) Close(s *RunStats) error {
	return w.finish(s, "", w.bw.Flush)
}
