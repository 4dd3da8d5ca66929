package testkit

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Endpoint is one side of a TCP connection.
type Endpoint struct {
	MAC  net.HardwareAddr
	IP   netip.Addr
	Port uint16
}

// Side names a direction of a Conn: A opened the TCP connection (sent the
// SYN), B accepted it. Which side speaks TLS first is the scenario's choice.
type Side int

const (
	A Side = 0
	B Side = 1
)

// Other returns the opposite side.
func (s Side) Other() Side { return 1 - s }

// TCP flag bits of a Segment.
const (
	FIN uint8 = 1 << iota
	SYN
	RST
	PSH
	ACK
)

// Segment is one TCP segment, framed when a Capture writes it.
type Segment struct {
	Src, Dst Endpoint
	Seq, Ack uint32
	Flags    uint8
	Window   uint16
	MSS      uint16 // MSS option value on SYN segments (0: no option)
	IPID     uint16
	VLANs    []uint16 // Ethernet framing: outer tag first (2 tags = QinQ)
	Payload  []byte
	// Time overrides the capture clock when not zero.
	Time time.Time
}

// Clone returns a copy with its own payload.
func (s *Segment) Clone() *Segment {
	c := *s
	c.Payload = slices.Clone(s.Payload)
	c.VLANs = slices.Clone(s.VLANs)
	return &c
}

// Len is the sequence space the segment uses (payload plus SYN/FIN).
func (s *Segment) Len() uint32 {
	n := uint32(len(s.Payload))
	if s.Flags&SYN != 0 {
		n++
	}
	if s.Flags&FIN != 0 {
		n++
	}
	return n
}

// Conn builds one TCP conversation as a list of segments. The builder
// methods append to Segs; the editing methods (Remove, InsertAfter, Reorder)
// rearrange it before the segments go into a Capture.
type Conn struct {
	Ends  [2]Endpoint
	VLANs []uint16
	// MSS is the payload size Send cuts data into.
	MSS int
	// AutoAck makes the receiving side send a pure ACK after each Send.
	AutoAck bool
	Segs    []*Segment

	isn  [2]uint32
	next [2]uint32
	ipid [2]uint16
}

// NewConn prepares a connection from a to b with the given initial sequence
// numbers. MSS defaults to 1460 and AutoAck to true.
func NewConn(a, b Endpoint, isnA, isnB uint32) *Conn {
	c := &Conn{Ends: [2]Endpoint{a, b}, MSS: 1460, AutoAck: true}
	c.isn = [2]uint32{isnA, isnB}
	c.next = c.isn
	c.ipid = [2]uint16{uint16(isnA >> 7), uint16(isnB >> 9)}
	return c
}

// ISN returns the side's initial sequence number.
func (c *Conn) ISN(s Side) uint32 { return c.isn[s] }

// NextSeq returns the sequence number the side's next byte will use.
func (c *Conn) NextSeq(s Side) uint32 { return c.next[s] }

// Skip advances the side's sequence space by n bytes without emitting them
// (bytes the capture never saw).
func (c *Conn) Skip(s Side, n int) { c.next[s] += uint32(n) }

// Segment makes (but does not append) a segment from side s with explicit
// sequence number, flags and payload; Ack is the peer's next sequence.
func (c *Conn) Segment(s Side, seq uint32, flags uint8, payload []byte) *Segment {
	c.ipid[s]++
	seg := &Segment{
		Src: c.Ends[s], Dst: c.Ends[s.Other()],
		Seq: seq, Flags: flags, Window: 64240, IPID: c.ipid[s],
		VLANs: c.VLANs, Payload: payload,
	}
	if flags&ACK != 0 {
		seg.Ack = c.next[s.Other()]
	}
	return seg
}

func (c *Conn) emit(s Side, flags uint8, payload []byte) *Segment {
	seg := c.Segment(s, c.next[s], flags, payload)
	c.next[s] += seg.Len()
	c.Segs = append(c.Segs, seg)
	return seg
}

