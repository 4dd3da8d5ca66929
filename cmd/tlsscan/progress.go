package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/tlsscan/tlsscan/pipeline"
)

// The progress line: on a terminal, reading files that take a while, one
// line on standard error says how far the run is (read of total, rows,
// rate, time left), redrawn in place and erased when output ends. Never in
// a pipe (standard error not a terminal), with -q, or live.

const (
	// progressDelay: a run shorter than this never shows the line, so the
	// quick start and small files print exactly what a pipe would get.
	progressDelay = time.Second
	progressTick  = 250 * time.Millisecond
)

type progressLine struct {
	w     io.Writer
	width int
	p     *pipeline.Progress
	total uint64 // bytes of the input files
	start time.Time

	mu    sync.Mutex // held while either output is written
	shown bool       // the line is on the screen
	// midLine: the last write to the shared terminal did not end a line
	// (output is written in 64 KiB chunks): drawing now would put the
	// line inside a row, and erasing it would erase half the row.
	midLine bool
	ended   bool
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// startProgress starts the line if stderr is a terminal, and returns nil
// otherwise. total is the size of the input files.
func startProgress(stderr io.Writer, p *pipeline.Progress, total uint64) *progressLine {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || total == 0 {
		return nil
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width = defaultWidth
	}
	pl := &progressLine{w: stderr, width: width, p: p, total: total, start: time.Now(),
		quit: make(chan struct{}), done: make(chan struct{})}
	go pl.loop()
	return pl
}

func (pl *progressLine) loop() {
	defer close(pl.done)
	t := time.NewTicker(progressTick)
	defer t.Stop()
	for {
		select {
		case <-pl.quit:
			return
		case now := <-t.C:
			if now.Sub(pl.start) >= progressDelay {
				pl.draw(now)
			}
		}
	}
}

func (pl *progressLine) draw(now time.Time) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.ended || pl.midLine {
		return
	}
	line := progressText(pl.p.Read.Load(), pl.total, pl.p.Rows.Load(), now.Sub(pl.start))
	if len(line) >= pl.width { // ASCII only: bytes are columns
		line = line[:pl.width-1]
	}
	fmt.Fprintf(pl.w, "\r\x1b[K%s", line)
	pl.shown = true
}

// progressText is the line's text: "tlsscan: 34% of 3.5 GB, 120345 rows,
// 85.0 MB/s, about 27s left". The share read is an estimate (Progress.Read)
// and stays under 100% until the run ends.
func progressText(read, total, rows uint64, took time.Duration) string {
	frac := min(float64(read)/float64(total), 0.99)
	s := "tlsscan: " + strconv.Itoa(int(frac*100)) + "% of " + sizeText(total) +
		", " + strconv.FormatUint(rows, 10) + " rows"
	if sec := took.Seconds(); sec > 0 && read > 0 {
		rate := float64(read) / sec
		s += ", " + sizeText(uint64(rate)) + "/s"
		if left := time.Duration(float64(total-min(read, total)) / rate * float64(time.Second)); left > 0 {
			s += ", about " + left.Round(time.Second).String() + " left"
		}
	}
	return s
}

// sizeText is a byte count in SI units with one decimal.
func sizeText(n uint64) string {
	const units = "kMGTPE"
	if n < 1000 {
		return strconv.FormatUint(n, 10) + " B"
	}
	v, i := float64(n)/1000, 0
	for v >= 999.95 && i < len(units)-1 {
		v /= 1000
		i++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i:i+1] + "B"
}

// erase takes the line off the screen; pl.mu is held.
func (pl *progressLine) erase() {
	if pl.shown {
		io.WriteString(pl.w, "\r\x1b[K")
		pl.shown = false
	}
}

// end erases the line for good. It may be called more than once.
func (pl *progressLine) end() {
	if pl == nil {
		return
	}
	pl.once.Do(func() {
		close(pl.quit)
		<-pl.done
		pl.mu.Lock()
		pl.ended = true
		pl.erase()
		pl.mu.Unlock()
	})
}

// pausingWriter is standard output when it shares the terminal with the
// progress line: each write first erases the line (the next tick draws it
// again below), under the line's lock, so rows never land in it.
type pausingWriter struct {
	w  io.Writer
	pl *progressLine
}

func (p pausingWriter) Write(b []byte) (int, error) {
	p.pl.mu.Lock()
	defer p.pl.mu.Unlock()
	p.pl.erase()
	n, err := p.w.Write(b)
	if n > 0 {
		p.pl.midLine = b[n-1] != '\n'
	}
	return n, err
}

// inputSize adds up the sizes of the capture files ("-" counts nothing).
func inputSize(plan *pipeline.Plan) uint64 {
	var n uint64
	for _, c := range plan.Captures {
		for _, f := range c.Files {
			if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
				n += uint64(st.Size())
			}
		}
	}
	return n
}
