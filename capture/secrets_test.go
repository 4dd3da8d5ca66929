package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// Options.Secrets: the Decryption Secrets Blocks of pcapng files (editcap
// --inject-secrets) handed to the caller.

const (
	secTLSK    = 0x544c534b // NSS key log
	secWGKL    = 0x57474b4c // WireGuard keys: reported like any other type
	secUnknown = 0x00000200 // an unassigned block type, which every reader skips
)

// secFile writes a pcapng file block by block and notes, for each secrets
// block, how many packets come before it.
type secFile struct {
	testkit.NGWriter
	t    *testing.T
	pkts int
	want []secGot
}

// secGot is one call of Options.Secrets; pkts is the number of segments
// Next had returned at the call (for a wanted one: the number of packets
// before the block in the file, which bounds it).
type secGot struct {
	typ  uint32
	data string
	pkts int
}

func (g secGot) String() string {
	d := g.data
	if len(d) > 40 {
		d = fmt.Sprintf("%.40s... (%d bytes)", d, len(d))
	}
	return fmt.Sprintf("{%#x %q after %d packets}", g.typ, d, g.pkts)
}

func (f *secFile) order() binary.AppendByteOrder {
	if f.BigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// section starts a section in the given byte order, with one Ethernet
// interface.
func (f *secFile) section(big bool) {
	f.BigEndian = big
	f.SectionHeader()
	f.InterfaceDescription(layers.LinkTypeEthernet, 0)
}

func (f *secFile) packet() {
	p := srcP4
	p.seq = uint32(f.pkts)
	f.EnhancedPacket(testkit.Packet{Data: p.eth(f.t), Time: srcT0.Add(time.Duration(f.pkts) * time.Second)})
	f.pkts++
}

// secrets writes a decryption secrets block, which must be reported.
func (f *secFile) secrets(typ uint32, data string) {
	f.secretsLen(typ, data, uint32(len(data)))
	f.want = append(f.want, secGot{typ, data, f.pkts})
}

// secretsLen writes a decryption secrets block with the given secrets
// length field.
func (f *secFile) secretsLen(typ uint32, data string, n uint32) {
	o := f.order()
	body := o.AppendUint32(nil, typ)
	body = o.AppendUint32(body, n)
	f.Block(ngDecryptionSecrets, append(body, data...))
}

// unknown writes a block of a type readers skip, n bytes of body.
func (f *secFile) unknown(n int) { f.Block(secUnknown, make([]byte, n)) }

// secKeys returns n NSS key log lines, each different.
func secKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "CLIENT_HANDSHAKE_TRAFFIC_SECRET %064x %096x\n", i, i*7+1)
	}
	return b.String()
}

// secRead reads names (or stdin as "-") to the end with Options.Secrets set.
func secRead(t *testing.T, names []string, stdin io.Reader) (got []secGot, segs []srcGot, errs []string) {
	t.Helper()
	f, err := OpenFiles(names, stdin, Options{Secrets: func(typ uint32, data []byte) {
		got = append(got, secGot{typ, string(data), len(segs)})
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatal("Next does not terminate")
		}
		s, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Next: %v is not a *FileError", err)
			}
			// Without the file name, the same in every mode.
			errs = append(errs, fmt.Sprintf("packet %d: %v", fe.Packet, fe.Err))
			continue
		}
		segs = append(segs, srcSummary(s))
	}
	return got, segs, errs
}

// secCheck compares the secrets reported with those wanted: the same, in the
// same order, each reported before the packets that follow it.
func secCheck(t *testing.T, got, want []secGot) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) {
			t.Fatalf("%d secrets reported, want %d; the first one too many or missing is %v",
				len(got), len(want), append(got[i:], want[i:]...)[0])
		}
		if got[i].typ != want[i].typ || got[i].data != want[i].data {
			t.Errorf("secrets %d: got %v, want %v", i, got[i], want[i])
		}
		if got[i].pkts > want[i].pkts {
			t.Errorf("secrets %d reported after %d packets, want at most %d (the packets before it in the file)", i, got[i].pkts, want[i].pkts)
		}
	}
}

