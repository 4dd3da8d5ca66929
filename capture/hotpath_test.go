package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// TestPcapRecordsAsPcapgo holds the in-place record read of classic pcap
// (source.nextPcap) to pcapgo's ZeroCopyReadPacketData, which it replaces
// on the hot path: every record of every classic pcap committed under
// pcaps/ (real peers, crafted and hostile captures, gzip-compressed ones
// read in place from the decompressed buffer) and of the record
// shapes no peer wrote (nanosecond and big-endian files, a record longer
// than the read buffer) must give the same bytes, timestamp and lengths,
// and the files must end at the same record.
func TestPcapRecordsAsPcapgo(t *testing.T) {
	files := committedCaptures(t, func(path string) bool {
		b := make([]byte, 4)
		r, done := openCapture(t, path)
		defer done()
		if n, _ := io.ReadFull(r, b); n == 4 {
			switch binary.LittleEndian.Uint32(b) {
			case 0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1:
				return true
			}
		}
		return false
	})
	dir := t.TempDir()
	big := make([]byte, 200_000) // longer than the 64 KiB probe buffer
	for i := range big {
		big[i] = byte(i)
	}
	for i, h := range []testkit.PcapHeader{
		{LinkType: layers.LinkTypeEthernet, Snaplen: 262144},
		{LinkType: layers.LinkTypeEthernet, Snaplen: 262144, Nanos: true, BigEndian: true},
		{LinkType: layers.LinkTypeRaw, Snaplen: 262144, Nanos: true},
		{LinkType: layers.LinkTypeRaw, Snaplen: 262144, BigEndian: true},
	} {
		frame := srcP4.eth(t)
		recs := []testkit.Packet{
			{Data: frame, Time: srcT0.Add(123456789)},
			{Data: big, Length: len(big) + 10, Time: srcT0.Add(2e9 + 999999999)},
			{Data: frame[:20], Length: len(frame), Time: srcT0.Add(3e9)},
		}
		b := testkit.Pcap(h, recs...)
		for j, c := range [][]byte{b, b[:len(b)-7]} { // whole, and the last record cut short
			name := filepath.Join(dir, "shape"+string(rune('a'+i))+string(rune('0'+j))+".pcap")
			if err := os.WriteFile(name, c, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, name)
		}
	}
	for _, name := range files {
		for _, size := range []int{readBufferSize, probeBufferSize} {
			comparePcapRecords(t, name, size)
		}
	}
}

// committedCaptures lists the captures committed under pcaps/ (.pcap,
// .pcapng, .gz) that keep accepts (all with nil), and fails the test when
// there are too few to be the committed set.
func committedCaptures(t *testing.T, keep func(path string) bool) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join("..", "pcaps"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if (strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng") || strings.HasSuffix(path, ".gz")) &&
			(keep == nil || keep(path)) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found %d captures under pcaps/, want the committed ones", len(files))
	}
	return files
}

// openCapture opens a committed capture, through gzip for a .gz one;
// done closes it.
func openCapture(t *testing.T, name string) (r io.Reader, done func()) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(name, ".gz") {
		return f, func() { f.Close() }
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	return zr, func() { f.Close() }
}

