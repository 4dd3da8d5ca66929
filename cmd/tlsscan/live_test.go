//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"github.com/tlsscan/tlsscan/pipeline"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The live end-to-end test: a private pair of network namespaces joined by
// a veth pair, stock `openssl s_server` in one, `openssl s_client` and
// `tlsscan -i` in the other, real handshakes of every kind tlsscan reports
// on (mutual TLS, an empty client certificate, a rejected one, session-ID
// and ticket resumption, TLS 1.3 with a certificate and with PSK
// resumption). The rows tlsscan prints live must be the rows it reports
// offline for the packets it wrote with -w, and the first must come out
// within a second of its handshake. Also -c and --duration.
//
// It needs root, ip (iproute2) and openssl, and skips without them. The
// namespaces are named tlsscan-live-PID-{srv,cli}, use 10.201.0.0/24 (not
// the 10.200.0.0/24 of pcaps/make-real.sh, so both can run at once), and
// are deleted at the end, on Ctrl-C, or by the next run if this one was
// killed.

const (
	liveSrvIP  = "10.201.0.1"
	liveCliIP  = "10.201.0.2"
	liveNSBase = "tlsscan-live-"
)

type liveEnv struct {
	t        *testing.T
	bin      string // the tlsscan binary
	dir      string // scratch
	certs    string
	www      string
	nsSrv    string
	nsCli    string
	ifCli    string
	deadline time.Time // the whole test's
}

func TestLiveEndToEnd(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("live capture test: Linux only")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and captures on them (run the tests as root to cover live capture)")
	}
	for _, tool := range []string{"ip", "openssl", "ss"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (iproute2, openssl) for the live end-to-end test: %v", tool, err)
		}
	}
	e := liveSetup(t)
	t.Run("handshakes", e.testHandshakes)
	t.Run("keylog", e.testKeylog)
	t.Run("count", e.testCount)
	t.Run("duration", e.testDuration)
}

