package filter

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"
)

type kind uint8

const (
	kAll   kind = iota // the empty expression
	kAnd               // l and r
	kOr                // l or r
	kNot               // not l
	kProto             // tcp, udp, ip, ip6
	kAddr              // host or net: an address under a mask
	kPort              // port or portrange
)

// proto is a protocol qualifier (pcap-filter's "proto" qualifier kind).
type proto uint8

const (
	pAny proto = iota // no qualifier
	pIP
	pIP6
	pTCP
	pUDP
)

var protoNames = [...]string{pAny: "", pIP: "ip", pIP6: "ip6", pTCP: "tcp", pUDP: "udp"}

// dir is a direction qualifier.
type dir uint8

const (
	dAny dir = iota // src or dst (the default)
	dSrc
	dDst
	dAnd // src and dst
)

var dirNames = [...]string{dAny: "", dSrc: "src", dDst: "dst", dAnd: "src and dst"}

// IP protocol numbers tested by the primitives.
const (
	ipprotoTCP  = 6
	ipprotoUDP  = 17
	ipprotoSCTP = 132
	ipprotoFrag = 44 // IPv6 fragment header
)

// node is an expression tree node. Leaves keep what String needs to spell
// them (the qualifiers as written) besides what Match and the BPF compiler
// test.
type node struct {
	kind kind
	l, r *node

	proto proto // kProto: the protocol; kAddr, kPort: the qualifier
	dir   dir   // kAddr, kPort

	// kAddr: v6 selects the family. IPv4 uses the first 4 bytes of addr
	// and mask. bits is the prefix length, or -1 for a non-contiguous
	// IPv4 mask ("net N mask M" allows one). net records that it was
	// written as a network.
	v6         bool
	net        bool
	bits       int
	addr, mask [16]byte

	// The same, as words for Match: a4/m4 for IPv4, a6/m6 (high and low
	// halves) for IPv6. Set by prepare.
	a4, m4 uint32
	a6, m6 [2]uint64

	// kPort: the inclusive range; rng records "portrange".
	lo, hi uint16
	rng    bool
}

func (n *node) match(p *Packet) bool {
	switch n.kind {
	case kAll:
		return true
	case kAnd:
		return n.l.match(p) && n.r.match(p)
	case kOr:
		return n.l.match(p) || n.r.match(p)
	case kNot:
		return !n.l.match(p)
	case kProto:
		switch n.proto {
		case pIP:
			return p.IPVersion == 4
		case pIP6:
			return p.IPVersion == 6
		case pTCP:
			return isIP(p) && p.Proto == ipprotoTCP
		case pUDP:
			return isIP(p) && p.Proto == ipprotoUDP
		}
		return false
	case kAddr:
		return n.matchAddr(p)
	case kPort:
		return n.matchPort(p)
	}
	return false
}

func isIP(p *Packet) bool { return p.IPVersion == 4 || p.IPVersion == 6 }

// prepare sets the word forms of addr and mask.
func (n *node) prepare() {
	n.a4 = binary.BigEndian.Uint32(n.addr[:4])
	n.m4 = binary.BigEndian.Uint32(n.mask[:4])
	for i := range 2 {
		n.a6[i] = binary.BigEndian.Uint64(n.addr[8*i:])
		n.m6[i] = binary.BigEndian.Uint64(n.mask[8*i:])
	}
}

func (n *node) matchAddr(p *Packet) bool {
	if n.v6 {
		if p.IPVersion != 6 {
			return false
		}
		return n.dirMatch(n.in6(p.Src), n.in6(p.Dst))
	}
	if p.IPVersion != 4 {
		return false
	}
	return n.dirMatch(n.in4(p.Src), n.in4(p.Dst))
}

// in4 tests an IPv4 address, also in its IPv4-mapped IPv6 form; anything
// else (a zero Addr, or an IPv6 one a careless decoder left in an IPv4
// Packet) does not match, where As4 would panic.
func (n *node) in4(a netip.Addr) bool {
	if a.Is4In6() {
		a = a.Unmap()
	} else if !a.Is4() {
		return false
	}
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])&n.m4 == n.a4
}

func (n *node) in6(a netip.Addr) bool {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8])&n.m6[0] == n.a6[0] &&
		binary.BigEndian.Uint64(b[8:])&n.m6[1] == n.a6[1]
}

func (n *node) dirMatch(src, dst bool) bool {
	switch n.dir {
	case dSrc:
		return src
	case dDst:
		return dst
	case dAnd:
		return src && dst
	}
	return src || dst
}

func (n *node) matchPort(p *Packet) bool {
	// As tcpdump: a port is only read from the first fragment.
	if !isIP(p) || p.Fragment {
		return false
	}
	switch n.proto {
	case pTCP:
		if p.Proto != ipprotoTCP {
			return false
		}
	case pUDP:
		if p.Proto != ipprotoUDP {
			return false
		}
	default:
		if p.Proto != ipprotoTCP && p.Proto != ipprotoUDP && p.Proto != ipprotoSCTP {
			return false
		}
	}
	src := n.lo <= p.SrcPort && p.SrcPort <= n.hi
	dst := n.lo <= p.DstPort && p.DstPort <= n.hi
	return n.dirMatch(src, dst)
}

// String spells the tree canonically. "and" and "or" have the same
// precedence and associate to the left, so a left operand needs no
// parentheses and a right operand that is itself "and"/"or" needs them;
// they are also written where "and" and "or" meet, for a human reader.
func (n *node) String() string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

func (n *node) write(b *strings.Builder) {
	switch n.kind {
	case kAll:
	case kAnd, kOr:
		op := " and "
		if n.kind == kOr {
			op = " or "
		}
		n.l.writeOperand(b, n.l.binary() && n.l.kind != n.kind)
		b.WriteString(op)
		n.r.writeOperand(b, n.r.binary())
	case kNot:
		b.WriteString("not ")
		n.l.writeOperand(b, n.l.binary())
	case kProto:
		b.WriteString(protoNames[n.proto])
	case kAddr:
		n.qualifiers(b)
		if n.net {
			b.WriteString("net ")
			b.WriteString(n.netString())
		} else {
			b.WriteString("host ")
			b.WriteString(n.addrString())
		}
	case kPort:
		n.qualifiers(b)
		if n.rng {
			b.WriteString("portrange ")
			b.WriteString(strconv.Itoa(int(n.lo)))
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(n.hi)))
		} else {
			b.WriteString("port ")
			b.WriteString(strconv.Itoa(int(n.lo)))
		}
	}
}

func (n *node) binary() bool { return n.kind == kAnd || n.kind == kOr }

func (n *node) writeOperand(b *strings.Builder, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	n.write(b)
	if paren {
		b.WriteByte(')')
	}
}

func (n *node) qualifiers(b *strings.Builder) {
	if n.proto != pAny {
		b.WriteString(protoNames[n.proto])
		b.WriteByte(' ')
	}
	if n.dir != dAny {
		b.WriteString(dirNames[n.dir])
		b.WriteByte(' ')
	}
}

func (n *node) ip() netip.Addr {
	if n.v6 {
		return netip.AddrFrom16(n.addr)
	}
	return netip.AddrFrom4([4]byte(n.addr[:4]))
}

func (n *node) addrString() string { return n.ip().String() }

func (n *node) netString() string {
	if n.bits < 0 {
		m := netip.AddrFrom4([4]byte(n.mask[:4]))
		return n.ip().String() + " mask " + m.String()
	}
	return n.ip().String() + "/" + strconv.Itoa(n.bits)
}
