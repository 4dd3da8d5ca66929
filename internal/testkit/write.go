package testkit

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Epoch is the timestamp of the first packet of every crafted capture.
var Epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Clock hands out packet timestamps: Now, then Now+Step, ...
type Clock struct {
	Now  time.Time
	Step time.Duration
}

// NewClock starts at Epoch with 1 ms steps.
func NewClock() *Clock { return &Clock{Now: Epoch, Step: time.Millisecond} }

// Tick returns the current time and advances by Step.
func (c *Clock) Tick() time.Time {
	t := c.Now
	c.Now = c.Now.Add(c.Step)
	return t
}

// Advance moves the clock forward by d (a pause between connections).
func (c *Clock) Advance(d time.Duration) { c.Now = c.Now.Add(d) }

// Packet is one captured frame, as written to a capture or read from one.
// Length is the original wire length (0 means len(Data)); Iface is the
// pcapng interface it was captured on.
type Packet struct {
	Time   time.Time
	Data   []byte
	Length int
	Iface  int
}

func (p Packet) wireLen() int {
	if p.Length > 0 {
		return p.Length
	}
	return len(p.Data)
}

// CI is the packet's capture info, as a reader returns it.
func (p Packet) CI() gopacket.CaptureInfo {
	return gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: p.wireLen(), InterfaceIndex: p.Iface}
}

// Capture is an in-memory list of framed packets of one link type.
type Capture struct {
	LinkType layers.LinkType
	Snaplen  uint32 // packets longer than this are cut when written
	Clock    *Clock
	Packets  []Packet
}

// NewCapture returns an empty capture with snaplen 262144 and a new Clock.
func NewCapture(linkType layers.LinkType) *Capture {
	return &Capture{LinkType: linkType, Snaplen: 262144, Clock: NewClock()}
}

// Add frames segments for the capture's link type and stamps each with the
// clock (or its own Time).
func (c *Capture) Add(segs ...*Segment) error {
	for _, s := range segs {
		data, err := s.Frame(c.LinkType)
		if err != nil {
			return err
		}
		t := s.Time
		if t.IsZero() {
			t = c.Clock.Tick()
		}
		c.Packets = append(c.Packets, Packet{Time: t, Data: data})
	}
	return nil
}

// AddConn adds all segments of each connection, one connection after the
// other.
func (c *Capture) AddConn(conns ...*Conn) error {
	for _, cn := range conns {
		if err := c.Add(cn.Segs...); err != nil {
			return err
		}
	}
	return nil
}

// Pcap returns the capture as a classic little-endian microsecond pcap,
// packets cut to the snap length.
func (c *Capture) Pcap() []byte { return c.pcap(false) }

// PcapBigEndian returns the capture as a classic pcap written in big-endian
// byte order (magic a1 b2 c3 d4 on disk), as a big-endian host writes it.
func (c *Capture) PcapBigEndian() []byte { return c.pcap(true) }

func (c *Capture) pcap(bigEndian bool) []byte {
	pkts := make([]Packet, len(c.Packets))
	for i, p := range c.Packets {
		p.Length = p.wireLen()
		p.Data = p.Data[:min(len(p.Data), int(c.Snaplen))]
		pkts[i] = p
	}
	return Pcap(PcapHeader{LinkType: c.LinkType, Snaplen: c.Snaplen, BigEndian: bigEndian}, pkts...)
}

// PcapHeader is what the header of a classic pcap file says.
type PcapHeader struct {
	LinkType  layers.LinkType
	Snaplen   uint32
	Nanos     bool // nanosecond timestamps (magic a1b23c4d)
	BigEndian bool // as a big-endian host writes it
}

