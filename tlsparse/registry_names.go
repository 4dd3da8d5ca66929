package tlsparse

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Name tables for the registries declared in registry.go.
//
// Sources: the IANA "TLS Parameters" and "TLS Extensions" registries (the
// tls-parameters-4/-8 and tls-signaturescheme CSV exports), cross-checked
// against Zeek's scripts/base/protocols/ssl/consts.zeek and Wireshark's
// packet-tls-utils.c. Spelling follows IANA exactly, with these documented
// exceptions:
//
//   - "_RESERVED" suffixes that IANA adds to values retired by TLS 1.3
//     (e.g. "server_key_exchange_RESERVED", "no_certificate_RESERVED") are
//     dropped: a passive analyzer still sees those messages in TLS 1.2 and
//     older traffic and names them as the protocol that sent them does.
//   - Names containing spaces or parentheses are put into snake_case
//     ("connection_id (deprecated)" → "connection_id_deprecated",
//     "X25519Kyber768Draft00 (OBSOLETE)" → "X25519Kyber768Draft00").
//   - A few unregistered code points that are common on the wire are named
//     (each is marked "not IANA" below).
//
// Lookups never allocate for named values: 8-bit registries are arrays
// indexed by value, 16-bit registries are sorted tables searched by binary
// search. Only the fallback text for an unnamed value is formatted.

// ianaEntry is one row of a sparse 16-bit registry table. Every table of
// ianaEntry is sorted by strictly ascending v (TestRegistryTablesSorted).
type ianaEntry struct {
	v    uint16
	name string
}

// ianaLookup binary-searches the sorted table t for v.
func ianaLookup(t []ianaEntry, v uint16) (string, bool) {
	lo, hi := 0, len(t)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t[m].v < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(t) && t[lo].v == v {
		return t[lo].name, true
	}
	return "", false
}

// String returns the version as tlsscan reports it (SSLv3, TLSv1.2, ...);
// this spelling is an output contract, not an IANA name.
func (v Version) String() string {
	switch v {
	case VersionSSL2:
		return "SSLv2"
	case VersionSSL3:
		return "SSLv3"
	case VersionTLS10:
		return "TLSv1.0"
	case VersionTLS11:
		return "TLSv1.1"
	case VersionTLS12:
		return "TLSv1.2"
	case VersionTLS13:
		return "TLSv1.3"
	}
	return hex4(uint16(v))
}

// String returns the IANA "TLS Cipher Suites" description, or 0xNNNN.
func (c CipherSuite) String() string {
	if s, ok := ianaLookup(cipherSuiteNames, uint16(c)); ok {
		return s
	}
	return hex4(uint16(c))
}

// String returns the IANA "TLS ExtensionType Values" name, or 0xNNNN.
func (e ExtensionType) String() string {
	if s, ok := ianaLookup(extensionTypeNames, uint16(e)); ok {
		return s
	}
	return hex4(uint16(e))
}

// String returns the IANA "TLS Alerts" name. An unnamed description prints
// as unknown(N) with N in decimal, not 0xNNNN like the other registries: the
// alert is a single byte, which TLS tooling (and RFC text) writes in decimal.
func (a AlertDescription) String() string {
	if s := alertNames[a]; s != "" {
		return s
	}
	return "unknown(" + strconv.Itoa(int(a)) + ")"
}

// String returns the IANA "TLS SignatureScheme" name. A TLS 1.2
// SignatureAndHashAlgorithm pair that is not also a registered scheme is
// named <signature>_<hash> from the TLS 1.2 SignatureAlgorithm and
// HashAlgorithm registries, with rsa written rsa_pkcs1 as the TLS 1.3
// schemes write it (0x0101 rsa_pkcs1_md5, 0x0202 dsa_sha1, 0x0303
// ecdsa_sha224); with the Intrinsic hash the name is the signature algorithm
// alone (0x0840 gostr34102012_256), as for ed25519 (0x0807). Anything else
// prints as 0xNNNN.
func (s SignatureScheme) String() string {
	if n, ok := ianaLookup(signatureSchemeNames, uint16(s)); ok {
		return n
	}
	return hex4(uint16(s))
}

