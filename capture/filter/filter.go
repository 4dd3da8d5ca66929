// Package filter compiles tcpdump filter expressions (pcap-filter(7)) for
// tlsscan's -f flag, both for capture files, where each packet is tested
// in userspace (MatchRaw, then Match), and for live capture, where the
// expression runs in the kernel as a classic BPF program.
//
// The default build is pure Go (tlsscan is built with CGO_ENABLED=0), so
// it carries its own compiler for the part of the language that TLS users
// need: tcp, udp, ip, ip6, host, net, port and portrange with the src/dst
// qualifiers, and, or, not and parentheses, with pcap-filter's precedence
// (not binds tightest; and and or are equal and left-associative) and its
// habit of repeating the last qualifier for a bare value ("port 443 or
// 8443"). Everything else is rejected with an error that says so. Built
// with -tags libpcap (and cgo), Parse also hands the expression to
// libpcap's own compiler, which then accepts the whole language and
// provides the BPF programs and the raw-packet matching (see MatchRaw).
//
// Which expressions work in which build:
//
//   - Default (static) build, CGO_ENABLED=0: only the subset above, for
//     files and live capture alike. Anything else (tcp[...], ether, vlan,
//     len/less/greater, "ip proto", icmp, arp, inbound, protochain, host
//     and service names, "host 10.1", ...) is refused by Parse, a usage
//     error naming the expression. On files, the subset is evaluated on
//     the decoded packet (Match), which differs from tcpdump only as
//     documented on Match (it looks through VLAN tags and IPv6 extension
//     headers, and ignores ARP and snaplen cuts).
//   - libpcap build (-tags libpcap, cgo): the whole pcap-filter language,
//     names included, which libpcap looks up as tcpdump does ("port
//     https" in the services database, "host NAME" with the resolver,
//     possibly over DNS). On files, every expression, the subset
//     included, is run by libpcap on the raw packet as tcpdump -r runs
//     it: the program is compiled for each link type met (and for a NULL
//     capture's byte order), so the packets kept are tcpdump's, also
//     across files or pcapng interfaces of different link types, which
//     tcpdump itself cannot read as one. An expression outside the
//     subset that libpcap cannot compile for some link type ("ether host"
//     on raw IP, "inbound" on Ethernet) keeps none of that link type's
//     packets, where tcpdump refuses to read the file. Live, libpcap compiles it for the
//     interface and attaches it.
//
// Where this package's semantics differ from tcpdump's, the difference is
// deliberate and documented on Match and BPF; filter_tcpdump_test.go checks
// the rest against tcpdump on real captures.
package filter

