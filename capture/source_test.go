package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math/rand"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// --- building captures ---------------------------------------------------

// srcPkt is a TCP segment to put in a test capture; IPv6 if src contains ':'.
type srcPkt struct {
	src, dst     string
	sport, dport uint16
	seq          uint32
	payload      string
}

var (
	srcP4  = srcPkt{"10.0.0.1", "10.0.0.2", 51000, 443, 1000, "hello"}
	srcP4b = srcPkt{"10.0.0.2", "10.0.0.1", 443, 51000, 7000, "server says hi"}
	srcP6  = srcPkt{"2001:db8::1", "2001:db8::2", 51001, 443, 2000, "world"}
)

var srcSerializeOpts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

func srcSerialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, srcSerializeOpts, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func (p srcPkt) v6() bool { return strings.Contains(p.src, ":") }

func (p srcPkt) netLayer() gopacket.NetworkLayer {
	if p.v6() {
		return &layers.IPv6{Version: 6, NextHeader: layers.IPProtocolTCP, HopLimit: 64,
			SrcIP: net.ParseIP(p.src), DstIP: net.ParseIP(p.dst)}
	}
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: net.ParseIP(p.src).To4(), DstIP: net.ParseIP(p.dst).To4()}
}

// ip returns the IP datagram carrying p.
func (p srcPkt) ip(t testing.TB) []byte {
	t.Helper()
	nl := p.netLayer()
	tcp := &layers.TCP{SrcPort: layers.TCPPort(p.sport), DstPort: layers.TCPPort(p.dport),
		Seq: p.seq, Ack: 1, ACK: true, PSH: true, Window: 512}
	if err := tcp.SetNetworkLayerForChecksum(nl); err != nil {
		t.Fatal(err)
	}
	return srcSerialize(t, nl.(gopacket.SerializableLayer), tcp, gopacket.Payload(p.payload))
}

func (p srcPkt) ethertype() layers.EthernetType {
	if p.v6() {
		return layers.EthernetTypeIPv6
	}
	return layers.EthernetTypeIPv4
}

var (
	srcMacA = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	srcMacB = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
)

// srcEther frames an L3 payload; each tag is a (TPID, VLAN) pair, outermost first.
func srcEther(t testing.TB, et layers.EthernetType, l3 []byte, tags ...[2]uint16) []byte {
	t.Helper()
	var ls []gopacket.SerializableLayer
	eth := &layers.Ethernet{SrcMAC: srcMacA, DstMAC: srcMacB, EthernetType: et}
	ls = append(ls, eth)
	if len(tags) > 0 {
		eth.EthernetType = layers.EthernetType(tags[0][0])
		for i, tag := range tags {
			next := et
			if i+1 < len(tags) {
				next = layers.EthernetType(tags[i+1][0])
			}
			ls = append(ls, &layers.Dot1Q{VLANIdentifier: tag[1], Type: next})
		}
	}
	return srcSerialize(t, append(ls, gopacket.Payload(l3))...)
}

func (p srcPkt) eth(t testing.TB, tags ...[2]uint16) []byte {
	return srcEther(t, p.ethertype(), p.ip(t), tags...)
}

// gopacket has no serializer for the Linux cooked headers.
func srcSLL(et layers.EthernetType, l3 []byte) []byte {
	h := make([]byte, 16, 16+len(l3))
	binary.BigEndian.PutUint16(h[0:], 0) // to us
	binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:], 6)
	copy(h[6:], srcMacA)
	binary.BigEndian.PutUint16(h[14:], uint16(et))
	return append(h, l3...)
}

func srcSLL2(et layers.EthernetType, l3 []byte) []byte {
	h := make([]byte, 20, 20+len(l3))
	binary.BigEndian.PutUint16(h[0:], uint16(et))
	binary.BigEndian.PutUint32(h[4:], 3) // ifindex
	binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
	h[10] = 4                            // outgoing
	h[11] = 6
	copy(h[12:], srcMacA)
	return append(h, l3...)
}

func srcFamily(order binary.AppendByteOrder, fam uint32, l3 []byte) []byte {
	return append(order.AppendUint32(nil, fam), l3...)
}

func srcUDP(t testing.TB) []byte {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 53}}
	u := &layers.UDP{SrcPort: 5353, DstPort: 53}
	u.SetNetworkLayerForChecksum(ip)
	return srcSerialize(t, ip, u, gopacket.Payload("dns?"))
}

func srcARP(t testing.TB) []byte {
	return srcSerialize(t, &layers.Ethernet{SrcMAC: srcMacA, DstMAC: srcMacB, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
			HwAddressSize: 6, ProtAddressSize: 4, Operation: 1,
			SourceHwAddress: srcMacA, SourceProtAddress: []byte{10, 0, 0, 1},
			DstHwAddress: make([]byte, 6), DstProtAddress: []byte{10, 0, 0, 2}})
}

// srcWithExt inserts IPv6 extension headers between the IPv6 header and
// TCP. Each is given whole with its own protocol number as its first byte;
// that byte moves to the previous header's next-header field.
func srcWithExt(ip6 []byte, exts ...[]byte) []byte {
	out := append([]byte(nil), ip6[:40]...)
	next := ip6[6]
	types := []byte{}
	for _, e := range exts {
		types = append(types, e[0])
	}
	for i, e := range exts {
		e = append([]byte(nil), e...)
		if i+1 < len(exts) {
			e[0] = types[i+1]
		} else {
			e[0] = next
		}
		out = append(out, e...)
	}
	out[6] = types[0]
	out = append(out, ip6[40:]...)
	binary.BigEndian.PutUint16(out[4:], uint16(len(out)-40))
	return out
}

// Extension headers for srcWithExt.
var (
	srcExtDestOpts = []byte{60, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}                        // 16 bytes
	srcExtRouting  = []byte{43, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} // 24 bytes, no segments left
)

func srcExtFragment(offset uint16, more bool) []byte {
	b := []byte{44, 0, 0, 0, 0, 0, 0, 42}
	v := offset << 3
	if more {
		v |= 1
	}
	binary.BigEndian.PutUint16(b[2:], v)
	return b
}

