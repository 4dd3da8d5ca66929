package capture

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tlsscan/tlsscan/capture/filter"
)

// Live capture. The platform part (a *liveHandle) is in live_linux.go
// (AF_PACKET through gopacket/afpacket: the default, pure-Go build),
// live_libpcap.go (built with -tags libpcap and cgo, on any system libpcap
// supports) or live_other.go (neither: OpenLive fails). This file holds what
// they share: decoding with the same decoder as capture files, so that a
// Segment seen live is the one a file written with -w gives back, the -w
// writer, and the counters.

// LiveOptions configure a live capture.
type LiveOptions struct {
	Interface string         // an interface name, or "any" for all of them
	Filter    *filter.Filter // applied in the kernel (classic BPF); nil: everything
	Snaplen   int            // 0 means 262144
	WriteFile string         // -w: also write every captured packet to this pcap file ("" none)
}

const (
	// liveDefaultSnaplen is libpcap's MAXIMUM_SNAPLEN, what tcpdump -s 0 uses.
	liveDefaultSnaplen = maxRecord
	// livePoll is how long Next waits for a packet before it returns
	// ErrNoPacket.
	livePoll = 100 * time.Millisecond
	// liveMaintenance is how often the -w file is flushed (so that a run
	// ended by a signal or a crash leaves a usable file) and the kernel's
	// counters are read (they are 32-bit and reset on every read).
	liveMaintenance = time.Second
	// liveClockEvery is how many packets Next handles between two looks at
	// the clock while packets keep coming.
	liveClockEvery = 64
	// liveWriteBuffer is the -w file's buffer.
	liveWriteBuffer = 256 << 10
)

// Live is a Source (see Analyze) reading an interface. It is not safe for
// concurrent use.
type Live struct {
	decoder
	h     *liveHandle
	iface string
	// link is how packets are decoded and what the -w file says. rawIP:
	// the socket gives no link-layer header (SOCK_DGRAM), the packets are
	// IP datagrams and link is LinkTypeRaw.
	link  layers.LinkType
	rawIP bool
	// early: packets timestamped up to this instant may have been queued
	// before the kernel filter was attached, unfiltered: they are
	// skipped. Zero when the platform sees to it (libpcap), and once a
	// later packet or an empty poll shows that they are all gone (the
	// ring is in arrival order), so a clock stepped back does not matter.
	early   time.Time
	snaplen int
	stats   Stats

	wname string
	wfile *os.File
	wbuf  *bufio.Writer
	pw    *pcapgo.Writer

	// numbered, when set, numbers the packets of a fanout group
	// (OpenLiveGroup) across its members; nil: stats.Packets does.
	numbered *atomic.Uint64

	sinceClock int       // packets handled since the clock was last read
	nextMaint  time.Time // when to flush -w and read the kernel counters
	closed     bool
	kernRecv   uint64 // the kernel counters at Close
	kernDrop   uint64
}

// liveInfo is what a platform's openHandle tells about the capture.
type liveInfo struct {
	link  layers.LinkType
	rawIP bool
	early time.Time
}

// errPollTimeout is a liveHandle's "nothing within livePoll".
var errPollTimeout = errors.New("capture: poll timeout")

// OpenLive starts capturing on opts.Interface. A lack of privilege is a
// *PrivilegeError.
func OpenLive(opts LiveOptions) (*Live, error) {
	if opts.Interface == "" {
		return nil, errors.New("capture: no interface given")
	}
	snaplen := opts.Snaplen
	if snaplen <= 0 {
		snaplen = liveDefaultSnaplen
	}
	if snaplen > maxRecord {
		return nil, fmt.Errorf("capture: snaplen %d exceeds the %d-byte limit", snaplen, maxRecord)
	}
	h, info, err := openHandle(opts.Interface, opts.Filter, snaplen)
	if err != nil {
		return nil, err
	}
	l := &Live{
		h:       h,
		iface:   opts.Interface,
		link:    info.link,
		rawIP:   info.rawIP,
		early:   info.early,
		snaplen: snaplen,
	}
	if opts.WriteFile != "" {
		if err := l.openWriter(opts.WriteFile); err != nil {
			h.close()
			return nil, err
		}
	}
	l.nextMaint = time.Now().Add(liveMaintenance)
	return l, nil
}

