// Command mutate makes mutated captures for the -j identity tests: it
// takes classic pcap files and damages them the ways field captures are
// damaged (clock jumps forward and back, a SYN stamped minutes early,
// records cut or claiming more than the limit, flipped bytes).
//
//	go run ./pcaps/craft/mutate -out pipeline/testdata/identity
//
// writes the committed sample (the list in sample below), byte-identical
// on every run. With -explore N it writes N random mutations of the given
// pcaps instead (seeded by -seed), for a search for -j differences:
//
//	go run ./pcaps/craft/mutate -explore 5000 -seed 1 -out /tmp/mut pcaps/real/*.pcap
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	out := flag.String("out", "pipeline/testdata/identity", "directory to write to")
	explore := flag.Int("explore", 0, "write this many random mutations of the files named instead of the sample")
	seed := flag.Uint64("seed", 1, "random seed for -explore")
	root := flag.String("root", ".", "the repository's root (sample inputs are named from it)")
	flag.Parse()
	var err error
	if *explore > 0 {
		err = exploreN(*out, *explore, *seed, flag.Args())
	} else {
		err = writeSample(*root, *out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(1)
	}
}

// pcapFile is a classic pcap split into records; edits act on them.
type pcapFile struct {
	hdr   []byte
	order binary.ByteOrder
	nano  bool
	recs  []record
	tail  []byte // bytes after the last whole record
}

type record struct {
	hdr  [16]byte
	data []byte
}

func parse(b []byte) (*pcapFile, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("short file")
	}
	f := &pcapFile{hdr: b[:24]}
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4:
		f.order = binary.LittleEndian
	case 0xa1b23c4d:
		f.order, f.nano = binary.LittleEndian, true
	case 0xd4c3b2a1:
		f.order = binary.BigEndian
	case 0x4d3cb2a1:
		f.order, f.nano = binary.BigEndian, true
	default:
		return nil, fmt.Errorf("not a classic pcap")
	}
	b = b[24:]
	for len(b) >= 16 {
		n := int(f.order.Uint32(b[8:]))
		if n > len(b)-16 {
			break
		}
		var r record
		copy(r.hdr[:], b)
		r.data = b[16 : 16+n]
		f.recs = append(f.recs, r)
		b = b[16+n:]
	}
	f.tail = b
	return f, nil
}

func (f *pcapFile) bytes() []byte {
	out := append([]byte(nil), f.hdr...)
	for _, r := range f.recs {
		out = append(out, r.hdr[:]...)
		out = append(out, r.data...)
	}
	return append(out, f.tail...)
}

func (f *pcapFile) time(i int) time.Time {
	h := f.recs[i].hdr[:]
	sec, frac := int64(f.order.Uint32(h)), int64(f.order.Uint32(h[4:]))
	if f.nano {
		return time.Unix(sec, frac)
	}
	return time.Unix(sec, frac*1000)
}

func (f *pcapFile) setTime(i int, t time.Time) {
	h := f.recs[i].hdr[:]
	if t.Unix() < 0 {
		t = time.Unix(0, 0)
	}
	f.order.PutUint32(h, uint32(t.Unix()))
	if f.nano {
		f.order.PutUint32(h[4:], uint32(t.Nanosecond()))
	} else {
		f.order.PutUint32(h[4:], uint32(t.Nanosecond()/1000))
	}
}

// isSYN reports whether record i looks like a TCP SYN without ACK over
// Ethernet/IPv4 or IPv6 (good enough to aim the "SYN back in time"
// mutation; other link types fall back to any packet).
func (f *pcapFile) isSYN(i int) bool {
	d := f.recs[i].data
	if len(d) < 14 {
		return false
	}
	et, p := binary.BigEndian.Uint16(d[12:]), d[14:]
	for et == 0x8100 && len(p) >= 4 {
		et, p = binary.BigEndian.Uint16(p[2:]), p[4:]
	}
	var tcp []byte
	switch {
	case et == 0x0800 && len(p) >= 20 && p[9] == 6:
		tcp = p[int(p[0]&0xf)*4:]
	case et == 0x86dd && len(p) >= 40 && p[6] == 6:
		tcp = p[40:]
	default:
		return false
	}
	return len(tcp) >= 14 && tcp[13]&0x12 == 0x02
}

// The mutations. Each takes its parameters explicitly, so the committed
// sample names them.

// shiftFrom moves every packet from index i on by d (a clock jump).
func (f *pcapFile) shiftFrom(i int, d time.Duration) {
	for j := i; j < len(f.recs); j++ {
		f.setTime(j, f.time(j).Add(d))
	}
}

