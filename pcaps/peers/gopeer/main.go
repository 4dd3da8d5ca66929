// Command gopeer is the Go crypto/tls peer of pcaps/peers/keylog.sh: a
// TLS 1.3 server or client for the key-log fixture captures.
//
//	gopeer -mode server -listen host:port -cert server.pem -key server.key
//	       [-clientca ca.pem] [-clientauth require|none] [-n 1..20]
//	gopeer -mode client -addr host:port -ca ca.pem [-cert chain.pem -key k]
//	       -keylog FILE [-servername server.test]
//
// The server accepts -n connections one after the other; on each it
// completes the handshake (with -clientauth require it sends a
// CertificateRequest and RequireAndVerifyClientCert checks the client's
// chain against -clientca), reads one HTTP/1.0 request and answers with a
// tiny page, then closes. The client makes one connection, writes the NSS
// key log of it to -keylog (tls.Config.KeyLogWriter), sends GET / and reads
// the answer to its end. Both are TLS 1.3 only. It is a fixture tool, not
// part of tlsscan: it only talks to the address it is given, and every step
// has a deadline.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	mode := flag.String("mode", "", "server or client")
	listen := flag.String("listen", "", "server: `host:port` to listen on")
	addr := flag.String("addr", "", "client: server `host:port`")
	certFile := flag.String("cert", "", "PEM `file`: own certificate, then its intermediates")
	keyFile := flag.String("key", "", "PEM `file`: own private key")
	caFile := flag.String("ca", "", "client: PEM `file` of the CA that signed the server's certificate")
	clientCA := flag.String("clientca", "", "server: PEM `file` of the CA that must sign client certificates")
	clientAuth := flag.String("clientauth", "require", "server: require (CertificateRequest, RequireAndVerifyClientCert) or none")
	keylog := flag.String("keylog", "", "client: `file` to write the NSS key log to")
	name := flag.String("servername", "server.test", "client: SNI and the name to verify")
	n := flag.Int("n", 1, "server: connections to accept, 1..20")
	flag.Parse()
	var err error
	switch *mode {
	case "server":
		if *listen == "" || *certFile == "" || *keyFile == "" || *n < 1 || *n > 20 ||
			(*clientAuth != "require" && *clientAuth != "none") || (*clientAuth == "require" && *clientCA == "") {
			usage()
		}
		err = server(*listen, *certFile, *keyFile, *clientCA, *clientAuth == "require", *n)
	case "client":
		if *addr == "" || *caFile == "" || *keylog == "" || (*certFile == "") != (*keyFile == "") {
			usage()
		}
		err = client(*addr, *name, *caFile, *certFile, *keyFile, *keylog)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gopeer:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gopeer -mode server -listen host:port -cert F -key F [-clientca F] [-clientauth require|none] [-n 1..20]")
	fmt.Fprintln(os.Stderr, "       gopeer -mode client -addr host:port -ca F [-cert F -key F] -keylog F [-servername name]")
	os.Exit(2)
}

func pool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", file)
	}
	return p, nil
}

func server(listen, certFile, keyFile, clientCA string, require bool, n int) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS13,
	}
	if require {
		if cfg.ClientCAs, err = pool(clientCA); err != nil {
			return err
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println("listening on", ln.Addr())
	tl := ln.(*net.TCPListener)
	for i := range n {
		if err := tl.SetDeadline(time.Now().Add(60 * time.Second)); err != nil {
			return err
		}
		c, err := tl.Accept()
		if err != nil {
			return fmt.Errorf("accept %d: %w", i+1, err)
		}
		if err := serve(tls.Server(c, cfg)); err != nil {
			fmt.Fprintf(os.Stderr, "gopeer: connection %d: %v\n", i+1, err)
		}
	}
	return nil
}

// serve completes the handshake, reads one request (up to its blank line,
// at most 4 KB) and answers with a tiny page.
func serve(c *tls.Conn) error {
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	if err := c.Handshake(); err != nil {
		return err
	}
	st := c.ConnectionState()
	fmt.Printf("version %#04x cipher %s client certificates %d\n", st.Version, tls.CipherSuiteName(st.CipherSuite), len(st.PeerCertificates))
	r := bufio.NewReader(io.LimitReader(c, 4096))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("reading the request: %w", err)
		}
		if strings.TrimRight(line, "\r\n") == "" {
			break
		}
	}
	_, err := io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n")
	return err
}

func client(addr, name, caFile, certFile, keyFile, keylog string) error {
	roots, err := pool(caFile)
	if err != nil {
		return err
	}
	kl, err := os.OpenFile(keylog, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer kl.Close()
	cfg := &tls.Config{
		ServerName:   name,
		RootCAs:      roots,
		MinVersion:   tls.VersionTLS13,
		KeyLogWriter: kl,
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
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
	fmt.Printf("version %#04x cipher %s resumed %v\n", st.Version, tls.CipherSuiteName(st.CipherSuite), st.DidResume)
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		return err
	}
	body, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	fmt.Printf("response %d bytes: %q\n", len(body), firstLine(body))
	if !strings.HasPrefix(string(body), "HTTP/1.0 200") {
		return errors.New("no HTTP response")
	}
	return nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}