// srcWithHopByHop puts a hop-by-hop header first. Its protocol number is 0,
// so a placeholder goes through srcWithExt and is replaced.
func srcWithHopByHop(ip6 []byte, more ...[]byte) []byte {
	out := srcWithExt(ip6, append([][]byte{{99, 0, 1, 4, 0, 0, 0, 0}}, more...)...)
	out[6] = 0
	return out
}

// srcIPv4Frag turns an IPv4 datagram into a fragment.
func srcIPv4Frag(ip []byte, offset uint16, more bool) []byte {
	ip = append([]byte(nil), ip...)
	v := offset
	if more {
		v |= 0x2000
	}
	binary.BigEndian.PutUint16(ip[6:], v)
	return ip
}

var srcT0 = time.Date(2024, 3, 1, 12, 0, 0, 123456000, time.UTC)

// srcRecs timestamps the frames one second apart from srcT0.
func srcRecs(frames ...[]byte) []testkit.Packet {
	out := make([]testkit.Packet, len(frames))
	for i, f := range frames {
		out[i] = testkit.Packet{Data: f, Time: srcT0.Add(time.Duration(i) * time.Second)}
	}
	return out
}

// srcPcapngBE writes a big-endian pcapng section with one interface,
// which pcapgo cannot write.
func srcPcapngBE(link layers.LinkType, rs []testkit.Packet) []byte {
	w := testkit.NGWriter{BigEndian: true}
	w.SectionHeader()
	w.InterfaceDescription(link, 0)
	for _, r := range rs {
		w.EnhancedPacket(r)
	}
	return w.Bytes()
}

// --- reading ---------------------------------------------------------------

// srcGot is what a test checks of a Segment.
type srcGot struct {
	file         string
	packet       uint64
	src, dst     string
	sport, dport uint16
	seq          uint32
	payload      string
	cut          bool
}

func srcWant(file string, packet uint64, p srcPkt) srcGot {
	return srcGot{file, packet, p.src, p.dst, p.sport, p.dport, p.seq, p.payload, false}
}

func (g srcGot) withCut(payload string) srcGot {
	g.payload, g.cut = payload, true
	return g
}

func srcSummary(s *Segment) srcGot {
	src, dst := s.Net.Endpoints()
	return srcGot{s.File, s.Packet, src.String(), dst.String(), uint16(s.TCP.SrcPort), uint16(s.TCP.DstPort),
		s.TCP.Seq, string(s.TCP.Payload), s.Cut}
}

// srcReadAll reads f to the end; errors are returned as their messages.
func srcReadAll(t testing.TB, f *Files) ([]srcGot, []string) {
	t.Helper()
	var segs []srcGot
	var errs []string
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatal("Next does not terminate")
		}
		s, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Next: %v is not a *FileError", err)
			}
			errs = append(errs, err.Error())
			continue
		}
		if len(s.TCP.Payload) > s.CI.CaptureLength {
			t.Fatalf("payload %d bytes, capture length %d", len(s.TCP.Payload), s.CI.CaptureLength)
		}
		segs = append(segs, srcSummary(s))
	}
	if _, err := f.Next(); err != io.EOF {
		t.Fatalf("Next after the end: %v, want io.EOF", err)
	}
	return segs, errs
}

