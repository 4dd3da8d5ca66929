package report

import (
	"bufio"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// The table is the human view: a subset of the columns, one line per
// connection, aligned. docs/output.md "Table" is the contract; this is how.
//
// Streaming: the column widths are decided once, when the writer is made
// (tableLayout, from Options.Width), so each row is padded by our own code
// straight into the bufio.Writer as WriteRow is called, offline and live
// alike, and memory does not grow with the number of rows. Offline the
// rows stay in the 64 KiB buffer until it fills; in Stream mode each row is
// flushed. The header is printed with the first row, so a capture without
// TLS connections prints only "no TLS connections found".
//
// Why not tablewriter: it was the renderer until the table had to stream.
// On the same rows its streaming mode costs about 80µs a row and its batch
// mode about 42µs a row and keeps every row until Close, against about
// 2µs for this code and for a CSV row (BenchmarkTableRow in
// table_bench_test.go measures them side by side); the target, the whole
// table run within 1.3x of the CSV run, leaves a few µs per row. Its
// display-width function (twwidth) still measures text that is not ASCII.
//
// Dates: the time column shows UTC time of day (15:04:05.000000). Its header
// cell carries the date of the first row ("2024-01-02 UTC"), and whenever a
// row's UTC date differs from the date last shown, a date line (the date
// alone, in the time column) is printed before it. The same rule works
// offline and live, where it is impossible to know in advance whether the
// rows will span midnight, and it costs one line per date change instead of
// 11 characters on every row. Without a time column there are no dates.
//
// Files: a file line "==> NAME <==" (the spelling of head and tail) is
// printed before the first row and before every row whose file differs
// from the previous row's, before the date line when both change.
//
// Style: no borders and no column rules, only a rule under the header, two
// spaces between columns (one in the compact layout of a narrow terminal)
// and no trailing blanks. Boxes would add 14
// characters to an already wide line; this is the ps/ss layout people grep
// and copy from.

// tableHeader names the table columns; time is replaced by the date.
var tableHeader = []string{
	"time", "client", "server", "sni", "version", "resumption",
	"cert_req", "client_cert", "est", "alert", "flags",
}

// The table's columns, in tableHeader order.
const (
	colTime = iota
	colClient
	colServer
	colSNI
	colVersion
	colResumption
	colCertReq
	colClientCert
	colEst
	colAlert
	colFlags
	numCols
)

// timeHeader is the time column's header when no row has a time yet.
const timeHeader = "time (UTC)"

// colSpec is a column's widths, in display columns.
type colSpec struct {
	// width is the fixed layout's width and the one a terminal gives when
	// it has room (the ideal).
	width int
	// min and max bound a flexible column on a terminal: it is never given
	// less than min before the columns of lower priority are dropped, and
	// never more than max. 0, 0: the column is always width wide.
	min, max int
	// short and compact are the header and width of the compact layout
	// (verdict columns of a narrow terminal); "" and 0 when unchanged.
	short   string
	compact int
}

// tableCols: time of day; "255.255.255.255:65535" (IPv6 is cut before its
// port); a host name of up to 32 characters; the verdict columns as wide as
// their longest value or header; "server:handshake_failure"; and flags.
var tableCols = [numCols]colSpec{
	colTime:       {width: 15},
	colClient:     {width: 21, min: 15, max: 21},
	colServer:     {width: 21, min: 15, max: 21},
	colSNI:        {width: 32, min: 12, max: 64},
	colVersion:    {width: 7},
	colResumption: {width: 10, short: "resume", compact: 7},
	colCertReq:    {width: 8, short: "req", compact: 7},
	colClientCert: {width: 11, short: "cert", compact: 7},
	colEst:        {width: 3},
	colAlert:      {width: 24, min: 12, max: 32},
	colFlags:      {width: 32, min: 19, max: 64},
}

// tableReductions are applied in this order, each only while the shown
// columns at their minimum widths are still wider than the terminal: the
// least important first. The client address goes before the server's (a
// client port is rarely what one looks for), the alert before the verdicts
// (flags such as client_auth_failed say most of it), then the verdict
// headers shorten, then time and est go, and the server address last.
// sni, version, the three client-authentication verdicts and flags are
// never dropped.
var tableReductions = []int{colClient, colAlert, reduceCompact, colTime, colEst, colServer}

const reduceCompact = -1

// flexOrder is the order in which a terminal's spare columns are handed
// out, one at a time round the flexible columns shown, up to their ideal
// width; what is left then goes to sni and flags up to their max.
var flexOrder = []int{colServer, colSNI, colFlags, colClient, colAlert}

// minFlex is the narrowest a flexible column gets on a terminal too narrow
// for even the reduced table, before lines are cut at the right edge.
const minFlex = 5

// colGap separates columns: two blanks, one in the compact layout.
const colGap, compactGap = 2, 1

// layout is the table's shape, fixed for the life of a writer.
type layout struct {
	cols    []int // the columns shown, in order
	widths  []int // their widths
	headers []string
	// max is the terminal's width: every value is cut to its column and
	// no line is longer (a terminal narrower than the reduced table has
	// its lines cut at the edge). 0: the fixed layout, whose last column
	// is never cut (nothing is to its right, so a long value cannot shift
	// anything).
	max int
	// width is the table's width: the rule's.
	width int
	gap   int  // blanks between columns
	time  bool // the time column is shown (and so are dates)
}

// tableLayout decides the columns and their widths for a terminal of
// width columns, or the fixed layout when width <= 0.
func tableLayout(width int) layout {
	shown := [numCols]bool{}
	w := [numCols]int{}
	for c := range numCols {
		shown[c] = true
		w[c] = tableCols[c].width
	}
	compact, gap := false, colGap
	if width > 0 {
		// Everything at its minimum, then take away until it fits.
		for c := range numCols {
			if tableCols[c].min > 0 {
				w[c] = tableCols[c].min
			}
		}
		total := func() int {
			n, t := 0, 0
			for c := range numCols {
				if shown[c] {
					n++
					t += w[c]
				}
			}
			return t + gap*(n-1)
		}
		for _, red := range tableReductions {
			if total() <= width {
				break
			}
			if red == reduceCompact {
				compact, gap = true, compactGap
				for c := range numCols {
					if tableCols[c].compact > 0 {
						w[c] = tableCols[c].compact
					}
				}
				continue
			}
			shown[red] = false
		}
		// Still too wide: flexible columns below their minimum, the
		// widest first, down to minFlex.
		for total() > width {
			best := -1
			for _, c := range flexOrder {
				if shown[c] && w[c] > minFlex && (best < 0 || w[c] > w[best]) {
					best = c
				}
			}
			if best < 0 {
				break
			}
			w[best]--
		}
		// Spare room: round the flexible columns up to their ideal, then
		// sni and flags up to their max.
		spare := width - total()
		for _, stage := range []struct {
			cols []int
			top  func(c int) int
		}{
			{flexOrder, func(c int) int { return tableCols[c].width }},
			{[]int{colSNI, colFlags}, func(c int) int { return tableCols[c].max }},
		} {
			for spare > 0 {
				gave := false
				for _, c := range stage.cols {
					if spare > 0 && shown[c] && w[c] < stage.top(c) {
						w[c]++
						spare--
						gave = true
					}
				}
				if !gave {
					break
				}
			}
		}
	}
	l := layout{max: max(width, 0), time: shown[colTime], gap: gap}
	for c := range numCols {
		if !shown[c] {
			continue
		}
		h := tableHeader[c]
		if compact && tableCols[c].short != "" {
			h = tableCols[c].short
		}
		l.cols = append(l.cols, c)
		l.widths = append(l.widths, w[c])
		l.headers = append(l.headers, h)
		l.width += w[c]
	}
	l.width += gap * (len(l.cols) - 1)
	if width > 0 && l.width > width {
		l.width = width
	}
	return l
}

type tableWriter struct {
	state
	bw  *bufio.Writer
	lay layout

	started bool   // header printed
	day     int    // date last shown (dayOf), in the header or a date line
	file    string // file of the previous row
	line    []byte // the line being built, reused
	cell    []byte // the cell being built, reused
	names   []string
}

func newTableWriter(bw *bufio.Writer, opts Options) *tableWriter {
	return &tableWriter{state: state{opts: opts}, bw: bw, lay: tableLayout(opts.Width)}
}

func (w *tableWriter) WriteRow(r *Row) error {
	if err := w.check(r); err != nil {
		return err
	}
	day := dayOf(r)
	if !w.started {
		w.started = true
		w.day = day
		w.header(dateOf(r))
	}
	if r.File != w.file { // the first row's: unless it has none
		w.fileLine(r.File)
		w.file = r.File
	}
	if w.lay.time && day != 0 && day != w.day {
		w.line = w.emit(append(w.line[:0], dateOf(r)...))
		w.day = day
	}
	w.row(r)
	var err error
	if w.opts.Stream {
		err = w.bw.Flush()
	} else {
		// bufio keeps the first error of a spill; report it on this row.
		_, err = w.bw.Write(nil)
	}
	if err != nil {
		return w.fail(err)
	}
	return nil
}

func (w *tableWriter) Close(s *RunStats) error {
	return w.finish(s, "\n", func() error {
		if !w.started {
			w.line = w.emit(append(w.line[:0], "no TLS connections found"...))
		}
		return w.bw.Flush()
	})
}

// header prints the header line and the rule under it.
func (w *tableWriter) header(date string) {
	b := w.line[:0]
	pad := 0
	for i, c := range w.lay.cols {
		h := w.lay.headers[i]
		if c == colTime {
			h = timeHeader
			if date != "" {
				h = date
			}
		}
		w.cell = cut(append(w.cell[:0], h...), w.lay.widths[i])
		b = appendSpaces(b, pad)
		b = append(b, w.cell...)
		pad = w.lay.widths[i] - bytesWidth(w.cell) + w.lay.gap
	}
	b = w.emit(b)
	b = b[:0]
	for range w.lay.width {
		b = append(b, "─"...)
	}
	w.line = w.emit(b)
}

// fileLine prints "==> NAME <==" before the rows of a file. On a terminal
// a name too long for the line loses its start: the end of a path names
// the file.
func (w *tableWriter) fileLine(name string) {
	name = wireText(name)
	if name == "" {
		name = "(unknown file)"
	}
	const pre, post = "==> ", " <=="
	b := append(w.line[:0], pre...)
	if room := w.lay.max - len(pre) - len(post); room >= 2 && textWidth(name) > room {
		b = append(b, ellipsis...)
		b = append(b, tailWithin(name, room-1)...)
	} else {
		b = append(b, name...) // emit cuts it on a very narrow terminal
	}
	w.line = w.emit(append(b, post...))
}

// row prints one connection.
func (w *tableWriter) row(r *Row) {
	b := w.line[:0]
	pad := 0
	last := len(w.lay.cols) - 1
	for i, c := range w.lay.cols {
		width := w.lay.widths[i]
		if i == last && w.lay.max == 0 {
			width = -1 // the fixed layout's last column is never cut
		}
		w.cell = w.appendCell(w.cell[:0], r, c, width)
		if len(w.cell) == 0 {
			pad += w.lay.widths[i] + w.lay.gap
			continue
		}
		b = appendSpaces(b, pad)
		b = append(b, w.cell...)
		pad = w.lay.widths[i] - bytesWidth(w.cell) + w.lay.gap
	}
	w.line = w.emit(b)
}

// appendCell appends column c of r to the empty cell b, cut to width display columns (width <
// 0: not cut).
func (w *tableWriter) appendCell(b []byte, r *Row, c, width int) []byte {
	switch c {
	case colTime:
		if !r.Time.IsZero() {
			b = appendTimeOfDay(b, r.Time)
		}
	case colClient:
		return cutAddr(appendHostPort(b, r.ClientIP, r.ClientPort), width)
	case colServer:
		return cutAddr(appendHostPort(b, r.ServerIP, r.ServerPort), width)
	case colSNI:
		b = append(b, wireText(r.SNI)...)
	case colVersion:
		b = append(b, wireText(r.Version)...)
	case colResumption:
		b = append(b, r.Resumption.String()...)
	case colCertReq:
		b = append(b, r.CertRequested.String()...)
	case colClientCert:
		b = append(b, r.ClientCert.String()...)
		if r.ClientCert == tlsparse.ClientCertSent && r.ClientCerts >= 0 {
			b = append(b, '(')
			b = strconv.AppendInt(b, int64(r.ClientCerts), 10)
			b = append(b, ')')
		}
	case colEst:
		b = append(b, yesNo(r.Established)...)
	case colAlert:
		b = append(b, wireText(r.Alert)...)
	case colFlags:
		return w.appendFlags(b, r.Flags, width)
	}
	return cut(b, width)
}

// appendFlags appends the flags to the empty cell b, ';'-separated. Cut to width, it shows the
// first flags that fit whole and " +N" for the N that do not; when not even
// the first fits beside its "+N", the first is cut with "…".
func (w *tableWriter) appendFlags(b []byte, fl tlsparse.Flags, width int) []byte {
	names := w.names[:0]
	total := 0
	for f := range fl.All() {
		n := f.String()
		names = append(names, n)
		if total > 0 {
			total++
		}
		total += len(n) // flag names are ASCII
	}
	w.names = names
	if width < 0 || total <= width {
		for i, n := range names {
			if i > 0 {
				b = append(b, ';')
			}
			b = append(b, n...)
		}
		return b
	}
	more := func(k int) int { // width of " +N" for N = k hidden flags
		return 2 + len(strconv.Itoa(k))
	}
	used, k := 0, 0 // width of the first k names
	for k < len(names) {
		next := used + len(names[k])
		if k > 0 {
			next++
		}
		if hidden := len(names) - k - 1; hidden > 0 && next+more(hidden) > width || next > width {
			break
		}
		used, k = next, k+1
	}
	for i := range k {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, names[i]...)
	}
	hidden := len(names) - k
	if k == 0 {
		// Not even the first fits: cut it, keeping "+N" for the rest.
		room := width
		if hidden > 1 {
			room -= more(hidden - 1)
		}
		if room < 2 {
			b = append(b, '+')
			b = strconv.AppendInt(b, int64(hidden), 10)
			return cut(b, width)
		}
		b = cut(append(b, names[0]...), room)
		hidden--
	}
	if hidden > 0 {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, '+')
		b = strconv.AppendInt(b, int64(hidden), 10)
	}
	return b
}

