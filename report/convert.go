package report

import (
	"encoding/hex"
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
// caches certificate names by fingerprint, so it is not safe for concurrent
// use: give each worker its own.
type Converter struct {
	detail bool
	certs  CertCache
}

// NewConverter returns a Converter; detail fills Row.Detail (JSON output),
// which costs naming every certificate of both chains.
func NewConverter(detail bool) *Converter { return &Converter{detail: detail} }

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
	}
	if s.HasVersion {
		row.Version = s.Version.String()
		row.Cipher = s.Cipher.String()
	}
	if c.Evicted {
		row.Flags.Set(tlsparse.FlagEvicted)
	}
	if cv.detail {
		row.Detail = cv.detailOf(s)
	}
	return row
}

func (cv *Converter) detailOf(s *tlsparse.Summary) *Detail {
	d := &Detail{Errors: s.Errors, Tickets13: s.Tickets13}
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
	d.ServerChain = cv.chain(s.ServerChain)
	d.ClientChain = cv.chain(s.ClientChain)
	if len(s.Anomalies) > 0 {
		d.Anomalies = make(map[string]int, len(s.Anomalies))
		for _, k := range slices.Sorted(maps.Keys(s.Anomalies)) {
			d.Anomalies[string(k)] = s.Anomalies[k]
		}
	}
	return d
}

func (cv *Converter) chain(ders [][]byte) []CertInfo {
	var out []CertInfo
	for _, der := range ders {
		out = append(out, cv.certs.Info(der))
	}
	return out
}
