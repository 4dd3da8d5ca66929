package capture

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/report"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// Config is one run.
type Config struct {
	Files  []string
	Stdin  io.Reader
	Source Options
	// Detail fills Row.Detail (JSON output): CertificateRequest contents
	// and certificate names, which cost a copy of every chain.
	Detail bool
	// Reassembly overrides the assembler's limits; zero means defaults.
	Reassembly reassembly.Options
	// Stream writes each row as soon as its connection is decided, in
	// decision order (live capture); otherwise rows come out sorted.
	Stream bool
	// MaxRows stops the run after that many rows (tlsscan -c); 0: no limit.
	MaxRows uint64
	// Stop ends the run when closed (a signal, --duration): connections
	// still open are reported with what is known.
	Stop <-chan struct{}
	// Workers shards connections over that many goroutines (-j); 0 or 1
	// runs everything in the caller's goroutine.
	Workers int
}

// Source is where packets come from: capture files or an interface.
type Source interface {
	// Next returns the next TCP segment, io.EOF at the end, ErrNoPacket
	// when none arrived within the poll interval (live), or a *FileError
	// after which it can be called again.
	Next() (*Segment, error)
	Stats() Stats
	Close() error
}

// ErrNoPacket is a live source's "nothing yet": the pipeline uses the pause
// to close idle connections and to notice Stop.
var ErrNoPacket = errors.New("capture: no packet within the poll interval")

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

	timeWarned map[string]bool // files already warned about a time jump
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
	return AnalyzeParallel(cfg, src, out, cfg.Workers)
}

// Analyze runs the pipeline over any Source. The caller closes src.
func Analyze(cfg Config, src Source, out report.Writer) (*Result, error) {
	res := &Result{}
	sink := newRowSink(cfg, out, &res.Summary)
	ropts := cfg.Reassembly
	ropts.Parse.KeepChains = cfg.Detail
	conv := NewConverter(cfg.Detail)
	asm := reassembly.New(ropts, func(r *reassembly.Result) {
		if r.Conn.IsTLS() {
			sink.push(conv.Row(r))
		}
	})
	var now time.Time
	idle := idleTimeout(cfg)
	for !sink.done() {
		seg, err := src.Next()
		if err == io.EOF {
			break
		}
		if err == ErrNoPacket {
			asm.Tick(time.Now())
			continue
		}
		if err != nil {
			if res.noteFileError(err) {
				continue
			}
			return res, err
		}
		res.noteTimeJump(seg, now, idle)
		if seg.CI.Timestamp.After(now) {
			now = seg.CI.Timestamp
		}
		asm.Add(seg.Net, &seg.TCP, seg.CI)
		if sink.ready.Len() > 0 {
			limit, pending := asm.Watermark()
			if !pending || now.Before(limit) {
				// A connection yet to start begins no earlier than the
				// current packet.
				limit = now
			}
			sink.release(limit)
		}
	}
	// Connections still open are reported with what is known: flushing
	// decides them (truncated where the handshake had not ended).
	asm.Close()
	sink.flush()
	fillSummary(&res.Summary, src.Stats())
	as := asm.Stats()
	res.Summary.TCPConns, res.Summary.Evicted, res.Summary.IdleClosed = as.TCPConns, as.Evicted, as.Idle
	return res, sink.err
}

// noteFileError records a *FileError (the run goes on with the next file)
// and reports whether err was one.
func (res *Result) noteFileError(err error) bool {
	var fe *FileError
	if !errors.As(err, &fe) {
		return false
	}
	res.FileErrors = append(res.FileErrors, fe)
	res.Summary.Warnings = append(res.Summary.Warnings, fe.Error())
	return true
}

// maxTimeJump is how far capture time may step back before it is worth a
// warning: pcapng files merging several interfaces step back by
// microseconds all the time, and that orders nothing differently. A step
// forward is worth one when it is longer than the idle timeout, because
// every connection open before it is then closed as idle.
const maxTimeJump = time.Second

