package tlsparse

import (
	"fmt"
	"testing"
)

// TestNext spells out the state machine, scenario by scenario: what each
// message leads to, and what cannot come.
func TestNext(t *testing.T) {
	const (
		C = roleClient
		S = roleServer
		U = roleUnknown
	)
	for _, tc := range []struct {
		s     state
		by    role
		t     HandshakeType
		tls13 bool
		want  state
		ok    bool
	}{
		// Hellos.
		{s: stateStart, by: C, t: TypeClientHello, want: stateClientHello, ok: true},
		{s: stateClientHello, by: S, t: TypeServerHello, want: stateServerHello, ok: true},
		{s: stateStart, by: S, t: TypeServerHello, want: stateLost},       // no ClientHello yet
		{s: stateStart, by: U, t: TypeCertificate, want: stateLost},       // nor anything but a hello
		{s: stateClientHello, by: C, t: TypeClientHello, want: stateLost}, // twice without a retry
		{s: stateClientHello, by: C, t: TypeServerHello, want: stateLost}, // from the client
		{s: stateClientHello, by: S, t: TypeClientHello, want: stateLost}, // from the server
		{s: stateClientHello, by: C, t: TypeClientKeyExchange, want: stateLost},

		// TLS 1.3.
		{s: stateClientHello, by: S, t: TypeServerHello, tls13: true, want: stateTLS13, ok: true},
		{s: stateClientHello, by: S, t: TypeHelloRetryRequest, want: stateRetry, ok: true},
		{s: stateRetry, by: C, t: TypeClientHello, want: stateClientHelloRetried, ok: true},
		{s: stateRetry, by: S, t: TypeServerHello, tls13: true, want: stateLost},
		{s: stateClientHelloRetried, by: S, t: TypeServerHello, tls13: true, want: stateTLS13, ok: true},
		{s: stateClientHelloRetried, by: S, t: TypeHelloRetryRequest, want: stateLost}, // retried once only
		{s: stateTLS13, by: S, t: TypeCertificate, want: stateLost},                    // encrypted, never clear
		{s: stateTLS13, by: S, t: TypeEncryptedExtensions, want: stateLost},
		{s: stateTLS13, by: C, t: TypeClientHello, want: stateLost}, // no renegotiation
		{s: stateTLS13, by: S, t: TypeHelloRequest, want: stateLost},
		{s: stateTLS13, by: S, t: TypeServerHello, tls13: true, want: stateLost},

		// Full handshake.
		{s: stateServerHello, by: S, t: TypeCertificate, want: stateServerCert, ok: true},
		{s: stateServerHello, by: S, t: TypeServerKeyExchange, want: stateServerKeyExchange, ok: true}, // anonymous
		{s: stateServerHello, by: S, t: TypeServerHelloDone, want: stateServerHelloDone, ok: true},     // plain PSK
		{s: stateServerCert, by: S, t: TypeCertificateStatus, want: stateServerStatus, ok: true},
		{s: stateServerCert, by: S, t: TypeServerKeyExchange, want: stateServerKeyExchange, ok: true},
		{s: stateServerCert, by: S, t: TypeServerHelloDone, want: stateServerHelloDone, ok: true}, // RSA key exchange
		{s: stateServerStatus, by: S, t: TypeServerKeyExchange, want: stateServerKeyExchange, ok: true},
		{s: stateServerKeyExchange, by: S, t: TypeServerHelloDone, want: stateServerHelloDone, ok: true},
		{s: stateServerHelloDone, by: C, t: TypeClientKeyExchange, want: stateClientKeyExchange, ok: true},
		{s: stateClientKeyExchange, by: S, t: TypeNewSessionTicket, want: stateServerTicket, ok: true},
		{s: stateServerHello, by: S, t: TypeServerHello, want: stateLost},             // a second one
		{s: stateServerKeyExchange, by: S, t: TypeCertificate, want: stateLost},       // out of order
		{s: stateServerHelloDone, by: S, t: TypeServerKeyExchange, want: stateLost},   // after the flight
		{s: stateServerKeyExchange, by: C, t: TypeClientKeyExchange, want: stateLost}, // before ServerHelloDone
		{s: stateServerHelloDone, by: S, t: TypeClientKeyExchange, want: stateLost},   // from the server
		{s: stateServerHelloDone, by: S, t: TypeNewSessionTicket, want: stateLost},    // before the client's flight
		{s: stateServerTicket, by: S, t: TypeNewSessionTicket, want: stateLost},
		{s: stateClientKeyExchange, by: C, t: TypeFinished, want: stateLost},     // Finished is encrypted
		{s: stateClientKeyExchange, by: C, t: 99, want: stateLost},               // no such message
		{s: stateServerHello, by: S, t: TypeHelloVerifyRequest, want: stateLost}, // DTLS only

		// Client certificate requested.
		{s: stateServerCert, by: S, t: TypeCertificateRequest, want: stateCertRequest, ok: true},
		{s: stateServerStatus, by: S, t: TypeCertificateRequest, want: stateCertRequest, ok: true},
		{s: stateServerKeyExchange, by: S, t: TypeCertificateRequest, want: stateCertRequest, ok: true},
		{s: stateCertRequest, by: S, t: TypeServerHelloDone, want: stateServerHelloDone, ok: true},
		{s: stateServerHelloDone, by: C, t: TypeCertificate, want: stateClientCert, ok: true},
		{s: stateServerHelloDone, by: C, t: TypeCertificateURL, want: stateClientCert, ok: true},
		{s: stateClientCert, by: C, t: TypeClientKeyExchange, want: stateClientKeyExchangeCert, ok: true},
		{s: stateClientKeyExchangeCert, by: C, t: TypeCertificateVerify, want: stateClientVerify, ok: true},
		{s: stateClientKeyExchangeCert, by: S, t: TypeNewSessionTicket, want: stateServerTicket, ok: true},
		{s: stateClientVerify, by: S, t: TypeNewSessionTicket, want: stateServerTicket, ok: true},
		{s: stateServerHello, by: S, t: TypeCertificateRequest, want: stateLost},                        // no certificate to ask with
		{s: stateCertRequest, by: S, t: TypeServerKeyExchange, want: stateLost},                         // out of order
		{s: stateClientKeyExchange, by: C, t: TypeCertificateVerify, want: stateLost},                   // no certificate to verify
		{s: stateClientCert, by: C, t: TypeCertificateVerify, want: stateLost},                          // before ClientKeyExchange
		{s: stateClientKeyExchangeCert, by: C, t: TypeCertificate, want: stateLost},                     // after it
		{s: stateServerHelloDone, by: S, t: TypeCertificateRequest, want: stateLost},                    // after ServerHelloDone
		{s: stateServerHelloDone, by: C, t: TypeSupplementalData, want: stateServerHelloDone, ok: true}, // RFC 4680
		{s: stateServerHello, by: S, t: TypeSupplementalData, want: stateServerHello, ok: true},

		// Abbreviated handshake.
		{s: stateServerHello, by: S, t: TypeNewSessionTicket, want: stateAbbreviated, ok: true},
		{s: stateAbbreviated, by: C, t: TypeClientKeyExchange, want: stateLost},
		{s: stateAbbreviated, by: C, t: TypeCertificate, want: stateLost},
		{s: stateServerHello, by: C, t: TypeClientKeyExchange, want: stateLost}, // session-ID resumption
		{s: stateAbbreviated, by: S, t: TypeCertificate, want: stateLost},

		// Renegotiation and hello request.
		{s: stateServerHello, by: C, t: TypeClientHello, want: stateClientHello, ok: true},
		{s: stateClientVerify, by: C, t: TypeClientHello, want: stateClientHello, ok: true},
		{s: stateAbbreviated, by: C, t: TypeClientHello, want: stateClientHello, ok: true},
		{s: stateServerTicket, by: S, t: TypeClientHello, want: stateLost},
		{s: stateStart, by: U, t: TypeHelloRequest, want: stateStart, ok: true},
		{s: stateClientHello, by: S, t: TypeHelloRequest, want: stateClientHello, ok: true},
		{s: stateServerKeyExchange, by: S, t: TypeHelloRequest, want: stateServerKeyExchange, ok: true},
		{s: stateServerHelloDone, by: C, t: TypeHelloRequest, want: stateLost},

		// A capture that misses messages: only the hellos' sides are judged.
		{s: stateLost, by: U, t: TypeCertificate, want: stateLost, ok: true},
		{s: stateLost, by: C, t: TypeServerKeyExchange, want: stateLost, ok: true},
		{s: stateLost, by: C, t: TypeClientHello, want: stateLost, ok: true},
		{s: stateLost, by: S, t: TypeServerHello, want: stateLost, ok: true},
		{s: stateLost, by: S, t: TypeClientHello, want: stateLost},
		{s: stateLost, by: C, t: TypeServerHello, want: stateLost},
		{s: stateLost, by: C, t: TypeHelloRetryRequest, want: stateLost},
	} {
		name := fmt.Sprintf("%d/%d/%v/tls13=%v", tc.s, tc.by, tc.t, tc.tls13)
		got, ok := next(tc.s, tc.by, tc.t, tc.tls13)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: next = %d, %v; want %d, %v", name, got, ok, tc.want, tc.ok)
		}
	}
}

