package capture

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/tlsscan/tlsscan/capture/filter"
)

// decoder turns a link-layer packet into the Segment it owns; files and
// live capture share it.
type decoder struct {
	seg    Segment
	filter *filter.Filter
	fpkt   filter.Packet
	raw    bool // see RawTCP
	tcpDec TCPDecoder
}

// RawTCP implements the RawTCP interface (Files and Live embed decoder).
func (d *decoder) RawTCP() { d.raw = true }

// matches applies the user's filter to the decoded TCP segment. Only TCP
// segments reach the analysis, so a filter needs no other view of a packet.
func (d *decoder) matches() bool {
	if d.filter == nil {
		return true
	}
	src, dst := d.seg.Net.Endpoints()
	p := &d.fpkt
	p.IPVersion = 4
	if d.seg.Net.EndpointType() == layers.EndpointIPv6 {
		p.IPVersion = 6
	}
	p.Src, _ = netip.AddrFromSlice(src.Raw())
	p.Dst, _ = netip.AddrFromSlice(dst.Raw())
	p.Proto = 6
	p.SrcPort, p.DstPort = uint16(d.seg.TCP.SrcPort), uint16(d.seg.TCP.DstPort)
	p.Fragment = false
	return d.filter.Match(p)
}

// Decoding. The few headers are decoded by hand rather than with a
// gopacket.DecodingLayerParser: the parser has no layer for LOOP/NULL in
// either byte order, does not skip IPv6 extension headers into TCP, would
// decode later IP fragments as TCP, and reports problems as allocated errors
// where a verdict is all that is needed. Only the TCP header is decoded by
// gopacket (TCPDecoder: all but its options), into the reused Segment.TCP,
// unless the source is raw (RawTCP).

type verdict uint8

const (
	isTCP verdict = iota
	notTCP
	malformed
)

// Link types that are raw IP on some systems: LINKTYPE_RAW, and the DLT_RAW
// values written by BSDs (12) and OpenBSD (14).
const (
	linkTypeRawBSD     layers.LinkType = 12
	linkTypeRawOpenBSD layers.LinkType = 14
)

func supportedLink(lt layers.LinkType) bool {
	switch lt {
	case layers.LinkTypeNull, layers.LinkTypeEthernet, layers.LinkTypeRaw,
		linkTypeRawBSD, linkTypeRawOpenBSD, layers.LinkTypeLoop,
		layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
		layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		return true
	}
	return false
}

// decode fills d.seg.Net, d.seg.TCP and d.seg.Cut from a packet. capCut is
// whether the snaplen cut the record.
func (d *decoder) decode(link layers.LinkType, p []byte, capCut bool) verdict {
	switch link {
	case layers.LinkTypeEthernet:
		if len(p) < 14 {
			return malformed
		}
		return d.ethertype(binary.BigEndian.Uint16(p[12:]), p[14:], capCut)
	case layers.LinkTypeLinuxSLL:
		if len(p) < 16 {
			return malformed
		}
		return d.ethertype(binary.BigEndian.Uint16(p[14:]), p[16:], capCut)
	case layers.LinkTypeLinuxSLL2:
		if len(p) < 20 {
			return malformed
		}
		return d.ethertype(binary.BigEndian.Uint16(p[0:]), p[20:], capCut)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if len(p) < 4 {
			return malformed
		}
		// NULL is in the writer's byte order, which the file does not
		// record; the values accepted are unambiguous either way.
		fam := binary.BigEndian.Uint32(p)
		if link == layers.LinkTypeNull && fam > 0xff {
			fam = binary.LittleEndian.Uint32(p)
		}
		switch fam {
		case 2: // AF_INET everywhere
			return d.ipv4(p[4:], capCut)
		case 24, 28, 30: // AF_INET6 on OpenBSD/NetBSD, FreeBSD, macOS
			return d.ipv6(p[4:], capCut)
		}
		return notTCP
	case layers.LinkTypeRaw, linkTypeRawBSD, linkTypeRawOpenBSD:
		if len(p) == 0 {
			return malformed
		}
		switch p[0] >> 4 {
		case 4:
			return d.ipv4(p, capCut)
		case 6:
			return d.ipv6(p, capCut)
		}
		return malformed
	case layers.LinkTypeIPv4:
		return d.ipv4(p, capCut)
	case layers.LinkTypeIPv6:
		return d.ipv6(p, capCut)
	}
	return notTCP
}

