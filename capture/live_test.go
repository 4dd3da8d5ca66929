//go:build linux

package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/tlsscan/tlsscan/capture/filter"
	"github.com/tlsscan/tlsscan/internal/testkit"
)

// Live capture tests. Those that capture run on an OS thread moved into a
// network namespace of its own (unshare(CLONE_NEWNET)), where only the
// test's loopback traffic exists; the namespace disappears with the thread,
// so nothing is left behind whatever happens. They need root and skip
// without it.

// liveRequireRoot skips the test when it cannot capture.
func liveRequireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: live capture (AF_PACKET) in a private network namespace; run the tests as root to cover it")
	}
}

// liveInNetns runs fn on a locked OS thread in a fresh network namespace,
// with lo up when loUp is set. The thread is never unlocked, so it and the
// namespace end with fn.
func liveInNetns(t *testing.T, loUp bool, fn func() error) {
	t.Helper()
	type result struct {
		skip string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		var r result
		defer func() {
			if p := recover(); p != nil {
				r.err = fmt.Errorf("panic: %v", p)
			}
			done <- r
		}()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			r.skip = fmt.Sprintf("cannot create a network namespace (unshare CLONE_NEWNET): %v", err)
			return
		}
		if loUp {
			if err := liveLoUp(); err != nil {
				r.err = fmt.Errorf("bringing lo up: %w", err)
				return
			}
		}
		r.err = fn()
	}()
	select {
	case r := <-done:
		if r.skip != "" {
			t.Skip(r.skip)
		}
		if r.err != nil {
			t.Fatal(r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the test's namespace thread did not finish within 30 s")
	}
}

func liveLoUp() error { return liveLinkSet("lo", true) }

// liveExchange makes one TCP connection to addr (from this thread, so in
// its namespace): the client sends msg, the server echoes it, the client
// closes, then the server.
func liveExchange(addr, msg string) error {
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	errc := make(chan error, 1)
	go func() {
		s, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		defer s.Close()
		s.SetDeadline(time.Now().Add(3 * time.Second))
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(s, buf); err != nil {
			errc <- err
			return
		}
		if _, err := s.Write(buf); err != nil {
			errc <- err
			return
		}
		// Wait for the client's FIN before closing.
		_, err = s.Read(buf)
		if err == io.EOF {
			err = nil
		}
		errc <- err
	}()
	c, err := net.DialTimeout("tcp4", ln.Addr().String(), 3*time.Second)
	if err != nil {
		return err
	}
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		c.Close()
		return err
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		c.Close()
		return err
	}
	c.Close()
	select {
	case err := <-errc:
		return err
	case <-time.After(3 * time.Second):
		return errors.New("server side did not finish")
	}
}

// liveSeg is a copy of what a Segment says.
type liveSeg struct {
	net             string
	sport, dport    uint16
	seq, ack        uint32
	syn, fin, rst   bool
	payload         string
	ts              time.Time
	caplen, wirelen int
	cut             bool
}

func (s liveSeg) String() string {
	return fmt.Sprintf("%s %d->%d seq=%d ack=%d syn=%v fin=%v %q", s.net, s.sport, s.dport, s.seq, s.ack, s.syn, s.fin, s.payload)
}

func liveCopy(s *Segment) liveSeg {
	return liveSeg{
		net: s.Net.String(), sport: uint16(s.TCP.SrcPort), dport: uint16(s.TCP.DstPort),
		seq: s.TCP.Seq, ack: s.TCP.Ack, syn: s.TCP.SYN, fin: s.TCP.FIN, rst: s.TCP.RST,
		payload: string(s.TCP.Payload), ts: s.CI.Timestamp,
		caplen: s.CI.CaptureLength, wirelen: s.CI.Length, cut: s.Cut,
	}
}

// liveCollect reads segments until done says so or the time is up, then
// keeps reading for linger (to catch what should not come).
func liveCollect(l *Live, limit, linger time.Duration, done func([]liveSeg) bool) ([]liveSeg, error) {
	var got []liveSeg
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && !done(got) {
		s, err := l.Next()
		if err == ErrNoPacket {
			continue
		}
		if err != nil {
			return got, err
		}
		got = append(got, liveCopy(s))
	}
	if !done(got) {
		return got, fmt.Errorf("gave up after %v with %d segments: %v", limit, len(got), got)
	}
	for end := time.Now().Add(linger); time.Now().Before(end); {
		s, err := l.Next()
		if err == ErrNoPacket {
			continue
		}
		if err != nil {
			return got, err
		}
		got = append(got, liveCopy(s))
	}
	return got, nil
}

