package tlsparse

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// A scenario is one connection: the events of its two halves in the order
// they interleave on the wire, and what Summary must say about it.

// event is one delivery to a half: bytes (after an optional gap), or the
// half's end (FIN/RST).
type event struct {
	h     int
	data  []byte
	gap   bool // Gap(h) before data
	close bool // Close(h, pending)
}

func send(h int, parts ...[]byte) event { return event{h: h, data: cat(parts...)} }
func gapThen(h int, parts ...[]byte) event {
	return event{h: h, data: cat(parts...), gap: true}
}
func closeHalf(h int) event { return event{h: h, close: true} }

// outcome is the part of Summary the scenarios spell out.
type outcome struct {
	Client      int
	SawHello    bool
	Version     Version
	SNI, ALPN   string
	Resumption  Resumption
	CertReq     CertRequested
	ClientCert  ClientCert
	ClientCerts int
	ServerCerts int
	Established bool
	Alert       string
	Flags       Flags
	History     string
	Anomalies   map[Anomaly]int
	Errors      []string
}

func outcomeOf(s Summary) outcome {
	return outcome{
		Client: s.Client, SawHello: s.SawHello, Version: s.Version, SNI: s.SNI, ALPN: s.ALPN,
		Resumption: s.Resumption, CertReq: s.CertReq, ClientCert: s.ClientCert,
		ClientCerts: s.ClientCerts, ServerCerts: s.ServerCerts, Established: s.Established,
		Alert: s.Alert, Flags: s.Flags, History: s.History, Anomalies: s.Anomalies, Errors: s.Errors,
	}
}

type scenario struct {
	name string
	opts Options
	// budget, when set, gives each run a fresh Budget of that many bytes.
	budget int64
	setup  func(c *Conn) // SetInitiator, SetMidstream
	evs    []event
	want   outcome
	check  func(t *testing.T, c *Conn, s Summary) // extra assertions
	// errors, when set, is matched against Summary.Errors instead of
	// want.Errors, for texts whose detail the scenario does not pin.
	errors *regexp.Regexp
}

// feeder drives a Conn the way the reassembly layer does: Feed gets the
// unconsumed tail of the previous call followed by the new bytes, in a
// buffer that is overwritten once Feed returns (gopacket reuses its
// ScatterGather), and a half that no longer Wants its bytes is not fed.
type feeder struct {
	t       testing.TB
	c       *Conn
	pending [2][]byte
}

func newFeeder(t testing.TB, opts Options, setup func(*Conn)) *feeder {
	c := NewConn(opts)
	if setup != nil {
		setup(c)
	}
	return &feeder{t: t, c: c}
}

func (f *feeder) feed(h int, piece []byte) {
	if !f.c.Wants(h) {
		f.pending[h] = nil
		return
	}
	if len(piece) == 0 {
		return
	}
	buf := make([]byte, 0, len(f.pending[h])+len(piece))
	buf = append(append(buf, f.pending[h]...), piece...)
	n := f.c.Feed(h, buf)
	if n < 0 || n > len(buf) {
		f.t.Fatalf("Feed(%d, %d bytes) = %d", h, len(buf), n)
	}
	f.pending[h] = append(f.pending[h][:0], buf[n:]...)
	for i := range buf {
		buf[i] = 0xEE // a Conn that kept a reference sees garbage
	}
}

func (f *feeder) event(e event, split func(b []byte) [][]byte) {
	if e.gap {
		f.c.Gap(e.h)
		f.pending[e.h] = nil
	}
	if e.close {
		pending := 0
		if f.c.Wants(e.h) {
			pending = len(f.pending[e.h])
		}
		f.c.Close(e.h, pending)
		return
	}
	if split == nil {
		f.feed(e.h, e.data)
		return
	}
	for _, p := range split(e.data) {
		f.feed(e.h, p)
	}
}

// run feeds the scenario, splitting event i's bytes with split (nil: whole;
// i < 0: every event), and returns the Conn.
func (sc *scenario) run(t testing.TB, i int, split func([]byte) [][]byte) *Conn {
	opts := sc.opts
	if sc.budget > 0 {
		opts.Budget = NewBudget(sc.budget)
	}
	f := newFeeder(t, opts, sc.setup)
	for j, e := range sc.evs {
		if i == j || i < 0 {
			f.event(e, split)
		} else {
			f.event(e, nil)
		}
	}
	return f.c
}

func splitAt(k int) func([]byte) [][]byte {
	return func(b []byte) [][]byte {
		k := min(k, len(b))
		return [][]byte{b[:k], b[k:]}
	}
}

func bytewise(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = b[i : i+1]
	}
	return out
}

// Shorthands for the scenarios.
const (
	v10 = VersionTLS10
	v12 = VersionTLS12
	v13 = VersionTLS13
)

var (
	sid1 = mkBytes(32, 0xa1) // a client's session ID
	sid2 = mkBytes(32, 0xa2) // a new one from the server
	tkt  = mkBytes(128, 0xa3)
)

// tls12Server is a full TLS 1.2 server flight in one record: ServerHello,
// Certificate (server, CA A), ServerKeyExchange, [CertificateRequest],
// ServerHelloDone.
func tls12Server(sh shSpec, cr []byte) []byte {
	p := pkiOnce()
	msgs := [][]byte{sh.msg(), certMsg(p.server, p.caA), skeMsg()}
	if cr != nil {
		msgs = append(msgs, cr)
	}
	return hsRec(v12, append(msgs, shdMsg())...)
}

// bigChainLen certificates make a Certificate of about 400 KB.
const bigChainLen = 900

// bigCertMsg is a Certificate message of bigChainLen certificates.
func bigCertMsg() []byte {
	p := pkiOnce()
	chain := make([][]byte, bigChainLen)
	for i := range chain {
		chain[i] = p.server
	}
	return certMsg(chain...)
}