// Open appends the three-way handshake.
func (c *Conn) Open() {
	syn := c.emit(A, SYN, nil)
	syn.MSS = 1460
	synack := c.emit(B, SYN|ACK, nil)
	synack.MSS = 1460
	c.emit(A, ACK, nil)
}

// Send appends data from side s cut into MSS-sized segments.
func (c *Conn) Send(s Side, data []byte) []*Segment {
	return c.SendFunc(s, data, func(int) int { return c.MSS })
}

// SendSizes appends data cut at the given sizes; the last size repeats.
func (c *Conn) SendSizes(s Side, data []byte, sizes ...int) []*Segment {
	return c.SendFunc(s, data, func(i int) int { return sizes[min(i, len(sizes)-1)] })
}

// SendFunc appends data cut into segments of size(i) bytes for the i-th one.
func (c *Conn) SendFunc(s Side, data []byte, size func(i int) int) []*Segment {
	var out []*Segment
	for i := 0; len(data) > 0; i++ {
		n := max(1, min(size(i), len(data)))
		flags := ACK
		if n == len(data) {
			flags |= PSH
		}
		out = append(out, c.emit(s, flags, slices.Clone(data[:n])))
		data = data[n:]
	}
	if c.AutoAck && len(out) > 0 {
		c.emit(s.Other(), ACK, nil)
	}
	return out
}

// Ack appends a pure ACK from side s.
func (c *Conn) Ack(s Side) *Segment { return c.emit(s, ACK, nil) }

// Fin appends a FIN from side s.
func (c *Conn) Fin(s Side) *Segment { return c.emit(s, FIN|ACK, nil) }

// Close appends the orderly close: FIN from s, FIN from the other, last ACK.
func (c *Conn) Close(s Side) {
	c.Fin(s)
	c.Fin(s.Other())
	c.Ack(s)
}

// Index returns the position of seg in Segs, or -1.
func (c *Conn) Index(seg *Segment) int { return slices.Index(c.Segs, seg) }

// Remove deletes segments (captures that lost them).
func (c *Conn) Remove(segs ...*Segment) {
	drop := make(map[*Segment]bool, len(segs))
	for _, s := range segs {
		drop[s] = true
	}
	c.Segs = slices.DeleteFunc(c.Segs, func(s *Segment) bool { return drop[s] })
}

// Last returns whichever of segs sits latest in Segs.
func (c *Conn) Last(segs []*Segment) *Segment {
	var last *Segment
	at := -1
	for _, s := range segs {
		if i := c.Index(s); i > at {
			last, at = s, i
		}
	}
	return last
}

// InsertAfter places segs right after the segment after (at the front when
// after is nil).
func (c *Conn) InsertAfter(after *Segment, segs ...*Segment) {
	i := 0
	if after != nil {
		i = c.Index(after) + 1
		if i == 0 {
			panic("testkit: InsertAfter: segment not in connection")
		}
	}
	c.Segs = slices.Insert(c.Segs, i, segs...)
}

// Reorder puts segs, which must all be in Segs, into the positions they
// occupy, in the order given by perm: the k-th occupied position receives
// segs[perm[k]].
func (c *Conn) Reorder(segs []*Segment, perm []int) {
	if len(perm) != len(segs) {
		panic("testkit: Reorder: perm and segs differ in length")
	}
	pos := make([]int, len(segs))
	for i, s := range segs {
		if pos[i] = c.Index(s); pos[i] < 0 {
			panic("testkit: Reorder: segment not in connection")
		}
	}
	slices.Sort(pos)
	for k, p := range pos {
		c.Segs[p] = segs[perm[k]]
	}
}

// Retransmit inserts a copy of seg right after the segment after.
func (c *Conn) Retransmit(seg, after *Segment) *Segment {
	cp := seg.Clone()
	s := c.SideOf(seg)
	c.ipid[s]++
	cp.IPID = c.ipid[s]
	c.InsertAfter(after, cp)
	return cp
}