// OpenLiveGroup opens n captures of opts.Interface that share its packets
// by connection, for n workers that each read their own (tlsscan -i with
// -j N): on Linux, n AF_PACKET sockets in one PACKET_FANOUT group of type
// hash with defragmentation, the way Zeek's and Suricata's AF_PACKET
// workers read. The kernel spreads the packets over the sockets by a hash
// of the addresses and ports that both directions share, so every packet
// of a connection arrives at the same member, each with its own ring and
// kernel counters. Packets are numbered across the group, every packet
// as by one socket (Segment.Packet: unique, in the order the members read
// them, which may differ a little from arrival order). opts.WriteFile
// must be empty: a -w file is written in arrival order by one reader
// (OpenLive). Where fanout cannot be had (the libpcap build; a kernel that
// refuses afpacket's join, as those before 5.10 do, or every group id
// tried; a socket after the first that cannot be opened) the error wraps
// ErrNoFanout, and the caller can read one socket instead. n is at least
// 2.
func OpenLiveGroup(opts LiveOptions, n int) ([]*Live, error) {
	if n < 2 {
		return nil, fmt.Errorf("capture: a fanout group needs at least 2 members, not %d", n)
	}
	if opts.WriteFile != "" {
		return nil, errors.New("capture: a fanout group cannot write a -w file")
	}
	if !HaveFanout {
		return nil, fmt.Errorf("%w: libpcap has no API for it", ErrNoFanout)
	}
	var joinErr error
	for range fanoutTries {
		group, err := openGroup(opts, n, fanoutID())
		if err == nil {
			return group, nil
		}
		var je *joinError
		if !errors.As(err, &je) {
			return nil, err // no socket at all: not fanout's doing
		}
		joinErr = err
		if je.final {
			break
		}
	}
	return nil, fmt.Errorf("%w: %w", ErrNoFanout, joinErr)
}

// fanoutTries is how many group ids OpenLiveGroup tries: a join fails
// when the id is taken by a group of another type or interface (or on a
// kernel that refuses the join whatever the id).
const fanoutTries = 4

// joinError is a socket's failure to join a fanout group, or that of a
// socket after the first to open (final: no other id would help).
type joinError struct {
	err   error
	final bool
}

func (e *joinError) Error() string { return e.err.Error() }
func (e *joinError) Unwrap() error { return e.err }

// openGroup opens n sockets in fanout group id, or none.
func openGroup(opts LiveOptions, n int, id uint16) ([]*Live, error) {
	numbered := new(atomic.Uint64)
	group := make([]*Live, 0, n)
	for i := range n {
		l, err := OpenLive(opts)
		switch {
		case err != nil && i > 0:
			// The first socket opened: the interface and the privilege
			// are there, and one socket can be read (out of memory
			// for the rings, say).
			err = &joinError{err: fmt.Errorf("opening socket %d of the group: %w", i+1, err), final: true}
		case err == nil:
			if err = l.h.joinFanout(id); err != nil {
				l.Close()
				err = &joinError{err: fmt.Errorf("capturing on %s: joining fanout group %d: %w", opts.Interface, id, err)}
			}
		}
		if err != nil {
			for _, m := range group {
				m.Close()
			}
			return nil, err
		}
		l.numbered = numbered
		group = append(group, l)
	}
	// Until the last member joined, the first ones had more than their
	// share (each socket had every packet until it joined): the capture
	// starts now, for all of them, so that no packet is read twice and
	// no connection is split between two members. The kernel's counters
	// start again just before, without the packets skipped for that (but
	// for those that arrive in the microseconds between the two).
	for _, l := range group {
		l.h.resetStats()
	}
	start := time.Now()
	for _, l := range group {
		l.early = start
	}
	return group, nil
}

// ErrNoFanout is OpenLiveGroup's error when an interface's packets cannot
// be shared among sockets by connection: the caller reads with one
// (OpenLive).
var ErrNoFanout = errors.New("PACKET_FANOUT is not available")

