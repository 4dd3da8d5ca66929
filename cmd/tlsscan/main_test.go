package main

import (
	"bytes"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite the golden files in pcaps/golden")

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	notCapture := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notCapture, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.pcap")
	// A valid little-endian pcap header with no packets.
	hdr := testkit.Pcap(testkit.PcapHeader{LinkType: layers.LinkTypeEthernet, Snaplen: 65535})
	if err := os.WriteFile(empty, hdr, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"-h"}, exitOK},
		{"version", []string{"--version"}, exitOK},
		{"no args", nil, exitUsage},
		{"unknown flag", []string{"--nope", empty}, exitUsage},
		{"bad format", []string{"--format", "xml", empty}, exitUsage},
		{"zero max-conns", []string{"--max-conns", "0", empty}, exitUsage},
		{"max-buffer not a size", []string{"--max-buffer", "lots", empty}, exitUsage},
		{"max-buffer below 64K", []string{"--max-buffer", "63K", empty}, exitUsage},
		{"max-buffer 64K", []string{"--max-buffer", "64K", empty}, exitOK},
		{"max-buffer 1G", []string{"--max-buffer", "1g", empty}, exitOK},
		{"zero workers", []string{"-j", "0", empty}, exitUsage},
		{"bad filter", []string{"-f", "port 99999", empty}, exitUsage},
		{"-w without -i", []string{"-w", filepath.Join(dir, "x.pcap"), empty}, exitUsage},
		{"-i with files", []string{"-i", "lo", empty}, exitUsage},
		{"stdin twice", []string{"-", "-"}, exitUsage},
		{"empty capture", []string{empty}, exitOK},
		{"empty capture via -r", []string{"-r", empty, "--format", "csv"}, exitOK},
		{"not a capture", []string{notCapture}, exitError},
		{"missing file", []string{filepath.Join(dir, "nope.pcap")}, exitError},
		{"good and bad", []string{empty, notCapture}, exitError},
		{"unwritable output", []string{"-o", filepath.Join(dir, "no/such/dir/out.csv"), empty}, exitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			got := run(tt.args, strings.NewReader(""), &out, &errb)
			if got != tt.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", got, tt.want, errb.String())
			}
			for _, line := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
				if !strings.HasPrefix(line, "tlsscan:") {
					continue // the summary
				}
				if !strings.HasPrefix(line, "tlsscan: error: ") && !strings.HasPrefix(line, "tlsscan: hint: ") {
					t.Errorf("stderr line not in the tlsscan: error/hint form: %q", line)
				}
				if strings.HasSuffix(line, ".") {
					t.Errorf("stderr line ends with a period: %q", line)
				}
			}
		})
	}
}

// goldenInputs lists the captures with a golden CSV: every capture under
// pcaps/ except the hostile set (which has its own tests), each rotated
// set as one multi-file input. A capture with its key log beside it
// (NAME.keys) is listed twice: as it is, and as "NAME.keylog" with
// --keylog NAME.keys first in its arguments.
// goldenInputsSorted is goldenInputs and its names in order, failing the
// test when there are none.
func goldenInputsSorted(t *testing.T) (map[string][]string, []string) {
	t.Helper()
	inputs := goldenInputs(t)
	if len(inputs) == 0 {
		t.Fatal("no fixtures found under pcaps/")
	}
	return inputs, slices.Sorted(maps.Keys(inputs))
}