// Every state but stateLost is reachable from stateStart, and every edge of
// the table leaves from one: a typo in the table would leave a scenario
// that can never happen.
func TestStatesReachable(t *testing.T) {
	seen := map[state]bool{stateStart: true}
	for changed := true; changed; {
		changed = false
		for e, to := range transitions {
			for _, n := range []state{to, stateTLS13} {
				if seen[e.from] && !seen[n] && (n != stateTLS13 || to == stateServerHello) {
					seen[n], changed = true, true
				}
			}
		}
	}
	for s := stateStart; s < stateLost; s++ {
		if !seen[s] {
			t.Errorf("state %d is not reachable", s)
		}
	}
	for e := range transitions {
		if !seen[e.from] {
			t.Errorf("edge %+v leaves an unreachable state", e)
		}
	}
}

// oooScenario is a connection with one message out of order (or from the
// wrong side), and the anomalies it must count.
type oooScenario struct {
	name  string
	setup func(c *Conn)
	evs   []event
	want  map[Anomaly]int
}

func outOfOrder() []oooScenario {
	p := pkiOnce()
	one := map[Anomaly]int{AnomalyUnexpectedMessage: 1}
	sh13 := shSpec{Suite: 0x1301, SupportedVersion: v13}
	return []oooScenario{
		{
			name: "ClientKeyExchange before ServerHelloDone",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, hsRec(v12, shSpec{}.msg(), certMsg(p.server, p.caA), skeMsg())),
				send(0, hsRec(v12, ckeMsg())),
				send(1, hsRec(v12, shdMsg())),
			},
			want: one,
		},
		{
			name: "ServerKeyExchange after ServerHelloDone",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, hsRec(v12, shSpec{}.msg(), certMsg(p.server, p.caA), shdMsg(), skeMsg())),
			},
			want: one,
		},
		{
			name: "CertificateRequest before the server's Certificate",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, hsRec(v12, shSpec{}.msg(), crMsg12(), certMsg(p.server, p.caA), skeMsg(), shdMsg())),
			},
			// Once: after it the machine is lost, and the messages
			// that follow are not blamed for it.
			want: one,
		},
		{
			name: "CertificateVerify without a client Certificate",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, tls12Server(shSpec{}, crMsg12())),
				send(0, hsRec(v12, ckeMsg(), cvMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: one,
		},
		{
			name: "client's Certificate after its ClientKeyExchange",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, tls12Server(shSpec{}, crMsg12())),
				send(0, hsRec(v12, ckeMsg(), certMsg(p.clientA)), clientFinish(v12)),
			},
			want: one,
		},
		{
			name: "NewSessionTicket before the client's flight",
			evs: []event{
				send(0, chSpec{TicketExt: true}.rec()),
				send(1, tls12Server(shSpec{TicketExt: true}, nil), hsRec(v12, nstMsg())),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
			},
			want: one,
		},
		{
			name: "ClientKeyExchange in an abbreviated handshake",
			evs: []event{
				send(0, chSpec{SessionID: sid1}.rec()),
				send(1, hsRec(v12, shSpec{SessionID: sid1}.msg()), serverFinish(v12)),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
			},
			want: one,
		},
		{
			name: "Finished in the clear",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, tls12Server(shSpec{}, nil)),
				send(0, hsRec(v12, ckeMsg(), mkHS(TypeFinished, mkBytes(12, 1)))),
			},
			want: one,
		},
		{
			name: "second ServerHello",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, hsRec(v12, shSpec{}.msg(), shSpec{}.msg())),
			},
			want: one,
		},
		{
			name: "ServerHello from the client",
			evs: []event{
				send(0, chSpec{}.rec(), hsRec(v12, shSpec{}.msg())),
			},
			want: one,
		},
		{
			name: "ClientHello from both sides",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, chSpec{}.rec()),
			},
			want: one,
		},
		{
			name: "second ClientHello without a HelloRetryRequest",
			evs: []event{
				send(0, chSpec{}.rec(), chSpec{Seed: 2}.rec()),
			},
			want: one,
		},
		{
			name: "ServerHello before the ClientHello",
			evs: []event{
				send(1, hsRec(v12, shSpec{}.msg())),
				send(0, chSpec{}.rec()),
			},
			// The ServerHello counts. Its facts are still taken (verdicts
			// do not depend on order), so the ClientHello that follows
			// is one after a ServerHello: renegotiation's definition.
			want: map[Anomaly]int{AnomalyUnexpectedMessage: 1, AnomalyRenegotiation: 1},
		},
		{
			name: "second HelloRetryRequest",
			evs: []event{
				send(0, chSpec{Versions: []Version{v13}, KeyShare: true}.rec()),
				send(1, hsRec(v12, shSpec{Suite: 0x1301, SupportedVersion: v13, HRR: true}.msg())),
				send(0, hsRec(v12, chSpec{Versions: []Version{v13}, KeyShare: true, Seed: 3}.msg())),
				send(1, hsRec(v12, shSpec{Suite: 0x1301, SupportedVersion: v13, HRR: true}.msg())),
			},
			want: one,
		},
		{
			name: "cleartext Certificate after a TLS 1.3 ServerHello",
			evs: []event{
				send(0, chSpec{Versions: []Version{v13}, KeyShare: true}.rec()),
				send(1, hsRec(v12, sh13.msg(), certMsg(p.server))),
			},
			want: one,
		},
		{
			// TLS 1.3 has no renegotiation: not counted as one.
			name: "ClientHello after a TLS 1.3 ServerHello",
			evs: []event{
				send(0, chSpec{Versions: []Version{v13}, KeyShare: true}.rec()),
				send(1, hsRec(v12, sh13.msg())),
				send(0, chSpec{Versions: []Version{v13}, KeyShare: true, Seed: 4}.rec()),
			},
			want: one,
		},
		{
			// Before TLS 1.3 it is a renegotiation in the clear, which
			// has an anomaly of its own; the handshake it starts is in
			// order.
			name: "renegotiation in the clear",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, tls12Server(shSpec{}, nil)),
				send(0, chSpec{Seed: 5}.rec()),
				send(1, tls12Server(shSpec{}, nil)),
			},
			want: map[Anomaly]int{AnomalyRenegotiation: 1},
		},
		{
			name: "HelloRequest from the server in the middle of a handshake",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, hsRec(v12, shSpec{}.msg(), mkHS(TypeHelloRequest, nil), certMsg(p.server), shdMsg())),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
		},
		{
			name: "HelloRequest from the client",
			evs: []event{
				send(0, chSpec{}.rec(), hsRec(v12, mkHS(TypeHelloRequest, nil))),
			},
			want: one,
		},
		{
			// The capture starts after the hellos: order cannot be
			// judged, so the same misplaced ServerKeyExchange counts
			// nothing.
			name:  "out of order in a capture that starts mid-stream",
			setup: func(c *Conn) { c.SetMidstream(0); c.SetMidstream(1) },
			evs: []event{
				send(1, hsRec(v12, certMsg(p.server, p.caA), shdMsg(), skeMsg())),
				send(0, hsRec(v12, ckeMsg())),
			},
		},
		{
			// After a gap the server's flight is missing: the client's
			// answer must not be blamed for coming "before" it.
			name: "client's flight after a gap in the server's",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, hsRec(v12, shSpec{}.msg())),
				gapThen(1, hsRec(v12, skeMsg(), shdMsg())),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
			},
		},
		{
			// Even then, a hello from the wrong side is wrong.
			name:  "ClientHello from both sides in a mid-stream capture",
			setup: func(c *Conn) { c.SetMidstream(0); c.SetMidstream(1) },
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, chSpec{Seed: 6}.rec()),
			},
			want: one,
		},
	}
}