// srcInDir makes a temporary directory the working directory, so that file
// names (and so error messages) are short and exact, and writes files there.
func srcInDir(t *testing.T, files map[string][]byte) {
	t.Helper()
	t.Chdir(t.TempDir())
	for name, b := range files {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func srcOpen(t testing.TB, names ...string) *Files {
	t.Helper()
	f, err := OpenFiles(names, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// --- tests -----------------------------------------------------------------

func TestSourceDecode(t *testing.T) {
	const F = "c"
	type tc struct {
		name        string
		file        func(t *testing.T) []byte
		want        []srcGot
		nonTCP, bad uint64
	}
	eth := layers.LinkTypeEthernet
	tests := []tc{
		{
			name: "ethernet pcap",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535}, srcRecs(srcP4.eth(t), srcARP(t), srcEther(t, layers.EthernetTypeIPv4, srcUDP(t)), srcP4b.eth(t), srcP6.eth(t))...)
			},
			want:   []srcGot{srcWant(F, 1, srcP4), srcWant(F, 4, srcP4b), srcWant(F, 5, srcP6)},
			nonTCP: 2,
		},
		{
			name: "802.1Q and QinQ",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535}, srcRecs(
					srcP4.eth(t, [2]uint16{0x8100, 10}),
					srcP6.eth(t, [2]uint16{0x88a8, 100}, [2]uint16{0x8100, 10}),
					srcP4b.eth(t, [2]uint16{0x9100, 100}, [2]uint16{0x8100, 10}),
					srcEther(t, layers.EthernetTypeIPv4, srcUDP(t), [2]uint16{0x8100, 10}))...)
			},
			want:   []srcGot{srcWant(F, 1, srcP4), srcWant(F, 2, srcP6), srcWant(F, 3, srcP4b)},
			nonTCP: 1,
		},
		{
			name: "linux SLL",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeLinuxSLL, Snaplen: 65535}, srcRecs(srcSLL(layers.EthernetTypeIPv4, srcP4.ip(t)), srcSLL(layers.EthernetTypeIPv6, srcP6.ip(t)), srcSLL(layers.EthernetTypeARP, make([]byte, 28)))...)
			},
			want:   []srcGot{srcWant(F, 1, srcP4), srcWant(F, 2, srcP6)},
			nonTCP: 1,
		},
		{
			name: "linux SLL2",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeLinuxSLL2, Snaplen: 65535}, srcRecs(srcSLL2(layers.EthernetTypeIPv6, srcP6.ip(t)), srcSLL2(layers.EthernetTypeIPv4, srcP4.ip(t)))...)
			},
			want: []srcGot{srcWant(F, 1, srcP6), srcWant(F, 2, srcP4)},
		},
		{
			name: "NULL in both byte orders",
			file: func(t *testing.T) []byte {
				le, be := binary.LittleEndian, binary.BigEndian
				return testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeNull, Snaplen: 65535}, srcRecs(
					srcFamily(le, 2, srcP4.ip(t)), srcFamily(be, 2, srcP4b.ip(t)),
					srcFamily(le, 24, srcP6.ip(t)), srcFamily(be, 28, srcP6.ip(t)), srcFamily(le, 30, srcP6.ip(t)),
					srcFamily(le, 7, srcP4.ip(t)))...)
			},
			want:   []srcGot{srcWant(F, 1, srcP4), srcWant(F, 2, srcP4b), srcWant(F, 3, srcP6), srcWant(F, 4, srcP6), srcWant(F, 5, srcP6)},
			nonTCP: 1,
		},
		{
			name: "LOOP",
			file: func(t *testing.T) []byte {
				be := binary.BigEndian
				return testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeLoop, Snaplen: 65535}, srcRecs(srcFamily(be, 2, srcP4.ip(t)), srcFamily(be, 24, srcP6.ip(t)))...)
			},
			want: []srcGot{srcWant(F, 1, srcP4), srcWant(F, 2, srcP6)},
		},
		{
			name: "raw 101",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeRaw, Snaplen: 65535}, srcRecs(srcP4.ip(t), srcP6.ip(t), []byte{0x50, 1, 2, 3})...)
			},
			want: []srcGot{srcWant(F, 1, srcP4), srcWant(F, 2, srcP6)},
			bad:  1,
		},
		{
			name: "raw 12",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: 12, Snaplen: 65535}, srcRecs(srcP6.ip(t), srcP4.ip(t))...)
			},
			want: []srcGot{srcWant(F, 1, srcP6), srcWant(F, 2, srcP4)},
		},
		{
			name: "raw 14 (OpenBSD)",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: 14, Snaplen: 65535}, srcRecs(srcP4.ip(t), srcP6.ip(t))...)
			},
			want: []srcGot{srcWant(F, 1, srcP4), srcWant(F, 2, srcP6)},
		},
		{
			name: "IPv4 228",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeIPv4, Snaplen: 65535}, srcRecs(srcP4.ip(t), srcP6.ip(t))...)
			},
			want: []srcGot{srcWant(F, 1, srcP4)},
			bad:  1, // an IPv6 packet on an IPv4 link
		},
		{
			name: "IPv6 229",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeIPv6, Snaplen: 65535}, srcRecs(srcP6.ip(t))...)
			},
			want: []srcGot{srcWant(F, 1, srcP6)},
		},
		{
			name: "IPv6 extension headers",
			file: func(t *testing.T) []byte {
				ip := srcP6.ip(t)
				return testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeRaw, Snaplen: 65535}, srcRecs(
					srcWithExt(ip, srcExtDestOpts),
					srcWithHopByHop(ip, srcExtRouting, srcExtDestOpts),
					srcWithExt(ip, []byte{59, 0, 0, 0, 0, 0, 0, 0}), // "no next header"
					srcWithExt(ip, []byte{60, 9, 0, 0, 0, 0, 0, 0}), // longer than the packet
				)...)
			},
			want:   []srcGot{srcWant(F, 1, srcP6), srcWant(F, 2, srcP6)},
			nonTCP: 1,
			bad:    1,
		},
		{
			name: "fragments",
			file: func(t *testing.T) []byte {
				ip4, ip6 := srcP4.ip(t), srcP6.ip(t)
				return testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeRaw, Snaplen: 65535}, srcRecs(
					srcIPv4Frag(ip4, 0, true),         // first: counts, incomplete
					srcIPv4Frag(ip4, 3, false),        // later: not TCP
					srcIPv4Frag(ip4[:20+12], 0, true), // first, TCP header cut: not TCP
					srcWithExt(ip6, srcExtFragment(0, true)),
					srcWithExt(ip6, srcExtFragment(8, false)),
					srcWithExt(ip6, srcExtFragment(0, false)), // atomic: whole
				)...)
			},
			want: []srcGot{
				srcWant(F, 1, srcP4).withCut(srcP4.payload),
				srcWant(F, 4, srcP6).withCut(srcP6.payload),
				srcWant(F, 6, srcP6),
			},
			nonTCP: 3,
		},
		{
			name: "snaplen cuts",
			file: func(t *testing.T) []byte {
				full := srcP4.eth(t)
				short := srcPkt{"10.0.0.1", "10.0.0.2", 1, 2, 3, ""}.eth(t) // padded to 60 bytes
				return testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535}, []testkit.Packet{
					{Data: full[:14+40+3], Length: len(full), Time: srcT0},    // payload cut
					{Data: full[:14+20+10], Length: len(full), Time: srcT0},   // TCP header cut
					{Data: full[:14+10], Length: len(full), Time: srcT0},      // IP header cut
					{Data: short[:14+40+2], Length: len(short), Time: srcT0},  // only padding cut
					{Data: append(full, 0xde, 0xad, 0xbe, 0xef), Time: srcT0}, // a trailer after IP
				}...)
			},
			want: []srcGot{
				srcWant(F, 1, srcP4).withCut("hel"),
				srcWant(F, 4, srcPkt{"10.0.0.1", "10.0.0.2", 1, 2, 3, ""}),
				srcWant(F, 5, srcP4),
			},
			bad: 2,
		},
		{
			name: "garbage headers",
			file: func(t *testing.T) []byte {
				ip := srcP4.ip(t)
				badOff := append([]byte(nil), ip...)
				badOff[20+12] = 0x40 // TCP data offset 4
				badLen := append([]byte(nil), ip...)
				binary.BigEndian.PutUint16(badLen[2:], 10) // shorter than the header
				tso := append([]byte(nil), ip...)
				binary.BigEndian.PutUint16(tso[2:], 0)
				return testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeRaw, Snaplen: 65535}, srcRecs(badOff, badLen, []byte{0x45}, nil, tso)...)
			},
			want: []srcGot{srcWant(F, 5, srcP4)},
			bad:  4,
		},
		{
			name: "nanosecond pcap",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535, Nanos: true}, srcRecs(srcP4.eth(t))...)
			},
			want: []srcGot{srcWant(F, 1, srcP4)},
		},
		{
			name: "big-endian pcap",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535, BigEndian: true}, srcRecs(srcP4.eth(t), srcP6.eth(t))...)
			},
			want: []srcGot{srcWant(F, 1, srcP4), srcWant(F, 2, srcP6)},
		},
		{
			name: "big-endian nanosecond pcap",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeRaw, Snaplen: 65535, Nanos: true, BigEndian: true}, srcRecs(srcP6.ip(t), srcP4.ip(t))...)
			},
			want: []srcGot{srcWant(F, 1, srcP6), srcWant(F, 2, srcP4)},
		},
		{
			name: "pcapng with two link types",
			file: func(t *testing.T) []byte {
				rs := srcRecs(srcP4.eth(t), srcSLL2(layers.EthernetTypeIPv6, srcP6.ip(t)), srcARP(t), srcSLL2(layers.EthernetTypeIPv4, srcP4b.ip(t)))
				rs[1].Iface, rs[3].Iface = 1, 1
				return testkit.Pcapng(t, []layers.LinkType{eth, layers.LinkTypeLinuxSLL2}, rs...)
			},
			want:   []srcGot{srcWant(F, 1, srcP4), srcWant(F, 2, srcP6), srcWant(F, 4, srcP4b)},
			nonTCP: 1,
		},
		{
			name: "pcapng custom block takes a frame number",
			file: func(t *testing.T) []byte {
				b := testkit.Pcapng(t, []layers.LinkType{eth}, srcRecs(srcP4.eth(t), srcP6.eth(t))...)
				last := len(b) - int(binary.LittleEndian.Uint32(b[len(b)-4:]))
				// Wireshark shows a custom block as a frame of its own, so
				// tshark numbers the packet after it 3.
				custom := []byte{0xad, 0x0b, 0, 0, 20, 0, 0, 0, 0xd9, 0x7e, 0, 0, 'h', 'i', 0, 0, 20, 0, 0, 0}
				return append(append(append([]byte(nil), b[:last]...), custom...), b[last:]...)
			},
			want: []srcGot{srcWant(F, 1, srcP4), srcWant(F, 3, srcP6)},
		},
		{
			// Sections in both byte orders, where interface 0 changes link type.
			name: "pcapng sections",
			file: func(t *testing.T) []byte {
				var b []byte
				b = append(b, testkit.Pcapng(t, []layers.LinkType{eth}, srcRecs(srcP4.eth(t))...)...)
				b = append(b, srcPcapngBE(layers.LinkTypeRaw, srcRecs(srcP6.ip(t), srcP4b.ip(t)))...)
				b = append(b, testkit.Pcapng(t, []layers.LinkType{layers.LinkTypeLinuxSLL2}, srcRecs(srcSLL2(layers.EthernetTypeIPv6, srcP6.ip(t)))...)...)
				return b
			},
			want: []srcGot{srcWant(F, 1, srcP4), srcWant(F, 2, srcP6), srcWant(F, 3, srcP4b), srcWant(F, 4, srcP6)},
		},
		{
			name: "gzip pcap",
			file: func(t *testing.T) []byte {
				return testkit.Gzip(testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535, Nanos: true}, srcRecs(srcP4.eth(t), srcP6.eth(t))...))
			},
			want: []srcGot{srcWant(F, 1, srcP4), srcWant(F, 2, srcP6)},
		},
		{
			name: "gzip pcapng",
			file: func(t *testing.T) []byte {
				return testkit.Gzip(testkit.Pcapng(t, []layers.LinkType{layers.LinkTypeRaw}, srcRecs(srcP4.ip(t), srcP6.ip(t))...))
			},
			want: []srcGot{srcWant(F, 1, srcP4), srcWant(F, 2, srcP6)},
		},
		{
			name: "empty pcap",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535}, nil...)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.file(t)
			srcInDir(t, map[string][]byte{F: b})
			f := srcOpen(t, F)
			segs, errs := srcReadAll(t, f)
			if !reflect.DeepEqual(segs, tt.want) {
				t.Errorf("segments:\n got %+v\nwant %+v", segs, tt.want)
			}
			if len(errs) != 0 {
				t.Errorf("errors: %q", errs)
			}
			st := f.Stats()
			if st.NonTCP != tt.nonTCP || st.DecodeErrors != tt.bad {
				t.Errorf("NonTCP %d DecodeErrors %d, want %d %d", st.NonTCP, st.DecodeErrors, tt.nonTCP, tt.bad)
			}
			if n := uint64(len(tt.want)) + tt.nonTCP + tt.bad; st.Packets != n || st.Files != 1 {
				t.Errorf("Packets %d Files %d, want %d 1", st.Packets, st.Files, n)
			}
		})
	}
}

