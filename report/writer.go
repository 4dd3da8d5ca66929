package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"
)

// Format selects how rows are rendered.
type Format int

const (
	FormatTable    Format = iota // human-readable subset of the columns
	FormatCSV                    // every column, header = Columns
	FormatJSON                   // JSON lines: every column plus Detail
	FormatZeek                   // Zeek's ssl.log (and x509.log: NewZeekWriter), TSV
	FormatZeekJSON               // the same logs in Zeek's JSON
	FormatParquet                // one Parquet file, typed columns (parquet.go)
)

// String returns the spelling ParseFormat accepts, so flags and errors can
// echo a Format back to the user.
func (f Format) String() string {
	switch f {
	case FormatTable:
		return "table"
	case FormatCSV:
		return "csv"
	case FormatJSON:
		return "json"
	case FormatZeek:
		return "zeek"
	case FormatZeekJSON:
		return "zeek-json"
	case FormatParquet:
		return "parquet"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat maps the -format flag value to a Format.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "table":
		return FormatTable, nil
	case "csv":
		return FormatCSV, nil
	case "json":
		return FormatJSON, nil
	case "zeek":
		return FormatZeek, nil
	case "zeek-json":
		return FormatZeekJSON, nil
	case "parquet":
		return FormatParquet, nil
	}
	return 0, fmt.Errorf("unknown format %q (want table, csv, json, zeek, zeek-json or parquet)", s)
}

// Options tune a Writer.
type Options struct {
	// Stream: rows are printed as they come and flushed one by one (live
	// capture); otherwise output may be buffered until Close (offline, faster).
	Stream bool
	// Summary receives the summary text: for table it is the same writer as
	// the rows (summary printed after the table); for csv/json it is normally
	// stderr; nil = no summary (-q).
	Summary io.Writer
	// Width is the terminal's width in columns when the table goes to a
	// terminal; 0 means it does not, and the table keeps its fixed layout
	// (docs/output.md "Table").
	Width int
}

// Writer renders rows in one Format.
//
// A Writer is not safe for concurrent use: the pipeline hands it rows from
// one goroutine. Once a write has failed, every later WriteRow returns that
// same error, so a caller that only checks Close still sees it.
type Writer interface {
	// WriteRow renders one row. It returns the underlying write error (e.g.
	// EPIPE) as soon as output reaches the destination: on this very row in
	// Stream mode; offline, when the 64 KiB buffer spills or at Close.
	// Every format writes the row when it is given (the table too: its
	// layout is fixed up front), so memory does not grow with the rows.
	WriteRow(r *Row) error
	// Close writes what is pending (the table's "no TLS connections found"
	// when there were no rows, the CSV header), then the summary
	// (skipped when s or Options.Summary is nil), then flushes. It returns the
	// first error met, trying the summary even after the rows failed so that
	// a summary sent to stderr survives a closed stdout. Calling it again
	// returns the same result without writing anything.
	Close(s *RunStats) error
}

// bufSize is the offline buffer: large enough that a big capture costs one
// write syscall per 64 KiB instead of one per row.
const bufSize = 64 << 10

// errClosed is returned by WriteRow after Close.
var errClosed = errors.New("report: write after Close")

// NewWriter returns a Writer that renders f to w. An unknown Format yields a
// Writer whose every call returns an error: NewWriter has no error result and
// must not panic, and ParseFormat is where a bad user value is caught.
func NewWriter(w io.Writer, f Format, opts Options) Writer {
	bw := bufio.NewWriterSize(w, bufSize)
	switch f {
	case FormatTable:
		return newTableWriter(bw, opts)
	case FormatCSV:
		return newCSVWriter(bw, opts)
	case FormatJSON:
		return newJSONWriter(bw, opts)
	case FormatZeek, FormatZeekJSON:
		return newZeekWriter(bw, nil, f == FormatZeekJSON, opts)
	case FormatParquet:
		return newParquetWriter(bw, opts)
	}
	return badWriter{fmt.Errorf("report: unknown format %v", f)}
}

type badWriter struct{ err error }

