package pipeline_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// cipherSuiteByName returns the cipher suite that name denotes; the peer
// tests use it to read Zeek's and Suricata's cipher columns back into values.
// It accepts, in this order:
//
//   - the IANA name exactly as CipherSuite.String prints it;
//   - the same name in any ASCII letter case (Zeek's ssl.log writes
//     TLS_DH_ANON_... where IANA writes TLS_DH_anon_...);
//   - the 0xNNNN fallback that String prints for unnamed values, so that
//     cipherSuiteByName(c.String()) returns c for every c;
//   - the names Zeek gives to values IANA has not registered or has renamed
//     (zeekCipherAliases), so that every cipher in a Zeek log maps to a
//     value. String never prints these.
//
// It lives in test code: the program never reads a cipher name.
func cipherSuiteByName(name string) (tlsparse.CipherSuite, bool) {
	idx := cipherSuiteIndex()
	if v, ok := idx.exact[name]; ok {
		return v, true
	}
	if v, ok := idx.folded[strings.ToUpper(name)]; ok {
		return v, true
	}
	if len(name) == 6 && (strings.HasPrefix(name, "0x") || strings.HasPrefix(name, "0X")) {
		if v, err := strconv.ParseUint(name[2:], 16, 16); err == nil {
			return tlsparse.CipherSuite(v), true
		}
	}
	return 0, false
}

type cipherNameIndex struct {
	exact  map[string]tlsparse.CipherSuite // IANA names
	folded map[string]tlsparse.CipherSuite // upper-cased IANA names and Zeek aliases
}

// cipherSuiteIndex sweeps the value space through String, so the index holds
// exactly the names the program prints.
var cipherSuiteIndex = sync.OnceValue(func() cipherNameIndex {
	idx := cipherNameIndex{
		exact:  map[string]tlsparse.CipherSuite{},
		folded: map[string]tlsparse.CipherSuite{},
	}
	for v := 0; v <= 0xffff; v++ {
		c := tlsparse.CipherSuite(v)
		name := c.String()
		if strings.HasPrefix(name, "0x") {
			continue
		}
		idx.exact[name] = c
		idx.folded[strings.ToUpper(name)] = c
	}
	for _, e := range zeekCipherAliases {
		idx.folded[strings.ToUpper(e.name)] = tlsparse.CipherSuite(e.v)
	}
	return idx
})