// bigServerFlight is a TLS 1.2 server flight with a 400 KB Certificate and
// a CertificateRequest whose CA names fill most of their 64 KiB list (the
// list has a 2-byte length), in records of 16 KB.
func bigServerFlight() []byte {
	p := pkiOnce()
	cas := make([][]byte, 60000/(2+len(p.dnB)))
	for i := range cas {
		cas[i] = p.dnB
	}
	cas[len(cas)-1] = p.dnA
	msgs := cat(shSpec{}.msg(), bigCertMsg(), skeMsg(), crMsg12(cas...), shdMsg())
	return mkRecords(ContentHandshake, v12, msgs, MaxPlaintext)
}

func clientFinish(v Version) []byte { return cat(ccsRec(v), finRec(v, 0xc1)) }
func serverFinish(v Version) []byte { return cat(ccsRec(v), finRec(v, 0xc2)) }

func scenarios() []scenario {
	p := pkiOnce()
	ch12 := chSpec{SNI: "www.test", ALPN: []string{"h2", "http/1.1"}, TicketExt: true}
	ch13 := chSpec{SNI: "tls13.test", SessionID: sid1, Versions: []Version{0x0a0a, v13, v12}, KeyShare: true,
		Suites: []uint16{0x1301, 0x1302, 0xc02f}}
	sh13 := shSpec{SessionID: sid1, Suite: 0x1301, SupportedVersion: v13}
	enc := func(seed byte) []byte { return cat(appRec(v12, 90, seed), appRec(v12, 300, seed+1)) }
	mtlsServer := func(cas ...[]byte) []byte { return tls12Server(shSpec{}, crMsg12(cas...)) }
	// httpBody is text larger than MaxScan: no byte of it is a record type.
	httpBody := strings.Repeat("<p>lorem ipsum dolor sit amet</p>\n", MaxScan/34+200)

	return []scenario{
		{
			name: "TLS 1.2 full handshake, ticket issued",
			evs: []event{
				send(0, ch12.rec()),
				send(1, tls12Server(shSpec{ALPN: "h2", TicketExt: true}, nil)),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, hsRec(v12, nstMsg()), serverFinish(v12)),
				send(0, appRec(v12, 200, 1)),
				send(1, appRec(v12, 500, 2)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12, SNI: "www.test", ALPN: "h2",
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 2,
				Established: true, Flags: FlagsOf(FlagTicketIssued), History: "CsxknGIti"},
		},
		{
			name: "mTLS: certificate sent with CertificateVerify, issuer requested",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, mtlsServer(p.dnB, p.dnA)),
				send(0, hsRec(v12, certMsg(p.clientA), ckeMsg(), cvMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedYes, ClientCert: ClientCertSent, ClientCerts: 1, ServerCerts: 2,
				Established: true, History: "CsxkrnXGYIi"},
			check: func(t *testing.T, c *Conn, s Summary) {
				want := &CertificateRequestInfo{
					CertTypes: []ClientCertificateType{1, 64},
					SigAlgs:   []SignatureScheme{0x0807, 0x0403},
					CANames:   [][]byte{p.dnB, p.dnA},
				}
				if diff := cmp.Diff(want, s.CertRequest); diff != "" {
					t.Errorf("CertRequest (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "mTLS: CertificateRequest with an empty CA list accepts any issuer",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, mtlsServer()),
				send(0, hsRec(v12, certMsg(p.clientB, p.caB), ckeMsg(), cvMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedYes, ClientCert: ClientCertSent, ClientCerts: 2, ServerCerts: 2,
				Established: true, History: "CsxkrnXGYIi"},
		},
		{
			name: "mTLS: issuer not among the requested CAs",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, mtlsServer(p.dnUnrelated, p.dnB)),
				send(0, hsRec(v12, certMsg(p.clientA, p.caA), ckeMsg(), cvMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedYes, ClientCert: ClientCertSent, ClientCerts: 2, ServerCerts: 2,
				Established: true, Flags: FlagsOf(FlagClientCertIssuerNotRequested), History: "CsxkrnXGYIi"},
		},
		{
			// The intermediate's issuer matches even though the leaf's
			// does not: the whole chain counts.
			name: "mTLS: a chain certificate's issuer is requested",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, mtlsServer(p.dnB)),
				send(0, hsRec(v12, certMsg(p.clientA, p.caB), ckeMsg(), cvMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedYes, ClientCert: ClientCertSent, ClientCerts: 2, ServerCerts: 2,
				Established: true, History: "CsxkrnXGYIi"},
		},
		{
			name: "mTLS: empty client certificate list, server fails the handshake",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, mtlsServer(p.dnA)),
				send(0, hsRec(v12, certMsg(), ckeMsg()), clientFinish(v12)),
				send(1, alertRec(v12, AlertFatal, 40)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedYes, ClientCert: ClientCertEmpty, ClientCerts: 0, ServerCerts: 2,
				Alert: "server:handshake_failure", Flags: FlagsOf(FlagClientAuthFailed, FlagClientCertEmpty),
				History: "CsxkrnXGIl"},
		},
		{
			name: "mTLS: client Certificate missing",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, mtlsServer(p.dnA)),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedYes, ClientCert: ClientCertMissing, ClientCerts: 0, ServerCerts: 2,
				Established: true, Flags: FlagsOf(FlagClientCertMissing), History: "CsxkrnGIi"},
		},
		{
			name: "unsolicited client certificate",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, tls12Server(shSpec{}, nil)),
				send(0, hsRec(v12, certMsg(p.clientA), ckeMsg(), cvMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertSent, ClientCerts: 1, ServerCerts: 2,
				Established: true, Flags: FlagsOf(FlagClientCertUnsolicited), History: "CsxknXGYIi"},
		},
		{
			name: "client certificate without CertificateVerify",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, mtlsServer(p.dnA)),
				// Each message in a record of its own this time.
				send(0, hsRec(v12, certMsg(p.clientA)), hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedYes, ClientCert: ClientCertSent, ClientCerts: 1, ServerCerts: 2,
				Established: true, Flags: FlagsOf(FlagCertVerifyMissing), History: "CsxkrnXGIi"},
		},
		{
			name: "TLS 1.0 mTLS, CertificateRequest without signature algorithms",
			evs: []event{
				send(0, chSpec{Version: v10}.rec()),
				send(1, hsRec(v10, shSpec{Version: v10, Suite: 0x002f}.msg(), certMsg(p.server), crMsg10(p.dnA), shdMsg())),
				send(0, hsRec(v10, certMsg(p.clientA), ckeMsg(), cvMsg()), clientFinish(v10)),
				send(1, serverFinish(v10)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v10,
				Resumption: ResumptionFull, CertReq: CertRequestedYes, ClientCert: ClientCertSent, ClientCerts: 1, ServerCerts: 1,
				Established: true, History: "CsxrnXGYIi"},
			check: func(t *testing.T, c *Conn, s Summary) {
				want := &CertificateRequestInfo{CertTypes: []ClientCertificateType{1, 2}, CANames: [][]byte{p.dnA}}
				if diff := cmp.Diff(want, s.CertRequest); diff != "" {
					t.Errorf("CertRequest (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "server Certificate empty",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, hsRec(v12, shSpec{}.msg(), certMsg(), skeMsg(), shdMsg())),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 0,
				Established: true, Flags: FlagsOf(FlagServerCertEmpty), History: "CsxknGIi"},
		},
		{
			name: "session ID resumption",
			evs: []event{
				send(0, chSpec{SessionID: sid1, SNI: "www.test"}.rec()),
				send(1, hsRec(v12, shSpec{SessionID: sid1}.msg()), serverFinish(v12)),
				send(0, clientFinish(v12)),
				send(0, appRec(v12, 100, 3)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12, SNI: "www.test",
				Resumption: ResumptionSessionID, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 0,
				Established: true, History: "CsiI"},
		},
		{
			// RFC 5077 3.4: the server echoes the session ID the client
			// sent with its ticket; the ticket is what resumed.
			name: "ticket resumption with the session ID echoed",
			evs: []event{
				send(0, chSpec{SessionID: sid1, Ticket: tkt}.rec()),
				send(1, hsRec(v12, shSpec{SessionID: sid1, TicketExt: true}.msg(), nstMsg()), serverFinish(v12)),
				send(0, clientFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionTicket, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 0,
				Established: true, Flags: FlagsOf(FlagTicketIssued), History: "CstiI"},
		},
		{
			name: "ticket resumption without a session ID",
			evs: []event{
				send(0, chSpec{Ticket: tkt}.rec()),
				send(1, hsRec(v12, shSpec{}.msg()), serverFinish(v12)),
				send(0, clientFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionTicket, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 0,
				Established: true, History: "CsiI"},
		},
		{
			name: "ticket rejected",
			evs: []event{
				send(0, chSpec{SessionID: sid1, Ticket: tkt}.rec()),
				send(1, tls12Server(shSpec{SessionID: sid2, TicketExt: true}, nil)),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, hsRec(v12, nstMsg()), serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 2,
				Established: true, Flags: FlagsOf(FlagTicketIssued, FlagTicketRejected), History: "CsxknGIti"},
		},
		{
			name: "session ID rejected",
			evs: []event{
				send(0, chSpec{SessionID: sid1}.rec()),
				send(1, tls12Server(shSpec{SessionID: sid2}, nil)),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 2,
				Established: true, Flags: FlagsOf(FlagSessionIDRejected), History: "CsxknGIi"},
		},
		{
			// A client offering TLS 1.3 sends a random compatibility
			// session ID: a TLS 1.2 full handshake does not reject it.
			name: "TLS 1.3 client's session ID not flagged on a TLS 1.2 server",
			evs: []event{
				send(0, ch13.rec()),
				send(1, tls12Server(shSpec{SessionID: sid2}, nil)),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12, SNI: "tls13.test",
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 2,
				Established: true, History: "CsxknGIi"},
		},
		{
			// The server goes straight to ChangeCipherSpec without
			// echoing the ID and without a ticket offered: abbreviated,
			// but for no reason a capture can see.
			name: "abbreviated handshake with no reason",
			evs: []event{
				send(0, chSpec{SessionID: sid1}.rec()),
				send(1, hsRec(v12, shSpec{SessionID: sid2}.msg()), serverFinish(v12)),
				send(0, clientFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionUnknown, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 0,
				Established: true, History: "CsiI", Anomalies: map[Anomaly]int{AnomalyAbbreviatedNoReason: 1}},
		},
		{
			// Also: the legacy session ID is echoed (middlebox
			// compatibility mode), which never means session_id
			// resumption under TLS 1.3.
			// The client's first record is a 53-byte Finished: not asked (inference.go).
			name: "TLS 1.3 full handshake with echoed legacy session ID",
			evs: []event{
				send(0, ch13.rec()),
				send(1, hsRec(v12, sh13.msg()), ccsRec(v12), enc(0x31)),
				send(0, ccsRec(v12), appRec(v12, 53, 0x33)),
				send(0, appRec(v12, 400, 0x34)),
				send(1, appRec(v12, 900, 0x35)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v13, SNI: "tls13.test",
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: -1, ServerCerts: -1,
				Established: true, Flags: FlagsOf(FlagEncryptedHandshake), History: "CsiI"},
		},
		{
			// post_handshake_auth is cleartext in the ClientHello: the
			// server may ask for a certificate after the handshake, so
			// the connection says the question stays open. On a TLS
			// 1.2 server the extension means nothing.
			name: "TLS 1.3 client offering post-handshake auth",
			evs: []event{
				send(0, chSpec{SNI: "tls13.test", Versions: []Version{v13}, KeyShare: true,
					Extra: []Extension{mkExt(ExtPostHandshakeAuth, nil)}}.rec()),
				send(1, hsRec(v12, shSpec{Suite: 0x1301, SupportedVersion: v13}.msg()), enc(0x51)),
				send(0, appRec(v12, 53, 0x53)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v13, SNI: "tls13.test",
				Resumption: ResumptionFull, CertReq: CertRequestedUnknown, ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: -1,
				Established: true, Flags: FlagsOf(FlagEncryptedHandshake, FlagPHAOffered), History: "Cs"},
		},
		{
			name: "post-handshake auth offered, TLS 1.2 negotiated: no flag",
			evs: []event{
				send(0, chSpec{SNI: "www.test", Versions: []Version{v13, v12}, KeyShare: true,
					Extra: []Extension{mkExt(ExtPostHandshakeAuth, nil)}}.rec()),
				send(1, tls12Server(shSpec{}, nil)),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12, SNI: "www.test",
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 2,
				Established: true, History: "CsxknGIi"},
		},
		{
			name: "TLS 1.3 full handshake without compatibility mode",
			evs: []event{
				send(0, chSpec{Versions: []Version{v13}, KeyShare: true, ALPN: []string{"h2"}}.rec()),
				send(1, hsRec(v12, shSpec{Suite: 0x1302, SupportedVersion: v13}.msg()), enc(0x41)),
				send(0, appRec(v12, 53, 0x43)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v13,
				Resumption: ResumptionFull, CertReq: CertRequestedUnknown, ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: -1,
				Established: true, Flags: FlagsOf(FlagEncryptedHandshake), History: "Cs"},
		},
		{
			// The client's first record is a 53-byte Finished: not asked (inference.go).
			name: "TLS 1.3 PSK accepted",
			evs: []event{
				send(0, chSpec{SessionID: sid1, Versions: []Version{v13}, KeyShare: true, PSK: true}.rec()),
				send(1, hsRec(v12, shSpec{SessionID: sid1, Suite: 0x1301, SupportedVersion: v13, PSK: true}.msg()), ccsRec(v12), enc(0x51)),
				send(0, ccsRec(v12), appRec(v12, 53, 0x53)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v13,
				Resumption: ResumptionPSK, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: -1, ServerCerts: -1,
				Established: true, Flags: FlagsOf(FlagEncryptedHandshake), History: "CsiI"},
		},
		{
			// The client's first record is a 53-byte Finished: not asked (inference.go).
			name: "TLS 1.3 PSK rejected",
			evs: []event{
				send(0, chSpec{SessionID: sid1, Versions: []Version{v13}, KeyShare: true, PSK: true}.rec()),
				send(1, hsRec(v12, sh13.msg()), ccsRec(v12), enc(0x61)),
				send(0, ccsRec(v12), appRec(v12, 53, 0x63)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v13,
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: -1, ServerCerts: -1,
				Established: true, Flags: FlagsOf(FlagEncryptedHandshake, FlagPSKRejected), History: "CsiI"},
		},
		{
			// 0-RTT: the client's CCS and early data precede the
			// ServerHello; neither makes it "established" early.
			name: "TLS 1.3 PSK with early data",
			evs: []event{
				send(0, chSpec{SessionID: sid1, Versions: []Version{v13}, KeyShare: true, PSK: true, EarlyData: true}.rec(),
					ccsRec(v12), appRec(v12, 120, 0x71)),
				send(1, hsRec(v12, shSpec{SessionID: sid1, Suite: 0x1301, SupportedVersion: v13, PSK: true}.msg()), ccsRec(v12), enc(0x72)),
				send(0, appRec(v12, 30, 0x74)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v13,
				Resumption: ResumptionPSK, CertReq: CertRequestedUnknown, ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: -1,
				Established: true, Flags: FlagsOf(FlagEncryptedHandshake), History: "CIsi"},
		},
		{
			// The client's first record is a 53-byte Finished: not asked (inference.go).
			name: "TLS 1.3 HelloRetryRequest",
			evs: []event{
				send(0, ch13.rec()),
				send(1, hsRec(v12, shSpec{SessionID: sid1, Suite: 0x1301, SupportedVersion: v13, HRR: true}.msg()), ccsRec(v12)),
				send(0, ccsRec(v12), hsRec(v12, chSpec{SNI: "tls13.test", SessionID: sid1, Versions: []Version{v13}, KeyShare: true, Seed: 9}.msg())),
				send(1, hsRec(v12, sh13.msg()), enc(0x81)),
				send(0, appRec(v12, 53, 0x83)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v13, SNI: "tls13.test",
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: -1, ServerCerts: -1,
				Established: true, Flags: FlagsOf(FlagEncryptedHandshake, FlagHRR), History: "CjiICs"},
		},
		{
			name: "SSLv2-format ClientHello",
			evs: []event{
				send(0, mkSSLv2Hello(v10)),
				send(1, hsRec(v10, shSpec{Version: v10, Suite: 0x002f}.msg(), certMsg(p.server, p.caA), shdMsg())),
				send(0, hsRec(v10, ckeMsg()), clientFinish(v10)),
				send(1, serverFinish(v10)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v10,
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 2,
				Established: true, Flags: FlagsOf(FlagSSLv2Hello), History: "CsxnGIi"},
		},
		{
			// SSL 3.0 clients without a certificate answer a
			// CertificateRequest with a no_certificate warning.
			name: "SSLv3 no_certificate alert, server fails the handshake",
			evs: []event{
				send(0, chSpec{Version: VersionSSL3, Suites: []uint16{0x000a}}.rec()),
				send(1, hsRec(VersionSSL3, shSpec{Version: VersionSSL3, Suite: 0x000a}.msg(), certMsg(p.server, p.caA), crMsg10(p.dnA), shdMsg())),
				send(0, alertRec(VersionSSL3, AlertWarning, 41), hsRec(VersionSSL3, ckeMsg()), clientFinish(VersionSSL3)),
				send(1, alertRec(VersionSSL3, AlertFatal, 40)),
			},
			want: outcome{Client: 0, SawHello: true, Version: VersionSSL3,
				Resumption: ResumptionFull, CertReq: CertRequestedYes, ClientCert: ClientCertEmpty, ClientCerts: 0, ServerCerts: 2,
				Alert:   "client:no_certificate",
				Flags:   FlagsOf(FlagClientAuthFailed, FlagClientCertEmpty, FlagNoCertificateAlert),
				History: "CsxrnLGIl", Anomalies: map[Anomaly]int{AnomalyNoCertificateAlert: 1}},
		},
		{
			// The capture starts inside the ClientHello record on one
			// side and inside the Certificate record on the other: both
			// halves resynchronise on the next record, and the roles
			// come from the messages only one side sends.
			name: "mid-stream start inside records",
			setup: func(c *Conn) {
				c.SetMidstream(0)
				c.SetMidstream(1)
			},
			evs: []event{
				send(0, chSpec{SNI: "lost.test"}.rec()[20:]),
				send(1, hsRec(v12, certMsg(p.server, p.caA))[300:], hsRec(v12, skeMsg(), shdMsg())),
				send(0, hsRec(v12, ckeMsg())),
			},
			want: outcome{Client: 0, Resumption: ResumptionUnknown, CertReq: CertRequestedUnknown, ClientCert: ClientCertUnknown,
				ClientCerts: -1, ServerCerts: -1, Flags: FlagsOf(FlagPartial), History: "knG",
				Anomalies: map[Anomaly]int{AnomalyResync: 2}},
		},
		{
			// The same capture on to the Finished messages: the hellos
			// were missed, but a ChangeCipherSpec still ends the
			// cleartext, so the encrypted Finished that follows must not
			// be parsed as a handshake message.
			name: "mid-stream start, on through the Finished messages",
			setup: func(c *Conn) {
				c.SetMidstream(0)
				c.SetMidstream(1)
			},
			evs: []event{
				send(0, chSpec{SNI: "lost.test"}.rec()[20:]),
				send(1, hsRec(v12, certMsg(p.server, p.caA))[300:], hsRec(v12, skeMsg(), shdMsg())),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, Resumption: ResumptionUnknown, CertReq: CertRequestedUnknown, ClientCert: ClientCertUnknown,
				ClientCerts: -1, ServerCerts: -1, Flags: FlagsOf(FlagPartial), History: "knGIi",
				Anomalies: map[Anomaly]int{AnomalyResync: 2}},
		},
		{
			name: "gap in the server's flight stops that direction",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, hsRec(v12, shSpec{}.msg())),
				gapThen(1, hsRec(v12, skeMsg(), shdMsg())),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionUnknown, CertReq: CertRequestedUnknown, ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: -1,
				Flags: FlagsOf(FlagGap, FlagTruncated), History: "CsGI"},
			check: func(t *testing.T, c *Conn, s Summary) {
				if c.Wants(1) || !c.Decided() {
					t.Errorf("after a gap: Wants(1) = %v, Decided = %v", c.Wants(1), c.Decided())
				}
			},
		},
		{
			name: "capture ends inside the server's Certificate",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, hsRec(v12, shSpec{}.msg()), hsRec(v12, certMsg(p.server, p.caA))[:300]),
				closeHalf(1),
				closeHalf(0),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionUnknown, CertReq: CertRequestedUnknown, ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: -1,
				Flags: FlagsOf(FlagTruncated), History: "Cs"},
		},
		{
			name: "capture stops mid-handshake without FIN",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, tls12Server(shSpec{}, nil)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: 2,
				Flags: FlagsOf(FlagTruncated), History: "Csxkn"},
		},
		{
			name: "server closes after the ClientHello",
			evs: []event{
				send(0, chSpec{}.rec()),
				closeHalf(1),
				closeHalf(0),
			},
			want: outcome{Client: 0, SawHello: true, Resumption: ResumptionUnknown, CertReq: CertRequestedUnknown,
				ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: -1, History: "C"},
		},
		{
			// The ClientHello comes from the half that did not send the
			// SYN (tlsscan's half 0): the roles follow the hello.
			name:  "flipped: ClientHello from half 1",
			setup: func(c *Conn) { c.SetInitiator(0) },
			evs: []event{
				send(1, chSpec{}.rec()),
				send(0, tls12Server(shSpec{}, nil)),
				send(1, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(0, serverFinish(v12)),
			},
			want: outcome{Client: 1, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 2,
				Established: true, Flags: FlagsOf(FlagFlipped), History: "^CsxknGIi"},
		},
		{
			name: "STARTTLS preamble before the ClientHello",
			evs: []event{
				send(1, []byte("220 mail.test ESMTP ready\r\n")),
				send(0, []byte("EHLO client.test\r\n")),
				send(1, []byte("250-mail.test\r\n250 STARTTLS\r\n")),
				send(0, []byte("STARTTLS\r\n")),
				send(1, []byte("220 2.0.0 Ready to start TLS\r\n")),
				send(0, chSpec{SNI: "mail.test"}.rec()),
				send(1, tls12Server(shSpec{}, nil)),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12, SNI: "mail.test",
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 2,
				Established: true, History: "CsxknGIi", Anomalies: map[Anomaly]int{AnomalyResync: 2}},
		},
		{
			name: "not TLS: HTTP",
			evs: []event{
				send(0, []byte("GET / HTTP/1.1\r\nHost: www.test\r\n\r\n")),
				send(1, []byte("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"+httpBody)),
			},
			want: outcome{Client: -1, Resumption: ResumptionUnknown, CertReq: CertRequestedUnknown, ClientCert: ClientCertUnknown,
				ClientCerts: -1, ServerCerts: -1},
			check: func(t *testing.T, c *Conn, s Summary) {
				if c.IsTLS() || c.Wants(1) || !c.Wants(0) || c.NotTLS() {
					t.Errorf("IsTLS %v, Wants(0) %v, Wants(1) %v, NotTLS %v; want false true false false",
						c.IsTLS(), c.Wants(0), c.Wants(1), c.NotTLS())
				}
			},
		},
		{
			name: "fatal alert in answer to the ClientHello",
			evs: []event{
				send(0, chSpec{SNI: "www.test"}.rec()),
				send(1, alertRec(v12, AlertFatal, 40)),
			},
			want: outcome{Client: 0, SawHello: true, SNI: "www.test", Resumption: ResumptionUnknown, CertReq: CertRequestedUnknown,
				ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: -1, Alert: "server:handshake_failure",
				History: "Cl"},
			check: func(t *testing.T, c *Conn, s Summary) {
				if !c.Decided() {
					t.Error("a fatal alert should decide the connection")
				}
			},
		},
		{
			name: "client sends close_notify after the server's flight, both close",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, tls12Server(shSpec{}, nil)),
				send(0, alertRec(v12, AlertWarning, 0)),
				closeHalf(0),
				closeHalf(1),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: 2,
				Alert: "client:close_notify", History: "CsxknL"},
		},
		{
			// close_notify is never fatal, whatever its level says.
			name: "close_notify labelled fatal, capture stops",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, hsRec(v12, shSpec{}.msg()), alertRec(v12, AlertFatal, 0)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionUnknown, CertReq: CertRequestedUnknown, ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: -1,
				Alert: "server:close_notify", Flags: FlagsOf(FlagTruncated), History: "Csl"},
		},
		{
			name: "20 KB Certificate over two records",
			opts: Options{KeepChains: true},
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, hsRec(v12, shSpec{}.msg()), mkRecords(ContentHandshake, v12, certMsg(p.big, p.caA), MaxPlaintext),
					hsRec(v12, skeMsg(), shdMsg())),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 2,
				Established: true, History: "CsxknGIi"},
			check: func(t *testing.T, c *Conn, s Summary) {
				if len(certMsg(p.big, p.caA)) <= MaxPlaintext {
					t.Fatal("the Certificate does not span records")
				}
				if diff := cmp.Diff([][]byte{p.big, p.caA}, s.ServerChain); diff != "" {
					t.Errorf("ServerChain (-want +got):\n%s", diff)
				}
				if len(s.ClientChain) != 0 {
					t.Errorf("ClientChain has %d certificates", len(s.ClientChain))
				}
			},
		},
		{
			// Every handshake header is cut across records.
			name: "server flight in 7-byte records",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, mkRecords(ContentHandshake, v12, cat(shSpec{}.msg(), certMsg(p.server), skeMsg(), shdMsg()), 7)),
				send(0, hsRec(v12, ckeMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertNone, ClientCerts: 0, ServerCerts: 1,
				Established: true, History: "CsxknGIi"},
		},
		{
			name: "malformed ClientHello extension",
			evs: []event{
				send(0, chSpec{Extra: []Extension{{Type: ExtSupportedVersions, Data: hx("03 0304 03")}}}.rec()),
				send(1, tls12Server(shSpec{}, nil)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedNo, ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: 2,
				Flags: FlagsOf(FlagMalformed, FlagTruncated), History: "Csxkn",
				Errors: []string{"client: malformed ClientHello: extension supported_versions at offset 49"}},
		},
		{
			// The Certificate's second record starts with 0x02, the
			// ServerHello type, although it continues a message: a
			// split that leaves that record incomplete must not make
			// it a (partial) ServerHello.
			name:  "mid-stream Certificate continued in a record that starts with 0x02",
			setup: func(c *Conn) { c.SetMidstream(1) },
			evs: []event{
				send(1, []byte("tail of an earlier record"), certSplitAt02()),
				send(1, hsRec(v12, skeMsg(), shdMsg())),
			},
			want: outcome{Client: 0, Resumption: ResumptionUnknown, CertReq: CertRequestedUnknown, ClientCert: ClientCertUnknown,
				ClientCerts: -1, ServerCerts: 1, Flags: FlagsOf(FlagPartial), History: "xkn",
				Anomalies: map[Anomaly]int{AnomalyResync: 1}},
		},
		{
			name: "malformed ClientHello, no answer",
			evs: []event{
				send(0, chSpec{Extra: []Extension{{Type: ExtALPN, Data: hx("0001 00")}}}.rec()),
			},
			want: outcome{Client: 0, SawHello: true, Resumption: ResumptionUnknown, CertReq: CertRequestedUnknown,
				ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: -1,
				Flags: FlagsOf(FlagMalformed, FlagTruncated), History: "C",
				Errors: []string{"client: malformed ClientHello: extension application_layer_protocol_negotiation at offset 49"}},
		},
		{
			// A hello cut short is still a TLS attempt: a row, flagged.
			name: "capture ends inside the ClientHello",
			evs: []event{
				send(0, chSpec{SNI: "cut.test"}.rec()[:30]),
				closeHalf(0),
			},
			want: outcome{Client: 0, SawHello: true, Resumption: ResumptionUnknown, CertReq: CertRequestedUnknown,
				ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: -1,
				Flags: FlagsOf(FlagTruncated), History: ""},
		},
		{
			// A record too short for even the hello's message header,
			// then not TLS: the hello's type byte alone makes it a TLS
			// attempt, as it does when a record is cut short
			// (notePartialHello), however the bytes are segmented (a
			// fuzzer's find: fed whole, this got no row).
			name: "hello type byte alone in a record, then not TLS",
			evs: []event{
				send(0, hx("16 0301 0002 0100"), []byte("HTTP/1.1 400 Bad Request\r\n")),
			},
			want: outcome{Client: 0, SawHello: true, Resumption: ResumptionUnknown, CertReq: CertRequestedUnknown,
				ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: -1,
				Flags: FlagsOf(FlagMalformed, FlagTruncated), History: "",
				Errors: []string{"client: malformed record: type at offset 7"}},
		},
		{
			// A message over the budget is passed over: a record that
			// continues it is not a message's start, whatever byte it
			// starts with (here the ClientHello type's), even when the
			// record is cut short. (The capture starts after the hellos.)
			name:   "record continuing a message over the budget starts with a hello's type",
			budget: 48 << 10,
			setup:  func(c *Conn) { c.SetMidstream(1) },
			evs: []event{
				send(1, bigMsgAfterShortRecord(mkHS(TypeCertificate, []byte(strings.Repeat("\x01", 60<<10))), 20)),
				closeHalf(1),
			},
			want: outcome{Client: -1, Resumption: ResumptionUnknown, CertReq: CertRequestedUnknown,
				ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: -1,
				Flags: FlagsOf(FlagOversize, FlagPartial), History: "x"},
		},
		{
			name: "record that is not TLS after the ServerHello",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, hsRec(v12, shSpec{}.msg()), []byte("HTTP/1.1 400 Bad Request\r\n")),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionUnknown, CertReq: CertRequestedUnknown, ClientCert: ClientCertUnknown, ClientCerts: -1, ServerCerts: -1,
				Flags: FlagsOf(FlagMalformed, FlagTruncated), History: "Cs",
				Errors: []string{"server: malformed record: type at offset 47"}},
		},
		{
			// Real servers send 340-450 KB chains and CertificateRequests
			// with hundreds of CA names; any length up to 2^24-1 is legal.
			name: "400 KB Certificate and a 60 KB CertificateRequest, no budget",
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, bigServerFlight()),
				send(0, hsRec(v12, certMsg(p.clientA), ckeMsg(), cvMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedYes, ClientCert: ClientCertSent, ClientCerts: 1, ServerCerts: bigChainLen,
				Established: true, History: "CsxkrnXGYIi"},
		},
		{
			// The same with a 48 KiB budget: neither big message fits.
			// Each is passed over to its end; what it proves stays (a
			// full handshake, certificates sent, one was requested) and
			// what it held is unknown (the count, the CA names).
			name:   "400 KB Certificate and a 60 KB CertificateRequest over the budget",
			budget: 48 << 10,
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, bigServerFlight()),
				send(0, hsRec(v12, certMsg(p.clientA), ckeMsg(), cvMsg()), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedYes, ClientCert: ClientCertSent, ClientCerts: 1, ServerCerts: -1,
				Established: true, Flags: FlagsOf(FlagOversize), History: "CsxkrnXGYIi"},
			check: func(t *testing.T, c *Conn, s Summary) {
				if s.CertRequest != nil {
					t.Errorf("CertRequest = %v for a request that was not read, want nil", s.CertRequest)
				}
			},
		},
		{
			// A client chain over the budget still answers the request:
			// an empty list would have fitted.
			name:   "client Certificate over the budget, no CertificateVerify",
			budget: 48 << 10,
			evs: []event{
				send(0, chSpec{}.rec()),
				send(1, mtlsServer(p.dnA)),
				send(0, mkRecords(ContentHandshake, v12, cat(bigCertMsg(), ckeMsg()), MaxPlaintext), clientFinish(v12)),
				send(1, serverFinish(v12)),
			},
			want: outcome{Client: 0, SawHello: true, Version: v12,
				Resumption: ResumptionFull, CertReq: CertRequestedYes, ClientCert: ClientCertSent, ClientCerts: -1, ServerCerts: 2,
				Established: true, Flags: FlagsOf(FlagCertVerifyMissing, FlagOversize), History: "CsxkrnXGIi"},
		},
	}
}

// bigMsgAfterShortRecord puts msg's first k bytes in a record of their
// own, then the rest in records as big as they may be: the second record's
// header then falls at an offset TestConnSplit splits at, even in a long
// event.
func bigMsgAfterShortRecord(msg []byte, k int) []byte {
	return cat(mkRecord(ContentHandshake, v12, msg[:k]), mkRecords(ContentHandshake, v12, msg[k:], MaxPlaintext))
}

func TestConnScenarios(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			c := sc.run(t, -1, nil)
			s := c.Summary()
			opts := cmp.Options{cmpopts.EquateEmpty()}
			if sc.errors != nil {
				opts = append(opts, cmpopts.IgnoreFields(outcome{}, "Errors"))
				if len(s.Errors) != 1 || !sc.errors.MatchString(s.Errors[0]) {
					t.Errorf("Errors = %q, want one matching %v", s.Errors, sc.errors)
				}
			}
			if diff := cmp.Diff(sc.want, outcomeOf(s), opts); diff != "" {
				t.Errorf("summary mismatch (-want +got):\n%s", diff)
			}
			if b := c.opts.Budget; b != nil {
				if b.Peak() > b.Limit() {
					t.Errorf("budget peak %d over its limit %d", b.Peak(), b.Limit())
				}
				c.Release()
				if b.Used() != 0 {
					t.Errorf("budget holds %d bytes after Release, want 0", b.Used())
				}
			}
			if sc.check != nil {
				sc.check(t, c, s)
			}
		})
	}
}

// TestConnSplit is STYLE.md's split test: whatever the segmenting, the same
// bytes give the same Summary. Each event's bytes are cut in two at every
// offset (in turn, the other events whole), then every event is fed one
// byte at a time, then in random pieces; each time the unconsumed tail is
// carried to the next call as reassembly's KeepFrom does.
func TestConnSplit(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			whole := sc.run(t, -1, nil).Summary()
			compare := func(how string, c *Conn) {
				t.Helper()
				if diff := cmp.Diff(whole, c.Summary(), bytesEqual); diff != "" {
					t.Fatalf("%s: summary differs from whole feeding (-whole +split):\n%s", how, diff)
				}
			}
			for i, e := range sc.evs {
				for _, k := range splitOffsets(len(e.data)) {
					compare(fmt.Sprintf("event %d split at %d", i, k), sc.run(t, i, splitAt(k)))
				}
			}
			compare("byte at a time", sc.run(t, -1, bytewise))
			rng := rand.New(rand.NewPCG(1, uint64(len(sc.name))))
			rounds := 20
			if testing.Short() {
				rounds = 3
			}
			for r := range rounds {
				compare(fmt.Sprintf("random pieces #%d", r), sc.run(t, -1, func(b []byte) [][]byte {
					var out [][]byte
					for len(b) > 0 {
						k := min(len(b), 1+rng.IntN(1+rng.IntN(3000)))
						out = append(out, b[:k])
						b = b[k:]
					}
					return out
				}))
			}
		})
	}
}

