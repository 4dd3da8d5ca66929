package capture

import (
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Segment is one TCP segment decoded from a capture. It and TCP.Payload are
// valid only until the next call to Next (buffers are reused: zero-copy).
type Segment struct {
	CI  gopacket.CaptureInfo // Timestamp, CaptureLength, Length
	Net gopacket.Flow        // network-layer src->dst (IPv4 or IPv6 endpoints, as layers.IPv4.NetworkFlow() gives)
	TCP layers.TCP           // decoded header; TCP.Payload aliases the packet buffer (but see RawTCP)
	// Raw is the TCP header and payload as captured (TCP.Contents then
	// TCP.Payload, without link-layer padding), aliasing the packet buffer.
	Raw  []byte
	File string // the name as given on the command line ("-" for stdin)
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

// Source is where packets come from: capture files (Files) or an
// interface (Live). The pipeline reads one until io.EOF.
type Source interface {
	// Next returns the next TCP segment, io.EOF at the end, ErrNoPacket
	// when none arrived within the poll interval (live), or a *FileError
	// after which it can be called again.
	Next() (*Segment, error)
	Stats() Stats
	Close() error
}

// RawTCP makes Next leave Segment.TCP undecoded but for its ports (which a
// filter and a flow hash need): the header and payload are in Segment.Raw,
// checked to be a TCP header gopacket decodes. The sharded pipeline
// (-j N) hashes each packet to a worker that decodes it anyway, so the
// reading goroutine, the serial part of that pipeline, does not decode
// the TCP header twice. Files and Live have it. It lasts for the rest of
// the source's life, and TCP.TransportFlow is then empty (gopacket sets
// the slices it reads only when it decodes): it is for the one consumer
// that owns the source.
type RawTCP interface {
	RawTCP()
}

// ErrNoPacket is a live source's "nothing yet": the pipeline uses the pause
// to close idle connections and to notice a stop.
var ErrNoPacket = errors.New("capture: no packet within the poll interval")

// Stats are the front end's counters.
type Stats struct {
	Files        int    // input files whose capture header was read
	Packets      uint64 // every packet record read
	Bytes        uint64 // sum of captured lengths
	NonTCP       uint64 // not TCP over IPv4/IPv6 (ARP, UDP, ICMP, IP fragments after the first, ...)
	DecodeErrors uint64 // headers that could not be decoded (truncated/garbage IP or TCP header)
	Filtered     uint64 // packets the -f filter left out

	// Live capture only: the socket's counters (see Live.KernelStats).
	Live           bool
	KernelReceived uint64
	KernelDropped  uint64
}

// Add counts o into s: the sources of a fanout group as one.
func (s *Stats) Add(o Stats) {
	s.Files += o.Files
	s.Packets += o.Packets
	s.Bytes += o.Bytes
	s.NonTCP += o.NonTCP
	s.DecodeErrors += o.DecodeErrors
	s.Filtered += o.Filtered
	s.Live = s.Live || o.Live
	s.KernelReceived += o.KernelReceived
	s.KernelDropped += o.KernelDropped
}
