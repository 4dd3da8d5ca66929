package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
)

// maxCABundle bounds the --ca-bundle file read: a system bundle is about
// 200 KB.
const maxCABundle = 64 << 20

// loadCABundle reads the PEM file of --ca-bundle: the CA certificates
// both chains of every connection are verified to (chain_invalid). A file
// that cannot be read, holds no CERTIFICATE block, or a block that does
// not parse is the command line's fault: the caller exits 2 (exitUsage).
// Blocks of other types (a key beside the certificates) are passed over.
// An empty path (no --ca-bundle) is no bundle: nil, nil.
func loadCABundle(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--ca-bundle: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCABundle+1))
	if err != nil {
		return nil, fmt.Errorf("--ca-bundle: %s: %w", path, err)
	}
	if len(b) > maxCABundle {
		return nil, fmt.Errorf("--ca-bundle: %s is larger than %d MiB", path, maxCABundle>>20)
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := b; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("--ca-bundle: %s: certificate %d: %v", path, n+1, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("--ca-bundle: %s holds no PEM certificate", path)
	}
	return pool, nil
}
