package report

import (
	"bytes"
	"strconv"
	//lint:ignore SA1019 DSA keys are still seen in old captures: only named, never used
	"crypto/dsa"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// Certificates are read with crypto/x509, once per distinct DER (the
// CertCache, certs.go), and only when a row needs them: the two leaves
// for every row (the leaf columns and the certificate flags), every
// certificate of both chains for JSON and for --ca-bundle.
//
// crypto/x509 refuses some certificates that are odd but real (a negative
// serial number, an unsupported elliptic curve, a bad encoding inside an
// extension). Such a certificate keeps today's minimal reading: its names,
// cut out of the DER by tlsparse.CertNames, and its fingerprints. The rest
// of its facts are null in JSON, it takes part in no flag but self_signed
// (decided by its names alone), and the connection counts it under the
// anomaly code AnomalyX509Unparsed.

// AnomalyX509Unparsed is the JSON anomaly code counting, per connection,
// the certificates crypto/x509 refused to parse (read by names only). It
// is report's, not a tlsparse.Anomaly: tlsparse never parses certificates
// beyond their names.
const AnomalyX509Unparsed = "x509_unparsed"

// certFacts is what one certificate says, as the cache keeps it.
type certFacts struct {
	fp   [32]byte          // SHA-256 of the DER
	der  []byte            // the DER, the cache's own copy: what a lookup compares
	info CertInfo          // the JSON form
	cert *x509.Certificate // nil when crypto/x509 refused the certificate
	cn   string            // the subject common name, for the leaf columns
	js   []byte            // info as JSON, made on first need (jsonInfo)
}

// jsonInfo is info with its JSON made once: a server's chain is written
// on every connection to it.
func (f *certFacts) jsonInfo() CertInfo {
	if f.js == nil {
		f.js, _ = f.info.marshal() // cannot fail: strings, times, ints
	}
	ci := f.info
	ci.js = f.js
	return ci
}

// parseCert reads der, whose SHA-256 is fp.
func parseCert(der []byte, fp [32]byte) *certFacts {
	der = bytes.Clone(der) // the cache outlives the connection's buffers
	s1 := sha1.Sum(der)
	f := &certFacts{fp: fp, der: der, info: CertInfo{SHA256: hex.EncodeToString(fp[:]), SHA1: hex.EncodeToString(s1[:])}}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		if iss, sub, ok := tlsparse.CertNames(der); ok {
			f.info.Issuer, f.info.Subject = DNString(iss), DNString(sub)
			f.cn = commonName(sub)
			f.info.SelfSigned = bytes.Equal(iss, sub) // the signature cannot be checked
		}
		return f
	}
	f.cert = c
	ci := &f.info
	ci.Subject, ci.Issuer = DNString(c.RawSubject), DNString(c.RawIssuer)
	f.cn = c.Subject.CommonName
	ci.Serial = serialHex(c)
	ci.NotBefore, ci.NotAfter = c.NotBefore.UTC(), c.NotAfter.UTC()
	ci.SANDNS = c.DNSNames
	for _, ip := range c.IPAddresses {
		ci.SANIP = append(ci.SANIP, ip.String())
	}
	for _, u := range c.URIs {
		ci.SANURI = append(ci.SANURI, u.String())
	}
	ci.SANEmail = c.EmailAddresses
	ci.KeyType, ci.KeyBits, ci.Curve = keyFacts(c)
	ci.SigAlg = sigAlgName(c)
	ci.IsCA = c.BasicConstraintsValid && c.IsCA
	ci.SelfSigned = selfSigned(c)
	ci.version, ci.hasBC, ci.pathLen = c.Version, c.BasicConstraintsValid, -1
	if c.BasicConstraintsValid && (c.MaxPathLen > 0 || c.MaxPathLenZero) {
		ci.pathLen = c.MaxPathLen
	}
	if k, ok := c.PublicKey.(*rsa.PublicKey); ok {
		ci.exponent = strconv.Itoa(k.E)
	}
	return f
}

// serialHex is the serial number in lower-case hex, an even number of
// digits (the bytes of its magnitude, as OpenSSL and Zeek print it).
func serialHex(c *x509.Certificate) string {
	if c.SerialNumber == nil {
		return ""
	}
	s := c.SerialNumber.Text(16)
	neg := s[0] == '-' // crypto/x509 refuses these today; kept readable
	if neg {
		s = s[1:]
	}
	if len(s)%2 == 1 {
		s = "0" + s
	}
	if neg {
		s = "-" + s
	}
	return s
}

// selfSigned decides the self_signed flag of a parsed certificate: its
// issuer and subject are the same Name (byte for byte) and its signature
// verifies with its own public key. CheckSignature, not
// CheckSignatureFrom: a self-signed leaf without basicConstraints CA:TRUE
// (many are) is self-signed all the same. When crypto/x509 cannot check
// the signature at all (an algorithm it does not implement, or MD5), the
// names decide.
func selfSigned(c *x509.Certificate) bool {
	if !bytes.Equal(c.RawIssuer, c.RawSubject) {
		return false
	}
	err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature)
	if err == nil {
		return true
	}
	var insecure x509.InsecureAlgorithmError
	return errors.Is(err, x509.ErrUnsupportedAlgorithm) || errors.As(err, &insecure)
}