// fanoutID returns a random fanout group id at 32768 and above. Ids are
// per network namespace, and a socket given the id of another process's
// group of the same type on the same interface joins it and takes part of
// its packets, so the id must not be one another capture uses: not a
// small one, which Zeek (fanout_id 23) and Suricata (cluster-id 99) are
// configured with by default, and not one derived from the process id,
// which containers sharing a network namespace all have as 1. afpacket
// gives no way to the socket itself, so the kernel's unique-id flag
// (PACKET_FANOUT_FLAG_UNIQUEID, whose id must be read back) cannot be
// used: two captures of this kind pick the same id once in 32,768.
func fanoutID() uint16 { return uint16(0x8000 | rand.N(0x8000)) }

// openWriter creates the -w file. Timestamps are written with nanosecond
// precision, as the kernel gives them, so that reading the file back gives
// exactly the segments seen live.
func (l *Live) openWriter(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	l.wname, l.wfile = name, f
	l.wbuf = bufio.NewWriterSize(f, liveWriteBuffer)
	l.pw = pcapgo.NewWriterNanos(l.wbuf)
	if err := l.pw.WriteFileHeader(uint32(l.snaplen), l.link); err != nil {
		f.Close()
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", name, err)
	}
	// The header alone makes a valid (empty) capture straight away.
	if err := l.wbuf.Flush(); err != nil {
		f.Close()
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// Next returns the next TCP segment, valid until the following call. It
// returns ErrNoPacket when no packet arrived within about 100 ms, and also
// after about 100 ms of packets that are not TCP, so that the caller
// regains control at least that often.
func (l *Live) Next() (*Segment, error) {
	if l.closed {
		return nil, errClosed
	}
	// first is the timestamp of the first packet this call skipped, to
	// return after livePoll of packets that are not TCP; startClock is the
	// same on the system clock, for when timestamps do not advance.
	var first, startClock time.Time
	for {
		data, ci, err := l.h.read()
		if err != nil {
			if err == errPollTimeout {
				l.early = time.Time{}
				if err := l.maintain(time.Now()); err != nil {
					return nil, err
				}
				return nil, ErrNoPacket
			}
			return nil, err
		}
		// The packets' timestamps tell the time without a system call;
		// the clock is still read every liveClockEvery packets, in case
		// they do not (a clock stepped back).
		if !ci.Timestamp.Before(l.nextMaint) {
			if err := l.maintain(ci.Timestamp); err != nil {
				return nil, err
			}
		}
		if l.sinceClock++; l.sinceClock >= liveClockEvery {
			l.sinceClock = 0
			now := time.Now()
			if err := l.maintain(now); err != nil {
				return nil, err
			}
			if startClock.IsZero() {
				startClock = now
			} else if now.Sub(startClock) >= livePoll {
				return nil, ErrNoPacket
			}
		}
		if !l.early.IsZero() {
			if !ci.Timestamp.After(l.early) {
				continue
			}
			l.early = time.Time{}
		}
		l.stats.Packets++
		l.stats.Bytes += uint64(ci.CaptureLength)
		number := l.stats.Packets
		if l.numbered != nil {
			number = l.numbered.Add(1)
		}
		if l.rawIP {
			// Without a link-layer header the protocol is only in the
			// socket's address, which afpacket does not pass on; a
			// packet that is neither IPv4 nor IPv6 (ARP on "any", say)
			// is not TCP rather than malformed, and is not written: a
			// raw-IP file cannot hold it.
			if len(data) == 0 || (data[0]>>4 != 4 && data[0]>>4 != 6) {
				l.stats.NonTCP++
				if skippedLong(&first, ci.Timestamp) {
					return nil, ErrNoPacket
				}
				continue
			}
		}
		v := l.decode(l.link, data, ci.CaptureLength < ci.Length)
		if l.pw != nil {
			if err := l.pw.WritePacket(ci, data); err != nil {
				return nil, fmt.Errorf("writing %s: %w", l.wname, err)
			}
		}
		switch v {
		case isTCP:
			l.seg.CI = ci
			l.seg.CI.AncillaryData = nil
			l.seg.File = l.iface
			l.seg.Packet = number
			return &l.seg, nil
		case notTCP:
			l.stats.NonTCP++
		default:
			l.stats.DecodeErrors++
		}
		if skippedLong(&first, ci.Timestamp) {
			return nil, ErrNoPacket
		}
	}
}

// skippedLong reports whether Next, having skipped packets for livePoll
// since the first it skipped, should give the caller its turn (to notice
// Stop, to close idle connections) by returning ErrNoPacket.
func skippedLong(first *time.Time, ts time.Time) bool {
	if first.IsZero() {
		*first = ts
		return false
	}
	return ts.Sub(*first) >= livePoll
}

// maintain flushes the -w file and reads the kernel's counters once a
// second.
func (l *Live) maintain(now time.Time) error {
	if now.Before(l.nextMaint) {
		return nil
	}
	l.nextMaint = now.Add(liveMaintenance)
	l.h.pollStats()
	if l.wbuf != nil {
		if err := l.wbuf.Flush(); err != nil {
			return fmt.Errorf("writing %s: %w", l.wname, err)
		}
	}
	return nil
}

// Stats returns the counters so far, as for files (Files is 0), with the
// kernel's. Packets the kernel filter dropped are not counted anywhere:
// they never arrive.
func (l *Live) Stats() Stats {
	st := l.stats
	st.Live = true
	st.KernelReceived, st.KernelDropped = l.KernelStats()
	return st
}

// KernelStats returns the socket's counters: the packets that passed the
// kernel filter, and how many of those were dropped because the buffer was
// full (AF_PACKET's PACKET_STATISTICS, libpcap's pcap_stats). After Close
// it returns the final values.
func (l *Live) KernelStats() (received, dropped uint64) {
	if l.closed {
		return l.kernRecv, l.kernDrop
	}
	l.h.pollStats()
	return l.h.recv, l.h.drop
}

// Close stops the capture, and flushes and closes the -w file.
func (l *Live) Close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	l.h.pollStats()
	l.kernRecv, l.kernDrop = l.h.recv, l.h.drop
	var err error
	if l.wfile != nil {
		if ferr := l.wbuf.Flush(); ferr != nil {
			err = fmt.Errorf("writing %s: %w", l.wname, ferr)
		}
		if cerr := l.wfile.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("writing %s: %w", l.wname, cerr)
		}
		l.wfile, l.wbuf, l.pw = nil, nil, nil
	}
	l.h.close()
	return err
}

