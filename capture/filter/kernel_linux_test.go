//go:build linux

package filter

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// kernelExprs run in the kernel on loopback traffic.
var kernelExprs = []string{
	"tcp",
	"udp",
	"ip",
	"ip6",
	"not ip and not ip6",
	"port 443",
	"tcp port 443 or 8443",
	"not port 443",
	"udp and not port 53",
	"host 127.0.0.2",
	"src host 127.0.0.1 and dst port 443",
	"net 127.0.0.0/8",
	"ip6 host ::1",
	"ip6 and udp",
	"portrange 4000-5000",
	"(port 443 or port 4433) and not host 127.0.0.2",
	"src or dst port 8443 or 5353",
}

// TestKernel attaches the programs of both layouts to AF_PACKET sockets on
// loopback (SOCK_DGRAM for LayoutCooked, SOCK_RAW for LayoutEthernet: lo
// has an all-zero Ethernet header) and checks that, of the packets an
// unfiltered socket of the same type receives, each filtered socket gets
// exactly those the program accepts in x/net/bpf's VM (with the kernel's
// protocol for SKF_AD_PROTOCOL), and that those agree with Match. All of
// it runs in a network namespace private to the test's OS thread, so only
// its own loopback traffic is seen and nothing leaves the machine.
func TestKernel(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: AF_PACKET sockets in a private network namespace (run the tests as root to check the programs in the kernel)")
	}
	type prog struct {
		expr string
		f    *Filter
		raw  map[Layout][]bpf.RawInstruction
	}
	var progs []prog
	for _, e := range kernelExprs {
		f, err := Parse(e)
		if err != nil {
			t.Fatal(err)
		}
		p := prog{expr: e, f: f, raw: map[Layout][]bpf.RawInstruction{}}
		for _, l := range []Layout{LayoutEthernet, LayoutCooked} {
			if p.raw[l], err = f.BPF(l, 65535); err != nil {
				t.Fatal(err)
			}
		}
		progs = append(progs, p)
	}

	type result struct {
		ref  map[Layout][]pkt
		got  map[Layout][][]pkt // per prog
		skip string
		err  error
	}
	done := make(chan result)
	go func() {
		// The namespace belongs to this OS thread; the goroutine never
		// unlocks it, so the thread (and with the sockets closed, the
		// namespace) goes away when it returns.
		runtime.LockOSThread()
		var r result
		defer func() { done <- r }()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			r.skip = fmt.Sprintf("cannot create a network namespace: %v", err)
			return
		}
		if err := loUp(); err != nil {
			r.err = fmt.Errorf("bringing lo up: %w", err)
			return
		}
		r.ref = map[Layout][]pkt{}
		r.got = map[Layout][][]pkt{}
		socks := map[Layout][]int{}
		refs := map[Layout]int{}
		defer func() {
			for _, fds := range socks {
				for _, fd := range fds {
					unix.Close(fd)
				}
			}
			for _, fd := range refs {
				unix.Close(fd)
			}
		}()
		for _, l := range []Layout{LayoutEthernet, LayoutCooked} {
			fd, err := packetSocket(l, nil)
			if err != nil {
				r.err = err
				return
			}
			refs[l] = fd
			for _, p := range progs {
				fd, err := packetSocket(l, p.raw[l])
				if err != nil {
					r.err = fmt.Errorf("%q (%v): %w", p.expr, l, err)
					return
				}
				socks[l] = append(socks[l], fd)
			}
		}
		if err := loopbackTraffic(); err != nil {
			r.err = fmt.Errorf("traffic: %w", err)
			return
		}
		// Packets (the FIN exchanges, the ICMP replies) may still be on
		// their way through softirq: collect until a round brings none.
		for l := range refs {
			r.got[l] = make([][]pkt, len(progs))
		}
		for deadline := time.Now().Add(3 * time.Second); ; {
			time.Sleep(50 * time.Millisecond)
			n := 0
			for l, fd := range refs {
				got := drain(fd)
				r.ref[l] = append(r.ref[l], got...)
				n += len(got)
				for i, fd := range socks[l] {
					got := drain(fd)
					r.got[l][i] = append(r.got[l][i], got...)
					n += len(got)
				}
			}
			if n == 0 || time.Now().After(deadline) {
				break
			}
		}
	}()
	r := <-done
	if r.skip != "" {
		t.Skip(r.skip)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, l := range []Layout{LayoutEthernet, LayoutCooked} {
		ref := r.ref[l]
		if len(ref) < 30 {
			t.Fatalf("%v: the reference socket saw only %d packets", l, len(ref))
		}
		kinds := map[string]int{}
		for _, rp := range ref {
			lt := layers.LinkTypeEthernet
			if l == LayoutCooked {
				lt = layers.LinkTypeRaw
			}
			pk, in := decode(rp.data, lt)
			kinds[fmt.Sprintf("IPv%d proto %d ext=%v", pk.IPVersion, pk.Proto, in.ip6ext)]++
		}
		t.Logf("%v: reference packets: %v", l, kinds)
		for i, p := range progs {
			v := newVM(t, p.raw[l])
			var want []pkt
			for _, rp := range ref {
				var ok bool
				var pk Packet
				var in info
				if l == LayoutCooked {
					ok = v.run(t, rp.data, rp.proto)
					pk, in = decode(rp.data, layers.LinkTypeRaw)
				} else {
					ok = v.run(t, rp.data, 0)
					pk, in = decode(rp.data, layers.LinkTypeEthernet)
				}
				if ok {
					want = append(want, rp)
				}
				if m := p.f.Match(&pk); m != ok && bpfJustified(l, in) == "" {
					t.Errorf("%v %q: VM %v, Match %v on %+v", l, p.expr, ok, m, pk)
				}
			}
			got := r.got[l][i]
			if !slices.EqualFunc(got, want, func(a, b pkt) bool { return a.proto == b.proto && string(a.data) == string(b.data) }) {
				t.Errorf("%v %q: the kernel passed %d packets, the VM %d of the %d", l, p.expr, len(got), len(want), len(ref))
				continue
			}
			t.Logf("%v %-50q %3d of %d packets", l, p.expr, len(got), len(ref))
		}
	}
}