// String returns the IANA "TLS ClientCertificateType Identifiers" name, or
// 0xNN (the type is one byte).
func (t ClientCertificateType) String() string {
	if s := clientCertTypeNames[t]; s != "" {
		return s
	}
	return fmt.Sprintf("0x%02X", uint8(t))
}

// String returns the IANA "TLS Supported Groups" name, or 0xNNNN.
func (g NamedGroup) String() string {
	if s, ok := ianaLookup(namedGroupNames, uint16(g)); ok {
		return s
	}
	return hex4(uint16(g))
}

// String returns the IANA "TLS HandshakeType" name, or 0xNNNN.
func (t HandshakeType) String() string {
	if s := handshakeTypeNames[t]; s != "" {
		return s
	}
	return hex4(uint16(t))
}

// String returns the IANA "TLS ContentType" name, or 0xNNNN.
func (t ContentType) String() string {
	if s := contentTypeNames[t]; s != "" {
		return s
	}
	return hex4(uint16(t))
}

// CipherSuiteByName returns the cipher suite that name denotes. It accepts,
// in this order:
//
//   - the IANA name exactly as CipherSuite.String prints it;
//   - the same name in any ASCII letter case (Zeek's ssl.log writes
//     TLS_DH_ANON_... where IANA writes TLS_DH_anon_...);
//   - the 0xNNNN fallback that String prints for unnamed values, so that
//     CipherSuiteByName(c.String()) returns c for every c;
//   - the names Zeek gives to values IANA has not registered or has renamed
//     (zeekCipherAliases), so that every cipher in a Zeek log maps to a
//     value. String never prints these.
func CipherSuiteByName(name string) (CipherSuite, bool) {
	idx := cipherSuiteIndex()
	if v, ok := idx.exact[name]; ok {
		return CipherSuite(v), true
	}
	if v, ok := idx.folded[strings.ToUpper(name)]; ok {
		return CipherSuite(v), true
	}
	if len(name) == 6 && (strings.HasPrefix(name, "0x") || strings.HasPrefix(name, "0X")) {
		if v, err := strconv.ParseUint(name[2:], 16, 16); err == nil {
			return CipherSuite(v), true
		}
	}
	return 0, false
}

type cipherNameIndex struct {
	exact  map[string]uint16 // IANA names
	folded map[string]uint16 // upper-cased IANA names and Zeek aliases
}

var cipherSuiteIndex = sync.OnceValue(func() cipherNameIndex {
	idx := cipherNameIndex{
		exact:  make(map[string]uint16, len(cipherSuiteNames)),
		folded: make(map[string]uint16, len(cipherSuiteNames)+len(zeekCipherAliases)),
	}
	for _, e := range cipherSuiteNames {
		idx.exact[e.name] = e.v
		idx.folded[strings.ToUpper(e.name)] = e.v
	}
	for _, e := range zeekCipherAliases {
		idx.folded[strings.ToUpper(e.name)] = e.v
	}
	return idx
})

// contentTypeNames is IANA "TLS ContentType".
var contentTypeNames = [256]string{
	20: "change_cipher_spec",
	21: "alert",
	22: "handshake",
	23: "application_data",
	24: "heartbeat",                // RFC 6520
	25: "tls12_cid",                // RFC 9146
	26: "ack",                      // RFC 9147
	27: "return_routability_check", // draft-ietf-tls-dtls-rrc
}

// handshakeTypeNames is IANA "TLS HandshakeType" (the _RESERVED suffixes
// dropped, see the file comment).
var handshakeTypeNames = [256]string{
	0:   "hello_request",
	1:   "client_hello",
	2:   "server_hello",
	3:   "hello_verify_request",
	4:   "new_session_ticket",
	5:   "end_of_early_data",
	6:   "hello_retry_request",
	8:   "encrypted_extensions",
	9:   "request_connection_id", // RFC 9147
	10:  "new_connection_id",     // RFC 9147
	11:  "certificate",
	12:  "server_key_exchange",
	13:  "certificate_request",
	14:  "server_hello_done",
	15:  "certificate_verify",
	16:  "client_key_exchange",
	17:  "client_certificate_request", // RFC 9261
	20:  "finished",
	21:  "certificate_url",
	22:  "certificate_status",
	23:  "supplemental_data",
	24:  "key_update",
	25:  "compressed_certificate", // RFC 8879
	26:  "ekt_key",                // RFC 8870
	254: "message_hash",
}

