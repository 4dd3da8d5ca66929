package report

import (
	"net/netip"
	"testing"
	"time"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// lrow is a row for the Sessions tests: what tlsparse says of one
// connection, written in this order.
type lrow struct {
	server    string // "S" or "T": two servers; "" is S
	res       tlsparse.Resumption
	req       tlsparse.CertRequested
	cert      tlsparse.ClientCert
	failed    bool // not established
	flags     []tlsparse.Flag
	offerID   tlsparse.SessionIDKey
	issueID   tlsparse.SessionIDKey
	offerTkt  tlsparse.TicketKey
	issueTkts []tlsparse.TicketKey
}

// lwant is what Apply leaves on a row: the index of the row named by
// ResumedFrom (-1: nil), the inherited verdict, and the linking flags.
type lwant struct {
	from  int
	cert  tlsparse.ClientCert
	flags []tlsparse.Flag
}

var (
	lSrvS = netip.MustParseAddr("198.51.100.1")
	lSrvT = netip.MustParseAddr("198.51.100.2")
	lT0   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

func (l lrow) row(i int) *Row {
	r := &Row{
		Time: lT0.Add(time.Duration(i) * time.Second), File: "c.pcap", Packet: uint64(10*i + 1),
		ClientIP: netip.MustParseAddr("192.0.2.1"), ClientPort: uint16(40000 + i),
		ServerIP: lSrvS, ServerPort: 443,
		Resumption: l.res, CertRequested: l.req, ClientCert: l.cert, Established: !l.failed,
		SessionIDOffered: l.offerID, SessionIDIssued: l.issueID,
		TicketOffered: l.offerTkt, TicketsIssued: l.issueTkts,
	}
	if l.server == "T" {
		r.ServerIP = lSrvT
	}
	for _, f := range l.flags {
		r.Flags.Set(f)
	}
	r.Flags.Set(tlsparse.FlagDecrypted) // another flag, which must stay
	return r
}

// linkFlags are the flags Sessions decides.
var linkFlags = tlsparse.FlagsOf(tlsparse.FlagSessionIDRejected, tlsparse.FlagTicketRejected,
	tlsparse.FlagTicketRejectedUnknown, tlsparse.FlagResumedWithoutClientAuth)

const (
	lFull = tlsparse.ResumptionFull
	lByID = tlsparse.ResumptionSessionID
	lTkt  = tlsparse.ResumptionTicket
	lPSK  = tlsparse.ResumptionPSK
	lYes  = tlsparse.CertRequestedYes
	lNo   = tlsparse.CertRequestedNo
	lSent = tlsparse.ClientCertSent
	lNone = tlsparse.ClientCertNone
	lEmpt = tlsparse.ClientCertEmpty
)

func TestSessions(t *testing.T) {
	const x, y = tlsparse.SessionIDKey(0x11), tlsparse.SessionIDKey(0x22)
	const t1, t2, t3 = tlsparse.TicketKey(0x31), tlsparse.TicketKey(0x32), tlsparse.TicketKey(0x33)
	notLinked := lwant{from: -1}
	fullNoAuth := lrow{res: lFull, req: lNo, cert: lNone}
	tests := []struct {
		name string
		rows []lrow
		want []lwant
	}{
		{
			name: "session ID resumption names the full handshake",
			rows: []lrow{{res: lFull, req: lYes, cert: lSent, issueID: x}, {res: lByID, offerID: x, issueID: x, cert: lNone}},
			want: []lwant{notLinked, {from: 0, cert: lSent}},
		},
		{
			name: "ticket renewed by a resumption leads back to the full handshake",
			rows: []lrow{
				{res: lFull, req: lYes, cert: lSent, issueTkts: []tlsparse.TicketKey{t1}},
				{res: lTkt, offerTkt: t1, cert: lNone, issueTkts: []tlsparse.TicketKey{t2}},
				{res: lTkt, offerTkt: t2, cert: lNone},
			},
			want: []lwant{notLinked, {from: 0, cert: lSent}, {from: 0, cert: lSent}},
		},
		{
			name: "TLS 1.3: the PSK identity is one of the tickets issued",
			rows: []lrow{
				{res: lFull, req: lNo, cert: lNone, issueTkts: []tlsparse.TicketKey{t1, t2}},
				{res: lPSK, offerTkt: t2, cert: lNone, issueTkts: []tlsparse.TicketKey{t3}},
				{res: lPSK, offerTkt: t3, cert: lNone},
			},
			want: []lwant{notLinked, {from: 0, cert: lNone}, {from: 0, cert: lNone}},
		},
		{
			name: "origin before the capture: lNo link, but the ID counts as issued",
			rows: []lrow{
				{res: lByID, offerID: x, issueID: x, cert: lNone},
				{res: lByID, offerID: x, issueID: x, cert: lNone},
				{res: lFull, req: lNo, cert: lNone, offerID: x, issueID: y, flags: []tlsparse.Flag{tlsparse.FlagSessionIDRejected}},
			},
			want: []lwant{notLinked, notLinked, {from: -1, flags: []tlsparse.Flag{tlsparse.FlagSessionIDRejected}}},
		},
		{
			name: "resumed on an unknown ticket: lNo link",
			rows: []lrow{{res: lTkt, offerTkt: t1, cert: lNone}},
			want: []lwant{notLinked},
		},
		{
			name: "ticket issued earlier and refused: ticket_rejected",
			rows: []lrow{
				{res: lFull, req: lNo, cert: lNone, issueTkts: []tlsparse.TicketKey{t1}},
				{res: lFull, req: lNo, cert: lNone, offerTkt: t1, flags: []tlsparse.Flag{tlsparse.FlagTicketRejected}},
			},
			want: []lwant{notLinked, {from: -1, flags: []tlsparse.Flag{tlsparse.FlagTicketRejected}}},
		},
		{
			name: "unknown ticket refused: ticket_rejected_unknown",
			rows: []lrow{
				{res: lFull, req: lNo, cert: lNone, issueTkts: []tlsparse.TicketKey{t2}},
				{res: lFull, req: lNo, cert: lNone, offerTkt: t1, flags: []tlsparse.Flag{tlsparse.FlagTicketRejected}},
			},
			want: []lwant{notLinked, {from: -1, flags: []tlsparse.Flag{tlsparse.FlagTicketRejectedUnknown}}},
		},
		{
			name: "a row's own ticket does not justify its refusal",
			rows: []lrow{{res: lFull, req: lNo, cert: lNone, offerTkt: t1, issueTkts: []tlsparse.TicketKey{t1},
				flags: []tlsparse.Flag{tlsparse.FlagTicketRejected}}},
			want: []lwant{{from: -1, flags: []tlsparse.Flag{tlsparse.FlagTicketRejectedUnknown}}},
		},
		{
			name: "Go's random session ID: lNo session_id_rejected",
			rows: []lrow{{res: lFull, req: lNo, cert: lNone, offerID: x, issueID: y, flags: []tlsparse.Flag{tlsparse.FlagSessionIDRejected}}},
			want: []lwant{notLinked},
		},
		{
			name: "policy change: session without a certificate resumed after the server asks everyone",
			rows: []lrow{
				{res: lFull, req: lNo, cert: lNone, issueTkts: []tlsparse.TicketKey{t1}},
				{res: lFull, req: lYes, cert: lSent},
				{res: lFull, req: lYes, cert: lEmpt, failed: true}, // refused without one: still asking
				{res: lTkt, offerTkt: t1, cert: lNone},
			},
			want: []lwant{notLinked, notLinked, notLinked,
				{from: 0, cert: lNone, flags: []tlsparse.Flag{tlsparse.FlagResumedWithoutClientAuth}}},
		},
		{
			name: "another server's session (shared ticket key)",
			rows: []lrow{
				{server: "T", res: lFull, req: lNo, cert: lNone, issueTkts: []tlsparse.TicketKey{t1}},
				{res: lFull, req: lYes, cert: lSent},
				{res: lTkt, offerTkt: t1, cert: lNone},
			},
			want: []lwant{notLinked, notLinked,
				{from: 0, cert: lNone, flags: []tlsparse.Flag{tlsparse.FlagResumedWithoutClientAuth}}},
		},
		{
			name: "asked, the client sent an empty Certificate, established: the session is resumed",
			rows: []lrow{
				{res: lFull, req: lYes, cert: lEmpt, issueID: x},
				{res: lFull, req: lYes, cert: lSent},
				{res: lByID, offerID: x, issueID: x, cert: lNone},
			},
			want: []lwant{notLinked, notLinked,
				{from: 0, cert: lEmpt, flags: []tlsparse.Flag{tlsparse.FlagResumedWithoutClientAuth}}},
		},
		{
			name: "optional client auth: a full handshake let in without a certificate since",
			rows: []lrow{
				{res: lFull, req: lYes, cert: lEmpt, issueID: x},
				{res: lFull, req: lYes, cert: lSent},
				{res: lFull, req: lYes, cert: lEmpt},
				{res: lByID, offerID: x, issueID: x, cert: lNone},
			},
			want: []lwant{notLinked, notLinked, notLinked, {from: 0, cert: lEmpt}},
		},
		{
			name: "no full handshake since the session's: nothing says the server requires one",
			rows: []lrow{
				{res: lFull, req: lYes, cert: lSent},
				{res: lFull, req: lNo, cert: lNone, issueTkts: []tlsparse.TicketKey{t1}},
				{res: lTkt, offerTkt: t1, cert: lNone},
			},
			want: []lwant{notLinked, notLinked, {from: 1, cert: lNone}},
		},
		{
			name: "the server's latest full handshake did not ask",
			rows: []lrow{
				fullNoAuth,
				{res: lFull, req: lNo, cert: lNone, issueTkts: []tlsparse.TicketKey{t1}},
				{res: lFull, req: lYes, cert: lSent},
				fullNoAuth,
				{res: lTkt, offerTkt: t1, cert: lNone},
			},
			want: []lwant{notLinked, notLinked, notLinked, notLinked, {from: 1, cert: lNone}},
		},
		{
			name: "another server asks: not this one's policy",
			rows: []lrow{
				{res: lFull, req: lNo, cert: lNone, issueTkts: []tlsparse.TicketKey{t1}},
				{server: "T", res: lFull, req: lYes, cert: lSent},
				{res: lTkt, offerTkt: t1, cert: lNone},
			},
			want: []lwant{notLinked, notLinked, {from: 0, cert: lNone}},
		},
		{
			name: "the origin authenticated the client",
			rows: []lrow{
				{res: lFull, req: lYes, cert: lSent, issueTkts: []tlsparse.TicketKey{t1}},
				{res: lFull, req: lYes, cert: lSent},
				{res: lTkt, offerTkt: t1, cert: lNone},
			},
			want: []lwant{notLinked, notLinked, {from: 0, cert: lSent}},
		},
		{
			name: "the origin's verdict unknown (TLS 1.3 without keys)",
			rows: []lrow{
				{res: lFull, req: tlsparse.CertRequestedUnknown, cert: tlsparse.ClientCertUnknown, issueTkts: []tlsparse.TicketKey{t1}},
				{res: lFull, req: lYes, cert: lSent},
				{res: lPSK, offerTkt: t1, cert: tlsparse.ClientCertUnknown},
			},
			want: []lwant{notLinked, notLinked, {from: 0, cert: tlsparse.ClientCertUnknown}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSessions(0)
			rows := make([]*Row, len(tt.rows))
			for i, l := range tt.rows {
				rows[i] = l.row(i)
				s.Apply(rows[i])
			}
			for i, r := range rows {
				w := tt.want[i]
				checkLink(t, i, r, rows, w)
			}
		})
	}
}

func checkLink(t *testing.T, i int, r *Row, rows []*Row, w lwant) {
	t.Helper()
	if got, want := r.Flags&linkFlags, tlsparse.FlagsOf(w.flags...); got != want {
		t.Errorf("row %d: flags %v, want %v", i, got, want)
	}
	if !r.Flags.Has(tlsparse.FlagDecrypted) {
		t.Errorf("row %d lost another flag: %v", i, r.Flags)
	}
	if w.from < 0 {
		if r.ResumedFrom != nil {
			t.Errorf("row %d: resumed_from %+v, want none", i, *r.ResumedFrom)
		}
		return
	}
	o, want := r.ResumedFrom, rows[w.from]
	if o == nil {
		t.Errorf("row %d: lNo resumed_from, want row %d", i, w.from)
		return
	}
	if o.File != want.File || o.Packet != want.Packet || !o.Time.Equal(want.Time) ||
		o.ClientIP != want.ClientIP || o.ClientPort != want.ClientPort ||
		o.ServerIP != want.ServerIP || o.ServerPort != want.ServerPort {
		t.Errorf("row %d: resumed_from %+v, want row %d (%s:%d)", i, *o, w.from, want.File, want.Packet)
	}
	if o.ClientCert != w.cert {
		t.Errorf("row %d: origin_client_cert %v, want %v", i, o.ClientCert, w.cert)
	}
}

// TestSessionsForgotten: the limit counts issued IDs and tickets alike,
// and a forgotten ticket is neither linked nor a known refusal.
func TestSessionsForgotten(t *testing.T) {
	s := NewSessions(4) // generations of 2
	for k := 1; k <= 5; k++ {
		s.Apply(lrow{res: lFull, req: lNo, cert: lNone, issueTkts: []tlsparse.TicketKey{tlsparse.TicketKey(k)}}.row(k))
	}
	// Generations {1,2} {3,4} {5}: {1,2} dropped.
	if s.Forgotten != 2 {
		t.Errorf("Forgotten = %d, want 2", s.Forgotten)
	}
	r := lrow{res: lTkt, offerTkt: 1, cert: lNone}.row(6)
	s.Apply(r)
	if r.ResumedFrom != nil {
		t.Errorf("forgotten ticket linked: %+v", *r.ResumedFrom)
	}
	r = lrow{res: lTkt, offerTkt: 3, cert: lNone}.row(7)
	s.Apply(r)
	if r.ResumedFrom == nil || r.ResumedFrom.Packet != 31 {
		t.Errorf("ticket 3 resumed_from %+v, want packet 31", r.ResumedFrom)
	}
}

// TestUnlinked: a streamed row is linked to nothing.
func TestUnlinked(t *testing.T) {
	r := lrow{res: lFull, flags: []tlsparse.Flag{tlsparse.FlagSessionIDRejected, tlsparse.FlagTicketRejected}}.row(0)
	r.ResumedFrom = &Origin{File: "x"}
	Unlinked(r)
	if got, want := r.Flags&linkFlags, tlsparse.FlagsOf(tlsparse.FlagTicketRejectedUnknown); got != want || r.ResumedFrom != nil {
		t.Errorf("flags %v resumed_from %v, want %v and none", got, r.ResumedFrom, want)
	}
	r = lrow{res: lFull}.row(1)
	Unlinked(r)
	if r.Flags&linkFlags != 0 {
		t.Errorf("flags %v, want none of the linking ones", r.Flags)
	}
}

// TestFormatOrigin: the CSV spelling of resumed_from.
func TestFormatOrigin(t *testing.T) {
	if got := formatOrigin(nil); got != "" {
		t.Errorf("nil: %q", got)
	}
	o := &Origin{File: "a b.pcap", Packet: 12, ClientCert: tlsparse.ClientCertSent}
	if got, want := formatOrigin(o), "a b.pcap:12 origin_client_cert=sent"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
