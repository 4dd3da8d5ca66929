package registrygen

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func TestSpell(t *testing.T) {
	tests := []struct {
		desc string
		keep bool
		want string
	}{
		{"client_hello", false, "client_hello"},
		{"server_key_exchange_RESERVED", false, "server_key_exchange"},
		{`supported_groups (renamed from "elliptic_curves")`, false, "supported_groups"},
		{`supported_groups (renamed from "elliptic_curves")`, true, "supported_groups"},
		{"X25519Kyber768Draft00 (OBSOLETE)", false, "X25519Kyber768Draft00"},
		{"connection_id (deprecated)", true, "connection_id_deprecated"},
		{"TLMSP_proxying", false, "TLMSP_proxying"},
		{"some name", false, "some_name"},
	}
	for _, tt := range tests {
		if got := spell(tt.desc, tt.keep); got != tt.want {
			t.Errorf("spell(%q, %v) = %q, want %q", tt.desc, tt.keep, got, tt.want)
		}
	}
}

// fakeIANA is the committed CSV directory with one file replaced.
func fakeIANA(t *testing.T, file, content string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	ents, err := os.ReadDir("../iana")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		data, err := os.ReadFile("../iana/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = &fstest.MapFile{Data: data}
	}
	m[file] = &fstest.MapFile{Data: []byte(content)}
	return m
}

func TestGenerateCommitted(t *testing.T) {
	if _, err := Generate(os.DirFS("../iana")); err != nil {
		t.Fatal(err)
	}
}

// TestGenerateRefuses checks that generation stops, rather than guess, when
// the CSVs change under an override or make two values print alike.
func TestGenerateRefuses(t *testing.T) {
	const header = "Value,Description,DTLS-OK,Reference,Comment\n"
	tests := []struct {
		name, file, csv, want string
	}{
		{"override of an IANA name that changed", "tls-parameters-5.csv",
			header + "20,change_cipher_spec,Y,,\n26,ack_v2,Y,,\n", `written for IANA's "ACK"`},
		{"IANA now names an unregistered override", "tls-extensiontype-values-1.csv",
			"Value,Extension Name,TLS 1.3,DTLS-Only,Recommended,Reference,Comment\n23,extended_main_secret,-,N,Y,,\n13172,next_protocol_negotiation,CH,N,N,,\n",
			"IANA now names the value"},
		{"two values, one name", "tls-parameters-6.csv",
			header + "0,close_notify,Y,,\n1,close_notify_RESERVED,Y,,\n", `would both print "close_notify"`},
		{"unparseable value", "tls-parameters-6.csv",
			header + "0x01,close_notify,Y,,\n", `bad value "0x01"`},
		{"a name that cannot be spelled", "tls-parameters-6.csv",
			header + "0,\"\",Y,,\n", "unusable name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(fakeIANA(t, tt.file, tt.csv))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Generate = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestPairNames checks the TLS 1.2 signature/hash pairs against the values
// tlsscan has always named, and that pairs never shadow a scheme.
func TestPairNames(t *testing.T) {
	schemes, err := names(os.DirFS("../iana"), schemeReg)
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := pairNames(os.DirFS("../iana"), schemes)
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint16]string{}
	for _, p := range pairs {
		got[p.v] = p.name
	}
	want := map[uint16]string{
		0x0101: "rsa_pkcs1_md5", 0x0102: "dsa_md5", 0x0103: "ecdsa_md5",
		0x0202: "dsa_sha1",
		0x0301: "rsa_pkcs1_sha224", 0x0302: "dsa_sha224", 0x0303: "ecdsa_sha224",
		0x0402: "dsa_sha256", 0x0502: "dsa_sha384", 0x0602: "dsa_sha512",
		0x0840: "gostr34102012_256", 0x0841: "gostr34102012_512",
	}
	if len(got) != len(want) {
		t.Errorf("%d pairs, want %d: %v", len(got), len(want), got)
	}
	for v, name := range want {
		if got[v] != name {
			t.Errorf("pair %#04x = %q, want %q", v, got[v], name)
		}
	}
}