func (h PcapHeader) order() binary.AppendByteOrder {
	if h.BigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// Append appends the 24-byte file header: version 2.4, no time zone.
func (h PcapHeader) Append(b []byte) []byte {
	o := h.order()
	magic := uint32(0xa1b2c3d4)
	if h.Nanos {
		magic = 0xa1b23c4d
	}
	b = o.AppendUint32(b, magic)
	b = o.AppendUint16(b, 2)
	b = o.AppendUint16(b, 4)
	b = o.AppendUint32(b, 0) // thiszone
	b = o.AppendUint32(b, 0) // sigfigs
	b = o.AppendUint32(b, h.Snaplen)
	return o.AppendUint32(b, uint32(h.LinkType))
}

// AppendRecordHeader appends a 16-byte record header; caplen and length
// are written as given, whatever follows.
func (h PcapHeader) AppendRecordHeader(b []byte, ts time.Time, caplen, length int) []byte {
	o := h.order()
	frac := ts.Nanosecond() / 1000
	if h.Nanos {
		frac = ts.Nanosecond()
	}
	b = o.AppendUint32(b, uint32(ts.Unix()))
	b = o.AppendUint32(b, uint32(frac))
	b = o.AppendUint32(b, uint32(caplen))
	return o.AppendUint32(b, uint32(length))
}

// AppendPacket appends p's record header and data.
func (h PcapHeader) AppendPacket(b []byte, p Packet) []byte {
	return append(h.AppendRecordHeader(b, p.Time, len(p.Data), p.wireLen()), p.Data...)
}

// Pcap returns a classic pcap file holding pkts as given: a packet longer
// than the snap length stays so, as a reader must be able to refuse it.
func Pcap(h PcapHeader, pkts ...Packet) []byte {
	b := h.Append(nil)
	for _, p := range pkts {
		b = h.AppendPacket(b, p)
	}
	return b
}

// PcapWriter streams a little-endian microsecond pcap, for captures too
// big to hold.
type PcapWriter struct {
	w        io.Writer
	LinkType layers.LinkType
	Snaplen  uint32
	Clock    *Clock
	hdr      PcapHeader
	rec      []byte
	sb       gopacket.SerializeBuffer
}

// NewPcapWriter writes the file header; clock nil means NewClock().
func NewPcapWriter(w io.Writer, linkType layers.LinkType, snaplen uint32, clock *Clock) (*PcapWriter, error) {
	if clock == nil {
		clock = NewClock()
	}
	h := PcapHeader{LinkType: linkType, Snaplen: snaplen}
	if _, err := w.Write(h.Append(nil)); err != nil {
		return nil, err
	}
	return &PcapWriter{w: w, LinkType: linkType, Snaplen: snaplen, Clock: clock, hdr: h, sb: gopacket.NewSerializeBuffer()}, nil
}

// WritePacket writes p cut to the snap length; a zero Time takes a tick.
func (w *PcapWriter) WritePacket(p Packet) error {
	if p.Time.IsZero() {
		p.Time = w.Clock.Tick()
	}
	p.Length = p.wireLen()
	p.Data = p.Data[:min(len(p.Data), int(w.Snaplen))]
	w.rec = w.hdr.AppendPacket(w.rec[:0], p)
	_, err := w.w.Write(w.rec)
	return err
}

// WriteSegment frames and writes one segment.
func (w *PcapWriter) WriteSegment(s *Segment) error {
	ls, err := s.Layers(w.LinkType)
	if err != nil {
		return err
	}
	if err := gopacket.SerializeLayers(w.sb, gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}, ls...); err != nil {
		return err
	}
	return w.WritePacket(Packet{Time: s.Time, Data: w.sb.Bytes()})
}

// WriteConn writes every segment of c.
func (w *PcapWriter) WriteConn(c *Conn) error {
	for _, s := range c.Segs {
		if err := w.WriteSegment(s); err != nil {
			return err
		}
	}
	return nil
}

// pcapng block types.
const (
	ngSectionHeader               = 0x0a0d0d0a
	ngInterfaceDescription        = 1
	ngEnhancedPacket              = 6
	ngByteOrderMagic       uint32 = 0x1a2b3c4d
)

// NGWriter assembles a pcapng section block by block, by hand, in either
// byte order, so that blocks can be made wrong on purpose.
type NGWriter struct {
	bytes.Buffer
	BigEndian bool
}

