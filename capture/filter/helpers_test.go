package filter

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// Test helpers: the real captures to read (with internal/testkit),
// decoding packets to Packet with gopacket
// (as the capture layer does, through VLAN tags and IPv6 extension
// headers), running programs in x/net/bpf's VM, and a synthetic capture
// with the packets the real ones lack (fragments, extension headers, ARP,
// SCTP, VLAN tags, a snaplen cut).

// realCaptures lists the real captures the tests run over: every link
// type the capture layer supports, IPv4 and IPv6, TCP and UDP. Missing
// ones are skipped (shared/ may be absent).
func realCaptures(t testing.TB) []string {
	t.Helper()
	dir := testkit.OptionalCorpus(t)
	if dir == "" {
		return nil
	}
	names := []string{
		"zeek/traces/dhe.pcap",                              // Ethernet
		"zeek/traces/certificate-request-failed.pcap",       // Ethernet, IPv6
		"zeek/traces/ssl.v3.pcap",                           // Ethernet
		"zeek/traces/rdp-to-ssl.pcap",                       // Ethernet, many packets
		"zeek/traces/socks-with-ssl.pcap",                   // Ethernet
		"zeek/traces/psql-aws-ssl-require-15432.pcap",       // Ethernet
		"zeek/traces/dtls1_2.pcap",                          // Ethernet, UDP
		"zeek/traces/webrtc-stun.pcap",                      // Ethernet, UDP
		"zeek/traces/google-duplicate.pcap",                 // Ethernet, duplicates
		"zeek/traces/irc-starttls.pcap",                     // Linux SLL
		"zeek/traces/openjdk-25.0.2-zeek.org.pcap",          // Linux SLL2
		"zeek/traces/pop3-starttls.pcap",                    // NULL
		"zeek/traces/ml-dsa-44-cert.pcap",                   // raw IP (101)
		"zeek/traces/ocsp-empty-responderid.pcap",           // IPv4 (228)
		"wireshark/captures/quic_follow_multistream.pcapng", // pcapng, UDP
		"wireshark/captures/tls-fragmented-handshakes.pcap.gz",
	}
	var out []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	if p := "../../pcaps/real/tls12-ipv6.pcap"; fileExists(p) {
		out = append(out, p)
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// info is what the tests need to know about a packet besides its Packet,
// to tell the justified differences from tcpdump (see Match) apart.
type info struct {
	arp    bool // ARP or RARP
	vlan   bool // an 802.1Q/802.1ad tag before the network header
	ip6ext bool // IPv6 with an extension header before the transport
	short  bool // the snapshot cut the headers a filter reads
}

// decode fills a Packet from a raw packet with gopacket, the way the
// capture layer decodes: the first IP header, through VLAN tags and IPv6
// extension headers, then the TCP, UDP or SCTP ports.
func decode(data []byte, lt layers.LinkType) (Packet, info) {
	var p Packet
	var in info
	pkt := gopacket.NewPacket(data, testkit.Decoder(lt), gopacket.DecodeOptions{NoCopy: true})
	transport := false
loop:
	for _, l := range pkt.Layers() {
		switch l := l.(type) {
		case *layers.Dot1Q:
			in.vlan = true
		case *layers.ARP:
			in.arp = true
		case *layers.IPv4:
			if p.IPVersion != 0 {
				break loop
			}
			p.IPVersion = 4
			p.Src, _ = netip.AddrFromSlice(l.SrcIP.To4())
			p.Dst, _ = netip.AddrFromSlice(l.DstIP.To4())
			p.Proto = uint8(l.Protocol)
			p.Fragment = l.FragOffset != 0
		case *layers.IPv6:
			if p.IPVersion != 0 {
				break loop
			}
			p.IPVersion = 6
			p.Src, _ = netip.AddrFromSlice(l.SrcIP)
			p.Dst, _ = netip.AddrFromSlice(l.DstIP)
			p.Proto = uint8(l.NextHeader)
			if l.HopByHop != nil {
				p.Proto = uint8(l.HopByHop.NextHeader)
				in.ip6ext = true
			}
		case *layers.IPv6HopByHop:
			p.Proto = uint8(l.NextHeader)
			in.ip6ext = true
		case *layers.IPv6Routing:
			p.Proto = uint8(l.NextHeader)
			in.ip6ext = true
		case *layers.IPv6Destination:
			p.Proto = uint8(l.NextHeader)
			in.ip6ext = true
		case *layers.IPv6Fragment:
			p.Proto = uint8(l.NextHeader)
			p.Fragment = l.FragmentOffset != 0
			in.ip6ext = true
		case *layers.TCP:
			p.SrcPort, p.DstPort = uint16(l.SrcPort), uint16(l.DstPort)
			transport = true
			break loop
		case *layers.UDP:
			p.SrcPort, p.DstPort = uint16(l.SrcPort), uint16(l.DstPort)
			transport = true
			break loop
		case *layers.SCTP:
			p.SrcPort, p.DstPort = uint16(l.SrcPort), uint16(l.DstPort)
			transport = true
			break loop
		}
	}
	// A transport header that should be there but was not decoded is cut
	// (or broken): tcpdump's port loads fail on it. gopacket adds a layer
	// before decoding it, so a failed one is there, empty.
	if p.IPVersion != 0 && !p.Fragment && (p.Proto == ipprotoTCP || p.Proto == ipprotoUDP || p.Proto == ipprotoSCTP) &&
		(!transport || pkt.ErrorLayer() != nil) {
		in.short = true
		p.SrcPort, p.DstPort = 0, 0
	}
	return p, in
}

// cookedView returns what a SOCK_DGRAM socket's filter sees of a packet:
// the network header on, with the protocol as an ancillary value. VLAN
// tags are taken off, as the kernel's VLAN offload does.
func cookedView(data []byte, lt layers.LinkType) (uint16, []byte, bool) {
	var et uint16
	switch lt {
	case layers.LinkTypeEthernet:
		if len(data) < 14 {
			return 0, nil, false
		}
		et, data = binary.BigEndian.Uint16(data[12:]), data[14:]
		for (et == 0x8100 || et == 0x88a8) && len(data) >= 4 {
			et, data = binary.BigEndian.Uint16(data[2:]), data[4:]
		}
	case layers.LinkTypeLinuxSLL:
		if len(data) < 16 {
			return 0, nil, false
		}
		et, data = binary.BigEndian.Uint16(data[14:]), data[16:]
	case layers.LinkTypeLinuxSLL2:
		if len(data) < 20 {
			return 0, nil, false
		}
		et, data = binary.BigEndian.Uint16(data[0:]), data[20:]
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if len(data) < 5 {
			return 0, nil, false
		}
		data = data[4:]
		fallthrough
	case layers.LinkTypeRaw, 12, 14, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		if len(data) == 0 {
			return 0, nil, false
		}
		switch data[0] >> 4 {
		case 4:
			et = etherIPv4
		case 6:
			et = etherIPv6
		default:
			return 0, nil, false
		}
	default:
		return 0, nil, false
	}
	return et, data, true
}

// vm runs a program in x/net/bpf's VM.
type vm struct {
	insns []bpf.Instruction
	byExt map[uint16]*bpf.VM // cooked programs, per protocol value
	plain *bpf.VM
}

func newVM(t testing.TB, raw []bpf.RawInstruction) *vm {
	t.Helper()
	insns, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatalf("program does not disassemble: %v", raw)
	}
	v := &vm{insns: insns, byExt: map[uint16]*bpf.VM{}}
	for _, in := range insns {
		if e, ok := in.(bpf.LoadExtension); ok && e.Num == bpf.ExtProto {
			return v // cooked: built per protocol in run
		}
	}
	m, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatalf("bpf.NewVM: %v", err)
	}
	v.plain = m
	return v
}

