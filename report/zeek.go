package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// The Zeek formats (issue 12): ssl.log, and beside it x509.log, in the
// layout Zeek's ASCII writer uses (FormatZeek) or its JSON writer
// (FormatZeekJSON), so that zeek-cut, Zeek's own readers and the tools built
// for Zeek logs read tlsscan's output as they read Zeek's.
//
// The fields are Zeek's, in Zeek's order and with Zeek's meanings, as the
// Zeek version of ../shared/corpus/zeek logs them (ssl.log's #fields up to
// sni_matches_cert; x509.log's whole). What tlsscan does not know is unset
// ("-"; omitted in JSON). tlsscan's own verdicts follow Zeek's fields, each
// named tlsscan_<its CSV column>, so no name can collide with a field a
// later Zeek adds. docs/output.md ("Zeek logs") has the mapping table.
//
// Determinism: uid is a hash of the connection's identity (zeekUID), not
// random; #open is the time of the first row and #close that of the latest
// row (Unix time 0 for both when there are no rows), never the wall clock,
// so the same capture gives byte-identical logs.

// zeekKind is how a field's value is typed and rendered.
type zeekKind uint8

const (
	zkTime zeekKind = iota
	zkString
	zkAddr
	zkPort
	zkBool
	zkCount
	zkVector // vector[string]
	zkSet    // set[string]
)

// zeekTypeNames are the #types spellings.
var zeekTypeNames = [...]string{
	zkTime:   "time",
	zkString: "string",
	zkAddr:   "addr",
	zkPort:   "port",
	zkBool:   "bool",
	zkCount:  "count",
	zkVector: "vector[string]",
	zkSet:    "set[string]",
}

// zval is one field's value; ok false is unset.
type zval struct {
	ok   bool
	s    string // string, addr
	b    bool
	n    uint64 // port, count
	t    time.Time
	list []string // vector, set
}

var unset = zval{}

func zstr(s string) zval { return zval{ok: true, s: s} }

// zstrOpt is a string field that is unset when empty (tlsscan's "not
// seen" spelling of a text column).
func zstrOpt(s string) zval {
	if s == "" {
		return unset
	}
	return zstr(s)
}

func zbool(b bool) zval { return zval{ok: true, b: b} }

func zcount(n uint64) zval { return zval{ok: true, n: n} }

// zcountOpt is a certificate count: unset when not observable (< 0).
func zcountOpt(n int) zval {
	if n < 0 {
		return unset
	}
	return zcount(uint64(n))
}

func ztime(t time.Time) zval {
	if t.IsZero() {
		return unset
	}
	return zval{ok: true, t: t}
}

// zlistOpt is a vector or set that is unset when empty (as Zeek leaves
// cert_chain_fps unset without certificates).
func zlistOpt(l []string) zval {
	if len(l) == 0 {
		return unset
	}
	return zval{ok: true, list: l}
}

// zeekConn is what the field functions of ssl.log read: the row and what
// is derived from it once.
type zeekConn struct {
	r   *Row
	uid string
	// The Zeek orientation of the 4-tuple: orig is the side that opened
	// the TCP connection (Zeek's conn id), which is tlsscan's server on a
	// flipped connection.
	origH, respH string
	origP, respP uint16
	serverFPs    []string
	clientFPs    []string
	flags        []string
}

// zeekCert is what the field functions of x509.log read.
type zeekCert struct {
	c      *CertInfo
	ts     time.Time
	uid    string
	leaf   bool // first of its chain: Zeek's host_cert
	client bool // of the client's chain: Zeek's client_cert
}

type zeekField[T any] struct {
	name string
	kind zeekKind
	get  func(*T) zval
}