// liveFinished: both directions of the connection to port carried msg and
// a FIN.
func liveFinished(port uint16, msg string) func([]liveSeg) bool {
	return func(segs []liveSeg) bool {
		var toSrv, toCli, finSrv, finCli bool
		for _, s := range segs {
			if s.dport == port {
				toSrv = toSrv || s.payload == msg
				finCli = finCli || s.fin
			}
			if s.sport == port {
				toCli = toCli || s.payload == msg
				finSrv = finSrv || s.fin
			}
		}
		return toSrv && toCli && finSrv && finCli
	}
}

// liveReadBack reads a -w file with the offline reader.
func liveReadBack(t *testing.T, name string) ([]liveSeg, Stats) {
	t.Helper()
	f, err := OpenFiles([]string{name}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []liveSeg
	for {
		s, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading back %s: %v", name, err)
		}
		out = append(out, liveCopy(s))
	}
	return out, f.Stats()
}

func liveLinkType(t *testing.T, name string) uint32 {
	t.Helper()
	f := testkit.ReadFile(t, name)
	if f.Pcapng || f.BigEndian || !f.Nanos {
		t.Errorf("%s: not a little-endian nanosecond pcap (pcapng %v, big-endian %v, nanoseconds %v)", name, f.Pcapng, f.BigEndian, f.Nanos)
	}
	return uint32(f.LinkType)
}

func liveSame(t *testing.T, what string, live, file []liveSeg) {
	t.Helper()
	if len(live) != len(file) {
		t.Fatalf("%s: %d segments live, %d read back from the -w file\nlive: %v\nfile: %v", what, len(live), len(file), live, file)
	}
	for i := range live {
		a, b := live[i], file[i]
		if !a.ts.Equal(b.ts) {
			t.Errorf("%s: segment %d: timestamp %v live, %v in the file", what, i, a.ts, b.ts)
		}
		a.ts, b.ts = time.Time{}, time.Time{}
		if a != b {
			t.Errorf("%s: segment %d differs:\nlive %+v\nfile %+v", what, i, a, b)
		}
	}
}

// TestLiveLoopback captures on lo with a kernel filter for port 4433 while
// connections go to 4434 and 4433, and checks that Next returns exactly the
// 4433 segments, that the kernel dropped the others (it counted no more
// packets than were read), and that the -w file reads back to the same
// segments.
func TestLiveLoopback(t *testing.T) {
	liveRequireRoot(t)
	liveLoopback(t, false)
}