// run returns whether the program accepts data. For a cooked program,
// proto is the SKF_AD_PROTOCOL value: x/net/bpf's VM does not implement
// that extension, so each load of it is replaced by a constant.
func (v *vm) run(t testing.TB, data []byte, proto uint16) bool {
	t.Helper()
	m := v.plain
	if m == nil {
		if m = v.byExt[proto]; m == nil {
			insns := append([]bpf.Instruction(nil), v.insns...)
			for i, in := range insns {
				if e, ok := in.(bpf.LoadExtension); ok && e.Num == bpf.ExtProto {
					insns[i] = bpf.LoadConstant{Dst: bpf.RegA, Val: uint32(proto)}
				}
			}
			var err error
			if m, err = bpf.NewVM(insns); err != nil {
				t.Fatalf("bpf.NewVM: %v", err)
			}
			v.byExt[proto] = m
		}
	}
	n, err := m.Run(data)
	if err != nil {
		t.Fatalf("VM: %v", err)
	}
	return n > 0
}

// Synthetic packets, built byte by byte so that every header is exactly as
// intended (checksums do not matter to a filter).

func ip4(src, dst string, proto byte, payload []byte) []byte {
	return ip4opts(src, dst, proto, 0, nil, payload)
}

// ip4opts builds an IPv4 header with the given flags/fragment-offset word
// and options (a multiple of 4 bytes).
func ip4opts(src, dst string, proto byte, frag uint16, opts, payload []byte) []byte {
	h := make([]byte, 20+len(opts))
	h[0] = 0x40 | byte(len(h)/4)
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)+len(payload)))
	binary.BigEndian.PutUint16(h[6:], frag)
	h[8], h[9] = 64, proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	copy(h[20:], opts)
	return append(h, payload...)
}

