package report

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// The servers summary (--summary servers, docs/audit.md) is one line per
// server, keyed by server address, port and SNI, aggregating the rows
// written. Servers only counts; Write renders the lines sorted by address,
// port and SNI, so the output depends only on the set of rows added, not on
// their order (below the limits: past them, which servers are counted apart
// is which came first, and rows come in the output's fixed order).

// MaxServers bounds the distinct servers a Servers summary keeps apart. A
// server costs about 0.6 KB (its key and a few short count lists, measured
// with typical rows; up to 2 KB for one whose rows show every verdict and
// many flags), so the summary holds about 60 MB at most however long a
// live capture runs or however many addresses a scan touches. Rows of
// servers past the limit are counted together on one "(other servers)"
// line.
const MaxServers = 100_000

// MaxServerSNIBytes bounds the SNI text the summary keeps in its keys: an
// SNI may be 64 KiB long, and a flood of distinct long names would
// otherwise cost far more than MaxServers suggests. 16 MiB is 160 bytes for
// each of MaxServers servers, where real host names (at most 253 bytes)
// average a few dozen. Past it, new servers go to "(other servers)" too.
const MaxServerSNIBytes = 16 << 20

// ServerColumns is the CSV header of the servers summary; its JSON lines
// use the same names as keys (plus sni_hex, as the rows' JSON does).
var ServerColumns = []string{
	"server_ip", "server_port", "sni", "connections", "established",
	"versions", "cert_requested", "client_cert", "client_auth",
	"resumption", "resumption_refused", "flags",
}

// OtherServers is the server_ip of the line that counts the rows of
// servers past MaxServers (or MaxServerSNIBytes). It is not an address, so
// it cannot be mistaken for a server's.
const OtherServers = "(other servers)"

// The client_auth values (docs/audit.md "client_auth").
const (
	ClientAuthRequired  = "required"
	ClientAuthOptional  = "optional"
	ClientAuthMixed     = "mixed"
	ClientAuthRequested = "requested"
	ClientAuthNever     = "never"
	ClientAuthUnknown   = "unknown"
)

// serverKey identifies a server: what a client connected to and asked for.
type serverKey struct {
	ip   netip.Addr
	port uint16
	sni  string
}

// counts is a small count list by spelling. Lists stay short (a handful of
// versions, five verdict values, a few flags), so a slice searched in
// order costs less memory than a map per server.
type counts []nameCount

type nameCount struct {
	name string
	n    uint64
}

func (c *counts) add(name string) {
	for i := range *c {
		if (*c)[i].name == name {
			(*c)[i].n++
			return
		}
	}
	*c = append(*c, nameCount{name, 1})
}

// sorted returns the list in byte order of the names.
func (c counts) sorted() counts {
	out := slices.Clone(c)
	slices.SortFunc(out, func(a, b nameCount) int { return cmp.Compare(a.name, b.name) })
	return out
}

// text is the CSV spelling "name:n;name:n", names in byte order; sep
// replaces ";" (the table uses a space).
func (c counts) text(sep string) string {
	var b strings.Builder
	for i, kv := range c.sorted() {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(kv.name)
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(kv.n, 10))
	}
	return b.String()
}

// object is the JSON spelling: an object, {} when empty.
func (c counts) object() map[string]uint64 {
	m := make(map[string]uint64, len(c))
	for _, kv := range c {
		m[kv.name] = kv.n
	}
	return m
}

// server is what is counted for one server.
type server struct {
	conns, established uint64

	versions, certRequested, clientCert, resumption, refused, flags counts

	// The client-authentication evidence (docs/audit.md "client_auth").
	asked            uint64 // cert_requested=yes
	notAsked         uint64 // cert_requested=no on a handshake that could have asked
	refusedDeclined  uint64 // asked, declined, and client_auth_failed
	admittedDeclined uint64 // asked, declined, established, with cleartext or keylog evidence
	admittedUnasked  uint64 // not asked, and established
}

