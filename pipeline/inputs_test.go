package pipeline

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsscan/tlsscan/internal/testkit"
	"github.com/tlsscan/tlsscan/report"
)

func TestRotationKeys(t *testing.T) {
	for _, tc := range []struct {
		name             string
		size, timed      string // keys; "" when the rule does not apply
		sizeIdx, timeIdx string
	}{
		{"d/x.pcap", "d/x.pcap", "", "", ""},
		{"d/x.pcap1", "d/x.pcap", "", "1", ""},
		{"d/x.pcap12.gz", "d/x.pcap", "", "12", ""},
		{"d/x.pcap007", "d/x.pcap", "", "007", ""},
		{"tls12-mtls.pcap", "tls12-mtls.pcap", "", "", ""}, // 2 digits: a name, not a clock
		{"dump-20240102-103000.pcap", "dump-20240102-103000.pcap", "dump-#-#.pcap", "", "20240102.103000"},
		{"cap1700000000.pcapng", "cap1700000000.pcapng", "cap#.pcapng", "", "1700000000"},
		{"12345", "", "", "", ""}, // nothing left of the name without its digits
	} {
		size, timed, sizeOK, timedOK := rotationKeys(tc.name)
		if sizeOK != (tc.size != "") || size.key != tc.size || size.index != tc.sizeIdx {
			t.Errorf("%s: size key %q %q %v, want %q %q", tc.name, size.key, size.index, sizeOK, tc.size, tc.sizeIdx)
		}
		if timedOK != (tc.timed != "") || timed.key != tc.timed || timed.index != tc.timeIdx {
			t.Errorf("%s: time key %q %q %v, want %q %q", tc.name, timed.key, timed.index, timedOK, tc.timed, tc.timeIdx)
		}
	}
}

func TestCompareIndex(t *testing.T) {
	in := []string{"10", "2", "", "1", "0010.5", "10.3", "99999999999999999999999"}
	slices.SortFunc(in, compareIndex)
	want := []string{"", "1", "2", "10", "10.3", "0010.5", "99999999999999999999999"}
	if !slices.Equal(in, want) {
		t.Errorf("got %q, want %q", in, want)
	}
}

// shifted returns a copy of a little-endian classic pcap with every
// record's time moved by sec seconds: the same traffic at another time.
func shifted(t *testing.T, data []byte, sec int32) []byte {
	t.Helper()
	b := bytes.Clone(data)
	if binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatal("shifted wants a little-endian microsecond pcap")
	}
	for off := 24; off+16 <= len(b); {
		ts := binary.LittleEndian.Uint32(b[off:])
		binary.LittleEndian.PutUint32(b[off:], uint32(int32(ts)+sec))
		off += 16 + int(binary.LittleEndian.Uint32(b[off+8:]))
	}
	return b
}

// TestPlanInputs: a directory of captures is walked; tcpdump rotation
// sets whose pieces follow each other in time are joined, and nothing
// else is.
func TestPlanInputs(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "pcaps", "real", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	bulk0, bulk1 := read("rotated/tls12-bulk.pcap"), read("rotated/tls12-bulk.pcap1")
	mtls := read("tls12-mtls.pcap")
	dir := t.TempDir()
	files := map[string][]byte{
		// tcpdump -C: the real rotation, under a shell's order (pcap1 sorts last here).
		"a/bulk.pcap":  bulk0,
		"a/bulk.pcap1": bulk1,
		// -C -W names, but the second starts an hour after the first
		// ended: two captures.
		"b/gap.pcap0": bulk0,
		"b/gap.pcap1": shifted(t, bulk1, 3600),
		// The second overlaps the first in time: not its continuation.
		"c/over.pcap0": mtls,
		"c/over.pcap1": mtls,
		// tcpdump -G: strftime names, contiguous.
		"d/dump-20240102-100000.pcap": bulk0,
		"d/dump-20240102-100100.pcap": bulk1,
		// Digits in names that are no clock: never joined.
		"e/tls12-x.pcap": bulk0,
		"e/tls13-x.pcap": bulk1,
		// Not captures: skipped, counted.
		"e/notes.txt": []byte("not a capture\n"),
		"e/keys.log":  []byte("CLIENT_RANDOM 00 11\n"),
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := PlanInputs([]string{dir}, false)
	if err != nil {
		t.Fatal(err)
	}
	rel := func(c Capture) string {
		var names []string
		for _, f := range c.Files {
			r, _ := filepath.Rel(dir, f)
			names = append(names, r)
		}
		return strings.Join(names, "+") + " " + c.Joined
	}
	var got []string
	for _, c := range p.Captures {
		got = append(got, rel(c))
	}
	want := []string{
		"a/bulk.pcap+a/bulk.pcap1 rotation",
		"b/gap.pcap0 ",
		"b/gap.pcap1 ",
		"c/over.pcap0 ",
		"c/over.pcap1 ",
		"d/dump-20240102-100000.pcap+d/dump-20240102-100100.pcap rotation",
		"e/tls12-x.pcap ",
		"e/tls13-x.pcap ",
	}
	if !slices.Equal(got, want) {
		t.Errorf("captures:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(p.Skipped) != 1 || p.Skipped[0].Files != 2 {
		t.Errorf("skipped %+v, want 2 files", p.Skipped)
	}

	// --merge: one capture of everything, in walk order.
	p, err = PlanInputs([]string{filepath.Join(dir, "e"), filepath.Join(dir, "a")}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Captures) != 1 || rel(p.Captures[0]) != "e/tls12-x.pcap+e/tls13-x.pcap+a/bulk.pcap+a/bulk.pcap1 merge" {
		t.Errorf("--merge: %+v", p.Captures)
	}

	// A directory with no capture is an error naming it.
	empty := filepath.Join(dir, "f")
	os.Mkdir(empty, 0o755)
	os.WriteFile(filepath.Join(empty, "x.txt"), []byte("x"), 0o644)
	p, err = PlanInputs([]string{empty, filepath.Join(dir, "a")}, false)
	if err != nil || len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Error(), empty) || len(p.Captures) != 1 {
		t.Errorf("empty directory: %v, %v, %d captures", err, p.Errors, len(p.Captures))
	}

	// A directory named through a symbolic link is walked.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(filepath.Join(dir, "a"), link); err != nil {
		t.Fatal(err)
	}
	p, err = PlanInputs([]string{link}, false)
	if err != nil || len(p.Errors) != 0 || len(p.Captures) != 1 || p.Captures[0].Files[0] != filepath.Join(link, "bulk.pcap") {
		t.Errorf("linked directory: %v %v %+v", err, p.Errors, p.Captures)
	}
}

