package testkit

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/netip"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func testPackets() []Packet {
	t0 := time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.UTC)
	return []Packet{
		{Time: t0, Data: []byte("first packet"), Length: 60},
		{Time: t0.Add(time.Second), Data: []byte("second, on interface 1"), Iface: 1},
		{Time: t0.Add(2 * time.Second), Data: []byte("third")},
	}
}

// Pcap writes what pcapgo writes, byte for byte, where pcapgo can write it.
func TestPcapAsPcapgo(t *testing.T) {
	for _, nanos := range []bool{false, true} {
		var buf bytes.Buffer
		w := pcapgo.NewWriter(&buf)
		if nanos {
			w = pcapgo.NewWriterNanos(&buf)
		}
		if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
			t.Fatal(err)
		}
		for _, p := range testPackets() {
			if err := w.WritePacket(p.CI(), p.Data); err != nil {
				t.Fatal(err)
			}
		}
		got := Pcap(PcapHeader{LinkType: layers.LinkTypeEthernet, Snaplen: 65535, Nanos: nanos}, testPackets()...)
		if !bytes.Equal(got, buf.Bytes()) {
			t.Errorf("nanos %v: Pcap\n%x\npcapgo\n%x", nanos, got, buf.Bytes())
		}
	}
}

// Read gives back what each writer wrote.
func TestReadWhatIsWritten(t *testing.T) {
	links := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeEthernet}
	ng := func(bigEndian bool) []byte {
		w := NGWriter{BigEndian: bigEndian}
		w.SectionHeader()
		w.InterfaceDescription(layers.LinkTypeEthernet, 0)
		w.InterfaceDescription(layers.LinkTypeEthernet, 0)
		for _, p := range testPackets() {
			w.EnhancedPacket(p)
		}
		return w.Bytes()
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want File
		res  time.Duration
	}{
		{"pcap", Pcap(PcapHeader{LinkType: 101, Snaplen: 65535}, testPackets()...), File{LinkType: 101}, time.Microsecond},
		{"pcap nanos", Pcap(PcapHeader{LinkType: 101, Snaplen: 65535, Nanos: true}, testPackets()...), File{LinkType: 101, Nanos: true}, time.Nanosecond},
		{"pcap big-endian", Pcap(PcapHeader{LinkType: 101, Snaplen: 65535, BigEndian: true}, testPackets()...), File{LinkType: 101, BigEndian: true}, time.Microsecond},
		{"pcap big-endian nanos", Pcap(PcapHeader{LinkType: 101, Snaplen: 65535, Nanos: true, BigEndian: true}, testPackets()...), File{LinkType: 101, Nanos: true, BigEndian: true}, time.Nanosecond},
		{"pcapng", Pcapng(t, links, testPackets()...), File{LinkType: 1, Pcapng: true}, time.Nanosecond},
		{"pcapng by hand", ng(false), File{LinkType: 1, Pcapng: true}, time.Microsecond},
		{"pcapng by hand, big-endian", ng(true), File{LinkType: 1, Pcapng: true}, time.Microsecond},
		{"gzip", Gzip(Pcap(PcapHeader{LinkType: 101, Snaplen: 65535}, testPackets()...)), File{LinkType: 101}, time.Microsecond},
		{"gzip stored", GzipStored(ng(true), 7), File{LinkType: 1, Pcapng: true}, time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Read(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Packets = testPackets()
			for i := range tc.want.Packets {
				p := &tc.want.Packets[i]
				p.Time, p.Length = p.Time.Truncate(tc.res), p.wireLen()
				if !tc.want.Pcapng {
					p.Iface = 0
				}
			}
			for i := range f.Packets {
				f.Packets[i].Time = f.Packets[i].Time.UTC()
			}
			if !reflect.DeepEqual(*f, tc.want) {
				t.Errorf("read\n%+v\nwant\n%+v", *f, tc.want)
			}
		})
	}
}

// A damaged file gives the packets before the damage, and the error.
func TestReadTruncated(t *testing.T) {
	b := Pcap(PcapHeader{LinkType: 1, Snaplen: 65535}, testPackets()...)
	f, err := Read(b[:len(b)-2])
	if err == nil || len(f.Packets) != 2 {
		t.Errorf("%d packets, error %v; want 2 and an error", len(f.Packets), err)
	}
	if _, err := Read([]byte("not a capture")); err == nil {
		t.Error("text read as a capture")
	}
}

func TestGzipStoredRoundTrip(t *testing.T) {
	data := bytes.Repeat([]byte("tlsscan"), 30000)
	zr, err := gzip.NewReader(bytes.NewReader(GzipStored(data, 4096)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("round trip: %v, %d bytes", err, len(got))
	}
}

// DecodeSegment undoes Frame, checksums verified, on every link type Frame
// writes.
func TestDecodeSegment(t *testing.T) {
	a := Endpoint{MAC: []byte{2, 0, 0, 0, 0, 1}, IP: netip.MustParseAddr("192.0.2.1"), Port: 50000}
	b := Endpoint{MAC: []byte{2, 0, 0, 0, 0, 2}, IP: netip.MustParseAddr("198.51.100.2"), Port: 443}
	a6, b6 := a, b
	a6.IP, b6.IP = netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	for _, tc := range []struct {
		lt       layers.LinkType
		src, dst Endpoint
		vlans    []uint16
	}{
		{layers.LinkTypeEthernet, a, b, nil},
		{layers.LinkTypeEthernet, a6, b6, []uint16{10, 20}},
		{layers.LinkTypeNull, a6, b6, nil},
		{layers.LinkTypeRaw, a, b, nil},
		{layers.LinkTypeIPv4, a, b, nil},
	} {
		seg := &Segment{Src: tc.src, Dst: tc.dst, Seq: 1000, Ack: 2000, Flags: PSH | ACK, Window: 512, VLANs: tc.vlans, Payload: []byte("hello")}
		data, err := seg.Frame(tc.lt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeSegment(tc.lt, data, true)
		if err != nil {
			t.Fatalf("%v: %v", tc.lt, err)
		}
		want := *seg
		want.VLANs = nil
		if tc.lt != layers.LinkTypeEthernet {
			want.Src.MAC, want.Dst.MAC = nil, nil
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%v: decoded\n%+v\nwant\n%+v", tc.lt, *got, want)
		}
		data[bytes.Index(data, []byte("hello"))] ^= 1
		if _, err := DecodeSegment(tc.lt, data, true); err == nil {
			t.Errorf("%v: a wrong checksum passed", tc.lt)
		}
	}
}

func TestCorpus(t *testing.T) {
	root := ModuleRoot(t)
	if _, err := os.Stat(root + "/go.mod"); err != nil {
		t.Fatal(err)
	}
	dir := OptionalCorpus(t, "zeek")
	if dir == "" {
		t.Skip("../shared/corpus not present")
	}
	if got := Corpus(t, "zeek"); got != dir {
		t.Errorf("Corpus %q, OptionalCorpus %q", got, dir)
	}
}