func TestSecrets(t *testing.T) {
	big := secKeys(15000) // some 3 MiB, three times the read buffer
	tests := []struct {
		name  string
		build func(f *secFile)
		errs  []string // wanted errors, without the file name
	}{
		{
			name: "before the first packet",
			build: func(f *secFile) {
				f.section(false)
				f.secrets(secTLSK, secKeys(3))
				f.packet()
				f.packet()
			},
		},
		{
			name: "before the first packet, big-endian",
			build: func(f *secFile) {
				f.section(true)
				f.secrets(secTLSK, secKeys(3))
				f.packet()
				f.packet()
			},
		},
		{
			name: "before the interface",
			build: func(f *secFile) {
				f.SectionHeader()
				f.secrets(secTLSK, secKeys(1))
				f.InterfaceDescription(layers.LinkTypeEthernet, 0)
				f.packet()
			},
		},
		{
			name: "between packets",
			build: func(f *secFile) {
				f.section(false)
				f.packet()
				f.secrets(secTLSK, secKeys(2))
				f.packet()
			},
		},
		{
			name: "between packets, big-endian",
			build: func(f *secFile) {
				f.section(true)
				f.packet()
				f.secrets(secTLSK, secKeys(2))
				f.packet()
			},
		},
		{
			name: "two blocks, unpadded, other secrets type",
			build: func(f *secFile) {
				f.section(false)
				f.secrets(secTLSK, "CLIENT_RANDOM 00 11\n") // 20 bytes
				f.packet()
				f.secrets(secWGKL, "LOCAL_STATIC_PRIVATE_KEY = abc=\n...") // 35 bytes, padded
				f.secrets(secTLSK, "")
				f.packet()
			},
		},
		{
			name: "second section, other byte order",
			build: func(f *secFile) {
				f.section(false)
				f.secrets(secTLSK, secKeys(1))
				f.packet()
				f.section(true)
				f.secrets(secTLSK, "second\n")
				f.packet()
				f.section(false)
				f.packet()
				f.secrets(secTLSK, "third")
				f.packet()
			},
		},
		{
			name: "bigger than the read buffer",
			build: func(f *secFile) {
				f.section(false)
				f.packet()
				f.secrets(secTLSK, big)
				f.packet()
				f.secrets(secTLSK, "after\n")
				f.packet()
			},
		},
		{
			name: "bigger than the read buffer, big-endian, before the first packet",
			build: func(f *secFile) {
				f.section(true)
				f.secrets(secTLSK, big)
				f.packet()
			},
		},
		{
			// The look-ahead loses sync at a block it cannot see whole.
			name: "after a block bigger than the read buffer",
			build: func(f *secFile) {
				f.section(false)
				f.packet()
				f.unknown(3 << 19)
				f.packet()
				f.secrets(secTLSK, secKeys(2))
				f.packet()
				f.section(true)
				f.secrets(secTLSK, "other order\n")
				f.packet()
			},
		},
		{
			// The look-ahead runs out of buffer before the first packet.
			name: "more blocks than the read buffer holds",
			build: func(f *secFile) {
				f.section(false)
				for i := range 3000 {
					f.secrets(secTLSK, secKeys(1)+strings.Repeat("x", i%7))
				}
				f.packet()
				f.secrets(secTLSK, "last\n")
				f.packet()
			},
		},
		{
			name: "secrets length beyond the block",
			build: func(f *secFile) {
				f.section(false)
				f.secrets(secTLSK, "good\n")
				f.packet()
				f.secretsLen(secTLSK, "CLIENT_RANDOM 00 11\n", 1<<30)
				f.packet()
			},
			errs: []string{"packet 2: malformed pcapng decryption secrets block (length 40, secrets length 1073741824)"},
		},
		{
			name: "secrets length beyond the block, big-endian",
			build: func(f *secFile) {
				f.section(true)
				f.packet()
				f.secretsLen(secTLSK, "CLIENT_RANDOM 00 11\n", 21)
				f.packet()
			},
			errs: []string{"packet 2: malformed pcapng decryption secrets block (length 40, secrets length 21)"},
		},
		{
			// Out of sync, the look-ahead does not see it; pcapgo skips it
			// as any block, and so is it skipped here.
			name: "secrets length beyond the block, after a block bigger than the read buffer",
			build: func(f *secFile) {
				f.section(false)
				f.unknown(3 << 19)
				f.packet()
				f.secretsLen(secTLSK, "CLIENT_RANDOM 00 11\n", 1<<30)
				f.packet()
				f.secrets(secTLSK, "good\n")
				f.packet()
			},
		},
	}
	modes := []struct {
		name string
		read func(t *testing.T, b []byte) ([]secGot, []srcGot, []string)
	}{
		{"file", func(t *testing.T, b []byte) ([]secGot, []srcGot, []string) {
			srcInDir(t, map[string][]byte{"s.pcapng": b})
			return secRead(t, []string{"s.pcapng"}, nil)
		}},
		{"gzip", func(t *testing.T, b []byte) ([]secGot, []srcGot, []string) {
			srcInDir(t, map[string][]byte{"s.pcapng.gz": testkit.Gzip(b)})
			return secRead(t, []string{"s.pcapng.gz"}, nil)
		}},
		// One byte a read: every block header and secrets span reads.
		{"stdin, one byte a read", func(t *testing.T, b []byte) ([]secGot, []srcGot, []string) {
			return secRead(t, []string{"-"}, iotest.OneByteReader(bytes.NewReader(b)))
		}},
	}
	for _, tt := range tests {
		for _, m := range modes {
			t.Run(tt.name+"/"+m.name, func(t *testing.T) {
				f := &secFile{t: t}
				tt.build(f)
				got, segs, errs := m.read(t, f.Bytes())
				secCheck(t, got, f.want)
				if len(segs)+len(errs) != f.pkts {
					t.Errorf("%d segments and %d errors, want %d packets in all", len(segs), len(errs), f.pkts)
				}
				for i, s := range segs {
					if s.seq != uint32(i) {
						t.Errorf("segment %d: seq %d", i, s.seq)
					}
				}
				if !reflect.DeepEqual(errs, tt.errs) {
					t.Errorf("errors %q, want %q", errs, tt.errs)
				}
			})
		}
	}
}