// emit cuts the line at the terminal's edge when the layout says so,
// writes it with its newline and returns the buffer for reuse. Write
// errors stay in the bufio.Writer, which keeps the first one; WriteRow and
// Close collect it.
func (w *tableWriter) emit(b []byte) []byte {
	if w.lay.max > 0 && len(b) > w.lay.max {
		b = cut(b, w.lay.max)
	}
	b = append(b, '\n')
	w.bw.Write(b)
	return b[:0]
}

// appendHostPort appends "ip:port" with IPv6 in brackets; no address
// appends nothing.
func appendHostPort(b []byte, a netip.Addr, port uint16) []byte {
	if !a.IsValid() {
		return b
	}
	if a.Zone() != "" { // never from a packet; escape it anyway
		return append(b, wireText(netip.AddrPortFrom(a, port).String())...)
	}
	return netip.AddrPortFrom(a, port).AppendTo(b)
}

// appendTimeOfDay appends t's UTC time of day as 15:04:05.000000, what
// time.AppendFormat does at a quarter of its cost.
func appendTimeOfDay(b []byte, t time.Time) []byte {
	t = t.UTC()
	h, m, s := t.Clock()
	us := t.Nanosecond() / 1000
	b = append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':',
		byte('0'+s/10), byte('0'+s%10), '.')
	for d := 100000; d > 0; d /= 10 {
		b = append(b, byte('0'+us/d%10))
	}
	return b
}

