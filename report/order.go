package report

import "cmp"

// CompareRows orders rows by first packet time, then client address and
// port, then server address and port: the output contract's order, made
// total so that equal times still sort the same way every run.
func CompareRows(a, b *Row) int {
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
