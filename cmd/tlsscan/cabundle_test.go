package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadCABundle(t *testing.T) {
	dir := t.TempDir()
	ca, err := os.ReadFile(filepath.Join("..", "..", "pcaps", "certs", "ca-a.pem"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := os.ReadFile(filepath.Join("..", "..", "pcaps", "certs", "ca-a.key"))
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p, err := loadCABundle(""); p != nil || err != nil {
		t.Errorf("no --ca-bundle: %v, %v", p, err)
	}
	if p, err := loadCABundle(write("ok.pem", append(append([]byte{}, key...), ca...))); err != nil || p == nil {
		t.Errorf("a key and a certificate: %v", err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.pem"), "no such file"},
		{dir, "is a directory"},
		{write("empty.pem", nil), "holds no PEM certificate"},
		{write("key.pem", key), "holds no PEM certificate"},
		{write("bad.pem", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")), "certificate 1"},
	} {
		if _, err := loadCABundle(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--ca-bundle: ") {
			t.Errorf("%s: %v, want %q", filepath.Base(tc.path), err, tc.want)
		}
	}
}