func ip6(src, dst string, next byte, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6], h[7] = next, 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, payload...)
}

// ext6 is an 8-byte IPv6 extension header (hop-by-hop, destination
// options) with padding, before payload.
func ext6(next byte, payload []byte) []byte {
	return append([]byte{next, 0, 1, 4, 0, 0, 0, 0}, payload...)
}

func frag6(next byte, offset uint16, more bool, payload []byte) []byte {
	h := []byte{next, 0, 0, 0, 0, 0, 0x12, 0x34}
	w := offset << 3
	if more {
		w |= 1
	}
	binary.BigEndian.PutUint16(h[2:], w)
	return append(h, payload...)
}

func tcp(sp, dp uint16) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], sp)
	binary.BigEndian.PutUint16(h[2:], dp)
	binary.BigEndian.PutUint32(h[4:], 1000)
	h[12], h[13] = 5<<4, 0x02 // SYN
	binary.BigEndian.PutUint16(h[14:], 65535)
	return h
}

func udp(sp, dp uint16) []byte {
	h := make([]byte, 12)
	binary.BigEndian.PutUint16(h[0:], sp)
	binary.BigEndian.PutUint16(h[2:], dp)
	binary.BigEndian.PutUint16(h[4:], 12)
	copy(h[8:], "data")
	return h
}

func sctp(sp, dp uint16) []byte {
	h := make([]byte, 12)
	binary.BigEndian.PutUint16(h[0:], sp)
	binary.BigEndian.PutUint16(h[2:], dp)
	return h
}

var (
	macA = []byte{0x02, 0, 0, 0, 0, 0xa}
	macB = []byte{0x02, 0, 0, 0, 0, 0xb}
)

func eth(et uint16, payload []byte) []byte {
	h := append(append(append([]byte(nil), macB...), macA...), byte(et>>8), byte(et))
	return append(h, payload...)
}

// vlanEth wraps payload in Ethernet with the given stack of tags.
func vlanEth(et uint16, tags []uint16, payload []byte) []byte {
	h := append(append([]byte(nil), macB...), macA...)
	for _, tpid := range tags {
		h = append(h, byte(tpid>>8), byte(tpid), 0, 42)
	}
	h = append(h, byte(et>>8), byte(et))
	return append(h, payload...)
}