// Servers aggregates rows into the servers summary. The zero value is not
// ready; use NewServers. Not safe for concurrent use: like a Writer, it is
// given rows by the one goroutine that writes them.
type Servers struct {
	m        map[serverKey]*server
	sniBytes int
	other    *server // nil until a row overflows
}

// NewServers returns an empty servers summary.
func NewServers() *Servers {
	return &Servers{m: make(map[serverKey]*server)}
}

// Add counts one row. A nil row is ignored.
func (s *Servers) Add(r *Row) {
	if r == nil {
		return
	}
	k := serverKey{r.ServerIP, r.ServerPort, r.SNI}
	sv := s.m[k]
	if sv == nil {
		if len(s.m) >= MaxServers || s.sniBytes+len(r.SNI) > MaxServerSNIBytes {
			if s.other == nil {
				s.other = &server{}
			}
			sv = s.other
		} else {
			// The key keeps its own copy of the SNI, not a share of a
			// larger string the row may hold.
			k.sni = strings.Clone(k.sni)
			sv = &server{}
			s.m[k] = sv
			s.sniBytes += len(k.sni)
		}
	}
	sv.add(r)
}

// Len returns the number of servers counted apart (the "(other servers)"
// line not included).
func (s *Servers) Len() int {
	if s == nil {
		return 0
	}
	return len(s.m)
}

// Other returns the number of rows counted on the "(other servers)" line:
// 0 unless the limits were reached.
func (s *Servers) Other() uint64 {
	if s == nil || s.other == nil {
		return 0
	}
	return s.other.conns
}

func (sv *server) add(r *Row) {
	sv.conns++
	if r.Established {
		sv.established++
	}
	v := r.Version
	if v == "" {
		v = "none" // no ServerHello, as in the run's tally (Row, "Not seen")
	}
	sv.versions.add(v)
	sv.certRequested.add(r.CertRequested.String())
	sv.clientCert.add(r.ClientCert.String())
	sv.resumption.add(r.Resumption.String())
	for f := range r.Flags.All() {
		sv.flags.add(f.String())
		switch f {
		case tlsparse.FlagTicketRejected, tlsparse.FlagTicketRejectedUnknown:
			sv.refused.add(tlsparse.ResumptionTicket.String())
		case tlsparse.FlagSessionIDRejected:
			sv.refused.add(tlsparse.ResumptionSessionID.String())
		case tlsparse.FlagPSKRejected:
			sv.refused.add(tlsparse.ResumptionPSK.String())
		}
	}

	declined := r.ClientCert == tlsparse.ClientCertEmpty || r.ClientCert == tlsparse.ClientCertMissing
	switch r.CertRequested {
	case tlsparse.CertRequestedYes:
		sv.asked++
		switch {
		case !declined:
		case r.Flags.Has(tlsparse.FlagClientAuthFailed):
			sv.refusedDeclined++
		case r.Established && (r.Evidence == tlsparse.EvidenceCleartext || r.Evidence == tlsparse.EvidenceKeylog):
			// Without keys (record_sizes) a TLS 1.3 server's refusal is
			// an encrypted alert after a connection that looks
			// established: no proof the server let the client in.
			sv.admittedDeclined++
		}
	case tlsparse.CertRequestedNo:
		switch r.Resumption {
		case tlsparse.ResumptionSessionID, tlsparse.ResumptionTicket, tlsparse.ResumptionPSK:
			// A resumed handshake never asks (RFC 8446 4.3.2 for PSK):
			// it carries the session's authentication, if any.
		default:
			sv.notAsked++
			if r.Established {
				sv.admittedUnasked++
			}
		}
	}
}

// clientAuth derives the client_auth value from what was counted; the
// rule is docs/audit.md's "client_auth", in the same order.
func (sv *server) clientAuth() string {
	admitted := sv.admittedDeclined + sv.admittedUnasked
	switch {
	case sv.refusedDeclined > 0 && admitted > 0:
		return ClientAuthMixed
	case sv.refusedDeclined > 0:
		return ClientAuthRequired
	case sv.admittedDeclined > 0:
		return ClientAuthOptional
	case sv.asked > 0:
		return ClientAuthRequested
	case sv.notAsked > 0:
		return ClientAuthNever
	}
	return ClientAuthUnknown
}

