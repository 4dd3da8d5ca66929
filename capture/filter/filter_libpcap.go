//go:build libpcap && cgo

package filter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
	"golang.org/x/net/bpf"
)

// The libpcap build: libpcap's compiler decides what is valid, compiles the
// kernel programs and matches raw packets read from files (MatchRaw, as
// tcpdump -r: see compileForFile), so the whole pcap-filter language works.
// The static parser still runs, so that String is canonical and Match
// works on decoded packets for the expressions it understands, where
// libpcap cannot compile for a link type.
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

// lpState caches MatchRaw's programs, one per link type (see progKey),
// compiled on first use.
type lpState struct {
	mu    sync.RWMutex
	progs map[Link]*pcap.BPF // nil: libpcap cannot compile for it
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
	f.eng.s = &lpState{progs: make(map[Link]*pcap.BPF)}
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

// rawLinkTypeBSD and rawLinkTypeOpenBSD are the DLT_RAW values BSDs
// write into files; the capture layer reads them as raw IP.
const (
	rawLinkTypeBSD     = 12
	rawLinkTypeOpenBSD = 14
)

// progKey is what a file's program depends on. Only DLT_NULL's depends on
// the byte order, so the others are cached under BigEndian false.
func progKey(l Link) Link {
	switch l.Type {
	case rawLinkTypeBSD, rawLinkTypeOpenBSD:
		l.Type = layers.LinkTypeRaw
	}
	if l.Type != layers.LinkTypeNull {
		l.BigEndian = false
	}
	return l
}

func (e engine) program(f *Filter, l Link) *pcap.BPF {
	k := progKey(l)
	s := e.s
	s.mu.RLock()
	b, ok := s.progs[k]
	s.mu.RUnlock()
	if ok {
		return b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.progs[k]; ok {
		return b
	}
	b, err := compileForFile(k, f.expr)
	if err != nil {
		b = nil
	}
	s.progs[k] = b
	return b
}

// compileForFile compiles expr exactly as tcpdump -r does for a file of
// this link type and byte order: libpcap opens, from a pipe, the header of
// a classic pcap file saying so, and compiles for that handle. A handle
// from pcap_open_dead is not the same: for DLT_NULL, whose header is an
// address family in the byte order of the host that wrote the file,
// libpcap compiles the family test in the file's byte order and, for
// "ip6", for the three BSD values of AF_INET6 (24, 28, 30) only when it
// reads a file; for a "live" handle it tests this machine's AF_INET6 (10
// on Linux) in this machine's byte order.
//
// The snapshot length is the largest, whatever the file's: libpcap uses it
// only as the accept length the program returns, which a match tests for
// being non-zero (and pcap_compile refuses 0, which pcapng uses for "no
// limit"). The LINKTYPE_ value goes in the header as it is in the file,
// and libpcap maps it to its DLT_ value as it does for tcpdump, except
// the BSD DLT_RAW values (12, 14), which are given as LINKTYPE_RAW, as
// the capture layer reads them.
func compileForFile(l Link, expr string) (*pcap.BPF, error) {
	var hdr [24]byte
	var bo binary.ByteOrder = binary.LittleEndian
	if l.BigEndian {
		bo = binary.BigEndian
	}
	bo.PutUint32(hdr[0:], 0xa1b2c3d4) // microsecond pcap
	bo.PutUint16(hdr[4:], 2)
	bo.PutUint16(hdr[6:], 4)
	bo.PutUint32(hdr[16:], compileSnaplen)
	bo.PutUint32(hdr[20:], uint32(l.Type))
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	_, err = w.Write(hdr[:]) // a pipe holds far more than 24 bytes
	w.Close()
	if err != nil {
		return nil, err
	}
	h, err := pcap.OpenOfflineFile(r) // reads the header from its own descriptor
	if err != nil {
		return nil, err
	}
	defer h.Close()
	return h.NewBPF(expr)
}

func (e engine) matchRaw(f *Filter, data []byte, length int, l Link) (bool, bool) {
	b := e.program(f, l)
	if b == nil {
		if f.root != nil {
			return false, false // let the caller decode and use Match
		}
		// Nothing else can evaluate this expression: tcpdump refuses
		// to run it on this link type; match nothing.
		return false, true
	}
	ci := gopacket.CaptureInfo{CaptureLength: len(data), Length: length}
	return b.Matches(ci, data), true
}
