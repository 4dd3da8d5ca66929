package main

import (
	"github.com/tlsscan/tlsscan/report"
)

// auditWriter sits between the pipeline and the row writer: every row
// written is also counted into the server summary (--summary servers) and
// checked against the --fail-on terms, so both see exactly the rows the
// output has. With --summary-only the rows themselves are not written.
type auditWriter struct {
	report.Writer
	servers *report.Servers // nil without --summary servers
	failOn  *report.FailOn  // nil without --fail-on
	rowsToo bool            // false with --summary-only
}

func (a *auditWriter) WriteRow(r *report.Row) error {
	if a.servers != nil {
		a.servers.Add(r)
	}
	a.failOn.Add(r) // nil-safe
	if !a.rowsToo {
		return nil
	}
	return a.Writer.WriteRow(r)
}
