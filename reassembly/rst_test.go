package reassembly_test

import (
	"strings"
	"testing"

	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// rstAt appends a RST from side from at its next sequence number plus off,
// leaving the side's sequence space as it was.
func (c *conv) rstAt(from int, flags string, off int32) {
	next := c.seq[from]
	c.seq[from] += uint32(off)
	c.add(from, flags, nil)
	c.seq[from] = next
}

// TestRST holds the RST rules: a RST at the sender's next sequence number
// ends the whole connection, with or without ACK and whatever the capture
// missed of the other side, so the next SYN on the same ports (a new ISN,
// or the reset SYN retransmitted) starts a connection with its whole row;
// any other RST ends nothing.
func TestRST(t *testing.T) {
	tests := []struct {
		name  string
		build func(c *conv)
		snis  []string // the rows' SNIs, in order; established, unless "SNI reset"
		open  int      // connections still open before Close
	}{
		{"bare RST after SYN-ACK, same SYN again", func(c *conv) {
			c.add(0, "S", nil)
			c.add(1, "SA", nil)
			c.add(0, "R", nil)
			c.seq = [2]uint32{1000, 7000} // the same client ISN, a new server ISN
			c.open()
			c.handshake(plain12(t, "retry.test"))
			c.close()
		}, []string{"retry.test"}, 0},
		{"the server's bare RST after SYN-ACK, same SYN again", func(c *conv) {
			c.add(0, "S", nil)
			c.add(1, "SA", nil)
			c.add(1, "R", nil)
			c.seq = [2]uint32{1000, 7000}
			c.open()
			c.handshake(plain12(t, "retry.test"))
			c.close()
		}, []string{"retry.test"}, 0},
		{"bare RST without SYN-ACK, same SYN again", func(c *conv) {
			c.add(0, "S", nil)
			c.add(0, "R", nil)
			c.seq = [2]uint32{1000, 7000}
			c.open()
			c.handshake(plain12(t, "retry.test"))
			c.close()
		}, []string{"retry.test"}, 0},
		{"bare RST inside a handshake, new ISN", func(c *conv) {
			h := plain12(t, "first.test")
			c.open()
			c.send(0, h.ClientHello())
			c.send(1, h.ServerFlight())
			c.add(0, "R", nil)
			c.seq = [2]uint32{90000, 70000}
			c.open()
			c.handshake(plain12(t, "second.test"))
			c.close()
		}, []string{"first.test reset", "second.test"}, 0},
		{"server RST+ACK, the client's last bytes not captured", func(c *conv) {
			h := plain12(t, "first.test")
			c.open()
			c.send(0, h.ClientHello())
			c.seq[0] += 300 // the client sent 300 bytes the capture lost
			c.add(1, "RA", nil)
			c.seq = [2]uint32{90000, 70000}
			c.open()
			c.handshake(plain12(t, "second.test"))
			c.close()
		}, []string{"first.test reset", "second.test"}, 0},
		{"RSTs out of the window end nothing", func(c *conv) {
			h := plain12(t, "window.test")
			c.open()
			c.send(0, h.ClientHello())
			c.rstAt(1, "RA", 1<<20)
			c.send(1, h.ServerFlight())
			c.rstAt(0, "RA", -100)
			c.send(0, h.ClientFlight())
			c.send(1, h.ServerFinish())
			c.close()
		}, []string{"window.test"}, 0},
		{"a RST inside the window but not exact ends nothing", func(c *conv) {
			h := plain12(t, "window.test")
			c.open()
			c.send(0, h.ClientHello())
			c.rstAt(1, "RA", 100)
			c.add(0, "A", nil) // the challenge ACK
			c.send(1, h.ServerFlight())
			c.send(0, h.ClientFlight())
			c.send(1, h.ServerFinish())
			// Still open: neither reset, and an established TLS 1.2
			// connection is watched for a renegotiation until it ends.
		}, []string{"window.test"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConv(t, 40100, t0)
			tt.build(c)
			col := &collector{}
			a := reassembly.New(reassembly.Options{}, col.emit)
			for _, p := range c.packets {
				a.Add(p.net, p.tcp, p.ci)
			}
			if a.Open() != tt.open {
				t.Errorf("%d connections open before Close, want %d", a.Open(), tt.open)
			}
			a.Close()
			rows := tlsRows(col)
			if len(rows) != len(tt.snis) {
				t.Fatalf("%d rows, want %d (%v): %+v", len(rows), len(tt.snis), tt.snis, rows)
			}
			for i, r := range rows {
				sni, reset := strings.CutSuffix(tt.snis[i], " reset")
				if r.SNI != sni || r.Established == reset || r.Flags&^tlsparse.FlagsOf(tlsparse.FlagGap) != 0 {
					t.Errorf("row %d: SNI %q established %t flags %v; want %q", i, r.SNI, r.Established, r.Flags, tt.snis[i])
				}
			}
		})
	}
}
