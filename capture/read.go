package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Reading pcap and pcapng records (gzip-compressed or not) from one file.

// source is one open input file.
type source struct {
	name string
	file *os.File // nil for standard input
	zr   *gzip.Reader
	r    *bufio.Reader // the capture stream, after decompression
	pr   *pcapgo.Reader
	ngr  *pcapgo.NgReader
	done bool

	// Classic pcap: the pcap header, parsed here so that each record header
	// can be checked, and the record read in place (nextPcap), without
	// pcapgo, which reads only records longer than the buffer.
	big    bool // also the byte order of the current pcapng section
	link   layers.LinkType
	maxCap uint32
	// nanoFactor turns a record's sub-second field into nanoseconds.
	nanoFactor uint32

	// ngSync is whether big is known to be the byte order of the pcapng
	// section at the read position, which the look-ahead needs.
	ngSync   bool
	ngIfaces []ngIface // see ngInterface

	packets uint64 // records returned so far: the number of the last one

	ahead struct { // the record read ahead while ordering (standard input)
		valid bool
		data  []byte
		ci    gopacket.CaptureInfo
		link  layers.LinkType
		err   error
	}
}

// openFile opens a capture file; secrets, if not nil, receives its pcapng
// decryption secrets (see Options.Secrets).
func openFile(name string, bufs *buffers, secrets func(uint32, []byte)) (*source, error) {
	file, err := os.Open(name)
	if err != nil {
		return nil, &FileError{File: name, Err: osError(err)}
	}
	s, err := openSource(name, file, file, bufs, secrets)
	if err != nil {
		file.Close()
		return nil, err
	}
	return s, nil
}

// openSource detects the format by content: gzip is unwrapped here rather
// than by pcapgo so that the magic underneath is checked like any other, the
// decompressed stream gets the large buffer, and a gzip stream that stops at
// a record boundary is still reported (pcapgo's pcapng reader would take
// that for a clean end of file). secrets, if not nil, receives the pcapng
// decryption secrets through a secretsTap under the buffer of the capture
// stream.
func openSource(name string, r io.Reader, file *os.File, bufs *buffers, secrets func(uint32, []byte)) (*source, error) {
	s := &source{name: name}
	fail := func(err error) (*source, error) {
		return nil, &FileError{File: name, Err: err}
	}
	var tap *secretsTap
	if secrets != nil {
		tap = &secretsTap{r: r, fn: secrets}
		r = tap
	}
	raw := reader(&bufs.raw, r, bufs.size)
	s.r = raw
	magic, err := raw.Peek(4)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(raw)
		if err != nil {
			return fail(streamError(err, errGzipTruncated))
		}
		s.zr = zr
		var zs io.Reader = gzipStream{zr}
		if tap != nil {
			tap.stop = true // the blocks are in the decompressed stream
			zs = &secretsTap{r: zs, fn: secrets}
		}
		dec := reader(&bufs.dec, zs, bufs.size)
		s.r = dec
		magic, err = dec.Peek(4)
		if len(magic) < 4 && err != nil && err != io.EOF {
			return fail(streamError(err, errGzipTruncated))
		}
	} else if len(magic) < 4 && err != nil && err != io.EOF {
		return fail(osError(err))
	}
	if len(magic) == 0 {
		return fail(errEmpty)
	}
	if len(magic) < 4 {
		return fail(ErrNotCapture)
	}
	switch binary.LittleEndian.Uint32(magic) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		err = s.openPcap(false)
	case 0xd4c3b2a1, 0x4d3cb2a1:
		err = s.openPcap(true)
	case 0x0a0d0d0a:
		err = s.openPcapng()
	case 0xa1b2cd34, 0x34cdb2a1:
		err = errors.New("unsupported pcap variant (Kuznetsov's modified format)")
	default:
		err = ErrNotCapture
	}
	if err != nil {
		s.close()
		return fail(err)
	}
	s.file = file // closed by the caller until now
	return s, nil
}

