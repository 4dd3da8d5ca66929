//go:build libpcap && cgo

package filter

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// Expressions outside the static subset, which the libpcap build accepts.
var libpcapOnlyExprs = []string{
	"icmp",
	"icmp6",
	"arp",
	"vlan and tcp",
	"ip proto 6",
	"tcp[tcpflags] & tcp-syn != 0",
	"less 100",
	"greater 1000",
	"ether host 02:00:00:00:00:0a",
	"host 10.1",
	"ip6 protochain 6",
}

func TestLibpcapParse(t *testing.T) {
	for _, e := range libpcapOnlyExprs {
		f, err := Parse(e)
		if err != nil {
			t.Errorf("Parse(%q): %v", e, err)
			continue
		}
		if f.String() != e {
			t.Errorf("Parse(%q).String() = %q", e, f)
		}
		if f.Match(&Packet{IPVersion: 4, Proto: 1}) {
			t.Errorf("%q: Match without a static tree should be false", e)
		}
	}
	// libpcap's own errors, without a position.
	for expr, msg := range map[string]string{
		"tcp and udp": "libpcap: expression rejects all packets",
		"icmp6 foo":   "libpcap: can't parse filter expression: syntax error",
	} {
		_, err := Parse(expr)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Msg != msg || se.Pos != -1 {
			t.Errorf("Parse(%q) = %v, want %q at -1", expr, err, msg)
		}
	}
	// Where both reject, the static parser's message names the token.
	if _, err := Parse("port 99999"); err == nil || err.Error() != `filter "port 99999": port number 99999 out of range (0-65535)` {
		t.Errorf("port 99999: %v", err)
	}
}

// TestLibpcapAgainstTcpdump: MatchRaw and the Ethernet program for the
// full language agree with tcpdump exactly.
func TestLibpcapAgainstTcpdump(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump is not installed")
	}
	files := append(writeSynthetic(t, t.TempDir()), realCaptures(t)...)
	for _, path := range files {
		if strings.HasSuffix(path, ".gz") {
			continue
		}
		c := testkit.ReadFile(t, path)
		for _, e := range libpcapOnlyExprs {
			f, err := Parse(e)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(tcpdump, "-n", "-r", path, "-w", "/dev/null", e)
			if cmd.Run() != nil {
				continue // not valid for this link type (vlan on raw IP, say)
			}
			want := tcpdumpVerdicts(t, tcpdump, path, e, c)
			var v *vm
			if c.LinkType == layers.LinkTypeEthernet {
				raw, err := f.BPF(LayoutEthernet, 65535)
				switch {
				case strings.Contains(e, "protochain"):
					if err == nil || !strings.Contains(err.Error(), "jumps backwards") {
						t.Errorf("%q: BPF error %v, want the backward-jump one", e, err)
					}
				case err != nil:
					t.Fatal(err)
				default:
					v = newVM(t, raw)
				}
			}
			for i, p := range c.Packets {
				got, handled := f.MatchRaw(p.Data, p.Length, Link{c.LinkType, c.BigEndian})
				if !handled || got != want[i] {
					t.Errorf("%s packet %d %q: MatchRaw %v (handled %v), tcpdump %v", filepath.Base(path), i+1, e, got, handled, want[i])
				}
				if len(p.Data) < p.Length && (strings.HasPrefix(e, "less") || strings.HasPrefix(e, "greater")) {
					// The VM sees the captured length, tcpdump the
					// length on the wire (a kernel sees the whole
					// packet: the difference is for files only).
					continue
				}
				if v != nil {
					if got := v.run(t, p.Data, 0); got != want[i] {
						t.Errorf("%s packet %d %q: BPF %v, tcpdump %v", filepath.Base(path), i+1, e, got, want[i])
					}
				}
			}
		}
	}
}

func TestLibpcapCooked(t *testing.T) {
	// inbound reads the SLL packet type: it becomes SKF_AD_PKTTYPE.
	f, err := Parse("inbound and tcp")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := f.BPF(LayoutCooked, 65535)
	if err != nil {
		t.Fatal(err)
	}
	insns, _ := bpf.Disassemble(raw)
	var sawType, sawProto bool
	for _, in := range insns {
		if e, ok := in.(bpf.LoadExtension); ok {
			sawType = sawType || e.Num == bpf.ExtType
			sawProto = sawProto || e.Num == bpf.ExtProto
		}
	}
	if !sawType || !sawProto {
		t.Errorf("cooked program for %q: %v", f, insns)
	}
	// The rest of the cooked header is not there on a SOCK_DGRAM socket.
	f, err = Parse("link[6] = 2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.BPF(LayoutCooked, 65535); err == nil || !strings.Contains(err.Error(), "cannot provide") {
		t.Errorf("link[6] on a cooked socket: %v", err)
	}
	if _, err := f.BPF(LayoutEthernet, 65535); err != nil {
		t.Errorf("link[6] on Ethernet: %v", err)
	}
}

func TestLibpcapMatchRawUnknownLink(t *testing.T) {
	const bogus = layers.LinkType(9999)
	f, _ := Parse("tcp")
	if _, handled := f.MatchRaw([]byte{1, 2, 3}, 3, Link{Type: bogus}); handled {
		t.Error("tcp on an unknown link type: want handled=false, so the caller uses Match")
	}
	g, _ := Parse("icmp")
	if m, handled := g.MatchRaw([]byte{1, 2, 3}, 3, Link{Type: bogus}); m || !handled {
		t.Errorf("icmp on an unknown link type: got (%v, %v), want (false, true)", m, handled)
	}
}
