package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/internal/testkit"
	"github.com/tlsscan/tlsscan/pcaps/craft/craftlib"
	"github.com/tlsscan/tlsscan/report"
)

// TestFewConnections: the default -j takes one worker for a capture of a
// few long connections, and keeps the workers for many short ones, for
// captures too small to judge, and for standard input; and the rows are
// those of -j 1 and -j 4 either way.
func TestFewConnections(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, conns ...*testkit.Conn) string {
		c := testkit.NewCapture(layers.LinkTypeEthernet)
		if err := c.AddConn(conns...); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, c.Pcap(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	conn := func(port uint16, data int) *testkit.Conn {
		c := testkit.NewConn(craftlib.ClientEP(port), craftlib.ServerEP(), uint32(port)*7919, uint32(port)*104729)
		h := &testkit.Handshake{RNG: testkit.NewRNG("few-connections"), SNI: "bulk.example.test"}
		h.Run(c, testkit.A)
		c.SendSizes(testkit.B, make([]byte, data), 1000)
		c.Close(testkit.A)
		return c
	}
	var many []*testkit.Conn
	for i := range 200 {
		many = append(many, conn(uint16(40000+i), 0))
	}
	bulk := write("bulk.pcap", conn(40000, 3_000_000), conn(40001, 3_000_000))
	short := write("short.pcap", many...)
	tiny := write("tiny.pcap", conn(40000, 100_000))
	for _, tc := range []struct {
		file string
		want bool
	}{
		{bulk, true},
		{short, false},
		{tiny, false}, // fewer than 1,000 segments: not judged
		{"-", false},
		{filepath.Join(dir, "missing.pcap"), false},
	} {
		if got := fewConnections([]string{tc.file}); got != tc.want {
			t.Errorf("%s: fewConnections %v, want %v", filepath.Base(tc.file), got, tc.want)
		}
	}
	// A FIFO can be read once: it is not sampled, and the run reads it
	// whole (a review found the sample eating it, the run then finding
	// it empty, and a FIFO with no writer left hanging the run).
	fifo := filepath.Join(dir, "bulk.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if fewConnections([]string{fifo}) {
		t.Error("a FIFO was sampled")
	}
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		b, _ := os.ReadFile(bulk)
		w.Write(b)
	}()
	var fromFIFO bytes.Buffer
	w := report.NewWriter(&fromFIFO, report.FormatCSV, report.Options{})
	if _, err := RunCaptures(Config{Workers: 4, AutoWorkers: true}, []Capture{{Files: []string{fifo}}}, w); err != nil {
		t.Fatal(err)
	}
	w.Close(nil)
	if n := bytes.Count(fromFIFO.Bytes(), []byte("\n")); n != 3 {
		t.Errorf("%d lines from the FIFO, want the header and 2 rows:\n%s", n, &fromFIFO)
	}

	for _, file := range []string{bulk, short} {
		var rows [3]bytes.Buffer
		for i, cfg := range []Config{{Workers: 1}, {Workers: 4}, {Workers: 4, AutoWorkers: true}} {
			w := report.NewWriter(&rows[i], report.FormatCSV, report.Options{})
			if _, err := RunCaptures(cfg, []Capture{{Files: []string{file}}}, w); err != nil {
				t.Fatal(err)
			}
			w.Close(nil)
		}
		if rows[0].String() != rows[1].String() || rows[0].String() != rows[2].String() || bytes.Count(rows[0].Bytes(), []byte("\n")) < 3 {
			t.Errorf("%s: rows differ with -j:\n%s\n%s\n%s", filepath.Base(file), &rows[0], &rows[1], &rows[2])
		}
	}
}