// shiftOne moves packet i alone by d (one packet stamped early or late).
func (f *pcapFile) shiftOne(i int, d time.Duration) { f.setTime(i, f.time(i).Add(d)) }

// cut ends the file n bytes into record i (inside its header or data).
func (f *pcapFile) cut(i, n int) {
	r := f.recs[i]
	b := append(r.hdr[:], r.data...)
	f.tail = append([]byte(nil), b[:min(n, len(b))]...)
	f.recs = f.recs[:i]
}

// bigRecord makes record i claim caplen bytes (over capture's 256 KiB
// limit, or just more than is left): a file error in the middle.
func (f *pcapFile) bigRecord(i int, caplen uint32) {
	f.order.PutUint32(f.recs[i].hdr[8:], caplen)
	f.order.PutUint32(f.recs[i].hdr[12:], caplen)
}

// flip xors byte off of the file's records (header and data as written)
// with x.
func (f *pcapFile) flip(off int, x byte) {
	for i := range f.recs {
		r := &f.recs[i]
		if off < 16 {
			r.hdr[off] ^= x
			return
		}
		off -= 16
		if off < len(r.data) {
			d := append([]byte(nil), r.data...)
			d[off] ^= x
			r.data = d
			return
		}
		off -= len(r.data)
	}
}

// merge interleaves g's records into f's by time, g's moved so that it
// starts off after f does (ports may collide: that is a test too). It
// reports false when the link types differ.
func (f *pcapFile) merge(g *pcapFile, off time.Duration) bool {
	if len(f.recs) == 0 || len(g.recs) == 0 || f.order.Uint32(f.hdr[20:]) != g.order.Uint32(g.hdr[20:]) {
		return false
	}
	d := f.time(0).Add(off).Sub(g.time(0))
	var out []record
	i, j := 0, 0
	for i < len(f.recs) || j < len(g.recs) {
		if j == len(g.recs) || (i < len(f.recs) && !f.time(i).After(g.time(j).Add(d))) {
			out = append(out, f.recs[i])
			i++
			continue
		}
		r := g.recs[j]
		t := g.time(j).Add(d)
		h := r.hdr[:]
		f.order.PutUint32(h[8:], g.order.Uint32(r.hdr[8:]))
		f.order.PutUint32(h[12:], g.order.Uint32(r.hdr[12:]))
		nr := record{hdr: [16]byte(h), data: r.data}
		tmp := &pcapFile{order: f.order, nano: f.nano, recs: []record{nr}}
		tmp.setTime(0, t)
		out = append(out, tmp.recs[0])
		j++
	}
	f.recs = out
	return true
}

// bumpPorts adds n to every TCP port above 30000 (the clients' ephemeral
// ports) of Ethernet/IPv4 records, so that a capture merged with a copy of
// itself carries distinct connections. Checksums are not fixed: tlsscan
// does not verify them.
func (f *pcapFile) bumpPorts(n uint16) {
	for i := range f.recs {
		d := append([]byte(nil), f.recs[i].data...)
		if len(d) < 34 || binary.BigEndian.Uint16(d[12:]) != 0x0800 || d[23] != 6 {
			continue
		}
		t := 14 + int(d[14]&0xf)*4
		if len(d) < t+4 {
			continue
		}
		for _, o := range []int{t, t + 2} {
			if p := binary.BigEndian.Uint16(d[o:]); p > 30000 {
				binary.BigEndian.PutUint16(d[o:], p+n)
			}
		}
		f.recs[i].data = d
	}
}

// copyOf is an independent copy of f's records (the data is shared until
// an edit replaces it).
func (f *pcapFile) copyOf() *pcapFile {
	return &pcapFile{hdr: f.hdr, order: f.order, nano: f.nano, recs: append([]record(nil), f.recs...)}
}

func (f *pcapFile) size() int {
	n := 0
	for _, r := range f.recs {
		n += 16 + len(r.data)
	}
	return n
}

var jumps = []time.Duration{
	time.Second, 30 * time.Second, time.Minute, 4*time.Minute + 55*time.Second, 5 * time.Minute,
	5*time.Minute + 10*time.Second, 7 * time.Minute, time.Hour, 24 * time.Hour, 365 * 24 * time.Hour,
	10 * 365 * 24 * time.Hour,
}

