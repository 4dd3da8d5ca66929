package tlsparse

import "testing"

// TestSessionIDKeys: which session ID a Summary says the client offered
// and the server issued, the facts the pipeline links connections by
// (FlagSessionIDRejected stays the per-connection candidate).
func TestSessionIDKeys(t *testing.T) {
	k1, k2 := sessionIDKey(sid1), sessionIDKey(sid2)
	if k1 == 0 || k2 == 0 || k1 == k2 || sessionIDKey(nil) != 0 || sessionIDKey(sid1) != k1 {
		t.Fatalf("sessionIDKey: sid1 %#x, sid2 %#x, nil %#x", k1, k2, sessionIDKey(nil))
	}
	ch13 := chSpec{SessionID: sid1, Versions: []Version{v13, v12}, KeyShare: true, Suites: []uint16{0x1301, 0xc02f}}
	enc := cat(appRec(v12, 90, 1), appRec(v12, 300, 2))
	tests := []struct {
		name            string
		evs             []event
		offered, issued SessionIDKey
		candidate       bool
	}{
		{
			// Go's TLS 1.2 client: a random ID, no ticket; the server
			// answers with its own new ID.
			name: "full handshake, new ID issued",
			evs: []event{
				send(0, chSpec{SessionID: sid1}.rec()),
				send(1, tls12Server(shSpec{SessionID: sid2}, nil)),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			offered: k1, issued: k2, candidate: true,
		},
		{
			name: "full handshake, server issues no ID",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, tls12Server(shSpec{}, nil)),
			},
		},
		{
			// The echo is an issued ID: the server's cache had it.
			name: "session ID resumption",
			evs: []event{
				send(0, chSpec{SessionID: sid1}.rec()),
				send(1, hsRec(v12, shSpec{SessionID: sid1}.msg()), serverFinish(v12)),
				send(0, clientFinish(v12)),
			},
			offered: k1, issued: k1,
		},
		{
			// RFC 5077 3.4: the echo of an ID sent with a ticket is the
			// client's own random ID.
			name: "ticket resumption, ID echoed",
			evs: []event{
				send(0, chSpec{SessionID: sid1, Ticket: tkt, TicketExt: true}.rec()),
				send(1, hsRec(v12, shSpec{SessionID: sid1, TicketExt: true}.msg()), serverFinish(v12)),
				send(0, clientFinish(v12)),
			},
			offered: k1,
		},
		{
			name: "TLS 1.3 echo of the legacy ID",
			evs: []event{
				send(0, ch13.rec()),
				send(1, hsRec(v12, shSpec{SessionID: sid1, Suite: 0x1301, SupportedVersion: v13}.msg()), ccsRec(v12), enc),
			},
			offered: k1,
		},
		{
			name:    "no ServerHello",
			evs:     []event{send(0, chSpec{SessionID: sid1}.rec())},
			offered: k1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := scenario{evs: tt.evs}
			s := sc.run(t, -1, nil).Summary()
			if s.SessionIDOffered != tt.offered || s.SessionIDIssued != tt.issued {
				t.Errorf("offered %#x issued %#x, want %#x %#x", s.SessionIDOffered, s.SessionIDIssued, tt.offered, tt.issued)
			}
			if got := s.Flags.Has(FlagSessionIDRejected); got != tt.candidate {
				t.Errorf("session_id_rejected candidate %v, want %v (flags %v)", got, tt.candidate, s.Flags)
			}
		})
	}
}
