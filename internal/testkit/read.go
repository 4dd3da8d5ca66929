package testkit

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// File is a capture read whole, with what its header said.
type File struct {
	LinkType  layers.LinkType // in a pcapng, the first interface's
	Pcapng    bool
	BigEndian bool // a classic pcap written by a big-endian host
	Nanos     bool // a classic pcap with nanosecond timestamps
	Packets   []Packet
}

// Read parses a capture held in memory with gopacket's pcapgo readers:
// classic pcap in either byte order and resolution, or pcapng whose
// interfaces share one link type, either of them gzip-compressed. Each
// packet's Data is a copy. On an error, the packets read before it come
// back with it.
func Read(b []byte) (*File, error) {
	f := &File{}
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		z, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return f, err
		}
		if b, err = io.ReadAll(z); err != nil {
			return f, err
		}
	}
	type source interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var src source
	magic := uint32(0)
	if len(b) >= 4 {
		magic = binary.LittleEndian.Uint32(b)
	}
	if magic == ngSectionHeader { // a palindrome: either byte order
		r, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return f, err
		}
		f.Pcapng, f.LinkType, src = true, r.LinkType(), r
	} else {
		r, err := pcapgo.NewReader(bytes.NewReader(b))
		if err != nil {
			return f, err
		}
		f.LinkType, src = r.LinkType(), r
		f.BigEndian = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1
		f.Nanos = magic == 0xa1b23c4d || magic == 0x4d3cb2a1
	}
	for {
		data, ci, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return f, fmt.Errorf("packet %d: %w", len(f.Packets)+1, err)
		}
		f.Packets = append(f.Packets, Packet{Time: ci.Timestamp, Data: bytes.Clone(data), Length: ci.Length, Iface: ci.InterfaceIndex})
	}
}

// ReadFile reads the capture at path (see Read) and fails t when it cannot
// read all of it.
func ReadFile(t testing.TB, path string) *File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Read(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}
