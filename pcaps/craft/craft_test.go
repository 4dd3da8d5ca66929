package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tlsscan/tlsscan/internal/testkit"
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

// decodeTCP reads a capture and decodes every packet down to TCP,
// verifying the IPv4 header and TCP checksums; checksums=false skips them
// (cut packets).
func decodeTCP(t *testing.T, name string, data []byte, checksums bool) []*testkit.Segment {
	t.Helper()
	f, err := testkit.Read(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var segs []*testkit.Segment
	for i, p := range f.Packets {
		s, err := testkit.DecodeSegment(f.LinkType, p.Data, checksums)
		if err != nil {
			t.Fatalf("%s packet %d: %v", name, i+1, err)
		}
		segs = append(segs, s)
	}
	return segs
}

// streams reassembles each direction by sequence number (first copy of a
// byte wins) and reports holes. A SYN with a new ISN on ports already seen
// starts a new connection (port reuse), keyed with its number.
func streams(segs []*testkit.Segment) (map[string][]byte, map[string]bool) {
	base := map[string]uint32{}
	have := map[string]map[uint32]byte{}
	gen := map[string]int{}
	for _, s := range segs {
		ports := fmt.Sprintf("%v:%d>%v:%d", s.Src.IP, s.Src.Port, s.Dst.IP, s.Dst.Port)
		flow := fmt.Sprintf("%s#%d", ports, gen[ports])
		if b, ok := base[flow]; ok && s.Flags&testkit.SYN != 0 && b != s.Seq+1 {
			gen[ports]++
			flow = fmt.Sprintf("%s#%d", ports, gen[ports])
		}
		if _, ok := base[flow]; !ok {
			base[flow] = s.Seq
			if s.Flags&testkit.SYN != 0 {
				base[flow] = s.Seq + 1
			}
			have[flow] = map[uint32]byte{}
		}
		for i, b := range s.Payload {
			off := s.Seq + uint32(i) - base[flow]
			if _, ok := have[flow][off]; !ok {
				have[flow][off] = b
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
				if s[0] == testkit.ContentHandshake || s[0]&0x80 != 0 || it.Path == "crafted/midstream.pcap" {
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
		if len(s.Payload) > 7 {
			t.Fatalf("segment of %d bytes", len(s.Payload))
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
	f, err := testkit.Read(build(t, "hostile/snaplen-cut.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	cut := 0
	for _, p := range f.Packets {
		if len(p.Data) > 96 {
			t.Fatalf("snaplen-cut: caplen %d", len(p.Data))
		}
		if len(p.Data) < p.Length {
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
	f, err := testkit.Read(build(t, "hostile/caplen-too-big.pcap"))
	if n := len(f.Packets); n != 1 || err == nil {
		t.Fatalf("caplen-too-big: %d packets read before the error %v, want 1 and an error", n, err)
	}

	// pcapng-bad-blocks: good packets come first, an error comes later.
	f, err = testkit.Read(build(t, "hostile/pcapng-bad-blocks.pcapng"))
	if err == nil {
		t.Log("pcapgo read pcapng-bad-blocks to the end")
	}
	if n := len(f.Packets); n < 3 {
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

	if _, err := testkit.Read(build(t, "hostile/not-a-capture.pcap")); err == nil {
		t.Error("not-a-capture.pcap opened as a pcap")
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
