//go:build libpcap && cgo

package capture

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

// buildTlsscan builds cmd/tlsscan into dir, with the libpcap tag or as the
// default static build.
func buildTlsscan(t *testing.T, root, dir string, libpcap bool) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not in PATH: cannot build cmd/tlsscan")
	}
	name, args, cgo := "tlsscan-static", []string{"build"}, "CGO_ENABLED=0"
	if libpcap {
		name, args, cgo = "tlsscan-libpcap", []string{"build", "-tags", "libpcap"}, "CGO_ENABLED=1"
	}
	bin := filepath.Join(dir, name)
	cmd := exec.Command(goTool, append(args, "-o", bin, "./cmd/tlsscan")...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), cgo)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}

// TestLibpcapCLIFilter runs the libpcap-built tlsscan on fixtures with
// filters outside the static subset and counts its rows; the static build
// must refuse the same filters as a usage error.
func TestLibpcapCLIFilter(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/tlsscan twice")
	}
	root := testkit.ModuleRoot(t)
	dir := t.TempDir()
	bin := buildTlsscan(t, root, dir, true)
	rows := func(t *testing.T, expr string, files ...string) int {
		t.Helper()
		args := []string{"-q", "--format", "csv", "-f", expr}
		for _, f := range files {
			args = append(args, filepath.Join(root, f))
		}
		var stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tlsscan %q: %v\n%s", args, err, stderr.String())
		}
		lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if len(lines) == 0 || !strings.HasPrefix(lines[0], "ts,") {
			t.Fatalf("tlsscan %q: no CSV header in %q", args, out)
		}
		return len(lines) - 1
	}
	for _, c := range []struct {
		expr  string
		files []string
		same  string // an expression of the static subset keeping the same rows ("" none)
		want  int
	}{
		// multi.pcap has 8 TLS connections: 3 to port 443, 2 to 4433, 3 to 8443.
		{"", []string{"pcaps/real/multi.pcap"}, "", 8},
		{"ip proto 6 and (tcp[0:2] = 443 or tcp[2:2] = 443)", []string{"pcaps/real/multi.pcap"}, "tcp port 443", 3},
		{"tcp[2:2] = 4433 or tcp[0:2] = 4433", []string{"pcaps/real/multi.pcap"}, "port 4433", 2},
		{"ether host d6:06:74:f8:29:27 and not (tcp[0:2] = 443 or tcp[2:2] = 443)", []string{"pcaps/real/multi.pcap"}, "not port 443", 5},
		// Only the SYNs: the connections are seen, no TLS is.
		{"tcp[tcpflags] & tcp-syn != 0", []string{"pcaps/real/multi.pcap"}, "", 0},
		// Two link types in one capture (Ethernet, Linux SLL2).
		{"tcp[2:2] = 9000 or tcp[0:2] = 9000", []string{"pcaps/real/multi.pcap", "pcaps/real/sll2-any.pcap"}, "port 9000", 2},
		{"ip[8] != 0", []string{"pcaps/real/multi.pcap", "pcaps/real/sll2-any.pcap"}, "", 10},
		// Two connections, one tagged with VLAN 100, the other with 200
		// and 300 (QinQ). As in tcpdump, each "vlan" moves the offsets
		// past one tag, and "tcp port 443" (inside the static subset)
		// looks through none; the static build looks through the tags.
		{"", []string{"pcaps/crafted/vlan-qinq.pcap"}, "", 2},
		{"vlan 100", []string{"pcaps/crafted/vlan-qinq.pcap"}, "", 1},
		{"vlan and tcp", []string{"pcaps/crafted/vlan-qinq.pcap"}, "", 1},
		{"vlan 200 and vlan 300 and tcp port 443", []string{"pcaps/crafted/vlan-qinq.pcap"}, "", 1},
		{"tcp port 443", []string{"pcaps/crafted/vlan-qinq.pcap"}, "", 0},
	} {
		if got := rows(t, c.expr, c.files...); got != c.want {
			t.Errorf("tlsscan -f %q %v: %d rows, want %d", c.expr, c.files, got, c.want)
		}
		if c.same != "" {
			if got := rows(t, c.same, c.files...); got != c.want {
				t.Errorf("tlsscan -f %q %v: %d rows, want %d", c.same, c.files, got, c.want)
			}
		}
	}

	// The static build: a usage error (exit status 2) naming the
	// expression and, for a primitive it lacks, the way to get the whole
	// language.
	static := buildTlsscan(t, root, dir, false)
	for _, expr := range []string{"tcp[tcpflags] & tcp-syn != 0", "vlan 100", "len > 100", "ether host d6:06:74:f8:29:27", "ip proto 6", "host 10.200"} {
		cmd := exec.Command(static, "-q", "-f", expr, filepath.Join(root, "pcaps/real/multi.pcap"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("static tlsscan -f %q: %v, want exit status 2 (usage)", expr, err)
		}
		msg := stderr.String()
		if !strings.Contains(msg, `filter "`+expr+`"`) {
			t.Errorf("static tlsscan -f %q: stderr %q, want the expression", expr, msg)
		}
		if hint := "-tags libpcap"; expr != "host 10.200" && !strings.Contains(msg, hint) {
			// "host 10.200" is told to write "net 10.200" instead.
			t.Errorf("static tlsscan -f %q: stderr %q, want %q", expr, msg, hint)
		}
		if len(out) != 0 {
			t.Errorf("static tlsscan -f %q: printed %q", expr, out)
		}
	}
}
