package filter

import (
	"net/netip"
	"testing"
)

func tcp4(src string, sp uint16, dst string, dp uint16) Packet {
	return Packet{IPVersion: 4, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: 6, SrcPort: sp, DstPort: dp}
}

func TestMatch(t *testing.T) {
	v4 := tcp4("192.168.6.74", 51000, "10.1.2.3", 443)
	v4back := tcp4("10.1.2.3", 443, "192.168.6.74", 51000)
	udp4 := Packet{IPVersion: 4, Src: netip.MustParseAddr("10.0.0.53"), Dst: netip.MustParseAddr("192.168.1.1"), Proto: 17, SrcPort: 53, DstPort: 4000}
	sctp4 := Packet{IPVersion: 4, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), Proto: 132, SrcPort: 443, DstPort: 9999}
	icmp4 := Packet{IPVersion: 4, Src: netip.MustParseAddr("192.168.6.74"), Dst: netip.MustParseAddr("8.8.8.8"), Proto: 1}
	frag4 := tcp4("10.0.0.1", 443, "10.0.0.2", 443)
	frag4.Fragment = true
	v6 := Packet{IPVersion: 6, Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8:1::2"), Proto: 6, SrcPort: 443, DstPort: 50000}
	udp6 := Packet{IPVersion: 6, Src: netip.MustParseAddr("fe80::1"), Dst: netip.MustParseAddr("ff02::fb"), Proto: 17, SrcPort: 5353, DstPort: 5353}
	mapped := Packet{IPVersion: 6, Src: netip.MustParseAddr("::ffff:192.168.6.74"), Dst: netip.MustParseAddr("2001:db8::2"), Proto: 6, SrcPort: 51000, DstPort: 443}
	nonIP := Packet{}
	// A decoder that left an IPv6 address in an IPv4 packet, or none:
	// Match must not panic, only fail the address tests.
	odd := Packet{IPVersion: 4, Src: netip.MustParseAddr("2001:db8::1"), Proto: 6, SrcPort: 443, DstPort: 1}
	// Proto after an IPv6 extension header: Match uses it (see Match).
	ext6 := v6
	ext6.Proto = 6

	all := map[string]Packet{
		"v4": v4, "v4back": v4back, "udp4": udp4, "sctp4": sctp4, "icmp4": icmp4, "frag4": frag4,
		"v6": v6, "udp6": udp6, "mapped": mapped, "nonIP": nonIP, "odd": odd, "ext6": ext6,
	}
	cases := []struct {
		expr    string
		matches []string // the packets of all that match
	}{
		{"", []string{"v4", "v4back", "udp4", "sctp4", "icmp4", "frag4", "v6", "udp6", "mapped", "nonIP", "odd", "ext6"}},
		{"tcp", []string{"v4", "v4back", "frag4", "v6", "mapped", "odd", "ext6"}},
		{"udp", []string{"udp4", "udp6"}},
		{"ip", []string{"v4", "v4back", "udp4", "sctp4", "icmp4", "frag4", "odd"}},
		{"ip6", []string{"v6", "udp6", "mapped", "ext6"}},
		{"not ip and not ip6", []string{"nonIP"}},
		{"ip and not tcp", []string{"udp4", "sctp4", "icmp4"}},
		{"port 443", []string{"v4", "v4back", "sctp4", "v6", "mapped", "odd", "ext6"}}, // not frag4: a later fragment
		{"tcp port 443", []string{"v4", "v4back", "v6", "mapped", "odd", "ext6"}},
		{"udp port 443", nil},
		{"src port 443", []string{"v4back", "sctp4", "v6", "odd", "ext6"}},
		{"dst port 443", []string{"v4", "mapped"}},
		{"src and dst port 5353", []string{"udp6"}},
		{"not port 443", []string{"udp4", "icmp4", "frag4", "udp6", "nonIP"}},
		{"portrange 4000-5000", []string{"udp4"}},
		{"portrange 50000-65535", []string{"v4", "v4back", "v6", "mapped", "ext6"}},
		{"tcp dst portrange 0-1023", []string{"v4", "mapped", "odd"}},
		{"host 192.168.6.74", []string{"v4", "v4back", "icmp4"}}, // not the IPv6-mapped one: family decides
		{"host ::ffff:192.168.6.74", []string{"mapped"}},
		{"src host 192.168.6.74", []string{"v4", "icmp4"}},
		{"dst host 192.168.6.74", []string{"v4back"}},
		{"src and dst host 10.0.0.1", nil},
		{"host 10.0.0.1 or 10.0.0.2", []string{"sctp4", "frag4"}},
		{"net 10", []string{"v4", "v4back", "udp4", "sctp4", "frag4"}},
		{"net 192.168.0.0/16", []string{"v4", "v4back", "udp4", "icmp4"}},
		{"dst net 192.168.1.0 mask 255.255.255.0", []string{"udp4"}},
		{"net 10.0.0.0 mask 255.0.255.0", []string{"udp4", "sctp4", "frag4"}}, // not 10.1.2.3
		{"not net 10.0.0.0/8", []string{"icmp4", "v6", "udp6", "mapped", "nonIP", "odd", "ext6"}},
		{"ip6 host 2001:db8::1", []string{"v6", "ext6"}},
		{"net 2001:db8::/32", []string{"v6", "mapped", "ext6"}},
		{"net 2001:db8:1::/48", []string{"v6", "ext6"}},
		{"dst net 2001:db8:1::/48", []string{"v6", "ext6"}},
		{"net fe80::/10 or net ff00::/8", []string{"udp6"}},
		{"ip6 net ::/0", []string{"v6", "udp6", "mapped", "ext6"}},
		{"ip net 0.0.0.0/0", []string{"v4", "v4back", "udp4", "sctp4", "icmp4", "frag4"}}, // not odd: no IPv4 address
		{"(port 443 or port 4000) and not host 192.168.6.74", []string{"udp4", "sctp4", "v6", "mapped", "odd", "ext6"}},
		// ((tcp and port 443) or udp) and port 53: equal precedence.
		{"tcp and port 443 or udp and port 53", []string{"udp4"}},
		{"port 1 or 2 and 3", nil},
	}
	for _, c := range cases {
		f, err := Parse(c.expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.expr, err)
		}
		want := map[string]bool{}
		for _, n := range c.matches {
			if _, ok := all[n]; !ok {
				t.Fatalf("unknown packet %q", n)
			}
			want[n] = true
		}
		for name, p := range all {
			if got := f.Match(&p); got != want[name] {
				t.Errorf("%q on %s %+v: Match = %v, want %v", c.expr, name, p, got, want[name])
			}
		}
	}
	f, _ := Parse("tcp")
	if f.Match(nil) {
		t.Error("Match(nil) = true")
	}
}

