//go:build libpcap && cgo

package filter

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
	"golang.org/x/net/bpf"
)

// The libpcap build: libpcap's compiler decides what is valid, compiles the
// kernel programs and matches raw packets, so the whole pcap-filter
// language works. The static parser still runs, so that String is
// canonical and Match works on decoded packets for the expressions it
// understands.
//
// Live capture opens its sockets exactly as in the static build: for
// LayoutCooked, BPF compiles for DLT_LINUX_SLL and then rewrites the
// program as libpcap's own pcap-linux.c does before attaching it to a
// SOCK_DGRAM socket (fix_program/fix_offset): loads past the 16-byte SLL
// header move down by 16, the packet-type field (offset 0) becomes the
// ancillary load SKF_AD_PKTTYPE and the protocol field (offset 14)
// SKF_AD_PROTOCOL. A program that reads another part of the SLL header
// (a link-layer address, say) cannot run on a SOCK_DGRAM socket; BPF then
// returns an error, and the capture side must open a SOCK_RAW socket on
// an Ethernet device and use LayoutEthernet instead.

const libpcapBuild = true

// compileSnaplen is the accept length of the programs used only to
// validate and to match; it does not change what they accept.
const compileSnaplen = 262144

type engine struct{ s *lpState }

// lpState caches a program per link type, compiled on first use.
type lpState struct {
	mu    sync.RWMutex
	progs map[layers.LinkType]*pcap.BPF // nil: libpcap cannot compile for it
}

func finishParse(f *Filter, perr error) (*Filter, error) {
	_, err := pcap.CompileBPFFilter(layers.LinkTypeEthernet, compileSnaplen, f.expr)
	if err != nil {
		// Some primitives exist only for other link types: accept
		// what libpcap can compile for a cooked capture as well.
		if _, err2 := pcap.CompileBPFFilter(layers.LinkTypeLinuxSLL, compileSnaplen, f.expr); err2 != nil {
			var se *SyntaxError
			if errors.As(perr, &se) && !strings.Contains(se.Msg, supportedHint) {
				// Our message names the token; libpcap's says
				// "syntax error".
				return nil, perr
			}
			return nil, &SyntaxError{Expr: f.expr, Pos: -1, Msg: "libpcap: " + err.Error()}
		}
	}
	if perr != nil {
		f.root = nil // outside the static subset: libpcap alone handles it
	}
	f.eng.s = &lpState{progs: make(map[layers.LinkType]*pcap.BPF)}
	return f, nil
}

func (engine) bpf(f *Filter, l Layout, snaplen int) ([]bpf.RawInstruction, error) {
	lt := layers.LinkTypeEthernet
	if l == LayoutCooked {
		lt = layers.LinkTypeLinuxSLL
	}
	prog, err := pcap.CompileBPFFilter(lt, snaplen, f.expr)
	if err != nil {
		return nil, fmt.Errorf("filter %q: libpcap: %v", f.expr, err)
	}
	raw := make([]bpf.RawInstruction, len(prog))
	for i, in := range prog {
		raw[i] = bpf.RawInstruction{Op: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	if l == LayoutCooked {
		if err := cookSLL(raw); err != nil {
			return nil, fmt.Errorf("filter %q: %v", f.expr, err)
		}
	}
	for i, in := range raw {
		// libpcap's protochain loops with backward jumps, which the
		// kernel refuses (libpcap itself then filters in userland).
		if in.Op == opJA && uint64(i)+1+uint64(in.K) >= uint64(len(raw)) {
			return nil, fmt.Errorf("filter %q: libpcap's program jumps backwards (protochain), which the kernel does not run", f.expr)
		}
	}
	return raw, nil
}

const opJA = 0x05 // BPF_JMP|BPF_JA

// Classic BPF encoding, as in linux/filter.h.
const (
	classMask = 0x07
	classLD   = 0x00
	classLDX  = 0x01
	modeMask  = 0xe0
	modeABS   = 0x20
	modeIND   = 0x40
	modeMSH   = 0xa0

	skfAdOff      = 0xfffff000 // SKF_AD_OFF, -0x1000
	skfAdProtocol = 0
	skfAdPkttype  = 4
	sllHdrLen     = 16
)

// cookSLL rewrites a program compiled for DLT_LINUX_SLL to run on a
// SOCK_DGRAM socket, as libpcap's fix_offset does.
func cookSLL(raw []bpf.RawInstruction) error {
	for i := range raw {
		in := &raw[i]
		if c := in.Op & classMask; c != classLD && c != classLDX {
			continue
		}
		if m := in.Op & modeMask; m != modeABS && m != modeIND && m != modeMSH {
			continue
		}
		switch k := in.K; {
		case k >= skfAdOff:
			// Already an ancillary load.
		case k >= sllHdrLen:
			in.K -= sllHdrLen
		case k == 0:
			in.K = skfAdOff + skfAdPkttype
		case k == 14:
			in.K = skfAdOff + skfAdProtocol
		default:
			return fmt.Errorf("the program reads byte %d of the cooked header, which a SOCK_DGRAM socket cannot provide; capture on an Ethernet device (LayoutEthernet) instead", k)
		}
	}
	return nil
}

// dlt maps a file's LINKTYPE_ value to the DLT_ value pcap_open_dead
// takes, where they differ. The BSD raw-IP values are read as raw IP, as
// the capture layer does.
func dlt(lt layers.LinkType) layers.LinkType {
	switch lt {
	case layers.LinkTypeRaw, 14:
		return 12 // DLT_RAW on Linux
	}
	return lt
}

func (e engine) program(f *Filter, lt layers.LinkType) *pcap.BPF {
	s := e.s
	s.mu.RLock()
	b, ok := s.progs[lt]
	s.mu.RUnlock()
	if ok {
		return b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.progs[lt]; ok {
		return b
	}
	b, err := pcap.NewBPF(dlt(lt), compileSnaplen, f.expr)
	if err != nil {
		b = nil
	}
	s.progs[lt] = b
	return b
}

func (e engine) matchRaw(f *Filter, data []byte, lt layers.LinkType) (bool, bool) {
	if lt == layers.LinkTypeNull || lt == layers.LinkTypeLoop {
		// libpcap compiles DLT_NULL's address-family test for this
		// machine's AF_INET6 (10 on Linux) and byte order unless it
		// reads the file itself, when it tests the BSD values in the
		// file's byte order, which only the file header tells. The
		// header says nothing else a filter can test, so skip it and
		// run the raw-IP program, which goes by the IP version.
		if len(data) < 4 {
			return false, true
		}
		data, lt = data[4:], layers.LinkTypeRaw
	}
	b := e.program(f, lt)
	if b == nil {
		if f.root != nil {
			return false, false // let the caller decode and use Match
		}
		// Nothing else can evaluate this expression: as tcpdump, which
		// refuses to run it on this link type, match nothing.
		return false, true
	}
	ci := gopacket.CaptureInfo{CaptureLength: len(data), Length: len(data)}
	return b.Matches(ci, data), true
}
