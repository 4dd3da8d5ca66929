//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair whose window is cols x rows.
func openPTY(cols, rows uint16) (master, tty *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil { // unlockpt
		master.Close()
		return nil, nil, err
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN) // ptsname
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	if err := unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: cols, Row: rows}); err != nil {
		master.Close()
		tty.Close()
		return nil, nil, err
	}
	return master, tty, nil
}

// TestTerminalTable runs the README's quick start, tlsscan
// pcaps/real/multi.pcap, with standard output and error on a
// pseudo-terminal, and checks that the table fits the window: no line
// wider than the terminal (the fixed layout of a pipe is over 200 columns,
// so this also shows the width was read), the verdict columns in the
// header. $COLUMNS overrides the window's width.
func TestTerminalTable(t *testing.T) {
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if m, tty, err := openPTY(80, 24); err != nil {
		t.Skipf("cannot open a pseudo-terminal: %v", err)
	} else {
		m.Close()
		tty.Close()
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to build tlsscan: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "tlsscan")
	build := exec.Command(gobin, "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}

	verdicts := [][]string{{"server"}, {"sni"}, {"version"}, {"resumption", "resume"}, {"cert_req", "req"}, {"client_cert", "cert"}, {"flags"}}
	for _, tc := range []struct {
		cols    uint16
		columns string // $COLUMNS
		max     int    // widest line allowed
		want    []string
	}{
		{80, "", 80, nil},
		{120, "", 120, []string{"UTC"}}, // the time column, its header the date
		{120, "100", 100, nil},
		{80, "junk", 80, nil},
	} {
		t.Run(fmt.Sprintf("%dx24/COLUMNS=%s", tc.cols, tc.columns), func(t *testing.T) {
			out := runOnPTY(t, bin, root, tc.cols, tc.columns, "pcaps/real/multi.pcap")
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			if len(lines) < 12 {
				t.Fatalf("too little output:\n%s", out)
			}
			widest := 0
			for i, l := range lines {
				n := utf8.RuneCountInString(l) // ASCII and "─": one column each
				widest = max(widest, n)
				if n > tc.max {
					t.Errorf("line %d is %d columns wide, the terminal %d: %q", i, n, tc.max, l)
				}
			}
			if widest < tc.max-10 {
				t.Errorf("widest line %d columns: the table does not use a %d-column terminal", widest, tc.max)
			}
			hdr := strings.Fields(lines[0])
			for _, v := range append(verdicts, tc.want) {
				if len(v) == 0 {
					continue
				}
				found := false
				for _, name := range v {
					for _, h := range hdr {
						found = found || h == name
					}
				}
				if !found {
					t.Errorf("header %q lacks %v", lines[0], v)
				}
			}
			if !strings.Contains(out, "\nfiles 1, packets 145") {
				t.Errorf("no summary:\n%s", out)
			}
		})
	}
}

// runOnPTY runs bin args in dir with standard output and error on a new
// pseudo-terminal of cols x 24 and returns what it wrote, "\r\n" made "\n".
func runOnPTY(t *testing.T, bin, dir string, cols uint16, columns string, args ...string) string {
	t.Helper()
	master, tty, err := openPTY(cols, 24)
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = tty, tty
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COLUMNS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if columns != "" {
		cmd.Env = append(cmd.Env, "COLUMNS="+columns)
	}
	if err := cmd.Start(); err != nil {
		tty.Close()
		t.Fatal(err)
	}
	tty.Close() // the child holds it; EIO on master when the child is gone
	got := make(chan []byte)
	go func() {
		b, err := io.ReadAll(master)
		if err != nil && !errors.Is(err, syscall.EIO) {
			t.Errorf("reading the terminal: %v", err)
		}
		got <- b
	}()
	werr := cmd.Wait()
	var out []byte
	select {
	case out = <-got:
	case <-ctx.Done():
		t.Fatal("the terminal was not closed")
	}
	if werr != nil {
		t.Fatalf("tlsscan: %v\n%s", werr, out)
	}
	return strings.ReplaceAll(string(out), "\r\n", "\n")
}
