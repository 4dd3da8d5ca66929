package reassembly_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// TestRenegotiationWatch runs the renegotiation watch (startWatch: a TLS
// 1.2 connection whose handshake is over is read past gopacket, its
// in-order payload fed straight to the Conn) over what TCP does after a
// handshake: an encrypted handshake record after the Finished (a
// renegotiation), split over segments, retransmitted, reordered, lost,
// and a port reused for the next connection.
func TestRenegotiationWatch(t *testing.T) {
	// An encrypted handshake record (what a renegotiation's first
	// message looks like without keys) and application data.
	reneg := append([]byte{22, 3, 3, 0, 40}, make([]byte, 40)...)
	appData := append([]byte{23, 3, 3, 0, 100}, make([]byte, 100)...)
	tests := []struct {
		name  string
		after func(c *conv)
		flags tlsparse.Flags // of the row, besides ticket_issued
		open  int            // connections open before Close
	}{
		{"application data, then close", func(c *conv) {
			c.send(0, appData)
			c.send(1, appData)
			c.close()
		}, 0, 0},
		{"a renegotiation", func(c *conv) {
			c.send(0, appData)
			c.send(1, reneg)
			c.close()
		}, tlsparse.FlagsOf(tlsparse.FlagRenegotiation), 0},
		{"a renegotiation over two segments, one retransmitted", func(c *conv) {
			c.send(0, appData)
			c.add(1, "PA", reneg[:3])
			c.seq[1] -= 3
			c.add(1, "PA", reneg[:3]) // the same bytes again
			c.add(1, "PA", reneg[3:])
			c.close()
		}, tlsparse.FlagsOf(tlsparse.FlagRenegotiation), 0},
		{"the renegotiation record before the application data it follows", func(c *conv) {
			c.send(0, appData)
			at := c.seq[1]
			c.seq[1] += uint32(len(appData))
			c.send(1, reneg) // arrives first
			c.seq[1] = at
			c.send(1, appData)
			c.seq[1] += uint32(len(reneg))
			c.close()
		}, tlsparse.FlagsOf(tlsparse.FlagRenegotiation), 0},
		{"a RST in the window but not at the next byte ends nothing", func(c *conv) {
			c.send(0, appData)
			c.rstAt(1, "RA", 100)
			c.send(1, reneg)
			c.close()
		}, tlsparse.FlagsOf(tlsparse.FlagRenegotiation), 0},
		{"a segment lost before it: the watch ends, no gap flag", func(c *conv) {
			c.send(0, appData)
			c.seq[1] += 100 // 100 bytes the capture lost
			c.send(1, reneg)
			c.close()
		}, 0, 0},
		{"the capture ends while watching", func(c *conv) {
			c.send(0, appData)
		}, 0, 1},
		{"a RST", func(c *conv) {
			c.send(0, appData)
			c.add(1, "RA", nil)
		}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConv(t, 40200, t0)
			c.open()
			c.handshake(plain12(t, "watch.test"))
			tt.after(c)
			col := &collector{}
			a := reassembly.New(reassembly.Options{}, col.emit)
			for _, p := range c.packets {
				a.Add(p.net, p.tcp, p.ci)
			}
			if w := a.Stats().Watched; w != 1 {
				t.Errorf("%d connections watched, want 1", w)
			}
			if a.Open() != tt.open {
				t.Errorf("%d connections open before Close, want %d", a.Open(), tt.open)
			}
			a.Close()
			rows := tlsRows(col)
			if len(rows) != 1 {
				t.Fatalf("%d rows, want 1", len(rows))
			}
			s := rows[0]
			want := tt.flags | tlsparse.FlagsOf(tlsparse.FlagTicketIssued)
			if s.Flags&^tlsparse.FlagsOf(tlsparse.FlagTicketIssued) != tt.flags || !s.Established || s.Resumption != tlsparse.ResumptionFull {
				t.Errorf("flags %v, established %v, resumption %v; want flags %v (ticket_issued optional), established, full", s.Flags, s.Established, s.Resumption, want)
			}
		})
	}
	// The next connection on the same ports after a watched one: both rows.
	c := newConv(t, 40201, t0)
	c.open()
	c.handshake(plain12(t, "first.test"))
	c.send(0, appData)
	c.seq = [2]uint32{90000, 70000}
	c.open()
	c.handshake(plain12(t, "second.test"))
	c.close()
	col := &collector{}
	a := reassembly.New(reassembly.Options{}, col.emit)
	for _, p := range c.packets {
		a.Add(p.net, p.tcp, p.ci)
	}
	a.Close()
	var snis []string
	for _, s := range tlsRows(col) {
		snis = append(snis, s.SNI)
	}
	if !slices.Equal(snis, []string{"first.test", "second.test"}) {
		t.Errorf("rows %v, want first.test then second.test", snis)
	}
}

// TestManyWatchedAtClose: emitting a watched stream compacts the pending
// list; ending thousands of them at Close or at an idle flush must emit
// each once (a review found the loop walking the list it compacted).
func TestManyWatchedAtClose(t *testing.T) {
	appData := append([]byte{23, 3, 3, 0, 20}, make([]byte, 20)...)
	h := plain12(t, "many.test")
	for _, how := range []string{"close", "idle"} {
		col := &collector{}
		a := reassembly.New(reassembly.Options{}, col.emit)
		const n = 1500
		for i := range n {
			c := newConv(t, uint16(20000+i), t0)
			c.open()
			c.handshake(h)
			c.send(0, appData)
			for _, p := range c.packets {
				a.Add(p.net, p.tcp, p.ci)
			}
		}
		if a.Stats().Watched != n {
			t.Fatalf("%s: %d watched, want %d", how, a.Stats().Watched, n)
		}
		if how == "idle" {
			a.Tick(t0.Add(time.Hour))
		}
		a.Close()
		if got := len(tlsRows(col)); got != n {
			t.Errorf("%s: %d rows, want %d", how, got, n)
		}
	}
}