// TestSourceRecordFields checks what the table leaves out: timestamps at
// both resolutions and both byte orders, lengths, and the byte counter.
func TestSourceRecordFields(t *testing.T) {
	frame := srcP4.eth(t)
	ts := time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.UTC)
	cut := 14 + 40 + 4 // one payload byte and the Ethernet padding missing
	rs := []testkit.Packet{{Data: frame[:cut], Length: len(frame), Time: ts}}
	for _, tc := range []struct {
		name string
		b    []byte
		want time.Time
	}{
		{"micro LE", testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeEthernet, Snaplen: 65535}, rs...), ts.Truncate(time.Microsecond)},
		{"nano LE", testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeEthernet, Snaplen: 65535, Nanos: true}, rs...), ts},
		{"micro BE", testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeEthernet, Snaplen: 65535, BigEndian: true}, rs...), ts.Truncate(time.Microsecond)},
		{"nano BE", testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeEthernet, Snaplen: 65535, Nanos: true, BigEndian: true}, rs...), ts},
		{"pcapng", testkit.Pcapng(t, []layers.LinkType{layers.LinkTypeEthernet}, rs...), ts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srcInDir(t, map[string][]byte{"c": tc.b})
			f := srcOpen(t, "c")
			s, err := f.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !s.CI.Timestamp.Equal(tc.want) || s.CI.CaptureLength != cut || s.CI.Length != len(frame) {
				t.Errorf("CI %+v, want timestamp %v lengths %d %d", s.CI, tc.want, cut, len(frame))
			}
			if !s.Cut || string(s.TCP.Payload) != "hell" || !s.TCP.ACK || !s.TCP.PSH || s.TCP.Ack != 1 {
				t.Errorf("segment %+v", srcSummary(s))
			}
			if s.Net != srcP4.netLayer().NetworkFlow() {
				t.Errorf("Net %v, want %v", s.Net, srcP4.netLayer().NetworkFlow())
			}
			if st := f.Stats(); st.Bytes != uint64(cut) {
				t.Errorf("Bytes %d", st.Bytes)
			}
		})
	}
}