func (s *source) openPcap(big bool) error {
	h, err := s.r.Peek(24)
	if len(h) < 24 {
		return streamError(err, errHeaderTruncated)
	}
	s.big = big
	// The microsecond or nanosecond magic, in either byte order (pcapgo
	// reads it the same way).
	s.nanoFactor = 1000
	if m := binary.LittleEndian.Uint32(h); m == 0xa1b23c4d || m == 0x4d3cb2a1 {
		s.nanoFactor = 1
	}
	if major, minor := s.u16(h[4:]), s.u16(h[6:]); major != 2 || minor != 4 {
		return fmt.Errorf("unsupported pcap version %d.%d", major, minor)
	}
	// The conversion to 16 bits drops the FCS flags that the upper bits of
	// the field may carry.
	s.link = layers.LinkType(s.u32(h[20:]))
	if !supportedLink(s.link) {
		return unsupportedLink(s.link)
	}
	s.maxCap = s.u32(h[16:])
	if s.maxCap == 0 || s.maxCap > maxRecord {
		s.maxCap = maxRecord
	}
	// pcapgo reads straight from s.r (see readBufferSize), so the next
	// record header can be peeked at there before pcapgo reads it.
	if s.pr, err = pcapgo.NewReader(s.r); err != nil {
		return readerError(err, errHeaderTruncated)
	}
	return nil
}

func (s *source) openPcapng() error {
	h, err := s.r.Peek(12)
	if len(h) < 12 {
		return streamError(err, errHeaderTruncated)
	}
	switch binary.LittleEndian.Uint32(h[8:]) {
	case ngByteOrderMagic:
		s.big, s.ngSync = false, true
	case ngByteOrderMagicSwapped:
		s.big, s.ngSync = true, true
	}
	// The link type is per interface, so mixed link types must be accepted
	// (and each packet decoded by its interface's type) rather than dropped.
	s.ngr, err = pcapgo.NewNgReader(s.r, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return readerError(err, errHeaderTruncated)
	}
	return nil
}

func (s *source) close() error {
	s.done = true
	if s.zr != nil {
		s.zr.Close()
		s.zr = nil
	}
	if s.file != nil {
		err := s.file.Close()
		s.file = nil
		return err
	}
	return nil
}

// readAhead reads the first record now and keeps it for the first next.
func (s *source) readAhead() {
	a := &s.ahead
	// The record may lie in the read buffer (nextPcap): it stays valid
	// because standard input has buffers of its own and nothing reads it
	// before next returns the record.
	a.data, a.ci, a.link, a.err = s.next()
	a.valid = true
}

// next returns the next record, io.EOF at the end of the file, or a
// *FileError, after which the file is done.
func (s *source) next() ([]byte, gopacket.CaptureInfo, layers.LinkType, error) {
	if s.ahead.valid {
		a := &s.ahead
		a.valid = false
		return a.data, a.ci, a.link, a.err
	}
	if s.done {
		return nil, gopacket.CaptureInfo{}, 0, io.EOF
	}
	var (
		data []byte
		ci   gopacket.CaptureInfo
		link layers.LinkType
		err  error
	)
	if s.pr != nil {
		data, ci, err = s.nextPcap()
		link = s.link
	} else {
		data, ci, link, err = s.nextPcapng()
	}
	if err != nil {
		s.done = true
		if err != io.EOF {
			err = &FileError{File: s.name, Packet: s.packets + 1, Err: err}
		}
		return nil, ci, 0, err
	}
	s.packets++
	return data, ci, link, nil
}

