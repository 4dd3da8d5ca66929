package keylog

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// serverCert makes a self-signed certificate for the handshakes below.
func serverCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "keylog.test"},
		DNSNames:     []string{"keylog.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// sniffConn keeps the first bytes its side writes: the ClientHello.
type sniffConn struct {
	net.Conn
	mu    sync.Mutex
	first bytes.Buffer
}

func (c *sniffConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if c.first.Len() < 64 {
		c.first.Write(b)
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}

// clientRandom reads the random of the ClientHello at the start of b:
// a record header (5 bytes), a handshake header (4), legacy_version (2).
func clientRandom(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 43 || b[0] != 22 || b[5] != 1 {
		t.Fatalf("not a ClientHello: % x", b)
	}
	return b[11:43]
}

// handshake runs a TLS handshake between Go's client and server over a
// pipe, with the client writing its key log to w, and returns the client
// random.
func handshake(t *testing.T, cert tls.Certificate, version uint16, suites []uint16, w *bytes.Buffer) []byte {
	t.Helper()
	c, s := net.Pipe()
	sc := &sniffConn{Conn: c}
	client := tls.Client(sc, &tls.Config{
		ServerName:   "keylog.test",
		MinVersion:   version,
		MaxVersion:   version,
		CipherSuites: suites,
		RootCAs:      pool(cert),
		KeyLogWriter: w,
	})
	server := tls.Server(s, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: version, MaxVersion: version})
	errc := make(chan error, 1)
	go func() {
		errc <- server.Handshake()
	}()
	// Close the pipe, not the TLS conns: a close_notify nobody reads would
	// block.
	defer c.Close()
	defer s.Close()
	if err := client.Handshake(); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	if got := client.ConnectionState().Version; got != version {
		t.Fatalf("version %x, want %x", got, version)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return bytes.Clone(clientRandom(t, sc.first.Bytes()))
}

func pool(cert tls.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	c, _ := x509.ParseCertificate(cert.Certificate[0])
	p.AddCert(c)
	return p
}

// TestGoKeyLog reads key logs that Go's crypto/tls writes and finds every
// secret of each handshake by its client random.
func TestGoKeyLog(t *testing.T) {
	cert := serverCert(t)
	tests := []struct {
		name    string
		version uint16
		suites  []uint16
		labels  map[tlsparse.SecretLabel]int // label: secret length
	}{
		{"tls13", tls.VersionTLS13, nil, map[tlsparse.SecretLabel]int{
			tlsparse.SecretClientHandshakeTraffic: 32,
			tlsparse.SecretServerHandshakeTraffic: 32,
			tlsparse.SecretClientTraffic0:         32,
			tlsparse.SecretServerTraffic0:         32,
		}},
		{"tls12 aes-128-gcm", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, map[tlsparse.SecretLabel]int{tlsparse.SecretMaster: 48}},
		{"tls12 aes-256-gcm-sha384", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}, map[tlsparse.SecretLabel]int{tlsparse.SecretMaster: 48}},
		{"tls12 cbc", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}, map[tlsparse.SecretLabel]int{tlsparse.SecretMaster: 48}},
	}
	var all bytes.Buffer // every handshake's log, read as one file at the end
	var randoms [][]byte
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w bytes.Buffer
			cr := handshake(t, cert, tt.version, tt.suites, &w)
			all.Write(w.Bytes())
			randoms = append(randoms, cr)
			l := New()
			warns := l.ReadBytes(w.Bytes(), "go.keys")
			if warns != nil {
				t.Errorf("warnings: %v", warns)
			}
			for label := tlsparse.SecretMaster; label <= tlsparse.SecretServerTraffic0; label++ {
				s, ok := l.Secret(label, cr)
				want, wantOK := tt.labels[label]
				if ok != wantOK || len(s) != want {
					t.Errorf("Secret(%v) = %d bytes, %v; want %d bytes, %v", label, len(s), ok, want, wantOK)
				}
			}
			if st := l.Stats(); st.Malformed != 0 || st.Entries != len(tt.labels) {
				t.Errorf("stats %+v\nlog:\n%s", st, redact(w.String()))
			}
		})
	}
	// All the logs as one file, twice (client and server write the same
	// lines): nothing replaced, everything found.
	l := New()
	if warns := l.ReadBytes(append(bytes.Clone(all.Bytes()), all.Bytes()...), "all.keys"); warns != nil {
		t.Errorf("warnings: %v", warns)
	}
	if st := l.Stats(); st.Replaced != 0 || st.Entries != 7 {
		t.Errorf("stats %+v", st)
	}
	for i, cr := range randoms {
		label := tlsparse.SecretMaster
		if tests[i].version == tls.VersionTLS13 {
			label = tlsparse.SecretClientTraffic0
		}
		if _, ok := l.Secret(label, cr); !ok {
			t.Errorf("%s: no %v in the joint log", tests[i].name, label)
		}
	}
}

// redact keeps labels only, for a failure message.
func redact(log string) string {
	var b strings.Builder
	for line := range strings.Lines(log) {
		label, _, _ := strings.Cut(line, " ")
		b.WriteString(label + " ...\n")
	}
	return b.String()
}