func (b badWriter) WriteRow(*Row) error   { return b.err }
func (b badWriter) Close(*RunStats) error { return b.err }

// state is what every format shares: the closed flag, the sticky error and
// the Close result, so the three writers agree on the error contract.
type state struct {
	opts     Options
	err      error // first write error; every later WriteRow returns it
	closed   bool
	closeErr error
}

// check is the guard at the top of WriteRow.
func (s *state) check(r *Row) error {
	switch {
	case s.closed:
		return errClosed
	case s.err != nil:
		return s.err
	case r == nil:
		return errors.New("report: nil row")
	}
	return nil
}

// fail records the first error and returns it.
func (s *state) fail(err error) error {
	if s.err == nil {
		s.err = err
	}
	return s.err
}

// finish is every writer's Close: once, it runs end (the format's last
// lines and flush) unless a row already failed, then writes the summary;
// a repeated Close returns the first outcome. sep is written before the
// summary (the table puts a blank line between itself and the summary
// when both go to the same terminal).
func (s *state) finish(sum *RunStats, sep string, end func() error) error {
	if s.closed {
		return s.closeErr
	}
	s.closed = true
	if s.err == nil {
		if err := end(); err != nil {
			s.err = err
		}
	}
	err := s.err
	if s.opts.Summary != nil && sum != nil {
		bw := bufio.NewWriter(s.opts.Summary)
		bw.WriteString(sep)
		writeSummary(bw, sum)
		if serr := bw.Flush(); err == nil {
			err = serr
		}
	}
	s.closeErr = err
	return err
}

// tsLayout is RFC 3339 in UTC with a fixed microsecond precision, so the
// column sorts as text and every row has the same width.
const tsLayout = "2006-01-02T15:04:05.000000Z"

// formatTS renders the ts column. A zero Time (never set by the pipeline,
// but possible from a hand-made Row) renders empty rather than year 1.
func formatTS(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	var b [len(tsLayout)]byte
	return string(appendTS(b[:0], t))
}

// appendTS appends t in tsLayout. Every row formats two timestamps, and
// time's layout interpreter was 3% of a handshake-heavy CSV run, so the
// fixed layout is written digit by digit; a year it does not cover (before
// 0 or after 9999) goes through AppendFormat. TestAppendTS holds it to
// AppendFormat.
func appendTS(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, tsLayout)
	}
	h, mi, s := t.Clock()
	us := t.Nanosecond() / 1000
	b = appendDigits(b, y, 4)
	b = append(b, '-')
	b = appendDigits(b, int(mo), 2)
	b = append(b, '-')
	b = appendDigits(b, d, 2)
	b = append(b, 'T')
	b = appendDigits(b, h, 2)
	b = append(b, ':')
	b = appendDigits(b, mi, 2)
	b = append(b, ':')
	b = appendDigits(b, s, 2)
	b = append(b, '.')
	b = appendDigits(b, us, 6)
	return append(b, 'Z')
}

// appendDigits appends n, 0 <= n < 10^width, in exactly width digits.
func appendDigits(b []byte, n, width int) []byte {
	b = append(b, make([]byte, width)...)
	for i := len(b) - 1; i >= len(b)-width; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return b
}

// formatIP renders an address; the zero Addr renders empty, where
// netip.Addr.String would print "invalid IP".
func formatIP(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// formatCount renders a certificate count; negative means not observable.
func formatCount(n int) string {
	if n < 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// formatOrigin renders resumed_from in CSV and the table: the origin's
// file and packet number ("FILE:PACKET", what tshark -r FILE -Y
// frame.number==PACKET shows), then the client-authentication verdict the
// resumption inherits from it: "FILE:PACKET origin_client_cert=sent". nil
// renders empty.
func formatOrigin(o *Origin) string {
	if o == nil {
		return ""
	}
	return o.File + ":" + formatPacket(o.Packet) + " origin_client_cert=" + o.ClientCert.String()
}

// formatPacket renders a packet number; 0 (unknown) renders empty.
func formatPacket(n uint64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatUint(n, 10)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
