package tlsparse

// The handshake's state machine, kept apart from parsing: next says which
// cleartext handshake messages can come in which order from which side.
// Conn counts AnomalyUnexpectedMessage for a message next refuses and
// carries on, so a confused peer costs an anomaly, never a verdict.
// Verdicts do not read the state: they rest on which messages each side
// sent, which stays true in a capture the machine cannot follow.

// role is the side that sent a message. Its zero value is unknown: a
// capture that starts after the hellos may not have fixed the roles yet.
type role uint8

const (
	roleUnknown role = iota
	roleClient
	roleServer
)

// state is where the handshake is, as far as cleartext messages show.
type state uint8

const (
	stateStart                 state = iota // nothing yet: the client opens
	stateClientHello                        // the server answers
	stateRetry                              // HelloRetryRequest sent: the client says hello again
	stateClientHelloRetried                 // the server answers, and may not retry twice
	stateServerHello                        // TLS <= 1.2: the server's flight, full or abbreviated
	stateServerCert                         // the server's Certificate
	stateServerStatus                       // its CertificateStatus
	stateServerKeyExchange                  // its ServerKeyExchange
	stateCertRequest                        // its CertificateRequest
	stateServerHelloDone                    // the client's flight
	stateClientCert                         // the client's Certificate
	stateClientKeyExchange                  // ClientKeyExchange without a Certificate
	stateClientKeyExchangeCert              // ClientKeyExchange after a Certificate: CertificateVerify may follow
	stateClientVerify                       // CertificateVerify
	stateServerTicket                       // NewSessionTicket after the client's flight
	stateAbbreviated                        // NewSessionTicket right after the ServerHello: a resumption
	stateTLS13                              // TLS 1.3 ServerHello: the rest is encrypted
	stateLost                               // messages missing or out of order: order cannot be judged
)

// edge is a message from one side in one state.
type edge struct {
	from state
	by   role
	t    HandshakeType
}

// transitions are the cleartext handshakes of RFC 5246 7.3 and RFC 8446 2,
// grouped by scenario: each edge leads to the state after its message.
// ChangeCipherSpec records, and the encrypted Finished after them, are not
// cleartext handshake messages and do not move the machine.
var transitions = map[edge]state{
	// Hellos. The client opens; the server answers with its ServerHello,
	// or (TLS 1.3, RFC 8446 4.1.4) once with a HelloRetryRequest, which the
	// client answers with a second ClientHello.
	{stateStart, roleClient, TypeClientHello}:              stateClientHello,
	{stateClientHello, roleServer, TypeServerHello}:        stateServerHello,
	{stateClientHello, roleServer, TypeHelloRetryRequest}:  stateRetry,
	{stateRetry, roleClient, TypeClientHello}:              stateClientHelloRetried,
	{stateClientHelloRetried, roleServer, TypeServerHello}: stateServerHello,

	// Full handshake (RFC 5246 7.3). The server's flight, each message
	// optional but in this order, ends with ServerHelloDone: Certificate
	// (none with anonymous and PSK suites), CertificateStatus (OCSP
	// stapling, RFC 6066 8), ServerKeyExchange (none with RSA key
	// exchange and plain PSK). Then the client's ClientKeyExchange and,
	// once the client has finished, the server's NewSessionTicket (RFC 5077
	// 3.3).
	{stateServerHello, roleServer, TypeCertificate}:            stateServerCert,
	{stateServerHello, roleServer, TypeServerKeyExchange}:      stateServerKeyExchange,
	{stateServerHello, roleServer, TypeServerHelloDone}:        stateServerHelloDone,
	{stateServerCert, roleServer, TypeCertificateStatus}:       stateServerStatus,
	{stateServerCert, roleServer, TypeServerKeyExchange}:       stateServerKeyExchange,
	{stateServerCert, roleServer, TypeServerHelloDone}:         stateServerHelloDone,
	{stateServerStatus, roleServer, TypeServerKeyExchange}:     stateServerKeyExchange,
	{stateServerStatus, roleServer, TypeServerHelloDone}:       stateServerHelloDone,
	{stateServerKeyExchange, roleServer, TypeServerHelloDone}:  stateServerHelloDone,
	{stateServerHelloDone, roleClient, TypeClientKeyExchange}:  stateClientKeyExchange,
	{stateClientKeyExchange, roleServer, TypeNewSessionTicket}: stateServerTicket,

	// Client certificate requested (RFC 5246 7.4.4, 7.4.6, 7.4.8). A server
	// with a certificate asks at the end of its flight, before
	// ServerHelloDone. The client's Certificate comes first in its flight
	// (or a CertificateURL, RFC 6066 5), and a CertificateVerify after its
	// ClientKeyExchange only when it sent one. Whether the server asked is
	// a verdict (client_cert_unsolicited), not a question of order.
	{stateServerCert, roleServer, TypeCertificateRequest}:           stateCertRequest,
	{stateServerStatus, roleServer, TypeCertificateRequest}:         stateCertRequest,
	{stateServerKeyExchange, roleServer, TypeCertificateRequest}:    stateCertRequest,
	{stateCertRequest, roleServer, TypeServerHelloDone}:             stateServerHelloDone,
	{stateServerHelloDone, roleClient, TypeCertificate}:             stateClientCert,
	{stateServerHelloDone, roleClient, TypeCertificateURL}:          stateClientCert,
	{stateClientCert, roleClient, TypeClientKeyExchange}:            stateClientKeyExchangeCert,
	{stateClientKeyExchangeCert, roleClient, TypeCertificateVerify}: stateClientVerify,
	{stateClientKeyExchangeCert, roleServer, TypeNewSessionTicket}:  stateServerTicket,
	{stateClientVerify, roleServer, TypeNewSessionTicket}:           stateServerTicket,

	// Supplemental data (RFC 4680): the server's right after its
	// ServerHello, the client's first in its flight. (A repeat is not
	// told apart.)
	{stateServerHello, roleServer, TypeSupplementalData}:     stateServerHello,
	{stateServerHelloDone, roleClient, TypeSupplementalData}: stateServerHelloDone,

	// Abbreviated handshake: resumption (RFC 5246 7.3, RFC 5077 3.1). The
	// server goes from ServerHello to its ChangeCipherSpec, issuing a new
	// ticket on the way if it likes; the client answers with only
	// ChangeCipherSpec and Finished. Nothing moves the machine on a
	// session-ID resumption: it stays at stateServerHello, where no client
	// message can come.
	{stateServerHello, roleServer, TypeNewSessionTicket}: stateAbbreviated,

	// TLS 1.3 (RFC 8446 2): everything after the ServerHello is encrypted,
	// so stateTLS13 has no edge. next sends a ServerHello that negotiated
	// TLS 1.3 there instead of to stateServerHello.
}

