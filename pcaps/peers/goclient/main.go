// Command goclient is the Go crypto/tls peer of pcaps/peers/go-client-sessionid.sh:
// a TLS 1.2 client that makes -n full handshakes one after the other, each
// with the random 32-byte session ID Go puts in every ClientHello and never
// resumes by, sends one HTTP/1.0 GET and reads the answer to its end. It has
// no session cache, so no handshake can resume. It is a fixture tool, not
// part of tlsscan: it only talks to the address it is given.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "", "server `host:port`")
	name := flag.String("servername", "server.test", "SNI and the name to verify")
	caFile := flag.String("ca", "", "PEM `file` of the CA that signed the server's certificate")
	n := flag.Int("n", 1, "number of connections, 1..100")
	flag.Parse()
	if *addr == "" || *caFile == "" || *n < 1 || *n > 100 {
		fmt.Fprintln(os.Stderr, "usage: goclient -addr host:port -ca ca.pem [-servername name] [-n 1..100]")
		os.Exit(2)
	}
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		fail(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		fail(fmt.Errorf("no certificate in %s", *caFile))
	}
	cfg := &tls.Config{
		ServerName: *name,
		RootCAs:    roots,
		// TLS 1.2 at most: no supported_versions, so the random session
		// ID is the only one a TLS 1.2 server sees, as from Go clients
		// pinned to TLS 1.2 in the field.
		MaxVersion: tls.VersionTLS12,
	}
	for i := range *n {
		if err := get(*addr, cfg); err != nil {
			fail(fmt.Errorf("connection %d: %w", i+1, err))
		}
	}
}

// get makes one connection: a full handshake, a GET, the answer read to EOF.
func get(addr string, cfg *tls.Config) error {
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	st := c.ConnectionState()
	fmt.Printf("version %#04x resumed %v\n", st.Version, st.DidResume)
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, c)
	return err
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "goclient:", err)
	os.Exit(1)
}
