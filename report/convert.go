package report

import (
	"crypto/x509"
	"encoding/hex"
	"hash/maphash"
	"maps"
	"net/netip"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// Conn is what the layers below know about a connection besides its
// handshake: when it started, who sent what, and whether the memory budget
// forced it out before it was decided.
type Conn struct {
	First time.Time
	// Addr[h] is the sender of half h, in tlsparse's numbering.
	Addr    [2]netip.AddrPort
	Evicted bool
	// File and Packet are where the first packet was read: the capture
	// file as named and the packet's number in it.
	File   string
	Packet uint64
}

// Converter turns a finished connection's verdicts into a report row. It
// caches certificates by fingerprint, so it is not safe for concurrent
// use: give each worker its own.
type Converter struct {
	detail bool
	certs  CertCache
	verify *chainVerifier // nil without a CA bundle

	// ja4s caches JA4 by the hello's facts (Sum64 under ja4Seed, random
	// per cache: a peer cannot aim a collision).
	ja4s    map[uint64]string
	ja4Seed maphash.Seed
}

// ja4 is tlsparse.JA4, cached by the hello's facts: most connections of a
// capture come from a few clients sending the same ClientHello, and the
// fingerprint's two SHA-256s were 8% of a handshake-heavy run.
func (cv *Converter) ja4(h *tlsparse.HelloFacts) string {
	if h == nil {
		return ""
	}
	if cv.ja4s == nil || len(cv.ja4s) >= maxJA4Cache {
		cv.ja4s = make(map[uint64]string)
		cv.ja4Seed = maphash.MakeSeed()
	}
	k := h.Sum64(cv.ja4Seed)
	if v, ok := cv.ja4s[k]; ok {
		return v
	}
	v := tlsparse.JA4(h)
	cv.ja4s[k] = v
	return v
}

// maxJA4Cache bounds the JA4 cache; past it the cache starts again.
const maxJA4Cache = 4096

// NewConverter returns a Converter; detail fills Row.Detail (JSON output),
// which costs naming every certificate of both chains.
func NewConverter(detail bool) *Converter { return &Converter{detail: detail} }

// WithRoots makes the Converter verify both chains of every connection to
// roots (--ca-bundle) and flag chain_invalid; nil verifies nothing. It
// returns cv.
func (cv *Converter) WithRoots(roots *x509.CertPool) *Converter {
	cv.verify = nil
	if roots != nil {
		cv.verify = &chainVerifier{roots: roots}
	}
	return cv
}

// Row builds the row of one connection from its summary.
func (cv *Converter) Row(s *tlsparse.Summary, c Conn) *Row {
	client := s.Client
	if client < 0 {
		client = 0
	}
	ca, sa := c.Addr[client], c.Addr[1-client]
	row := &Row{
		Time:          c.First.UTC(),
		File:          c.File,
		Packet:        c.Packet,
		ClientIP:      ca.Addr(),
		ClientPort:    ca.Port(),
		ServerIP:      sa.Addr(),
		ServerPort:    sa.Port(),
		SNI:           s.SNI,
		ALPN:          s.ALPN,
		Resumption:    s.Resumption,
		CertRequested: s.CertReq,
		ClientCert:    s.ClientCert,
		ClientCerts:   s.ClientCerts,
		ServerCerts:   s.ServerCerts,
		Established:   s.Established,
		Alert:         s.Alert,
		Flags:         s.Flags,
		History:       s.History,
		Evidence:      s.Evidence,

		SessionIDOffered: s.SessionIDOffered,
		SessionIDIssued:  s.SessionIDIssued,
		TicketOffered:    s.TicketOffered,
		TicketsIssued:    s.TicketsIssued,
	}
	if s.HasVersion {
		row.Version = s.Version.String()
		row.Cipher = s.Cipher.String()
	}
	row.JA4 = cv.ja4(s.Hello) // always: the CSV has the column
	if c.Evicted {
		row.Flags.Set(tlsparse.FlagEvicted)
	}
	cv.leaves(row, s)
	if cv.detail {
		row.Detail = cv.detailOf(s)
	}
	return row
}

// leaves fills the leaf columns and decides the certificate flags
// (x509.go) from the two chains, at the connection's capture time.
func (cv *Converter) leaves(row *Row, s *tlsparse.Summary) {
	if len(s.ServerChain) > 0 {
		leaf := cv.certs.facts(s.ServerChain[0])
		row.ServerCN, row.ServerNotAfter = leaf.cn, leaf.info.NotAfter
		row.Flags |= leafFlags(leaf, row.Time)
		if sniMismatch(leaf, s.SNI) {
			row.Flags.Set(tlsparse.FlagSNIMismatch)
		}
		if cv.verify != nil && cv.verify.chainInvalid(&cv.certs, s.ServerChain, leaf, row.Time) {
			row.Flags.Set(tlsparse.FlagChainInvalid)
		}
	}
	if len(s.ClientChain) > 0 {
		leaf := cv.certs.facts(s.ClientChain[0])
		row.ClientCN = leaf.cn
		row.Flags |= leafFlags(leaf, row.Time)
		if cv.verify != nil && cv.verify.chainInvalid(&cv.certs, s.ClientChain, leaf, row.Time) {
			row.Flags.Set(tlsparse.FlagChainInvalid)
		}
	}
}

func (cv *Converter) detailOf(s *tlsparse.Summary) *Detail {
	d := &Detail{Errors: s.Errors, Tickets13: s.Tickets13}
	d.JA3, d.JA3S, d.Hello = tlsparse.JA3(s.Hello), tlsparse.JA3S(s.ServerHello), helloOf(s)
	if !utf8.ValidString(s.SNI) {
		d.SNIHex = hex.EncodeToString([]byte(s.SNI))
	}
	if !utf8.ValidString(s.ALPN) {
		d.ALPNHex = hex.EncodeToString([]byte(s.ALPN))
	}
	if cr := s.CertRequest; cr != nil {
		out := &CertRequest{CertTypes: []string{}, CANames: []string{}}
		for _, t := range cr.CertTypes {
			out.CertTypes = append(out.CertTypes, t.String())
		}
		for _, a := range cr.SigAlgs {
			out.SigAlgs = append(out.SigAlgs, a.String())
		}
		for _, dn := range cr.CANames {
			out.CANames = append(out.CANames, DNString(dn))
		}
		d.CertRequest = out
	}
	var unparsed int
	d.ServerChain = cv.chain(s.ServerChain, &unparsed)
	d.ClientChain = cv.chain(s.ClientChain, &unparsed)
	if len(s.Anomalies) > 0 || unparsed > 0 {
		d.Anomalies = make(map[string]int, len(s.Anomalies)+1)
		for _, k := range slices.Sorted(maps.Keys(s.Anomalies)) {
			d.Anomalies[string(k)] = s.Anomalies[k]
		}
		if unparsed > 0 {
			d.Anomalies[AnomalyX509Unparsed] = unparsed
		}
	}
	return d
}

// chain is the JSON of the certificates in ders, in the order sent; it
// counts into unparsed those crypto/x509 refused.
func (cv *Converter) chain(ders [][]byte, unparsed *int) []CertInfo {
	var out []CertInfo
	for _, der := range ders {
		f := cv.certs.facts(der)
		if f.cert == nil {
			*unparsed++
		}
		out = append(out, f.jsonInfo())
	}
	return out
}

// helloOf names what the ClientHello offered and the group the ServerHello
// chose (Detail.Hello); nil without a (TLS-format) ClientHello. GREASE
// values are left out of every list: they are random per connection and
// mean nothing.
func helloOf(s *tlsparse.Summary) *Hello {
	h := s.Hello
	if h == nil {
		return nil
	}
	out := &Hello{}
	for _, v := range h.SupportedVersions() {
		if !tlsparse.IsGREASE(uint16(v)) {
			out.Versions = append(out.Versions, v.String())
		}
	}
	if len(out.Versions) == 0 {
		out.Versions = []string{h.Version.String()}
	}
	for _, c := range h.CipherSuites() {
		if !tlsparse.IsGREASE(uint16(c)) {
			out.Ciphers = append(out.Ciphers, c.String())
		}
	}
	for _, g := range h.Groups() {
		if !tlsparse.IsGREASE(uint16(g)) {
			out.Groups = append(out.Groups, g.String())
		}
	}
	for _, a := range h.SignatureAlgorithms() {
		if !tlsparse.IsGREASE(uint16(a)) {
			out.SigAlgs = append(out.SigAlgs, a.String())
		}
	}
	for _, p := range h.ALPN() {
		out.ALPN = append(out.ALPN, wireText(p))
	}
	if sh := s.ServerHello; sh != nil && sh.KeyShareGroup != 0 {
		out.NegotiatedGroup = sh.KeyShareGroup.String()
	}
	return out
}