func (s *source) nextPcap() ([]byte, gopacket.CaptureInfo, error) {
	var ci gopacket.CaptureInfo
	h, err := s.r.Peek(16)
	if len(h) < 16 {
		if len(h) == 0 && err == io.EOF {
			return nil, ci, io.EOF
		}
		return nil, ci, streamError(err, ErrTruncated)
	}
	caplen, origlen := s.u32(h[8:]), s.u32(h[12:])
	if caplen > s.maxCap {
		return nil, ci, recordTooLong(caplen, s.maxCap)
	}
	if caplen > origlen {
		return nil, ci, fmt.Errorf("record length %d exceeds the original packet length %d", caplen, origlen)
	}
	if n := 16 + int(caplen); n <= s.r.Size() {
		// The record is read in place from the buffer, without pcapgo's
		// two copies (header and data into its own buffers): the data
		// stays valid until the next read, as pcapgo's does, which is the
		// Segment's contract. TestPcapRecordsAsPcapgo holds the result
		// to pcapgo's on every committed capture.
		rec, err := s.r.Peek(n)
		if len(rec) < n {
			return nil, ci, streamError(err, ErrTruncated)
		}
		// (h is stale now: this Peek may have moved the buffered bytes.)
		ci.Timestamp = time.Unix(int64(s.u32(rec[0:])), int64(s.u32(rec[4:])*s.nanoFactor)).UTC()
		ci.CaptureLength, ci.Length = int(caplen), int(origlen)
		s.r.Discard(n) // cannot fail: n bytes were peeked
		return rec[16:], ci, nil
	}
	data, ci, err := s.pr.ZeroCopyReadPacketData()
	if err != nil {
		return nil, ci, readerError(err, ErrTruncated)
	}
	return data, ci, nil
}

func (s *source) nextPcapng() ([]byte, gopacket.CaptureInfo, layers.LinkType, error) {
	var ci gopacket.CaptureInfo
	if err := s.ngLookAhead(); err != nil {
		return nil, ci, 0, err
	}
	data, ci, err := s.ngr.ZeroCopyReadPacketData()
	if err != nil {
		if err == io.EOF {
			return nil, ci, 0, io.EOF
		}
		return nil, ci, 0, readerError(err, errBlockTruncated)
	}
	iface, err := s.ngInterface(ci.InterfaceIndex)
	if err != nil {
		return nil, ci, 0, readerError(err, errBlockTruncated)
	}
	if iface.snaplen != 0 && uint64(ci.CaptureLength) > uint64(iface.snaplen) {
		return nil, ci, 0, recordTooLong(uint32(ci.CaptureLength), iface.snaplen)
	}
	if ci.CaptureLength > maxRecord {
		return nil, ci, 0, recordTooLong(uint32(ci.CaptureLength), maxRecord)
	}
	if !supportedLink(iface.link) {
		return nil, ci, 0, unsupportedLink(iface.link)
	}
	return data, ci, iface.link, nil
}

type ngIface struct {
	link    layers.LinkType
	snaplen uint32
}

// ngInterface returns what a packet needs of its interface. NgReader's
// Interface copies a struct of some 300 bytes, so the interfaces are cached;
// the look-ahead drops the cache when it passes an interface or section
// header, and without it in sync such a block may pass unseen, so the cache
// is then not used.
func (s *source) ngInterface(i int) (ngIface, error) {
	if !s.ngSync {
		iface, err := s.ngr.Interface(i)
		return ngIface{iface.LinkType, iface.SnapLength}, err
	}
	if i >= len(s.ngIfaces) {
		s.ngIfaces = s.ngIfaces[:0]
		for j := range s.ngr.NInterfaces() {
			iface, _ := s.ngr.Interface(j)
			s.ngIfaces = append(s.ngIfaces, ngIface{iface.LinkType, iface.SnapLength})
		}
		if i >= len(s.ngIfaces) || i < 0 {
			// pcapgo checked the index against the section's interfaces.
			_, err := s.ngr.Interface(i)
			return ngIface{}, err
		}
	}
	return s.ngIfaces[i], nil
}

const (
	ngByteOrderMagic        = 0x1a2b3c4d
	ngByteOrderMagicSwapped = 0x4d3c2b1a
	ngSectionHeader         = 0x0a0d0d0a
	ngInterfaceDescription  = 1
	ngPacketBlock           = 2
	ngSimplePacket          = 3
	ngEnhancedPacket        = 6
	ngDecryptionSecrets     = 0x0a
	ngSystemdJournal        = 0x09
	ngCustomCopy            = 0x00000bad
	ngCustomNoCopy          = 0x40000bad
	ngPacketHeaderSize      = 28 // through the original length of an EPB or PB
)

