// Command floor is the decode floor of the benchmarks (bench/run.sh): it
// reads a capture with gopacket's pcapgo reader (ZeroCopyReadPacketData) and
// decodes every packet's Ethernet, 802.1Q, IPv4/IPv6 and TCP headers with a
// gopacket.DecodingLayerParser, with no reassembly and no TLS parsing, then
// prints the number of packets read. It is the least work any tool reading
// the same file through gopacket can do; tlsscan is measured against it.
// It also counts connection-opening SYNs (SYN without ACK), which bench/run.sh
// compares with tlsscan's row count.
//
//	go run ./bench/floor FILE
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

type packetReader interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	LinkType() layers.LinkType
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: floor FILE")
		os.Exit(2)
	}
	c, err := run(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Printf("%d packets, %d TCP, %d SYN\n", c.packets, c.tcp, c.syn)
}

type counts struct{ packets, tcp, syn uint64 }

func run(name string) (c counts, err error) {
	f, err := os.Open(name)
	if err != nil {
		return c, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	magic, err := br.Peek(4)
	if err != nil {
		return c, err
	}
	var r packetReader
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err = pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
	} else {
		r, err = pcapgo.NewReader(br)
	}
	if err != nil {
		return c, err
	}
	if lt := r.LinkType(); lt != layers.LinkTypeEthernet {
		return c, fmt.Errorf("link type %v: the floor decodes Ethernet only", lt)
	}

	var (
		eth     layers.Ethernet
		dot1q   layers.Dot1Q
		ip4     layers.IPv4
		ip6     layers.IPv6
		tcp     layers.TCP
		payload gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &tcp, &payload)
	parser.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	for {
		data, _, err := r.ZeroCopyReadPacketData()
		if err == io.EOF {
			return c, nil
		}
		if err != nil {
			return c, fmt.Errorf("packet %d: %w", c.packets+1, err)
		}
		c.packets++
		// Errors (truncated headers and the like) are counted as non-TCP,
		// as a real analyzer would skip them.
		_ = parser.DecodeLayers(data, &decoded)
		for _, lt := range decoded {
			if lt == layers.LayerTypeTCP {
				c.tcp++
				if tcp.SYN && !tcp.ACK {
					c.syn++
				}
				break
			}
		}
	}
}
