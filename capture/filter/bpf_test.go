package filter

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// bpfJustified says why a BPF program may disagree with Match on a packet
// (see Match's documentation), or "".
func bpfJustified(l Layout, in info) string {
	switch {
	case in.vlan && l == LayoutEthernet:
		return whyVLAN
	case in.ip6ext:
		return whyIP6Ext
	case in.short:
		return whyShort
	case in.arp && Libpcap:
		return whyARP // libpcap's programs test ARP addresses too
	}
	return ""
}

// TestBPFAgainstMatch runs both layouts' programs in x/net/bpf's VM over
// every packet of the test captures and compares with Match on the decoded
// packet. It needs no tcpdump. Cooked programs run on the network-layer view
// with the protocol substituted for the SKF_AD_PROTOCOL load (the VM does
// not implement it); kernel_linux_test.go runs them in the kernel.
func TestBPFAgainstMatch(t *testing.T) {
	files := append(writeSynthetic(t, t.TempDir()), realCaptures(t)...)
	exprs := append([]string{
		"port 1 or 2 or 3 or 4 or 5 or 6 or 7 or 8 or 9 or 10 or 11 or 12 or 13 or 14 or 443", // long jumps
		"not (net 10.0.0.0 mask 255.0.255.0 or net 2001:db8::/33)",
		"tcp portrange 0-1023 or udp portrange 5000-65535",
		"ip6 net ::/0 and not ip net 0.0.0.0/0",
	}, compareExprs...)
	checked := 0
	for _, path := range files {
		c := testkit.ReadFile(t, path)
		pkts := make([]Packet, len(c.Packets))
		infos := make([]info, len(c.Packets))
		for i, p := range c.Packets {
			pkts[i], infos[i] = decode(p.Data, c.LinkType)
		}
		for _, expr := range exprs {
			f, err := Parse(expr)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range []Layout{LayoutEthernet, LayoutCooked} {
				if l == LayoutEthernet && c.LinkType != layers.LinkTypeEthernet {
					continue
				}
				raw, err := f.BPF(l, 65535)
				if err != nil {
					t.Fatalf("BPF(%q, %v): %v", expr, l, err)
				}
				v := newVM(t, raw)
				for i, p := range c.Packets {
					var got bool
					if l == LayoutEthernet {
						got = v.run(t, p.Data, 0)
					} else {
						et, view, ok := cookedView(p.Data, c.LinkType)
						if !ok {
							continue
						}
						got = v.run(t, view, et)
					}
					checked++
					if want := f.Match(&pkts[i]); got != want && bpfJustified(l, infos[i]) == "" {
						t.Errorf("%s packet %d %q: BPF(%v) %v, Match %v (%+v %+v)",
							filepath.Base(path), i+1, expr, l, got, want, pkts[i], infos[i])
					}
				}
			}
		}
	}
	t.Logf("%d verdicts compared over %d captures", checked, len(files))
}

// TestBPFProgram pins the program for one expression in both layouts: the
// same tests as tcpdump -d "tcp port 443" (with the IPv6 half first), and
// for the cooked layout the protocol from SKF_AD_PROTOCOL and offsets from
// the network header.
func TestBPFProgram(t *testing.T) {
	if Libpcap {
		t.Skip("the libpcap build returns libpcap's program")
	}
	f, err := Parse("tcp port 443")
	if err != nil {
		t.Fatal(err)
	}
	want := map[Layout]string{
		LayoutEthernet: `ldh [12]
jneq #34525,6
ldb [20]
jneq #6,16
ldh [54]
jeq #443,13
ldh [56]
jeq #443,11,12
jneq #2048,11
ldb [23]
jneq #6,9
ldh [20]
jset #8191,7
ldx 4*([14]&0xf)
ldh [x + 14]
jeq #443,3
ldx 4*([14]&0xf)
ldh [x + 16]
jneq #443,1
ret #1500
ret #0`,
		LayoutCooked: `ld #proto
jneq #34525,6
ldb [6]
jneq #6,16
ldh [40]
jeq #443,13
ldh [42]
jeq #443,11,12
jneq #2048,11
ldb [9]
jneq #6,9
ldh [6]
jset #8191,7
ldx 4*([0]&0xf)
ldh [x + 0]
jeq #443,3
ldx 4*([0]&0xf)
ldh [x + 2]
jneq #443,1
ret #1500
ret #0`,
	}
	for l, w := range want {
		raw, err := f.BPF(l, 1500)
		if err != nil {
			t.Fatal(err)
		}
		insns, _ := bpf.Disassemble(raw)
		var lines []string
		for _, in := range insns {
			lines = append(lines, fmt.Sprint(in))
		}
		if got := strings.Join(lines, "\n"); got != w {
			t.Errorf("%v program:\n%s\nwant:\n%s", l, got, w)
		}
	}
}

