package testkit

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Decoder returns gopacket's decoder for a capture's link type, including
// the raw-IP link types gopacket registers none for (12 and 14 as on
// OpenBSD, 228 and 229).
func Decoder(lt layers.LinkType) gopacket.Decoder {
	switch lt {
	case 12, 14:
		return layers.LinkTypeRaw
	case layers.LinkTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.LinkTypeIPv6:
		return layers.LayerTypeIPv6
	}
	return lt
}

// DecodeSegment is Frame's inverse for what a reader of a capture needs:
// it decodes data, framed for lt, down to TCP and returns the endpoints,
// sequence numbers, flags, window and payload (aliasing data). With verify,
// the packet must decode without error and its IPv4 header and TCP
// checksums must be right, as in every crafted packet; without, a packet cut
// by the snap length gives what was captured.
func DecodeSegment(lt layers.LinkType, data []byte, verify bool) (*Segment, error) {
	pkt := gopacket.NewPacket(data, Decoder(lt), gopacket.DecodeOptions{NoCopy: true})
	if el := pkt.ErrorLayer(); el != nil && verify {
		return nil, el.Error()
	}
	tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if !ok {
		return nil, fmt.Errorf("no TCP layer (%v)", pkt)
	}
	seg := &Segment{
		Seq: tcp.Seq, Ack: tcp.Ack, Window: tcp.Window, Payload: tcp.Payload,
		Src: Endpoint{Port: uint16(tcp.SrcPort)}, Dst: Endpoint{Port: uint16(tcp.DstPort)},
	}
	for _, f := range []struct {
		bit uint8
		set bool
	}{{FIN, tcp.FIN}, {SYN, tcp.SYN}, {RST, tcp.RST}, {PSH, tcp.PSH}, {ACK, tcp.ACK}} {
		if f.set {
			seg.Flags |= f.bit
		}
	}
	if eth, ok := pkt.LinkLayer().(*layers.Ethernet); ok {
		seg.Src.MAC, seg.Dst.MAC = eth.SrcMAC, eth.DstMAC
	}
	var src, dst net.IP
	switch ip := pkt.NetworkLayer().(type) {
	case *layers.IPv4:
		src, dst = ip.SrcIP, ip.DstIP
		if verify {
			if err, res := ip.VerifyChecksum(); err != nil || !res.Valid {
				return nil, fmt.Errorf("bad IPv4 checksum %+v %v", res, err)
			}
		}
	case *layers.IPv6:
		src, dst = ip.SrcIP, ip.DstIP
	default:
		return nil, errors.New("TCP without IPv4 or IPv6")
	}
	seg.Src.IP, _ = netip.AddrFromSlice(src)
	seg.Dst.IP, _ = netip.AddrFromSlice(dst)
	if verify {
		if err := tcp.SetNetworkLayerForChecksum(pkt.NetworkLayer()); err != nil {
			return nil, err
		}
		if err, res := tcp.VerifyChecksum(); err != nil || !res.Valid {
			return nil, fmt.Errorf("bad TCP checksum %+v %v", res, err)
		}
	}
	return seg, nil
}