// TestUnexpectedMessage: unexpected_message counts a handshake message that
// cannot come in the state the handshake is in, once per such message.
func TestUnexpectedMessage(t *testing.T) {
	for _, sc := range outOfOrder() {
		t.Run(sc.name, func(t *testing.T) {
			f := newFeeder(t, Options{}, sc.setup)
			for _, e := range sc.evs {
				f.event(e, nil)
			}
			got := f.c.Summary().Anomalies
			for _, a := range []Anomaly{AnomalyUnexpectedMessage, AnomalyRenegotiation} {
				if got[a] != sc.want[a] {
					t.Errorf("%s counted %d, want %d (anomalies %v, history %q)", a, got[a], sc.want[a], got, f.c.Summary().History)
				}
			}
		})
	}
}

// ... and never on a legal sequence: the scenarios and the real captures.
func TestNoUnexpectedMessageInOrder(t *testing.T) {
	for _, sc := range scenarios() {
		if n := sc.run(t, -1, nil).Summary().Anomalies[AnomalyUnexpectedMessage]; n != 0 {
			t.Errorf("%s: unexpected_message counted %d", sc.name, n)
		}
	}
	for _, rc := range realCaptures() {
		sc := scenario{setup: func(c *Conn) { c.SetInitiator(0) }, evs: rc.evs}
		if n := sc.run(t, -1, nil).Summary().Anomalies[AnomalyUnexpectedMessage]; n != 0 {
			t.Errorf("%s: unexpected_message counted %d", rc.name, n)
		}
	}
}
