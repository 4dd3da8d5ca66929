package pipeline_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tlsscan/tlsscan/pipeline"
	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/report"
)

// bigRow is what TestBigMessages checks of each row: the verdicts a
// handshake message over the old per-message limits used to turn wrong
// (malformed, unknown resumption, established=no, truncated).
func bigRow(r *report.Row) string {
	var flags []string
	for f := range r.Flags.All() {
		flags = append(flags, f.String())
	}
	return fmt.Sprintf("%s %s %s cert_requested=%s client_cert=%s client_certs=%d server_certs=%d established=%t flags=%s",
		r.SNI, r.Version, r.Resumption, r.CertRequested, r.ClientCert, r.ClientCerts, r.ServerCerts,
		r.Established, strings.Join(flags, ";"))
}

// TestBigMessages holds the rows of the real-peer captures of handshake
// messages of any legal size (issue 9; pcaps/peers/big-messages.sh): an
// OpenSSL server's ~400 KB Certificate message (a leaf with 10,500
// subjectAltNames and its intermediate) over TLS 1.2 and 1.3, and a
// CertificateRequest naming 600 CAs (63,600 bytes of
// certificate_authorities) answered by a client certificate from one of
// them. Each runs serial and sharded; the TLS 1.2 Certificate runs again
// under a 64 KiB buffer budget, where it cannot be held: the row is
// flagged oversize with the certificates uncounted, and every other
// verdict the capture supports is kept.
func TestBigMessages(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		budget int64 // reassembly.Options.MaxBuffered; 0: the default
		want   string
	}{
		{"big-cert-tls12", "big-cert-tls12.pcap", 0,
			"big-cert.example.test TLSv1.2 full cert_requested=no client_cert=none client_certs=0 server_certs=2 established=true flags=ticket_issued"},
		// The Certificate is encrypted: nothing about it is known but
		// that the handshake completed.
		{"big-cert-tls13", "big-cert-tls13.pcap", 0,
			"big-cert.example.test TLSv1.3 full cert_requested=no client_cert=none client_certs=-1 server_certs=-1 established=true flags=encrypted_handshake"},
		// The client's issuer, CA 417, is among the 600 names: no
		// client_cert_issuer_not_requested.
		{"many-ca-names", "many-ca-names.pcap", 0,
			"many-ca-names.example.test TLSv1.2 full cert_requested=yes client_cert=sent client_certs=1 server_certs=2 established=true flags=ticket_issued"},
		{"big-cert-tls12/max-buffer-64K", "big-cert-tls12.pcap", 64 << 10,
			"big-cert.example.test TLSv1.2 full cert_requested=no client_cert=none client_certs=0 server_certs=-1 established=true flags=oversize;ticket_issued"},
	}
	for _, tt := range tests {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/j%d", tt.name, workers), func(t *testing.T) {
				path := filepath.Join("..", "pcaps", "real", tt.file)
				rows, res, _ := collect(t, pipeline.Config{
					Files:      []string{path},
					Workers:    workers,
					Reassembly: reassembly.Options{MaxBuffered: tt.budget},
				})
				var got []string
				for _, r := range rows {
					got = append(got, bigRow(r))
				}
				if diff := cmp.Diff([]string{tt.want}, got); diff != "" {
					t.Errorf("rows (-want +got):\n%s", diff)
				}
				var wantOversize uint64
				if tt.budget != 0 {
					wantOversize = 1
				}
				if res.Stats.Oversize != wantOversize {
					t.Errorf("summary counts %d oversize connections, want %d", res.Stats.Oversize, wantOversize)
				}
			})
		}
	}
}