// commonName is the last CN of a DER Name, as crypto/x509 reads it.
func commonName(der []byte) string {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) != 0 {
		return ""
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdn)
	return n.CommonName
}

// oidNames names algorithm identifiers crypto/x509 does not know, for
// key_type and sig_alg (the dotted OID otherwise).
var oidNames = map[string]string{
	"2.16.840.1.101.3.4.3.17": "ML-DSA-44",
	"2.16.840.1.101.3.4.3.18": "ML-DSA-65",
	"2.16.840.1.101.3.4.3.19": "ML-DSA-87",
	"1.3.101.113":             "Ed448",
	"1.3.101.111":             "X448",
}

// keyFacts is the public key's type (rsa, ecdsa, ed25519, x25519, dsa,
// else the algorithm's name, ML-DSA-44 ..., or OID), its size in bits (0: not known) and
// the curve of an ECDSA key.
func keyFacts(c *x509.Certificate) (typ string, bits int, curve string) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return "rsa", k.N.BitLen(), ""
	case *ecdsa.PublicKey:
		p := k.Curve.Params()
		return "ecdsa", p.BitSize, p.Name
	case ed25519.PublicKey:
		return "ed25519", 256, ""
	case *ecdh.PublicKey:
		if k.Curve() == ecdh.X25519() {
			return "x25519", 256, ""
		}
		return "ecdh", 0, ""
	case *dsa.PublicKey:
		return "dsa", k.P.BitLen(), ""
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
		return "unknown", 0, ""
	}
	// The size of a key crypto/x509 does not know is its encoding's, in
	// bits, as OpenSSL gives it for ML-DSA.
	oid := spki.Algorithm.Algorithm.String()
	if n, ok := oidNames[oid]; ok {
		return n, spki.Key.BitLength, ""
	}
	return oid, spki.Key.BitLength, ""
}

// sigAlgName is crypto/x509's name of the signature algorithm
// (SHA256-RSA, ECDSA-SHA256, Ed25519, ...), else its name or OID.
func sigAlgName(c *x509.Certificate) string {
	if c.SignatureAlgorithm != x509.UnknownSignatureAlgorithm {
		return c.SignatureAlgorithm.String()
	}
	var outer struct {
		TBS       asn1.RawValue
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.Raw, &outer); err != nil {
		return "unknown"
	}
	oid := outer.Algorithm.Algorithm.String()
	if n, ok := oidNames[oid]; ok {
		return n
	}
	return oid
}

// certInfoJSON is CertInfo as JSON writes it: every key present, the
// lists [] when empty, and null for a fact that is not known (a
// certificate crypto/x509 refused).
type certInfoJSON struct {
	Subject    string   `json:"subject"`
	Issuer     string   `json:"issuer"`
	SHA256     string   `json:"sha256"`
	SHA1       *string  `json:"sha1"`
	Serial     *string  `json:"serial"`
	NotBefore  *string  `json:"not_before"`
	NotAfter   *string  `json:"not_after"`
	SANDNS     []string `json:"san_dns"`
	SANIP      []string `json:"san_ip"`
	SANURI     []string `json:"san_uri"`
	SANEmail   []string `json:"san_email"`
	KeyType    *string  `json:"key_type"`
	KeyBits    *int     `json:"key_bits"`
	Curve      *string  `json:"curve"`
	SigAlg     *string  `json:"sig_alg"`
	IsCA       bool     `json:"is_ca"`
	SelfSigned bool     `json:"self_signed"`
}

// MarshalJSON writes a certificate of server_chain or client_chain
// (docs/schema/row.schema.json, $defs/chain).
func (ci CertInfo) MarshalJSON() ([]byte, error) {
	if ci.js != nil {
		return ci.js, nil
	}
	return ci.marshal()
}

func (ci *CertInfo) marshal() ([]byte, error) {
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	tm := func(t time.Time) *string {
		if t.IsZero() {
			return nil
		}
		s := t.UTC().Format(time.RFC3339)
		return &s
	}
	j := certInfoJSON{
		Subject: ci.Subject, Issuer: ci.Issuer, SHA256: ci.SHA256, SHA1: str(ci.SHA1),
		Serial: str(ci.Serial), NotBefore: tm(ci.NotBefore), NotAfter: tm(ci.NotAfter),
		SANDNS: orEmpty(ci.SANDNS, noStrings), SANIP: orEmpty(ci.SANIP, noStrings),
		SANURI: orEmpty(ci.SANURI, noStrings), SANEmail: orEmpty(ci.SANEmail, noStrings),
		KeyType: str(ci.KeyType), Curve: str(ci.Curve), SigAlg: str(ci.SigAlg),
		IsCA: ci.IsCA, SelfSigned: ci.SelfSigned,
	}
	if ci.KeyBits > 0 {
		j.KeyBits = &ci.KeyBits
	}
	return json.Marshal(&j)
}