// PrivilegeError: opening failed for lack of CAP_NET_RAW (or, with libpcap
// outside Linux, of access to the capture devices).
type PrivilegeError struct {
	Interface string
	Err       error
}

func (e *PrivilegeError) Error() string {
	exe, err := os.Executable()
	if err != nil || exe == "" {
		exe = "/path/to/tlsscan"
	}
	if runtime.GOOS != "linux" {
		return fmt.Sprintf("capturing on %s needs permission to open the packet capture devices (/dev/bpf*): run as root, or give your user read access to them", e.Interface)
	}
	return fmt.Sprintf("capturing on %s needs the CAP_NET_RAW capability (run as root, or: sudo setcap cap_net_raw+ep %s)", e.Interface, exe)
}

func (e *PrivilegeError) Unwrap() error { return e.Err }

// noSuchInterface is the error for an interface that does not exist.
func noSuchInterface(name string) error {
	return fmt.Errorf("no such interface %q", name)
}

// counter32 accumulates a 32-bit counter that the platform reports either
// as a running total that wraps (libpcap) or as a delta since the last read
// (AF_PACKET, whose totals afpacket keeps in 32 bits too): in both cases
// the difference from the last total, taken modulo 2^32, is what is new,
// as long as it is read more often than every 2^32 packets.
type counter32 struct {
	last  uint32
	total uint64
}

func (c *counter32) update(total uint32) {
	c.total += uint64(total - c.last)
	c.last = total
}