func arp(op uint16, senderIP, targetIP string) []byte {
	b := []byte{0, 1, 8, 0, 6, 4, byte(op >> 8), byte(op)}
	s, d := netip.MustParseAddr(senderIP).As4(), netip.MustParseAddr(targetIP).As4()
	b = append(b, macA...)
	b = append(b, s[:]...)
	b = append(b, 0, 0, 0, 0, 0, 0)
	return append(b, d[:]...)
}

// synthPacket is one synthetic frame. capLen, if set, cuts the record.
type synthPacket struct {
	name   string
	frame  []byte // Ethernet
	capLen int
}

func synthPackets() []synthPacket {
	v4 := func(src, dst string, proto byte, payload []byte) []byte {
		return eth(etherIPv4, ip4(src, dst, proto, payload))
	}
	v6 := func(src, dst string, next byte, payload []byte) []byte {
		return eth(etherIPv6, ip6(src, dst, next, payload))
	}
	laterFrag := append([]byte{0x01, 0xbb, 0x01, 0xbb}, make([]byte, 20)...) // reads as ports 443 if misparsed
	return []synthPacket{
		{name: "v4 tcp 443 out", frame: v4("192.168.6.74", "10.1.2.3", 6, tcp(51000, 443))},
		{name: "v4 tcp 443 back", frame: v4("10.1.2.3", "192.168.6.74", 6, tcp(443, 51000))},
		{name: "v4 tcp 8443", frame: v4("192.168.6.74", "172.16.5.4", 6, tcp(51001, 8443))},
		{name: "v4 tcp 4433", frame: v4("172.31.255.1", "192.168.7.1", 6, tcp(4433, 40000))},
		{name: "v4 tcp 22", frame: v4("192.168.6.74", "10.9.9.9", 6, tcp(50022, 22))},
		{name: "v4 tcp ports 0 and 65535", frame: v4("10.0.0.1", "10.0.0.2", 6, tcp(0, 65535))},
		{name: "v4 udp mdns", frame: v4("192.168.6.74", "224.0.0.251", 17, udp(5353, 5353))},
		{name: "v4 udp 53 to 4000", frame: v4("10.0.0.53", "192.168.1.1", 17, udp(53, 4000))},
		{name: "v4 udp 5000", frame: v4("10.0.0.53", "192.168.1.1", 17, udp(5000, 3999))},
		{name: "v4 udp 5001", frame: v4("10.0.0.53", "192.168.1.1", 17, udp(5001, 3999))},
		{name: "v4 icmp", frame: v4("192.168.6.74", "8.8.8.8", 1, []byte{8, 0, 0, 0, 0, 1, 0, 1})},
		{name: "v4 sctp 443", frame: v4("10.0.0.1", "10.0.0.2", 132, sctp(443, 9999))},
		{name: "v4 options tcp 8443", frame: eth(etherIPv4, ip4opts("10.0.0.1", "10.0.0.2", 6, 0, []byte{1, 1, 1, 0}, tcp(8443, 1234)))},
		{name: "v4 first fragment tcp 443", frame: eth(etherIPv4, ip4opts("10.0.0.1", "10.0.0.2", 6, 0x2000, nil, tcp(443, 1234)))},
		{name: "v4 later fragment tcp", frame: eth(etherIPv4, ip4opts("10.0.0.1", "10.0.0.2", 6, 185, nil, laterFrag))},
		{name: "arp request", frame: eth(0x0806, arp(1, "192.168.6.1", "192.168.6.74"))},
		{name: "arp reply", frame: eth(0x0806, arp(2, "192.168.6.74", "192.168.6.1"))},
		{name: "lldp", frame: eth(0x88cc, make([]byte, 46))},
		{name: "v6 tcp 443", frame: v6("2001:db8::1", "2001:db8::2", 6, tcp(443, 50000))},
		{name: "v6 tcp 4433 loopback", frame: v6("::1", "::1", 6, tcp(50001, 4433))},
		{name: "v6 udp mdns", frame: v6("fe80::1", "ff02::fb", 17, udp(5353, 5353))},
		{name: "v6 hop-by-hop tcp 443", frame: v6("2001:db8::1", "2001:db8:1::9", 0, ext6(6, tcp(51000, 443)))},
		{name: "v6 dstopts udp 53", frame: v6("2001:db8::1", "2001:db8:1::9", 60, ext6(17, udp(53, 53)))},
		{name: "v6 first fragment tcp 443", frame: v6("2001:db8::1", "2001:db8::2", 44, frag6(6, 0, true, tcp(443, 50000)))},
		{name: "v6 later fragment tcp", frame: v6("2001:db8::1", "2001:db8::2", 44, frag6(6, 100, false, laterFrag))},
		{name: "v6 icmp6", frame: v6("2001:db8::1", "2001:db8::2", 58, []byte{128, 0, 0, 0, 0, 1, 0, 1})},
		{name: "v6 mapped tcp 443", frame: v6("::ffff:192.168.6.74", "2001:db8::2", 6, tcp(51000, 443))},
		{name: "vlan v4 tcp 443", frame: vlanEth(etherIPv4, []uint16{0x8100}, ip4("192.168.6.74", "10.1.2.3", 6, tcp(51000, 443)))},
		{name: "qinq v6 tcp 443", frame: vlanEth(etherIPv6, []uint16{0x88a8, 0x8100}, ip6("2001:db8::1", "2001:db8::2", 6, tcp(443, 50000)))},
		{name: "v4 tcp cut before dst port", frame: v4("192.168.6.74", "10.1.2.3", 6, tcp(51000, 443)), capLen: 14 + 20 + 2},
	}
}

