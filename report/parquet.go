package report

import (
	"bufio"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// FormatParquet writes one Parquet file: one row per connection, the JSON
// line's keys as typed columns (docs/logs.md "Parquet" has the schema).
// It is binary and only complete once Close has written its footer, so it
// is for offline runs written to a file (-o FILE).

// ParquetRowGroupRows and ParquetRowGroupBytes bound a row group: the
// writer holds at most this many rows, and about this many bytes of
// buffered column data (parquet-go's estimate, before compression), in
// memory before it encodes them into the file, so memory stays flat
// however large the capture, and however long its rows' chains and hellos.
// The run's memory limit (cmd) does not know about this buffer, so it is
// kept small: with 8,192 rows and 64 MiB, a 215,000-row capture peaked at
// 63 MiB with two workers and the collector ran all the time (twice the
// CPU of -j 1); 2,048-row groups are still large for Parquet readers.
const (
	ParquetRowGroupRows  = 2048
	ParquetRowGroupBytes = 8 << 20
)

// ParquetRow is the Parquet schema, one field per column, in the order of
// Columns and then the Detail keys, as the JSON line. Where JSON writes
// null the column is optional (a Go pointer); where JSON writes "" or []
// the column holds "" or an empty list. Times are TIMESTAMP(MICROS, UTC).
// schema_version is not a column: it is the file's key-value metadata
// "tlsscan.schema_version". The json tags name each column's JSON key:
// encoding/json of a ParquetRow read back gives the JSON line's keys.
type ParquetRow struct {
	TS             time.Time      `parquet:"ts,timestamp(microsecond:utc)" json:"ts"`
	ClientIP       string         `parquet:"client_ip,dict" json:"client_ip"`
	ClientPort     int32          `parquet:"client_port" json:"client_port"`
	ServerIP       string         `parquet:"server_ip,dict" json:"server_ip"`
	ServerPort     int32          `parquet:"server_port" json:"server_port"`
	SNI            string         `parquet:"sni,dict" json:"sni"`
	Version        string         `parquet:"version,dict" json:"version"`
	Cipher         string         `parquet:"cipher,dict" json:"cipher"`
	ALPN           string         `parquet:"alpn,dict" json:"alpn"`
	Resumption     string         `parquet:"resumption,dict" json:"resumption"`
	CertRequested  string         `parquet:"cert_requested,dict" json:"cert_requested"`
	ClientCert     string         `parquet:"client_cert,dict" json:"client_cert"`
	ClientCerts    *int32         `parquet:"client_certs,optional" json:"client_certs"`
	ServerCerts    *int32         `parquet:"server_certs,optional" json:"server_certs"`
	Established    bool           `parquet:"established" json:"established"`
	Alert          string         `parquet:"alert,dict" json:"alert"`
	Flags          []string       `parquet:"flags,list" json:"flags"`
	History        string         `parquet:"history,dict" json:"history"`
	Evidence       string         `parquet:"evidence,dict" json:"evidence"`
	File           string         `parquet:"file,dict" json:"file"`
	Packet         *int64         `parquet:"packet,optional" json:"packet"`
	JA4            string         `parquet:"ja4,dict" json:"ja4"`
	ServerCN       string         `parquet:"server_cn,dict" json:"server_cn"`
	ServerNotAfter *time.Time     `parquet:"server_not_after,optional,timestamp(microsecond:utc)" json:"server_not_after"`
	ClientCN       string         `parquet:"client_cn,dict" json:"client_cn"`
	ResumedFrom    *ParquetOrigin `parquet:"resumed_from,optional" json:"resumed_from"`

	CertRequest *ParquetCertRequest `parquet:"cert_request,optional" json:"cert_request"`
	ServerChain []ParquetCert       `parquet:"server_chain,list" json:"server_chain"`
	ClientChain []ParquetCert       `parquet:"client_chain,list" json:"client_chain"`
	Anomalies   map[string]int32    `parquet:"anomalies" json:"anomalies"`
	Errors      []string            `parquet:"errors,list" json:"errors"`
	SNIHex      *string             `parquet:"sni_hex,optional" json:"sni_hex"`
	ALPNHex     *string             `parquet:"alpn_hex,optional" json:"alpn_hex"`
	Tickets13   int32               `parquet:"tls13_tickets" json:"tls13_tickets"`
	JA3         *string             `parquet:"ja3,optional,dict" json:"ja3"`
	JA3S        *string             `parquet:"ja3s,optional,dict" json:"ja3s"`
	Hello       *ParquetHello       `parquet:"hello,optional" json:"hello"`
}

// ParquetHello is hello: what the ClientHello offered, every list present
// (empty when the hello had none), negotiated_group null without a
// key_share.
type ParquetHello struct {
	Versions        []string `parquet:"versions,list" json:"versions"`
	Ciphers         []string `parquet:"ciphers,list" json:"ciphers"`
	Groups          []string `parquet:"groups,list" json:"groups"`
	SigAlgs         []string `parquet:"sig_algs,list" json:"sig_algs"`
	ALPN            []string `parquet:"alpn,list" json:"alpn"`
	NegotiatedGroup *string  `parquet:"negotiated_group,optional" json:"negotiated_group"`
}

// ParquetOrigin is resumed_from.
type ParquetOrigin struct {
	File       string    `parquet:"file" json:"file"`
	Packet     *int64    `parquet:"packet,optional" json:"packet"`
	TS         time.Time `parquet:"ts,timestamp(microsecond:utc)" json:"ts"`
	ClientIP   string    `parquet:"client_ip" json:"client_ip"`
	ClientPort int32     `parquet:"client_port" json:"client_port"`
	ServerIP   string    `parquet:"server_ip" json:"server_ip"`
	ServerPort int32     `parquet:"server_port" json:"server_port"`
	ClientCert string    `parquet:"origin_client_cert" json:"origin_client_cert"`
}

// ParquetCertRequest is cert_request.
type ParquetCertRequest struct {
	CertTypes []string `parquet:"cert_types,list" json:"cert_types"`
	SigAlgs   []string `parquet:"sig_algs,list" json:"sig_algs"`
	CANames   []string `parquet:"ca_names,list" json:"ca_names"`
}

// ParquetCert is one certificate of server_chain or client_chain, every
// key of the JSON object (CertInfo.MarshalJSON): a fact JSON writes as
// null (a certificate crypto/x509 refused) is null here, a SAN list with
// no entries is empty, and the validity dates are those JSON writes, to
// the second.
type ParquetCert struct {
	Subject    string     `parquet:"subject" json:"subject"`
	Issuer     string     `parquet:"issuer" json:"issuer"`
	SHA256     string     `parquet:"sha256" json:"sha256"`
	SHA1       *string    `parquet:"sha1,optional" json:"sha1"`
	Serial     *string    `parquet:"serial,optional" json:"serial"`
	NotBefore  *time.Time `parquet:"not_before,optional,timestamp(microsecond:utc)" json:"not_before"`
	NotAfter   *time.Time `parquet:"not_after,optional,timestamp(microsecond:utc)" json:"not_after"`
	SANDNS     []string   `parquet:"san_dns,list" json:"san_dns"`
	SANIP      []string   `parquet:"san_ip,list" json:"san_ip"`
	SANURI     []string   `parquet:"san_uri,list" json:"san_uri"`
	SANEmail   []string   `parquet:"san_email,list" json:"san_email"`
	KeyType    *string    `parquet:"key_type,optional" json:"key_type"`
	KeyBits    *int32     `parquet:"key_bits,optional" json:"key_bits"`
	Curve      *string    `parquet:"curve,optional" json:"curve"`
	SigAlg     *string    `parquet:"sig_alg,optional" json:"sig_alg"`
	IsCA       bool       `parquet:"is_ca" json:"is_ca"`
	SelfSigned bool       `parquet:"self_signed" json:"self_signed"`
}

// parquetWriter renders rows into a Parquet file.
type parquetWriter struct {
	state
	bw  *bufio.Writer
	pw  *parquet.GenericWriter[ParquetRow]
	row [1]ParquetRow

	// The open row group: its rows, and pw.Size() when it began (the
	// bytes already in the file), so pw.Size()-base is what it buffers.
	rows     int
	base     int64
	maxRows  int
	maxBytes int64
}

func newParquetWriter(bw *bufio.Writer, opts Options) *parquetWriter {
	pw := parquet.NewGenericWriter[ParquetRow](bw,
		parquet.MaxRowsPerRowGroup(ParquetRowGroupRows),
		parquet.CreatedBy("tlsscan", "", ""),
		parquet.KeyValueMetadata("tlsscan.schema_version", strconv.Itoa(SchemaVersion)),
	)
	return &parquetWriter{state: state{opts: opts}, bw: bw, pw: pw,
		maxRows: ParquetRowGroupRows, maxBytes: ParquetRowGroupBytes}
}

// ParquetRowOf is the Parquet row of r: the same values as its JSON line.
func ParquetRowOf(r *Row) ParquetRow {
	p := ParquetRow{
		TS:       r.Time.UTC(),
		ClientIP: formatIP(r.ClientIP), ClientPort: int32(r.ClientPort),
		ServerIP: formatIP(r.ServerIP), ServerPort: int32(r.ServerPort),
		SNI: utf8Text(r.SNI), Version: r.Version, Cipher: r.Cipher, ALPN: utf8Text(r.ALPN),
		Resumption:    r.Resumption.String(),
		CertRequested: r.CertRequested.String(),
		ClientCert:    r.ClientCert.String(),
		Established:   r.Established,
		Alert:         r.Alert,
		Flags:         []string{},
		History:       r.History,
		Evidence:      r.Evidence.String(),
		File:          utf8Text(r.File),
		JA4:           r.JA4, ServerCN: utf8Text(r.ServerCN), ClientCN: utf8Text(r.ClientCN),
		ServerChain: []ParquetCert{},
		ClientChain: []ParquetCert{},
		Anomalies:   map[string]int32{},
		Errors:      []string{},
	}
	for f := range r.Flags.All() {
		p.Flags = append(p.Flags, f.String())
	}
	if r.ClientCerts >= 0 {
		n := int32(r.ClientCerts)
		p.ClientCerts = &n
	}
	if r.ServerCerts >= 0 {
		n := int32(r.ServerCerts)
		p.ServerCerts = &n
	}
	if r.Packet != 0 {
		n := int64(r.Packet)
		p.Packet = &n
	}
	if !r.ServerNotAfter.IsZero() {
		t := r.ServerNotAfter.UTC()
		p.ServerNotAfter = &t
	}
	if o := r.ResumedFrom; o != nil {
		po := &ParquetOrigin{
			File: utf8Text(o.File), TS: o.Time.UTC(),
			ClientIP: formatIP(o.ClientIP), ClientPort: int32(o.ClientPort),
			ServerIP: formatIP(o.ServerIP), ServerPort: int32(o.ServerPort),
			ClientCert: o.ClientCert.String(),
		}
		if o.Packet != 0 {
			n := int64(o.Packet)
			po.Packet = &n
		}
		p.ResumedFrom = po
	}
	if d := r.Detail; d != nil {
		if cr := d.CertRequest; cr != nil {
			p.CertRequest = &ParquetCertRequest{
				CertTypes: append([]string{}, cr.CertTypes...),
				SigAlgs:   append([]string{}, cr.SigAlgs...),
				CANames:   utf8Texts(cr.CANames),
			}
		}
		for _, c := range d.ServerChain {
			p.ServerChain = append(p.ServerChain, parquetCert(c))
		}
		for _, c := range d.ClientChain {
			p.ClientChain = append(p.ClientChain, parquetCert(c))
		}
		for k, v := range d.Anomalies {
			p.Anomalies[k] = int32(v)
		}
		p.Errors = append(p.Errors, utf8Texts(d.Errors)...)
		if d.SNIHex != "" {
			p.SNIHex = &d.SNIHex
		}
		if d.ALPNHex != "" {
			p.ALPNHex = &d.ALPNHex
		}
		p.Tickets13 = int32(d.Tickets13)
		p.JA3, p.JA3S = optText(d.JA3), optText(d.JA3S)
		if h := d.Hello; h != nil {
			p.Hello = &ParquetHello{
				Versions: utf8Texts(h.Versions), Ciphers: utf8Texts(h.Ciphers),
				Groups: utf8Texts(h.Groups), SigAlgs: utf8Texts(h.SigAlgs),
				ALPN:            utf8Texts(h.ALPN),
				NegotiatedGroup: optText(h.NegotiatedGroup),
			}
		}
	}
	// As the JSON writer: hex beside invalid UTF-8 even without Detail.
	if p.SNIHex == nil && !utf8.ValidString(r.SNI) {
		p.SNIHex = hexPtr(r.SNI)
	}
	if p.ALPNHex == nil && !utf8.ValidString(r.ALPN) {
		p.ALPNHex = hexPtr(r.ALPN)
	}
	return p
}

// utf8Text is s as its JSON line holds it: Parquet's STRING is UTF-8, so
// every invalid byte becomes U+FFFD, as encoding/json makes it (the raw
// bytes of an SNI or ALPN are in sni_hex / alpn_hex).
func utf8Text(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func utf8Texts(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = utf8Text(s)
	}
	return out
}

// optText is s as a nullable column: null where JSON writes null for "".
func optText(s string) *string {
	if s == "" {
		return nil
	}
	s = utf8Text(s)
	return &s
}

// optSecond is t as JSON writes a certificate date: null when zero, else
// RFC 3339 to the second (CertInfo.marshal).
func optSecond(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC().Truncate(time.Second)
	return &t
}

func parquetCert(c CertInfo) ParquetCert {
	p := ParquetCert{
		Subject: utf8Text(c.Subject), Issuer: utf8Text(c.Issuer), SHA256: utf8Text(c.SHA256),
		SHA1: optText(c.SHA1), Serial: optText(c.Serial),
		NotBefore: optSecond(c.NotBefore), NotAfter: optSecond(c.NotAfter),
		SANDNS: utf8Texts(c.SANDNS), SANIP: utf8Texts(c.SANIP),
		SANURI: utf8Texts(c.SANURI), SANEmail: utf8Texts(c.SANEmail),
		KeyType: optText(c.KeyType), Curve: optText(c.Curve), SigAlg: optText(c.SigAlg),
		IsCA: c.IsCA, SelfSigned: c.SelfSigned,
	}
	if c.KeyBits > 0 {
		// A certificate of a TLS message is under 2^24 bytes: its key's
		// size fits (min only keeps the conversion honest).
		n := int32(min(c.KeyBits, math.MaxInt32))
		p.KeyBits = &n
	}
	return p
}

func (w *parquetWriter) WriteRow(r *Row) error {
	if err := w.check(r); err != nil {
		return err
	}
	w.row[0] = ParquetRowOf(r)
	if _, err := w.pw.Write(w.row[:]); err != nil {
		return w.fail(err)
	}
	w.row[0] = ParquetRow{}
	// End the row group at maxRows rows (MaxRowsPerRowGroup would, before
	// the next row), or once it buffers maxBytes: rows with long chains
	// or hellos reach the byte bound first.
	w.rows++
	if w.rows >= w.maxRows || w.pw.Size()-w.base >= w.maxBytes {
		if err := w.pw.Flush(); err != nil {
			return w.fail(err)
		}
		w.rows, w.base = 0, w.pw.Size()
	}
	return nil
}

// Close writes the last row group and the footer (a file with no rows is a
// valid Parquet file with the schema), flushes, then the summary.
func (w *parquetWriter) Close(s *RunStats) error {
	return w.finish(s, "", func() error {
		if err := w.pw.Close(); err != nil {
			return err
		}
		return w.bw.Flush()
	})
}
