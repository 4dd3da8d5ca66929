//go:build !(libpcap && cgo)

package capture

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/tlsscan/tlsscan/capture/filter"
)

// Live capture on Linux without cgo: an AF_PACKET socket with a memory-
// mapped receive ring (TPACKET_V3, else V2), through gopacket/afpacket.
//
// Socket type and decoding:
//   - an interface with an Ethernet header (ARPHRD_ETHER: Ethernet, veth,
//     bridges, VLAN devices; ARPHRD_LOOPBACK: lo, whose Ethernet header is
//     all zeros) is read with SOCK_RAW, filtered with LayoutEthernet, decoded
//     and written (-w) as Ethernet;
//   - any other (tun, WireGuard, PPP, GRE, ...) and "any" are read with
//     SOCK_DGRAM, which removes whatever link-layer header there is, filtered
//     with LayoutCooked, decoded and written as raw IP (LINKTYPE_RAW, 101).
//
// "-i any" therefore writes raw IP, where tcpdump writes Linux cooked SLL2:
// SLL2's header holds the packet's protocol, interface index, ARPHRD type,
// direction and link-layer address, of which afpacket passes on only the
// interface index, so an SLL2 header would have to be partly invented. Raw
// IP is all the analysis uses, and every capture tool reads it; what it
// cannot hold (a non-IP packet: ARP, LLDP) is left out of the file.
// Offloaded VLAN tags, which the kernel removes before the packet reaches
// the socket (and before the filter runs), are not put back either.
//
// The interface is looked up with ioctls on a socket of the calling
// thread's network namespace (not /sys/class/net, which shows the
// namespace sysfs was mounted in), so that a thread switched with setns(2)
// sees its own interfaces.

const (
	// ringBytes is the receive ring's size.
	ringBytes = 4 << 20
	// v3BlockSize: TPACKET_V3 packs packets of any size into blocks; a
	// block is handed over when full or after v3BlockTimeout, so a block
	// must hold the largest packet the snaplen allows.
	v3BlockSize    = 512 << 10
	v3BlockTimeout = 50 * time.Millisecond
	// v2MaxFrameData bounds a TPACKET_V2 frame's data: the largest packet
	// on loopback (MTU 65536) with its Ethernet header. Longer
	// (segmentation-offload) packets are cut, and flagged Cut.
	v2MaxFrameData = 65536 + 14
	// v2FrameOverhead is room for the tpacket2_hdr, the sockaddr_ll and
	// the alignment in front of the packet (80 bytes in practice).
	v2FrameOverhead = 128
)

// tpacketV2Only makes openHandle skip TPACKET_V3 (tests of the fallback).
var tpacketV2Only = false

// joinRefused, when set, is joinFanout's error (tests of an old kernel's
// refusal).
var joinRefused error

type liveHandle struct {
	tp         *afpacket.TPacket
	iface      string
	v3         bool
	rc, dc     counter32
	recv, drop uint64
}

func openHandle(name string, f *filter.Filter, snaplen int) (*liveHandle, liveInfo, error) {
	var info liveInfo
	cooked, ether, loopback := true, false, false
	if name != "any" {
		typ, up, err := linkInfo(name)
		if err != nil {
			return nil, info, err
		}
		if !up {
			return nil, info, fmt.Errorf("interface %q is down", name)
		}
		switch typ {
		case unix.ARPHRD_ETHER:
			cooked, ether = false, true
		case unix.ARPHRD_LOOPBACK:
			cooked, loopback = false, true
		}
	}
	layout, link := filter.LayoutEthernet, layers.LinkTypeEthernet
	if cooked {
		layout, link = filter.LayoutCooked, layers.LinkTypeRaw
	}
	var prog []bpf.RawInstruction
	var err error
	if f != nil {
		prog, err = f.BPF(layout, snaplen)
	} else {
		// Accept everything, cut to the snaplen in the kernel.
		prog, err = bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: uint32(snaplen)}})
	}
	if err != nil {
		return nil, info, err
	}
	if loopback || name == "any" {
		if prog, err = skipLoopbackOutgoing(prog, name == "any"); err != nil {
			return nil, info, err
		}
	}
	h := &liveHandle{iface: name}
	if err := h.open(name, cooked, snaplen); err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, info, &PrivilegeError{Interface: name, Err: err}
		}
		return nil, info, fmt.Errorf("capturing on %s: %w", name, err)
	}
	if err := h.tp.SetBPF(prog); err != nil {
		h.close()
		return nil, info, fmt.Errorf("capturing on %s: attaching the filter: %w", name, err)
	}
	// Packets queued between the bind and the filter, unfiltered, are
	// skipped: the capture starts now (libpcap drains the socket instead).
	info.early = time.Now()
	if ether {
		// As tcpdump does: see the traffic of other hosts on a mirror
		// port. The kernel drops the membership with the socket. Not
		// being allowed is no reason to stop.
		_ = h.tp.SetPromiscuous(true)
	}
	info.link, info.rawIP = link, cooked
	return h, info, nil
}