func (d *decoder) ethertype(et uint16, p []byte, capCut bool) verdict {
	for range maxTags {
		switch et {
		case 0x0800:
			return d.ipv4(p, capCut)
		case 0x86dd:
			return d.ipv6(p, capCut)
		case 0x8100, 0x88a8, 0x9100: // 802.1Q, 802.1ad, and pre-standard QinQ
			if len(p) < 4 {
				return malformed
			}
			et = binary.BigEndian.Uint16(p[2:])
			p = p[4:]
		default:
			return notTCP
		}
	}
	return notTCP
}

func (d *decoder) ipv4(p []byte, capCut bool) verdict {
	if len(p) < 20 || p[0]>>4 != 4 {
		return malformed
	}
	ihl := int(p[0]&0x0f) * 4
	if ihl < 20 || len(p) < ihl {
		return malformed
	}
	cut := false
	switch total := int(binary.BigEndian.Uint16(p[2:])); {
	case total == 0:
		// Left to the NIC by TCP segmentation offload: what was captured
		// is the packet, and only the record tells whether it is whole.
		cut = capCut
	case total < ihl:
		return malformed
	case total <= len(p):
		p = p[:total] // drop Ethernet padding and trailers
	default:
		cut = true
	}
	if p[9] != 6 {
		return notTCP
	}
	frag := binary.BigEndian.Uint16(p[6:])
	if frag&0x1fff != 0 {
		return notTCP // a later fragment: no TCP header
	}
	first := frag&0x2000 != 0
	d.seg.Net = gopacket.NewFlow(layers.EndpointIPv4, p[12:16], p[16:20])
	return d.tcp(p[ihl:], cut || first, first)
}

func (d *decoder) ipv6(p []byte, capCut bool) verdict {
	if len(p) < 40 || p[0]>>4 != 6 {
		return malformed
	}
	cut := false
	if plen := int(binary.BigEndian.Uint16(p[4:])); plen == 0 {
		// A jumbogram or segmentation offload; as for IPv4 above.
		cut = capCut
	} else if 40+plen <= len(p) {
		p = p[:40+plen]
	} else {
		cut = true
	}
	next, q := p[6], p[40:]
	first := false
	for range maxExtHeaders {
		switch next {
		case 6:
			d.seg.Net = gopacket.NewFlow(layers.EndpointIPv6, p[8:24], p[24:40])
			return d.tcp(q, cut || first, first)
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(q) < 8 {
				return malformed
			}
			n := (int(q[1]) + 1) * 8
			if len(q) < n {
				return malformed
			}
			next, q = q[0], q[n:]
		case 44: // fragment
			if len(q) < 8 {
				return malformed
			}
			if binary.BigEndian.Uint16(q[2:])&0xfff8 != 0 {
				return notTCP // a later fragment
			}
			// An atomic fragment (offset 0, no more fragments) is whole.
			first = first || q[3]&1 != 0
			next, q = q[0], q[8:]
		case 51: // authentication header: its length is in 4-byte units
			if len(q) < 8 {
				return malformed
			}
			n := (int(q[1]) + 2) * 4
			if len(q) < n {
				return malformed
			}
			next, q = q[0], q[n:]
		default:
			return notTCP
		}
	}
	return notTCP
}

// tcp decodes the TCP header in p. A first fragment too short to hold the
// whole header is not counted as a decode error: the datagram is fine, only
// we do not reassemble IP fragments.
func (d *decoder) tcp(p []byte, cut, fragment bool) verdict {
	bad := malformed
	if fragment {
		bad = notTCP
	}
	if !validTCP(p) {
		return bad
	}
	d.seg.Raw = p
	d.seg.Cut = cut
	if d.raw {
		// Only what the filter and the flow hash read; validTCP made the
		// checks a worker's Decode makes.
		d.seg.TCP.SrcPort = layers.TCPPort(binary.BigEndian.Uint16(p))
		d.seg.TCP.DstPort = layers.TCPPort(binary.BigEndian.Uint16(p[2:]))
		return isTCP
	}
	d.tcpDec.decode(&d.seg.TCP, p)
	return isTCP
}
