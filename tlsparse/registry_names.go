package tlsparse

// Placeholder: the IANA name tables are being filled in; until then every
// value prints as 0xNNNN, which is the documented fallback.

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

func (c CipherSuite) String() string      { return hex4(uint16(c)) }
func (e ExtensionType) String() string    { return hex4(uint16(e)) }
func (a AlertDescription) String() string { return hex4(uint16(a)) }
func (s SignatureScheme) String() string  { return hex4(uint16(s)) }
func (t ClientCertificateType) String() string {
	return hex4(uint16(t))
}
func (g NamedGroup) String() string    { return hex4(uint16(g)) }
func (t HandshakeType) String() string { return hex4(uint16(t)) }
func (t ContentType) String() string   { return hex4(uint16(t)) }
