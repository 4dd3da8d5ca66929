package pipeline

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/capture"
	"github.com/tlsscan/tlsscan/keylog"
	"github.com/tlsscan/tlsscan/report"
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

// TestKeyLogCountsInHeld: what a key log holds is in Progress.Held, from
// which tlsscan's soft memory limit is derived (a key-logged run took 2.15x
// the run without keys while the collector, not told of the secrets, ran
// all the time); a capture's own secrets blocks are taken out again when
// the capture is done.
func TestKeyLogCountsInHeld(t *testing.T) {
	dir := filepath.Join("..", "pcaps", "real", "keylog")
	keyFile := filepath.Join(dir, "go-tls13-mtls.keys")
	want := keylog.New()
	b, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	want.ReadBytes(b, "k")
	p := &Progress{}
	caps := []Capture{
		{Files: []string{filepath.Join(dir, "go-tls13-mtls.pcap")}},
		{Files: []string{filepath.Join(dir, "tls13-mtls-dsb.pcapng")}},
	}
	w := report.NewWriter(io.Discard, report.FormatCSV, report.Options{})
	if _, err := RunCaptures(Config{KeyLogs: []string{keyFile}, Progress: p}, caps, w); err != nil {
		t.Fatal(err)
	}
	if got := p.Held.Load(); got != want.Bytes() || got == 0 {
		t.Errorf("Held %d after the run, want the key log's %d", got, want.Bytes())
	}
}