// alertNames is IANA "TLS Alerts" (the _RESERVED suffixes dropped).
var alertNames = [256]string{
	0:   "close_notify",
	10:  "unexpected_message",
	20:  "bad_record_mac",
	21:  "decryption_failed",
	22:  "record_overflow",
	30:  "decompression_failure",
	40:  "handshake_failure",
	41:  "no_certificate",
	42:  "bad_certificate",
	43:  "unsupported_certificate",
	44:  "certificate_revoked",
	45:  "certificate_expired",
	46:  "certificate_unknown",
	47:  "illegal_parameter",
	48:  "unknown_ca",
	49:  "access_denied",
	50:  "decode_error",
	51:  "decrypt_error",
	52:  "too_many_cids_requested", // RFC 9147
	60:  "export_restriction",
	70:  "protocol_version",
	71:  "insufficient_security",
	80:  "internal_error",
	86:  "inappropriate_fallback",
	90:  "user_canceled",
	100: "no_renegotiation",
	109: "missing_extension",
	110: "unsupported_extension",
	111: "certificate_unobtainable",
	112: "unrecognized_name",
	113: "bad_certificate_status_response",
	114: "bad_certificate_hash_value",
	115: "unknown_psk_identity",
	116: "certificate_required",
	117: "general_error", // RFC 8446bis
	120: "no_application_protocol",
	121: "ech_required",
}

// clientCertTypeNames is IANA "TLS ClientCertificateType Identifiers".
var clientCertTypeNames = [256]string{
	1:  "rsa_sign",
	2:  "dss_sign",
	3:  "rsa_fixed_dh",
	4:  "dss_fixed_dh",
	5:  "rsa_ephemeral_dh",
	6:  "dss_ephemeral_dh",
	20: "fortezza_dms",
	64: "ecdsa_sign",
	65: "rsa_fixed_ecdh",
	66: "ecdsa_fixed_ecdh",
	67: "gost_sign256",
	68: "gost_sign512",
}

// extensionTypeNames is IANA "TLS ExtensionType Values", sorted. Values 40
// and 46 are IANA "Reserved" (used by TLS 1.3 drafts) and stay unnamed.
var extensionTypeNames = []ianaEntry{
	{0, "server_name"},
	{1, "max_fragment_length"},
	{2, "client_certificate_url"},
	{3, "trusted_ca_keys"},
	{4, "truncated_hmac"},
	{5, "status_request"},
	{6, "user_mapping"},
	{7, "client_authz"},
	{8, "server_authz"},
	{9, "cert_type"},
	{10, "supported_groups"},
	{11, "ec_point_formats"},
	{12, "srp"},
	{13, "signature_algorithms"},
	{14, "use_srtp"},
	{15, "heartbeat"},
	{16, "application_layer_protocol_negotiation"},
	{17, "status_request_v2"},
	{18, "signed_certificate_timestamp"},
	{19, "client_certificate_type"},
	{20, "server_certificate_type"},
	{21, "padding"},
	{22, "encrypt_then_mac"},
	{23, "extended_master_secret"},
	{24, "token_binding"},
	{25, "cached_info"},
	{26, "tls_lts"},
	{27, "compress_certificate"},
	{28, "record_size_limit"},
	{29, "pwd_protect"},
	{30, "pwd_clear"},
	{31, "password_salt"},
	{32, "ticket_pinning"},
	{33, "tls_cert_with_extern_psk"},
	{34, "delegated_credential"},
	{35, "session_ticket"},
	{36, "TLMSP"},
	{37, "TLMSP_proxying"},
	{38, "TLMSP_delegate"},
	{39, "supported_ekt_ciphers"},
	{41, "pre_shared_key"},
	{42, "early_data"},
	{43, "supported_versions"},
	{44, "cookie"},
	{45, "psk_key_exchange_modes"},
	{47, "certificate_authorities"},
	{48, "oid_filters"},
	{49, "post_handshake_auth"},
	{50, "signature_algorithms_cert"},
	{51, "key_share"},
	{52, "transparency_info"},
	{53, "connection_id_deprecated"}, // IANA: "connection_id (deprecated)"
	{54, "connection_id"},
	{55, "external_id_hash"},
	{56, "external_session_id"},
	{57, "quic_transport_parameters"},
	{58, "ticket_request"},
	{59, "dnssec_chain"},
	{60, "sequence_number_encryption_algorithms"},
	{61, "rrc"},
	{62, "tls_flags"},
	{13172, "next_protocol_negotiation"}, // not IANA: NPN, draft-agl-tls-nextprotoneg
	{17513, "application_settings"},      // not IANA: ALPS, draft-vvv-tls-alps (BoringSSL's first code point)
	{30032, "channel_id"},                // not IANA: draft-balfanz-tls-channelid
	{64768, "ech_outer_extensions"},      // 0xfd00
	{65037, "encrypted_client_hello"},    // 0xfe0d
	{65281, "renegotiation_info"},        // 0xff01
}

