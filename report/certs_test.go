package report

import (
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"reflect"
	"testing"
)

func TestDNString(t *testing.T) {
	name := pkix.Name{CommonName: "Test CA B", Organization: []string{"tlsscan tests"}}
	der, err := asn1.Marshal(name.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		der  []byte
		want string
	}{
		{der, "CN=Test CA B,O=tlsscan tests"},
		{[]byte{0x30, 0x03, 0x02}, "#300302"}, // not a Name: hex, RFC 4514's escape
		{append(der[:len(der):len(der)], 0), "#" + hex.EncodeToString(der) + "00"},
	} {
		if got := DNString(tt.der); got != tt.want {
			t.Errorf("DNString(%x) = %q; want %q", tt.der, got, tt.want)
		}
	}
}

func TestCertCacheNamesOnce(t *testing.T) {
	var cc CertCache
	bad := []byte("not a certificate")
	a := cc.Info(bad)
	if fp := sha256.Sum256(bad); a.SHA256 != hex.EncodeToString(fp[:]) {
		t.Fatalf("SHA256 = %q", a.SHA256)
	}
	if a.Subject != "" || a.Issuer != "" {
		t.Errorf("names of a non-certificate: %+v", a)
	}
	if b := cc.Info(bad); !reflect.DeepEqual(b, a) || len(cc.m) != 1 {
		t.Errorf("second lookup: %+v, %d cached", b, len(cc.m))
	}
}
