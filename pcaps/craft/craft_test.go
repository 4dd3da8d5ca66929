package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tlsscan/tlsscan/pcaps/craft/craftlib"
)

// committed is where the generated files live in the repository, relative
// to this package's directory.
const committed = ".."

// TestCommittedMatchGenerator regenerates everything into a temporary
// directory and requires the committed files to be byte-identical, and the
// committed crafted/ and hostile/ directories to hold nothing else.
func TestCommittedMatchGenerator(t *testing.T) {
	out := t.TempDir()
	if err := craftlib.WriteAll(out); err != nil {
		t.Fatal(err)
	}
	gen := listFiles(t, out)
	want := []string{craftlib.ReadmeName}
	for _, it := range craftlib.Catalogue() {
		want = append(want, it.Path)
	}
	sort.Strings(want)
	if !slices.Equal(gen, want) {
		t.Fatalf("generator wrote %v, catalogue lists %v", gen, want)
	}
	for _, rel := range gen {
		g, err := os.ReadFile(filepath.Join(out, rel))
		if err != nil {
			t.Fatal(err)
		}
		c, err := os.ReadFile(filepath.Join(committed, rel))
		if err != nil {
			t.Errorf("%s: not committed (run `go run ./pcaps/craft -out pcaps`): %v", rel, err)
			continue
		}
		if !bytes.Equal(g, c) {
			t.Errorf("%s: committed file differs from the generator's output (%d vs %d bytes); run `go run ./pcaps/craft -out pcaps`", rel, len(c), len(g))
		}
	}
	for _, dir := range []string{"crafted", "hostile"} {
		for _, rel := range listFiles(t, filepath.Join(committed, dir)) {
			if !slices.Contains(gen, dir+"/"+rel) {
				t.Errorf("%s/%s is committed but not generated: remove it or add it to craftlib", dir, rel)
			}
		}
	}
}

// TestDeterministic builds every file twice in one process.
func TestDeterministic(t *testing.T) {
	p, err := craftlib.DefaultPKI()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range craftlib.Catalogue() {
		a, err := it.Build(p)
		if err != nil {
			t.Fatalf("%s: %v", it.Path, err)
		}
		b, _ := it.Build(p)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two builds differ", it.Path)
		}
		if len(a) > 2<<20 {
			t.Errorf("%s: %d bytes, over the 2 MB budget for committed captures", it.Path, len(a))
		}
	}
}

func listFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// segment is a decoded TCP segment.
type segment struct {
	flow    string // "src:port>dst:port"
	seq     uint32
	syn     bool
	payload []byte
}

// readCapture reads a classic pcap (either byte order) and returns the
// packets with the capture's link type.
func readCapture(t *testing.T, data []byte) (layers.LinkType, [][]byte, []gopacket.CaptureInfo) {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte
	var cis []gopacket.CaptureInfo
	for {
		d, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("packet %d: %v", len(pkts)+1, err)
		}
		pkts = append(pkts, bytes.Clone(d))
		cis = append(cis, ci)
	}
	return r.LinkType(), pkts, cis
}

// decodeTCP decodes every packet down to TCP, verifying the IPv4 header and
// TCP checksums; checksums=false skips them (cut packets).
func decodeTCP(t *testing.T, name string, data []byte, checksums bool) []segment {
	t.Helper()
	lt, pkts, _ := readCapture(t, data)
	var first gopacket.Decoder = lt
	if lt == layers.LinkTypeIPv4 {
		first = layers.LayerTypeIPv4 // gopacket has no decoder registered for 228
	}
	var segs []segment
	for i, d := range pkts {
		pkt := gopacket.NewPacket(d, first, gopacket.Default)
		if el := pkt.ErrorLayer(); el != nil && checksums {
			t.Fatalf("%s packet %d: %v", name, i+1, el.Error())
		}
		tl, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			t.Fatalf("%s packet %d: no TCP layer (%v)", name, i+1, pkt)
		}
		nl := pkt.NetworkLayer()
		if checksums {
			if ip4, ok := nl.(*layers.IPv4); ok {
				if err, res := ip4.VerifyChecksum(); err != nil || !res.Valid {
					t.Errorf("%s packet %d: bad IPv4 checksum %+v %v", name, i+1, res, err)
				}
			}
			if err := tl.SetNetworkLayerForChecksum(nl); err != nil {
				t.Fatal(err)
			}
			if err, res := tl.VerifyChecksum(); err != nil || !res.Valid {
				t.Errorf("%s packet %d: bad TCP checksum %+v %v", name, i+1, res, err)
			}
		}
		src, dst := nl.NetworkFlow().Endpoints()
		segs = append(segs, segment{
			flow: src.String() + ":" + tl.SrcPort.String() + ">" + dst.String() + ":" + tl.DstPort.String(),
			seq:  tl.Seq, syn: tl.SYN, payload: tl.Payload,
		})
	}
	return segs
}