// leafFlags are the flags one leaf certificate gives a connection
// captured at t: expired and not_yet_valid (judged at t, never at the
// time tlsscan runs), self_signed. A certificate crypto/x509 refused has
// no validity dates to judge.
func leafFlags(f *certFacts, t time.Time) tlsparse.Flags {
	var fl tlsparse.Flags
	if f.info.SelfSigned {
		fl.Set(tlsparse.FlagSelfSigned)
	}
	if f.cert == nil || t.IsZero() {
		return fl
	}
	// crypto/x509's own rule: valid from NotBefore to NotAfter inclusive.
	if t.Before(f.cert.NotBefore) {
		fl.Set(tlsparse.FlagNotYetValid)
	}
	if t.After(f.cert.NotAfter) {
		fl.Set(tlsparse.FlagExpired)
	}
	return fl
}

// sniMismatch says whether the server leaf does not cover the SNI, by
// crypto/x509's VerifyHostname: the DNS and IP SANs only (the subject CN
// is not read), a wildcard only as the whole left-most label and
// matching one label, case-insensitive. Without an SNI, or without a leaf
// crypto/x509 can read, there is nothing to judge.
func sniMismatch(f *certFacts, sni string) bool {
	return sni != "" && f.cert != nil && f.cert.VerifyHostname(sni) != nil
}

// verifyMemo is a chain's verification verdict, kept for the next
// connection that sends the same chain: the verdict holds while the
// verified path is valid (ok), or while every certificate sent is in the
// same state, before, within or after its validity, as when it was
// decided (!ok).
type verifyMemo struct {
	ok       bool
	from, to time.Time // ok: the verified path's common validity
	states   uint64    // !ok: 2 bits a certificate sent (certStates)
	stateOK  bool      // !ok: states could be computed (at most 32 certificates)
}

// chainVerifier verifies chains to a CA bundle (--ca-bundle) at the
// connection's capture time, memoized per chain.
type chainVerifier struct {
	roots *x509.CertPool
	memo  map[[32]byte]verifyMemo
}

// chainInvalid says whether the chain (leaf first, as sent) does not
// verify to the bundle at t: crypto/x509's Verify with the bundle as
// roots, the rest of the chain as intermediates, CurrentTime t and any
// extended key usage (the usage is not judged; names are: sni_mismatch).
// A leaf crypto/x509 refused does not verify; an intermediate it refused
// is left out. The memo does not see a bundle root that starts or ends
// its validity between two connections that send the same failing chain.
func (v *chainVerifier) chainInvalid(cc *CertCache, ders [][]byte, leaf *certFacts, t time.Time) bool {
	if leaf.cert == nil {
		return true
	}
	h := sha256.New()
	chain := make([]*x509.Certificate, 0, len(ders))
	for i, der := range ders {
		f := leaf
		if i > 0 {
			f = cc.facts(der)
		}
		if f.cert != nil {
			h.Write(f.fp[:])
			chain = append(chain, f.cert)
		}
	}
	var key [32]byte
	h.Sum(key[:0])
	states, stateOK := certStates(chain, t)
	if m, ok := v.memo[key]; ok {
		if m.ok && !t.Before(m.from) && !t.After(m.to) {
			return false
		}
		if !m.ok && m.stateOK && stateOK && m.states == states {
			return true
		}
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	paths, err := chain[0].Verify(x509.VerifyOptions{
		Roots: v.roots, Intermediates: inter, CurrentTime: t,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	m := verifyMemo{ok: err == nil && len(paths) > 0, states: states, stateOK: stateOK}
	if m.ok {
		m.from, m.to = paths[0][0].NotBefore, paths[0][0].NotAfter
		for _, c := range paths[0][1:] {
			if c.NotBefore.After(m.from) {
				m.from = c.NotBefore
			}
			if c.NotAfter.Before(m.to) {
				m.to = c.NotAfter
			}
		}
	}
	if v.memo == nil || len(v.memo) >= maxCertCache {
		v.memo = make(map[[32]byte]verifyMemo)
	}
	v.memo[key] = m
	return !m.ok
}

// certStates packs, 2 bits a certificate, whether t is before (0), within
// (1) or after (2) each one's validity; false past 32 certificates.
func certStates(chain []*x509.Certificate, t time.Time) (uint64, bool) {
	if len(chain) > 32 {
		return 0, false
	}
	var s uint64
	for i, c := range chain {
		st := uint64(1)
		switch {
		case t.Before(c.NotBefore):
			st = 0
		case t.After(c.NotAfter):
			st = 2
		}
		s |= st << (2 * i)
	}
	return s, true
}