// sslFields are ssl.log's fields: Zeek's, then tlsscan's.
var sslFields = []zeekField[zeekConn]{
	{"ts", zkTime, func(c *zeekConn) zval { return ztime(c.r.Time) }},
	{"uid", zkString, func(c *zeekConn) zval { return zstr(c.uid) }},
	{"id.orig_h", zkAddr, func(c *zeekConn) zval { return zstrOpt(c.origH) }},
	{"id.orig_p", zkPort, func(c *zeekConn) zval { return zcount(uint64(c.origP)) }},
	{"id.resp_h", zkAddr, func(c *zeekConn) zval { return zstrOpt(c.respH) }},
	{"id.resp_p", zkPort, func(c *zeekConn) zval { return zcount(uint64(c.respP)) }},
	{"version", zkString, func(c *zeekConn) zval { return zstrOpt(ZeekVersion(c.r.Version)) }},
	{"cipher", zkString, func(c *zeekConn) zval { return zstrOpt(ZeekCipher(c.r.Cipher)) }},
	{"curve", zkString, func(c *zeekConn) zval { return unset }}, // not kept by tlsparse
	{"server_name", zkString, func(c *zeekConn) zval { return zstrOpt(c.r.SNI) }},
	{"resumed", zkBool, func(c *zeekConn) zval { return zeekResumed(c.r.Resumption) }},
	{"last_alert", zkString, func(c *zeekConn) zval { return zstrOpt(alertDesc(c.r.Alert)) }},
	{"next_protocol", zkString, func(c *zeekConn) zval { return zstrOpt(c.r.ALPN) }},
	{"established", zkBool, func(c *zeekConn) zval { return zbool(c.r.Established) }},
	{"ssl_history", zkString, func(c *zeekConn) zval { return zstr(c.r.History) }},
	{"cert_chain_fps", zkVector, func(c *zeekConn) zval { return zlistOpt(c.serverFPs) }},
	{"client_cert_chain_fps", zkVector, func(c *zeekConn) zval { return zlistOpt(c.clientFPs) }},
	{"sni_matches_cert", zkBool, func(c *zeekConn) zval {
		// Judged (flag sni_mismatch) when there is an SNI and a server
		// leaf crypto/x509 parsed, which is when server_not_after is set.
		if c.r.SNI == "" || c.r.ServerNotAfter.IsZero() {
			return unset
		}
		return zbool(!c.r.Flags.Has(tlsparse.FlagSNIMismatch))
	}},

	{"tlsscan_resumption", zkString, func(c *zeekConn) zval { return zstr(c.r.Resumption.String()) }},
	{"tlsscan_cert_requested", zkString, func(c *zeekConn) zval { return zstr(c.r.CertRequested.String()) }},
	{"tlsscan_client_cert", zkString, func(c *zeekConn) zval { return zstr(c.r.ClientCert.String()) }},
	{"tlsscan_client_certs", zkCount, func(c *zeekConn) zval { return zcountOpt(c.r.ClientCerts) }},
	{"tlsscan_server_certs", zkCount, func(c *zeekConn) zval { return zcountOpt(c.r.ServerCerts) }},
	{"tlsscan_alert", zkString, func(c *zeekConn) zval { return zstrOpt(c.r.Alert) }},
	{"tlsscan_flags", zkSet, func(c *zeekConn) zval { return zval{ok: true, list: c.flags} }},
	{"tlsscan_evidence", zkString, func(c *zeekConn) zval { return zstrOpt(c.r.Evidence.String()) }},
	{"tlsscan_file", zkString, func(c *zeekConn) zval { return zstrOpt(c.r.File) }},
	{"tlsscan_packet", zkCount, func(c *zeekConn) zval {
		if c.r.Packet == 0 {
			return unset
		}
		return zcount(c.r.Packet)
	}},
	{"tlsscan_ja4", zkString, func(c *zeekConn) zval { return zstrOpt(c.r.JA4) }},
	{"tlsscan_server_cn", zkString, func(c *zeekConn) zval { return zstrOpt(c.r.ServerCN) }},
	{"tlsscan_server_not_after", zkTime, func(c *zeekConn) zval { return ztime(c.r.ServerNotAfter) }},
	{"tlsscan_client_cn", zkString, func(c *zeekConn) zval { return zstrOpt(c.r.ClientCN) }},
	{"tlsscan_resumed_from", zkString, func(c *zeekConn) zval {
		if o := c.r.ResumedFrom; o != nil {
			return zstr(zeekUID(o.File, o.Packet, o.Time, formatIP(o.ClientIP), o.ClientPort, formatIP(o.ServerIP), o.ServerPort))
		}
		return unset
	}},
}