// ngLookAhead walks, without consuming, the blocks that NgReader is about to
// read up to the next packet block. It refuses an absurd capture length
// before NgReader allocates and reads that many bytes (pcapgo bounds the
// allocation only by what the file holds), and it checks what NgReader does
// not: that a block's trailing length matches its leading one, as Wireshark
// does. Blocks that Wireshark shows as frames of their own take packet
// numbers here too, so that Packet stays tshark's frame number.
//
// Tracking every section header on the way keeps the byte order right; when
// a block does not fit in the buffer the order is no longer known and the
// checks are off for the rest of the file (pcapgo's own bounds still apply).
func (s *source) ngLookAhead() error {
	if !s.ngSync {
		return nil
	}
	size := s.r.Size()
	off := 0
	for {
		if off+12 > size {
			s.ngSync = false
			return nil
		}
		h, _ := s.r.Peek(off + 12)
		if len(h) < off+12 {
			return nil // the end of the data: NgReader reports it
		}
		b := h[off:]
		if binary.LittleEndian.Uint32(b) == ngSectionHeader {
			switch binary.LittleEndian.Uint32(b[8:]) {
			case ngByteOrderMagic:
				s.big = false
			case ngByteOrderMagicSwapped:
				s.big = true
			default:
				return nil // NgReader rejects it
			}
		}
		typ, blen := s.u32(b), s.u32(b[4:])
		if blen < 12 || blen%4 != 0 {
			return fmt.Errorf("malformed pcapng block (type %#x, length %d)", typ, blen)
		}
		end := uint64(off) + uint64(blen)
		if end > uint64(size) {
			s.ngSync = false // cannot see past it, nor check its trailer
			return nil
		}
		h, _ = s.r.Peek(int(end))
		whole := uint64(len(h)) == end // else the data ends inside the block
		if whole {
			if trailer := s.u32(h[end-4:]); trailer != blen {
				return fmt.Errorf("malformed pcapng block (type %#x, length %d, trailing length %d)", typ, blen, trailer)
			}
		}
		b = h[off:]
		switch typ {
		case ngEnhancedPacket, ngPacketBlock:
			if blen < ngPacketHeaderSize+4 {
				return fmt.Errorf("malformed pcapng packet block (length %d)", blen)
			}
			if len(b) < ngPacketHeaderSize {
				return nil
			}
			caplen := s.u32(b[20:])
			if caplen > maxRecord {
				return recordTooLong(caplen, maxRecord)
			}
			if caplen > blen-ngPacketHeaderSize-4 {
				return fmt.Errorf("malformed pcapng packet block (length %d, record length %d)", blen, caplen)
			}
			return nil
		case ngSimplePacket:
			// Its record length depends on the first interface's snaplen;
			// it is checked after the read.
			return nil
		case ngDecryptionSecrets:
			// The secrets go to Options.Secrets through the secretsTap, not
			// from here: the look-ahead may not see the whole block, or any
			// block once it is out of sync.
			if blen < 20 {
				return fmt.Errorf("malformed pcapng block (type %#x, length %d)", typ, blen)
			}
			if len(b) >= 16 {
				if n := s.u32(b[12:]); n > blen-20 {
					return fmt.Errorf("malformed pcapng decryption secrets block (length %d, secrets length %d)", blen, n)
				}
			}
		case ngSectionHeader, ngInterfaceDescription:
			s.ngIfaces = s.ngIfaces[:0]
		case ngSystemdJournal, ngCustomCopy, ngCustomNoCopy:
			s.packets++
		}
		if !whole {
			return nil
		}
		off = int(end)
	}
}