// namedGroupNames is IANA "TLS Supported Groups", sorted.
var namedGroupNames = []ianaEntry{
	{1, "sect163k1"},
	{2, "sect163r1"},
	{3, "sect163r2"},
	{4, "sect193r1"},
	{5, "sect193r2"},
	{6, "sect233k1"},
	{7, "sect233r1"},
	{8, "sect239k1"},
	{9, "sect283k1"},
	{10, "sect283r1"},
	{11, "sect409k1"},
	{12, "sect409r1"},
	{13, "sect571k1"},
	{14, "sect571r1"},
	{15, "secp160k1"},
	{16, "secp160r1"},
	{17, "secp160r2"},
	{18, "secp192k1"},
	{19, "secp192r1"},
	{20, "secp224k1"},
	{21, "secp224r1"},
	{22, "secp256k1"},
	{23, "secp256r1"},
	{24, "secp384r1"},
	{25, "secp521r1"},
	{26, "brainpoolP256r1"},
	{27, "brainpoolP384r1"},
	{28, "brainpoolP512r1"},
	{29, "x25519"},
	{30, "x448"},
	{31, "brainpoolP256r1tls13"},
	{32, "brainpoolP384r1tls13"},
	{33, "brainpoolP512r1tls13"},
	{34, "GC256A"},
	{35, "GC256B"},
	{36, "GC256C"},
	{37, "GC256D"},
	{38, "GC512A"},
	{39, "GC512B"},
	{40, "GC512C"},
	{41, "curveSM2"},
	{256, "ffdhe2048"},
	{257, "ffdhe3072"},
	{258, "ffdhe4096"},
	{259, "ffdhe6144"},
	{260, "ffdhe8192"},
	{512, "MLKEM512"},
	{513, "MLKEM768"},
	{514, "MLKEM1024"},
	{4587, "SecP256r1MLKEM768"},         // 0x11eb
	{4588, "X25519MLKEM768"},            // 0x11ec
	{4589, "SecP384r1MLKEM1024"},        // 0x11ed
	{4590, "curveSM2MLKEM768"},          // 0x11ee
	{25497, "X25519Kyber768Draft00"},    // 0x6399, IANA: "... (OBSOLETE)"
	{25498, "SecP256r1Kyber768Draft00"}, // 0x639a, IANA: "... (OBSOLETE)"
	{65281, "arbitrary_explicit_prime_curves"},
	{65282, "arbitrary_explicit_char2_curves"},
}