// open makes the socket and its ring: TPACKET_V3 if the kernel has it
// (Linux 3.2 and later), else TPACKET_V2 with a frame per packet.
func (h *liveHandle) open(name string, cooked bool, snaplen int) error {
	opts := []any{afpacket.OptPollTimeout(livePoll)}
	if name != "any" {
		opts = append(opts, afpacket.OptInterface(name))
	}
	if cooked {
		opts = append(opts, afpacket.SocketDgram)
	} else {
		opts = append(opts, afpacket.SocketRaw)
	}
	var v3err error
	if !tpacketV2Only {
		tp, err := afpacket.NewTPacket(append(opts,
			afpacket.TPacketVersion3,
			afpacket.OptFrameSize(4096),
			afpacket.OptBlockSize(v3BlockSize),
			afpacket.OptNumBlocks(ringBytes/v3BlockSize),
			afpacket.OptBlockTimeout(v3BlockTimeout))...)
		if err == nil {
			h.tp, h.v3 = tp, true
			return nil
		}
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return err
		}
		v3err = err
	}
	frame := os.Getpagesize()
	for frame < min(snaplen, v2MaxFrameData)+v2FrameOverhead {
		frame *= 2
	}
	tp, err := afpacket.NewTPacket(append(opts,
		afpacket.TPacketVersion2,
		afpacket.OptFrameSize(frame),
		afpacket.OptBlockSize(frame),
		afpacket.OptNumBlocks(max(ringBytes/frame, 16)))...)
	if err != nil {
		if v3err != nil {
			return fmt.Errorf("TPACKET_V3: %v; TPACKET_V2: %w", v3err, err)
		}
		return err
	}
	h.tp = tp
	return nil
}

func (h *liveHandle) read() ([]byte, gopacket.CaptureInfo, error) {
	data, ci, err := h.tp.ZeroCopyReadPacketData()
	if err == nil {
		return data, ci, nil
	}
	if err == afpacket.ErrTimeout {
		return nil, ci, errPollTimeout
	}
	// POLLERR: the socket has an error, which stays (afpacket does not
	// read it): the usual one is ENETDOWN, the interface went down or away.
	if h.iface != "any" {
		if _, up, lerr := linkInfo(h.iface); lerr != nil {
			return nil, ci, fmt.Errorf("capturing on %s: the interface disappeared", h.iface)
		} else if !up {
			return nil, ci, fmt.Errorf("capturing on %s: the interface went down", h.iface)
		}
	}
	return nil, ci, fmt.Errorf("capturing on %s: %w", h.iface, err)
}

// HaveFanout: AF_PACKET sockets can share an interface (OpenLiveGroup).
const HaveFanout = true