// mutateRandom applies one to three random mutations and names them.
func mutateRandom(f *pcapFile, rng *rand.Rand) string {
	var names []string
	for range 1 + rng.IntN(3) {
		if len(f.recs) < 2 {
			break
		}
		i := 1 + rng.IntN(len(f.recs)-1)
		d := jumps[rng.IntN(len(jumps))] + time.Duration(rng.IntN(1000))*time.Millisecond
		switch rng.IntN(8) {
		case 0:
			f.shiftFrom(i, d)
			names = append(names, fmt.Sprintf("fwd%d+%v", i, d))
		case 1:
			f.shiftFrom(i, -d)
			names = append(names, fmt.Sprintf("back%d-%v", i, d))
		case 2:
			var syns []int
			for j := range f.recs {
				if f.isSYN(j) {
					syns = append(syns, j)
				}
			}
			if len(syns) > 0 {
				i = syns[rng.IntN(len(syns))]
			}
			f.shiftOne(i, -d)
			names = append(names, fmt.Sprintf("synback%d-%v", i, d))
		case 3:
			f.shiftOne(i, d)
			names = append(names, fmt.Sprintf("late%d+%v", i, d))
		case 4:
			n := rng.IntN(16 + len(f.recs[i].data))
			f.cut(i, n)
			names = append(names, fmt.Sprintf("cut%d.%d", i, n))
		case 5:
			c := []uint32{262145, 1 << 20, 0xffffffff, uint32(len(f.recs[i].data) + 1 + rng.IntN(4096))}[rng.IntN(4)]
			f.bigRecord(i, c)
			names = append(names, fmt.Sprintf("big%d.%d", i, c))
		case 6, 7:
			off := rng.IntN(max(1, f.size()))
			x := byte(1 + rng.IntN(255))
			f.flip(off, x)
			names = append(names, fmt.Sprintf("flip%d^%d", off, x))
		}
	}
	return strings.Join(names, ",")
}

func exploreN(out string, n int, seed uint64, files []string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var ins [][]byte
	var names []string
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if _, err := parse(b); err != nil {
			continue
		}
		ins, names = append(ins, b), append(names, filepath.Base(p))
	}
	if len(ins) == 0 {
		return fmt.Errorf("no classic pcap among the files")
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	var index strings.Builder
	for k := range n {
		j := rng.IntN(len(ins))
		f, _ := parse(ins[j])
		what := ""
		if k2 := rng.IntN(len(ins)); rng.IntN(3) == 0 {
			g, _ := parse(ins[k2])
			off := time.Duration(rng.IntN(3000)) * time.Millisecond
			if f.merge(g, off) {
				what = fmt.Sprintf("merge(%s+%v),", names[k2], off)
			}
		}
		what += mutateRandom(f, rng)
		name := fmt.Sprintf("m%05d.pcap", k)
		if err := os.WriteFile(filepath.Join(out, name), f.bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&index, "%s %s %s\n", name, names[j], what)
	}
	return os.WriteFile(filepath.Join(out, "INDEX"), []byte(index.String()), 0o644)
}

const (
	day  = 24 * time.Hour
	year = 365 * day
)

