package capture

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TCPDecoder decodes a TCP header with gopacket, all but its options.
//
// Nothing in tlsscan reads TCP options (gopacket's reassembly reads them
// only through TCPOptionCheck, which it does not use), yet decoding them
// was most of layers.TCP.DecodeFromBytes's cost, 12% of a handshake-heavy
// run: each option is appended as a TCPOption struct of some 100 bytes,
// three per packet with timestamps. So gopacket decodes a copy of the
// fixed 20 bytes with the data offset set to 5 (no options), and the real
// data offset, Contents and Payload are put back: every field is as
// gopacket's full decode gives it except Options and Padding, which stay
// empty, and Multipath (an MPTCP option seen), which stays false
// (TestTCPDecoderAsGopacket). The ports TransportFlow reads then
// point into the decoder's copy, valid until its next Decode, like the
// packet buffer they would otherwise point into.
type TCPDecoder struct {
	hdr [20]byte
}

// Decode fills tcp from p, the TCP header and payload, and reports whether
// p holds a TCP header (the checks DecodeFromBytes makes, see validTCP).
func (d *TCPDecoder) Decode(tcp *layers.TCP, p []byte) bool {
	return validTCP(p) && d.decode(tcp, p)
}

// decode is Decode for p that validTCP accepted.
func (d *TCPDecoder) decode(tcp *layers.TCP, p []byte) bool {
	copy(d.hdr[:], p[:20])
	off := p[12] >> 4
	d.hdr[12] = 5<<4 | p[12]&0x0f
	if tcp.DecodeFromBytes(d.hdr[:], gopacket.NilDecodeFeedback) != nil {
		return false // cannot happen: 20 bytes, data offset 5
	}
	tcp.DataOffset = off
	tcp.Contents, tcp.Payload = p[:int(off)*4], p[int(off)*4:]
	return true
}

// validTCP makes the checks on which layers.TCP.DecodeFromBytes fails: a
// header shorter than 20 bytes, a data offset below 5 or beyond the
// packet. (Option lengths that cannot be followed do not fail it: gopacket
// stops reading options there.) Made here because its errors are
// allocated.
func validTCP(p []byte) bool {
	if len(p) < 20 {
		return false
	}
	off := int(p[12]>>4) * 4
	return off >= 20 && off <= len(p)
}
