package tlsparse

// Zeek's ssl_history alphabet (base/protocols/ssl/main.zeek), the output's
// history column (docs/output.md "History letters"): one letter per
// cleartext handshake message, by type, and one per ChangeCipherSpec,
// alert and heartbeat record. Letters are stored upper case, with the
// sending half in bit 7; renderHistory writes the client's upper case and
// the server's lower case.
//
// Two messages take another type's letter: a ServerHello with the
// HelloRetryRequest random is lettered as TypeHelloRetryRequest (J), and
// an SSLv2-format hello as TypeClientHello (C).
var handshakeLetters = [...]byte{
	TypeHelloRequest:        'H',
	TypeClientHello:         'C',
	TypeServerHello:         'S',
	TypeHelloVerifyRequest:  'V',
	TypeNewSessionTicket:    'T',
	TypeEndOfEarlyData:      'E',
	TypeHelloRetryRequest:   'J',
	TypeEncryptedExtensions: 'O',
	TypeCertificate:         'X',
	TypeServerKeyExchange:   'K',
	TypeCertificateRequest:  'R',
	TypeServerHelloDone:     'N',
	TypeCertificateVerify:   'Y',
	TypeClientKeyExchange:   'G',
	TypeFinished:            'F', // only ever in the clear by mistake: after CCS it is encrypted
	TypeCertificateURL:      'W',
	TypeCertificateStatus:   'U',
	TypeSupplementalData:    'A',
	TypeKeyUpdate:           'P',
	TypeMessageHash:         'M',
}

// The letters that are not a handshake message's.
const (
	letterOther     = 'Z' // a handshake type Zeek has no letter for
	letterCCS       = 'I' // a change_cipher_spec record
	letterAlert     = 'L' // each alert of a cleartext alert record
	letterHeartbeat = 'B' // a heartbeat record
)

// maxHistory caps the letters kept, as Zeek does.
const maxHistory = 100

// historyLetter is the letter of a handshake message of type t.
func historyLetter(t HandshakeType) byte {
	if int(t) < len(handshakeLetters) && handshakeLetters[t] != 0 {
		return handshakeLetters[t]
	}
	return letterOther
}

// addHistory adds a letter for half h. Messages and alerts read with a
// key log get none: Zeek's letters are the cleartext's.
func (c *Conn) addHistory(h int, letter byte) {
	if len(c.history) < maxHistory && !c.inDecrypt {
		if h == 1 {
			letter |= 0x80
		}
		c.history = append(c.history, letter)
	}
}

// renderHistory spells the letters with the client upper case and the
// server lower case. Before the roles are known (a capture that starts
// mid-handshake and never shows a role-fixing message) half 0 counts as
// the client.
func (c *Conn) renderHistory() string {
	client := byte(0)
	if c.client == 1 {
		client = 1
	}
	out := make([]byte, 0, len(c.history)+1)
	if c.initiator >= 0 && c.client >= 0 && c.initiator != c.client {
		out = append(out, '^')
	}
	for _, l := range c.history {
		h := l >> 7
		l &= 0x7f
		if h != client {
			l = l - 'A' + 'a'
		}
		out = append(out, l)
	}
	return string(out)
}