// sample is the committed corpus: each file a committed capture with
// named mutations, chosen because the -j 1 and -j 2 outputs of tlsscan
// differed on it before issue 9's fixes, or to cover a kind of damage the
// search found harmless (the why column, written to INDEX).
var sample = []struct {
	name, src, why string
	mutate         func(f *pcapFile)
}{
	{"port-reuse-synback-1m.pcap", "pcaps/hostile/port-reuse.pcap",
		"order: the second connection's SYN stamped a minute early; -j 1 wrote the first row before the second began",
		func(f *pcapFile) { f.shiftOne(18, -time.Minute) }},
	{"ticket-rejected-synback-1h.pcap", "pcaps/real/tls12-ticket-rejected.pcap",
		"order: a SYN an hour back",
		func(f *pcapFile) { f.shiftOne(17, -time.Hour) }},
	{"sessionid-resume-synback-5m.pcap", "pcaps/real/tls12-sessionid-resume.pcap",
		"order: a SYN five minutes back, right at the idle timeout",
		func(f *pcapFile) { f.shiftOne(52, -5*time.Minute) }},
	{"multi-back-1m.pcap", "pcaps/real/multi.pcap",
		"order: the clock steps back a minute with connections open",
		func(f *pcapFile) { f.shiftFrom(78, -time.Minute) }},
	{"multi-back-10y.pcap", "pcaps/real/multi.pcap",
		"order: the clock steps back ten years",
		func(f *pcapFile) { f.shiftFrom(50, -10*year) }},
	{"multi-late-1h.pcap", "pcaps/real/multi.pcap",
		"idle: one packet stamped an hour late closes every open connection in a single Assembler; sharded, only its worker's did",
		func(f *pcapFile) { f.shiftOne(40, time.Hour) }},
	{"multi-late-7m.pcap", "pcaps/real/multi.pcap",
		"idle: one packet seven minutes late, just past the idle timeout",
		func(f *pcapFile) { f.shiftOne(70, 7*time.Minute) }},
	{"multi-fwd-1y.pcap", "pcaps/real/multi.pcap",
		"idle: the clock jumps a year forward with connections open; each reported once",
		func(f *pcapFile) { f.shiftFrom(60, year) }},
	{"multi-fwd-4m55s.pcap", "pcaps/real/multi.pcap",
		"idle: a jump just under the idle timeout closes nothing",
		func(f *pcapFile) { f.shiftFrom(60, 4*time.Minute+55*time.Second) }},
	{"multi-fwd-back.pcap", "pcaps/real/multi.pcap",
		"idle and order: a year forward, then ten minutes back",
		func(f *pcapFile) { f.shiftFrom(30, year); f.shiftFrom(90, -10*time.Minute) }},
	{"multi-back-big.pcap", "pcaps/real/multi.pcap",
		"file error: a record claiming 4 GB after a step back of 5m10s",
		func(f *pcapFile) { f.shiftFrom(21, -(5*time.Minute + 10*time.Second)); f.bigRecord(42, 0xffffffff) }},
	{"multi-big-262145.pcap", "pcaps/real/multi.pcap",
		"file error: a record one byte over the 256 KiB limit in the middle",
		func(f *pcapFile) { f.bigRecord(75, 262145) }},
	{"multi-cut.pcap", "pcaps/real/multi.pcap",
		"file error: the file ends inside a record header, connections open",
		func(f *pcapFile) { f.cut(84, 9) }},
	{"multi-cut-late.pcap", "pcaps/real/multi.pcap",
		"file error and idle: cut inside a packet after one stamped an hour late",
		func(f *pcapFile) { f.shiftOne(50, time.Hour); f.cut(100, 60) }},
	{"multi-flip.pcap", "pcaps/real/multi.pcap",
		"flipped bytes in record headers and payloads",
		func(f *pcapFile) { f.flip(3070, 174); f.flip(9425, 98); f.flip(17640, 239) }},
	{"malformed-record-back-1d.pcap", "pcaps/crafted/malformed-record.pcap",
		"order: a day back with a malformed record",
		func(f *pcapFile) { f.shiftFrom(3, -day) }},
	{"sll2-any-back-10y.pcap", "pcaps/real/sll2-any.pcap",
		"order on another link type: ten years back",
		func(f *pcapFile) { f.shiftFrom(4, -10*year) }},
	{"multi-x4-late-1h.pcap", "pcaps/real/multi.pcap",
		"idle: multi.pcap with three copies (ports moved) 3, 7 and 11 ms later, packet 166 stamped an hour late: -j 1 closed 44308 as idle there (truncated), -j 2 did not",
		func(f *pcapFile) {
			orig := f.copyOf()
			for i, off := range []time.Duration{3, 7, 11} {
				g := orig.copyOf()
				g.bumpPorts(uint16(1000 * (i + 1)))
				f.merge(g, off*time.Millisecond)
			}
			f.shiftOne(166, time.Hour)
		}},
	{"multi-merged-late.pcap", "pcaps/real/multi.pcap",
		"many connections at once over the workers: multi.pcap merged with itself 0.4 s later, one packet an hour late, a SYN a minute early",
		func(f *pcapFile) {
			f.merge(f.copyOf(), 400*time.Millisecond)
			f.shiftOne(120, time.Hour)
			for i := range f.recs {
				if i > 150 && f.isSYN(i) {
					f.shiftOne(i, -time.Minute)
					break
				}
			}
		}},
}

// writeSample writes the sample and its INDEX.
func writeSample(root, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var index strings.Builder
	index.WriteString("# Written by go run ./pcaps/craft/mutate; one line per file: name, source, why.\n")
	for _, s := range sample {
		b, err := os.ReadFile(filepath.Join(root, s.src))
		if err != nil {
			return err
		}
		f, err := parse(b)
		if err != nil {
			return fmt.Errorf("%s: %w", s.src, err)
		}
		s.mutate(f)
		if err := os.WriteFile(filepath.Join(out, s.name), f.bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&index, "%s\t%s\t%s\n", s.name, s.src, s.why)
	}
	return os.WriteFile(filepath.Join(out, "INDEX"), []byte(index.String()), 0o644)
}