// Without Options.Secrets, the blocks are skipped as before; with it, a
// classic pcap file and an absent one report nothing.
func TestSecretsOtherInputs(t *testing.T) {
	f := &secFile{t: t}
	f.section(false)
	f.secrets(secTLSK, secKeys(1))
	f.packet()
	eth := layers.LinkTypeEthernet
	srcInDir(t, map[string][]byte{
		"s.pcapng": f.Bytes(),
		"p.pcap":   testkit.Pcap(testkit.PcapHeader{LinkType: eth, Snaplen: 65535}, srcRecs(srcP4.eth(t), srcP6.eth(t))...),
	})
	if segs, errs := srcReadAll(t, srcOpen(t, "s.pcapng")); len(segs) != 1 || errs != nil {
		t.Errorf("without Secrets: %v %q", segs, errs)
	}
	got, segs, errs := secRead(t, []string{"p.pcap", "missing"}, nil)
	if got != nil || len(segs) != 2 || !reflect.DeepEqual(errs, []string{"packet 0: no such file or directory"}) {
		t.Errorf("pcap: secrets %v, %d segments, errors %q", got, len(segs), errs)
	}
}

// Files are opened once to order them by their first packet and again to
// be read: the secrets come when a file is read, once, not when it is
// probed. Standard input is read once: it reports while it is probed.
func TestSecretsFileOrder(t *testing.T) {
	file := func(first int, secrets string) []byte {
		f := &secFile{t: t, pkts: first}
		f.section(false)
		f.secrets(secTLSK, secrets)
		f.packet()
		f.packet()
		return f.Bytes()
	}
	srcInDir(t, map[string][]byte{
		"late":  file(100, "late\n"),
		"early": testkit.Gzip(file(0, "early\n")),
	})
	got, segs, errs := secRead(t, []string{"late", "-", "early"}, bytes.NewReader(file(50, "stdin\n")))
	// Standard input is probed (and its secrets reported) before any packet;
	// the files as they are read.
	want := []secGot{{secTLSK, "stdin\n", 0}, {secTLSK, "early\n", 0}, {secTLSK, "late\n", 4}}
	if !reflect.DeepEqual(got, want) || errs != nil {
		t.Errorf("secrets %v, errors %q, want %v", got, errs, want)
	}
	var files []string
	for _, s := range segs {
		files = append(files, fmt.Sprint(s.file, s.seq))
	}
	if want := []string{"early0", "early1", "-50", "-51", "late100", "late101"}; !reflect.DeepEqual(files, want) {
		t.Errorf("read %q, want %q", files, want)
	}
}