// secretsTap passes a capture stream through to its read buffer and follows
// the pcapng blocks in it on the way, handing each Decryption Secrets Block's
// secrets to fn as soon as they have gone by. Sitting under the buffer rather
// than in ngLookAhead, it sees every byte exactly once and in order, whatever
// the size of a block, whether the look-ahead is in sync, and however often
// the look-ahead walks the same blocks: so no secrets block is reported
// twice or missed. As the buffer reads ahead of the packets, a block is
// reported before the packets after it are returned, and possibly before
// some of those before it.
//
// It gives up, reporting nothing more from the stream, where the blocks can
// no longer be followed: a stream that does not start with a section header
// (classic pcap, gzip underneath), a section header of unknown byte order or
// a block length that is not a multiple of 4 of at least 12; pcapgo or the
// look-ahead refuses the file there. A secrets block whose secrets length
// exceeds the block is malformed and not reported; when the look-ahead sees
// it, it ends the file.
type secretsTap struct {
	r    io.Reader
	fn   func(secretsType uint32, data []byte)
	stop bool

	started bool // past the first block header
	big     bool // byte order of the current section
	hdr     [16]byte
	nh      int    // bytes of hdr read of the block at the stream position
	need    int    // bytes of hdr to read: 8, 12 for a section header, 16 for a secrets block
	want    uint32 // secrets bytes still to collect (from the block at hand)
	typ     uint32 // their Secrets Type
	rest    uint64 // bytes of the block to pass over after the secrets
	skip    uint64 // bytes of the block left to pass over
	buf     []byte // the secrets read so far, when they span reads
}

func (t *secretsTap) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if !t.stop {
		t.scan(p[:n])
	}
	return n, err
}

func (t *secretsTap) scan(p []byte) {
	for len(p) > 0 && !t.stop {
		switch {
		case t.skip > 0:
			n := min(uint64(len(p)), t.skip)
			p, t.skip = p[n:], t.skip-n
		case t.want > 0:
			if len(t.buf) == 0 && uint64(len(p)) >= uint64(t.want) {
				// The common case: the secrets are in this read; they
				// go to fn from the read buffer, without a copy.
				data := p[:t.want]
				p = p[t.want:]
				t.report(data)
				continue
			}
			n := min(uint32(len(p)), t.want)
			// append grows the buffer as the bytes arrive: a forged
			// secrets length allocates no more than the file holds.
			t.buf = append(t.buf, p[:n]...)
			p, t.want = p[n:], t.want-n
			if t.want == 0 {
				t.report(t.buf)
				if cap(t.buf) > 64<<10 {
					t.buf = nil
				} else {
					t.buf = t.buf[:0]
				}
			}
		default:
			if t.need == 0 {
				t.need = 8
			}
			n := copy(t.hdr[t.nh:t.need], p)
			p, t.nh = p[n:], t.nh+n
			if t.nh == t.need {
				t.header()
			}
		}
	}
}

// header acts on the first need bytes of a block, asking for more if the
// block type needs them.
func (t *secretsTap) header() {
	typ := binary.LittleEndian.Uint32(t.hdr[:]) // a section header reads the same both ways
	if !t.started && typ != ngSectionHeader {
		t.stop = true
		return
	}
	t.started = true
	if typ == ngSectionHeader && t.need == 8 {
		t.need = 12
		return
	}
	if typ == ngSectionHeader {
		switch binary.LittleEndian.Uint32(t.hdr[8:]) {
		case ngByteOrderMagic:
			t.big = false
		case ngByteOrderMagicSwapped:
			t.big = true
		default:
			t.stop = true
			return
		}
	}
	blen := t.u32(t.hdr[4:])
	if blen < 12 || blen%4 != 0 {
		t.stop = true
		return
	}
	if t.u32(t.hdr[:]) == ngDecryptionSecrets && blen >= 20 {
		if t.need == 8 {
			t.need = 16
			return
		}
		if n := t.u32(t.hdr[12:]); n <= blen-20 {
			t.typ, t.want = t.u32(t.hdr[8:]), n
			t.rest = uint64(blen) - 16 - uint64(n)
			t.nh, t.need = 0, 0
			if n == 0 {
				t.report(nil)
			}
			return
		}
	}
	t.skip = uint64(blen) - uint64(t.need)
	t.nh, t.need = 0, 0
}

func (t *secretsTap) report(data []byte) {
	t.want, t.skip = 0, t.rest
	t.fn(t.typ, data)
}

func (t *secretsTap) u32(b []byte) uint32 {
	if t.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (s *source) u16(b []byte) uint16 {
	if s.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (s *source) u32(b []byte) uint32 {
	if s.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}