// dayOf is a row's UTC date as a number, 0 when it has no time: compared on
// every row, so it is not spelled out.
func dayOf(r *Row) int {
	if r.Time.IsZero() {
		return 0
	}
	y, m, d := r.Time.UTC().Date()
	return y*10000 + int(m)*100 + d
}

// dateOf returns the UTC date label of a row, "" when it has no time.
func dateOf(r *Row) string {
	if r.Time.IsZero() {
		return ""
	}
	return r.Time.UTC().Format("2006-01-02") + " UTC"
}

// ellipsis marks a cut value. It counts as one column (it is East Asian
// ambiguous width; the table measures such characters as narrow).
const ellipsis = "…"

// cut shortens b to width display columns: the longest prefix that fits in
// width-1, then "…". width < 0 or a value that fits: b unchanged.
func cut(b []byte, width int) []byte {
	if width < 0 || len(b) <= width && isASCII(b) || bytesWidth(b) <= width {
		return b
	}
	if width == 0 {
		return b[:0]
	}
	return append(b[:prefixWithin(b, width-1)], ellipsis...)
}

// cutAddr cuts an "address:port" cell keeping its port: the port tells
// services apart, and the end of an IPv6 address is what varies least.
func cutAddr(b []byte, width int) []byte {
	if width < 0 || len(b) <= width {
		return b
	}
	i := len(b) - 1
	for i > 0 && b[i] != ':' {
		i--
	}
	port := len(b) - i
	if i == 0 || width < port+2 {
		return cut(b, width)
	}
	var p [6]byte // ":65535"
	n := copy(p[:], b[i:])
	return append(append(b[:width-port-1], ellipsis...), p[:n]...)
}