// x509Fields are x509.log's fields: Zeek's, then the uid of the connection
// the certificate was seen on (tlsscan's; Zeek links the logs by
// fingerprint only, and so can a consumer of these).
//
// certificate.version, certificate.exponent and basic_constraints come
// from CertInfo's unexported facts (JSON does not carry them).
var x509Fields = []zeekField[zeekCert]{
	{"ts", zkTime, func(c *zeekCert) zval { return ztime(c.ts) }},
	{"fingerprint", zkString, func(c *zeekCert) zval { return zstrOpt(c.c.SHA256) }},
	{"certificate.version", zkCount, func(c *zeekCert) zval {
		if c.c.version == 0 {
			return unset
		}
		return zcount(uint64(c.c.version))
	}},
	{"certificate.serial", zkString, func(c *zeekCert) zval { return zstrOpt(strings.ToUpper(c.c.Serial)) }},
	{"certificate.subject", zkString, func(c *zeekCert) zval { return zstrOpt(c.c.Subject) }},
	{"certificate.issuer", zkString, func(c *zeekCert) zval { return zstrOpt(c.c.Issuer) }},
	{"certificate.not_valid_before", zkTime, func(c *zeekCert) zval { return ztime(c.c.NotBefore) }},
	{"certificate.not_valid_after", zkTime, func(c *zeekCert) zval { return ztime(c.c.NotAfter) }},
	{"certificate.key_alg", zkString, func(c *zeekCert) zval { return zstrOpt(opensslName(zeekKeyAlg, c.c.KeyType)) }},
	{"certificate.sig_alg", zkString, func(c *zeekCert) zval { return zstrOpt(opensslName(zeekSigAlg, c.c.SigAlg)) }},
	{"certificate.key_type", zkString, func(c *zeekCert) zval { return zstrOpt(c.c.KeyType) }},
	{"certificate.key_length", zkCount, func(c *zeekCert) zval {
		if c.c.KeyBits <= 0 {
			return unset
		}
		return zcount(uint64(c.c.KeyBits))
	}},
	{"certificate.exponent", zkString, func(c *zeekCert) zval { return zstrOpt(c.c.exponent) }},
	{"certificate.curve", zkString, func(c *zeekCert) zval { return zstrOpt(opensslName(zeekCurve, c.c.Curve)) }},
	{"san.dns", zkVector, func(c *zeekCert) zval { return zlistOpt(c.c.SANDNS) }},
	{"san.uri", zkVector, func(c *zeekCert) zval { return zlistOpt(c.c.SANURI) }},
	{"san.email", zkVector, func(c *zeekCert) zval { return zlistOpt(c.c.SANEmail) }},
	{"san.ip", zkVector, func(c *zeekCert) zval { return zlistOpt(c.c.SANIP) }}, // Zeek's type is vector[addr]: see zeekTypes
	{"basic_constraints.ca", zkBool, func(c *zeekCert) zval {
		if !c.c.hasBC {
			return unset // no basicConstraints (or not parsed), as Zeek
		}
		return zbool(c.c.IsCA)
	}},
	{"basic_constraints.path_len", zkCount, func(c *zeekCert) zval {
		if c.c.pathLen < 0 {
			return unset
		}
		return zcount(uint64(c.c.pathLen))
	}},
	{"host_cert", zkBool, func(c *zeekCert) zval { return zbool(c.leaf) }},
	{"client_cert", zkBool, func(c *zeekCert) zval { return zbool(c.client) }},
	{"uid", zkString, func(c *zeekCert) zval { return zstr(c.uid) }},
}

