//go:build libpcap && cgo

package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tlsscan/tlsscan/capture/filter"
	"github.com/tlsscan/tlsscan/internal/testkit"
)

// The libpcap build filters capture files with libpcap's program for each
// packet's link type, so any pcap-filter expression keeps exactly the
// packets tcpdump -r keeps. These tests compare the packet numbers Files
// returns with the ones libpcap's own offline filter (pcap_open_offline +
// pcap_setfilter) keeps and, when it is installed, with tcpdump's.

// libpcapFileExprs are outside the static subset (the default build
// rejects them), except the last few, which are inside it: in this build
// they follow tcpdump too.
var libpcapFileExprs = []string{
	"tcp[tcpflags] & tcp-syn != 0",
	"tcp[tcpflags] & (tcp-syn|tcp-fin) = 0 and tcp[tcpflags] & tcp-push != 0",
	"len > 100",
	"greater 200",
	"less 80",
	"ip proto 6",
	"ip[8] = 64",
	"ip6[6] = 6 and greater 90",
	"ip6 protochain 6",
	"vlan and tcp",
	"vlan 100 and tcp[tcpflags] & tcp-ack != 0",
	"ether src d6:06:74:f8:29:27",
	"ether[0] & 1 = 0",
	"inbound",
	"tcp port 443 and ip[2:2] > 200",
	"host 10.200",
	// Inside the static subset:
	"tcp port 443",
	"portrange 8000-9000",
	"host 10.200.0.1 and not port 443",
}

// libpcapFilterFixtures: Ethernet, pcapng, Linux SLL2, a pcapng mixing
// Ethernet and SLL2 interfaces (which tcpdump cannot read: its filter is
// compiled for the first interface's link type), IPv6, VLAN, NULL, raw IP
// (LINKTYPE_RAW and LINKTYPE_IPV4), a big-endian file and two rotated
// files read as one capture.
var libpcapFilterFixtures = [][]string{
	{"pcaps/real/multi.pcap"},
	{"pcaps/real/tls12-full.pcapng"},
	{"pcaps/real/sll2-any.pcap"},
	{"pcaps/real/merged-eth-sll2.pcapng"},
	{"pcaps/real/tls12-ipv6.pcap"},
	{"pcaps/real/tls13-hrr.pcap"},
	{"pcaps/crafted/vlan-qinq.pcap"},
	{"pcaps/crafted/null-loopback.pcap"},
	{"pcaps/crafted/raw-101.pcap"},
	{"pcaps/crafted/raw-ipv4.pcap"},
	{"pcaps/crafted/big-endian.pcap"},
	{"pcaps/real/rotated/tls12-bulk.pcap", "pcaps/real/rotated/tls12-bulk.pcap1"},
	// Files of different link types read as one capture.
	{"pcaps/real/multi.pcap", "pcaps/real/sll2-any.pcap", "pcaps/crafted/raw-101.pcap"},
}

// fileRec is one record of a capture file, numbered from 1 per file.
type fileRec struct {
	file string
	n    uint64
	link layers.LinkType
	ci   gopacket.CaptureInfo
	data []byte
}

// readRecs reads every record of a pcap or pcapng file with pcapgo.
func readRecs(t *testing.T, path string) []fileRec {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type reader interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var r reader
	linkOf := func(gopacket.CaptureInfo) layers.LinkType { return 0 }
	if len(b) >= 4 && bytes.Equal(b[:4], []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		ng, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			t.Fatal(err)
		}
		r = ng
		linkOf = func(ci gopacket.CaptureInfo) layers.LinkType {
			iface, err := ng.Interface(ci.InterfaceIndex)
			if err != nil {
				t.Fatal(err)
			}
			return iface.LinkType
		}
	} else {
		pr, err := pcapgo.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r = pr
		linkOf = func(gopacket.CaptureInfo) layers.LinkType { return pr.LinkType() }
	}
	var recs []fileRec
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return recs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		recs = append(recs, fileRec{file: path, n: uint64(len(recs) + 1), link: linkOf(ci), ci: ci, data: bytes.Clone(data)})
	}
}

// pktKey names a packet: its file and number.
type pktKey struct {
	file string
	n    uint64
}

// filesKeep returns the packets Files returns as TCP segments.
func filesKeep(t *testing.T, names []string, f *filter.Filter) []pktKey {
	t.Helper()
	fs, err := OpenFiles(names, nil, Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	var out []pktKey
	for {
		seg, err := fs.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%v: %v", names, err)
		}
		out = append(out, pktKey{seg.File, seg.Packet})
	}
	st := fs.Stats()
	if f == nil && st.Filtered != 0 {
		t.Errorf("%v: %d filtered without a filter", names, st.Filtered)
	}
	return out
}