// streams reassembles each direction by sequence number (first copy of a
// byte wins) and reports holes.
func streams(segs []segment) (map[string][]byte, map[string]bool) {
	base := map[string]uint32{}
	have := map[string]map[uint32]byte{}
	for _, s := range segs {
		if _, ok := base[s.flow]; !ok {
			base[s.flow] = s.seq
			if s.syn {
				base[s.flow] = s.seq + 1
			}
			have[s.flow] = map[uint32]byte{}
		}
		for i, b := range s.payload {
			off := s.seq + uint32(i) - base[s.flow]
			if _, ok := have[s.flow][off]; !ok {
				have[s.flow][off] = b
			}
		}
	}
	out, holes := map[string][]byte{}, map[string]bool{}
	for f, m := range have {
		var n uint32
		for off := range m {
			n = max(n, off+1)
		}
		buf := make([]byte, n)
		for off := range n {
			b, ok := m[off]
			if !ok {
				holes[f] = true
			}
			buf[off] = b
		}
		out[f] = buf
	}
	return out, holes
}

func build(t *testing.T, path string) []byte {
	t.Helper()
	p, err := craftlib.DefaultPKI()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range craftlib.Catalogue() {
		if it.Path == path {
			data, err := it.Build(p)
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
	}
	t.Fatalf("%s not in catalogue", path)
	return nil
}

// TestCraftedDecode decodes every crafted capture into TCP segments with
// correct checksums whose streams carry TLS.
func TestCraftedDecode(t *testing.T) {
	for _, it := range craftlib.Catalogue() {
		if !strings.HasPrefix(it.Path, "crafted/") {
			continue
		}
		t.Run(it.Path, func(t *testing.T) {
			segs := decodeTCP(t, it.Path, build(t, it.Path), true)
			ss, holes := streams(segs)
			tls := 0
			for f, s := range ss {
				if len(s) == 0 {
					continue
				}
				if s[0] == craftlib.ContentHandshake || s[0]&0x80 != 0 || it.Path == "crafted/midstream.pcap" {
					tls++
				}
				if holes[f] && it.Path != "crafted/gap.pcap" {
					t.Errorf("%s: hole in %s", it.Path, f)
				}
			}
			if tls == 0 {
				t.Errorf("%s: no stream starts with a TLS record", it.Path)
			}
		})
	}
}

func TestOutOfOrderSameStreams(t *testing.T) {
	a, _ := streams(decodeTCP(t, "out-of-order", build(t, "crafted/out-of-order.pcap"), true))
	b, _ := streams(decodeTCP(t, "ref", build(t, "crafted/out-of-order-ref.pcap"), true))
	if len(a) != len(b) || len(a) != 2 {
		t.Fatalf("%d vs %d streams", len(a), len(b))
	}
	for f, s := range a {
		if !bytes.Equal(s, b[f]) {
			t.Errorf("%s differs between out-of-order.pcap and its reference", f)
		}
	}
}

func TestGapHasHole(t *testing.T) {
	_, holes := streams(decodeTCP(t, "gap", build(t, "crafted/gap.pcap"), true))
	if len(holes) != 1 {
		t.Fatalf("holes in %v, want exactly the client's direction", holes)
	}
}

func TestSplitEverythingTinySegments(t *testing.T) {
	for _, s := range decodeTCP(t, "split", build(t, "crafted/split-everything.pcap"), true) {
		if len(s.payload) > 7 {
			t.Fatalf("segment of %d bytes", len(s.payload))
		}
	}
}

func TestBigEndianHeader(t *testing.T) {
	data := build(t, "crafted/big-endian.pcap")
	if !bytes.HasPrefix(data, []byte{0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4}) {
		t.Fatalf("header % x", data[:8])
	}
}

func TestHostileDecode(t *testing.T) {
	for _, name := range []string{"syn-flood", "half-open", "record-16mb", "hs-16mb", "seq-wrap", "port-reuse", "time-backwards"} {
		segs := decodeTCP(t, name, build(t, "hostile/"+name+".pcap"), true)
		if len(segs) == 0 {
			t.Errorf("%s: no packets", name)
		}
	}
	_, _, cis := readCapture(t, build(t, "hostile/snaplen-cut.pcap"))
	cut := 0
	for _, ci := range cis {
		if ci.CaptureLength > 96 {
			t.Fatalf("snaplen-cut: caplen %d", ci.CaptureLength)
		}
		if ci.CaptureLength < ci.Length {
			cut++
		}
	}
	if cut == 0 {
		t.Error("snaplen-cut: no packet cut")
	}
	decodeTCP(t, "snaplen-cut", build(t, "hostile/snaplen-cut.pcap"), false)
}

func TestHostileReadersFail(t *testing.T) {
	// caplen-too-big: packet 1 reads, packet 2 is refused.
	r, err := pcapgo.NewReader(bytes.NewReader(build(t, "hostile/caplen-too-big.pcap")))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.ReadPacketData(); err != nil {
		t.Fatalf("caplen-too-big packet 1: %v", err)
	}
	if _, _, err := r.ReadPacketData(); err == nil {
		t.Fatal("caplen-too-big packet 2 read without error")
	}

	// pcapng-bad-blocks: good packets come first, an error comes later.
	ng, err := pcapgo.NewNgReader(bytes.NewReader(build(t, "hostile/pcapng-bad-blocks.pcapng")), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, _, err := ng.ReadPacketData()
		if err != nil {
			if err == io.EOF {
				t.Log("pcapgo read pcapng-bad-blocks to the end")
			}
			break
		}
		n++
	}
	if n < 3 {
		t.Errorf("pcapng-bad-blocks: only %d good packets read", n)
	}

	// gzip-short: decompresses to a pcap prefix, then ErrUnexpectedEOF.
	zr, err := gzip.NewReader(bytes.NewReader(build(t, "hostile/gzip-short.pcap.gz")))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("gzip-short: err %v, want unexpected EOF", err)
	}
	if len(got) < 1000 || !bytes.HasPrefix(got, []byte{0xd4, 0xc3, 0xb2, 0xa1}) {
		t.Errorf("gzip-short: %d bytes decompressed", len(got))
	}

	if _, err := pcapgo.NewReader(bytes.NewReader(build(t, "hostile/not-a-capture.pcap"))); err == nil {
		t.Error("not-a-capture.pcap opened as a pcap")
	}
}

// TestGzipStoredRoundTrip checks the hand-written gzip writer.
func TestGzipStoredRoundTrip(t *testing.T) {
	data := bytes.Repeat([]byte("tlsscan"), 30000)
	zr, err := gzip.NewReader(bytes.NewReader(craftlib.GzipStored(data, 4096)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("round trip: %v, %d bytes", err, len(got))
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// TestRunTimeVariants makes the captures too big to commit, as analyzer
// tests do, and checks their sizes.
func TestRunTimeVariants(t *testing.T) {
	if testing.Short() {
		t.Skip("big captures")
	}
	var w countWriter
	const n = 1_000_000
	if err := craftlib.SynFlood(&w, n); err != nil {
		t.Fatal(err)
	}
	if want := int64(24 + n*(16+60)); w.n != want {
		t.Errorf("million SYNs: %d bytes, want %d", w.n, want)
	}
	w = countWriter{}
	if err := craftlib.BigHandshake(&w, 0xffffff, 0xffffff+4); err != nil {
		t.Fatal(err)
	}
	if w.n < 0xffffff {
		t.Errorf("16 MB handshake: only %d bytes", w.n)
	}
}