func liveLoopback(t *testing.T, v2 bool) {
	flt, err := filter.Parse("tcp port 4433")
	if err != nil {
		t.Fatal(err)
	}
	wname := filepath.Join(t.TempDir(), "lo.pcap")
	var got []liveSeg
	var st Stats
	var recv, drop uint64
	liveInNetns(t, true, func() error {
		l, err := OpenLive(LiveOptions{Interface: "lo", Filter: flt, WriteFile: wname})
		if err != nil {
			return err
		}
		defer l.Close()
		// Nothing to read yet: ErrNoPacket after the poll interval.
		start := time.Now()
		if s, err := l.Next(); err != ErrNoPacket {
			return fmt.Errorf("idle Next: %v, %v; want ErrNoPacket", s, err)
		}
		if d := time.Since(start); d < 50*time.Millisecond || d > 500*time.Millisecond {
			return fmt.Errorf("idle Next returned after %v; want about 100 ms", d)
		}
		if err := liveExchange("127.0.0.1:4434", "not this one"); err != nil {
			return fmt.Errorf("exchange on 4434: %w", err)
		}
		if err := liveExchange("127.0.0.1:4433", "hello 4433"); err != nil {
			return fmt.Errorf("exchange on 4433: %w", err)
		}
		got, err = liveCollect(l, 5*time.Second, 300*time.Millisecond, liveFinished(4433, "hello 4433"))
		if err != nil {
			return err
		}
		st = l.Stats()
		if err := l.Close(); err != nil {
			return err
		}
		recv, drop = l.KernelStats()
		return nil
	})
	t.Logf("%d segments; stats %+v; kernel received %d, dropped %d", len(got), st, recv, drop)
	for _, s := range got {
		if s.sport != 4433 && s.dport != 4433 {
			t.Errorf("a segment the filter excludes came through: %v", s)
		}
		if s.net != "127.0.0.1->127.0.0.1" {
			t.Errorf("unexpected addresses: %v", s)
		}
	}
	if len(got) < 8 {
		t.Errorf("only %d segments: %v", len(got), got)
	}
	// The kernel counts what passed its filter: had the 4434 packets got
	// through, it would count more than were read. (libpcap lets the
	// kernel pass both copies of a loopback packet, sent and received, and
	// drops the sent one itself.)
	if kernel := recv; filter.Libpcap && kernel == 2*st.Packets {
		recv = st.Packets
	}
	if recv != st.Packets || drop != 0 {
		t.Errorf("kernel: received %d, dropped %d; Next read %d packets (want all of them, none dropped)", recv, drop, st.Packets)
	}
	if st.Files != 0 || st.NonTCP != 0 || st.DecodeErrors != 0 || st.Filtered != 0 || st.Packets != uint64(len(got)) {
		t.Errorf("stats %+v after %d segments", st, len(got))
	}
	if st.Bytes == 0 {
		t.Errorf("stats %+v: no bytes", st)
	}
	if lt := liveLinkType(t, wname); lt != 1 {
		t.Errorf("-w file on lo: link type %d, want 1 (Ethernet)", lt)
	}
	back, bst := liveReadBack(t, wname)
	liveSame(t, "lo", got, back)
	if bst.Packets != st.Packets || bst.Bytes != st.Bytes {
		t.Errorf("read back: %+v; live: %+v", bst, st)
	}
}

// TestLiveAny captures on "any" (SOCK_DGRAM, cooked) without a filter: TCP
// and UDP over IPv4 and IPv6 on loopback; the -w file is raw IP.
func TestLiveAny(t *testing.T) {
	liveRequireRoot(t)
	wname := filepath.Join(t.TempDir(), "any.pcap")
	var got []liveSeg
	var st Stats
	liveInNetns(t, true, func() error {
		l, err := OpenLive(LiveOptions{Interface: "any", WriteFile: wname, Snaplen: 65535})
		if err != nil {
			return err
		}
		defer l.Close()
		u, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
		if err != nil {
			return err
		}
		u.Write([]byte("not tcp"))
		u.Close()
		if err := liveExchange("127.0.0.1:5555", "any 5555"); err != nil {
			return err
		}
		got, err = liveCollect(l, 5*time.Second, 200*time.Millisecond, liveFinished(5555, "any 5555"))
		st = l.Stats()
		return err
	})
	t.Logf("%d segments; stats %+v", len(got), st)
	if st.NonTCP == 0 {
		t.Errorf("stats %+v: the UDP datagram (and its ICMP answer) were not counted as non-TCP", st)
	}
	if st.DecodeErrors != 0 {
		t.Errorf("stats %+v: decode errors", st)
	}
	want := uint32(101) // LINKTYPE_RAW
	if filter.Libpcap {
		want = 113 // libpcap's Linux cooked SLL
	}
	if lt := liveLinkType(t, wname); lt != want {
		t.Errorf("-w file on any: link type %d, want %d", lt, want)
	}
	back, bst := liveReadBack(t, wname)
	liveSame(t, "any", got, back)
	if bst.NonTCP != st.NonTCP {
		t.Errorf("read back: %+v; live: %+v", bst, st)
	}
}