// place maps the packets of a filtered capture (read from r) back to recs
// by content and time: both are in file order, so a greedy walk is exact.
func place(t *testing.T, recs []fileRec, next func() ([]byte, gopacket.CaptureInfo, error)) []pktKey {
	t.Helper()
	var out []pktKey
	j := 0
	for {
		data, ci, err := next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for j < len(recs) && !(bytes.Equal(recs[j].data, data) && recs[j].ci.Timestamp.Equal(ci.Timestamp)) {
			j++
		}
		if j == len(recs) {
			t.Fatalf("a packet the oracle kept (%d bytes at %v) is not in the capture", len(data), ci.Timestamp)
		}
		out = append(out, pktKey{recs[j].file, recs[j].n})
		j++
	}
}

// splitByLink returns the file itself if all its records have one link
// type, else one classic pcap per link type, written to dir, with the
// records that go in each: tcpdump and libpcap read a pcapng's interfaces
// only if they all have the first one's link type.
func splitByLink(t *testing.T, dir, path string, recs []fileRec) map[string][]fileRec {
	t.Helper()
	by := map[layers.LinkType][]fileRec{}
	for _, r := range recs {
		by[r.link] = append(by[r.link], r)
	}
	if len(by) == 1 {
		return map[string][]fileRec{path: recs}
	}
	out := map[string][]fileRec{}
	for lt, rs := range by {
		name := filepath.Join(dir, fmt.Sprintf("%s-%d.pcap", filepath.Base(path), lt))
		var buf bytes.Buffer
		w := pcapgo.NewWriterNanos(&buf)
		if err := w.WriteFileHeader(262144, lt); err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			ci := r.ci
			ci.InterfaceIndex = 0
			if err := w.WritePacket(ci, r.data); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out[name] = rs
	}
	return out
}

// libpcapKeeps runs libpcap's own offline filter on path; ok is false when
// libpcap cannot compile expr for its link type (then tcpdump refuses to
// run, and Files keeps nothing of it).
func libpcapKeeps(t *testing.T, path, expr string, recs []fileRec) (keys []pktKey, ok bool) {
	t.Helper()
	h, err := pcap.OpenOffline(path)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.SetBPFFilter(expr); err != nil {
		return nil, false
	}
	return place(t, recs, h.ReadPacketData), true
}

// tcpdumpKeeps runs tcpdump -r path -w - expr.
func tcpdumpKeeps(t *testing.T, tcpdump, path, expr string, recs []fileRec) (keys []pktKey, ok bool) {
	t.Helper()
	cmd := exec.Command(tcpdump, "-nn", "-r", path, "-w", "-", expr)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "expression rejects all packets") {
			return nil, true
		}
		return nil, false
	}
	r, err := pcapgo.NewReader(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("tcpdump -r %s %q: %v (%s)", path, expr, err, stderr.String())
	}
	return place(t, recs, r.ReadPacketData), true
}