// bytesEqual compares byte slices as values: cmp's generic slice diff is
// far too slow for 20 KB certificate chains compared thousands of times.
var bytesEqual = cmp.Comparer(func(a, b []byte) bool { return string(a) == string(b) })

// splitOffsets is every offset of an event's bytes, except in events too
// long for that (the HTTP body), where it is every offset near the ends and
// around MaxScan, and a stride in between; -short strides past 4 KB.
func splitOffsets(n int) []int {
	limit := 24 << 10
	if testing.Short() {
		limit = 4 << 10
	}
	var ks []int
	for k := 1; k < n; k++ {
		if n <= limit || k < 64 || k > n-64 || k%4093 == 0 || k > MaxScan-16 && k < MaxScan+16 {
			ks = append(ks, k)
		}
	}
	return ks
}

// Summary can be asked for at any time (a live reporter asks on every
// decided connection) and must not change what it reports.
func TestSummaryIdempotent(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			if sc.name == "abbreviated handshake with no reason" {
			}
			c := sc.run(t, -1, nil)
			first := c.Summary()
			first.Anomalies = maps.Clone(first.Anomalies) // see TestSummaryOwned
			if diff := cmp.Diff(first, c.Summary(), bytesEqual); diff != "" {
				t.Errorf("second Summary differs (-first +second):\n%s", diff)
			}
		})
	}
}

