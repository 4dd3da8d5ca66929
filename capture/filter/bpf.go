package filter

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// The BPF compiler walks the tree once, emitting code that jumps to a true
// or a false label (the usual short-circuit scheme: "a and b" runs a with
// its true label at the start of b). Every jump goes forward. Labels are
// resolved after generation; classic BPF's conditional jumps reach only
// 255 instructions, so a jump that would go further goes through an
// unconditional "ja" (32-bit offset) placed right after it.
//
// The tests per primitive are tcpdump's (compare "tcpdump -d"):
//   - ip / ip6: the ethertype.
//   - tcp / udp: IPv4 protocol field; IPv6 next header in the fixed
//     header, or a fragment header followed by the protocol.
//   - host / net: the address words, masked for a network.
//   - port / portrange: IPv6 next header in the fixed header and the ports
//     right after it; IPv4 protocol field, fragment offset zero (jset
//     #0x1fff), and the ports at the header length from the IHL (ldxb
//     4*([n]&0xf)). Without tcp/udp, SCTP counts too, as in tcpdump.

const (
	etherIPv4 = 0x0800
	etherIPv6 = 0x86dd
)

type label int

type insnKind uint8

const (
	iPlain insnKind = iota // ins
	iCond                  // conditional jump to t or f
	iJump                  // unconditional jump to t
)

type pinsn struct {
	kind insnKind
	ins  bpf.Instruction // iPlain
	cond bpf.JumpTest    // iCond
	val  uint32          // iCond
	t, f label           // iCond: both; iJump: t
	// Set by layout: whether the true/false target is reached through a
	// trampoline right after the instruction.
	viaT, viaF bool
}

type gen struct {
	code   []pinsn
	labels []int // label -> index in code, -1 until placed
	nh     uint32
	cooked bool
}

func (g *gen) newLabel() label {
	g.labels = append(g.labels, -1)
	return label(len(g.labels) - 1)
}

func (g *gen) place(l label) { g.labels[l] = len(g.code) }

func (g *gen) emit(ins bpf.Instruction) { g.code = append(g.code, pinsn{kind: iPlain, ins: ins}) }

func (g *gen) jump(cond bpf.JumpTest, val uint32, t, f label) {
	g.code = append(g.code, pinsn{kind: iCond, cond: cond, val: val, t: t, f: f})
}

func (g *gen) jeq(val uint32, t, f label) { g.jump(bpf.JumpEqual, val, t, f) }

func (g *gen) goTo(t label) { g.code = append(g.code, pinsn{kind: iJump, t: t}) }

func (g *gen) ldb(off uint32) { g.emit(bpf.LoadAbsolute{Off: off, Size: 1}) }
func (g *gen) ldh(off uint32) { g.emit(bpf.LoadAbsolute{Off: off, Size: 2}) }
func (g *gen) ld(off uint32)  { g.emit(bpf.LoadAbsolute{Off: off, Size: 4}) }

// ethertype loads the network protocol into A: from the Ethernet header,
// or, on a cooked socket, from the kernel's skb->protocol.
func (g *gen) ethertype() {
	if g.cooked {
		g.emit(bpf.LoadExtension{Num: bpf.ExtProto})
		return
	}
	g.ldh(12)
}

// generate compiles the tree to a program for the layout.
func generate(root *node, l Layout, snaplen uint32) ([]bpf.Instruction, error) {
	if root.kind == kAll {
		return []bpf.Instruction{bpf.RetConstant{Val: snaplen}}, nil
	}
	g := &gen{nh: 14, cooked: l == LayoutCooked}
	if g.cooked {
		g.nh = 0
	}
	t, f := g.newLabel(), g.newLabel()
	g.node(root, t, f)
	g.place(t)
	g.emit(bpf.RetConstant{Val: snaplen})
	g.place(f)
	g.emit(bpf.RetConstant{Val: 0})
	return g.layout()
}

func (g *gen) node(n *node, t, f label) {
	switch n.kind {
	case kAll:
		g.goTo(t)
	case kAnd:
		mid := g.newLabel()
		g.node(n.l, mid, f)
		g.place(mid)
		g.node(n.r, t, f)
	case kOr:
		mid := g.newLabel()
		g.node(n.l, t, mid)
		g.place(mid)
		g.node(n.r, t, f)
	case kNot:
		g.node(n.l, f, t)
	case kProto:
		g.proto(n.proto, t, f)
	case kAddr:
		g.addr(n, t, f)
	case kPort:
		g.port(n, t, f)
	}
}

