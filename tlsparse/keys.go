package tlsparse

import "strconv"

// SecretLabel names a secret of the NSS key log format (SSLKEYLOGFILE), the
// format OpenSSL, Go, GnuTLS, NSS, curl and browsers write.
type SecretLabel uint8

// The labels tlsscan uses; others in a key log are ignored.
const (
	SecretUnknown SecretLabel = iota
	// SecretMaster is CLIENT_RANDOM: the TLS <= 1.2 master secret.
	SecretMaster
	SecretClientEarlyTraffic     // CLIENT_EARLY_TRAFFIC_SECRET
	SecretClientHandshakeTraffic // CLIENT_HANDSHAKE_TRAFFIC_SECRET
	SecretServerHandshakeTraffic // SERVER_HANDSHAKE_TRAFFIC_SECRET
	SecretClientTraffic0         // CLIENT_TRAFFIC_SECRET_0
	SecretServerTraffic0         // SERVER_TRAFFIC_SECRET_0
	secretEnd
)

var secretLabelNames = [...]string{
	SecretMaster:                 "CLIENT_RANDOM",
	SecretClientEarlyTraffic:     "CLIENT_EARLY_TRAFFIC_SECRET",
	SecretClientHandshakeTraffic: "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
	SecretServerHandshakeTraffic: "SERVER_HANDSHAKE_TRAFFIC_SECRET",
	SecretClientTraffic0:         "CLIENT_TRAFFIC_SECRET_0",
	SecretServerTraffic0:         "SERVER_TRAFFIC_SECRET_0",
}

// String is the label as the key log spells it.
func (l SecretLabel) String() string {
	if l > SecretUnknown && l < secretEnd {
		return secretLabelNames[l]
	}
	return "SecretLabel(" + strconv.Itoa(int(l)) + ")"
}

// SecretLabelOf returns the label spelled s in a key log, or
// SecretUnknown.
func SecretLabelOf(s string) SecretLabel {
	for l := SecretMaster; l < secretEnd; l++ {
		if secretLabelNames[l] == s {
			return l
		}
	}
	return SecretUnknown
}

// Keys is where a Conn looks up the secrets of a connection, by its
// ClientHello's random. Reading key log files (and their growth during a
// live capture, and pcapng Decryption Secrets Blocks) is I/O and lives
// outside tlsparse, behind this interface, so that tlsparse stays pure and
// fuzzable with keys too. The returned secret must not be modified; an
// implementation must be safe for concurrent use if Conns on several
// goroutines share it.
type Keys interface {
	Secret(label SecretLabel, clientRandom []byte) ([]byte, bool)
}

// KeysGiven is implemented by Keys that may stand for no key log at all
// (a pipeline hands every Conn the same store, which pcapng secrets
// blocks may fill later): while Given is false, a Conn reads as without
// Keys, and no connection is flagged keys_missing for a log no one gave.
type KeysGiven interface {
	Keys
	Given() bool
}

// keysOn reports whether k is a key log to use.
func keysOn(k Keys) bool {
	if k == nil {
		return false
	}
	if g, ok := k.(KeysGiven); ok {
		return g.Given()
	}
	return true
}