// Summary's doc promises owned values that stay valid after the Conn is
// gone; a Summary taken early must not change when the Conn sees more.
func TestSummaryOwned(t *testing.T) {
	f := newFeeder(t, Options{}, nil)
	dup := chSpec{Extra: []Extension{{Type: 0x7777}, {Type: 0x7777}}}
	f.feed(0, dup.rec())
	early := f.c.Summary()
	want := map[Anomaly]int{AnomalyDuplicateExtension: 1}
	f.feed(1, hsRec(v12, shSpec{Extra: []Extension{{Type: 0x7777}, {Type: 0x7777}}}.msg()))
	if diff := cmp.Diff(want, early.Anomalies); diff != "" {
		t.Errorf("an earlier Summary's Anomalies changed (-want +got):\n%s", diff)
	}
}

// A split that leaves fewer than five bytes in the first Feed must not change
// how the start of a stream is recognised.
func TestConnShortFirstFeed(t *testing.T) {
	hello := mkSSLv2Hello(v10)
	for k := 1; k < 5; k++ {
		f := newFeeder(t, Options{}, nil)
		f.feed(0, hello[:k])
		f.feed(0, hello[k:])
		if s := f.c.Summary(); !s.Flags.Has(FlagSSLv2Hello) || s.History != "C" {
			t.Errorf("SSLv2 hello split at %d: flags %v, history %q", k, s.Flags, s.History)
		}
	}
}

