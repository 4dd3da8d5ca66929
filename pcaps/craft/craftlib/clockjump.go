package craftlib

import (
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// Clock jumps with connections open across them: the identity of -j N
// (pipeline/identity_test.go) and the rows themselves (golden files).
// Idle timers run on capture time, so a jump forward past the idle timeout
// (5 minutes) closes what is open before it, and a jump back moves no
// timer but puts rows out of time order.

func clockJumpItems() []Item {
	return []Item{
		{"hostile/clock-jump-forward.pcap",
			"five TLS 1.2 connections (ports 51400-51404, SNI before, small, across, hello-across, after .example.test) interleaved across two forward clock jumps: +4 minutes (under the idle timeout) with small open (ClientHello sent), then +1 year with across open (server flight seen, client flight after the jump) and hello-across open (ClientHello before the jump, ServerHello after); after opens after it",
			"five rows, one per connection, the same for every -j: before, small and after established; across and hello-across closed as idle at the jump (truncated, not established), their packets after it start no second row; a warning names the one-year jump",
			buildClockJumpForward},
		{"hostile/clock-jump-backward.pcap",
			"four TLS 1.2 connections (ports 51500-51503) across a clock that steps back an hour: before ends before the step; across opens and sends its ClientHello, then the clock goes back an hour and its handshake ends; late opens after the step; syn-early opens 20 s later, its SYN alone stamped 7 minutes before its SYN-ACK",
			"four rows, the same for every -j, all established: before and across with ts their first packet's (across is not closed: no timer runs back), then syn-early and late, whose first packets are stamped an hour before rows read earlier: each sorts as if stamped at the latest time read when it began (README), so after them, syn-early first by its own ts; a warning names the step back",
			buildClockJumpBackward},
	}
}

// phased is a connection built in phases, each a run of its segments.
type phased struct {
	c      *testkit.Conn
	phases [][]*testkit.Segment
}

// phase records the segments add appends to c as the next phase.
func (p *phased) phase(add func(c *testkit.Conn)) *phased {
	n := len(p.c.Segs)
	add(p.c)
	p.phases = append(p.phases, p.c.Segs[n:])
	return p
}

// schedule adds phase i of every connection, in order, for each i, with
// jumps[i] added to the clock after phase i (negative: back).
func schedule(cp *testkit.Capture, conns []*phased, jumps []time.Duration) error {
	for i := 0; ; i++ {
		any := false
		for _, p := range conns {
			if i < len(p.phases) {
				any = true
				if err := cp.Add(p.phases[i]...); err != nil {
					return err
				}
			}
		}
		if !any {
			return nil
		}
		if i < len(jumps) {
			cp.Clock.Advance(jumps[i])
		}
	}
}

// handshakeIn is a TLS 1.2 handshake in five phases: open, ClientHello,
// server flight, client flight, finish and close (merge regroups them).
func handshakeIn(rng *testkit.RNG, p *PKI, port uint16, sni string) *phased {
	h := Plain12(rng, p, sni)
	c := &phased{c: newConn(rng, port)}
	c.phase(func(c *testkit.Conn) { c.Open() })
	c.phase(func(c *testkit.Conn) { c.Send(testkit.A, h.ClientHello()) })
	c.phase(func(c *testkit.Conn) { c.Send(testkit.B, h.ServerFlight()) })
	c.phase(func(c *testkit.Conn) { c.Send(testkit.A, h.ClientFlight()) })
	c.phase(func(c *testkit.Conn) { h.Finish(c, testkit.A); c.Close(testkit.A) })
	return c
}

// merge makes one phased connection whose phase i is the steps grouped by
// the bounds: phase i holds the segments of src's phases bounds[i-1] up to
// bounds[i].
func merge(src *phased, bounds ...int) *phased {
	out := &phased{c: src.c}
	from := 0
	for _, to := range append(bounds, len(src.phases)) {
		var segs []*testkit.Segment
		for _, ph := range src.phases[from:to] {
			segs = append(segs, ph...)
		}
		out.phases = append(out.phases, segs)
		from = to
	}
	return out
}

func buildClockJumpForward(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("clock-jump-forward")
	const year = 365 * 24 * time.Hour
	// Phases: 0 before the +4 min jump, 1 between the jumps, 2 after
	// the +1 year jump.
	conns := []*phased{
		merge(handshakeIn(rng, p, 51400, "before.example.test"), 5, 5),       // all in phase 0
		merge(handshakeIn(rng, p, 51401, "small.example.test"), 2, 5),        // hello | rest | -
		merge(handshakeIn(rng, p, 51402, "across.example.test"), 1, 3),       // open | hellos | client flight on
		merge(handshakeIn(rng, p, 51403, "hello-across.example.test"), 1, 2), // open | ClientHello | server flight on
		merge(handshakeIn(rng, p, 51404, "after.example.test"), 0, 0),        // all after
	}
	cp := testkit.NewCapture(layers.LinkTypeEthernet)
	if err := schedule(cp, conns, []time.Duration{4 * time.Minute, year}); err != nil {
		return nil, err
	}
	return cp.Pcap(), nil
}

func buildClockJumpBackward(p *PKI) ([]byte, error) {
	rng := testkit.NewRNG("clock-jump-backward")
	// Phases: 0 before the step back, 1 after it, 2 twenty seconds on.
	conns := []*phased{
		merge(handshakeIn(rng, p, 51500, "before.example.test"), 5, 5),
		merge(handshakeIn(rng, p, 51501, "across.example.test"), 2, 5), // open, ClientHello | rest
		merge(handshakeIn(rng, p, 51502, "late.example.test"), 0, 5),   // all after the step
	}
	cp := testkit.NewCapture(layers.LinkTypeEthernet)
	if err := schedule(cp, conns, []time.Duration{-time.Hour, 20 * time.Second}); err != nil {
		return nil, err
	}
	// syn-early: a whole handshake twenty seconds after the step whose
	// SYN alone is stamped 7 minutes before its SYN-ACK.
	early := handshakeIn(rng, p, 51503, "syn-early.example.test")
	for _, ph := range early.phases {
		if err := cp.Add(ph...); err != nil {
			return nil, err
		}
	}
	syn := len(cp.Packets) - len(early.c.Segs)
	cp.Packets[syn].Time = cp.Packets[syn+1].Time.Add(-7 * time.Minute)
	return cp.Pcap(), nil
}
