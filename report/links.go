package report

import (
	"net/netip"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// MaxSessions bounds the session IDs and tickets a Sessions tracker
// remembers. Each leads to the connection that created its session (an
// Origin, shared by the keys of one handshake: ~110 bytes, plus ~50 a key
// in the map), so 256Ki keys stay near 40 MB however long the capture. At
// least half of them are remembered: 131,072 sessions, six times the
// session cache OpenSSL holds by default (20,480, expiring within
// minutes); a ticket outlives a cache (OpenSSL's lifetime hint is two
// hours), and one older than the last 131,072 issued is forgotten.
const MaxSessions = 1 << 18

// MaxServerPolicies bounds the servers (address and port) whose
// client-certificate requests a Sessions tracker follows, for
// resumed_without_client_auth: 64Ki of them stay near 4 MB.
const MaxServerPolicies = 1 << 16

// Sessions links connections across a capture, in the order rows are
// written (sorted, so the same for -j 1 and -j N). tlsparse gives each
// row the session IDs and tickets it offered and its server issued
// (Summary: keys, never the bytes); Apply then:
//
//   - names, on a resumed row (session_id, ticket, psk), the connection
//     whose full handshake created the session (Row.ResumedFrom), with
//     that handshake's client_cert, which the resumption inherits. A
//     session resumed again and again leads back to the same full
//     handshake: an ID echoed or a ticket renewed by a resumption carries
//     its origin on. When the full handshake is not in the capture (or
//     was forgotten), ResumedFrom stays nil;
//   - keeps session_id_rejected (tlsparse's candidate) only when an
//     earlier row was issued the offered ID, and ticket_rejected only
//     when an earlier row was issued the offered ticket; a refused ticket
//     not issued earlier is flagged ticket_rejected_unknown instead. An
//     unknown ID gets no flag: clients send random IDs they never resume
//     by (Go's TLS 1.2 client, every TLS 1.3 client), a ticket is only
//     ever sent to resume;
//   - flags resumed_without_client_auth (resumedWithoutAuth).
//
// Keys are the ID or ticket alone, not the server's address: servers
// behind one load balancer share a session cache and ticket keys, a client
// offers a session to whatever address its host name leads to, and an ID
// or ticket is random, so it cannot come from another server by chance.
// That is also how a resumption on one server of a session another one
// created (the cross-context bug class) is seen.
//
// Memory is bounded by generations (MaxSessions, MaxServerPolicies): keys
// go into the current map; once it holds half the limit, it becomes the
// old one and the previous old map is dropped, its session keys counted
// in Forgotten.
//
// Not safe for concurrent use: the pipeline's one output goroutine owns it.
type Sessions struct {
	keys    genMap[sessionKey, link]
	servers genMap[netip.AddrPort, serverPolicy]
	seq     uint64 // rows applied

	Forgotten uint64 // issued session IDs and tickets dropped to stay within the limit
}

// sessionKey is a session ID's key or a ticket's (TLS 1.3: a PSK
// identity's, which is the ticket).
type sessionKey struct {
	ticket bool
	k      uint64
}

func idKey(k tlsparse.SessionIDKey) sessionKey { return sessionKey{k: uint64(k)} }
func ticketKey(k tlsparse.TicketKey) sessionKey {
	return sessionKey{ticket: true, k: uint64(k)}
}

// link is what an issued ID or ticket leads to: the full handshake that
// created its session (nil when that is not in the capture: the first the
// capture shows of the session is a resumption) and that row's place in
// the order (seq, 0 with a nil origin).
type link struct {
	origin *Origin
	seq    uint64
}

// serverPolicy is what a server's full handshakes showed of its client
// authentication: the places (row seq, 0 for none) of the last one that
// asked for a certificate and let no client in without one (asked), and
// of the last one that did not ask or let a client in without one (open).
type serverPolicy struct {
	asked, open uint64
}

// NewSessions returns a tracker that remembers at least max/2 and at most
// max issued IDs and tickets; max < 2 means MaxSessions.
func NewSessions(max int) *Sessions {
	if max < 2 {
		max = MaxSessions
	}
	return &Sessions{
		keys:    genMap[sessionKey, link]{gen: max / 2},
		servers: genMap[netip.AddrPort, serverPolicy]{gen: MaxServerPolicies / 2},
	}
}

// Apply links r to the rows written before it (ResumedFrom, the refusal
// flags, resumed_without_client_auth), then remembers what r's server
// issued and how it asked for client certificates, for the rows after
// it. A row's own issued ID or ticket never justifies its own flag.
func (s *Sessions) Apply(r *Row) {
	s.seq++
	var from link
	resumed := false
	switch r.Resumption {
	case tlsparse.ResumptionSessionID:
		from, resumed = s.keys.get(idKey(r.SessionIDOffered))
	case tlsparse.ResumptionTicket, tlsparse.ResumptionPSK:
		from, resumed = s.keys.get(ticketKey(r.TicketOffered))
	}
	if resumed && from.origin != nil {
		o := *from.origin
		r.ResumedFrom = &o
		if s.resumedWithoutAuth(r, from) {
			r.Flags.Set(tlsparse.FlagResumedWithoutClientAuth)
		}
	}

	if r.Flags.Has(tlsparse.FlagSessionIDRejected) && !s.keys.has(idKey(r.SessionIDOffered)) {
		r.Flags &^= tlsparse.FlagsOf(tlsparse.FlagSessionIDRejected)
	}
	if r.Flags.Has(tlsparse.FlagTicketRejected) && !s.keys.has(ticketKey(r.TicketOffered)) {
		r.Flags &^= tlsparse.FlagsOf(tlsparse.FlagTicketRejected)
		r.Flags.Set(tlsparse.FlagTicketRejectedUnknown)
	}

	s.observe(r)

	if r.SessionIDIssued == 0 && len(r.TicketsIssued) == 0 {
		return
	}
	var l link // issued by a row that is neither a full handshake nor a linked resumption: origin unknown
	switch {
	case r.Resumption == tlsparse.ResumptionFull:
		l = link{origin: originOf(r), seq: s.seq}
	case resumed:
		l = from // a renewed ticket, an echoed ID: the same session
	}
	if r.SessionIDIssued != 0 {
		s.add(idKey(r.SessionIDIssued), l)
	}
	for _, t := range r.TicketsIssued {
		if t != 0 {
			s.add(ticketKey(t), l)
		}
	}
}

// resumedWithoutAuth decides resumed_without_client_auth: r resumed a
// session whose full handshake authenticated no client (its client_cert
// none, empty or missing), on a server (r's address and port) that, in its
// full handshakes written after that one and before r, asked for a client
// certificate at least once and never let a client in without one. Those
// later handshakes say the server requires certificates now; the session
// from before (a policy change, botan#5818) or from a server or context
// that did not (a shared cache or ticket key) should not have been
// resumed without one.
func (s *Sessions) resumedWithoutAuth(r *Row, from link) bool {
	switch from.origin.ClientCert {
	case tlsparse.ClientCertNone, tlsparse.ClientCertEmpty, tlsparse.ClientCertMissing:
	default:
		return false
	}
	p, ok := s.servers.get(netip.AddrPortFrom(r.ServerIP, r.ServerPort))
	return ok && p.asked > from.seq && p.open <= from.seq
}

// observe follows the client-certificate requests of r's server in its
// full handshakes: one that asked and let no client in without a
// certificate (the client sent one, or the handshake did not complete)
// counts as asked; one that did not ask, or completed without a client
// certificate, as open. Unknown verdicts (TLS 1.3 without keys) say
// nothing.
func (s *Sessions) observe(r *Row) {
	if r.Resumption != tlsparse.ResumptionFull {
		return
	}
	var asked bool
	switch r.CertRequested {
	case tlsparse.CertRequestedNo:
		asked = false
	case tlsparse.CertRequestedYes:
		switch {
		case r.ClientCert == tlsparse.ClientCertSent || !r.Established:
			asked = true
		case r.ClientCert == tlsparse.ClientCertUnknown:
			return
		default:
			asked = false
		}
	default:
		return
	}
	ap := netip.AddrPortFrom(r.ServerIP, r.ServerPort)
	p, _ := s.servers.get(ap)
	if asked {
		p.asked = s.seq
	} else {
		p.open = s.seq
	}
	s.servers.put(ap, p)
}

// add remembers an issued key; a key already remembered keeps its link
// (an ID echoed by its resumption, a ticket seen again).
func (s *Sessions) add(k sessionKey, l link) {
	if k.k == 0 || s.keys.has(k) {
		return
	}
	s.Forgotten += s.keys.put(k, l)
}

// originOf names r as the origin of the sessions its handshake created.
func originOf(r *Row) *Origin {
	return &Origin{
		File: r.File, Packet: r.Packet, Time: r.Time,
		ClientIP: r.ClientIP, ClientPort: r.ClientPort,
		ServerIP: r.ServerIP, ServerPort: r.ServerPort,
		ClientCert: r.ClientCert,
	}
}

// Unlinked is what a row written as soon as it is decided (streaming)
// gets instead of Apply: it cannot be linked to the rows before it in an
// order that is the same from run to run (at -j N, the workers' timing),
// so it is linked to none. It never carries ResumedFrom,
// session_id_rejected (an unknown ID proves no resumption attempt) nor
// resumed_without_client_auth, and a refused ticket is one of unknown
// origin: ticket_rejected_unknown.
func Unlinked(r *Row) {
	r.ResumedFrom = nil
	if r.Flags.Has(tlsparse.FlagTicketRejected) {
		r.Flags.Set(tlsparse.FlagTicketRejectedUnknown)
	}
	r.Flags &^= tlsparse.FlagsOf(tlsparse.FlagSessionIDRejected, tlsparse.FlagTicketRejected, tlsparse.FlagResumedWithoutClientAuth)
}

// genMap is a map bounded by generations: keys go into the current map;
// once it holds gen keys, it becomes the old one and the previous old map
// is dropped. A key is remembered for at least gen further new keys.
type genMap[K comparable, V any] struct {
	cur, old map[K]V
	gen      int
}

func (m *genMap[K, V]) get(k K) (V, bool) {
	if v, ok := m.cur[k]; ok {
		return v, true
	}
	v, ok := m.old[k]
	return v, ok
}

func (m *genMap[K, V]) has(k K) bool {
	_, ok := m.get(k)
	return ok
}

// put sets k's value (in the current generation) and returns how many
// keys it dropped to stay within the limit.
func (m *genMap[K, V]) put(k K, v V) (dropped uint64) {
	if _, ok := m.cur[k]; ok {
		m.cur[k] = v
		return 0
	}
	if m.cur == nil {
		m.cur = make(map[K]V)
	}
	if len(m.cur) >= m.gen {
		dropped = uint64(len(m.old))
		m.old, m.cur = m.cur, make(map[K]V, m.gen)
	}
	delete(m.old, k) // moved to the current generation: one copy
	m.cur[k] = v
	return dropped
}