// zeekCipherAliases are the cipher names Zeek's consts.zeek (cipher_desc)
// prints that are not the IANA name of that value: values IANA reserves or
// never assigned but that deployed stacks used, and IANA's former name of a
// renamed value. Only cipherSuiteByName reads them; String prints these
// values as 0xNNNN (or, for 0x1306, the current IANA name). Zeek's
// TLS_DH_ANON_/TLS_ECDH_ANON_ spelling needs no entry: cipherSuiteByName
// ignores letter case.
var zeekCipherAliases = []struct {
	v    uint16
	name string
}{
	{0x001C, "SSL_FORTEZZA_KEA_WITH_NULL_SHA"},
	{0x001D, "SSL_FORTEZZA_KEA_WITH_FORTEZZA_CBC_SHA"},
	{0x0060, "TLS_RSA_EXPORT1024_WITH_RC4_56_MD5"},
	{0x0061, "TLS_RSA_EXPORT1024_WITH_RC2_CBC_56_MD5"},
	{0x0062, "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA"},
	{0x0063, "TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA"},
	{0x0064, "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA"},
	{0x0065, "TLS_DHE_DSS_EXPORT1024_WITH_RC4_56_SHA"},
	{0x0066, "TLS_DHE_DSS_WITH_RC4_128_SHA"},
	{0x0072, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_RMD"},
	{0x0073, "TLS_DHE_DSS_WITH_AES_128_CBC_RMD"},
	{0x0074, "TLS_DHE_DSS_WITH_AES_256_CBC_RMD"},
	{0x0077, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_RMD"},
	{0x0078, "TLS_DHE_RSA_WITH_AES_128_CBC_RMD"},
	{0x0079, "TLS_DHE_RSA_WITH_AES_256_CBC_RMD"},
	{0x007C, "TLS_RSA_WITH_3DES_EDE_CBC_RMD"},
	{0x007D, "TLS_RSA_WITH_AES_128_CBC_RMD"},
	{0x007E, "TLS_RSA_WITH_AES_256_CBC_RMD"},
	{0x0080, "TLS_GOSTR341094_WITH_28147_CNT_IMIT"},
	{0x0081, "TLS_GOSTR341001_WITH_28147_CNT_IMIT"},
	{0x0082, "TLS_GOSTR341094_WITH_NULL_GOSTR3411"},
	{0x0083, "TLS_GOSTR341001_WITH_NULL_GOSTR3411"},
	{0x1306, "TLS_AEGIS_256_SHA384"},
	{0x16B7, "TLS_CECPQ1_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0x16B8, "TLS_CECPQ1_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0x16B9, "TLS_CECPQ1_RSA_WITH_AES_256_GCM_SHA384"},
	{0x16BA, "TLS_CECPQ1_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xCC13, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD"},
	{0xCC14, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256_OLD"},
	{0xCC15, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD"},
	{0xD004, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256_OLD"},
	{0xFEFE, "SSL_RSA_FIPS_WITH_DES_CBC_SHA"},
	{0xFEFF, "SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA"},
	{0xFF80, "SSL_RSA_WITH_RC2_CBC_MD5"},
	{0xFF81, "SSL_RSA_WITH_IDEA_CBC_MD5"},
	{0xFF82, "SSL_RSA_WITH_DES_CBC_MD5"},
	{0xFF83, "SSL_RSA_WITH_3DES_EDE_CBC_MD5"},
	{0xFFE0, "SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA_2"},
	{0xFFE1, "SSL_RSA_FIPS_WITH_DES_CBC_SHA_2"},
}

// TestZeekCipherAliases checks that the alias table is sorted and that no
// alias collides (ignoring case) with a name the program prints.
func TestZeekCipherAliases(t *testing.T) {
	printed := map[string]uint16{}
	for v := 0; v <= 0xffff; v++ {
		if name := tlsparse.CipherSuite(v).String(); !strings.HasPrefix(name, "0x") {
			printed[strings.ToUpper(name)] = uint16(v)
		}
	}
	for i, e := range zeekCipherAliases {
		if i > 0 && zeekCipherAliases[i-1].v >= e.v {
			t.Errorf("entry %d (%#04x) not above entry %d (%#04x)", i, e.v, i-1, zeekCipherAliases[i-1].v)
		}
		if prev, dup := printed[strings.ToUpper(e.name)]; dup {
			t.Errorf("alias %q (%#04x) collides with the name of %#04x", e.name, e.v, prev)
		}
	}
}

func TestCipherSuiteByName(t *testing.T) {
	// Every value round-trips through its String, named or not.
	for v := 0; v <= 0xffff; v++ {
		c := tlsparse.CipherSuite(v)
		if got, ok := cipherSuiteByName(c.String()); !ok || got != c {
			t.Fatalf("cipherSuiteByName(%q) = %#04x, %v; want %#04x", c.String(), uint16(got), ok, v)
		}
	}
	tests := []struct {
		name string
		want tlsparse.CipherSuite
		ok   bool
	}{
		{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC02F, true},
		{"tls_ecdhe_rsa_with_aes_128_gcm_sha256", 0xC02F, true},
		{"TLS_DH_ANON_WITH_AES_128_CBC_SHA", 0x0034, true}, // Zeek's spelling
		{"TLS_ECDH_ANON_WITH_NULL_SHA", 0xC015, true},      // Zeek's spelling
		{"TLS_AEGIS_256_SHA384", 0x1306, true},             // former IANA name
		{"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD", 0xCC13, true},
		{"SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA", 0xFEFF, true},
		{"0x1301", 0x1301, true},
		{"0XC02f", 0xC02F, true},
		{"0x13011", 0, false},
		{"0x+301", 0, false},
		{"0x", 0, false},
		{"", 0, false},
		{"TLS_NOT_A_SUITE", 0, false},
		{"TLS_AES_128_GCM_SHA256 ", 0, false},
	}
	for _, tt := range tests {
		got, ok := cipherSuiteByName(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("cipherSuiteByName(%q) = %#04x, %v; want %#04x, %v", tt.name, uint16(got), ok, uint16(tt.want), tt.ok)
		}
	}
}