// signatureSchemeNames is IANA "TLS SignatureScheme" plus the TLS 1.2
// SignatureAndHashAlgorithm pairs that are not schemes (marked "TLS 1.2";
// see SignatureScheme.String), sorted.
var signatureSchemeNames = []ianaEntry{
	{0x0101, "rsa_pkcs1_md5"}, // TLS 1.2
	{0x0102, "dsa_md5"},       // TLS 1.2
	{0x0103, "ecdsa_md5"},     // TLS 1.2
	{0x0201, "rsa_pkcs1_sha1"},
	{0x0202, "dsa_sha1"}, // TLS 1.2
	{0x0203, "ecdsa_sha1"},
	{0x0301, "rsa_pkcs1_sha224"}, // TLS 1.2
	{0x0302, "dsa_sha224"},       // TLS 1.2
	{0x0303, "ecdsa_sha224"},     // TLS 1.2
	{0x0401, "rsa_pkcs1_sha256"},
	{0x0402, "dsa_sha256"}, // TLS 1.2
	{0x0403, "ecdsa_secp256r1_sha256"},
	{0x0420, "rsa_pkcs1_sha256_legacy"},
	{0x0501, "rsa_pkcs1_sha384"},
	{0x0502, "dsa_sha384"}, // TLS 1.2
	{0x0503, "ecdsa_secp384r1_sha384"},
	{0x0520, "rsa_pkcs1_sha384_legacy"},
	{0x0601, "rsa_pkcs1_sha512"},
	{0x0602, "dsa_sha512"}, // TLS 1.2
	{0x0603, "ecdsa_secp521r1_sha512"},
	{0x0620, "rsa_pkcs1_sha512_legacy"},
	{0x0704, "eccsi_sha256"},
	{0x0705, "iso_ibs1"},
	{0x0706, "iso_ibs2"},
	{0x0707, "iso_chinese_ibs"},
	{0x0708, "sm2sig_sm3"},
	{0x0709, "gostr34102012_256a"},
	{0x070A, "gostr34102012_256b"},
	{0x070B, "gostr34102012_256c"},
	{0x070C, "gostr34102012_256d"},
	{0x070D, "gostr34102012_512a"},
	{0x070E, "gostr34102012_512b"},
	{0x070F, "gostr34102012_512c"},
	{0x0804, "rsa_pss_rsae_sha256"},
	{0x0805, "rsa_pss_rsae_sha384"},
	{0x0806, "rsa_pss_rsae_sha512"},
	{0x0807, "ed25519"},
	{0x0808, "ed448"},
	{0x0809, "rsa_pss_pss_sha256"},
	{0x080A, "rsa_pss_pss_sha384"},
	{0x080B, "rsa_pss_pss_sha512"},
	{0x081A, "ecdsa_brainpoolP256r1tls13_sha256"},
	{0x081B, "ecdsa_brainpoolP384r1tls13_sha384"},
	{0x081C, "ecdsa_brainpoolP512r1tls13_sha512"},
	{0x0840, "gostr34102012_256"}, // TLS 1.2 (RFC 9189)
	{0x0841, "gostr34102012_512"}, // TLS 1.2 (RFC 9189)
	{0x0904, "mldsa44"},
	{0x0905, "mldsa65"},
	{0x0906, "mldsa87"},
}