func comparePcapRecords(t *testing.T, name string, size int) {
	t.Helper()
	src, err := openFile(name, &buffers{size: size}, nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer src.close()
	r, done := openCapture(t, name)
	defer done()
	ref, err := pcapgo.NewReader(r)
	if err != nil {
		t.Fatalf("%s: pcapgo: %v", name, err)
	}
	ref.SetSnaplen(maxRecord)
	for n := 1; ; n++ {
		data, ci, _, err := src.next()
		want, wci, werr := ref.ReadPacketData()
		if (err != nil) != (werr != nil) {
			t.Fatalf("%s (buffer %d) record %d: error %v, pcapgo's %v", name, size, n, err, werr)
		}
		if err != nil {
			if errors.Is(err, io.EOF) != (werr == io.EOF) {
				t.Fatalf("%s (buffer %d) record %d: end %v, pcapgo's %v", name, size, n, err, werr)
			}
			return
		}
		if !bytes.Equal(data, want) || !ci.Timestamp.Equal(wci.Timestamp) ||
			ci.CaptureLength != wci.CaptureLength || ci.Length != wci.Length {
			t.Fatalf("%s (buffer %d) record %d: %d bytes at %v (%d/%d), pcapgo %d bytes at %v (%d/%d)", name, size, n,
				len(data), ci.Timestamp, ci.CaptureLength, ci.Length, len(want), wci.Timestamp, wci.CaptureLength, wci.Length)
		}
	}
}

// TestRawTCPAsDecoded: with RawTCP, Files gives the same segments (count,
// ports, flow, Cut, timestamps, stats) with Raw equal to the decoded
// header and payload, on every committed capture, pcapng and gzip
// included.
func TestRawTCPAsDecoded(t *testing.T) {
	for _, name := range committedCaptures(t, nil) {
		dec, err := OpenFiles([]string{name}, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := OpenFiles([]string{name}, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		raw.RawTCP()
		for n := 1; ; n++ {
			a, aerr := dec.Next()
			b, berr := raw.Next()
			if (aerr == nil) != (berr == nil) || aerr != nil && aerr.Error() != berr.Error() {
				t.Fatalf("%s segment %d: errors %v and %v", name, n, aerr, berr)
			}
			if aerr == io.EOF {
				break
			}
			if aerr != nil {
				continue
			}
			// (a.Raw is the decoded header's backing bytes: b.Raw is
			// compared with what gopacket's decode made of the packet.)
			whole := append(bytes.Clone(a.TCP.Contents), a.TCP.Payload...)
			if !bytes.Equal(b.Raw, whole) || a.Net != b.Net || a.Cut != b.Cut ||
				a.TCP.SrcPort != b.TCP.SrcPort || a.TCP.DstPort != b.TCP.DstPort || !a.CI.Timestamp.Equal(b.CI.Timestamp) || a.Packet != b.Packet {
				t.Fatalf("%s segment %d differs: decoded %v %v:%d->%d cut %v, raw %v %v:%d->%d cut %v", name, n,
					a.Packet, a.Net, a.TCP.SrcPort, a.TCP.DstPort, a.Cut, b.Packet, b.Net, b.TCP.SrcPort, b.TCP.DstPort, b.Cut)
			}
		}
		if dec.Stats() != raw.Stats() {
			t.Errorf("%s: stats %+v and %+v", name, dec.Stats(), raw.Stats())
		}
		dec.Close()
		raw.Close()
	}
}

// TestTCPDecoderAsGopacket: TCPDecoder accepts exactly what gopacket's
// DecodeFromBytes accepts (so neither a raw source's check nor a worker's
// decode can disagree with it), and gives every field gopacket gives but
// the options: on random bytes, and on every TCP segment of every
// committed capture.
func TestTCPDecoderAsGopacket(t *testing.T) {
	var dec TCPDecoder
	calls := 0
	same := func(p []byte) {
		t.Helper()
		var got, want layers.TCP
		ok := dec.Decode(&got, p)
		werr := want.DecodeFromBytes(p, gopacket.NilDecodeFeedback)
		if ok != (werr == nil) {
			t.Fatalf("% x: Decode %v, DecodeFromBytes %v", p, ok, werr)
		}
		if !ok {
			return
		}
		if got.TransportFlow() != want.TransportFlow() {
			t.Fatalf("% x: TransportFlow %v, want %v", p, got.TransportFlow(), want.TransportFlow())
		}
		// The ports TransportFlow reads were compared above; the rest of
		// what is unexported is the option array gopacket reuses. cmp
		// (every field, so also one a later gopacket adds) is slow: it
		// checks one call in 64, the fixed fields check every one.
		if calls++; calls%64 == 1 {
			if d := cmp.Diff(want, got, cmpopts.IgnoreUnexported(layers.TCP{}),
				cmpopts.IgnoreFields(layers.TCP{}, "Options", "Padding", "Multipath")); d != "" {
				t.Fatalf("% x: (-gopacket +Decode)\n%s", p, d)
			}
		}
		if tcpFieldsOf(&got) != tcpFieldsOf(&want) || !bytes.Equal(got.Contents, want.Contents) || !bytes.Equal(got.Payload, want.Payload) {
			t.Fatalf("% x: decoded %+v, want %+v", p, tcpFieldsOf(&got), tcpFieldsOf(&want))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 100_000 {
		p := make([]byte, rng.IntN(80))
		for j := range p {
			p[j] = byte(rng.Uint32())
		}
		if len(p) > 12 && i%2 == 0 {
			p[12] = byte(5+rng.IntN(4))<<4 | p[12]&0x0f // plausible data offsets half the time
		}
		same(p)
	}
	n := 0
	for _, name := range committedCaptures(t, nil) {
		f, err := OpenFiles([]string{name}, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		f.RawTCP()
		for {
			seg, err := f.Next()
			if err == io.EOF {
				break
			}
			if err == nil {
				same(seg.Raw)
				n++
			}
		}
		f.Close()
	}
	if n < 10_000 {
		t.Fatalf("%d segments compared, want the committed captures'", n)
	}
}

// tcpFields are layers.TCP's fixed fields, comparable.
type tcpFields struct {
	SrcPort, DstPort                           layers.TCPPort
	Seq, Ack                                   uint32
	DataOffset                                 uint8
	FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, NS bool
	Window, Checksum, Urgent                   uint16
}

func tcpFieldsOf(t *layers.TCP) tcpFields {
	return tcpFields{t.SrcPort, t.DstPort, t.Seq, t.Ack, t.DataOffset,
		t.FIN, t.SYN, t.RST, t.PSH, t.ACK, t.URG, t.ECE, t.CWR, t.NS, t.Window, t.Checksum, t.Urgent}
}

// BenchmarkTCPDecode: TCPDecoder against gopacket's full decode, on a
// segment with timestamps (NOP, NOP, TS), as nearly every packet has.
func BenchmarkTCPDecode(b *testing.B) {
	p := make([]byte, 32+100)
	p[12] = 8 << 4
	copy(p[20:], []byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2})
	var tcp layers.TCP
	b.Run("gopacket", func(b *testing.B) {
		for b.Loop() {
			if tcp.DecodeFromBytes(p, gopacket.NilDecodeFeedback) != nil {
				b.Fatal("decode")
			}
		}
	})
	b.Run("TCPDecoder", func(b *testing.B) {
		var d TCPDecoder
		for b.Loop() {
			if !d.Decode(&tcp, p) {
				b.Fatal("decode")
			}
		}
	})
}