// certSplitAt02 is a Certificate message in two records, the second of
// which starts with a 0x02 byte (a DER INTEGER tag).
func certSplitAt02() []byte {
	msg := certMsg(pkiOnce().server)
	k := 5 + slices.Index(msg[5:], 0x02)
	return cat(mkRecord(ContentHandshake, v12, msg[:k]), mkRecord(ContentHandshake, v12, msg[k:]))
}

// TestResyncDependsOnSegmenting pins down a limit of the resync heuristic
// rather than a promise: plausibleRecordAt accepts a header whose record
// ends exactly where the data ends, so the same mid-stream bytes resync or
// not depending on where a segment ended. FuzzConnFeed found this (as two
// halves' CCS letters swapping places in History); it exempts halves that
// went through the scan. Should the heuristic change, change this test and
// knownSplitDiff together.
func TestResyncDependsOnSegmenting(t *testing.T) {
	noise := cat([]byte("x"), ccsRec(v12)) // a CCS-looking record after one stray byte
	rest := []byte("GARBAGE, not a record")
	run := func(pieces ...[]byte) Summary {
		f := newFeeder(t, Options{}, func(c *Conn) { c.SetMidstream(0) })
		for _, p := range pieces {
			f.feed(0, p)
		}
		return f.c.Summary()
	}
	whole := run(cat(noise, rest))
	split := run(noise, rest)
	if whole.History != "" || len(whole.Errors) != 0 {
		t.Errorf("whole: history %q, errors %q; want nothing (no second header after the CCS)", whole.History, whole.Errors)
	}
	if split.History != "I" || len(split.Errors) != 1 {
		t.Errorf("split after the CCS: history %q, errors %q; want the CCS accepted, then a malformed record", split.History, split.Errors)
	}
}

// Giving up on a non-TLS stream should cost a scan, not an allocation per
// byte: every connection of a capture that is not filtered to TLS goes
// through it (BenchmarkConnFeedNotTLS).
func TestScanAllocations(t *testing.T) {
	body := []byte(strings.Repeat("<p>lorem ipsum dolor sit amet</p>\n", MaxScan/34+10))
	allocs := testing.AllocsPerRun(5, func() {
		c := NewConn(Options{})
		c.Feed(1, body)
	})
	if allocs > 10 {
		t.Errorf("%v allocations to scan %d bytes", allocs, MaxScan)
	}
}
