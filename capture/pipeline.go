package capture

import (
	"cmp"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/report"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// Config is one offline run.
type Config struct {
	Files  []string
	Stdin  io.Reader
	Source Options
	// Detail fills Row.Detail (JSON output): CertificateRequest contents
	// and certificate names, which cost a copy of every chain.
	Detail bool
	// Reassembly overrides the assembler's limits; zero means defaults.
	Reassembly reassembly.Options
}

// UsageError is a configuration Run cannot start with (the command line's
// fault, not the input's).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return strings.TrimPrefix(e.Err.Error(), "capture: ") }
func (e *UsageError) Unwrap() error { return e.Err }

// Result is what Run leaves besides the rows it wrote.
type Result struct {
	Summary report.Summary
	// FileErrors are the problems with input files, in the order met;
	// each names the file and, where it applies, the packet.
	FileErrors []*FileError
}

// Run analyzes the capture files as one capture and writes one row per TLS
// connection to out, sorted by first packet time, then client address and
// port. A file error does not stop the run: the rows decided so far and
// the remaining files are still reported. The returned error is a
// failure to write (or an unusable configuration), which does stop it.
func Run(cfg Config, out report.Writer) (*Result, error) {
	src, err := OpenFiles(cfg.Files, cfg.Stdin, cfg.Source)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	defer src.Close()
	res := &Result{}
	ropts := cfg.Reassembly
	ropts.Parse.KeepChains = cfg.Detail
	var done []*reassembly.Result
	asm := reassembly.New(ropts, func(r *reassembly.Result) {
		if r.Conn.IsTLS() {
			cp := *r
			done = append(done, &cp)
		}
	})
	for {
		seg, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var fe *FileError
			if errors.As(err, &fe) {
				res.FileErrors = append(res.FileErrors, fe)
				res.Summary.Warnings = append(res.Summary.Warnings, fe.Error())
				continue
			}
			return res, err
		}
		asm.Add(seg.Net, &seg.TCP, seg.CI)
	}
	asm.Close()

	conv := NewConverter(cfg.Detail)
	rows := make([]*report.Row, 0, len(done))
	for _, r := range done {
		rows = append(rows, conv.Row(r))
	}
	slices.SortStableFunc(rows, CompareRows)
	st := src.Stats()
	as := asm.Stats()
	sum := &res.Summary
	sum.Files, sum.Packets, sum.Bytes = st.Files, st.Packets, st.Bytes
	sum.NonTCP, sum.DecodeErrors = st.NonTCP, st.DecodeErrors
	sum.TCPConns = as.TCPConns
	for _, row := range rows {
		sum.TLSConns++
		sum.Add(row)
		if err := out.WriteRow(row); err != nil {
			return res, err
		}
	}
	return res, nil
}

// CompareRows orders rows by first packet time, then client address and
// port, then server address and port: the output contract's order, made
// total so that equal times still sort the same way every run.
func CompareRows(a, b *report.Row) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	if c := a.ClientIP.Compare(b.ClientIP); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ClientPort, b.ClientPort); c != 0 {
		return c
	}
	if c := a.ServerIP.Compare(b.ServerIP); c != 0 {
		return c
	}
	return cmp.Compare(a.ServerPort, b.ServerPort)
}

// Converter turns a finished connection into a report row. It caches
// certificate names by fingerprint, so it is not safe for concurrent use.
type Converter struct {
	detail bool
	certs  tlsparse.CertCache
}

// NewConverter returns a Converter; detail fills Row.Detail.
func NewConverter(detail bool) *Converter { return &Converter{detail: detail} }

// Row builds the row of one connection.
func (cv *Converter) Row(r *reassembly.Result) *report.Row {
	s := r.Conn.Summary()
	client := s.Client
	if client < 0 {
		client = 0
	}
	ca, sa := r.Addr[client], r.Addr[1-client]
	row := &report.Row{
		Time:          r.First.UTC(),
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
	}
	if s.HasVersion {
		row.Version = s.Version.String()
		row.Cipher = s.Cipher.String()
	}
	if cv.detail {
		row.Detail = cv.detailOf(&s)
	}
	return row
}

func (cv *Converter) detailOf(s *tlsparse.Summary) *report.Detail {
	d := &report.Detail{Errors: s.Errors}
	if cr := s.CertRequest; cr != nil {
		out := &report.CertRequest{CertTypes: []string{}, CANames: []string{}}
		for _, t := range cr.CertTypes {
			out.CertTypes = append(out.CertTypes, t.String())
		}
		for _, a := range cr.SigAlgs {
			out.SigAlgs = append(out.SigAlgs, a.String())
		}
		for _, dn := range cr.CANames {
			out.CANames = append(out.CANames, tlsparse.DNString(dn))
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

func (cv *Converter) chain(ders [][]byte) []report.CertInfo {
	var out []report.CertInfo
	for _, der := range ders {
		ci := cv.certs.Info(der)
		out = append(out, report.CertInfo{Subject: ci.Subject, Issuer: ci.Issuer, SHA256: ci.SHA256})
	}
	return out
}