func (w *NGWriter) order() binary.AppendByteOrder {
	if w.BigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// Block appends a block: type, total length, body (padded to 4), total
// length again.
func (w *NGWriter) Block(typ uint32, body []byte) {
	w.BlockLengths(typ, body, 0, 0)
}

// BlockLengths is Block with the leading and trailing total length fields
// overridden when non-zero.
func (w *NGWriter) BlockLengths(typ uint32, body []byte, lead, trail uint32) {
	padded := append(bytes.Clone(body), make([]byte, (4-len(body)%4)%4)...)
	total := uint32(12 + len(padded))
	if lead == 0 {
		lead = total
	}
	if trail == 0 {
		trail = total
	}
	o := w.order()
	w.Write(o.AppendUint32(nil, typ))
	w.Write(o.AppendUint32(nil, lead))
	w.Write(padded)
	w.Write(o.AppendUint32(nil, trail))
}

// SectionHeader appends a section header block (version 1.0, unknown
// section length, no options).
func (w *NGWriter) SectionHeader() {
	o := w.order()
	body := o.AppendUint32(nil, ngByteOrderMagic)
	body = o.AppendUint16(body, 1)
	body = o.AppendUint16(body, 0)
	body = o.AppendUint64(body, ^uint64(0))
	w.Block(ngSectionHeader, body)
}

// InterfaceDescription appends an interface description block (default
// microsecond resolution, no options); the first is interface 0.
func (w *NGWriter) InterfaceDescription(linkType layers.LinkType, snaplen uint32) {
	o := w.order()
	body := o.AppendUint16(nil, uint16(linkType))
	body = o.AppendUint16(body, 0)
	body = o.AppendUint32(body, snaplen)
	w.Block(ngInterfaceDescription, body)
}

// EPBBody returns the body of an enhanced packet block for p's interface;
// caplen overrides the captured length field when non-zero.
func (w *NGWriter) EPBBody(p Packet, caplen uint32) []byte {
	o := w.order()
	us := uint64(p.Time.UnixMicro())
	if caplen == 0 {
		caplen = uint32(len(p.Data))
	}
	body := o.AppendUint32(nil, uint32(p.Iface))
	body = o.AppendUint32(body, uint32(us>>32))
	body = o.AppendUint32(body, uint32(us))
	body = o.AppendUint32(body, caplen)
	body = o.AppendUint32(body, uint32(p.wireLen()))
	return append(body, p.Data...)
}

// EnhancedPacket appends an enhanced packet block.
func (w *NGWriter) EnhancedPacket(p Packet) { w.Block(ngEnhancedPacket, w.EPBBody(p, 0)) }

// Pcapng returns a pcapng file as the usual tools write one, through
// gopacket's pcapgo: section and interface options, nanosecond
// timestamps, interface i (named "if<i>") of link type links[i]. NGWriter
// is for the files no tool would write.
func Pcapng(t testing.TB, links []layers.LinkType, pkts ...Packet) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "if0", LinkType: links[0]}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range links[1:] {
		if _, err := w.AddInterface(pcapgo.NgInterface{Name: "if" + string(rune('1'+i)), LinkType: l}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range pkts {
		if err := w.WritePacket(p.CI(), p.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Gzip compresses b with compress/gzip, as gzip(1) would.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	// Writing to a bytes.Buffer cannot fail.
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// GzipStored wraps data in a gzip member made of stored (uncompressed)
// deflate blocks of at most block bytes, written by hand so the bytes never
// depend on a compressor's version. No name, no mtime.
func GzipStored(data []byte, block int) []byte {
	if block <= 0 || block > 65535 {
		block = 65535
	}
	out := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	rest := data
	for {
		n := min(block, len(rest))
		final := byte(0)
		if n == len(rest) {
			final = 1
		}
		out = append(out, final)
		out = binary.LittleEndian.AppendUint16(out, uint16(n))
		out = binary.LittleEndian.AppendUint16(out, ^uint16(n))
		out = append(out, rest[:n]...)
		rest = rest[n:]
		if final == 1 {
			break
		}
	}
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(data))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(data)))
	return out
}
