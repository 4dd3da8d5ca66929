package filter

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// compareExprs are run through tcpdump and through this package on every
// packet of the test captures. The addresses are those of the captures
// (real and synthetic), so that each expression matches something.
var compareExprs = []string{
	"",
	"tcp",
	"udp",
	"ip",
	"ip6",
	"ip6 and tcp",
	"ip and not tcp",
	"not (tcp or udp)",
	"port 443",
	"tcp port 443",
	"tcp port 443 or 8443",
	"port 443 or 8443 or 4433 or 3389",
	"port (443 or 4400)",
	"not port 22",
	"not tcp port 443",
	"udp port 53 or 5353",
	"src or dst port 443",
	"src and dst port 5353",
	"tcp dst port 443 or 22 or 6667",
	"host 192.168.6.74",
	"host 192.168.1.150 or 10.0.0.2 or 203.143.168.47",
	"ip host 10.1.2.3",
	"src host 192.168.1.200 and dst port 3389",
	"dst host 10.1.2.3 or dst host 192.168.4.149",
	"host 192.168.6.74 and (port 443 or 8443)",
	"net 192.168.0.0/16",
	"net 10",
	"net 172.16.0.0 mask 255.240.0.0",
	"not net 10.0.0.0/8",
	"dst net 192.168.1",
	"portrange 4000-5000",
	"udp portrange 1-100",
	"tcp src portrange 50000-65535",
	"portrange 0-1023 and not port 22",
	"(port 443 or port 4433) and not host 192.168.6.74",
	"tcp and port 443 or udp and port 53",
	"ip6 host 2001:db8::1",
	"ip6 net fd42:496a:d659:bb85::/64",
	"net 2001:db8::/32 and tcp",
	"host ::ffff:192.168.6.74",
	"net fe80::/10 or net ff00::/8",
	"ip6 and not port 443",
}

// A justified difference between tcpdump and an evaluator, with its reason.
// Each must be documented on Match or BPF.
const (
	whyARP    = "ARP: tcpdump's host/net without ip/ip6 also test ARP/RARP addresses; a Packet (and our BPF) is IP only"
	whyVLAN   = "VLAN tag: tcpdump without the vlan keyword sees only the tag's ethertype; the capture layer (and the kernel's VLAN offload, for the cooked view) look through it"
	whyIP6Ext = "IPv6 extension header: tcpdump tests the fixed header's next header (and one fragment header for tcp/udp); Packet.Proto is after the extension headers"
	whyShort  = "snaplen cut: tcpdump's program rejects the packet when a load falls outside the captured bytes; the decoded Packet tests what was captured"
)

type evaluator int

const (
	evMatch evaluator = iota
	evBPFEther
	evBPFCooked
	evMatchRaw
	numEvaluators
)

var evNames = [...]string{"Match", "BPF(LayoutEthernet)", "BPF(LayoutCooked)", "MatchRaw"}

// justified returns why an evaluator may disagree with tcpdump on a packet,
// or "" if it may not.
func justified(ev evaluator, in info) string {
	switch ev {
	case evMatch:
		switch {
		case in.arp:
			return whyARP
		case in.vlan:
			return whyVLAN
		case in.ip6ext:
			return whyIP6Ext
		case in.short:
			return whyShort
		}
	case evBPFEther:
		if in.arp && !Libpcap {
			return whyARP
		}
	case evBPFCooked:
		// The cooked view takes VLAN tags off, so tcpdump (which reads the
		// file with its tags) differs from both builds' programs there.
		switch {
		case in.vlan:
			return whyVLAN
		case in.arp && !Libpcap:
			return whyARP
		}
	}
	return ""
}

// tcpdumpVerdicts runs tcpdump -r file -w - expr and maps the packets it
// writes back to their indices in c (tcpdump keeps the order, so a greedy
// walk by content is exact: identical packets get identical verdicts).
func tcpdumpVerdicts(t *testing.T, tcpdump, file, expr string, c *testkit.File) []bool {
	t.Helper()
	cmd := exec.Command(tcpdump, "-n", "-r", file, "-w", "-", expr)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && strings.Contains(stderr.String(), "expression rejects all packets") {
		// libpcap's optimizer proved it ("ip6" on a raw IPv4 file).
		return make([]bool, len(c.Packets))
	}
	if err != nil {
		t.Fatalf("tcpdump -r %s %q: %v: %s", file, expr, err, stderr.String())
	}
	got, err := testkit.Read(out)
	if err != nil {
		t.Fatalf("tcpdump output for %q: %v", expr, err)
	}
	verdicts := make([]bool, len(c.Packets))
	j := 0
	for i, p := range c.Packets {
		if j < len(got.Packets) && bytes.Equal(got.Packets[j].Data, p.Data) {
			verdicts[i] = true
			j++
		}
	}
	if j != len(got.Packets) {
		t.Fatalf("tcpdump %q on %s: could not place %d of its %d packets", expr, file, len(got.Packets)-j, len(got.Packets))
	}
	return verdicts
}

