package report

import (
	"bufio"
	"cmp"
	"io"
	"slices"
	"strconv"
	"time"
)

// WriteSummary prints s as a few lines of text, e.g.
//
//	files 1, packets 1234 (5.6 MB), TCP connections 12, TLS connections 10
//	versions: TLSv1.2 6, TLSv1.3 4
//	resumption: full 7, psk 1, session_id 1, ticket 1
//	client_cert: none 6, sent 2, empty 1, unknown 1
//	flags: ticket_issued 5, encrypted_handshake 4
//	took 12.3ms
//
// The output depends only on s: tallies are sorted by count descending then
// name, and lines that would say nothing (zero counters, empty tallies, the
// kernel counters outside live capture, Duration 0) are left out. A nil s
// prints nothing.
func WriteSummary(w io.Writer, s *RunStats) error {
	if s == nil {
		return nil
	}
	bw := bufio.NewWriter(w)
	writeSummary(bw, s)
	// bufio keeps the first write error and Flush reports it.
	return bw.Flush()
}

// writeSummary does the formatting; the caller flushes and reports the error.
func writeSummary(w *bufio.Writer, s *RunStats) {
	var b []byte
	line := func() {
		b = append(b, '\n')
		w.Write(b)
		b = b[:0]
	}

	// A live capture reads one interface, not files: "files 0" would only
	// raise a question.
	if !s.Live || s.Files != 0 {
		b = append(b, "files "...)
		b = strconv.AppendInt(b, int64(s.Files), 10)
		if s.Captures > 0 && s.Captures < s.Files { // some files were joined
			b = append(b, " ("...)
			b = strconv.AppendInt(b, int64(s.Captures), 10)
			b = append(b, " capture"...)
			if s.Captures > 1 {
				b = append(b, 's')
			}
			b = append(b, ')')
		}
		b = append(b, ", "...)
	}
	b = append(b, "packets "...)
	b = strconv.AppendUint(b, s.Packets, 10)
	b = append(b, " ("...)
	b = append(b, humanBytes(s.Bytes)...)
	b = append(b, "), TCP connections "...)
	b = strconv.AppendUint(b, s.TCPConns, 10)
	b = append(b, ", TLS connections "...)
	b = strconv.AppendUint(b, s.TLSConns, 10)
	line()

	if s.NonTCP != 0 || s.DecodeErrors != 0 {
		sep := ""
		if s.NonTCP != 0 {
			b = append(b, "non-TCP packets "...)
			b = strconv.AppendUint(b, s.NonTCP, 10)
			sep = ", "
		}
		if s.DecodeErrors != 0 {
			b = append(b, sep...)
			b = append(b, "decode errors "...)
			b = strconv.AppendUint(b, s.DecodeErrors, 10)
		}
		line()
	}
	if s.Evicted != 0 {
		b = append(b, "evicted connections "...)
		b = strconv.AppendUint(b, s.Evicted, 10)
		b = append(b, " (memory budget reached; their rows may be incomplete)"...)
		line()
	}
	if s.Oversize != 0 {
		b = append(b, "oversize connections "...)
		b = strconv.AppendUint(b, s.Oversize, 10)
		b = append(b, " (buffer budget reached, see --max-buffer; each row is flagged oversize)"...)
		line()
	}
	if s.IdleClosed != 0 {
		b = append(b, "idle connections closed "...)
		b = strconv.AppendUint(b, s.IdleClosed, 10)
		line()
	}
	if s.SessionIDsForgotten != 0 {
		b = append(b, "session IDs and tickets forgotten "...)
		b = strconv.AppendUint(b, s.SessionIDsForgotten, 10)
		b = append(b, " (issued past the limit; a later resumption of one is not linked, a refusal not flagged)"...)
		line()
	}
	// Both zero means the platform gave no statistics, not a perfect capture.
	if s.Live && (s.KernelReceived != 0 || s.KernelDropped != 0) {
		b = append(b, "kernel: received "...)
		b = strconv.AppendUint(b, s.KernelReceived, 10)
		b = append(b, ", dropped "...)
		b = strconv.AppendUint(b, s.KernelDropped, 10)
		line()
	}

	for _, t := range []struct {
		name string
		m    map[string]uint64
	}{
		{"versions", s.Versions},
		{"resumption", s.Resumption},
		{"client_cert", s.ClientCert},
		{"flags", s.Flags},
	} {
		if len(t.m) == 0 {
			continue
		}
		b = append(b, t.name...)
		b = append(b, ':')
		for i, kv := range sortedTally(t.m) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, ' ')
			b = append(b, kv.name...)
			b = append(b, ' ')
			b = strconv.AppendUint(b, kv.n, 10)
		}
		line()
	}

	// These name files, which a walked directory may call anything:
	// Printable keeps their control bytes off the terminal.
	for _, sk := range s.Skipped {
		b = append(b, "skipped (not captures): "...)
		b = append(b, Printable(sk)...)
		line()
	}
	if s.Stopped != "" {
		b = append(b, "stopped by "...)
		b = append(b, s.Stopped...)
		if s.StoppedAt != "" {
			b = append(b, " at "...)
			b = append(b, Printable(s.StoppedAt)...)
		}
		b = append(b, ": the input was not read to its end"...)
		line()
	}
	for _, msg := range s.Warnings {
		b = append(b, "warning: "...)
		b = append(b, Printable(msg)...)
		line()
	}

	if s.Duration != 0 {
		b = append(b, "took "...)
		b = append(b, roundDuration(s.Duration).String()...)
		line()
	}
}