// TestLibpcapFilesFilter: on each fixture and for each expression, Files
// keeps exactly the TCP packets libpcap's offline filter (and tcpdump)
// keeps.
func TestLibpcapFilesFilter(t *testing.T) {
	root := testkit.ModuleRoot(t)
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Log("tcpdump is not installed: comparing with libpcap's offline filter only")
	}
	dir := t.TempDir()
	fixtures := append(slices.Clone(libpcapFilterFixtures),
		[]string{writeCut(t, dir, filepath.Join(root, "pcaps/real/multi.pcap"), 96)},
		[]string{writeBigEndianNull(t, dir, filepath.Join(root, "pcaps/crafted/null-loopback.pcap"))})
	matchedSome := map[string]bool{} // expr -> kept a packet somewhere
	filteredSome := map[string]bool{}
	for _, names := range fixtures {
		paths := make([]string, len(names))
		var oracles []map[string][]fileRec // per input: oracle file -> its records
		for i, n := range names {
			paths[i] = n
			if !filepath.IsAbs(n) {
				paths[i] = filepath.Join(root, n)
			}
			oracles = append(oracles, splitByLink(t, dir, paths[i], readRecs(t, paths[i])))
		}
		tcpAll := map[pktKey]bool{}
		for _, k := range filesKeep(t, paths, nil) {
			tcpAll[k] = true
		}
		if len(tcpAll) == 0 {
			t.Fatalf("%v: no TCP segments", names)
		}
		for _, expr := range libpcapFileExprs {
			f, err := filter.Parse(expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", expr, err)
			}
			got := filesKeep(t, paths, f)
			for _, k := range got {
				if !tcpAll[k] {
					t.Errorf("%v %q: %v is not a TCP segment Files returns unfiltered", names, expr, k)
				}
			}
			var want, wantTcpdump []pktKey
			compareTcpdump := tcpdump != ""
			for _, o := range oracles {
				for file, recs := range o {
					keys, _ := libpcapKeeps(t, file, expr, recs)
					want = append(want, keys...)
					if compareTcpdump {
						keys, ok := tcpdumpKeeps(t, tcpdump, file, expr, recs)
						if !ok {
							if _, lok := libpcapKeeps(t, file, expr, recs); lok {
								t.Errorf("tcpdump -r %s %q failed where libpcap compiles it", file, expr)
							}
						}
						wantTcpdump = append(wantTcpdump, keys...)
					}
				}
			}
			want = tcpOnly(want, tcpAll)
			sortKeys(got)
			if !slices.Equal(got, want) {
				t.Errorf("%v %q:\n Files kept   %v\n libpcap kept %v (TCP segments only)", names, expr, got, want)
			}
			if compareTcpdump {
				if wantTcpdump = tcpOnly(wantTcpdump, tcpAll); !slices.Equal(got, wantTcpdump) {
					t.Errorf("%v %q:\n Files kept   %v\n tcpdump kept %v (TCP segments only)", names, expr, got, wantTcpdump)
				}
			}
			matchedSome[expr] = matchedSome[expr] || len(got) > 0
			filteredSome[expr] = filteredSome[expr] || len(got) < len(tcpAll)
		}
	}
	// Each expression must tell packets apart somewhere, or it tests little.
	for _, expr := range libpcapFileExprs {
		if !matchedSome[expr] || !filteredSome[expr] {
			t.Errorf("%q: kept something %v, dropped something %v over all fixtures; want both", expr, matchedSome[expr], filteredSome[expr])
		}
	}
}

// writeCut writes a copy of the capture at path with every packet cut to
// snaplen bytes, as tcpdump -s would have captured it: "len", "less" and
// "greater" must see the length on the wire, not the captured length.
func writeCut(t *testing.T, dir, path string, snaplen int) string {
	t.Helper()
	recs := readRecs(t, path)
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(uint32(snaplen), recs[0].link); err != nil {
		t.Fatal(err)
	}
	cut := 0
	for _, r := range recs {
		data := r.data
		if len(data) > snaplen {
			data = data[:snaplen]
			cut++
		}
		ci := r.ci
		ci.CaptureLength = len(data)
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if cut == 0 {
		t.Fatalf("%s: no packet longer than %d bytes", path, snaplen)
	}
	name := filepath.Join(dir, fmt.Sprintf("cut%d-%s", snaplen, filepath.Base(path)))
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// writeBigEndianNull writes the NULL capture at path as a big-endian host
// would have: the file header, the record headers and each packet's
// address family in big-endian order. libpcap's NULL program tests the
// family in the file's byte order.
func writeBigEndianNull(t *testing.T, dir, path string) string {
	t.Helper()
	recs := readRecs(t, path)
	be := binary.BigEndian
	var b []byte
	b = be.AppendUint32(b, 0xa1b2c3d4)
	b = be.AppendUint16(b, 2)
	b = be.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)
	b = be.AppendUint32(b, 262144)
	b = be.AppendUint32(b, uint32(layers.LinkTypeNull))
	for _, r := range recs {
		if r.link != layers.LinkTypeNull || len(r.data) < 4 {
			t.Fatalf("%s: not a NULL capture", path)
		}
		b = be.AppendUint32(b, uint32(r.ci.Timestamp.Unix()))
		b = be.AppendUint32(b, uint32(r.ci.Timestamp.Nanosecond()/1000))
		b = be.AppendUint32(b, uint32(len(r.data)))
		b = be.AppendUint32(b, uint32(r.ci.Length))
		b = be.AppendUint32(b, binary.LittleEndian.Uint32(r.data))
		b = append(b, r.data[4:]...)
	}
	name := filepath.Join(dir, "be-"+filepath.Base(path))
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func tcpOnly(keys []pktKey, tcp map[pktKey]bool) []pktKey {
	out := []pktKey{}
	for _, k := range keys {
		if tcp[k] {
			out = append(out, k)
		}
	}
	sortKeys(out)
	return out
}

func sortKeys(keys []pktKey) {
	slices.SortFunc(keys, func(a, b pktKey) int {
		if c := strings.Compare(a.file, b.file); c != 0 {
			return c
		}
		return int(a.n) - int(b.n)
	})
}
