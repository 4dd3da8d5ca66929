package report

import (
	"bufio"
	"encoding/csv"
	"strconv"
)

// csvWriter renders every column with encoding/csv, header first.
type csvWriter struct {
	state
	bw     *bufio.Writer
	cw     *csv.Writer
	header bool     // header written
	rec    []string // reused record, one allocation per writer
}

func newCSVWriter(bw *bufio.Writer, opts Options) *csvWriter {
	return &csvWriter{
		state: state{opts: opts},
		bw:    bw,
		// csv.NewWriter reuses bw itself (bufio.NewWriter returns a
		// *bufio.Writer that is already large enough), so there is one
		// buffer, but flush both anyway rather than rely on that.
		cw:  csv.NewWriter(bw),
		rec: make([]string, len(Columns)),
	}
}

func (w *csvWriter) writeHeader() error {
	if w.header {
		return nil
	}
	w.header = true
	return w.cw.Write(Columns)
}

func (w *csvWriter) WriteRow(r *Row) error {
	if err := w.check(r); err != nil {
		return err
	}
	if err := w.writeHeader(); err != nil {
		return w.fail(err)
	}
	rec := w.rec[:0]
	rec = append(rec,
		formatTS(r.Time),
		formatIP(r.ClientIP), strconv.Itoa(int(r.ClientPort)),
		formatIP(r.ServerIP), strconv.Itoa(int(r.ServerPort)),
		wireText(r.SNI), r.Version, r.Cipher, wireText(r.ALPN),
		r.Resumption.String(), r.CertRequested.String(), r.ClientCert.String(),
		formatCount(r.ClientCerts), formatCount(r.ServerCerts),
		yesNo(r.Established), r.Alert, r.Flags.String(), r.History,
		r.Evidence.String(), wireText(r.File), formatPacket(r.Packet),
		r.JA4, wireText(r.ServerCN), formatTS(r.ServerNotAfter), wireText(r.ClientCN),
		wireText(formatOrigin(r.ResumedFrom)),
	)
	if err := w.cw.Write(rec); err != nil {
		return w.fail(err)
	}
	if w.opts.Stream {
		if err := w.flush(); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

func (w *csvWriter) flush() error {
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return err
	}
	return w.bw.Flush()
}

// Close writes the header even when there were no rows, so a consumer of an
// empty capture still gets a well-formed CSV file.
func (w *csvWriter) Close(s *RunStats) error {
	if w.closed {
		return w.closeErr
	}
	var err error
	if w.err == nil {
		if err = w.writeHeader(); err == nil {
			err = w.flush()
		}
	}
	return w.finish(err, s, "")
}