// Zeek prints OpenSSL's names where crypto/x509 has its own: these map
// the names CertInfo holds to OpenSSL's; a name not listed is printed as
// it is.
var (
	zeekKeyAlg = map[string]string{"rsa": "rsaEncryption", "ecdsa": "id-ecPublicKey", "dsa": "dsaEncryption", "ed25519": "ED25519", "x25519": "X25519"}
	zeekSigAlg = map[string]string{
		"MD5-RSA": "md5WithRSAEncryption", "SHA1-RSA": "sha1WithRSAEncryption",
		"SHA256-RSA": "sha256WithRSAEncryption", "SHA384-RSA": "sha384WithRSAEncryption", "SHA512-RSA": "sha512WithRSAEncryption",
		"SHA256-RSAPSS": "rsassaPss", "SHA384-RSAPSS": "rsassaPss", "SHA512-RSAPSS": "rsassaPss",
		"ECDSA-SHA1": "ecdsa-with-SHA1", "ECDSA-SHA256": "ecdsa-with-SHA256", "ECDSA-SHA384": "ecdsa-with-SHA384", "ECDSA-SHA512": "ecdsa-with-SHA512",
		"DSA-SHA1": "dsaWithSHA1", "DSA-SHA256": "dsa_with_SHA256", "Ed25519": "ED25519",
	}
	zeekCurve = map[string]string{"P-224": "secp224r1", "P-256": "prime256v1", "P-384": "secp384r1", "P-521": "secp521r1"}
)

func opensslName(m map[string]string, name string) string {
	if n, ok := m[name]; ok {
		return n
	}
	return name
}

// zeekTypeOverride spells a #types entry that differs from its kind's
// (san.ip is vector[addr]; its elements are rendered as strings).
var zeekTypeOverride = map[string]string{"san.ip": "vector[addr]"}

// ZeekSSLFields and ZeekX509Fields list the field names of the two logs,
// in order, for tests and documentation.
func ZeekSSLFields() []string  { return fieldNames(sslFields) }
func ZeekX509Fields() []string { return fieldNames(x509Fields) }

func fieldNames[T any](fs []zeekField[T]) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.name
	}
	return out
}

// ZeekVersion spells a version column the way Zeek's ssl.log does:
// TLSv1.2 → TLSv12, 0x7FNN → TLSv13-draftNN (decimal), any other 0xNNNN →
// unknown-N (decimal). "" stays "".
func ZeekVersion(v string) string {
	switch v {
	case "", "SSLv2", "SSLv3":
		return v
	case "TLSv1.0":
		return "TLSv10"
	case "TLSv1.1":
		return "TLSv11"
	case "TLSv1.2":
		return "TLSv12"
	case "TLSv1.3":
		return "TLSv13"
	}
	if h, ok := strings.CutPrefix(v, "0x"); ok {
		if n, err := strconv.ParseUint(h, 16, 16); err == nil {
			if n&0xff00 == 0x7f00 {
				return "TLSv13-draft" + strconv.Itoa(int(n&0xff))
			}
			return "unknown-" + strconv.FormatUint(n, 10)
		}
	}
	return v
}

// ZeekCipher spells a cipher column the way Zeek's ssl.log does: the IANA
// name as it is (Zeek's own table differs in case for a few, e.g.
// TLS_DH_ANON_…), an unnamed 0xNNNN as unknown-N (decimal).
func ZeekCipher(c string) string {
	if h, ok := strings.CutPrefix(c, "0x"); ok {
		if n, err := strconv.ParseUint(h, 16, 16); err == nil {
			return "unknown-" + strconv.FormatUint(n, 10)
		}
	}
	return c
}

// zeekResumed is Zeek's resumed: T for any resumption, F for a full
// handshake, unset when tlsscan could not tell.
func zeekResumed(r tlsparse.Resumption) zval {
	switch r {
	case tlsparse.ResumptionUnknown:
		return unset
	case tlsparse.ResumptionFull:
		return zbool(false)
	}
	return zbool(true)
}

