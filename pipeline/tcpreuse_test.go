package pipeline_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tlsscan/tlsscan/pipeline"
	"github.com/tlsscan/tlsscan/report"
)

// reuseRow is what TestTCPReuse checks of each row: the connection's ports
// and SNI, then the verdicts a lost or swallowed handshake would change.
func reuseRow(r *report.Row) string {
	var flags []string
	for f := range r.Flags.All() {
		flags = append(flags, f.String())
	}
	return fmt.Sprintf("%d %s %s %s established=%t flags=%s history=%s",
		r.ClientPort, r.SNI, r.Version, r.Resumption, r.Established, strings.Join(flags, ";"), r.History)
}

// TestTCPReuse holds the rows of the RST, port-reuse and SYN-retransmission
// captures (issue 9): every connection on a reused 4-tuple gets its whole
// row, and only a RST at the next sequence number ends a connection. Each
// capture runs serial and sharded.
func TestTCPReuse(t *testing.T) {
	// The crafted server's certificate is the test PKI's server.pem
	// (SAN server.test only): every SNI here is an sni_mismatch.
	full := func(port int, sni string) string {
		return fmt.Sprintf("%d %s TLSv1.2 full established=true flags=sni_mismatch history=CsxknGIi", port, sni)
	}
	tests := []struct {
		file string
		want []string
	}{
		// SYN, (SYN-ACK,) RST from either side, the same SYN again: the
		// retry's row is whole (before issue 9: no row, the server's
		// half alone, or the lone ClientHello).
		{"crafted/rst-syn-retransmit.pcap", []string{
			full(50801, "retry-1.example.test"),
			full(50802, "retry-2.example.test"),
			full(50803, "retry-3.example.test"),
			full(50804, "retry-4.example.test"),
		}},
		{"crafted/rst-new-isn.pcap", []string{
			full(50811, "first.reset.example.test"),
			full(50811, "second.reset.example.test"),
			"50812 refused.example.test  unknown established=false flags= history=C",
			full(50812, "again.example.test"),
		}},
		{"crafted/rst-old-isn.pcap", []string{
			full(50821, "old-isn-1.example.test"),
			full(50821, "old-isn-2.example.test"),
		}},
		// Out-of-window and in-window-but-inexact RSTs end nothing.
		{"crafted/rst-window.pcap", []string{
			full(50831, "out-of-window.example.test"),
			full(50832, "in-window.example.test"),
		}},
		// The real-peer capture (pcaps/peers/port-reuse.sh): from one
		// source port, a connection reset (SO_LINGER {1,0}) right after
		// the TCP handshake, a TLS connection reset after its request,
		// and a last TLS connection.
		{"real/port-reuse-rst.pcap", nil},
	}
	for _, tt := range tests {
		for _, workers := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/j%d", tt.file, workers), func(t *testing.T) {
				path := filepath.Join("..", "pcaps", filepath.FromSlash(tt.file))
				if _, err := os.Stat(path); tt.want == nil && err != nil {
					t.Skipf("%s not committed yet: %v", tt.file, err)
				}
				rows, _, _ := collect(t, pipeline.Config{Files: []string{path}, Workers: workers})
				var got []string
				for _, r := range rows {
					got = append(got, reuseRow(r))
				}
				want := tt.want
				if want == nil {
					want = realReuseRows
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("rows (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// realReuseRows are the rows of pcaps/real/port-reuse-rst.pcap: the
// script's client port is fixed (40443); the server is OpenSSL's s_server
// -tls1_2, which issues a ticket; no SNI (the client connects by address).
// The first connection, reset before any TLS, makes no row.
var realReuseRows = []string{
	"40443  TLSv1.2 full established=true flags=ticket_issued history=CsxknGIti",
	"40443  TLSv1.2 full established=true flags=ticket_issued history=CsxknGIti",
}
