package tlsparse

import (
	"bytes"
	"testing"
)

// TestTicketKeys: which ticket a Summary says the client offered and the
// server issued, the facts the pipeline links tickets and TLS 1.3 PSKs by
// (FlagTicketRejected stays the per-connection candidate).
func TestTicketKeys(t *testing.T) {
	kt, kn := ticketKey(tkt), ticketKey(mkBytes(96, 0x41)) // nstMsg's ticket
	kp := ticketKey(mkBytes(48, 0x77))                     // chSpec.PSK's identity
	if kt == 0 || kn == 0 || kt == kn || ticketKey(nil) != 0 {
		t.Fatalf("ticketKey: %#x %#x nil %#x", kt, kn, ticketKey(nil))
	}
	enc := cat(appRec(v12, 90, 1), appRec(v12, 300, 2))
	tests := []struct {
		name      string
		evs       []event
		offered   TicketKey
		issued    []TicketKey
		candidate bool
	}{
		{
			name: "full handshake, ticket issued",
			evs: []event{
				send(0, chSpec{TicketExt: true}.rec()),
				send(1, tls12Server(shSpec{TicketExt: true}, nil)),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, hsRec(v12, nstMsg()), serverFinish(v12)),
			},
			issued: []TicketKey{kn},
		},
		{
			name: "ticket resumption, ticket renewed",
			evs: []event{
				send(0, chSpec{SessionID: sid1, Ticket: tkt}.rec()),
				send(1, hsRec(v12, shSpec{SessionID: sid1, TicketExt: true}.msg(), nstMsg()), serverFinish(v12)),
				send(0, clientFinish(v12)),
			},
			offered: kt, issued: []TicketKey{kn},
		},
		{
			name: "ticket refused",
			evs: []event{
				send(0, chSpec{SessionID: sid1, Ticket: tkt}.rec()),
				send(1, tls12Server(shSpec{SessionID: sid2, TicketExt: true}, nil)),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, hsRec(v12, nstMsg()), serverFinish(v12)),
			},
			offered: kt, issued: []TicketKey{kn}, candidate: true,
		},
		{
			// Without keys the TLS 1.3 tickets are not read; the
			// identity is in the clear.
			name: "TLS 1.3 PSK selected",
			evs: []event{
				send(0, chSpec{SessionID: sid1, Versions: []Version{v13}, KeyShare: true, PSK: true, Suites: []uint16{0x1301}}.rec()),
				send(1, hsRec(v12, shSpec{SessionID: sid1, Suite: 0x1301, SupportedVersion: v13, PSK: true}.msg()), ccsRec(v12), enc),
			},
			offered: kp,
		},
		{
			// A server now on TLS 1.3 refuses a TLS 1.2 ticket (no PSK
			// offered): the ticket stays what was refused, so a ticket
			// the capture issued is ticket_rejected, not unknown.
			name: "TLS 1.2 ticket refused by a TLS 1.3 server",
			evs: []event{
				send(0, chSpec{SessionID: sid1, Ticket: tkt, Versions: []Version{v13, v12}, KeyShare: true, Suites: []uint16{0x1301}}.rec()),
				send(1, hsRec(v12, shSpec{SessionID: sid1, Suite: 0x1301, SupportedVersion: v13}.msg()), ccsRec(v12), enc),
			},
			offered: kt, candidate: true,
		},
		{
			name: "a NewSessionTicket sent by the client issues nothing",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, tls12Server(shSpec{}, nil)),
				send(0, hsRec(v12, nstMsg())),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := scenario{evs: tt.evs}
			s := sc.run(t, -1, nil).Summary()
			if s.TicketOffered != tt.offered || !equalKeys(s.TicketsIssued, tt.issued) {
				t.Errorf("offered %#x issued %#x, want %#x %#x", s.TicketOffered, s.TicketsIssued, tt.offered, tt.issued)
			}
			if got := s.Flags.Has(FlagTicketRejected); got != tt.candidate {
				t.Errorf("ticket_rejected candidate %v, want %v (flags %v)", got, tt.candidate, s.Flags)
			}
		})
	}
}

func equalKeys(a, b []TicketKey) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPSKIdentities: the pre_shared_key identities of a ClientHello and
// the one a ServerHello selects.
func TestPSKIdentities(t *testing.T) {
	id0, id1 := mkBytes(40, 1), mkBytes(7, 2)
	var ids []byte
	for _, id := range [][]byte{id0, id1} {
		ids = append(ids, byte(len(id)>>8), byte(len(id)))
		ids = append(ids, id...)
		ids = append(ids, 0, 0, 0, 9) // obfuscated_ticket_age
	}
	ext := append([]byte{byte(len(ids) >> 8), byte(len(ids))}, ids...)
	ext = append(ext, 0, 33, 32)
	ext = append(ext, mkBytes(32, 3)...) // binders
	ch, err := ParseClientHello(chSpec{Versions: []Version{v13}, Extra: []Extension{mkExt(ExtPreSharedKey, ext)}}.body())
	if err != nil {
		t.Fatal(err)
	}
	if !ch.HasPSK || !bytes.Equal(ch.PSKIdentity(0), id0) || !bytes.Equal(ch.PSKIdentity(1), id1) || ch.PSKIdentity(2) != nil {
		t.Errorf("identities %x %x %x", ch.PSKIdentity(0), ch.PSKIdentity(1), ch.PSKIdentity(2))
	}
	// A malformed list is no error and no identity.
	ch, err = ParseClientHello(chSpec{Extra: []Extension{mkExt(ExtPreSharedKey, []byte{0, 9, 0, 40})}}.body())
	if err != nil || !ch.HasPSK || ch.PSKIdentity(0) != nil {
		t.Errorf("malformed: err %v identity %x", err, ch.PSKIdentity(0))
	}
	ch, _ = ParseClientHello(chSpec{Extra: []Extension{mkExt(ExtPreSharedKey, []byte{0, 6, 0, 9, 1, 2})}}.body())
	if ch.PSKIdentity(0) != nil {
		t.Errorf("identity cut short: %x", ch.PSKIdentity(0))
	}
	sh, err := ParseServerHello(shSpec{SupportedVersion: v13, Extra: []Extension{mkExt(ExtPreSharedKey, []byte{0, 1})}}.body())
	if err != nil || !sh.HasPSK || sh.PSKSelected != 1 {
		t.Errorf("ServerHello: err %v psk %v selected %d", err, sh.HasPSK, sh.PSKSelected)
	}
}

// TestNewSessionTicket13Ticket reads the ticket of a TLS 1.3
// NewSessionTicket (RFC 8446 4.6.1).
func TestNewSessionTicket13Ticket(t *testing.T) {
	tk := mkBytes(50, 9)
	body := []byte{0, 0, 0x1c, 0x20, 1, 2, 3, 4, 2, 0xaa, 0xbb, 0, 50}
	body = append(body, tk...)
	good := append(append([]byte{}, body...), 0, 0)
	if got, ok := NewSessionTicket13Ticket(good); !ok || !bytes.Equal(got, tk) {
		t.Errorf("ticket %x %v", got, ok)
	}
	for name, b := range map[string][]byte{
		"no extensions":  body,
		"trailing bytes": append(append([]byte{}, good...), 0),
		"empty ticket":   {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"short":          {0, 0, 0, 1},
	} {
		if got, ok := NewSessionTicket13Ticket(b); ok {
			t.Errorf("%s: ticket %x accepted", name, got)
		}
	}
}