// alertDesc is the description of the alert column ("server:desc").
func alertDesc(a string) string {
	if _, d, ok := strings.Cut(a, ":"); ok {
		return d
	}
	return a
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// zeekUID is a connection's uid: "C" and the base62 of 96 bits of a SHA-256
// over the capture file, the first packet's number and time and the
// 4-tuple (tlsscan's client first), so the same connection gets the same uid
// on every run and no two connections of a run share one. 96 bits, as Zeek's
// random uids.
func zeekUID(file string, packet uint64, ts time.Time, cip string, cport uint16, sip string, sport uint16) string {
	h := sha256.New()
	var b [8]byte
	h.Write([]byte(file))
	h.Write([]byte{0})
	binary.BigEndian.PutUint64(b[:], packet)
	h.Write(b[:])
	var ns int64
	if !ts.IsZero() {
		ns = ts.UnixNano()
	}
	binary.BigEndian.PutUint64(b[:], uint64(ns))
	h.Write(b[:])
	h.Write([]byte(cip))
	h.Write([]byte{0})
	binary.BigEndian.PutUint16(b[:2], cport)
	h.Write(b[:2])
	h.Write([]byte(sip))
	h.Write([]byte{0})
	binary.BigEndian.PutUint16(b[:2], sport)
	h.Write(b[:2])
	sum := h.Sum(nil)
	n := new(big.Int).SetBytes(sum[:12])
	out := []byte{'C'}
	var m big.Int
	sixtyTwo := big.NewInt(62)
	for n.Sign() > 0 {
		n.DivMod(n, sixtyTwo, &m)
		out = append(out, base62[m.Int64()])
	}
	return string(out)
}

// RowUID is the uid the Zeek formats give r (zeekUID).
func RowUID(r *Row) string {
	return zeekUID(r.File, r.Packet, r.Time, formatIP(r.ClientIP), r.ClientPort, formatIP(r.ServerIP), r.ServerPort)
}

// ---- escaping -------------------------------------------------------------

// zeekText escapes a string value as Zeek's ASCII writer does with UTF-8
// enabled (wireText: \xNN for control, non-printable and invalid bytes, the
// tab separator among them, \\ for a backslash). In a vector or set the set
// separator "," is escaped too (\x2c). A value that reads exactly as the
// unset marker "-" or the empty marker "(empty)" has its first byte
// escaped, so it cannot be taken for one (Zeek does this for "-").
func zeekText(s string, inSet bool) string {
	s = wireText(s)
	if inSet && strings.Contains(s, ",") {
		s = strings.ReplaceAll(s, ",", `\x2c`)
	}
	switch s {
	case "-":
		return `\x2d`
	case "(empty)":
		return `\x28empty)`
	}
	return s
}

// appendZeekTime renders a time as Zeek does: Unix seconds with six
// decimals.
func appendZeekTime(b []byte, t time.Time) []byte {
	us := t.UnixMicro()
	neg := us < 0
	if neg {
		us = -us
		b = append(b, '-')
	}
	b = strconv.AppendInt(b, us/1e6, 10)
	b = append(b, '.')
	frac := strconv.FormatInt(us%1e6, 10)
	for i := len(frac); i < 6; i++ {
		b = append(b, '0')
	}
	return append(b, frac...)
}

// appendTSV renders one value in Zeek's TSV.
func appendTSV(b []byte, k zeekKind, v zval) []byte {
	if !v.ok {
		return append(b, '-')
	}
	switch k {
	case zkTime:
		return appendZeekTime(b, v.t)
	case zkString, zkAddr:
		if v.s == "" {
			return append(b, "(empty)"...)
		}
		return append(b, zeekText(v.s, false)...)
	case zkPort, zkCount:
		return strconv.AppendUint(b, v.n, 10)
	case zkBool:
		if v.b {
			return append(b, 'T')
		}
		return append(b, 'F')
	case zkVector, zkSet:
		if len(v.list) == 0 {
			return append(b, "(empty)"...)
		}
		for i, e := range v.list {
			if i > 0 {
				b = append(b, ',')
			}
			if e == "" {
				b = append(b, "(empty)"...)
				continue
			}
			b = append(b, zeekText(e, true)...)
		}
	}
	return b
}

// appendJSONString writes s, already through zeekText's escaping (printable
// UTF-8 only), as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// appendJSONValue renders one value in Zeek's JSON.
func appendJSONValue(b []byte, k zeekKind, v zval) []byte {
	switch k {
	case zkTime:
		return appendZeekTime(b, v.t)
	case zkString, zkAddr:
		return appendJSONString(b, wireText(v.s))
	case zkPort, zkCount:
		return strconv.AppendUint(b, v.n, 10)
	case zkBool:
		return strconv.AppendBool(b, v.b)
	}
	b = append(b, '[')
	for i, e := range v.list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, wireText(e))
	}
	return append(b, ']')
}