func (g *gen) proto(p proto, t, f label) {
	switch p {
	case pIP:
		g.ethertype()
		g.jeq(etherIPv4, t, f)
	case pIP6:
		g.ethertype()
		g.jeq(etherIPv6, t, f)
	case pTCP, pUDP:
		num := uint32(ipprotoTCP)
		if p == pUDP {
			num = ipprotoUDP
		}
		v4, v6, hdr6, frag6, next6 := g.newLabel(), g.newLabel(), g.newLabel(), g.newLabel(), g.newLabel()
		g.ethertype()
		g.jeq(etherIPv4, v4, v6)
		g.place(v4)
		g.ldb(g.nh + 9)
		g.jeq(num, t, f)
		g.place(v6) // A still holds the ethertype here
		g.jeq(etherIPv6, hdr6, f)
		g.place(hdr6)
		g.ldb(g.nh + 6)
		g.jeq(num, t, frag6)
		g.place(frag6)
		g.jeq(ipprotoFrag, next6, f)
		g.place(next6)
		g.ldb(g.nh + 40) // the fragment header's next header
		g.jeq(num, t, f)
	}
}

func (g *gen) addr(n *node, t, f label) {
	body := g.newLabel()
	g.ethertype()
	if n.v6 {
		g.jeq(etherIPv6, body, f)
		g.place(body)
		g.dirs(n.dir, t, f, func(t, f label) { g.cmp6(g.nh+8, n, t, f) }, func(t, f label) { g.cmp6(g.nh+24, n, t, f) })
		return
	}
	g.jeq(etherIPv4, body, f)
	g.place(body)
	g.dirs(n.dir, t, f, func(t, f label) { g.cmpWord(g.nh+12, n, 0, t, f) }, func(t, f label) { g.cmpWord(g.nh+16, n, 0, t, f) })
}

// dirs combines a source and a destination test by direction.
func (g *gen) dirs(d dir, t, f label, src, dst func(t, f label)) {
	switch d {
	case dSrc:
		src(t, f)
	case dDst:
		dst(t, f)
	case dAnd:
		mid := g.newLabel()
		src(mid, f)
		g.place(mid)
		dst(t, f)
	default:
		mid := g.newLabel()
		src(t, mid)
		g.place(mid)
		dst(t, f)
	}
}

func word(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// cmpWord tests the 32-bit word at off against word i of n's address
// under its mask. A zero mask tests nothing ("net 0.0.0.0/0").
func (g *gen) cmpWord(off uint32, n *node, i int, t, f label) {
	m, a := word(n.mask[4*i:]), word(n.addr[4*i:])
	if m == 0 {
		g.goTo(t)
		return
	}
	g.ld(off + uint32(4*i))
	if m != 0xffffffff {
		g.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: m})
	}
	g.jeq(a, t, f)
}

// cmp6 tests the 16-byte address at off, word by word, skipping the words
// the prefix does not cover.
func (g *gen) cmp6(off uint32, n *node, t, f label) {
	last := -1
	for i := range 4 {
		if word(n.mask[4*i:]) != 0 {
			last = i
		}
	}
	if last < 0 {
		g.goTo(t) // "net ::/0"
		return
	}
	for i := 0; i <= last; i++ {
		if word(n.mask[4*i:]) == 0 {
			continue
		}
		if i == last {
			g.cmpWord(off, n, i, t, f)
			break
		}
		next := g.newLabel()
		g.cmpWord(off, n, i, next, f)
		g.place(next)
	}
}

func (g *gen) port(n *node, t, f label) {
	var protos []uint32
	switch n.proto {
	case pTCP:
		protos = []uint32{ipprotoTCP}
	case pUDP:
		protos = []uint32{ipprotoUDP}
	default:
		protos = []uint32{ipprotoSCTP, ipprotoTCP, ipprotoUDP} // tcpdump's order
	}
	v6, ports6, not6, v4, frag4, ports4 := g.newLabel(), g.newLabel(), g.newLabel(), g.newLabel(), g.newLabel(), g.newLabel()
	g.ethertype()
	g.jeq(etherIPv6, v6, not6)
	g.place(v6)
	g.ldb(g.nh + 6)
	g.protoSet(protos, ports6, f)
	g.place(ports6)
	g.dirs(n.dir, t, f,
		func(t, f label) { g.ldh(g.nh + 40); g.rangeCmp(n, t, f) },
		func(t, f label) { g.ldh(g.nh + 42); g.rangeCmp(n, t, f) })
	g.place(not6) // A still holds the ethertype here
	g.jeq(etherIPv4, v4, f)
	g.place(v4)
	g.ldb(g.nh + 9)
	g.protoSet(protos, frag4, f)
	g.place(frag4)
	g.ldh(g.nh + 6)
	g.jump(bpf.JumpBitsSet, 0x1fff, f, ports4) // a later fragment has no ports
	g.place(ports4)
	g.dirs(n.dir, t, f,
		func(t, f label) {
			g.emit(bpf.LoadMemShift{Off: g.nh})
			g.emit(bpf.LoadIndirect{Off: g.nh, Size: 2})
			g.rangeCmp(n, t, f)
		},
		func(t, f label) {
			g.emit(bpf.LoadMemShift{Off: g.nh})
			g.emit(bpf.LoadIndirect{Off: g.nh + 2, Size: 2})
			g.rangeCmp(n, t, f)
		})
}

