package pipeline

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/capture"
)

// TestCloneSegmentOwnsItsBytes: a segment held in the live delay line
// must not see the capture ring's next packets (a review found the ports
// TransportFlow reads still pointing into it).
func TestCloneSegmentOwnsItsBytes(t *testing.T) {
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 443, Seq: 7, DataOffset: 8, PSH: true, ACK: true,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindNop, OptionLength: 1}, {OptionType: layers.TCPOptionKindNop, OptionLength: 1},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: []byte{1, 2, 3, 4, 5, 6, 7, 8}}}}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, tcp, gopacket.Payload("hello")); err != nil {
		t.Fatal(err)
	}
	ring := buf.Bytes()
	// As a raw source (-j N) gives it: the ports and the bytes.
	seg := capture.Segment{Raw: ring}
	seg.TCP.SrcPort, seg.TCP.DstPort = 40000, 443
	c := cloneSegment(&seg)
	for i := range ring {
		ring[i] = 0x77 // the ring is reused
	}
	if got := c.TCP.TransportFlow().String(); got != "40000->443" {
		t.Errorf("TransportFlow %s, want 40000->443", got)
	}
	if string(c.Raw[len(c.Raw)-5:]) != "hello" {
		t.Errorf("clone's Raw %q", c.Raw)
	}
	if string(c.TCP.Payload) != "hello" || c.TCP.Seq != 7 || len(c.TCP.Options) != 3 || c.TCP.Options[2].OptionData[0] != 1 {
		t.Errorf("clone: payload %q seq %d options %v", c.TCP.Payload, c.TCP.Seq, c.TCP.Options)
	}
}