// noteTimeJump warns, once per file and direction, when a packet's time is
// well before the latest seen (rows are ordered by first packet time) or
// past the idle timeout after it (the idle timers run on capture time).
func (res *Result) noteTimeJump(seg *Segment, latest time.Time, idle time.Duration) {
	if latest.IsZero() {
		return
	}
	t := seg.CI.Timestamp
	var what string
	switch {
	case t.Before(latest.Add(-maxTimeJump)):
		what = fmt.Sprintf("timestamp goes back %v (rows near it may be out of order)", latest.Sub(t).Round(time.Millisecond))
	case t.After(latest.Add(idle)):
		what = fmt.Sprintf("timestamp jumps %v forward (connections open before it are closed as idle)", t.Sub(latest).Round(time.Millisecond))
	default:
		return
	}
	key := seg.File + what[:12]
	if res.timeWarned == nil {
		res.timeWarned = map[string]bool{}
	}
	if res.timeWarned[key] {
		return
	}
	res.timeWarned[key] = true
	res.Summary.Warnings = append(res.Summary.Warnings, fmt.Sprintf("%s: packet %d: %s", seg.File, seg.Packet, what))
}

// idleTimeout is the assembler's idle timeout for cfg.
func idleTimeout(cfg Config) time.Duration {
	if cfg.Reassembly.IdleTimeout > 0 {
		return cfg.Reassembly.IdleTimeout
	}
	return reassembly.DefaultIdleTimeout
}

// rowSink is the output end of both pipelines: it counts rows into the
// summary, writes them (at once when streaming, otherwise in sorted order
// once nothing earlier can come), and ends the run after -c rows or a
// write error.
type rowSink struct {
	cfg   Config
	out   report.Writer
	sum   *report.Summary
	ready rowHeap
	err   error
	// over is closed when output ends early (write error, -c), to stop the
	// reading side of a sharded run.
	over   chan struct{}
	closed bool
}

func newRowSink(cfg Config, out report.Writer, sum *report.Summary) *rowSink {
	return &rowSink{cfg: cfg, out: out, sum: sum, over: make(chan struct{})}
}

// push takes a decided row.
func (k *rowSink) push(row *report.Row) {
	if k.cfg.Stream {
		k.write(row)
	} else {
		// Rows wait in a heap until no connection still undecided can
		// sort before them, so memory holds only the handshakes in
		// progress, not every row of the capture.
		heap.Push(&k.ready, row)
	}
}

// release writes the waiting rows that sort before limit.
func (k *rowSink) release(limit time.Time) {
	for k.ready.Len() > 0 && k.ready[0].Time.Before(limit) {
		k.write(heap.Pop(&k.ready).(*report.Row))
	}
}

// flush writes every waiting row: the input has ended.
func (k *rowSink) flush() {
	for k.ready.Len() > 0 {
		k.write(heap.Pop(&k.ready).(*report.Row))
	}
}

func (k *rowSink) full() bool { return k.cfg.MaxRows > 0 && k.sum.TLSConns >= k.cfg.MaxRows }

func (k *rowSink) write(row *report.Row) {
	if k.err != nil || k.full() {
		return
	}
	k.sum.TLSConns++
	k.sum.Add(row)
	k.err = k.out.WriteRow(row)
	if !k.closed && (k.err != nil || k.full()) {
		k.closed = true
		close(k.over)
	}
}

// done reports whether the run should stop reading: Stop was closed, or
// the output ended early. Only the goroutine that writes may call it.
func (k *rowSink) done() bool {
	select {
	case <-k.cfg.Stop:
		return true
	default:
	}
	return k.closed
}

// fillSummary copies the packet front end's counters into the summary.
func fillSummary(sum *report.Summary, st Stats) {
	sum.Files, sum.Packets, sum.Bytes = st.Files, st.Packets, st.Bytes
	sum.NonTCP, sum.DecodeErrors = st.NonTCP, st.DecodeErrors
}

// rowHeap orders rows by CompareRows.
type rowHeap []*report.Row

func (h rowHeap) Len() int           { return len(h) }
func (h rowHeap) Less(i, j int) bool { return CompareRows(h[i], h[j]) < 0 }
func (h rowHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *rowHeap) Push(x any)        { *h = append(*h, x.(*report.Row)) }
func (h *rowHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return r
}

func addFlag(flags []string, f string) []string {
	if slices.Contains(flags, f) {
		return flags
	}
	flags = append(flags, f)
	slices.Sort(flags)
	return flags
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
	if r.Evicted {
		row.Flags = addFlag(row.Flags, "evicted")
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