// TestMatchIPv6ExtensionHeaders pins the documented difference: Match uses
// Packet.Proto, the protocol after the extension headers, where tcpdump
// (and BPF) test the fixed header's next header. The tcpdump comparison
// counts these on real packets; here the decoded form is spelled out.
func TestMatchIPv6ExtensionHeaders(t *testing.T) {
	frame := synthPackets()
	var hbh []byte
	for _, sp := range frame {
		if sp.name == "v6 hop-by-hop tcp 443" {
			hbh = sp.frame
		}
	}
	p, in := decode(hbh, 1)
	if !in.ip6ext || p.Proto != 6 || p.DstPort != 443 {
		t.Fatalf("decoded %+v %+v", p, in)
	}
	f, _ := Parse("tcp port 443")
	if !f.Match(&p) {
		t.Error("Match: TCP behind a hop-by-hop header should match tcp port 443")
	}
	raw, err := f.BPF(LayoutEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	if newVM(t, raw).run(t, hbh, 0) {
		t.Error("BPF: tcpdump's program does not look past the hop-by-hop header")
	}
}

func TestMatchAllocs(t *testing.T) {
	f, err := Parse("(port 443 or port 4433) and not host 10.0.0.1 or ip6 net 2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	p := tcp4("192.168.6.74", 51000, "10.1.2.3", 443)
	if n := testing.AllocsPerRun(100, func() { f.Match(&p) }); n != 0 {
		t.Errorf("Match allocates %v times per call", n)
	}
}

func BenchmarkMatch(b *testing.B) {
	f, err := Parse("(tcp port 443 or 8443) and not host 10.0.0.1 and not net 192.168.100.0/24")
	if err != nil {
		b.Fatal(err)
	}
	pkts := []Packet{
		tcp4("192.168.6.74", 51000, "10.1.2.3", 443),
		tcp4("10.1.2.3", 8443, "192.168.6.74", 51000),
		tcp4("10.0.0.1", 443, "192.168.6.74", 51000),
		{IPVersion: 6, Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"), Proto: 6, SrcPort: 443, DstPort: 50000},
	}
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		if f.Match(&pkts[i%len(pkts)]) {
			n++
		}
	}
	if n == 0 {
		b.Fatal("nothing matched")
	}
}
