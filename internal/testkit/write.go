package craftlib

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
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

// Packet is one captured frame. Length is the original wire length (0 means
// len(Data)); a writer cuts Data to its snap length.
type Packet struct {
	Time   time.Time
	Data   []byte
	Length int
}

func (p Packet) wireLen() int {
	if p.Length > 0 {
		return p.Length
	}
	return len(p.Data)
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

// Pcap returns the capture as a classic little-endian microsecond pcap.
func (c *Capture) Pcap() ([]byte, error) {
	var b bytes.Buffer
	w, err := NewPcapWriter(&b, c.LinkType, c.Snaplen, c.Clock)
	if err != nil {
		return nil, err
	}
	for _, p := range c.Packets {
		if err := w.WritePacket(p); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}

// PcapBigEndian returns the capture as a classic pcap written in big-endian
// byte order (magic a1 b2 c3 d4 on disk), as a big-endian host writes it.
func (c *Capture) PcapBigEndian() []byte {
	var b bytes.Buffer
	be := binary.BigEndian
	hdr := make([]byte, 24)
	be.PutUint32(hdr[0:], 0xa1b2c3d4)
	be.PutUint16(hdr[4:], 2)
	be.PutUint16(hdr[6:], 4)
	be.PutUint32(hdr[16:], c.Snaplen)
	be.PutUint32(hdr[20:], uint32(c.LinkType))
	b.Write(hdr)
	for _, p := range c.Packets {
		data := p.Data[:min(len(p.Data), int(c.Snaplen))]
		var rh [16]byte
		be.PutUint32(rh[0:], uint32(p.Time.Unix()))
		be.PutUint32(rh[4:], uint32(p.Time.Nanosecond()/1000))
		be.PutUint32(rh[8:], uint32(len(data)))
		be.PutUint32(rh[12:], uint32(p.wireLen()))
		b.Write(rh[:])
		b.Write(data)
	}
	return b.Bytes()
}

// PcapWriter streams a little-endian pcap (for captures too big to hold).
type PcapWriter struct {
	w        *pcapgo.Writer
	LinkType layers.LinkType
	Snaplen  uint32
	Clock    *Clock
	sb       gopacket.SerializeBuffer
}

// NewPcapWriter writes the file header; clock nil means NewClock().
func NewPcapWriter(w io.Writer, linkType layers.LinkType, snaplen uint32, clock *Clock) (*PcapWriter, error) {
	if clock == nil {
		clock = NewClock()
	}
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(snaplen, linkType); err != nil {
		return nil, err
	}
	return &PcapWriter{w: pw, LinkType: linkType, Snaplen: snaplen, Clock: clock, sb: gopacket.NewSerializeBuffer()}, nil
}

// WritePacket writes p cut to the snap length; a zero Time takes a tick.
func (w *PcapWriter) WritePacket(p Packet) error {
	if p.Time.IsZero() {
		p.Time = w.Clock.Tick()
	}
	data := p.Data[:min(len(p.Data), int(w.Snaplen))]
	return w.w.WritePacket(gopacket.CaptureInfo{
		Timestamp: p.Time, CaptureLength: len(data), Length: p.wireLen(),
	}, data)
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

// NGWriter assembles a pcapng file block by block, by hand, so that blocks
// can be made wrong on purpose.
type NGWriter struct{ bytes.Buffer }

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
	le := binary.LittleEndian
	w.Write(le.AppendUint32(nil, typ))
	w.Write(le.AppendUint32(nil, lead))
	w.Write(padded)
	w.Write(le.AppendUint32(nil, trail))
}

// SectionHeader appends a little-endian section header block (version 1.0,
// unknown section length, no options).
func (w *NGWriter) SectionHeader() {
	body := binary.LittleEndian.AppendUint32(nil, 0x1a2b3c4d)
	body = binary.LittleEndian.AppendUint16(body, 1)
	body = binary.LittleEndian.AppendUint16(body, 0)
	body = binary.LittleEndian.AppendUint64(body, ^uint64(0))
	w.Block(0x0a0d0d0a, body)
}

// InterfaceDescription appends an interface description block (default
// microsecond resolution, no options).
func (w *NGWriter) InterfaceDescription(linkType layers.LinkType, snaplen uint32) {
	body := binary.LittleEndian.AppendUint16(nil, uint16(linkType))
	body = binary.LittleEndian.AppendUint16(body, 0)
	body = binary.LittleEndian.AppendUint32(body, snaplen)
	w.Block(1, body)
}

// EPBBody returns the body of an enhanced packet block for interface 0;
// caplen overrides the captured length field when non-zero.
func EPBBody(p Packet, caplen uint32) []byte {
	le := binary.LittleEndian
	us := uint64(p.Time.UnixMicro())
	if caplen == 0 {
		caplen = uint32(len(p.Data))
	}
	body := le.AppendUint32(nil, 0)
	body = le.AppendUint32(body, uint32(us>>32))
	body = le.AppendUint32(body, uint32(us))
	body = le.AppendUint32(body, caplen)
	body = le.AppendUint32(body, uint32(p.wireLen()))
	return append(body, p.Data...)
}

// EnhancedPacket appends an enhanced packet block.
func (w *NGWriter) EnhancedPacket(p Packet) { w.Block(6, EPBBody(p, 0)) }

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
