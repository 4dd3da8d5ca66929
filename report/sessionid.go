package report

import "github.com/tlsscan/tlsscan/tlsparse"

// MaxSessionIDs bounds the session IDs a SessionIDs set remembers. At 1M
// keys of 8 bytes the set stays near 20 MB however long the capture, and a
// busy server's session cache (OpenSSL's default holds 20,480 sessions, and
// they expire within minutes) is long gone before a million newer IDs have
// been issued.
const MaxSessionIDs = 1 << 20

// SessionIDs decides the session_id_rejected flag across connections, in
// the order rows are written. tlsparse sets the flag on one connection's
// evidence (an ID offered, a full handshake followed): a candidate, since a
// client may put a random ID in every hello without ever resuming by it (Go
// does in TLS 1.2, RFC 8446 D.4 clients do). The flag means a resumption was
// attempted, so a row keeps it only when a server of the capture issued the
// offered ID in a row written before it: a fresh ID in a full handshake's
// ServerHello, or an ID echoed by an ID resumption (a cache that resumed it
// had it).
//
// IDs are keyed alone, not with the server's address: servers behind one
// load balancer or address pool share a session cache, a client offers an
// ID to whatever address its host name leads to, and an ID is random, so it
// cannot come from another server by chance.
//
// The set is bounded by generations: keys go into the current map; once it
// holds half the limit, it becomes the old one and the previous old map is
// dropped, its keys counted in Forgotten. A key is remembered for at least
// max/2 further issued IDs.
//
// Not safe for concurrent use: the pipeline's one output goroutine owns it.
type SessionIDs struct {
	cur, old  map[tlsparse.SessionIDKey]struct{}
	gen       int    // generation size: max/2
	Forgotten uint64 // issued keys dropped to stay within the limit
}

// NewSessionIDs returns a set that remembers at least max/2 and at most
// max issued IDs; max < 2 means MaxSessionIDs.
func NewSessionIDs(max int) *SessionIDs {
	if max < 2 {
		max = MaxSessionIDs
	}
	return &SessionIDs{gen: max / 2}
}

// Apply decides r's session_id_rejected flag (kept only when an earlier row
// was issued the offered ID), then remembers the ID r's server issued, for
// the rows after it. A row's own issued ID never justifies its own flag.
func (s *SessionIDs) Apply(r *Row) {
	if r.Flags.Has(tlsparse.FlagSessionIDRejected) && !s.has(r.SessionIDOffered) {
		r.Flags &^= tlsparse.FlagsOf(tlsparse.FlagSessionIDRejected)
	}
	s.add(r.SessionIDIssued)
}

func (s *SessionIDs) has(k tlsparse.SessionIDKey) bool {
	if k == 0 {
		return false
	}
	if _, ok := s.cur[k]; ok {
		return true
	}
	_, ok := s.old[k]
	return ok
}

func (s *SessionIDs) add(k tlsparse.SessionIDKey) {
	if k == 0 || s.has(k) {
		return
	}
	if s.cur == nil {
		s.cur = make(map[tlsparse.SessionIDKey]struct{})
	}
	if len(s.cur) >= s.gen {
		s.Forgotten += uint64(len(s.old))
		s.old, s.cur = s.cur, make(map[tlsparse.SessionIDKey]struct{}, s.gen)
	}
	s.cur[k] = struct{}{}
}

// DropSessionIDRejected removes the session_id_rejected flag from r. A row
// written as soon as it is decided (streaming) cannot be checked against
// the rows before it in an order that is the same from run to run, so it
// never carries the flag.
func DropSessionIDRejected(r *Row) {
	r.Flags &^= tlsparse.FlagsOf(tlsparse.FlagSessionIDRejected)
}