// TestBPFLongJumps: a program longer than 255 instructions needs jumps
// past the 8-bit reach of conditional jumps; they must go through "ja"
// trampolines and still decide as Match does.
func TestBPFLongJumps(t *testing.T) {
	var parts []string
	for p := 1; p <= 60; p++ {
		parts = append(parts, fmt.Sprint(p*100))
	}
	expr := "tcp and (port " + strings.Join(parts, " or ") + ") and not host 10.9.9.9"
	f, err := Parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []Layout{LayoutEthernet, LayoutCooked} {
		raw, err := f.BPF(l, 65535)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) < 600 && !Libpcap { // libpcap's optimizer shortens it
			t.Fatalf("program has only %d instructions", len(raw))
		}
		insns, _ := bpf.Disassemble(raw)
		ja := 0
		for _, in := range insns {
			if _, ok := in.(bpf.Jump); ok {
				ja++
			}
		}
		if ja == 0 && !Libpcap {
			t.Errorf("%v: %d instructions and no trampoline", l, len(raw))
		}
		v := newVM(t, raw)
		for port := uint16(0); port < 6200; port += 50 {
			for _, src := range []string{"10.1.1.1", "10.9.9.9"} {
				frame := eth(etherIPv4, ip4(src, "10.2.2.2", 6, tcp(40000, port)))
				pkt, _ := decode(frame, layers.LinkTypeEthernet)
				want := f.Match(&pkt)
				var got bool
				if l == LayoutEthernet {
					got = v.run(t, frame, 0)
				} else {
					got = v.run(t, frame[14:], etherIPv4)
				}
				if got != want {
					t.Errorf("%v: port %d from %s: BPF %v, Match %v", l, port, src, got, want)
				}
			}
		}
	}
}

func TestBPFErrors(t *testing.T) {
	f, err := Parse("tcp")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.BPF(Layout(7), 100); err == nil || err.Error() != "filter: unknown layout 7" {
		t.Errorf("bad layout: %v", err)
	}
	if _, err := f.BPF(LayoutEthernet, 0); err == nil || err.Error() != "filter: snaplen 0 is not positive" {
		t.Errorf("bad snaplen: %v", err)
	}
	// The empty expression accepts everything, cut to snaplen.
	all, _ := Parse("")
	raw, err := all.BPF(LayoutCooked, 96)
	if err != nil {
		t.Fatal(err)
	}
	if insns, _ := bpf.Disassemble(raw); len(insns) != 1 || insns[0] != (bpf.RetConstant{Val: 96}) {
		t.Errorf("empty filter: %v", insns)
	}
	if Libpcap {
		return
	}
	// Past the kernel's 4096 instructions: an error, not a program the
	// kernel would refuse.
	var parts []string
	for p := 1; p <= 300; p++ {
		parts = append(parts, fmt.Sprint(p))
	}
	big, err := Parse("port " + strings.Join(parts, " or "))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := big.BPF(LayoutEthernet, 65535); err == nil || !strings.Contains(err.Error(), "more than the kernel's limit of 4096") {
		t.Errorf("huge program: %v", err)
	}
}
