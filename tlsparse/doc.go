// Package tlsparse is tlsscan's TLS layer: it takes the bytes of each
// direction of one TCP connection and turns them into records, handshake
// messages and a per-connection summary (who is the client, which version,
// was the handshake resumed, was a client certificate asked for and sent).
//
// The verdicts are small types whose String is the output's spelling
// (verdict.go); the order the handshake's cleartext messages may come in is
// a pure state machine apart from parsing (state.go); the history letters
// are one table (history.go).
//
// It knows nothing of packets, files or gopacket and does no I/O, so it can be
// fuzzed from raw bytes. It imports only the standard library,
// golang.org/x/crypto/cryptobyte and, for decrypting records with secrets
// from a key log (decrypt.go), golang.org/x/crypto/chacha20poly1305. The
// secrets come in as values through the Keys interface (keys.go); reading
// key log files is the keylog package's job.
//
// # Ownership (zero-copy contract)
//
// Parse functions return structs whose []byte fields alias the input slice:
// they are valid exactly as long as the caller keeps that input unchanged.
// Conn.Feed is called with bytes that the reassembly layer reuses once Feed
// returns, so Conn copies at exactly two places: a handshake message that
// spans records (assembled in a per-direction buffer), and the few facts it
// keeps past Feed (SNI, ALPN, CA names, certificate issuers, and with
// Options.KeepChains the certificates themselves).
//
// # Errors
//
// Three outcomes are kept apart: ErrNeedMore (not a fault: feed more bytes),
// *ParseError (malformed input; it stops that direction), and anomalies
// (stable snake_case codes counted per connection, like Zeek's "weirds",
// that do not stop parsing).
package tlsparse
