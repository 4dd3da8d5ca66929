package report

import (
	"bufio"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// csvWriter renders every column, header first, byte for byte as
// encoding/csv writes it (RFC 4180 quoting, LF line ends), but straight
// into the buffered writer: encoding/csv takes a []string, so every number,
// timestamp and address was formatted into a string of its own, and its
// per-field checks came to 12% of a handshake-heavy run's profile with the
// 26 columns. Numbers, timestamps and addresses are appended in place and
// never need quoting; text goes through the same quoting rule
// (csvNeedsQuotes). TestCSVAsEncodingCSV and FuzzCSVField hold the output
// to encoding/csv's.
type csvWriter struct {
	state
	bw     *bufio.Writer
	header bool // header written
	n      int  // fields written of the current record
	// file and fileText: the last file name escaped (wireText), which
	// nearly every row repeats, in its file column and in resumed_from.
	file, fileText string
}

func newCSVWriter(bw *bufio.Writer, opts Options) *csvWriter {
	return &csvWriter{state: state{opts: opts}, bw: bw}
}

func (w *csvWriter) writeHeader() error {
	if w.header {
		return nil
	}
	w.header = true
	for _, c := range Columns {
		w.text(c)
	}
	return w.end()
}

func (w *csvWriter) WriteRow(r *Row) error {
	if err := w.check(r); err != nil {
		return err
	}
	if err := w.writeHeader(); err != nil {
		return w.fail(err)
	}
	w.ts(r.Time)
	w.ip(r.ClientIP)
	w.uint(uint64(r.ClientPort))
	w.ip(r.ServerIP)
	w.uint(uint64(r.ServerPort))
	w.text(wireText(r.SNI))
	w.text(r.Version)
	w.text(r.Cipher)
	w.text(wireText(r.ALPN))
	w.text(r.Resumption.String())
	w.text(r.CertRequested.String())
	w.text(r.ClientCert.String())
	w.count(r.ClientCerts)
	w.count(r.ServerCerts)
	w.text(yesNo(r.Established))
	w.text(r.Alert)
	w.flags(r.Flags)
	w.text(r.History)
	w.text(r.Evidence.String())
	w.text(w.escapedFile(r.File))
	if w.sep(); r.Packet != 0 {
		w.bw.Write(strconv.AppendUint(w.bw.AvailableBuffer(), r.Packet, 10))
	}
	w.text(r.JA4)
	w.text(wireText(r.ServerCN))
	w.ts(r.ServerNotAfter)
	w.text(wireText(r.ClientCN))
	w.origin(r.ResumedFrom)
	if err := w.end(); err != nil {
		return w.fail(err)
	}
	if w.opts.Stream {
		if err := w.flush(); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

// escapedFile is wireText(name), remembered for the next row's.
func (w *csvWriter) escapedFile(name string) string {
	if name != w.file || w.fileText == "" {
		w.file, w.fileText = name, wireText(name)
	}
	return w.fileText
}

// flags writes Flags.String(): names of the letters, digits and
// underscores of an identifier, or Flag(N), joined by ';', which no
// quoting rule ever applies to.
func (w *csvWriter) flags(s tlsparse.Flags) {
	w.sep()
	first := true
	for f := range s.All() {
		if !first {
			w.bw.WriteByte(';')
		}
		first = false
		w.bw.WriteString(f.String())
	}
}

// origin writes the resumed_from field, wireText(formatOrigin(o)),
// without building it: after the file name it holds a number, a space
// and a verdict's name, so the field needs quotes just when the escaped
// file name does (then it is built and quoted as any text).
func (w *csvWriter) origin(o *Origin) {
	if o == nil {
		w.sep()
		return
	}
	file := w.escapedFile(o.File)
	if csvNeedsQuotes(file) {
		w.text(wireText(formatOrigin(o)))
		return
	}
	w.sep()
	w.bw.WriteString(file)
	w.bw.WriteByte(':')
	if o.Packet != 0 {
		w.bw.Write(strconv.AppendUint(w.bw.AvailableBuffer(), o.Packet, 10))
	}
	w.bw.WriteString(" origin_client_cert=")
	w.bw.WriteString(o.ClientCert.String())
}

// sep starts a field.
func (w *csvWriter) sep() {
	if w.n > 0 {
		w.bw.WriteByte(',')
	}
	w.n++
}

// end ends the record and returns the writer's error, if any: bufio keeps
// the first one, and Write(nil) returns it.
func (w *csvWriter) end() error {
	w.bw.WriteByte('\n')
	w.n = 0
	_, err := w.bw.Write(nil)
	return err
}

// text writes a field, quoted where encoding/csv quotes it, with quotes
// doubled (a CR or LF inside stays as it is, as encoding/csv leaves it
// without UseCRLF).
func (w *csvWriter) text(s string) {
	w.sep()
	if !csvNeedsQuotes(s) {
		w.bw.WriteString(s)
		return
	}
	w.bw.WriteByte('"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		w.bw.WriteString(s[:i+1])
		w.bw.WriteByte('"')
		s = s[i+1:]
	}
	w.bw.WriteString(s)
	w.bw.WriteByte('"')
}

// csvNeedsQuotes is encoding/csv's rule (Writer.fieldNeedsQuotes, with a
// comma): a field is quoted when it holds a comma, quote, CR or LF, begins
// with a space (unicode.IsSpace), or is \. (which PostgreSQL reads as the
// end of data).
func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		if csvSpecial[s[i]] {
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// csvSpecial marks the bytes that make a field quoted.
var csvSpecial = [256]bool{',': true, '"': true, '\r': true, '\n': true}

// uint writes a number: never quoted.
func (w *csvWriter) uint(n uint64) {
	w.sep()
	w.bw.Write(strconv.AppendUint(w.bw.AvailableBuffer(), n, 10))
}

// count writes a certificate count, empty when negative (formatCount).
func (w *csvWriter) count(n int) {
	if n < 0 {
		w.sep()
		return
	}
	w.uint(uint64(n))
}

// ts writes a timestamp as formatTS does: never quoted.
func (w *csvWriter) ts(t time.Time) {
	w.sep()
	if !t.IsZero() {
		w.bw.Write(appendTS(w.bw.AvailableBuffer(), t))
	}
}

// ip writes an address as formatIP does; one with a zone (never from a
// packet) goes through the quoting rule like any text.
func (w *csvWriter) ip(a netip.Addr) {
	if a.Zone() != "" {
		w.text(formatIP(a))
		return
	}
	w.sep()
	if a.IsValid() {
		w.bw.Write(a.AppendTo(w.bw.AvailableBuffer()))
	}
}

func (w *csvWriter) flush() error {
	return w.bw.Flush()
}

// Close writes the header even when there were no rows, so a consumer of an
// empty capture still gets a well-formed CSV file.
func (w *csvWriter) Close(s *RunStats) error {
	return w.finish(s, "", func() error {
		if err := w.writeHeader(); err != nil {
			return err
		}
		return w.flush()
	})
}
