package pipeline

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tlsscan/tlsscan/report"
)

// capturesInFlight bounds the rows a capture analysed ahead of its turn
// may hold while the captures before it are written: the run's memory
// stays flat however many rows a capture has, since a capture that gets
// that far ahead waits.
const capturesInFlight = 1024

// RunCaptures analyses each capture on its own, exactly as Run would one
// at a time, and writes their rows to out one capture after another in
// the order given (each capture's rows sorted as Run sorts them). With
// cfg.Workers > 1 and several captures, up to Workers captures are
// analysed at once, each in one goroutine; the output is the same as
// with one. A single capture is Run, sharded over the workers. The
// --keylog files are read once, for every capture; the secrets blocks of
// a pcapng file serve only its own capture. -c counts rows over all the
// captures. The Result adds the captures' statistics and lists their file
// errors in capture order.
func RunCaptures(cfg Config, caps []Capture, out report.Writer) (*Result, error) {
	if cfg.Start.IsZero() {
		cfg.Start = time.Now()
	}
	if cfg.Stream {
		return nil, &UsageError{Err: errors.New("pipeline: RunCaptures reads files, not a live source")}
	}
	base, err := openKeys(cfg)
	if err != nil {
		return nil, err
	}
	if len(caps) == 1 {
		cfg.Files = caps[0].Files
		res, err := runFiles(cfg, out, base)
		if res != nil {
			res.Stats.Captures = 1
		}
		return res, err
	}

	// Every capture runs behind a channel of rows; this goroutine
	// writes the channels out in order. stop ends the captures early:
	// the user's Stop, -c reached, or a write error.
	stop := make(chan struct{})
	var stopOnce sync.Once
	end := func() { stopOnce.Do(func() { close(stop) }) }
	defer end()
	if cfg.Stop != nil {
		go func() {
			select {
			case <-cfg.Stop:
				end()
			case <-stop:
			}
		}()
	}
	type capRun struct {
		rows chan *report.Row
		res  *Result
		err  error
	}
	// The launcher starts the captures in order, at most Workers at
	// once, and queues each for the writer as it starts it, so that only
	// the captures in flight have a channel and rows waiting.
	workers := max(1, cfg.Workers)
	slots := make(chan struct{}, workers)
	queue := make(chan *capRun, workers)
	go func() {
		defer close(queue)
		for _, c := range caps {
			slots <- struct{}{}
			r := &capRun{rows: make(chan *report.Row, capturesInFlight)}
			queue <- r
			go func(c Capture) {
				defer func() { <-slots }()
				one := cfg
				one.Files = c.Files
				one.Workers = 1
				one.Stop = stop
				k := &keys{log: base.log.Child()}
				r.res, r.err = runFiles(one, &chanWriter{ch: r.rows, stop: stop}, k)
				close(r.rows)
			}(c)
		}
	}()

	res := &Result{}
	res.Stats.Warnings = append(res.Stats.Warnings, base.msgs...)
	var written uint64
	var writeErr error
	for r := range queue {
		for row := range r.rows {
			if writeErr != nil || cfg.MaxRows > 0 && written >= cfg.MaxRows {
				continue // draining: the run was told to stop
			}
			if writeErr = out.WriteRow(row); writeErr != nil {
				end()
				continue
			}
			written++
			res.Stats.Tally.Add(row)
			if cfg.MaxRows > 0 && written >= cfg.MaxRows {
				end()
			}
		}
		if r.res == nil {
			if writeErr == nil {
				writeErr = r.err // a usage error; cannot happen after openKeys
			}
			continue
		}
		res.FileErrors = append(res.FileErrors, r.res.FileErrors...)
		s := &r.res.Stats
		s.Tally = report.Tally{} // counted above, as written
		res.Stats.Add(s)
		// A --duration stop is the capture's own, the same at any -j.
		// Where -c or an interrupt stopped a capture depends on timing
		// (one running ahead is told to stop): only the run's reason
		// counts (below).
		if res.Stats.Stopped == "" && strings.HasPrefix(s.Stopped, "--duration") {
			res.Stats.Stopped, res.Stats.StoppedAt = s.Stopped, s.StoppedAt
		}
		if r.err != nil && !errors.Is(r.err, errStopped) && writeErr == nil {
			writeErr = r.err
		}
	}
	// A capture that -c or an interrupt kept from starting, or cut
	// short, leaves the input unread.
	if writeErr == nil && stopped(stop) {
		switch {
		case cfg.MaxRows > 0 && written >= cfg.MaxRows:
			res.Stats.Stopped, res.Stats.StoppedAt = "-c "+strconv.FormatUint(cfg.MaxRows, 10), ""
		case cfg.Stop != nil && stopped(cfg.Stop):
			res.Stats.Stopped, res.Stats.StoppedAt = "an interrupt", ""
		}
	}
	res.Stats.TLSConns = written
	res.Stats.Captures = len(caps)
	res.Stats.Duration = time.Since(cfg.Start)
	return res, writeErr
}

// errStopped is a capture's write error when the whole run was told to
// stop: its rows are no longer wanted.
var errStopped = errors.New("pipeline: run stopped")

// chanWriter is the report.Writer of one capture among several: it hands
// the rows to the goroutine that writes the captures out in order.
type chanWriter struct {
	ch   chan<- *report.Row
	stop <-chan struct{}
}

func (w *chanWriter) WriteRow(r *report.Row) error {
	select {
	case w.ch <- r:
		return nil
	case <-w.stop:
		return errStopped
	}
}

func (w *chanWriter) Close(*report.RunStats) error { return nil }

func stopped(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