func TestSourceFileErrors(t *testing.T) {
	eth := layers.LinkTypeEthernet
	three := func(t *testing.T) []byte {
		return testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535}, srcRecs(srcP4.eth(t), srcP4b.eth(t), srcP6.eth(t))...)
	}
	threeNg := func(t *testing.T) []byte {
		return testkit.Pcapng(t, []layers.LinkType{eth}, srcRecs(srcP4.eth(t), srcP4b.eth(t), srcP6.eth(t))...)
	}
	recordStart := func(b []byte, n int) int { // offset of pcap record n (1-based)
		off := 24
		for i := 1; i < n; i++ {
			off += 16 + int(binary.LittleEndian.Uint32(b[off+8:]))
		}
		return off
	}
	for _, tc := range []struct {
		name     string
		file     func(t *testing.T) []byte
		segs     int
		err      string
		is       error
		noFile   bool
		fileName string
	}{
		{
			name: "truncated mid-packet",
			file: func(t *testing.T) []byte { b := three(t); return b[:recordStart(b, 3)+16+30] },
			segs: 2, err: "x.pcap: packet 3: truncated packet record (file ends mid-packet)", is: ErrTruncated,
		},
		{
			name: "truncated mid-record-header",
			file: func(t *testing.T) []byte { b := three(t); return b[:recordStart(b, 3)+5] },
			segs: 2, err: "x.pcap: packet 3: truncated packet record (file ends mid-packet)", is: ErrTruncated,
		},
		{
			name: "truncated pcapng",
			file: func(t *testing.T) []byte { b := threeNg(t); return b[:len(b)-10] },
			segs: 2, err: "x.pcap: packet 3: truncated pcapng block (file ends mid-block)", is: ErrTruncated,
		},
		{
			name: "truncated file header",
			file: func(t *testing.T) []byte { return three(t)[:10] },
			err:  "x.pcap: truncated file header", is: ErrTruncated,
		},
		{
			name: "not a capture",
			file: func(t *testing.T) []byte { return []byte("just some notes\n") },
			err:  "x.pcap: not a pcap or pcapng file", is: ErrNotCapture,
		},
		{
			name: "short garbage",
			file: func(t *testing.T) []byte { return []byte{1, 2} },
			err:  "x.pcap: not a pcap or pcapng file", is: ErrNotCapture,
		},
		{
			name: "empty file",
			file: func(t *testing.T) []byte { return nil },
			err:  "x.pcap: empty file: not a pcap or pcapng file", is: ErrNotCapture,
		},
		{
			name: "gzip of a text file",
			file: func(t *testing.T) []byte { return testkit.Gzip([]byte("hello, world")) },
			err:  "x.pcap: not a pcap or pcapng file", is: ErrNotCapture,
		},
		{
			name: "unsupported link type",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeIEEE802_11, Snaplen: 65535}, srcRecs([]byte{1, 2, 3})...)
			},
			err: "x.pcap: unsupported link type 105 (802.11)",
		},
		{
			name: "unknown link type",
			file: func(t *testing.T) []byte {
				return testkit.Pcap(testkit.PcapHeader{LinkType: 4000, Snaplen: 65535}, nil...)
			},
			err: "x.pcap: unsupported link type 4000",
		},
		{
			name: "pcapng interface with an unsupported link type",
			file: func(t *testing.T) []byte {
				rs := srcRecs(srcP4.eth(t), []byte{1, 2, 3}, srcP4.eth(t))
				rs[1].Iface = 1
				return testkit.Pcapng(t, []layers.LinkType{eth, layers.LinkTypeIEEE802_11}, rs...)
			},
			segs: 1, err: "x.pcap: packet 2: unsupported link type 105 (802.11)",
		},
		{
			name: "record longer than the snaplen",
			file: func(t *testing.T) []byte {
				long := srcPkt{"10.0.0.1", "10.0.0.2", 1, 2, 3, strings.Repeat("x", 100)}
				return testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 60}, srcRecs(srcP4.eth(t), long.eth(t))...)
			},
			segs: 1, err: "x.pcap: packet 2: record length 154 exceeds the snaplen 60",
		},
		{
			name: "absurd record length",
			file: func(t *testing.T) []byte {
				b := testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 0xffffffff}, srcRecs(srcP4.eth(t), srcP4b.eth(t), srcP6.eth(t))...)
				off := recordStart(b, 2)
				binary.LittleEndian.PutUint32(b[off+8:], 0x7fffffff)
				binary.LittleEndian.PutUint32(b[off+12:], 0x7fffffff)
				return b
			},
			segs: 1, err: "x.pcap: packet 2: record length 2147483647 exceeds the 262144-byte limit",
		},
		{
			name: "record longer than the packet",
			file: func(t *testing.T) []byte {
				b := three(t)
				binary.LittleEndian.PutUint32(b[recordStart(b, 1)+12:], 10)
				return b
			},
			err: "x.pcap: packet 1: record length 60 exceeds the original packet length 10",
		},
		{
			name: "absurd pcapng record length",
			file: func(t *testing.T) []byte {
				b := threeNg(t)
				// The last EPB: find it from its trailing length.
				blen := int(binary.LittleEndian.Uint32(b[len(b)-4:]))
				binary.LittleEndian.PutUint32(b[len(b)-blen+20:], 1<<30)
				return b
			},
			segs: 2, err: "x.pcap: packet 3: record length 1073741824 exceeds the 262144-byte limit",
		},
		{
			name: "pcapng record longer than its block",
			file: func(t *testing.T) []byte {
				b := threeNg(t)
				blen := int(binary.LittleEndian.Uint32(b[len(b)-4:]))
				binary.LittleEndian.PutUint32(b[len(b)-blen+20:], uint32(blen))
				return b
			},
			segs: 2, err: "x.pcap: packet 3: malformed pcapng packet block (length 112, record length 112)",
		},
		{
			name: "absurd record length in a big-endian pcapng section",
			file: func(t *testing.T) []byte {
				b := append(testkit.Pcapng(t, []layers.LinkType{eth}, srcRecs(srcP4.eth(t))...),
					srcPcapngBE(layers.LinkTypeRaw, srcRecs(srcP6.ip(t), srcP4b.ip(t)))...)
				blen := int(binary.BigEndian.Uint32(b[len(b)-4:]))
				binary.BigEndian.PutUint32(b[len(b)-blen+20:], 1<<20)
				return b
			},
			segs: 2, err: "x.pcap: packet 3: record length 1048576 exceeds the 262144-byte limit",
		},
		{
			name: "pcapng trailing block length differs",
			file: func(t *testing.T) []byte {
				b := threeNg(t)
				binary.LittleEndian.PutUint32(b[len(b)-4:], 156)
				return b
			},
			segs: 2, err: "x.pcap: packet 3: malformed pcapng block (type 0x6, length 112, trailing length 156)",
		},
		{
			name: "pcapng block length not a multiple of 4",
			file: func(t *testing.T) []byte {
				b := threeNg(t)
				blen := int(binary.LittleEndian.Uint32(b[len(b)-4:]))
				binary.LittleEndian.PutUint32(b[len(b)-blen+4:], 13)
				return b
			},
			segs: 2, err: "x.pcap: packet 3: malformed pcapng block (type 0x6, length 13)",
		},
		{
			name: "unsupported pcap version",
			file: func(t *testing.T) []byte { b := three(t); b[4] = 3; return b },
			err:  "x.pcap: unsupported pcap version 3.4",
		},
		{
			name:   "missing file",
			noFile: true,
			err:    "x.pcap: no such file or directory", is: fs.ErrNotExist,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{}
			if !tc.noFile {
				files["x.pcap"] = tc.file(t)
			}
			srcInDir(t, files)
			f := srcOpen(t, "x.pcap")
			var n int
			var err error
			for {
				_, err = f.Next()
				if err != nil {
					break
				}
				n++
			}
			if n != tc.segs {
				t.Errorf("%d segments before the error, want %d", n, tc.segs)
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a *FileError", err)
			}
			if err.Error() != tc.err {
				t.Errorf("error %q\n      want %q", err, tc.err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
			if _, err := f.Next(); err != io.EOF {
				t.Errorf("Next after the error: %v, want io.EOF", err)
			}
		})
	}
}