// serverLine is one output line: a server, or the other servers (other).
type serverLine struct {
	key   serverKey
	other bool
	sv    *server
}

// lines returns the servers sorted by address, port and SNI (byte order),
// then the "(other servers)" line if there is one.
func (s *Servers) lines() []serverLine {
	if s == nil {
		return nil
	}
	out := make([]serverLine, 0, len(s.m)+1)
	for k, sv := range s.m {
		out = append(out, serverLine{key: k, sv: sv})
	}
	slices.SortFunc(out, func(a, b serverLine) int {
		if c := a.key.ip.Compare(b.key.ip); c != 0 {
			return c
		}
		if c := cmp.Compare(a.key.port, b.key.port); c != 0 {
			return c
		}
		return strings.Compare(a.key.sni, b.key.sni)
	})
	if s.other != nil {
		out = append(out, serverLine{other: true, sv: s.other})
	}
	return out
}

// cells is the line's columns after the server's own (given first), in
// the order the table and ServerColumns share; sep joins a column's
// counts ("v1 3 v2 1").
func (l serverLine) cells(sep string, server ...string) []string {
	sv := l.sv
	return append(server,
		strconv.FormatUint(sv.conns, 10),
		strconv.FormatUint(sv.established, 10),
		sv.versions.text(sep),
		sv.certRequested.text(sep),
		sv.clientCert.text(sep),
		l.clientAuth(),
		sv.resumption.text(sep),
		sv.refused.text(sep),
		sv.flags.text(sep),
	)
}

// clientAuth is the line's client_auth: empty on the "(other servers)"
// line, where the rows of many servers cannot describe one.
func (l serverLine) clientAuth() string {
	if l.other {
		return ""
	}
	return l.sv.clientAuth()
}

