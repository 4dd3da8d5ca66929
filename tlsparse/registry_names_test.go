package tlsparse

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestRegistrySpotChecks(t *testing.T) {
	tests := []struct {
		v    fmt.Stringer
		want string
	}{
		{VersionSSL3, "SSLv3"},
		{VersionTLS12, "TLSv1.2"},
		{VersionTLS13, "TLSv1.3"},

		{CipherSuite(0x0000), "TLS_NULL_WITH_NULL_NULL"},
		{CipherSuite(0x0004), "TLS_RSA_WITH_RC4_128_MD5"},
		{CipherSuite(0x000A), "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
		{CipherSuite(0x0034), "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
		{CipherSuite(0x006E), "TLS_ASCONAEAD128_ASCONHASH256"},
		{CipherSuite(0x009E), "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
		{CipherSuite(0x00C6), "TLS_SM4_GCM_SM3"},
		{CipherSuite(0x00FF), "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
		{CipherSuite(0x1301), "TLS_AES_128_GCM_SHA256"},
		{CipherSuite(0x1303), "TLS_CHACHA20_POLY1305_SHA256"},
		{CipherSuite(0x1306), "TLS_AEGIS_256_SHA512"},
		{CipherSuite(0x5600), "TLS_FALLBACK_SCSV"},
		{CipherSuite(0xC02B), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
		{CipherSuite(0xC02F), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{CipherSuite(0xC030), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
		{CipherSuite(0xC05C), "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"},
		{CipherSuite(0xC0AA), "TLS_PSK_DHE_WITH_AES_128_CCM_8"},
		{CipherSuite(0xC0B0), "TLS_ECCPWD_WITH_AES_128_GCM_SHA256"},
		{CipherSuite(0xC102), "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT"},
		{CipherSuite(0xCCA8), "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
		{CipherSuite(0xCCA9), "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
		{CipherSuite(0xD005), "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256"},

		{ExtServerName, "server_name"},
		{ExtensionType(1), "max_fragment_length"},
		{ExtSupportedGroups, "supported_groups"},
		{ExtSignatureAlgorithms, "signature_algorithms"},
		{ExtALPN, "application_layer_protocol_negotiation"},
		{ExtensionType(18), "signed_certificate_timestamp"},
		{ExtensionType(21), "padding"},
		{ExtensionType(23), "extended_master_secret"}, // override: IANA says extended_main_secret
		{ExtensionType(27), "compress_certificate"},
		{ExtSessionTicket, "session_ticket"},
		{ExtSupportedVersions, "supported_versions"},
		{ExtensionType(49), "post_handshake_auth"},
		{ExtKeyShare, "key_share"},
		{ExtensionType(53), "connection_id_deprecated"},
		{ExtensionType(54), "connection_id"},
		{ExtensionType(13172), "next_protocol_negotiation"},
		{ExtensionType(17513), "application_settings"},
		{ExtensionType(0xfe0d), "encrypted_client_hello"},
		{ExtRenegotiationInfo, "renegotiation_info"},

		{AlertDescription(0), "close_notify"},
		{AlertDescription(20), "bad_record_mac"},
		{AlertDescription(40), "handshake_failure"},
		{AlertDescription(41), "no_certificate"},
		{AlertDescription(86), "inappropriate_fallback"},
		{AlertDescription(109), "missing_extension"},
		{AlertDescription(112), "unrecognized_name"},
		{AlertDescription(117), "general_error"},
		{AlertDescription(120), "no_application_protocol"},
		{AlertDescription(121), "ech_required"},

		{SignatureScheme(0x0201), "rsa_pkcs1_sha1"},
		{SignatureScheme(0x0403), "ecdsa_secp256r1_sha256"},
		{SignatureScheme(0x0804), "rsa_pss_rsae_sha256"},
		{SignatureScheme(0x0807), "ed25519"},
		{SignatureScheme(0x081B), "ecdsa_brainpoolP384r1tls13_sha384"},
		{SignatureScheme(0x0905), "mldsa65"},
		{SignatureScheme(0x0911), "slhdsa_sha2_128s"},
		{SignatureScheme(0x091C), "slhdsa_shake_256f"},
		{SignatureScheme(0x0101), "rsa_pkcs1_md5"}, // TLS 1.2 pair
		{SignatureScheme(0x0402), "dsa_sha256"},    // TLS 1.2 pair
		{SignatureScheme(0x0303), "ecdsa_sha224"},  // TLS 1.2 pair
		{SignatureScheme(0x0840), "gostr34102012_256"},

		{ClientCertificateType(1), "rsa_sign"},
		{ClientCertificateType(20), "fortezza_dms"},
		{ClientCertificateType(64), "ecdsa_sign"},
		{ClientCertificateType(68), "gost_sign512"},

		{NamedGroup(1), "sect163k1"},
		{NamedGroup(23), "secp256r1"},
		{NamedGroup(24), "secp384r1"},
		{NamedGroup(25), "secp521r1"},
		{NamedGroup(29), "x25519"},
		{NamedGroup(30), "x448"},
		{NamedGroup(31), "brainpoolP256r1tls13"},
		{NamedGroup(256), "ffdhe2048"},
		{NamedGroup(0x11eb), "SecP256r1MLKEM768"},
		{NamedGroup(0x11ec), "X25519MLKEM768"},
		{NamedGroup(0x11ed), "SecP384r1MLKEM1024"},
		{NamedGroup(0x6399), "X25519Kyber768Draft00"},
		{NamedGroup(0xff02), "arbitrary_explicit_char2_curves"},

		{TypeHelloRequest, "hello_request"},
		{HandshakeType(17), "client_certificate_request"},
		{TypeClientHello, "client_hello"},
		{TypeServerHello, "server_hello"},
		{TypeNewSessionTicket, "new_session_ticket"},
		{TypeEncryptedExtensions, "encrypted_extensions"},
		{TypeServerKeyExchange, "server_key_exchange"},
		{TypeCertificateVerify, "certificate_verify"},
		{TypeFinished, "finished"},
		{TypeKeyUpdate, "key_update"},
		{TypeMessageHash, "message_hash"},

		{ContentChangeCipherSpec, "change_cipher_spec"},
		{ContentAlert, "alert"},
		{ContentHandshake, "handshake"},
		{ContentApplicationData, "application_data"},
		{ContentHeartbeat, "heartbeat"},
		{ContentType(26), "ack"}, // override: IANA says ACK
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%T(%#x).String() = %q, want %q", tt.v, tt.v, got, tt.want)
		}
	}
}

func TestRegistryFallback(t *testing.T) {
	tests := []struct {
		v    fmt.Stringer
		want string
	}{
		{Version(0x0305), "0x0305"},
		{Version(0x7f1c), "0x7F1C"},
		{Version(0xfefd), "0xFEFD"},
		{CipherSuite(0x001C), "0x001C"}, // reserved (Fortezza)
		{CipherSuite(0x0060), "0x0060"}, // reserved (EXPORT1024)
		{CipherSuite(0xCC13), "0xCC13"}, // pre-RFC ChaCha20
		{CipherSuite(0xD004), "0xD004"}, // unassigned
		{CipherSuite(0xFFFF), "0xFFFF"}, // private use
		{ExtensionType(40), "0x0028"},   // reserved
		{ExtensionType(63), "0x003F"},
		{ExtensionType(0xff00), "0xFF00"},
		{SignatureScheme(0x0000), "0x0000"},
		{SignatureScheme(0x0100), "0x0100"}, // md5 + anonymous
		{SignatureScheme(0x0104), "0x0104"}, // md5 + "4" (reserved)
		{SignatureScheme(0x0407), "0x0407"}, // sha256 + ed25519: not a pair
		{SignatureScheme(0xfe00), "0xFE00"}, // private use
		{NamedGroup(0), "0x0000"},
		{NamedGroup(0xfe00), "0xFE00"},
		{HandshakeType(7), "0x0007"},
		{HandshakeType(255), "0x00FF"},
		{ContentType(0), "0x0000"},
		{ContentType(28), "0x001C"},
		{ClientCertificateType(0), "0x00"},
		{ClientCertificateType(7), "0x07"},
		{ClientCertificateType(255), "0xFF"},
		// Alerts are one byte and fall back to decimal.
		{AlertDescription(1), "unknown(1)"},
		{AlertDescription(53), "unknown(53)"},
		{AlertDescription(255), "unknown(255)"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%T(%#x).String() = %q, want %q", tt.v, tt.v, got, tt.want)
		}
	}
}

func TestRegistryGREASE(t *testing.T) {
	n := 0
	for v := 0; v <= 0xffff; v++ {
		g := uint16(v)
		if !IsGREASE(g) {
			continue
		}
		n++
		want := hex4(g)
		for _, s := range []fmt.Stringer{CipherSuite(g), ExtensionType(g), NamedGroup(g), SignatureScheme(g), Version(g)} {
			if got := s.String(); got != want {
				t.Errorf("GREASE %T(%#04x).String() = %q, want %q", s, g, got, want)
			}
		}
	}
	if n != 16 {
		t.Errorf("IsGREASE matched %d values, want 16", n)
	}
}

// ianaTables lists every sparse table with the String of its type.
func ianaTables() map[string]struct {
	table []ianaEntry
	str   func(uint16) string
} {
	type tab = struct {
		table []ianaEntry
		str   func(uint16) string
	}
	return map[string]tab{
		"CipherSuite":     {cipherSuiteNames, func(v uint16) string { return CipherSuite(v).String() }},
		"ExtensionType":   {extensionTypeNames, func(v uint16) string { return ExtensionType(v).String() }},
		"NamedGroup":      {namedGroupNames, func(v uint16) string { return NamedGroup(v).String() }},
		"SignatureScheme": {signatureSchemeNames, func(v uint16) string { return SignatureScheme(v).String() }},
	}
}

func TestRegistryTablesSorted(t *testing.T) {
	tables := ianaTables()
	for name, tab := range tables {
		for i := 1; i < len(tab.table); i++ {
			if tab.table[i-1].v >= tab.table[i].v {
				t.Errorf("%s: entry %d (%#04x) not above entry %d (%#04x)", name, i, tab.table[i].v, i-1, tab.table[i-1].v)
			}
		}
	}
}

// TestRegistryNamedValues checks, for every registry, that each named value
// prints its name, that the name is not the fallback text, that names are
// unique within the registry and free of spaces, and that a sweep of the
// whole value space finds exactly the named values.
func TestRegistryNamedValues(t *testing.T) {
	sizes := map[string]int{
		"CipherSuite":     356,
		"ExtensionType":   67,
		"NamedGroup":      57,
		"SignatureScheme": 61,
	}
	for name, tab := range ianaTables() {
		if got, want := len(tab.table), sizes[name]; got != want {
			t.Errorf("%s: %d names, want %d", name, got, want)
		}
		seen := map[string]uint16{}
		for _, e := range tab.table {
			got := tab.str(e.v)
			if got != e.name {
				t.Errorf("%s(%#04x) = %q, want %q", name, e.v, got, e.name)
			}
			if got == hex4(e.v) || e.name == "" || strings.ContainsAny(e.name, " ()") {
				t.Errorf("%s(%#04x): bad name %q", name, e.v, e.name)
			}
			if prev, dup := seen[e.name]; dup {
				t.Errorf("%s: %#04x and %#04x share the name %q", name, prev, e.v, e.name)
			}
			seen[e.name] = e.v
		}
		named := 0
		for v := 0; v <= 0xffff; v++ {
			if tab.str(uint16(v)) != hex4(uint16(v)) {
				named++
			}
		}
		if named != len(tab.table) {
			t.Errorf("%s: sweep found %d named values, table has %d", name, named, len(tab.table))
		}
	}

	byteTables := []struct {
		name     string
		names    *[256]string
		str      func(uint8) string
		fallback func(uint8) string
		size     int
	}{
		{"ContentType", &contentTypeNames, func(v uint8) string { return ContentType(v).String() },
			func(v uint8) string { return hex4(uint16(v)) }, 8},
		{"HandshakeType", &handshakeTypeNames, func(v uint8) string { return HandshakeType(v).String() },
			func(v uint8) string { return hex4(uint16(v)) }, 25},
		{"AlertDescription", &alertNames, func(v uint8) string { return AlertDescription(v).String() },
			func(v uint8) string { return fmt.Sprintf("unknown(%d)", v) }, 37},
		{"ClientCertificateType", &clientCertTypeNames, func(v uint8) string { return ClientCertificateType(v).String() },
			func(v uint8) string { return fmt.Sprintf("0x%02X", v) }, 12},
	}
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	for _, bt := range byteTables {
		n := 0
		seen := map[string]int{}
		for v := 0; v < 256; v++ {
			got, fb := bt.str(uint8(v)), bt.fallback(uint8(v))
			if bt.names[v] == "" {
				if got != fb {
					t.Errorf("%s(%d) = %q, want fallback %q", bt.name, v, got, fb)
				}
				continue
			}
			n++
			if got != bt.names[v] || got == fb || !snake.MatchString(got) {
				t.Errorf("%s(%d) = %q: not its snake_case name %q", bt.name, v, got, bt.names[v])
			}
			if prev, dup := seen[got]; dup {
				t.Errorf("%s: %d and %d share the name %q", bt.name, prev, v, got)
			}
			seen[got] = v
		}
		if n != bt.size {
			t.Errorf("%s: %d names, want %d", bt.name, n, bt.size)
		}
	}
}

func TestRegistryCipherSuiteNames(t *testing.T) {
	form := regexp.MustCompile(`^TLS_[A-Za-z0-9_]+[A-Za-z0-9]$`)
	folded := map[string]uint16{}
	for _, e := range cipherSuiteNames {
		if !form.MatchString(e.name) || strings.Contains(e.name, "__") {
			t.Errorf("%#04x: malformed name %q", e.v, e.name)
		}
		if prev, dup := folded[strings.ToUpper(e.name)]; dup {
			t.Errorf("%#04x and %#04x share the name %q (ignoring case)", prev, e.v, e.name)
		}
		folded[strings.ToUpper(e.name)] = e.v
	}
}

func TestRegistryStringNoAlloc(t *testing.T) {
	var sink string
	allocs := testing.AllocsPerRun(100, func() {
		sink = CipherSuite(0xC02F).String()
		sink = CipherSuite(0x1301).String()
		sink = ExtensionType(0xff01).String()
		sink = NamedGroup(0x11ec).String()
		sink = SignatureScheme(0x0804).String()
		sink = AlertDescription(40).String()
		sink = ClientCertificateType(64).String()
		sink = HandshakeType(1).String()
		sink = ContentType(22).String()
		sink = VersionTLS13.String()
	})
	_ = sink
	if allocs != 0 {
		t.Errorf("String of named values allocates %v times per run, want 0", allocs)
	}
}