// A damaged gzip stream is reported at the packet being read; the packets
// before it were returned.
func TestSourceTruncatedGzip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var frames [][]byte
	for i := range 40 {
		payload := make([]byte, 500)
		rng.Read(payload) // incompressible, so the cut lands mid-file
		frames = append(frames, srcPkt{"10.0.0.1", "10.0.0.2", 1, 2, uint32(i), string(payload)}.eth(t))
	}
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"pcap", testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeEthernet, Snaplen: 65535}, srcRecs(frames...)...)},
		{"pcapng", testkit.Pcapng(t, []layers.LinkType{layers.LinkTypeEthernet}, srcRecs(frames...)...)},
	} {
		z := testkit.Gzip(tc.file)
		for _, cut := range []int{len(z) / 2, len(z) - 4, len(z) - 9} {
			srcInDir(t, map[string][]byte{"x.gz": z[:cut]})
			segs, errs := srcReadAll(t, srcOpen(t, "x.gz"))
			if len(errs) != 1 {
				t.Fatalf("%s cut at %d/%d: errors %q", tc.name, cut, len(z), errs)
			}
			if cut == len(z)/2 && (len(segs) == 0 || len(segs) >= len(frames)) {
				t.Errorf("%s: %d segments before the error", tc.name, len(segs))
			}
			prefix := "x.gz: packet " + strconv.Itoa(len(segs)+1) + ": "
			if !strings.HasPrefix(errs[0], prefix) {
				t.Errorf("%s cut at %d: error %q, want prefix %q", tc.name, cut, errs[0], prefix)
			}
		}
	}
}

// Rotated files named by a glob are read in time order; files without a
// first packet stay where they were given; a FileError does not end the
// capture.
func TestSourceFileOrder(t *testing.T) {
	eth := layers.LinkTypeEthernet
	at := func(sec int, p srcPkt) testkit.Packet {
		return testkit.Packet{Data: p.eth(t), Time: srcT0.Add(time.Duration(sec) * time.Second)}
	}
	seq := func(n uint32) srcPkt { p := srcP4; p.seq = n; return p }
	files := map[string][]byte{
		"x":     testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535}, at(0, seq(0)), at(5, seq(1))),
		"x1":    testkit.Pcapng(t, []layers.LinkType{eth}, at(10, seq(10)), at(15, seq(11))),
		"x2":    testkit.Gzip(testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535, Nanos: true}, at(20, seq(20)))),
		"x10":   testkit.Gzip(testkit.Pcapng(t, []layers.LinkType{eth}, at(100, seq(100)))),
		"empty": testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535}, nil...),
		"junk":  []byte("not a capture at all"),
		"same1": testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535}, at(50, seq(50))),
		"same2": testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535}, at(50, seq(51))),
	}
	srcInDir(t, files)
	f := srcOpen(t, "x10", "empty", "x", "junk", "x1", "same2", "same1", "x2", "missing")
	type ev struct {
		file string
		seq  uint32
	}
	var evs []ev
	for {
		s, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			evs = append(evs, ev{file: "error " + err.Error()})
			continue
		}
		evs = append(evs, ev{s.File, s.TCP.Seq})
	}
	wantEvs := []ev{
		{"x", 0}, {"x", 1}, // slot 0 (x10's) gets the earliest
		// "empty" keeps slot 1 and yields nothing
		{"x1", 10}, {"x1", 11}, // slot 2
		{"error junk: not a pcap or pcapng file", 0}, // slot 3 stays
		{"x2", 20},                   // slot 4
		{"same2", 51}, {"same1", 50}, // equal times keep their order
		{"x10", 100},
		{"error missing: no such file or directory", 0},
	}
	if !reflect.DeepEqual(evs, wantEvs) {
		t.Errorf("read\n %v\nwant\n %v", evs, wantEvs)
	}
	if st := f.Stats(); st.Files != 7 || st.Packets != 8 {
		t.Errorf("stats %+v", st)
	}
}