// writeSynthetic writes the synthetic packets as captures of several link
// types and returns their paths. Non-IP frames only go to Ethernet.
func writeSynthetic(t testing.TB, dir string) []string {
	t.Helper()
	type out struct {
		lt   layers.LinkType
		wrap func(et uint16, ip []byte) []byte
	}
	outs := map[string]out{
		"synthetic-ether.pcap": {layers.LinkTypeEthernet, nil},
		"synthetic-sll.pcap": {layers.LinkTypeLinuxSLL, func(et uint16, ip []byte) []byte {
			h := []byte{0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0xa, 0, 0, byte(et >> 8), byte(et)}
			return append(h, ip...)
		}},
		"synthetic-sll2.pcap": {layers.LinkTypeLinuxSLL2, func(et uint16, ip []byte) []byte {
			h := []byte{byte(et >> 8), byte(et), 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 2, 0, 0, 0, 0, 0xa, 0, 0}
			return append(h, ip...)
		}},
		"synthetic-null.pcap": {layers.LinkTypeNull, func(et uint16, ip []byte) []byte {
			fam := byte(2)
			if et == etherIPv6 {
				fam = 30 // AF_INET6 on macOS
			}
			return append([]byte{fam, 0, 0, 0}, ip...)
		}},
		"synthetic-raw.pcap": {layers.LinkTypeRaw, func(et uint16, ip []byte) []byte { return ip }},
	}
	var paths []string
	for name, o := range outs {
		var pkts []testkit.Packet
		for i, sp := range synthPackets() {
			frame := sp.frame
			cut := sp.capLen
			if o.wrap != nil {
				et, ip, ok := cookedView(frame, layers.LinkTypeEthernet)
				if !ok || et != etherIPv4 && et != etherIPv6 || len(frame)-len(ip) != 14 {
					continue // non-IP or tagged: Ethernet only
				}
				frame = o.wrap(et, ip)
				if cut > 0 {
					cut += len(frame) - len(ip) - 14
				}
			}
			data := frame
			if cut > 0 {
				data = frame[:cut]
			}
			pkts = append(pkts, testkit.Packet{
				Time:   time.Unix(1700000000, int64(i)*1e6), // a millisecond apart
				Data:   data,
				Length: len(frame),
			})
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, testkit.Pcap(testkit.PcapHeader{LinkType: o.lt, Snaplen: 65535}, pkts...), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}
