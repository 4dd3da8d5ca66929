package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/tlsscan/tlsscan/capture/filter"
)

// Segment is one TCP segment decoded from a capture. It and TCP.Payload are
// valid only until the next call to Next (buffers are reused: zero-copy).
type Segment struct {
	CI   gopacket.CaptureInfo // Timestamp, CaptureLength, Length
	Net  gopacket.Flow        // network-layer src->dst (IPv4 or IPv6 endpoints, as layers.IPv4.NetworkFlow() gives)
	TCP  layers.TCP           // decoded header; TCP.Payload aliases the packet buffer
	File string               // the name as given on the command line ("-" for stdin)
	// Packet is the 1-based packet number within File (tshark's frame
	// number): every packet record counts, TCP or not.
	Packet uint64
	// Cut means TCP.Payload is shorter than the segment that was sent: the
	// snaplen cut the packet (CaptureLength < Length) inside the IP datagram,
	// the IP header claims more bytes than the record holds, or the packet is
	// the first fragment of a fragmented datagram. A snaplen cut that only
	// removed link-layer padding or trailers does not set it.
	Cut bool
}

// Options tunes OpenFiles.
type Options struct {
	// Filter keeps only the packets a tcpdump expression matches (-f),
	// as tcpdump does when reading a file; nil keeps everything.
	Filter *filter.Filter
}

// Stats are the front end's counters.
type Stats struct {
	Files        int    // input files whose capture header was read
	Packets      uint64 // every packet record read
	Bytes        uint64 // sum of captured lengths
	NonTCP       uint64 // not TCP over IPv4/IPv6 (ARP, UDP, ICMP, IP fragments after the first, ...)
	DecodeErrors uint64 // headers that could not be decoded (truncated/garbage IP or TCP header)
	Filtered     uint64 // packets the -f filter left out
}

// FileError is a problem with one input file. Next returns it, then moves on
// to the next file: everything read before it stays valid.
type FileError struct {
	File   string
	Packet uint64 // packet number at which it happened, 0 if at open / file header
	Err    error
}