// A capture written by editcap --inject-secrets (see pcaps/real/keylog).
func TestSecretsRealCapture(t *testing.T) {
	name := filepath.Join(testkit.ModuleRoot(t), "pcaps", "real", "keylog", "tls13-mtls-dsb.pcapng")
	if _, err := os.Stat(name); err != nil {
		t.Skipf("%s not present: %v", name, err)
	}
	got, segs, errs := secRead(t, []string{name}, nil)
	if len(got) == 0 || errs != nil || len(segs) == 0 {
		t.Fatalf("secrets %v, %d segments, errors %q", got, len(segs), errs)
	}
	var all strings.Builder
	for _, g := range got {
		if g.typ != secTLSK {
			t.Errorf("secrets type %#x, want TLSK", g.typ)
		}
		all.WriteString(g.data)
	}
	if !strings.Contains(all.String(), "CLIENT_HANDSHAKE_TRAFFIC_SECRET") {
		t.Errorf("no CLIENT_HANDSHAKE_TRAFFIC_SECRET in the secrets: %v", got)
	}
}

// However the stream is cut into reads, the tap parses it the same: all the
// reads of a file read to its end report the same secrets. A file that ends
// in an error reports the secrets in the part of it read, which depends on
// how far it was read ahead: either list is then a prefix of the other.
func FuzzSecretsReads(f *testing.F) {
	t := &testing.T{}
	for _, build := range []func(w *secFile){
		func(w *secFile) { w.section(false); w.secrets(secTLSK, "CLIENT_RANDOM 00 11\n"); w.packet() },
		func(w *secFile) {
			w.section(true)
			w.packet()
			w.secrets(secWGKL, "k")
			w.section(false)
			w.secrets(secTLSK, "")
		},
		func(w *secFile) { w.section(false); w.secretsLen(secTLSK, "abcd", 9); w.secrets(secTLSK, "x") },
	} {
		w := &secFile{t: t}
		build(w)
		f.Add(w.Bytes(), uint8(3))
	}
	f.Fuzz(func(t *testing.T, b []byte, n uint8) {
		read := func(r io.Reader) (got []secGot, failed bool) {
			fs, err := OpenFiles([]string{"-"}, r, Options{Secrets: func(typ uint32, data []byte) {
				got = append(got, secGot{typ: typ, data: string(data)})
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer fs.Close()
			for range 100000 {
				_, err := fs.Next()
				if err == io.EOF {
					return got, failed
				}
				failed = failed || err != nil
			}
			t.Fatal("Next does not terminate")
			return nil, false
		}
		whole, failed := read(bytes.NewReader(b))
		cut, _ := read(&secChunks{b: b, n: int(n%16) + 1})
		short, long := whole, cut
		if len(short) > len(long) {
			short, long = long, short
		}
		if !failed && len(short) != len(long) || !slices.Equal(short, long[:len(short)]) {
			t.Errorf("whole reads: %v\nreads of %d bytes: %v", whole, n%16+1, cut)
		}
	})
}

// secChunks reads b n bytes at a time.
type secChunks struct {
	b []byte
	n int
}

func (c *secChunks) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}