// TestLiveTun captures on a tun device, which has no link-layer header
// (ARPHRD_NONE): SOCK_DGRAM, the cooked filter layout, raw IP decoding
// and a raw-IP -w file. Packets written to the tun descriptor are what the
// kernel receives on the device.
func TestLiveTun(t *testing.T) {
	liveRequireRoot(t)
	flt, err := filter.Parse("tcp port 443")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wAll, wFlt := filepath.Join(dir, "tun-all.pcap"), filepath.Join(dir, "tun-443.pcap")
	packets := [][]byte{
		liveTCP(t, "10.9.0.1", "10.9.0.2", 50000, 443, true, ""),
		liveTCP(t, "10.9.0.1", "10.9.0.2", 50000, 443, false, "to 443"),
		liveTCP(t, "10.9.0.1", "10.9.0.2", 50001, 80, false, "to 80"),
		liveTCP(t, "fd00::1", "fd00::2", 50002, 443, false, "v6 to 443"),
		liveUDP(t, "10.9.0.1", "10.9.0.2", 53),
	}
	var all, only443 []liveSeg
	var stAll, st443 Stats
	liveInNetns(t, true, func() error {
		tun, err := liveTun("tltun0")
		if err != nil {
			return fmt.Errorf("creating a tun device: %w", err)
		}
		defer tun.Close()
		if err := liveLinkSet("tltun0", true); err != nil {
			return err
		}
		la, err := OpenLive(LiveOptions{Interface: "tltun0", WriteFile: wAll})
		if err != nil {
			return err
		}
		defer la.Close()
		lf, err := OpenLive(LiveOptions{Interface: "tltun0", Filter: flt, WriteFile: wFlt})
		if err != nil {
			return err
		}
		defer lf.Close()
		for _, p := range packets {
			if _, err := tun.Write(p); err != nil {
				return fmt.Errorf("writing to the tun device: %w", err)
			}
		}
		count := func(n int) func([]liveSeg) bool { return func(s []liveSeg) bool { return len(s) >= n } }
		if all, err = liveCollect(la, 5*time.Second, 200*time.Millisecond, count(4)); err != nil {
			return err
		}
		if only443, err = liveCollect(lf, 5*time.Second, 200*time.Millisecond, count(3)); err != nil {
			return err
		}
		stAll, st443 = la.Stats(), lf.Stats()
		return nil
	})
	if len(all) != 4 || stAll.NonTCP != 1 || stAll.Packets != 5 {
		t.Errorf("unfiltered: %d segments, stats %+v: %v", len(all), stAll, all)
	}
	if len(only443) != 3 || st443.Packets != 3 {
		t.Errorf("filtered: %d segments, stats %+v: %v", len(only443), st443, only443)
	}
	for _, s := range only443 {
		if s.dport != 443 {
			t.Errorf("filtered: %v", s)
		}
	}
	for _, c := range []struct {
		name string
		segs []liveSeg
	}{{wAll, all}, {wFlt, only443}} {
		// LINKTYPE_RAW (libpcap reports DLT_RAW, 12, which is mapped).
		if lt := liveLinkType(t, c.name); lt != 101 {
			t.Errorf("%s: link type %d, want 101 (raw IP)", filepath.Base(c.name), lt)
		}
		back, _ := liveReadBack(t, c.name)
		liveSame(t, filepath.Base(c.name), c.segs, back)
	}
}

// liveTun creates a tun device (IFF_TUN|IFF_NO_PI: raw IP packets).
func liveTun(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "/dev/net/tun"), nil
}

func liveTCP(t *testing.T, src, dst string, sport, dport uint16, syn bool, payload string) []byte {
	t.Helper()
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: 1000, SYN: syn, ACK: !syn, Ack: 1, Window: 1024}
	if !syn {
		tcp.PSH = true
	}
	return liveSerialize(t, src, dst, layers.IPProtocolTCP, tcp, gopacket.Payload(payload))
}

func liveUDP(t *testing.T, src, dst string, dport uint16) []byte {
	t.Helper()
	udp := &layers.UDP{SrcPort: 40000, DstPort: layers.UDPPort(dport)}
	return liveSerialize(t, src, dst, layers.IPProtocolUDP, udp, gopacket.Payload("udp"))
}