// TestAgainstTcpdump checks Match, both BPF layouts and (in a libpcap
// build) MatchRaw against tcpdump, packet by packet, on real captures of
// every supported link type and on the synthetic one. Every difference must
// be one of the justified ones; they are counted and logged.
func TestAgainstTcpdump(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump is not installed (apt-get install -y tcpdump): skipping the comparison with tcpdump")
	}
	dir := t.TempDir()
	files := append(writeSynthetic(t, dir), realCaptures(t)...)
	if len(files) < 10 {
		t.Logf("only %d captures found (shared/corpus missing?)", len(files))
	}
	filters := make([]*Filter, len(compareExprs))
	for i, e := range compareExprs {
		f, err := Parse(e)
		if err != nil {
			t.Fatalf("Parse(%q): %v", e, err)
		}
		filters[i] = f
	}
	var mu sync.Mutex
	seen := map[string]int{} // justified reason -> count
	linkTypes := map[layers.LinkType]bool{}
	total := 0
	t.Cleanup(func() {
		var rs []string
		for r, n := range seen {
			rs = append(rs, fmt.Sprintf("%5d × %s", n, r))
		}
		sort.Strings(rs)
		t.Logf("%d packet verdicts compared per evaluator over %d captures (link types %v); justified differences:\n%s",
			total, len(files), keys(linkTypes), strings.Join(rs, "\n"))
	})
	for _, path := range files {
		c := testkit.ReadFile(t, path)
		file := path
		if strings.HasSuffix(path, ".gz") {
			// tcpdump does not read compressed files.
			file = filepath.Join(dir, strings.TrimSuffix(filepath.Base(path), ".gz"))
			pcap := testkit.Pcap(testkit.PcapHeader{LinkType: c.LinkType, Snaplen: 262144, Nanos: true}, c.Packets...)
			if err := os.WriteFile(file, pcap, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		linkTypes[c.LinkType] = true
		mu.Unlock()
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			pkts := make([]Packet, len(c.Packets))
			infos := make([]info, len(c.Packets))
			for i, p := range c.Packets {
				pkts[i], infos[i] = decode(p.Data, c.LinkType)
			}
			for fi, f := range filters {
				expr := compareExprs[fi]
				want := tcpdumpVerdicts(t, tcpdump, file, expr, c)
				var ether, cooked *vm
				if c.LinkType == layers.LinkTypeEthernet {
					raw, err := f.BPF(LayoutEthernet, 65535)
					if err != nil {
						t.Fatal(err)
					}
					ether = newVM(t, raw)
				}
				raw, err := f.BPF(LayoutCooked, 65535)
				if err != nil {
					t.Fatal(err)
				}
				cooked = newVM(t, raw)
				for i, p := range c.Packets {
					var got [numEvaluators]bool
					var ran [numEvaluators]bool
					got[evMatch], ran[evMatch] = f.Match(&pkts[i]), true
					if ether != nil {
						got[evBPFEther], ran[evBPFEther] = ether.run(t, p.Data, 0), true
					}
					if et, view, ok := cookedView(p.Data, c.LinkType); ok {
						got[evBPFCooked], ran[evBPFCooked] = cooked.run(t, view, et), true
					}
					got[evMatchRaw], ran[evMatchRaw] = f.MatchRaw(p.Data, p.Length, Link{c.LinkType, c.BigEndian})
					for ev := range numEvaluators {
						if !ran[ev] || got[ev] == want[i] {
							continue
						}
						why := justified(ev, infos[i])
						if why == "" {
							t.Errorf("%s: packet %d, %q: tcpdump %v, %s %v (packet %+v, %+v)",
								filepath.Base(path), i+1, expr, want[i], evNames[ev], got[ev], pkts[i], infos[i])
							continue
						}
						mu.Lock()
						seen[evNames[ev]+": "+why]++
						mu.Unlock()
					}
				}
				mu.Lock()
				total += len(c.Packets)
				mu.Unlock()
			}
		})
	}
}

func keys[K comparable](m map[K]bool) []K {
	var out []K
	for k := range m {
		out = append(out, k)
	}
	return out
}