// SideOf tells which side sent seg.
func (c *Conn) SideOf(seg *Segment) Side {
	if seg.Src.IP == c.Ends[B].IP && seg.Src.Port == c.Ends[B].Port {
		return B
	}
	return A
}

// Layers returns the gopacket layers that frame seg for linkType.
func (seg *Segment) Layers(linkType layers.LinkType) ([]gopacket.SerializableLayer, error) {
	var ls []gopacket.SerializableLayer
	v4 := seg.Src.IP.Is4()
	ipType := layers.EthernetTypeIPv6
	family := layers.ProtocolFamilyIPv6BSD
	if v4 {
		ipType = layers.EthernetTypeIPv4
		family = layers.ProtocolFamilyIPv4
	}
	switch linkType {
	case layers.LinkTypeEthernet:
		eth := &layers.Ethernet{SrcMAC: seg.Src.MAC, DstMAC: seg.Dst.MAC, EthernetType: ipType}
		ls = append(ls, eth)
		switch len(seg.VLANs) {
		case 0:
		case 1:
			eth.EthernetType = layers.EthernetTypeDot1Q
			ls = append(ls, &layers.Dot1Q{VLANIdentifier: seg.VLANs[0], Type: ipType})
		case 2:
			eth.EthernetType = layers.EthernetTypeQinQ
			ls = append(ls,
				&layers.Dot1Q{VLANIdentifier: seg.VLANs[0], Type: layers.EthernetTypeDot1Q},
				&layers.Dot1Q{VLANIdentifier: seg.VLANs[1], Type: ipType})
		default:
			return nil, fmt.Errorf("testkit: %d VLAN tags", len(seg.VLANs))
		}
	case layers.LinkTypeNull:
		ls = append(ls, &layers.Loopback{Family: family})
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
	default:
		return nil, fmt.Errorf("testkit: link type %v not supported", linkType)
	}
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(seg.Src.Port), DstPort: layers.TCPPort(seg.Dst.Port),
		Seq: seg.Seq, Ack: seg.Ack, Window: seg.Window,
		FIN: seg.Flags&FIN != 0, SYN: seg.Flags&SYN != 0, RST: seg.Flags&RST != 0,
		PSH: seg.Flags&PSH != 0, ACK: seg.Flags&ACK != 0,
	}
	if seg.MSS != 0 {
		tcp.Options = []layers.TCPOption{{
			OptionType: layers.TCPOptionKindMSS, OptionLength: 4,
			OptionData: []byte{byte(seg.MSS >> 8), byte(seg.MSS)},
		}}
	}
	var nl gopacket.NetworkLayer
	if v4 {
		ip := &layers.IPv4{
			Version: 4, IHL: 5, TTL: 64, Id: seg.IPID, Flags: layers.IPv4DontFragment,
			Protocol: layers.IPProtocolTCP,
			SrcIP:    seg.Src.IP.AsSlice(), DstIP: seg.Dst.IP.AsSlice(),
		}
		ls, nl = append(ls, ip), ip
	} else {
		ip := &layers.IPv6{
			Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP,
			SrcIP: seg.Src.IP.AsSlice(), DstIP: seg.Dst.IP.AsSlice(),
		}
		ls, nl = append(ls, ip), ip
	}
	if err := tcp.SetNetworkLayerForChecksum(nl); err != nil {
		return nil, err
	}
	ls = append(ls, tcp, gopacket.Payload(seg.Payload))
	return ls, nil
}

// Frame serializes seg for linkType with computed checksums and lengths.
func (seg *Segment) Frame(linkType layers.LinkType) ([]byte, error) {
	ls, err := seg.Layers(linkType)
	if err != nil {
		return nil, err
	}
	sb := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}, ls...); err != nil {
		return nil, err
	}
	return slices.Clone(sb.Bytes()), nil
}