func TestSourceStdin(t *testing.T) {
	eth := layers.LinkTypeEthernet
	t.Run("alone", func(t *testing.T) {
		in := bytes.NewReader(testkit.Gzip(testkit.Pcapng(t, []layers.LinkType{eth}, srcRecs(srcP4.eth(t), srcP6.eth(t))...)))
		f, err := OpenFiles([]string{"-"}, in, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		segs, errs := srcReadAll(t, f)
		if want := []srcGot{srcWant("-", 1, srcP4), srcWant("-", 2, srcP6)}; !reflect.DeepEqual(segs, want) || errs != nil {
			t.Errorf("got %+v %q, want %+v", segs, errs, want)
		}
	})
	t.Run("ordered with files", func(t *testing.T) {
		// Standard input's first packet is read ahead to order it; it must
		// still be returned intact after the earlier file.
		stdin := testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535}, []testkit.Packet{{Data: srcP4b.eth(t), Time: srcT0.Add(time.Hour)}, {Data: srcP6.eth(t), Time: srcT0.Add(2 * time.Hour)}}...)
		srcInDir(t, map[string][]byte{"a": testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535}, srcRecs(srcP4.eth(t))...)})
		f, err := OpenFiles([]string{"-", "a"}, bytes.NewReader(stdin), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		segs, errs := srcReadAll(t, f)
		if want := []srcGot{srcWant("a", 1, srcP4), srcWant("-", 1, srcP4b), srcWant("-", 2, srcP6)}; !reflect.DeepEqual(segs, want) || errs != nil {
			t.Errorf("got %+v %q, want %+v", segs, errs, want)
		}
	})
	t.Run("not a capture, ordered", func(t *testing.T) {
		srcInDir(t, map[string][]byte{"a": testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535}, srcRecs(srcP4.eth(t))...)})
		f, err := OpenFiles([]string{"a", "-"}, strings.NewReader("garbage"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		segs, errs := srcReadAll(t, f)
		if want := []srcGot{srcWant("a", 1, srcP4)}; !reflect.DeepEqual(segs, want) || !reflect.DeepEqual(errs, []string{"-: not a pcap or pcapng file"}) {
			t.Errorf("got %+v %q", segs, errs)
		}
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, names := range [][]string{{"-", "a", "-"}, {}} {
			if _, err := OpenFiles(names, strings.NewReader(""), Options{}); err == nil {
				t.Errorf("OpenFiles(%q) succeeded", names)
			}
		}
		if _, err := OpenFiles([]string{"-"}, nil, Options{}); err == nil {
			t.Error(`OpenFiles("-") without stdin succeeded`)
		}
	})
}

// A pcapng decryption secrets block (TLS keys embedded by editcap) between
// packets is skipped; one whose length is absurd is refused before pcapgo
// reads it whole.
func TestSourceSecretsBlock(t *testing.T) {
	build := func(t *testing.T) ([]byte, int) {
		var w testkit.NGWriter
		w.SectionHeader()
		w.InterfaceDescription(layers.LinkTypeEthernet, 0)
		w.EnhancedPacket(testkit.Packet{Data: srcP4.eth(t), Time: srcT0})
		dsb := w.Len()
		secrets := []byte("CLIENT_RANDOM 00 11\n")
		body := binary.LittleEndian.AppendUint32(nil, 0x544c534b) // TLS key log
		body = binary.LittleEndian.AppendUint32(body, uint32(len(secrets)))
		w.Block(0x0000000a, append(body, secrets...)) // decryption secrets
		w.EnhancedPacket(testkit.Packet{Data: srcP6.eth(t), Time: srcT0})
		return w.Bytes(), dsb
	}
	b, _ := build(t)
	srcInDir(t, map[string][]byte{"k.pcapng": b})
	segs, errs := srcReadAll(t, srcOpen(t, "k.pcapng"))
	if want := []srcGot{srcWant("k.pcapng", 1, srcP4), srcWant("k.pcapng", 2, srcP6)}; !reflect.DeepEqual(segs, want) || errs != nil {
		t.Errorf("got %+v %q, want %+v", segs, errs, want)
	}

	b, dsb := build(t)
	binary.LittleEndian.PutUint32(b[dsb+12:], 1<<30)
	srcInDir(t, map[string][]byte{"k.pcapng": b})
	segs, errs = srcReadAll(t, srcOpen(t, "k.pcapng"))
	if want := []string{"k.pcapng: packet 2: malformed pcapng decryption secrets block (length 40, secrets length 1073741824)"}; len(segs) != 1 || !reflect.DeepEqual(errs, want) {
		t.Errorf("got %d segments, errors %q, want 1, %q", len(segs), errs, want)
	}
}

func TestSourceDirectory(t *testing.T) {
	srcInDir(t, nil)
	if err := os.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	_, errs := srcReadAll(t, srcOpen(t, "d"))
	if want := []string{"d: is a directory"}; !reflect.DeepEqual(errs, want) {
		t.Errorf("errors %q, want %q", errs, want)
	}
}

func TestSourceClose(t *testing.T) {
	srcInDir(t, map[string][]byte{"a": testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeEthernet, Snaplen: 65535}, srcRecs(srcP4.eth(t), srcP6.eth(t))...)})
	f := srcOpen(t, "a")
	if _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Next(); err == nil || err == io.EOF {
		t.Errorf("Next after Close: %v", err)
	}
}

