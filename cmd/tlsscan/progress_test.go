package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tlsscan/tlsscan/pipeline"
)

func TestProgressText(t *testing.T) {
	for _, tc := range []struct {
		read, total, rows uint64
		took              time.Duration
		want              string
	}{
		{0, 3_500_000_000, 0, 0, "tlsscan: 0% of 3.5 GB, 0 rows"},
		{1_200_000_000, 3_500_000_000, 120345, 10 * time.Second,
			"tlsscan: 34% of 3.5 GB, 120345 rows, 120.0 MB/s, about 19s left"},
		// The estimate may pass the size (pcapng blocks are longer than
		// pcap's records): it stays under 100% until the end.
		{4_000_000_000, 3_500_000_000, 9, time.Second, "tlsscan: 99% of 3.5 GB, 9 rows, 4.0 GB/s"},
	} {
		if got := progressText(tc.read, tc.total, tc.rows, tc.took); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

// Rows written to the terminal erase the line first, and end erases it
// for good: the line never mixes with output.
func TestProgressLineErasedBeforeOutput(t *testing.T) {
	var tty bytes.Buffer
	p := &pipeline.Progress{}
	p.Rows.Store(7)
	pl := &progressLine{w: &tty, width: 40, p: p, total: 1000, start: time.Now(),
		quit: make(chan struct{}), done: make(chan struct{})}
	go pl.loop()
	pl.draw(time.Now().Add(time.Second))
	if !strings.HasPrefix(tty.String(), "\r\x1b[Ktlsscan: 0% of 1.0 kB, 7 rows") || len(tty.String()) > len("\r\x1b[K")+39 {
		t.Fatalf("line %q", tty.String())
	}
	out := pausingWriter{w: &tty, pl: pl}
	out.Write([]byte("row\n"))
	if !strings.HasSuffix(tty.String(), "\r\x1b[Krow\n") {
		t.Errorf("row not written on an erased line: %q", tty.String())
	}
	out.Write([]byte("row\n"))
	if strings.Count(tty.String(), "\r\x1b[K") != 2 {
		t.Errorf("erased a line that was not shown: %q", tty.String())
	}
	// Output that stops mid-line (a 64 KiB chunk) keeps the line away
	// until a line is ended.
	out.Write([]byte("half a r"))
	n := tty.Len()
	pl.draw(time.Now().Add(time.Second))
	if tty.Len() != n {
		t.Errorf("line drawn inside a row: %q", tty.String()[n:])
	}
	out.Write([]byte("ow\n"))
	pl.draw(time.Now().Add(time.Second))
	if !strings.HasSuffix(tty.String(), "half a row\n\r\x1b[Ktlsscan: 0% of 1.0 kB, 7 rows") {
		t.Errorf("after the row: %q", tty.String())
	}
	pl.end()
	pl.end()
	if !strings.HasSuffix(tty.String(), "\r\x1b[K") {
		t.Errorf("line left on the screen: %q", tty.String())
	}
	n = tty.Len()
	pl.draw(time.Now().Add(2 * time.Second))
	if tty.Len() != n {
		t.Errorf("drawn after end: %q", tty.String()[n:])
	}
}

// Never in a pipe: standard error not a terminal means no line at all.
func TestNoProgressInAPipe(t *testing.T) {
	if pl := startProgress(&bytes.Buffer{}, &pipeline.Progress{}, 1<<30); pl != nil {
		t.Error("progress line on a buffer")
	}
}

func TestMemoryLimitFor(t *testing.T) {
	for _, tc := range []struct{ held, want int64 }{
		{-5, baseMemoryLimit}, // counters in flux never lower it
		{0, baseMemoryLimit},
		{4<<20 - 1, baseMemoryLimit},
		{4 << 20, baseMemoryLimit + 4<<20},
		{64<<20 + 100, baseMemoryLimit + 64<<20},
	} {
		if got := memoryLimitFor(tc.held); got != tc.want {
			t.Errorf("memoryLimitFor(%d) = %d, want %d", tc.held, got, tc.want)
		}
	}
}

// --max-memory is one number for the process: the budgets share what the
// base leaves.
func TestBudgetsFor(t *testing.T) {
	buf, conns := budgetsFor(232 << 20)
	if buf != 92<<20 || conns != int((92<<20)/connMemory) {
		t.Errorf("232M: buffer %d, conns %d", buf, conns)
	}
	buf, conns = budgetsFor(minMaxMemory)
	if buf != 40<<20 || conns < 30000 {
		t.Errorf("128M: buffer %d, conns %d", buf, conns)
	}
	// A budget given by its own flag wins over the split.
	buf, conns = withMaxMemory(256<<20, map[string]bool{"max-conns": true}, 64<<20, 5000)
	if want, _ := budgetsFor(256 << 20); buf != want || conns != 5000 {
		t.Errorf("--max-conns 5000 --max-memory 256M: buffer %d, conns %d", buf, conns)
	}
	buf, conns = withMaxMemory(256<<20, map[string]bool{"max-buffer": true}, 1<<20, 100000)
	if _, want := budgetsFor(256 << 20); buf != 1<<20 || conns != want {
		t.Errorf("--max-buffer 1M --max-memory 256M: buffer %d, conns %d", buf, conns)
	}
	var out, errb bytes.Buffer
	code := run([]string{"-q", "--format", "csv", "--max-memory", "100M", "x.pcap"}, strings.NewReader(""), &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "--max-memory wants a size of at least 128M") {
		t.Errorf("100M: exit %d, %s", code, errb.String())
	}
}