// next is the handshake's state machine: in state s, the cleartext handshake
// message of type t from side by leads to the state returned, and ok is
// false when t cannot come in s from that side. The machine is then lost:
// it no longer knows where the handshake is, so one message out of order
// counts once, not again for each message after it. A ServerHello with RFC
// 8446 4.1.3's random is passed as TypeHelloRetryRequest (the drafts' own
// message), and tls13 says whether a ServerHello negotiated TLS 1.3; no
// other message reads it.
func next(s state, by role, t HandshakeType, tls13 bool) (state, bool) {
	switch {
	case s == stateLost:
		// The capture misses messages (it began after the hellos, or a
		// direction stopped at a gap or malformed bytes), or a message
		// came out of order: the order of the rest cannot be judged. The
		// hellos still cannot come from the wrong side: the ClientHello
		// is what makes a side the client.
		switch t {
		case TypeClientHello:
			return s, by != roleServer
		case TypeServerHello, TypeHelloRetryRequest:
			return s, by != roleClient
		}
		return s, true

	case t == TypeHelloRequest:
		// Renegotiation and hello request (RFC 5246 7.4.1.1). A server
		// may send HelloRequest at any time, and a client in the middle
		// of a handshake ignores it. TLS 1.3 has none.
		if by == roleClient || s == stateTLS13 {
			return stateLost, false
		}
		return s, true

	case t == TypeClientHello && by == roleClient && afterServerHello12(s):
		// A ClientHello after a TLS <= 1.2 ServerHello starts a new
		// handshake: a renegotiation in the clear, which Conn counts as
		// such.
		return stateClientHello, true
	}
	n, ok := transitions[edge{s, by, t}]
	switch {
	case !ok:
		return stateLost, false
	case n == stateServerHello && tls13:
		return stateTLS13, true
	}
	return n, true
}

// afterServerHello12 reports whether s follows a TLS <= 1.2 ServerHello.
func afterServerHello12(s state) bool {
	switch s {
	case stateServerHello, stateServerCert, stateServerStatus, stateServerKeyExchange, stateCertRequest,
		stateServerHelloDone, stateClientCert, stateClientKeyExchange, stateClientKeyExchangeCert,
		stateClientVerify, stateServerTicket, stateAbbreviated:
		return true
	}
	return false
}
