package reassembly_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// segmented is one TLS 1.2 mutual-auth connection whose server flight is
// about 16 KB (a chain of repeated certificates), every direction cut into
// segments of mss bytes: the shape of a path that resegments, or of a
// party that sends one byte per segment to stall analyzers.
func segmented(t *testing.T, mss int) []packet {
	h := plain12(t, "segments.test")
	one := h.ServerCerts
	for len(h.ServerCerts)*len(one[0]) < 16<<10 {
		h.ServerCerts = append(h.ServerCerts, one...)
	}
	c := newConv(t, 40100, t0)
	c.mss = mss
	c.open()
	c.handshake(h)
	c.close()
	return c.packets
}

func payloadBytes(pkts []packet) int {
	n := 0
	for _, p := range pkts {
		n += len(p.tcp.Payload)
	}
	return n
}

// However the bytes are cut, the verdicts are the same, and the parser
// holds no more than one record's worth of them at a time.
func TestSegmentationSameRow(t *testing.T) {
	var want []tlsparse.Summary
	for _, mss := range []int{1400, 536, 7, 1} {
		pkts := segmented(t, mss)
		bud := tlsparse.NewBudget(0)
		col := run(t, reassembly.Options{Parse: tlsparse.Options{Budget: bud}}, pkts)
		got := tlsRows(col)
		if len(got) != 1 || !got[0].Established || got[0].ClientCert != tlsparse.ClientCertSent {
			t.Fatalf("mss %d: rows %+v, want one established mTLS row", mss, got)
		}
		if want == nil {
			want = got
		} else if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("mss %d: row differs from mss 1400 (-1400 +%d):\n%s", mss, mss, diff)
		}
		// A 16 KB record held whole, plus the Certificate message
		// gathered across records (at most twice its size while
		// growing).
		if peak := bud.Peak(); peak > 80<<10 {
			t.Errorf("mss %d: buffers peaked at %d bytes", mss, peak)
		}
		if bud.Used() != 0 {
			t.Errorf("mss %d: %d bytes still held after the connection was emitted", mss, bud.Used())
		}
	}
}

// BenchmarkSegmentation runs the same connection cut into segments of 1400,
// 7 and 1 bytes. The cost per byte must stay flat (linear in the bytes of a
// connection, however cut): before the parser held cut records itself,
// gopacket's KeepFrom re-copied the kept bytes with every segment and 1-byte
// segments cost time quadratic in the record length.
func BenchmarkSegmentation(b *testing.B) {
	t := &testing.T{}
	for _, mss := range []int{1400, 7, 1} {
		pkts := segmented(t, mss)
		b.Run(fmt.Sprintf("mss=%d", mss), func(b *testing.B) {
			// One Assembler for all rounds, the connection reusing its
			// ports (after FIN-FIN), so that the Assembler's own set-up
			// is not what is measured.
			rows := 0
			a := reassembly.New(reassembly.Options{}, func(r *reassembly.Result) {
				if r.Conn.Summary().Established {
					rows++
				}
			})
			b.SetBytes(int64(payloadBytes(pkts)))
			b.ReportAllocs()
			for range b.N {
				for _, p := range pkts {
					a.Add(p.net, p.tcp, p.ci)
				}
			}
			a.Close()
			if rows != b.N {
				b.Fatalf("%d established rows for %d rounds", rows, b.N)
			}
		})
	}
}