import (
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// Filter is a compiled expression. It is immutable, and safe for
// concurrent use.
type Filter struct {
	expr string
	root *node // nil only in a libpcap build, for an expression outside the static subset
	eng  engine
}

// SyntaxError is the error Parse returns. Pos is the byte offset in Expr of
// the token at fault (len(Expr) when the expression ends too early, -1 when
// libpcap reported the error without a position).
type SyntaxError struct {
	Expr string
	Pos  int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("filter %q: %s", e.Expr, e.Msg)
}

// Libpcap reports whether this build compiles filters with libpcap (built
// with -tags libpcap and cgo) rather than only with the static compiler.
const Libpcap = libpcapBuild

// Parse compiles a tcpdump/pcap-filter(7) expression. "" (or only blanks)
// matches everything. Errors are *SyntaxError.
//
// Host names, service names ("port https") and network names are refused:
// tlsscan is passive and does no name lookups. Addresses must be literal:
// "host" takes a full IPv4 dotted quad or an IPv6 address; "net" takes a
// dotted IPv4 network with 1 to 4 parts (10, 10.1, 10.1.2, 10.1.2.0, as in
// tcpdump), "N/len", "N mask M", or an IPv6 "N/len".
func Parse(expr string) (*Filter, error) {
	root, err := parse(expr)
	return finishParse(&Filter{expr: expr, root: root}, err)
}

// String returns the expression in canonical form: every primitive with its
// qualifiers spelled out (so "port 443 or 8443" becomes "port 443 or port
// 8443"), networks as prefixes, and parentheses wherever "and" and "or"
// meet. Parsing the result gives the same filter. An expression that only
// libpcap understood is returned as written.
func (f *Filter) String() string {
	if f.root == nil {
		return f.expr
	}
	return f.root.String()
}

// Packet is what Match needs of a decoded packet; the capture layer decodes
// every link type to it.
type Packet struct {
	IPVersion uint8 // 4 or 6, 0 if not IP
	Src, Dst  netip.Addr
	// Proto is the IPv4 protocol, or the IPv6 next header after the
	// extension headers the decoder skipped (6 tcp, 17 udp, 132 sctp).
	Proto uint8
	// SrcPort and DstPort are valid for TCP, UDP and SCTP (whose common
	// header starts with the two ports too).
	SrcPort, DstPort uint16
	// Fragment marks a non-first fragment (IPv4 fragment offset != 0, or
	// an IPv6 fragment header with offset != 0): it carries no transport
	// header, so port tests fail on it, as in tcpdump.
	Fragment bool
}

// Match reports whether the decoded packet p matches the filter. It
// allocates nothing.
//
// It follows tcpdump except where a decoded Packet says more than the
// fixed headers tcpdump's program looks at:
//   - IPv6 extension headers: tcpdump's "tcp", "udp" and port tests look
//     at the next header in the fixed IPv6 header only ("tcp" and "udp"
//     also look through one fragment header); Match uses Proto, the
//     protocol after whatever extension headers the decoder skipped, so it
//     also matches TCP behind hop-by-hop, routing or destination options,
//     and ports in a first IPv6 fragment.
//   - VLAN tags: the capture layer decodes through 802.1Q/802.1ad tags, so
//     Match sees the tagged packet's IP header, where tcpdump (without its
//     vlan keyword) sees only the tag's ethertype and matches nothing.
//   - ARP: tcpdump's "host" and "net" without "ip"/"ip6" also match ARP
//     and RARP packets that carry the address; a Packet is IP or nothing,
//     and tlsscan only analyzes TCP.
//   - A packet cut short by the snapshot length: tcpdump's program rejects
//     the packet outright when a test reads past the captured bytes (even
//     under "not"); Match tests whatever the decoder filled in.
//
// In a libpcap build, an expression outside the static subset has no tree
// to evaluate here and Match returns false: use MatchRaw, which handles it.
func (f *Filter) Match(p *Packet) bool {
	if f.root == nil || p == nil {
		return false
	}
	return f.root.match(p)
}

// Link is what libpcap's program for a capture file's packets depends on
// besides the expression.
type Link struct {
	// Type is the LINKTYPE_ value of the file (classic pcap) or of the
	// packet's interface (pcapng).
	Type layers.LinkType
	// BigEndian is the byte order of the file (pcapng: of the section the
	// packet is in). Only LINKTYPE_NULL depends on it: its header is an
	// address family in the byte order of the host that wrote the file.
	BigEndian bool
}

// MatchRaw tests a packet read from a capture file with libpcap's program,
// compiled as tcpdump -r compiles it for a file of that link type and byte
// order, before any decoding: data is the captured bytes and length the
// packet's length on the wire (CaptureInfo.Length, what "len", "less" and
// "greater" test; taken as len(data) when smaller). So the verdict is
// tcpdump's, for the whole pcap-filter language and for the expressions
// of the static subset too (without Match's differences).
//
// It returns handled=false when it cannot: always in the static build, and
// in a libpcap build when libpcap cannot compile the expression for that
// link type; the caller then decodes the packet and calls Match. (For an
// expression only libpcap understood, that case is (false, true): nothing
// else can evaluate it, and tcpdump refuses to run it there.) When handled
// is true, matched is the whole verdict: the caller must not also apply
// Match, which is always false for an expression outside the static
// subset.
//
// The program is compiled on first use for each link type (and, for NULL,
// byte order) and cached: the files of one capture, and the interfaces of
// one pcapng file, may differ. It is safe for concurrent use.
func (f *Filter) MatchRaw(data []byte, length int, link Link) (matched, handled bool) {
	if length < len(data) {
		length = len(data)
	}
	return f.eng.matchRaw(f, data, length, link)
}

// Layout says where a live socket's BPF program sees the network header.
type Layout int

const (
	// LayoutEthernet is AF_PACKET SOCK_RAW on an Ethernet device (and on
	// Linux loopback, which has an all-zero Ethernet header): a 14-byte
	// header with the ethertype at offset 12. No VLAN tag is looked
	// through, as tcpdump without the vlan keyword; the kernel strips
	// offloaded tags before the filter runs anyway.
	LayoutEthernet Layout = iota
	// LayoutCooked is AF_PACKET SOCK_DGRAM (e.g. on "any"): the data
	// starts at the network header, and the protocol comes from the
	// ancillary load SKF_AD_PROTOCOL (bpf.LoadExtension{Num:
	// bpf.ExtProto}), as libpcap does for cooked captures.
	LayoutCooked
)

func (l Layout) String() string {
	switch l {
	case LayoutEthernet:
		return "ethernet"
	case LayoutCooked:
		return "cooked"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// maxInsns is the kernel's limit on a classic BPF program (BPF_MAXINSNS).
const maxInsns = 4096

// BPF compiles the filter to classic BPF for the socket layout, returning
// the instructions' raw form, ready for afpacket's SetBPF (SO_ATTACH_FILTER).
// Accepted packets are cut to snaplen bytes. The program tests exactly what
// tcpdump's does, except that "host" and "net" without "ip"/"ip6" do not
// also match ARP and RARP (see Match); its differences from Match are the
// ones listed there.
func (f *Filter) BPF(l Layout, snaplen int) ([]bpf.RawInstruction, error) {
	if l != LayoutEthernet && l != LayoutCooked {
		return nil, fmt.Errorf("filter: unknown layout %d", int(l))
	}
	if snaplen <= 0 {
		return nil, fmt.Errorf("filter: snaplen %d is not positive", snaplen)
	}
	return f.eng.bpf(f, l, snaplen)
}

// compileStatic runs this package's own BPF compiler.
func (f *Filter) compileStatic(l Layout, snaplen int) ([]bpf.RawInstruction, error) {
	if f.root == nil {
		return nil, fmt.Errorf("filter %q: no static program", f.expr)
	}
	insns, err := generate(f.root, l, uint32(snaplen))
	if err != nil {
		return nil, fmt.Errorf("filter %q: %v", f.expr, err)
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		// A bug in generate, not in the expression.
		return nil, fmt.Errorf("filter %q: assembling the program: %v", f.expr, err)
	}
	return raw, nil
}