func goldenInputs(t *testing.T) map[string][]string {
	t.Helper()
	inputs := map[string][]string{}
	for _, sub := range []string{"real", "crafted"} {
		root := filepath.Join("..", "..", "pcaps", sub)
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join("..", "..", "pcaps"), path)
			dir := filepath.Dir(rel)
			if filepath.Base(dir) == "rotated" {
				inputs[dir] = append(inputs[dir], path)
				return nil
			}
			if strings.HasSuffix(path, ".md") || strings.HasSuffix(path, ".txt") || strings.HasSuffix(path, "README") || strings.HasSuffix(path, ".keys") {
				return nil
			}
			inputs[rel] = []string{path}
			keys := strings.TrimSuffix(path, filepath.Ext(path)) + ".keys"
			if _, err := os.Stat(keys); err == nil {
				inputs[rel+".keylog"] = []string{"--keylog", keys, path}
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	return inputs
}

// TestGolden runs every fixture through the CLI and compares the CSV with
// pcaps/golden/<path>.csv. Run with -update after a deliberate change and
// review the diff: the goldens are the output contract on real captures.
func TestGolden(t *testing.T) {
	inputs, names := goldenInputsSorted(t)
	for _, name := range names {
		files := inputs[name]
		if files[0] != "--keylog" {
			sort.Strings(files)
		}
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"--format", "csv", "-q"}, files...)
			code := run(args, strings.NewReader(""), &out, &errb)
			// The file column names the capture as given: relative to
			// the repository, as a user in its root would name it.
			got := relPaths(out.String())
			if errb.Len() > 0 {
				// File errors are part of what a user sees: keep them.
				got += "# exit " + itoa(code) + "\n# " + strings.ReplaceAll(strings.TrimSpace(relPaths(errb.String())), "\n", "\n# ") + "\n"
			}
			golden := filepath.Join("..", "..", "pcaps", "golden", name+".csv")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/tlsscan -run TestGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (rerun with -update and review the diff)\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

func relPaths(s string) string {
	return strings.ReplaceAll(s, filepath.Join("..", "..")+string(filepath.Separator), "")
}

func itoa(i int) string { return string(rune('0' + i)) }

// TestFixturesListed keeps pcaps/README honest: every capture under pcaps/
// has a line there saying how it was made.
func TestFixturesListed(t *testing.T) {
	index, err := os.ReadFile(filepath.Join("..", "..", "pcaps", "README"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"real", "crafted", "hostile"} {
		root := filepath.Join("..", "..", "pcaps", sub)
		filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join("..", "..", "pcaps"), path)
			if !bytes.Contains(index, []byte("`"+filepath.ToSlash(rel)+"`")) {
				t.Errorf("pcaps/README has no line for %s", rel)
			}
			return nil
		})
	}
}

// A full disk on stdout: a clear error, exit 1, and the summary still on
// stderr for csv/json. A closed pipe (tlsscan ... | head): no error and
// exit 0, as tcpdump ends, the summary still on stderr. The capture has
// 2,000 rows, more than the writer buffers, so the error comes from the
// rows, not at Close.
func TestWriteErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		code    int
		message bool
	}{
		{"full disk", syscall.ENOSPC, exitError, true},
		{"closed pipe", syscall.EPIPE, exitOK, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			code := run([]string{"--format", "csv", filepath.Join("..", "..", "pcaps", "hostile", "half-open.pcap")},
				strings.NewReader(""), failingWriter{tc.err}, &errb)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if got := strings.Contains(errb.String(), "tlsscan: error: writing output: "); got != tc.message {
				t.Errorf("write error on stderr: %v, want %v:\n%s", got, tc.message, errb.String())
			}
			if !strings.Contains(errb.String(), "TLS connections") {
				t.Errorf("no summary on stderr after the write error:\n%s", errb.String())
			}
		})
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"65536", 65536, true},
		{"64K", 64 << 10, true},
		{"64m", 64 << 20, true},
		{"2G", 2 << 30, true},
		{"", 0, false},
		{"M", 0, false},
		{"-1M", 0, false},
		{"1.5M", 0, false},
		{"64MB", 0, false},
		{"9999999999G", 0, false},
	} {
		got, ok := parseSize(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseSize(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// File names come from directories anyone could fill: the ones in errors,
// warnings and the summary reach the terminal escaped, like the ones in
// rows.
func TestFileNamesEscapedEverywhere(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d\x1b[31mred")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{
		"real/truncated.pcap":             "t\x1b]0;pwned\a.pcap",
		"hostile/clock-jump-forward.pcap": "j\x1b[2J.pcap",
	} {
		b, err := os.ReadFile(filepath.Join("..", "..", "pcaps", src))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, dst), b, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "notes\x1b.txt"), []byte("x"), 0o644)
	for _, format := range []string{"table", "csv"} {
		var out, errb bytes.Buffer
		code := run([]string{"--format", format, "-c", "100000", filepath.Dir(dir)}, strings.NewReader(""), &out, &errb)
		if code != exitError {
			t.Errorf("%s: exit %d, want 1 (the truncated file)", format, code)
		}
		for name, b := range map[string][]byte{"stdout": out.Bytes(), "stderr": errb.Bytes()} {
			if bytes.ContainsAny(b, "\x1b\a") {
				t.Errorf("%s: raw control bytes on %s:\n%q", format, name, b)
			}
		}
		if !strings.Contains(errb.String(), `t\x1b]0;pwned\x07.pcap: packet 11`) {
			t.Errorf("%s: the error does not name the file escaped:\n%s", format, errb.String())
		}
	}
}