// appendRecord renders one log line (without its newline).
func appendRecord[T any](b []byte, fs []zeekField[T], x *T, asJSON bool) []byte {
	if asJSON {
		b = append(b, '{')
		first := true
		for _, f := range fs {
			v := f.get(x)
			if !v.ok {
				continue // Zeek's JSON leaves unset fields out
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, f.name)
			b = append(b, ':')
			b = appendJSONValue(b, f.kind, v)
		}
		return append(b, '}')
	}
	for i, f := range fs {
		if i > 0 {
			b = append(b, '\t')
		}
		b = appendTSV(b, f.kind, f.get(x))
	}
	return b
}

// ---- the writer -----------------------------------------------------------

// zeekTimeLayout is the #open/#close spelling (Zeek's %Y-%m-%d-%H-%M-%S),
// in UTC.
const zeekTimeLayout = "2006-01-02-15-04-05"

// zeekLog is one log file being written.
type zeekLog struct {
	bw     *bufio.Writer
	path   string // "ssl", "x509"
	fields []string
	types  []string
	header bool
}

func (l *zeekLog) writeHeader(open time.Time) {
	if l.header {
		return
	}
	l.header = true
	bw := l.bw
	bw.WriteString("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t")
	bw.WriteString(l.path)
	bw.WriteString("\n#open\t")
	bw.WriteString(open.UTC().Format(zeekTimeLayout))
	bw.WriteString("\n#fields\t")
	bw.WriteString(strings.Join(l.fields, "\t"))
	bw.WriteString("\n#types\t")
	bw.WriteString(strings.Join(l.types, "\t"))
	bw.WriteByte('\n')
}

func zeekTypes[T any](fs []zeekField[T]) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = zeekTypeNames[f.kind]
		if t, ok := zeekTypeOverride[f.name]; ok {
			out[i] = t
		}
	}
	return out
}

type zeekWriter struct {
	state
	json      bool
	ssl, x509 *zeekLog // x509 nil: no x509.log
	first     time.Time
	last      time.Time
	seen      bool
	buf       []byte
	conn      zeekConn
	cert      zeekCert
}

// NewZeekWriter returns a Writer for FormatZeek or FormatZeekJSON that
// writes ssl.log to ssl and x509.log (one line per certificate of every
// chain, server's then client's) to x509; a nil x509 writes ssl.log only
// (what --format zeek without -o does). The two logs share their uids.
// The certificate fingerprints need the chains: run the pipeline with
// Config.Detail, or cert_chain_fps and x509.log stay empty.
func NewZeekWriter(ssl, x509 io.Writer, f Format, opts Options) Writer {
	if f != FormatZeek && f != FormatZeekJSON {
		return badWriter{errors.New("report: NewZeekWriter: format " + f.String() + " is not a Zeek format")}
	}
	var xbw *bufio.Writer
	if x509 != nil {
		xbw = bufio.NewWriterSize(x509, bufSize)
	}
	return newZeekWriter(bufio.NewWriterSize(ssl, bufSize), xbw, f == FormatZeekJSON, opts)
}