// cipherSuiteNames is IANA "TLS Cipher Suites", sorted. Reserved ranges
// (0x001C-0x001D, 0x0047-0x0066, 0xFEFE-0xFEFF, GREASE) and unassigned
// values stay unnamed.
var cipherSuiteNames = []ianaEntry{
	{0x0000, "TLS_NULL_WITH_NULL_NULL"},
	{0x0001, "TLS_RSA_WITH_NULL_MD5"},
	{0x0002, "TLS_RSA_WITH_NULL_SHA"},
	{0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
	{0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
	{0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
	{0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"},
	{0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"},
	{0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0009, "TLS_RSA_WITH_DES_CBC_SHA"},
	{0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x000B, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA"},
	{0x000C, "TLS_DH_DSS_WITH_DES_CBC_SHA"},
	{0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0x000E, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x000F, "TLS_DH_RSA_WITH_DES_CBC_SHA"},
	{0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"},
	{0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
	{0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"},
	{0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"},
	{0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"},
	{0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA"},
	{0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0x001E, "TLS_KRB5_WITH_DES_CBC_SHA"},
	{0x001F, "TLS_KRB5_WITH_3DES_EDE_CBC_SHA"},
	{0x0020, "TLS_KRB5_WITH_RC4_128_SHA"},
	{0x0021, "TLS_KRB5_WITH_IDEA_CBC_SHA"},
	{0x0022, "TLS_KRB5_WITH_DES_CBC_MD5"},
	{0x0023, "TLS_KRB5_WITH_3DES_EDE_CBC_MD5"},
	{0x0024, "TLS_KRB5_WITH_RC4_128_MD5"},
	{0x0025, "TLS_KRB5_WITH_IDEA_CBC_MD5"},
	{0x0026, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_SHA"},
	{0x0027, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_SHA"},
	{0x0028, "TLS_KRB5_EXPORT_WITH_RC4_40_SHA"},
	{0x0029, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_MD5"},
	{0x002A, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_MD5"},
	{0x002B, "TLS_KRB5_EXPORT_WITH_RC4_40_MD5"},
	{0x002C, "TLS_PSK_WITH_NULL_SHA"},
	{0x002D, "TLS_DHE_PSK_WITH_NULL_SHA"},
	{0x002E, "TLS_RSA_PSK_WITH_NULL_SHA"},
	{0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"},
	{0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA"},
	{0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA"},
	{0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
	{0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
	{0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
	{0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
	{0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA"},
	{0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA"},
	{0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"},
	{0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
	{0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA"},
	{0x003B, "TLS_RSA_WITH_NULL_SHA256"},
	{0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
	{0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
	{0x003E, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256"},
	{0x003F, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256"},
	{0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"},
	{0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0042, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0043, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256"},
	{0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256"},
	{0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"},
	{0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
	{0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"},
	{0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"},
	{0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0085, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0086, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA"},
	{0x008A, "TLS_PSK_WITH_RC4_128_SHA"},
	{0x008B, "TLS_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA"},
	{0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA"},
	{0x008E, "TLS_DHE_PSK_WITH_RC4_128_SHA"},
	{0x008F, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA"},
	{0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA"},
	{0x0092, "TLS_RSA_PSK_WITH_RC4_128_SHA"},
	{0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA"},
	{0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA"},
	{0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"},
	{0x0097, "TLS_DH_DSS_WITH_SEED_CBC_SHA"},
	{0x0098, "TLS_DH_RSA_WITH_SEED_CBC_SHA"},
	{0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA"},
	{0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA"},
	{0x009B, "TLS_DH_anon_WITH_SEED_CBC_SHA"},
	{0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
	{0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0x00A0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256"},
	{0x00A1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384"},
	{0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"},
	{0x00A4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00A5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384"},
	{0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"},
	{0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"},
	{0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00AA, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00AB, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00AC, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00AD, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256"},
	{0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384"},
	{0x00B0, "TLS_PSK_WITH_NULL_SHA256"},
	{0x00B1, "TLS_PSK_WITH_NULL_SHA384"},
	{0x00B2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256"},
	{0x00B3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384"},
	{0x00B4, "TLS_DHE_PSK_WITH_NULL_SHA256"},
	{0x00B5, "TLS_DHE_PSK_WITH_NULL_SHA384"},
	{0x00B6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256"},
	{0x00B7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384"},
	{0x00B8, "TLS_RSA_PSK_WITH_NULL_SHA256"},
	{0x00B9, "TLS_RSA_PSK_WITH_NULL_SHA384"},
	{0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00BB, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00BC, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00BD, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00BE, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00BF, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00C1, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00C2, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00C3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00C4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00C5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00C6, "TLS_SM4_GCM_SM3"},
	{0x00C7, "TLS_SM4_CCM_SM3"},
	{0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
	{0x1301, "TLS_AES_128_GCM_SHA256"},
	{0x1302, "TLS_AES_256_GCM_SHA384"},
	{0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
	{0x1304, "TLS_AES_128_CCM_SHA256"},
	{0x1305, "TLS_AES_128_CCM_8_SHA256"},
	{0x1306, "TLS_AEGIS_256_SHA512"}, // first registered as TLS_AEGIS_256_SHA384
	{0x1307, "TLS_AEGIS_128L_SHA256"},
	{0x5600, "TLS_FALLBACK_SCSV"},
	{0xC001, "TLS_ECDH_ECDSA_WITH_NULL_SHA"},
	{0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"},
	{0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
	{0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
	{0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xC00B, "TLS_ECDH_RSA_WITH_NULL_SHA"},
	{0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA"},
	{0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"},
	{0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"},
	{0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA"},
	{0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
	{0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
	{0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
	{0xC015, "TLS_ECDH_anon_WITH_NULL_SHA"},
	{0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA"},
	{0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
	{0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"},
	{0xC01A, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA"},
	{0xC01B, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC01C, "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0xC01D, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA"},
	{0xC01E, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA"},
	{0xC01F, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA"},
	{0xC020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA"},
	{0xC021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA"},
	{0xC022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA"},
	{0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
	{0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"},
	{0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"},
	{0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"},
	{0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"},
	{0xC033, "TLS_ECDHE_PSK_WITH_RC4_128_SHA"},
	{0xC034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA"},
	{0xC036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA"},
	{0xC037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256"},
	{0xC038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384"},
	{0xC039, "TLS_ECDHE_PSK_WITH_NULL_SHA"},
	{0xC03A, "TLS_ECDHE_PSK_WITH_NULL_SHA256"},
	{0xC03B, "TLS_ECDHE_PSK_WITH_NULL_SHA384"},
	{0xC03C, "TLS_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xC03D, "TLS_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xC03E, "TLS_DH_DSS_WITH_ARIA_128_CBC_SHA256"},
	{0xC03F, "TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384"},
	{0xC040, "TLS_DH_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xC041, "TLS_DH_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xC042, "TLS_DHE_DSS_WITH_ARIA_128_CBC_SHA256"},
	{0xC043, "TLS_DHE_DSS_WITH_ARIA_256_CBC_SHA384"},
	{0xC044, "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xC045, "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xC046, "TLS_DH_anon_WITH_ARIA_128_CBC_SHA256"},
	{0xC047, "TLS_DH_anon_WITH_ARIA_256_CBC_SHA384"},
	{0xC048, "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256"},
	{0xC049, "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384"},
	{0xC04A, "TLS_ECDH_ECDSA_WITH_ARIA_128_CBC_SHA256"},
	{0xC04B, "TLS_ECDH_ECDSA_WITH_ARIA_256_CBC_SHA384"},
	{0xC04C, "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xC04D, "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xC04E, "TLS_ECDH_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xC04F, "TLS_ECDH_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xC052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xC054, "TLS_DH_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC055, "TLS_DH_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xC056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256"},
	{0xC057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384"},
	{0xC058, "TLS_DH_DSS_WITH_ARIA_128_GCM_SHA256"},
	{0xC059, "TLS_DH_DSS_WITH_ARIA_256_GCM_SHA384"},
	{0xC05A, "TLS_DH_anon_WITH_ARIA_128_GCM_SHA256"},
	{0xC05B, "TLS_DH_anon_WITH_ARIA_256_GCM_SHA384"},
	{0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC05D, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384"},
	{0xC05E, "TLS_ECDH_ECDSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC05F, "TLS_ECDH_ECDSA_WITH_ARIA_256_GCM_SHA384"},
	{0xC060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xC062, "TLS_ECDH_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC063, "TLS_ECDH_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xC064, "TLS_PSK_WITH_ARIA_128_CBC_SHA256"},
	{0xC065, "TLS_PSK_WITH_ARIA_256_CBC_SHA384"},
	{0xC066, "TLS_DHE_PSK_WITH_ARIA_128_CBC_SHA256"},
	{0xC067, "TLS_DHE_PSK_WITH_ARIA_256_CBC_SHA384"},
	{0xC068, "TLS_RSA_PSK_WITH_ARIA_128_CBC_SHA256"},
	{0xC069, "TLS_RSA_PSK_WITH_ARIA_256_CBC_SHA384"},
	{0xC06A, "TLS_PSK_WITH_ARIA_128_GCM_SHA256"},
	{0xC06B, "TLS_PSK_WITH_ARIA_256_GCM_SHA384"},
	{0xC06C, "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256"},
	{0xC06D, "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384"},
	{0xC06E, "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256"},
	{0xC06F, "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384"},
	{0xC070, "TLS_ECDHE_PSK_WITH_ARIA_128_CBC_SHA256"},
	{0xC071, "TLS_ECDHE_PSK_WITH_ARIA_256_CBC_SHA384"},
	{0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC074, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC075, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC078, "TLS_ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC079, "TLS_ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC07A, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC07B, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xC07C, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC07D, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xC07E, "TLS_DH_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC07F, "TLS_DH_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xC080, "TLS_DHE_DSS_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC081, "TLS_DHE_DSS_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xC082, "TLS_DH_DSS_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC083, "TLS_DH_DSS_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xC084, "TLS_DH_anon_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC085, "TLS_DH_anon_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xC086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xC088, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC089, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xC08A, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC08B, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xC08C, "TLS_ECDH_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC08D, "TLS_ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xC08E, "TLS_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC08F, "TLS_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xC090, "TLS_DHE_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC091, "TLS_DHE_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xC092, "TLS_RSA_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xC093, "TLS_RSA_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xC094, "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC095, "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC096, "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC097, "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC098, "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC099, "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC09A, "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC09B, "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC09C, "TLS_RSA_WITH_AES_128_CCM"},
	{0xC09D, "TLS_RSA_WITH_AES_256_CCM"},
	{0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM"},
	{0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM"},
	{0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8"},
	{0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8"},
	{0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8"},
	{0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8"},
	{0xC0A4, "TLS_PSK_WITH_AES_128_CCM"},
	{0xC0A5, "TLS_PSK_WITH_AES_256_CCM"},
	{0xC0A6, "TLS_DHE_PSK_WITH_AES_128_CCM"},
	{0xC0A7, "TLS_DHE_PSK_WITH_AES_256_CCM"},
	{0xC0A8, "TLS_PSK_WITH_AES_128_CCM_8"},
	{0xC0A9, "TLS_PSK_WITH_AES_256_CCM_8"},
	{0xC0AA, "TLS_PSK_DHE_WITH_AES_128_CCM_8"}, // sic: IANA's word order
	{0xC0AB, "TLS_PSK_DHE_WITH_AES_256_CCM_8"}, // sic: IANA's word order
	{0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
	{0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
	{0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
	{0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
	{0xC0B0, "TLS_ECCPWD_WITH_AES_128_GCM_SHA256"},
	{0xC0B1, "TLS_ECCPWD_WITH_AES_256_GCM_SHA384"},
	{0xC0B2, "TLS_ECCPWD_WITH_AES_128_CCM_SHA256"},
	{0xC0B3, "TLS_ECCPWD_WITH_AES_256_CCM_SHA384"},
	{0xC0B4, "TLS_SHA256_SHA256"},
	{0xC0B5, "TLS_SHA384_SHA384"},
	{0xC100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC"},
	{0xC101, "TLS_GOSTR341112_256_WITH_MAGMA_CTR_OMAC"},
	{0xC102, "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT"},
	{0xC103, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L"},
	{0xC104, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_L"},
	{0xC105, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_S"},
	{0xC106, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S"},
	{0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAD, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAE, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xD001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"},
	{0xD002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384"},
	{0xD003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256"},
	{0xD005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256"},
}

// zeekCipherAliases are the cipher names Zeek's consts.zeek (cipher_desc)
// prints that are not the IANA name of that value: values IANA reserves or
// never assigned but that deployed stacks used, and IANA's former name of a
// renamed value. Only CipherSuiteByName reads them; String prints these
// values as 0xNNNN (or, for 0x1306, the current IANA name). Zeek's
// TLS_DH_ANON_/TLS_ECDH_ANON_ spelling needs no entry: CipherSuiteByName
// ignores letter case.
var zeekCipherAliases = []ianaEntry{
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