// --- allocations, benchmark, fuzzing ----------------------------------------

// benchFrames is a mix of TLS-sized segments.
func srcBenchFrames(t testing.TB, n int, link layers.LinkType) [][]byte {
	frames := make([][]byte, n)
	for i := range frames {
		p := srcPkt{"10.1.2.3", "192.0.2.10", uint16(40000 + i%100), 443, uint32(i * 1000), strings.Repeat("x", (i*397)%1449)}
		if i%3 == 0 {
			p.src, p.dst = "2001:db8::1:2", "2001:db8::99"
		}
		switch link {
		case layers.LinkTypeLinuxSLL2:
			frames[i] = srcSLL2(p.ethertype(), p.ip(t))
		default:
			frames[i] = p.eth(t, [2]uint16{0x8100, 7})
		}
	}
	return frames
}

var srcBenchFormats = []struct {
	name string
	make func(t testing.TB, frames [][]byte) []byte
	link layers.LinkType
}{
	{"pcap", func(t testing.TB, fr [][]byte) []byte {
		return testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeEthernet, Snaplen: 262144}, srcRecs(fr...)...)
	}, layers.LinkTypeEthernet},
	{"pcapng", func(t testing.TB, fr [][]byte) []byte {
		return testkit.Pcapng(t, []layers.LinkType{layers.LinkTypeEthernet}, srcRecs(fr...)...)
	}, layers.LinkTypeEthernet},
	{"pcap.gz", func(t testing.TB, fr [][]byte) []byte {
		return testkit.Gzip(testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeEthernet, Snaplen: 262144}, srcRecs(fr...)...))
	}, layers.LinkTypeEthernet},
	{"pcapng-sll2", func(t testing.TB, fr [][]byte) []byte {
		return testkit.Pcapng(t, []layers.LinkType{layers.LinkTypeLinuxSLL2}, srcRecs(fr...)...)
	}, layers.LinkTypeLinuxSLL2},
}

func TestSourceAllocs(t *testing.T) {
	for _, bf := range srcBenchFormats {
		t.Run(bf.name, func(t *testing.T) {
			srcInDir(t, map[string][]byte{"c": bf.make(t, srcBenchFrames(t, 3000, bf.link))})
			f := srcOpen(t, "c")
			for range 100 { // past opening and the first buffer growth
				if _, err := f.Next(); err != nil {
					t.Fatal(err)
				}
			}
			allocs := testing.AllocsPerRun(2000, func() {
				if _, err := f.Next(); err != nil {
					t.Fatal(err)
				}
			})
			// pcapgo's NgReader with mixed link types stores each packet's
			// link type in an interface{}: a link type above 255 (SLL2 is
			// 276) does not fit Go's preallocated small integers, so that
			// costs one 2-byte allocation per packet, inside pcapgo.
			var limit float64
			if bf.link > 255 && strings.HasPrefix(bf.name, "pcapng") {
				limit = 1
			}
			if allocs > limit {
				t.Errorf("%v allocations per Next, want at most %v", allocs, limit)
			}
		})
	}
}

func FuzzSourceFile(f *testing.F) {
	eth := layers.LinkTypeEthernet
	frames := [][]byte{srcP4.eth(f), srcP6.eth(f, [2]uint16{0x88a8, 1}, [2]uint16{0x8100, 2}), srcARP(f)}
	seeds := [][]byte{
		testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535}, srcRecs(frames...)...),
		testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeRaw, Snaplen: 65535, Nanos: true}, srcRecs(srcWithHopByHop(srcP6.ip(f), srcExtDestOpts), srcIPv4Frag(srcP4.ip(f), 0, true))...),
		testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeNull, Snaplen: 65535, BigEndian: true}, srcRecs(srcFamily(binary.LittleEndian, 30, srcP6.ip(f)))...),
		testkit.Pcapng(f, []layers.LinkType{eth, layers.LinkTypeLinuxSLL2}, []testkit.Packet{{Data: frames[0], Time: srcT0}, {Data: srcSLL2(layers.EthernetTypeIPv4, srcP4.ip(f)), Time: srcT0, Iface: 1}}...),
		testkit.Gzip(testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeLinuxSLL, Snaplen: 100}, srcRecs(srcSLL(layers.EthernetTypeIPv4, srcP4.ip(f)))...)),
		testkit.Gzip(testkit.Pcapng(f, []layers.LinkType{layers.LinkTypeLoop}, srcRecs(srcFamily(binary.BigEndian, 2, srcP4.ip(f)))...)),
		append(srcPcapngBE(layers.LinkTypeRaw, srcRecs(srcP6.ip(f))), testkit.Pcapng(f, []layers.LinkType{eth}, srcRecs(frames[0])...)...),
	}
	for _, s := range seeds {
		f.Add(s)
		f.Add(s[:len(s)*2/3])
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		name := dir + "/fuzz"
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files, err := OpenFiles([]string{name}, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer files.Close()
		// Each record takes at least 16 bytes of the decompressed stream; a
		// gzip stream expands by at most ~1032x.
		limit := 3 + len(data)*1100/16
		var last uint64
		for i := 0; ; i++ {
			if i > limit {
				t.Fatalf("Next did not finish after %d calls", i)
			}
			s, err := files.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var fe *FileError
				if !errors.As(err, &fe) || fe.File != name {
					t.Fatalf("error %v is not a *FileError for the file", err)
				}
				if fe.Packet != 0 && fe.Packet <= last {
					t.Fatalf("error at packet %d after packet %d", fe.Packet, last)
				}
				continue
			}
			if s.Packet <= last {
				t.Fatalf("packet %d after %d", s.Packet, last)
			}
			last = s.Packet
			if len(s.TCP.Payload) > s.CI.CaptureLength || s.CI.CaptureLength > maxRecord {
				t.Fatalf("payload %d bytes, capture length %d", len(s.TCP.Payload), s.CI.CaptureLength)
			}
		}
		st := files.Stats()
		if st.NonTCP+st.DecodeErrors > st.Packets {
			t.Fatalf("stats %+v", st)
		}
	})
}