// TestPlanRotationEdges: the pieces tcpdump leaves in the field.
func TestPlanRotationEdges(t *testing.T) {
	bulk0, err := os.ReadFile(filepath.Join("..", "pcaps", "real", "rotated", "tls12-bulk.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	bulk1, err := os.ReadFile(filepath.Join("..", "pcaps", "real", "rotated", "tls12-bulk.pcap1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  []string
	}{
		// tcpdump killed while writing the last piece: it is joined.
		{"cut last piece", map[string][]byte{"x.pcap": bulk0, "x.pcap1": bulk1[:len(bulk1)*2/3]}, []string{"x.pcap+x.pcap1"}},
		// A -W ring that wrapped around: piece 0 is the newest.
		{"wrapped ring", map[string][]byte{"r.pcap1": bulk0, "r.pcap0": bulk1}, []string{"r.pcap1+r.pcap0"}},
		// A piece that is no capture stays alone; the others join.
		{"broken piece", map[string][]byte{"y.pcap": bulk0, "y.pcap1": bulk1, "y.pcap2": []byte("junk")}, []string{"y.pcap+y.pcap1", "y.pcap2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var names []string
			for n, b := range tc.files {
				os.WriteFile(filepath.Join(dir, n), b, 0o644)
				names = append(names, filepath.Join(dir, n))
			}
			slices.Sort(names)
			var got []string
			for _, c := range joinRotations(names) {
				var fs []string
				for _, f := range c.Files {
					fs = append(fs, filepath.Base(f))
				}
				got = append(got, strings.Join(fs, "+"))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// A FIFO is never read to plan: it could not be read again.
	dir := t.TempDir()
	for _, n := range []string{"f.pcap", "f.pcap1"} {
		if err := syscall.Mkfifo(filepath.Join(dir, n), 0o600); err != nil {
			t.Skip("no FIFOs here:", err)
		}
	}
	done := make(chan []Capture, 1)
	go func() { done <- joinRotations([]string{filepath.Join(dir, "f.pcap"), filepath.Join(dir, "f.pcap1")}) }()
	select {
	case caps := <-done:
		if len(caps) != 2 {
			t.Errorf("FIFOs joined: %+v", caps)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("planning blocked reading a FIFO")
	}
}

// csvOf runs caps and returns the CSV rows.
func csvOf(t *testing.T, cfg Config, caps []Capture) (string, *Result) {
	t.Helper()
	var out bytes.Buffer
	w := report.NewWriter(&out, report.FormatCSV, report.Options{})
	res, err := RunCaptures(cfg, caps, w)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	return out.String(), res
}

// TestRunCapturesIsOneRunPerFile: the rows of a pile of unrelated
// captures are exactly those of one run per file, in order, at any -j; -c
// counts over all of them.
func TestRunCapturesIsOneRunPerFile(t *testing.T) {
	files, _ := filepath.Glob("../pcaps/real/*.pcap*")
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, ".keys") })
	if len(files) < 20 {
		t.Fatalf("only %d fixtures", len(files))
	}
	var caps []Capture
	var want strings.Builder
	var wantConns uint64
	for _, f := range files {
		caps = append(caps, Capture{Files: []string{f}})
		out, res := csvOf(t, Config{Workers: 1}, []Capture{{Files: []string{f}}})
		if want.Len() > 0 {
			_, out, _ = strings.Cut(out, "\n") // the header once
		}
		want.WriteString(out)
		wantConns += res.Stats.TLSConns
	}
	for _, j := range []int{1, 2, 4} {
		got, res := csvOf(t, Config{Workers: j}, caps)
		if got != want.String() {
			t.Errorf("-j %d: rows differ from one run per file\n--- got\n%s--- want\n%s", j, got, want.String())
		}
		if res.Stats.TLSConns != wantConns || res.Stats.Captures != len(caps) || res.Stats.Files != len(caps) {
			t.Errorf("-j %d: stats %d conns %d captures %d files, want %d %d %d", j,
				res.Stats.TLSConns, res.Stats.Captures, res.Stats.Files, wantConns, len(caps), len(caps))
		}
		got, res = csvOf(t, Config{Workers: j, MaxRows: 25}, caps)
		wantRows := strings.SplitAfter(want.String(), "\n")[:26]
		if got != strings.Join(wantRows, "") || res.Stats.Stopped != "-c 25" {
			t.Errorf("-j %d -c 25: %d lines, stopped %q\n%s", j, strings.Count(got, "\n"), res.Stats.Stopped, got)
		}
	}
}

// TestCorpusDirectoryIsOneRunPerFile: the peer corpus, ~240 unrelated
// captures from five projects' test suites, named as one directory, gives
// exactly the rows of one run per capture: no file is joined to another
// (none is a rotation piece), and every row names its own file.
func TestCorpusDirectoryIsOneRunPerFile(t *testing.T) {
	dir := testkit.Corpus(t)
	p, err := PlanInputs([]string{dir}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Captures) < 200 {
		t.Fatalf("only %d captures under %s", len(p.Captures), dir)
	}
	var want strings.Builder
	for _, c := range p.Captures {
		if len(c.Files) != 1 {
			t.Errorf("joined: %q (%s)", c.Files, c.Joined)
		}
		out, _ := csvOfAllowingErrors(t, Config{Workers: 1}, []Capture{c})
		if want.Len() > 0 {
			_, out, _ = strings.Cut(out, "\n")
		}
		want.WriteString(out)
	}
	got, res := csvOfAllowingErrors(t, Config{Workers: 2}, p.Captures)
	if got != want.String() {
		t.Errorf("the directory's rows differ from one run per capture")
	}
	if n := strings.Count(got, "\n") - 1; n < 400 || uint64(n) != res.Stats.TLSConns {
		t.Errorf("%d rows, %d counted", n, res.Stats.TLSConns)
	}
	for _, line := range strings.Split(strings.TrimSpace(got), "\n")[1:] {
		if !strings.Contains(line, ","+dir+string(filepath.Separator)) {
			t.Errorf("row without its file: %s", line)
			break
		}
	}
}

// csvOfAllowingErrors is csvOf for inputs with file errors (the corpus
// holds damaged captures on purpose).
func csvOfAllowingErrors(t *testing.T, cfg Config, caps []Capture) (string, *Result) {
	t.Helper()
	var out bytes.Buffer
	w := report.NewWriter(&out, report.FormatCSV, report.Options{})
	res, err := RunCaptures(cfg, caps, w)
	if err != nil {
		t.Fatal(err)
	}
	w.Close(nil)
	return out.String(), res
}

// -c over several captures decides the same at any -j: a capture never
// reached is never read (its file errors are not reported), and a limit
// that equals the rows there are stops nothing.
func TestRunCapturesCountIsDeterministic(t *testing.T) {
	multi := []string{filepath.Join("..", "pcaps", "real", "multi.pcap")}
	missing := []string{filepath.Join(t.TempDir(), "nosuch.pcap")}
	full := []string{filepath.Join("..", "pcaps", "real", "tls13-full.pcap")}
	for _, j := range []int{1, 4} {
		_, res := csvOfAllowingErrors(t, Config{Workers: j, MaxRows: 1}, []Capture{{Files: multi}, {Files: missing}})
		if len(res.FileErrors) != 0 || res.Stats.Stopped != "-c 1" {
			t.Errorf("-j %d -c 1: file errors %v, stopped %q", j, res.FileErrors, res.Stats.Stopped)
		}
		_, res = csvOfAllowingErrors(t, Config{Workers: j, MaxRows: 9}, []Capture{{Files: multi}, {Files: full}})
		if res.Stats.TLSConns != 9 || res.Stats.Stopped != "" {
			t.Errorf("-j %d -c 9 of 9 rows: %d rows, stopped %q", j, res.Stats.TLSConns, res.Stats.Stopped)
		}
	}
}