type pkt struct {
	proto uint16 // the kernel's skb->protocol (sockaddr_ll)
	data  []byte
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// loUp sets IFF_UP on the namespace's loopback device.
func loUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// packetSocket opens an AF_PACKET socket on lo for the layout, with the
// program attached before it is bound (so nothing unfiltered gets in).
func packetSocket(l Layout, raw []bpf.RawInstruction) (int, error) {
	typ := unix.SOCK_RAW
	if l == LayoutCooked {
		typ = unix.SOCK_DGRAM
	}
	fd, err := unix.Socket(unix.AF_PACKET, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if raw != nil {
		prog := make([]unix.SockFilter, len(raw))
		for i, in := range raw {
			prog[i] = unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
		}
		fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
		if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("SO_ATTACH_FILTER: %w", err)
		}
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: lo.Index}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func drain(fd int) []pkt {
	var out []pkt
	buf := make([]byte, 1<<16)
	for {
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return out
		}
		var proto uint16
		if ll, ok := from.(*unix.SockaddrLinklayer); ok {
			proto = htons(ll.Protocol)
		}
		out = append(out, pkt{proto: proto, data: append([]byte(nil), buf[:n]...)})
	}
}

// loopbackTraffic sends TCP, UDP and ICMP over IPv4 and IPv6 on lo, and
// UDP behind an IPv6 hop-by-hop header. Every socket is made on this
// thread, inside the namespace.
func loopbackTraffic() error {
	tcpExchange := func(network, listen string) error {
		ln, err := net.Listen(network, listen)
		if err != nil {
			return err
		}
		defer ln.Close()
		c, err := net.DialTimeout(network, ln.Addr().String(), 2*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		s, err := ln.Accept()
		if err != nil {
			return err
		}
		defer s.Close()
		buf := make([]byte, 16)
		for _, step := range []struct{ w, r net.Conn }{{c, s}, {s, c}} {
			step.w.SetDeadline(time.Now().Add(2 * time.Second))
			step.r.SetDeadline(time.Now().Add(2 * time.Second))
			if _, err := step.w.Write([]byte("hello")); err != nil {
				return err
			}
			if _, err := step.r.Read(buf); err != nil {
				return err
			}
		}
		return nil
	}
	for _, ex := range [][2]string{
		{"tcp4", "127.0.0.1:443"},
		{"tcp4", "127.0.0.2:8443"},
		{"tcp6", "[::1]:4433"},
		{"tcp4", "127.0.0.1:4500"},
	} {
		var err error
		for try := 0; try < 20; try++ {
			// ::1 may take a moment to appear after lo comes up.
			if err = tcpExchange(ex[0], ex[1]); err == nil || !errors.Is(err, unix.EADDRNOTAVAIL) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", ex[0], ex[1], err)
		}
	}
	udp := func(network, from, to string, hopByHop bool) error {
		la, err := net.ResolveUDPAddr(network, from)
		if err != nil {
			return err
		}
		ra, err := net.ResolveUDPAddr(network, to)
		if err != nil {
			return err
		}
		c, err := net.DialUDP(network, la, ra)
		if err != nil {
			return err
		}
		defer c.Close()
		if hopByHop {
			rc, err := c.SyscallConn()
			if err != nil {
				return err
			}
			var serr error
			// An 8-byte hop-by-hop header holding a PadN option.
			if err := rc.Control(func(fd uintptr) {
				serr = unix.SetsockoptString(int(fd), unix.IPPROTO_IPV6, unix.IPV6_HOPOPTS, string([]byte{0, 0, 1, 4, 0, 0, 0, 0}))
			}); err != nil {
				return err
			}
			if serr != nil {
				return fmt.Errorf("IPV6_HOPOPTS: %w", serr)
			}
		}
		_, err = c.Write([]byte("datagram"))
		return err
	}
	for _, u := range []struct {
		network, from, to string
		hbh               bool
	}{
		{"udp4", "127.0.0.1:40000", "127.0.0.1:53", false},
		{"udp4", "127.0.0.1:40001", "127.0.0.2:443", false},
		{"udp4", "127.0.0.1:40002", "127.0.0.1:4433", false},
		{"udp4", "127.0.0.1:40003", "127.0.0.1:5000", false},
		{"udp6", "[::1]:40004", "[::1]:53", false},
		{"udp6", "[::1]:40005", "[::1]:5353", false},
		{"udp6", "[::1]:40006", "[::1]:443", true},
	} {
		if err := udp(u.network, u.from, u.to, u.hbh); err != nil {
			return fmt.Errorf("%s %s: %w", u.network, u.to, err)
		}
	}
	// ICMP echo over IPv4 (the kernel answers), for a non-TCP/UDP packet.
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	echo := []byte{8, 0, 0, 0, 0x12, 0x34, 0, 1}
	sum := uint32(0)
	for i := 0; i < len(echo); i += 2 {
		sum += uint32(echo[i])<<8 | uint32(echo[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	echo[2], echo[3] = byte(^sum>>8), byte(^sum)
	return unix.Sendto(fd, echo, 0, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
}