func (g *gen) protoSet(protos []uint32, t, f label) {
	for i, p := range protos {
		if i == len(protos)-1 {
			g.jeq(p, t, f)
			return
		}
		next := g.newLabel()
		g.jeq(p, t, next)
		g.place(next)
	}
}

// rangeCmp tests A against n's port range.
func (g *gen) rangeCmp(n *node, t, f label) {
	switch {
	case n.lo == n.hi:
		g.jeq(uint32(n.lo), t, f)
	case n.lo == 0 && n.hi == 0xffff:
		g.goTo(t)
	case n.lo == 0:
		g.jump(bpf.JumpGreaterThan, uint32(n.hi), f, t)
	case n.hi == 0xffff:
		g.jump(bpf.JumpGreaterOrEqual, uint32(n.lo), t, f)
	default:
		mid := g.newLabel()
		g.jump(bpf.JumpGreaterOrEqual, uint32(n.lo), mid, f)
		g.place(mid)
		g.jump(bpf.JumpGreaterThan, uint32(n.hi), f, t)
	}
}

// layout resolves labels, adding trampolines until every conditional jump
// fits in 8 bits. Adding one can push another jump over the limit, so it
// repeats; each jump only ever gains trampolines, so it ends.
func (g *gen) layout() ([]bpf.Instruction, error) {
	pos := make([]int, len(g.code)+1)
	target := func(l label) int { return pos[g.labels[l]] }
	for {
		p := 0
		for i := range g.code {
			pos[i] = p
			p++
			if g.code[i].viaT {
				p++
			}
			if g.code[i].viaF {
				p++
			}
		}
		pos[len(g.code)] = p
		if p > maxInsns {
			return nil, fmt.Errorf("the program needs %d instructions, more than the kernel's limit of %d", p, maxInsns)
		}
		changed := false
		for i := range g.code {
			c := &g.code[i]
			if c.kind != iCond {
				continue
			}
			if !c.viaT && target(c.t)-pos[i]-1 > 255 {
				c.viaT, changed = true, true
			}
			if !c.viaF && target(c.f)-pos[i]-1 > 255 {
				c.viaF, changed = true, true
			}
		}
		if !changed {
			break
		}
	}
	out := make([]bpf.Instruction, 0, pos[len(g.code)])
	for i, c := range g.code {
		switch c.kind {
		case iPlain:
			out = append(out, c.ins)
		case iJump:
			out = append(out, bpf.Jump{Skip: uint32(target(c.t) - pos[i] - 1)})
		case iCond:
			next := pos[i] + 1 // where the trampolines start
			var skipT, skipF int
			if c.viaT {
				skipT = 0
				next++
			} else {
				skipT = target(c.t) - pos[i] - 1
			}
			if c.viaF {
				skipF = next - pos[i] - 1
			} else {
				skipF = target(c.f) - pos[i] - 1
			}
			if skipT < 0 || skipF < 0 {
				return nil, fmt.Errorf("internal error: backward jump at instruction %d", pos[i])
			}
			out = append(out, bpf.JumpIf{Cond: c.cond, Val: c.val, SkipTrue: uint8(skipT), SkipFalse: uint8(skipF)})
			if c.viaT {
				out = append(out, bpf.Jump{Skip: uint32(target(c.t) - (pos[i] + 1) - 1)})
			}
			if c.viaF {
				at := pos[i] + 1
				if c.viaT {
					at++
				}
				out = append(out, bpf.Jump{Skip: uint32(target(c.f) - at - 1)})
			}
		}
	}
	return out, nil
}