// joinFanout makes the socket a member of fanout group id, of type hash
// with defragmentation (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG):
// the kernel hands each packet to one member by a hash of its addresses
// and ports that is the same for both directions of a connection
// (__skb_get_hash_symmetric), and reassembles IP fragments before hashing
// so that a fragmented packet is not split over two members. Packets that
// reach the socket after this are its share only. afpacket passes the
// argument as a Go int: 8 bytes, which kernels from 5.10 read as struct
// fanout_args (id, type and flags in its first 4 bytes on a
// little-endian machine; on a big-endian one they would land in its
// member limit, and the socket join group 0 without defragmentation) and
// older ones refuse (OpenLiveGroup then gives ErrNoFanout).
func (h *liveHandle) joinFanout(id uint16) error {
	if joinRefused != nil {
		return joinRefused
	}
	return h.tp.SetFanout(afpacket.FanoutHashWithDefrag|afpacket.FanoutHash, id)
}

// resetStats starts the counters again: what the kernel counted so far
// is read and forgotten (the running totals afpacket keeps stay where
// they are: counter32 counts from them).
func (h *liveHandle) resetStats() {
	h.pollStats()
	h.rc.total, h.dc.total = 0, 0
	h.recv, h.drop = 0, 0
}

// pollStats reads PACKET_STATISTICS (which the kernel resets on every
// read; afpacket keeps 32-bit totals).
func (h *liveHandle) pollStats() {
	if h.tp == nil {
		return
	}
	s2, s3, err := h.tp.SocketStats()
	if err != nil {
		return
	}
	if h.v3 {
		h.rc.update(uint32(s3.Packets()))
		h.dc.update(uint32(s3.Drops()))
	} else {
		h.rc.update(uint32(s2.Packets()))
		h.dc.update(uint32(s2.Drops()))
	}
	h.recv, h.drop = h.rc.total, h.dc.total
}

func (h *liveHandle) close() {
	if h.tp != nil {
		h.tp.Close()
		h.tp = nil
	}
}

// skipLoopbackOutgoing puts in front of prog a test that rejects outgoing
// packets on loopback (on every interface when any is set: on loopback
// only): a packet socket sees each of them twice, sent and received, and
// libpcap keeps only the received copy, so tcpdump shows each once. Classic
// BPF jumps are relative, so prog runs unchanged behind the test.
func skipLoopbackOutgoing(prog []bpf.RawInstruction, any bool) ([]bpf.RawInstruction, error) {
	const (
		packetOutgoing  = 4 // PACKET_OUTGOING
		loopbackIfindex = 1 // LOOPBACK_IFINDEX: lo is 1 in every namespace
	)
	var pre []bpf.Instruction
	if any {
		pre = []bpf.Instruction{
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: packetOutgoing, SkipFalse: 3},
			bpf.LoadExtension{Num: bpf.ExtInterfaceIndex},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: loopbackIfindex, SkipFalse: 1},
			bpf.RetConstant{Val: 0},
		}
	} else {
		pre = []bpf.Instruction{
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: packetOutgoing, SkipFalse: 1},
			bpf.RetConstant{Val: 0},
		}
	}
	raw, err := bpf.Assemble(pre)
	if err != nil {
		return nil, err
	}
	if len(raw)+len(prog) > 4096 {
		return nil, fmt.Errorf("the filter's program (%d instructions) is too long for the kernel's limit of 4096 with the %d that skip loopback's outgoing copies", len(prog), len(raw))
	}
	return append(raw, prog...), nil
}

// linkInfo returns the interface's ARPHRD type and whether it is up, from
// ioctls on a socket of the calling thread's network namespace.
func linkInfo(name string) (arphrd uint16, up bool, err error) {
	if name == "" || len(name) >= unix.IFNAMSIZ || strings.ContainsAny(name, "/:\x00") || strings.TrimSpace(name) != name {
		return 0, false, noSuchInterface(name)
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, false, fmt.Errorf("looking up interface %q: %w", name, err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, false, noSuchInterface(name)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO) {
			return 0, false, noSuchInterface(name)
		}
		return 0, false, fmt.Errorf("looking up interface %q: %w", name, err)
	}
	up = ifr.Uint16()&unix.IFF_UP != 0
	// The hardware address is a sockaddr whose family is the ARPHRD type.
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return 0, false, noSuchInterface(name)
		}
		return 0, false, fmt.Errorf("looking up interface %q: %w", name, err)
	}
	return ifr.Uint16(), up, nil
}