func (e *FileError) Error() string {
	if e.Packet == 0 {
		return e.File + ": " + e.Err.Error()
	}
	return fmt.Sprintf("%s: packet %d: %v", e.File, e.Packet, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Errors a FileError may wrap, for errors.Is.
var (
	ErrNotCapture = errors.New("not a pcap or pcapng file")
	// ErrTruncated matches every "the file ends early" error: mid-record,
	// mid-header, or a compressed stream that stops short.
	ErrTruncated = errors.New("truncated packet record (file ends mid-packet)")
)

// Both buffer sizes must stay at least 4 KiB: pcapgo's readers call
// bufio.NewReader on what they are given, which returns a *bufio.Reader that
// large unchanged, so they read from our buffer and the record and block
// headers they are about to read can be peeked at first.
const (
	// readBufferSize is big enough that the file is read in few system
	// calls and the pcapng look-ahead almost always sees the next packet.
	readBufferSize = 1 << 20
	// probeBufferSize only has to reach the first packet of each file.
	probeBufferSize = 64 << 10
	// maxRecord is libpcap's MAXIMUM_SNAPLEN: no capture tool writes longer
	// records, so a longer length means a damaged or hostile file.
	maxRecord = 262144
	// maxTags and maxExtHeaders bound the header loops against crafted
	// packets; real traffic has at most two VLAN tags and a few extensions.
	maxTags       = 8
	maxExtHeaders = 16
)

// decoder turns a link-layer packet into the Segment it owns; files and
// live capture share it.
type decoder struct {
	seg    Segment
	filter *filter.Filter
	fpkt   filter.Packet
}

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

// Files reads several capture files as one capture. It is not safe for
// concurrent use.
type Files struct {
	inputs  []input
	stdin   io.Reader
	ordered bool
	pos     int // next index in inputs
	cur     *source
	closed  bool
	stats   Stats
	decoder

	// Buffers are reused from file to file: only standard input, which may
	// be opened while other files are probed, gets its own.
	bufs  buffers
	probe buffers
}

// buffers are the read buffers of one open file: raw over the file, dec over
// the decompressed stream, allocated when first needed.
type buffers struct {
	size     int
	raw, dec *bufio.Reader
}

func reader(b **bufio.Reader, r io.Reader, size int) *bufio.Reader {
	if *b == nil {
		*b = bufio.NewReaderSize(r, size)
	} else {
		(*b).Reset(r)
	}
	return *b
}

type input struct {
	name string
	// Standard input is opened when the files are ordered and kept open with
	// its first record read ahead, since it cannot be read twice.
	src     *source
	openErr error
	first   time.Time
	hasTime bool
}

// OpenFiles prepares to read names as ONE capture ("-" = standard input, at
// most once; a usage error otherwise). It does not fail on unreadable files:
// their errors come from Next in order.
//
// The files are read in the order of the timestamps of their first packets,
// not in command-line order: rotated captures (tcpdump -C/-G) given by a shell
// glob sort as x, x1, x10, x2, and a TLS connection spanning files must be
// seen in order. Files that have no readable first packet (empty, damaged,
// not a capture) keep their command-line position, and files with equal
// first timestamps keep their command-line order. Ordering opens each file
// briefly when Next is first called; with a single input nothing is probed.
func OpenFiles(names []string, stdin io.Reader, opts Options) (*Files, error) {
	if len(names) == 0 {
		return nil, errors.New("capture: no input files")
	}
	f := &Files{
		stdin:  stdin,
		inputs: make([]input, 0, len(names)),
		bufs:   buffers{size: readBufferSize},
		probe:  buffers{size: probeBufferSize},
	}
	f.filter = opts.Filter
	sawStdin := false
	for _, name := range names {
		if name == "-" {
			if sawStdin {
				return nil, errors.New(`capture: standard input ("-") given more than once`)
			}
			if stdin == nil {
				return nil, errors.New(`capture: standard input ("-") given but not available`)
			}
			sawStdin = true
		}
		f.inputs = append(f.inputs, input{name: name})
	}
	return f, nil
}

var errClosed = errors.New("capture: Next called after Close")

// Next returns the next TCP segment, io.EOF after the last file, or a
// *FileError (after which calling Next continues with the next file).
func (f *Files) Next() (*Segment, error) {
	if f.closed {
		return nil, errClosed
	}
	if !f.ordered {
		f.ordered = true
		f.order()
	}
	for {
		if f.cur == nil {
			if f.pos >= len(f.inputs) {
				return nil, io.EOF
			}
			in := &f.inputs[f.pos]
			f.pos++
			src, err := f.openInput(in)
			if err != nil {
				return nil, err
			}
			f.stats.Files++
			f.cur = src
		}
		data, ci, link, err := f.cur.next()
		if err != nil {
			f.cur.close()
			f.cur = nil
			if err == io.EOF {
				continue
			}
			return nil, err
		}
		f.stats.Packets++
		f.stats.Bytes += uint64(ci.CaptureLength)
		if f.filter != nil {
			if m, handled := f.filter.MatchRaw(data, link); handled && !m {
				f.stats.Filtered++
				continue
			}
		}
		v := f.decode(link, data, ci.CaptureLength < ci.Length)
		if v == isTCP && !f.matches() {
			f.stats.Filtered++
			continue
		}
		switch v {
		case isTCP:
			f.seg.CI = ci
			// pcapgo's AncillaryData aliases its reader state; nothing here
			// needs it and it would outlive the packet.
			f.seg.CI.AncillaryData = nil
			f.seg.File = f.cur.name
			f.seg.Packet = f.cur.packets
			return &f.seg, nil
		case notTCP:
			f.stats.NonTCP++
		default:
			f.stats.DecodeErrors++
		}
	}
}

// Stats returns the counters so far.
func (f *Files) Stats() Stats { return f.stats }

// Close closes the file being read. Standard input is left open: it is not
// ours.
func (f *Files) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	var err error
	if f.cur != nil {
		err = f.cur.close()
		f.cur = nil
	}
	for i := f.pos; i < len(f.inputs); i++ {
		if s := f.inputs[i].src; s != nil {
			s.close()
		}
	}
	return err
}

// order sorts the inputs by first timestamp; see OpenFiles.
func (f *Files) order() {
	if len(f.inputs) < 2 {
		return
	}
	var timed []int
	for i := range f.inputs {
		in := &f.inputs[i]
		if in.name == "-" {
			src, err := openSource("-", f.stdin, nil, &buffers{size: readBufferSize})
			if err != nil {
				in.openErr = err
				continue
			}
			in.src = src
			src.readAhead()
			in.first, in.hasTime = src.ahead.ci.Timestamp, src.ahead.err == nil
		} else {
			in.first, in.hasTime = f.firstTimestamp(in.name)
		}
		if in.hasTime {
			timed = append(timed, i)
		}
	}
	sorted := make([]input, len(timed))
	for k, i := range timed {
		sorted[k] = f.inputs[i]
	}
	slices.SortStableFunc(sorted, func(a, b input) int { return a.first.Compare(b.first) })
	for k, i := range timed {
		f.inputs[i] = sorted[k]
	}
	f.probe = buffers{}
}

func (f *Files) firstTimestamp(name string) (time.Time, bool) {
	src, err := openFile(name, &f.probe)
	if err != nil {
		return time.Time{}, false
	}
	defer src.close()
	_, ci, _, err := src.next()
	return ci.Timestamp, err == nil
}

func (f *Files) openInput(in *input) (*source, error) {
	if in.openErr != nil {
		return nil, in.openErr
	}
	if src := in.src; src != nil {
		in.src = nil
		return src, nil
	}
	if in.name == "-" {
		return openSource("-", f.stdin, nil, &f.bufs)
	}
	return openFile(in.name, &f.bufs)
}

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
	// can be checked before pcapgo allocates and reads the record.
	big    bool // also the byte order of the current pcapng section
	link   layers.LinkType
	maxCap uint32

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

func openFile(name string, bufs *buffers) (*source, error) {
	file, err := os.Open(name)
	if err != nil {
		return nil, &FileError{File: name, Err: osError(err)}
	}
	s, err := openSource(name, file, file, bufs)
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
// that for a clean end of file).
func openSource(name string, r io.Reader, file *os.File, bufs *buffers) (*source, error) {
	s := &source{name: name}
	fail := func(err error) (*source, error) {
		return nil, &FileError{File: name, Err: err}
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
		dec := reader(&bufs.dec, gzipStream{zr}, bufs.size)
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
			// NgReader reads the secrets whole, by their own length.
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

// Errors.

// truncatedError is a "file ends early" error more specific than
// ErrTruncated, which it matches.
type truncatedError string

func (e truncatedError) Error() string        { return string(e) }
func (e truncatedError) Is(target error) bool { return target == ErrTruncated }

var (
	errEmpty           = fmt.Errorf("empty file: %w", ErrNotCapture)
	errHeaderTruncated = truncatedError("truncated file header")
	errBlockTruncated  = truncatedError("truncated pcapng block (file ends mid-block)")
	errGzipTruncated   = truncatedError("truncated gzip stream (file ends early)")
)

// gzipStream makes a truncated gzip stream distinct from the io.ErrUnexpectedEOF
// of a truncated record: NgReader turns the latter into a clean end of file
// when it comes at a block boundary.
type gzipStream struct{ z *gzip.Reader }

func (g gzipStream) Read(p []byte) (int, error) {
	n, err := g.z.Read(p)
	if err == io.ErrUnexpectedEOF {
		err = errGzipTruncated
	}
	return n, err
}

// streamError reports a short read: io.EOF and io.ErrUnexpectedEOF become
// trunc, anything else (an I/O or gzip error) is kept.
func streamError(err, trunc error) error {
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		return trunc
	}
	return osError(err)
}

// readerError words an error from pcapgo like ours: lower case, and the end
// of the data as a truncation.
func readerError(err, trunc error) error {
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return trunc
	case errors.Is(err, ErrTruncated):
		return err
	case err == pcapgo.ErrNgVersionMismatch:
		return fmt.Errorf("unsupported pcapng version: %w", err)
	}
	return lowerError{osError(err)}
}

type lowerError struct{ err error }

func (e lowerError) Error() string {
	msg := e.err.Error()
	if len(msg) > 1 && msg[0] >= 'A' && msg[0] <= 'Z' && msg[1] >= 'a' && msg[1] <= 'z' {
		return string(msg[0]+'a'-'A') + msg[1:]
	}
	return msg
}

func (e lowerError) Unwrap() error { return e.err }

// osError drops the path from an *fs.PathError: FileError names the file.
func osError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func recordTooLong(caplen, limit uint32) error {
	if limit == maxRecord {
		return fmt.Errorf("record length %d exceeds the %d-byte limit", caplen, limit)
	}
	return fmt.Errorf("record length %d exceeds the snaplen %d", caplen, limit)
}

func unsupportedLink(lt layers.LinkType) error {
	if name := lt.String(); name != "UnknownLinkType" {
		return fmt.Errorf("unsupported link type %d (%s)", uint16(lt), name)
	}
	return fmt.Errorf("unsupported link type %d", uint16(lt))
}

// Decoding. The few headers are decoded by hand rather than with a
// gopacket.DecodingLayerParser: the parser has no layer for LOOP/NULL in
// either byte order, does not skip IPv6 extension headers into TCP, would
// decode later IP fragments as TCP, and reports problems as allocated errors
// where a verdict is all that is needed. Only the TCP header is decoded by
// gopacket, into the reused Segment.TCP, whose option slice keeps its
// capacity across packets.

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
	// The checks TCP.DecodeFromBytes would fail on, made here because its
	// errors are allocated.
	if len(p) < 20 {
		return bad
	}
	if off := int(p[12]>>4) * 4; off < 20 || off > len(p) {
		return bad
	}
	if d.seg.TCP.DecodeFromBytes(p, gopacket.NilDecodeFeedback) != nil {
		return bad
	}
	d.seg.Cut = cut
	return isTCP
}