func liveSerialize(t *testing.T, src, dst string, proto layers.IPProtocol, l4 gopacket.SerializableLayer, payload gopacket.Payload) []byte {
	t.Helper()
	var ip gopacket.NetworkLayer
	if strings.Contains(src, ":") {
		ip = &layers.IPv6{Version: 6, NextHeader: proto, HopLimit: 64, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
	} else {
		ip = &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	}
	switch l := l4.(type) {
	case *layers.TCP:
		l.SetNetworkLayerForChecksum(ip)
	case *layers.UDP:
		l.SetNetworkLayerForChecksum(ip)
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ip.(gopacket.SerializableLayer), l4, payload); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// TestLiveEarlyPackets: packets timestamped before the kernel filter was
// attached are skipped (they may not have been filtered), until a later
// packet or an empty poll shows they are gone. The boundary is moved into
// the future to make every packet look early.
func TestLiveEarlyPackets(t *testing.T) {
	liveRequireRoot(t)
	if filter.Libpcap {
		t.Skip("libpcap build: libpcap drains the socket when it attaches the filter")
	}
	wname := filepath.Join(t.TempDir(), "early.pcap")
	var got []liveSeg
	var st Stats
	liveInNetns(t, true, func() error {
		l, err := OpenLive(LiveOptions{Interface: "lo", WriteFile: wname})
		if err != nil {
			return err
		}
		defer l.Close()
		l.early = time.Now().Add(time.Hour)
		if err := liveExchange("127.0.0.1:4434", "early"); err != nil {
			return err
		}
		// All of it is skipped; then the ring is empty: ErrNoPacket.
		if s, err := l.Next(); err != ErrNoPacket {
			return fmt.Errorf("Next over early packets: %v, %v; want ErrNoPacket", s, err)
		}
		if st := l.Stats(); st.Packets != 0 {
			return fmt.Errorf("early packets counted: %+v", st)
		}
		if err := liveExchange("127.0.0.1:4433", "hello 4433"); err != nil {
			return err
		}
		got, err = liveCollect(l, 5*time.Second, 200*time.Millisecond, liveFinished(4433, "hello 4433"))
		st = l.Stats()
		return err
	})
	for _, s := range got {
		if s.sport != 4433 && s.dport != 4433 {
			t.Errorf("an early packet came through: %v", s)
		}
	}
	back, _ := liveReadBack(t, wname)
	liveSame(t, "early", got, back)
	if st.Packets != uint64(len(got)) {
		t.Errorf("stats %+v after %d segments", st, len(got))
	}
}

// TestLiveBusyNonTCP: a stream of packets that are not TCP, a flood or a
// trickle, must not keep Next from returning (the pipeline needs the turn
// to see Stop).
func TestLiveBusyNonTCP(t *testing.T) {
	liveRequireRoot(t)
	for _, tc := range []struct {
		name  string
		every time.Duration
		min   uint64
	}{{"flood", 0, 100}, {"trickle", 40 * time.Millisecond, 5}} {
		t.Run(tc.name, func(t *testing.T) {
			var st Stats
			liveInNetns(t, true, func() error {
				l, err := OpenLive(LiveOptions{Interface: "lo"})
				if err != nil {
					return err
				}
				defer l.Close()
				u, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
				if err != nil {
					return err
				}
				defer u.Close()
				stop := make(chan struct{})
				sent := make(chan struct{})
				go func() {
					defer close(sent)
					for end := time.Now().Add(20 * time.Second); time.Now().Before(end); {
						select {
						case <-stop:
							return
						default:
						}
						u.Write([]byte("x"))
						time.Sleep(tc.every)
					}
				}()
				defer func() { close(stop); <-sent }()
				time.Sleep(50 * time.Millisecond)
				for i := 0; i < 5; i++ {
					start := time.Now()
					s, err := l.Next()
					if err != ErrNoPacket {
						return fmt.Errorf("Next: %v, %v; want ErrNoPacket", s, err)
					}
					// About 100 ms; the bound allows for a loaded machine.
					if d := time.Since(start); d > 2*time.Second {
						return fmt.Errorf("Next took %v under a stream of UDP packets", d)
					}
				}
				st = l.Stats()
				return nil
			})
			if st.NonTCP < tc.min {
				t.Errorf("stats %+v: expected at least %d non-TCP packets", st, tc.min)
			}
		})
	}
}

// TestLiveAllocs: reading packets allocates nothing (the ring is read in
// place and the Segment reused).
func TestLiveAllocs(t *testing.T) {
	liveRequireRoot(t)
	var packets, mallocs uint64
	liveInNetns(t, true, func() error {
		l, err := OpenLive(LiveOptions{Interface: "lo", WriteFile: filepath.Join(t.TempDir(), "allocs.pcap")})
		if err != nil {
			return err
		}
		defer l.Close()
		ln, err := net.Listen("tcp4", "127.0.0.1:7000")
		if err != nil {
			return err
		}
		defer ln.Close()
		done := make(chan error, 1)
		go func() {
			s, err := ln.Accept()
			if err != nil {
				done <- err
				return
			}
			defer s.Close()
			s.SetDeadline(time.Now().Add(5 * time.Second))
			_, err = io.Copy(s, s) // echo
			done <- err
		}()
		c, err := net.DialTimeout("tcp4", "127.0.0.1:7000", 3*time.Second)
		if err != nil {
			return err
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		// Ping-pong, so that every message is a segment of its own.
		msg := bytes.Repeat([]byte("a"), 100)
		buf := make([]byte, len(msg))
		for i := 0; i < 300; i++ {
			if _, err := c.Write(msg); err != nil {
				c.Close()
				return err
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				c.Close()
				return err
			}
		}
		c.Close()
		if err := <-done; err != nil {
			return err
		}
		// Warm up: the first packets (and the first maintenance) may
		// allocate once.
		for i := 0; i < 10; i++ {
			if _, err := l.Next(); err != nil {
				return err
			}
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		n := uint64(0)
		for {
			_, err := l.Next()
			if err == ErrNoPacket {
				break
			}
			if err != nil {
				return err
			}
			n++
		}
		runtime.ReadMemStats(&after)
		packets, mallocs = n, after.Mallocs-before.Mallocs
		return nil
	})
	t.Logf("%d allocations over %d packets", mallocs, packets)
	if packets < 200 {
		t.Fatalf("only %d packets", packets)
	}
	if float64(mallocs) > 0.02*float64(packets) {
		t.Errorf("%d allocations over %d packets", mallocs, packets)
	}
}

// TestLiveErrors: unknown and down interfaces, and a missing CAP_NET_RAW.
func TestLiveErrors(t *testing.T) {
	for _, name := range []string{"nosuch0", "../lo", "a-name-longer-than-fifteen"} {
		_, err := OpenLive(LiveOptions{Interface: name})
		want := fmt.Sprintf("no such interface %q", name)
		var pe *PrivilegeError
		if filter.Libpcap && errors.As(err, &pe) {
			continue // libpcap may check the privilege first
		}
		if err == nil || err.Error() != want {
			t.Errorf("OpenLive(%q): %v; want %s", name, err, want)
		}
	}
	if _, err := OpenLive(LiveOptions{}); err == nil {
		t.Error("OpenLive without an interface: no error")
	}
	if _, err := OpenLive(LiveOptions{Interface: "lo", Snaplen: 1 << 20}); err == nil {
		t.Error("OpenLive with a 1 MiB snaplen: no error")
	}

	exe, _ := os.Executable()
	pe := &PrivilegeError{Interface: "eth0", Err: unix.EPERM}
	if want := "capturing on eth0 needs the CAP_NET_RAW capability (run as root, or: sudo setcap cap_net_raw+ep " + exe + ")"; pe.Error() != want {
		t.Errorf("PrivilegeError:\n got %s\nwant %s", pe.Error(), want)
	}
	if !errors.Is(pe, unix.EPERM) {
		t.Error("PrivilegeError does not unwrap to its cause")
	}

	if os.Geteuid() != 0 {
		_, err := OpenLive(LiveOptions{Interface: "lo"})
		if !errors.As(err, &pe) {
			t.Errorf("OpenLive(lo) as a user: %v; want a *PrivilegeError", err)
		}
		t.Skip("the rest needs root: a private network namespace")
	}
	// A fresh namespace's lo is down.
	liveInNetns(t, false, func() error {
		_, err := OpenLive(LiveOptions{Interface: "lo"})
		if err == nil || err.Error() != `interface "lo" is down` {
			return fmt.Errorf("OpenLive on a down lo: %v", err)
		}
		return nil
	})
	// Without CAP_NET_RAW (dropped from this thread only).
	liveInNetns(t, true, func() error {
		if err := liveDropNetRaw(); err != nil {
			return fmt.Errorf("dropping CAP_NET_RAW: %w", err)
		}
		l, err := OpenLive(LiveOptions{Interface: "lo"})
		if err == nil {
			l.Close()
			return errors.New("OpenLive without CAP_NET_RAW succeeded")
		}
		var pe *PrivilegeError
		if !errors.As(err, &pe) {
			return fmt.Errorf("OpenLive without CAP_NET_RAW: %v (%T); want a *PrivilegeError", err, err)
		}
		re := regexp.MustCompile(`^capturing on lo needs the CAP_NET_RAW capability \(run as root, or: sudo setcap cap_net_raw\+ep /\S+\)$`)
		if !re.MatchString(err.Error()) {
			return fmt.Errorf("message %q", err)
		}
		return nil
	})
}

// liveDropNetRaw removes CAP_NET_RAW from the calling thread's effective
// set.
func liveDropNetRaw() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	data[0].Effective &^= 1 << unix.CAP_NET_RAW
	return unix.Capset(&hdr, &data[0])
}

// TestLiveFlush: the -w file is flushed within about a second, without
// Close, so that a run that is killed leaves the packets it read.
func TestLiveFlush(t *testing.T) {
	liveRequireRoot(t)
	wname := filepath.Join(t.TempDir(), "flush.pcap")
	var got, back []liveSeg
	liveInNetns(t, true, func() error {
		l, err := OpenLive(LiveOptions{Interface: "lo", WriteFile: wname})
		if err != nil {
			return err
		}
		defer l.Close()
		if err := liveExchange("127.0.0.1:4433", "flush me"); err != nil {
			return err
		}
		if got, err = liveCollect(l, 5*time.Second, 0, liveFinished(4433, "flush me")); err != nil {
			return err
		}
		for end := time.Now().Add(1200 * time.Millisecond); time.Now().Before(end); {
			s, err := l.Next()
			switch {
			case err == nil:
				got = append(got, liveCopy(s)) // the last ACK
			case err != ErrNoPacket:
				return err
			}
		}
		back, _ = liveReadBack(t, wname)
		return nil
	})
	liveSame(t, "flushed", got, back)
}

// TestLiveInterfaceDown: the interface going down ends the capture with an
// error that says so.
func TestLiveInterfaceDown(t *testing.T) {
	liveRequireRoot(t)
	if filter.Libpcap {
		t.Skip("libpcap build: libpcap reports it its own way")
	}
	liveInNetns(t, true, func() error {
		l, err := OpenLive(LiveOptions{Interface: "lo"})
		if err != nil {
			return err
		}
		defer l.Close()
		if err := liveLinkSet("lo", false); err != nil {
			return err
		}
		for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
			_, err := l.Next()
			if err == ErrNoPacket {
				continue
			}
			if err == nil || err.Error() != "capturing on lo: the interface went down" {
				return fmt.Errorf("Next after lo went down: %v", err)
			}
			return nil
		}
		return errors.New("Next kept returning ErrNoPacket after lo went down")
	})
}

func liveLinkSet(name string, up bool) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	if up {
		ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	} else {
		ifr.SetUint16(ifr.Uint16() &^ unix.IFF_UP)
	}
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// TestLiveClosed: Next after Close fails, Close twice is fine.
func TestLiveClosed(t *testing.T) {
	liveRequireRoot(t)
	liveInNetns(t, true, func() error {
		wname := filepath.Join(t.TempDir(), "closed.pcap")
		l, err := OpenLive(LiveOptions{Interface: "lo", WriteFile: wname})
		if err != nil {
			return err
		}
		// The header is on disk before any packet.
		if b, err := os.ReadFile(wname); err != nil || len(b) != 24 {
			return fmt.Errorf("-w file right after OpenLive: %d bytes, %v", len(b), err)
		}
		if err := l.Close(); err != nil {
			return err
		}
		if err := l.Close(); err != nil {
			return fmt.Errorf("second Close: %v", err)
		}
		if _, err := l.Next(); err == nil || !strings.Contains(err.Error(), "after Close") {
			return fmt.Errorf("Next after Close: %v", err)
		}
		return nil
	})
}