func newZeekWriter(ssl, x509 *bufio.Writer, asJSON bool, opts Options) *zeekWriter {
	w := &zeekWriter{
		state: state{opts: opts},
		json:  asJSON,
		ssl:   &zeekLog{bw: ssl, path: "ssl", fields: fieldNames(sslFields), types: zeekTypes(sslFields)},
	}
	if x509 != nil {
		w.x509 = &zeekLog{bw: x509, path: "x509", fields: fieldNames(x509Fields), types: zeekTypes(x509Fields)}
	}
	return w
}

func (w *zeekWriter) logs() []*zeekLog {
	if w.x509 == nil {
		return []*zeekLog{w.ssl}
	}
	return []*zeekLog{w.ssl, w.x509}
}

func (w *zeekWriter) WriteRow(r *Row) error {
	if err := w.check(r); err != nil {
		return err
	}
	if !w.seen {
		w.seen, w.first, w.last = true, r.Time, r.Time
	}
	if r.Time.After(w.last) {
		w.last = r.Time
	}
	if !w.json {
		open := w.first
		if open.IsZero() {
			open = time.Unix(0, 0)
		}
		for _, l := range w.logs() {
			l.writeHeader(open)
		}
	}
	c := &w.conn
	*c = zeekConn{r: r, uid: RowUID(r),
		origH: formatIP(r.ClientIP), origP: r.ClientPort,
		respH: formatIP(r.ServerIP), respP: r.ServerPort,
		flags: c.flags[:0], serverFPs: c.serverFPs[:0], clientFPs: c.clientFPs[:0],
	}
	if r.Flags.Has(tlsparse.FlagFlipped) {
		c.origH, c.respH, c.origP, c.respP = c.respH, c.origH, c.respP, c.origP
	}
	for f := range r.Flags.All() {
		c.flags = append(c.flags, f.String())
	}
	if d := r.Detail; d != nil {
		for i := range d.ServerChain {
			c.serverFPs = append(c.serverFPs, d.ServerChain[i].SHA256)
		}
		for i := range d.ClientChain {
			c.clientFPs = append(c.clientFPs, d.ClientChain[i].SHA256)
		}
	}
	w.buf = appendRecord(w.buf[:0], sslFields, c, w.json)
	w.buf = append(w.buf, '\n')
	if _, err := w.ssl.bw.Write(w.buf); err != nil {
		return w.fail(err)
	}
	if w.x509 != nil && r.Detail != nil {
		if err := w.writeCerts(r, c.uid, r.Detail.ServerChain, false); err != nil {
			return w.fail(err)
		}
		if err := w.writeCerts(r, c.uid, r.Detail.ClientChain, true); err != nil {
			return w.fail(err)
		}
	}
	if w.opts.Stream {
		for _, l := range w.logs() {
			if err := l.bw.Flush(); err != nil {
				return w.fail(err)
			}
		}
	}
	return nil
}

func (w *zeekWriter) writeCerts(r *Row, uid string, chain []CertInfo, client bool) error {
	for i := range chain {
		w.cert = zeekCert{c: &chain[i], ts: r.Time, uid: uid, leaf: i == 0, client: client}
		w.buf = appendRecord(w.buf[:0], x509Fields, &w.cert, w.json)
		w.buf = append(w.buf, '\n')
		if _, err := w.x509.bw.Write(w.buf); err != nil {
			return err
		}
	}
	return nil
}

// Close writes the header when there were no rows (TSV), the #close
// lines, flushes both logs, then the summary.
func (w *zeekWriter) Close(s *RunStats) error {
	return w.finish(s, "", func() error {
		open, end := time.Unix(0, 0), time.Unix(0, 0)
		if w.seen && !w.first.IsZero() {
			open, end = w.first, w.last
		}
		var err error
		for _, l := range w.logs() {
			if !w.json {
				l.writeHeader(open)
				l.bw.WriteString("#close\t" + end.UTC().Format(zeekTimeLayout) + "\n")
			}
			if ferr := l.bw.Flush(); err == nil {
				err = ferr
			}
		}
		return err
	})
}