// textWidth is the display width of s: one column for each ASCII byte
// (table text is escaped, so there are no control bytes), twwidth's
// narrow measure for the rest (wide East Asian characters count two).
func textWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return twwidth.WidthWithOptions(s, twwidth.Options{})
		}
	}
	return len(s)
}

func bytesWidth(b []byte) int {
	if isASCII(b) {
		return len(b)
	}
	return twwidth.WidthWithOptions(string(b), twwidth.Options{})
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// prefixWithin is the length in bytes of the longest prefix of b, whole
// runes, at most width display columns wide.
func prefixWithin(b []byte, width int) int {
	used := 0
	for i := 0; i < len(b); {
		_, n := utf8.DecodeRune(b[i:])
		rw := 1
		if b[i] >= utf8.RuneSelf {
			rw = twwidth.WidthWithOptions(string(b[i:i+n]), twwidth.Options{})
		}
		if used+rw > width {
			return i
		}
		used += rw
		i += n
	}
	return len(b)
}

// tailWithin is the longest suffix of s, whole runes, at most width
// display columns wide.
func tailWithin(s string, width int) string {
	used := 0
	for i := len(s); i > 0; {
		_, n := utf8.DecodeLastRuneInString(s[:i])
		rw := textWidth(s[i-n : i])
		if used+rw > width {
			return s[i:]
		}
		used += rw
		i -= n
	}
	return s
}

const spaces = "                                                                "

func appendSpaces(b []byte, n int) []byte {
	for n > 0 {
		k := min(n, len(spaces))
		b = append(b, spaces[:k]...)
		n -= k
	}
	return b
}
