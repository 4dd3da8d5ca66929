package report

import (
	"bufio"
	"encoding/json"
)

// jsonRow fixes the key order of a JSON line: the CSV columns in Columns
// order (encoding/json writes struct fields in declaration order), then the
// Detail fields. TestJSONKeysMatchColumns keeps the tags in step with
// Columns.
type jsonRow struct {
	TS            string   `json:"ts"`
	ClientIP      string   `json:"client_ip"`
	ClientPort    uint16   `json:"client_port"`
	ServerIP      string   `json:"server_ip"`
	ServerPort    uint16   `json:"server_port"`
	SNI           string   `json:"sni"`
	Version       string   `json:"version"`
	Cipher        string   `json:"cipher"`
	ALPN          string   `json:"alpn"`
	Resumption    string   `json:"resumption"`
	CertRequested string   `json:"cert_requested"`
	ClientCert    string   `json:"client_cert"`
	ClientCerts   *int     `json:"client_certs"` // nil → null when not observable
	ServerCerts   *int     `json:"server_certs"`
	Established   bool     `json:"established"`
	Alert         string   `json:"alert"`
	Flags         []string `json:"flags"` // never nil: consumers get [] not null
	History       string   `json:"history"`
	Evidence      string   `json:"evidence"`
	File          string   `json:"file"`
	Packet        *uint64  `json:"packet"` // nil → null when unknown
	// Embedding promotes Detail's own tagged fields to the top level after
	// "evidence"; a nil *Detail contributes no keys at all.
	*Detail
}

// jsonWriter renders one JSON object per line.
type jsonWriter struct {
	state
	bw    *bufio.Writer
	enc   *json.Encoder
	flags []string // reused for each row's flags; never nil, so no flags is []
}

func newJSONWriter(bw *bufio.Writer, opts Options) *jsonWriter {
	enc := json.NewEncoder(bw)
	// SNI, ALPN and CA names are attacker-chosen text read by people and
	// jq, not embedded in HTML: keep "<", ">" and "&" readable.
	enc.SetEscapeHTML(false)
	return &jsonWriter{state: state{opts: opts}, bw: bw, enc: enc, flags: make([]string, 0, 8)}
}

// countPtr maps a count to its JSON value: negative (not observable) → null.
func countPtr(n int) *int {
	if n < 0 {
		return nil
	}
	return &n
}

// packetPtr maps a packet number to its JSON value: 0 (unknown) → null.
func packetPtr(n uint64) *uint64 {
	if n == 0 {
		return nil
	}
	return &n
}

func (w *jsonWriter) WriteRow(r *Row) error {
	if err := w.check(r); err != nil {
		return err
	}
	w.flags = w.flags[:0]
	for f := range r.Flags.All() {
		w.flags = append(w.flags, f.String())
	}
	jr := jsonRow{
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
		ClientCerts:   countPtr(r.ClientCerts),
		ServerCerts:   countPtr(r.ServerCerts),
		Established:   r.Established,
		Alert:         r.Alert,
		Flags:         w.flags,
		History:       r.History,
		Evidence:      r.Evidence.String(),
		File:          r.File,
		Packet:        packetPtr(r.Packet),
		Detail:        r.Detail,
	}
	// Encode marshals the whole object before writing, so a marshal error
	// leaves no partial line behind.
	if err := w.enc.Encode(&jr); err != nil {
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
	if w.closed {
		return w.closeErr
	}
	var err error
	if w.err == nil {
		err = w.bw.Flush()
	}
	return w.finish(err, s, "")
}