// run runs a command to completion with a timeout, returning its combined
// output.
func (e *liveEnv) run(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

func (e *liveEnv) must(timeout time.Duration, name string, args ...string) string {
	e.t.Helper()
	out, err := e.run(timeout, name, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func liveSetup(t *testing.T) *liveEnv {
	pid := os.Getpid()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	www, err := filepath.Abs(filepath.Join("testdata", "live", "www"))
	if err != nil {
		t.Fatal(err)
	}
	e := &liveEnv{
		t:        t,
		dir:      t.TempDir(),
		certs:    filepath.Join(root, "pcaps", "certs"),
		www:      www,
		nsSrv:    fmt.Sprintf("%s%d-srv", liveNSBase, pid),
		nsCli:    fmt.Sprintf("%s%d-cli", liveNSBase, pid),
		ifCli:    fmt.Sprintf("tslv%dc", pid),
		deadline: time.Now().Add(90 * time.Second),
	}
	ifSrv := fmt.Sprintf("tslv%ds", pid)
	for _, f := range []string{"server.pem", "server.key", "ca-a.pem", "client-a.pem", "client-a.key", "int-a.pem"} {
		if _, err := os.Stat(filepath.Join(e.certs, f)); err != nil {
			t.Fatalf("test PKI: %v (pcaps/make-real.sh makes it)", err)
		}
	}
	liveRemoveStale(t)

	// Build the binary as shipped: pure Go.
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to build tlsscan: %v", err)
	}
	e.bin = filepath.Join(e.dir, "tlsscan")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	build := exec.CommandContext(ctx, gobin, "build", "-o", e.bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// The namespaces go away at the end, on Ctrl-C, or at the next run.
	cleanup := func() {
		for _, ns := range []string{e.nsCli, e.nsSrv} {
			liveKillNetns(ns)
			exec.Command("ip", "netns", "del", ns).Run()
		}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	stopSigs := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cleanup()
			os.Exit(1)
		case <-stopSigs:
		}
	}()
	t.Cleanup(func() {
		signal.Stop(sigs)
		close(stopSigs)
		cleanup()
	})
	if out, err := e.run(10*time.Second, "ip", "netns", "add", e.nsSrv); err != nil {
		t.Skipf("cannot create a network namespace: %v", strings.TrimSpace(out))
	}
	e.must(10*time.Second, "ip", "netns", "add", e.nsCli)
	e.must(10*time.Second, "ip", "link", "add", e.ifCli, "netns", e.nsCli, "type", "veth", "peer", "name", ifSrv, "netns", e.nsSrv)
	for _, c := range []struct{ ns, ifc, addr string }{{e.nsSrv, ifSrv, liveSrvIP}, {e.nsCli, e.ifCli, liveCliIP}} {
		e.must(10*time.Second, "ip", "-n", c.ns, "link", "set", "lo", "up")
		e.must(10*time.Second, "ip", "-n", c.ns, "addr", "add", c.addr+"/24", "dev", c.ifc)
		// Wire-sized packets, as pcaps/make-real.sh captures them; the
		// comparison below does not depend on it.
		if _, err := exec.LookPath("ethtool"); err == nil {
			e.run(10*time.Second, "ip", "netns", "exec", c.ns, "ethtool", "-K", c.ifc, "tso", "off", "gso", "off", "gro", "off")
		}
		e.must(10*time.Second, "ip", "-n", c.ns, "link", "set", c.ifc, "up")
	}
	for i := 0; ; i++ {
		out, _ := e.run(5*time.Second, "ip", "-n", e.nsCli, "-o", "link", "show", e.ifCli)
		if strings.Contains(out, "state UP") {
			break
		}
		if i == 60 {
			t.Fatalf("veth pair did not come up: %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Servers for the whole test: 4433 requires a client certificate from
	// CA A; 4434 asks for one and accepts none.
	srv := []string{"-cert", filepath.Join(e.certs, "server.pem"), "-key", filepath.Join(e.certs, "server.key")}
	e.server(4433, append(srv, "-Verify", "2", "-CAfile", filepath.Join(e.certs, "ca-a.pem"), "-verify_return_error")...)
	e.server(4434, append(srv, "-verify", "2", "-CAfile", filepath.Join(e.certs, "ca-a.pem"))...)
	return e
}

// liveRemoveStale deletes the namespaces of earlier runs of this test whose
// process is gone (killed before it could clean up).
func liveRemoveStale(t *testing.T) {
	ents, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(liveNSBase) + `(\d+)-(srv|cli)$`)
	for _, ent := range ents {
		m := re.FindStringSubmatch(ent.Name())
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		if pid == os.Getpid() || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		t.Logf("removing the namespace %s left by an earlier run", ent.Name())
		liveKillNetns(ent.Name())
		exec.Command("ip", "netns", "del", ent.Name()).Run()
	}
}

// liveKillNetns kills what still runs in one of this test's namespaces
// (its servers, clients and captures, nothing else can be there).
func liveKillNetns(ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, "ip", "netns", "pids", ns).Output()
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// server starts openssl s_server -WWW on port in the server namespace and
// waits until it listens.
func (e *liveEnv) server(port int, args ...string) {
	t := e.t
	ctx, cancel := context.WithDeadline(context.Background(), e.deadline)
	log := filepath.Join(e.dir, fmt.Sprintf("s_server-%d.log", port))
	lf, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	all := append([]string{"netns", "exec", e.nsSrv, "openssl", "s_server", "-accept", strconv.Itoa(port), "-WWW"}, args...)
	cmd := exec.CommandContext(ctx, "ip", all...)
	cmd.Dir = e.www
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		lf.Close()
	})
	for i := 0; ; i++ {
		out, _ := e.run(5*time.Second, "ip", "netns", "exec", e.nsSrv, "ss", "-Hltn", fmt.Sprintf("sport = :%d", port))
		if strings.Contains(out, "LISTEN") {
			return
		}
		if i == 100 || cmd.ProcessState != nil {
			b, _ := os.ReadFile(log)
			t.Fatalf("s_server on %d did not start:\n%s", port, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// client runs one openssl s_client in the client namespace: it connects,
// sends an HTTP/1.0 GET for /index.html and reads until the server closes.
func (e *liveEnv) client(port int, args ...string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	all := append([]string{"netns", "exec", e.nsCli, "openssl", "s_client",
		"-connect", fmt.Sprintf("%s:%d", liveSrvIP, port), "-ign_eof",
		"-servername", "server.test", "-CAfile", filepath.Join(e.certs, "ca-a.pem")}, args...)
	cmd := exec.CommandContext(ctx, "ip", all...)
	cmd.Stdin = strings.NewReader("GET /index.html HTTP/1.0\r\n\r\n")
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		// A failed handshake (the rejected client) exits non-zero: fine.
		e.t.Fatalf("s_client %v: %v\n%s", args, err, out)
	}
	if ctx.Err() != nil {
		e.t.Fatalf("s_client %v: timed out\n%s", args, out)
	}
	return string(out)
}

// liveLine is one line of tlsscan's standard output and when it came.
type liveLine struct {
	text string
	at   time.Time
}

// liveRun is a running tlsscan -i.
type liveRun struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	stderr bytes.Buffer
	mu     sync.Mutex
	lines  []liveLine
	eof    chan struct{}
	start  time.Time
}

// startCapture starts tlsscan -i on the client's veth in the client
// namespace and waits until it captures: OpenLive writes the -w file's
// header once the socket and its filter are in place, so a -w file is
// given (wfile "" uses a scratch one), except for wfile "-": no -w and
// -j 2, a fanout group of two sockets (-w needs one reader), which is
// capturing once the namespace has two more packet sockets and the group
// has started (it starts when the last socket has joined).
func (e *liveEnv) startCapture(wfile string, args ...string) *liveRun {
	t := e.t
	t.Helper()
	packetSockets := func() int {
		out, _ := e.run(5*time.Second, "ip", "netns", "exec", e.nsCli, "cat", "/proc/net/packet")
		return strings.Count(strings.TrimSpace(out), "\n") // lines after the header
	}
	group, before := wfile == "-", 0
	if group {
		before = packetSockets()
		args = append([]string{"-j", "2"}, args...)
	} else {
		if wfile == "" {
			wfile = filepath.Join(e.dir, fmt.Sprintf("scratch-%d.pcap", time.Now().UnixNano()))
		}
		args = append([]string{"-w", wfile}, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	all := append([]string{"netns", "exec", e.nsCli, e.bin, "-i", e.ifCli, "--format", "csv"}, args...)
	c := &liveRun{cmd: exec.CommandContext(ctx, "ip", all...), cancel: cancel, eof: make(chan struct{})}
	// ip netns exec execs tlsscan: the process signalled is tlsscan.
	c.cmd.Cancel = func() error { return c.cmd.Process.Kill() }
	c.cmd.WaitDelay = 2 * time.Second
	c.cmd.Stderr = &c.stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.start = time.Now()
	if err := c.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-c.eof
		c.cmd.Wait()
	})
	go func() {
		defer close(c.eof)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.mu.Lock()
			c.lines = append(c.lines, liveLine{sc.Text(), time.Now()})
			c.mu.Unlock()
		}
		io.Copy(io.Discard, stdout)
	}()
	for i := 0; ; i++ {
		if group && packetSockets() >= before+2 {
			time.Sleep(200 * time.Millisecond) // for the group's start
			return c
		}
		if st, err := os.Stat(wfile); !group && err == nil && st.Size() >= 24 {
			return c
		}
		if i == 200 {
			t.Fatalf("tlsscan did not start capturing within 10 s; stderr:\n%s", c.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rows returns the data rows printed so far (not the CSV header).
func (c *liveRun) rows() []liveLine {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []liveLine
	for _, l := range c.lines {
		if !strings.HasPrefix(l.text, "ts,") {
			out = append(out, l)
		}
	}
	return out
}

// wait waits for tlsscan to exit by itself, up to limit.
func (c *liveRun) wait(t *testing.T, limit time.Duration) (int, time.Time) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		<-c.eof
		done <- c.cmd.Wait()
	}()
	select {
	case err := <-done:
		end := time.Now()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), end
		}
		if err != nil {
			t.Fatalf("tlsscan: %v", err)
		}
		return 0, end
	case <-time.After(limit):
		c.cancel()
		t.Fatalf("tlsscan did not exit within %v; stderr:\n%s", limit, c.stderr.String())
	}
	return -1, time.Time{}
}

func (c *liveRun) stderrString() string { return c.stderr.String() }

// csvField returns the named column of a CSV row.
func csvField(t *testing.T, header []string, row, name string) string {
	t.Helper()
	r, err := csv.NewReader(strings.NewReader(row)).Read()
	if err != nil {
		t.Fatalf("row %q: %v", row, err)
	}
	i := slices.Index(header, name)
	if i < 0 || i >= len(r) {
		t.Fatalf("no column %q in %v", name, header)
	}
	return r[i]
}

func (e *liveEnv) header(c *liveRun) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lines {
		if strings.HasPrefix(l.text, "ts,") {
			return strings.Split(l.text, ",")
		}
	}
	e.t.Fatalf("no CSV header in tlsscan's output")
	return nil
}

// firstRowWithin waits up to 3 s from finished for tlsscan's first row,
// and fails the test unless it came within a second.
func firstRowWithin(t *testing.T, c *liveRun, finished time.Time, what string) liveLine {
	t.Helper()
	var row liveLine
	for deadline := finished.Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if r := c.rows(); len(r) > 0 {
			row = r[0]
			break
		}
	}
	if row.text == "" {
		t.Fatalf("no row within 3 s of the handshake; stderr:\n%s", c.stderrString())
	}
	if d := row.at.Sub(finished); d > time.Second {
		t.Errorf("%s came %v after s_client finished; want within 1 s", what, d)
	} else {
		t.Logf("%s %v after s_client finished", what, d.Round(time.Millisecond))
	}
	return row
}

// testKeylog is issue 10's live case: tlsscan follows a key log that the
// client creates and appends to while it connects, and a TLS 1.3 mutual
// TLS handshake comes out read with the keys (client_cert=sent,
// evidence=keylog) within a second of the client's end.
func (e *liveEnv) testKeylog(t *testing.T) {
	e.t = t
	keys := filepath.Join(e.dir, "live.keys") // the client creates it
	c := e.startCapture("", "--keylog", keys, "-f", "tcp port 4433")
	out := e.client(4433, "-tls1_3", "-keylogfile", keys,
		"-cert", filepath.Join(e.certs, "client-a.pem"), "-key", filepath.Join(e.certs, "client-a.key"),
		"-cert_chain", filepath.Join(e.certs, "int-a.pem"))
	finished := time.Now()
	if !strings.Contains(out, "tlsscan live end-to-end test page") {
		t.Fatalf("mutual TLS 1.3 handshake did not serve the page:\n%s", out)
	}
	row := firstRowWithin(t, c, finished, "the row (--keylog-wait "+pipeline.DefaultKeyWait.String()+")")
	hdr := e.header(c)
	for col, want := range map[string]string{"version": "TLSv1.3", "cert_requested": "yes", "client_cert": "sent", "evidence": "keylog"} {
		if got := csvField(t, hdr, row.text, col); got != want {
			t.Errorf("%s %q, want %q: %s", col, got, want, row.text)
		}
	}
	if flags := csvField(t, hdr, row.text, "flags"); !strings.Contains(flags, "decrypted") || strings.Contains(flags, "keys_missing") {
		t.Errorf("flags %q, want decrypted and not keys_missing", flags)
	}
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code, _ := c.wait(t, 10*time.Second); code != 0 {
		t.Errorf("tlsscan exited %d; stderr:\n%s", code, c.stderrString())
	}
}

func (e *liveEnv) testHandshakes(t *testing.T) {
	e.t = t
	wfile := filepath.Join(e.dir, "live.pcap")
	c := e.startCapture(wfile, "-f", "tcp port 4433 or tcp port 4434")
	// The same packets read by a fanout group of two sockets (live -j 2
	// without -w): its rows must be c's, whichever socket each connection
	// went to.
	g := e.startCapture("-", "-f", "tcp port 4433 or tcp port 4434")
	sess := func(name string) string { return filepath.Join(e.dir, name+".sess") }
	cliA := []string{"-cert", filepath.Join(e.certs, "client-a.pem"), "-key", filepath.Join(e.certs, "client-a.key"),
		"-cert_chain", filepath.Join(e.certs, "int-a.pem")}

	// 1. Mutual TLS 1.2: its row must be out within a second.
	out := e.client(4433, append([]string{"-tls1_2"}, cliA...)...)
	finished := time.Now()
	if !strings.Contains(out, "tlsscan live end-to-end test page") {
		t.Fatalf("mutual TLS handshake did not serve the page:\n%s", out)
	}
	first := firstRowWithin(t, c, finished, "the first row")
	hdr := e.header(c)
	if got := csvField(t, hdr, first.text, "client_cert"); got != "sent" {
		t.Errorf("first row: client_cert %q, want sent: %s", got, first.text)
	}

	// 2. An empty client certificate (TLS 1.2, optional).
	e.client(4434, "-tls1_2")
	// 3. Session-ID resumption.
	e.client(4434, "-tls1_2", "-no_ticket", "-sess_out", sess("sid"))
	if out := e.client(4434, "-tls1_2", "-no_ticket", "-sess_in", sess("sid")); !strings.Contains(out, "Reused") {
		t.Errorf("session-ID resumption: s_client did not resume:\n%s", out)
	}
	// 4. Ticket resumption.
	e.client(4434, "-tls1_2", "-sess_out", sess("ticket"))
	if out := e.client(4434, "-tls1_2", "-sess_in", sess("ticket")); !strings.Contains(out, "Reused") {
		t.Errorf("ticket resumption: s_client did not resume:\n%s", out)
	}
	// 5. TLS 1.3 PSK resumption.
	e.client(4434, "-tls1_3", "-sess_out", sess("psk"))
	if out := e.client(4434, "-tls1_3", "-sess_in", sess("psk")); !strings.Contains(out, "Reused") {
		t.Errorf("TLS 1.3 resumption: s_client did not resume:\n%s", out)
	}
	// 6. A client without a certificate refused by the server.
	e.client(4433, "-tls1_2")
	// 7. Mutual TLS 1.3 (encrypted: the verdicts come from the client's
	// record sizes).
	e.client(4433, append([]string{"-tls1_3"}, cliA...)...)
	const want = 10

	for deadline := time.Now().Add(3 * time.Second); (len(c.rows()) < want || len(g.rows()) < want) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the last ACKs
	var stderr string
	for _, r := range []*liveRun{c, g} {
		if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		code, _ := r.wait(t, 10*time.Second)
		stderr = r.stderrString()
		if code != 0 {
			t.Fatalf("tlsscan exited %d after SIGINT; stderr:\n%s", code, stderr)
		}
		if m := regexp.MustCompile(`(?m)^kernel: received ([1-9][0-9]*), dropped 0$`).FindStringSubmatch(stderr); m == nil {
			t.Errorf("the summary does not give the kernel's counters, or it dropped packets:\n%s", stderr)
		} else if !strings.Contains(stderr, "packets "+m[1]+" (") {
			t.Errorf("the kernel counted %s packets, tlsscan read another number:\n%s", m[1], stderr)
		}
	}
	stderr = c.stderrString()
	var live, group []string
	for _, r := range c.rows() {
		live = append(live, r.text)
	}
	for _, r := range g.rows() {
		group = append(group, r.text)
	}
	if len(live) != want {
		t.Errorf("%d rows live, want %d:\n%s", len(live), want, strings.Join(live, "\n"))
	}
	// The packet numbers differ (the group numbers in its sockets'
	// reading order), and so do the times by microseconds (each packet
	// socket stamps a packet as it takes it); everything else is the same.
	withoutPacket := func(rows []string) []string {
		var out []string
		for _, r := range rows {
			f, err := csv.NewReader(strings.NewReader(r)).Read()
			if err != nil {
				t.Fatalf("row %q: %v", r, err)
			}
			f[slices.Index(hdr, "packet")], f[slices.Index(hdr, "ts")] = "", ""
			out = append(out, strings.Join(f, "|"))
		}
		slices.Sort(out)
		return out
	}
	if a, b := withoutPacket(live), withoutPacket(group); !slices.Equal(a, b) {
		t.Errorf("the fanout group's rows (-j 2, two sockets) differ from one socket's:\none socket:\n%s\ngroup:\n%s\ngroup's stderr:\n%s",
			strings.Join(a, "\n"), strings.Join(b, "\n"), g.stderrString())
	}

	// What each scenario must have been seen as.
	tally := map[string]int{}
	for _, r := range live {
		for _, col := range []string{"resumption", "client_cert", "version"} {
			tally[col+"="+csvField(t, hdr, r, col)]++
		}
	}
	for k, n := range map[string]int{
		// the TLS 1.2 and 1.3 mutual TLS | the full TLS 1.2 and 1.3
		// handshakes on 4434 (it asks, optionally) and the refused one |
		// the resumed ones. TLS 1.3 verdicts are inferred from the
		// client's record sizes (evidence=record_sizes).
		"client_cert=sent": 2, "client_cert=empty": 5, "client_cert=none": 3, "client_cert=unknown": 0,
		"resumption=session_id": 1, "resumption=ticket": 1, "resumption=psk": 1, "resumption=full": 7,
		"version=TLSv1.3": 3, "version=TLSv1.2": 7,
	} {
		if tally[k] != n {
			t.Errorf("%s: %d rows, want %d (tally %v)", k, tally[k], n, tally)
		}
	}

	// The same rows offline, from the -w file.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	offline, err := exec.CommandContext(ctx, e.bin, "--format", "csv", "-q", "-r", wfile).Output()
	if err != nil {
		t.Fatalf("tlsscan -r %s: %v", wfile, err)
	}
	var off []string
	for _, l := range strings.Split(strings.TrimRight(string(offline), "\n"), "\n") {
		if l != "" && !strings.HasPrefix(l, "ts,") {
			// The file column names the -w file offline, the
			// interface live; the packet numbers agree. Offline rows
			// are linked to the rows before them (resumed_from, the
			// last column); live rows never are (report.Unlinked).
			l = l[:strings.LastIndex(l, ",")+1]
			off = append(off, strings.Replace(l, ","+wfile+",", ","+e.ifCli+",", 1))
		}
	}
	slices.Sort(live)
	slices.Sort(off)
	if !slices.Equal(live, off) {
		t.Errorf("live rows and the offline rows of the -w file differ:\nlive:\n%s\noffline:\n%s", strings.Join(live, "\n"), strings.Join(off, "\n"))
	}
	if t.Failed() {
		t.Logf("tlsscan stderr:\n%s", stderr)
	}
}

// testCount: -c 2 exits by itself after two rows, with one socket and
// with a fanout group (whose two readers both stop).
func (e *liveEnv) testCount(t *testing.T) {
	e.t = t
	for _, wfile := range []string{"", "-"} {
		c := e.startCapture(wfile, "-c", "2", "-f", "tcp port 4434")
		for i := 0; i < 3; i++ {
			e.client(4434, "-tls1_2")
		}
		code, _ := c.wait(t, 5*time.Second)
		if code != 0 {
			t.Errorf("-w %q: tlsscan -c 2 exited %d; stderr:\n%s", wfile, code, c.stderrString())
		}
		if n := len(c.rows()); n != 2 {
			t.Errorf("-w %q: tlsscan -c 2 printed %d rows", wfile, n)
		}
	}
}

// testDuration: --duration 2s exits by itself after about two seconds,
// with the row of the handshake made meanwhile.
func (e *liveEnv) testDuration(t *testing.T) {
	e.t = t
	c := e.startCapture("", "--duration", "2s", "-f", "tcp port 4434")
	e.client(4434, "-tls1_3")
	code, end := c.wait(t, 6*time.Second)
	if code != 0 {
		t.Errorf("tlsscan --duration 2s exited %d; stderr:\n%s", code, c.stderrString())
	}
	if d := end.Sub(c.start); d < 2*time.Second || d > 4*time.Second {
		t.Errorf("tlsscan --duration 2s ran for %v", d)
	}
	if n := len(c.rows()); n != 1 {
		t.Errorf("tlsscan --duration 2s printed %d rows, want 1", n)
	}
}