// Write renders the summary to w in f: the table (one line per server,
// aligned, "no TLS servers found" when empty), CSV (header ServerColumns,
// then one record per server) or JSON lines (one object per server, keys
// ServerColumns). It returns the first write error.
func (s *Servers) Write(w io.Writer, f Format) error {
	bw := bufio.NewWriterSize(w, bufSize)
	var err error
	switch f {
	case FormatTable:
		err = s.writeTable(bw)
	case FormatCSV:
		err = s.writeCSV(bw)
	case FormatJSON:
		err = s.writeJSON(bw)
	default:
		return fmt.Errorf("report: unknown format %v", f)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

// serverTableHeader names the table's columns: CSV's, with address and
// port in one "server" cell and the long names shortened as the rows'
// table shortens them.
var serverTableHeader = []string{
	"server", "sni", "conns", "est", "versions", "cert_req",
	"client_cert", "client_auth", "resumption", "refused", "flags",
}

// serverColGap is the blank between table columns, as in the rows' table.
const serverColGap = 2

// writeTable draws the table in the rows' table style (docs/output.md
// "Table"): no borders or column rules, a rule under the header, two
// spaces between columns, each column as wide as its widest cell, no
// trailing blanks. The summary is small (one line per server, at most
// MaxServers), so it is laid out whole before the first line is written.
func (s *Servers) writeTable(bw *bufio.Writer) error {
	lines := s.lines()
	if len(lines) == 0 {
		_, err := bw.WriteString("no TLS servers found\n")
		return err
	}
	cells := make([][]string, 0, len(lines)+1)
	cells = append(cells, serverTableHeader)
	for _, l := range lines {
		server, sni := OtherServers, ""
		if !l.other {
			server, sni = serverHostPort(l.key.ip, l.key.port), wireText(l.key.sni)
		}
		cells = append(cells, l.cells(" ", server, sni))
	}
	widths := make([]int, len(serverTableHeader))
	for _, row := range cells {
		for i, c := range row {
			widths[i] = max(widths[i], serverTextWidth(c))
		}
	}
	total := serverColGap * (len(widths) - 1)
	for _, w := range widths {
		total += w
	}
	var b []byte
	for n, row := range cells {
		b = b[:0]
		pad := 0
		for i, c := range row {
			if c == "" {
				pad += widths[i] + serverColGap
				continue
			}
			b = append(b, strings.Repeat(" ", pad)...)
			b = append(b, c...)
			pad = widths[i] - serverTextWidth(c) + serverColGap
		}
		b = append(b, '\n')
		if n == 0 {
			b = append(b, strings.Repeat("─", total)...)
			b = append(b, '\n')
		}
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// serverHostPort is "ip:port", IPv6 in brackets; no address renders empty.
func serverHostPort(a netip.Addr, port uint16) string {
	if !a.IsValid() {
		return ""
	}
	return wireText(netip.AddrPortFrom(a, port).String()) // an IPv6 zone is text
}

// serverTextWidth is the terminal width of table text: a column per ASCII
// byte (the text is escaped, so there are no control bytes), tablewriter's
// measure for the rest (wide East Asian characters count two).
func serverTextWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return twwidth.WidthWithOptions(s, twwidth.Options{})
		}
	}
	return len(s)
}

func (s *Servers) writeCSV(bw *bufio.Writer) error {
	cw := csv.NewWriter(bw)
	cw.Write(ServerColumns)
	for _, l := range s.lines() {
		ip, port, sni := OtherServers, "", ""
		if !l.other {
			ip, port, sni = formatIP(l.key.ip), strconv.Itoa(int(l.key.port)), wireText(l.key.sni)
		}
		cw.Write(l.cells(";", ip, port, sni))
	}
	cw.Flush()
	return cw.Error()
}

// jsonServer fixes the key order of a servers JSON line: ServerColumns,
// then sni_hex. Every key is always present, as in the rows' JSON: a count
// list with nothing counted is {}, and null means absent (no port, SNI or
// client_auth on the "(other servers)" line; no sni_hex for valid UTF-8).
// TestServerJSONKeys keeps the tags in step with ServerColumns.
type jsonServer struct {
	ServerIP          string            `json:"server_ip"`
	ServerPort        *uint16           `json:"server_port"` // null on the other servers' line
	SNI               *string           `json:"sni"`         // null on the other servers' line
	Connections       uint64            `json:"connections"`
	Established       uint64            `json:"established"`
	Versions          map[string]uint64 `json:"versions"`
	CertRequested     map[string]uint64 `json:"cert_requested"`
	ClientCert        map[string]uint64 `json:"client_cert"`
	ClientAuth        *string           `json:"client_auth"` // null on the other servers' line
	Resumption        map[string]uint64 `json:"resumption"`
	ResumptionRefused map[string]uint64 `json:"resumption_refused"`
	Flags             map[string]uint64 `json:"flags"`
	SNIHex            *string           `json:"sni_hex"` // null unless the SNI is invalid UTF-8
}

func (s *Servers) writeJSON(bw *bufio.Writer) error {
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false) // as the rows: SNI is read by people and jq
	for _, l := range s.lines() {
		sv := l.sv
		js := jsonServer{
			ServerIP:          OtherServers,
			Connections:       sv.conns,
			Established:       sv.established,
			Versions:          sv.versions.object(),
			CertRequested:     sv.certRequested.object(),
			ClientCert:        sv.clientCert.object(),
			Resumption:        sv.resumption.object(),
			ResumptionRefused: sv.refused.object(),
			Flags:             sv.flags.object(),
		}
		if !l.other {
			port, sni, auth := l.key.port, l.key.sni, sv.clientAuth()
			js.ServerIP, js.ServerPort, js.SNI, js.ClientAuth = formatIP(l.key.ip), &port, &sni, &auth
			if !utf8.ValidString(sni) {
				h := hex.EncodeToString([]byte(sni))
				js.SNIHex = &h
			}
		}
		if err := enc.Encode(&js); err != nil {
			return err
		}
	}
	return nil
}