// Add counts o into s: the statistics of several captures analysed one
// by one, as one run. Duration, Live and Stopped are the caller's.
func (s *RunStats) Add(o *RunStats) {
	s.Files += o.Files
	s.Packets += o.Packets
	s.Bytes += o.Bytes
	s.NonTCP += o.NonTCP
	s.DecodeErrors += o.DecodeErrors
	s.TCPConns += o.TCPConns
	s.TLSConns += o.TLSConns
	s.Evicted += o.Evicted
	s.IdleClosed += o.IdleClosed
	s.Oversize += o.Oversize
	s.KernelReceived += o.KernelReceived
	s.KernelDropped += o.KernelDropped
	s.SessionIDsForgotten += o.SessionIDsForgotten
	s.Warnings = append(s.Warnings, o.Warnings...)
	s.Tally.merge(&o.Tally)
}

// merge adds the counts of o to t.
func (t *Tally) merge(o *Tally) {
	if o.Versions == nil {
		return
	}
	if t.Versions == nil {
		t.Versions = map[string]uint64{}
		t.Resumption = map[string]uint64{}
		t.ClientCert = map[string]uint64{}
		t.Flags = map[string]uint64{}
	}
	for _, p := range [][2]map[string]uint64{{t.Versions, o.Versions}, {t.Resumption, o.Resumption}, {t.ClientCert, o.ClientCert}, {t.Flags, o.Flags}} {
		for k, n := range p[1] {
			p[0][k] += n
		}
	}
}

type tally struct {
	name string
	n    uint64
}

// sortedTally orders a tally by count descending then name, so the most
// common value comes first and equal counts print the same on every run.
func sortedTally(m map[string]uint64) []tally {
	out := make([]tally, 0, len(m))
	for k, n := range m {
		out = append(out, tally{k, n})
	}
	slices.SortFunc(out, func(a, b tally) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
	return out
}

// humanBytes prints a byte count with SI units and one decimal ("5.6 MB"),
// bytes below 1000 exactly ("512 B").
func humanBytes(n uint64) string {
	if n < 1000 {
		return strconv.FormatUint(n, 10) + " B"
	}
	const units = "kMGTPE"
	v := float64(n) / 1000
	i := 0
	// 999.95 would print as "1000.0"; move to the next unit instead.
	for v >= 999.95 && i < len(units)-1 {
		v /= 1000
		i++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i:i+1] + "B"
}

// roundDuration keeps three significant digits below a minute (12.3ms,
// 456µs, 7.89s) and whole seconds above, which is all a reader compares.
func roundDuration(d time.Duration) time.Duration {
	if d < 0 {
		return d
	}
	if d >= time.Minute {
		return d.Round(time.Second)
	}
	unit := time.Duration(1)
	for v := d; v >= 1000; v /= 10 {
		unit *= 10
	}
	return d.Round(unit)
}
