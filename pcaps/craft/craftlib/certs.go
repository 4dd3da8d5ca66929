package craftlib

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// Cert is a certificate with its key.
type Cert struct {
	DER  []byte
	Cert *x509.Certificate
	Key  ed25519.PrivateKey
}

// CertSpec describes a certificate to make. Keys are ed25519 keys derived
// from KeySeed, so equal specs give equal certificates.
type CertSpec struct {
	KeySeed  string
	Subject  pkix.Name
	DNSNames []string
	IsCA     bool
	Serial   int64
	Parent   *Cert // nil: self-signed
	Client   bool  // client auth EKU instead of server auth
	// Padding adds a non-critical private extension of this many bytes,
	// to make big certificates.
	Padding int
}

// certEpoch bounds every certificate's validity.
var (
	certNotBefore = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	certNotAfter  = time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC)
)

// paddingOID is under the documentation-reserved example arc (1.3.6.1.4.1.32473).
var paddingOID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 1, 1}

// NewCert makes a certificate from spec.
func NewCert(spec CertSpec) (*Cert, error) {
	seed := sha256.Sum256([]byte("tlsscan-craft-key/" + spec.KeySeed))
	key := ed25519.NewKeyFromSeed(seed[:])
	pub := key.Public().(ed25519.PublicKey)
	ski := sha256.Sum256(pub)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(spec.Serial),
		Subject:               spec.Subject,
		NotBefore:             certNotBefore,
		NotAfter:              certNotAfter,
		DNSNames:              spec.DNSNames,
		BasicConstraintsValid: true,
		IsCA:                  spec.IsCA,
		SubjectKeyId:          ski[:20],
	}
	if spec.IsCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		if spec.Client {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		} else {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}
	}
	if spec.Padding > 0 {
		val, err := asn1.Marshal(make([]byte, spec.Padding))
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = []pkix.Extension{{Id: paddingOID, Value: val}}
	}
	parent, signer := tmpl, key
	if spec.Parent != nil {
		parent, signer = spec.Parent.Cert, spec.Parent.Key
		tmpl.AuthorityKeyId = spec.Parent.Cert.SubjectKeyId
	}
	// ed25519 signatures are deterministic; the reader is never consulted
	// for them, but give a fixed one anyway.
	der, err := x509.CreateCertificate(testkit.NewRNG("x509/"+spec.KeySeed), tmpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("craftlib: certificate %q: %w", spec.KeySeed, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Cert{DER: der, Cert: c, Key: key}, nil
}

// PKI is the fixed set of certificates the catalogue uses.
type PKI struct {
	ServerCA, Server *Cert // server chain: Server issued by ServerCA
	ClientCA, Client *Cert // client chain: Client issued by ClientCA
	// BigServerCA and BigServer are ~10 KB each (padding extension), for a
	// Certificate message of about 20 KB.
	BigServerCA, BigServer *Cert
}

// ServerChain is [leaf, CA].
func (p *PKI) ServerChain() [][]byte { return [][]byte{p.Server.DER, p.ServerCA.DER} }

// ClientChain is [leaf, CA].
func (p *PKI) ClientChain() [][]byte { return [][]byte{p.Client.DER, p.ClientCA.DER} }

// ClientCANames is the DER subject of the client CA, for CertificateRequest.
func (p *PKI) ClientCANames() [][]byte { return [][]byte{p.ClientCA.Cert.RawSubject} }

var (
	pkiOnce sync.Once
	pki     *PKI
	pkiErr  error
)

// DefaultPKI returns the catalogue's certificates (made once per process).
func DefaultPKI() (*PKI, error) {
	pkiOnce.Do(func() { pki, pkiErr = newPKI() })
	return pki, pkiErr
}

func newPKI() (*PKI, error) {
	org := []string{"tlsscan crafted"}
	var p PKI
	var err error
	mk := func(dst **Cert, s CertSpec) {
		if err == nil {
			*dst, err = NewCert(s)
		}
	}
	mk(&p.ServerCA, CertSpec{KeySeed: "server-ca", Serial: 1, IsCA: true,
		Subject: pkix.Name{Organization: org, CommonName: "tlsscan Crafted Server CA"}})
	mk(&p.Server, CertSpec{KeySeed: "server", Serial: 2, Parent: p.ServerCA,
		Subject:  pkix.Name{Organization: org, CommonName: "server.example.test"},
		DNSNames: []string{"server.example.test"}})
	mk(&p.ClientCA, CertSpec{KeySeed: "client-ca", Serial: 3, IsCA: true,
		Subject: pkix.Name{Organization: org, OrganizationalUnit: []string{"clients"}, CommonName: "tlsscan Crafted Client CA"}})
	mk(&p.Client, CertSpec{KeySeed: "client", Serial: 4, Parent: p.ClientCA, Client: true,
		Subject: pkix.Name{Organization: org, OrganizationalUnit: []string{"clients"}, CommonName: "client-1"}})
	mk(&p.BigServerCA, CertSpec{KeySeed: "big-server-ca", Serial: 5, IsCA: true, Padding: 10000,
		Subject: pkix.Name{Organization: org, CommonName: "tlsscan Crafted Big CA"}})
	mk(&p.BigServer, CertSpec{KeySeed: "big-server", Serial: 6, Parent: p.BigServerCA, Padding: 10000,
		Subject:  pkix.Name{Organization: org, CommonName: "big.example.test"},
		DNSNames: []string{"big.example.test"}})
	if err != nil {
		return nil, err
	}
	return &p, nil
}
