package pipeline

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tlsscan/tlsscan/reassembly"
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
		if cfg.AutoWorkers && cfg.Workers > 1 && fewConnections(cfg.Files) {
			cfg.Workers = 1
		}
		res, err := runFiles(cfg, out, base)
		if res != nil {
			res.Stats.Captures = 1
		}
		return res, err
	}
	res := &Result{}
	res.Stats.Warnings = append(res.Stats.Warnings, base.msgs...)
	var runErr error
	// With -c the captures run one after another, each told how many
	// rows are still wanted: where a capture stops, and so its file
	// errors and counts, must not depend on how far another one ran
	// ahead.
	if cfg.MaxRows > 0 || cfg.Workers <= 1 {
		runErr = runInTurn(cfg, caps, out, base, res)
	} else {
		runErr = runAtOnce(cfg, caps, out, base, res)
	}
	res.Stats.Captures = len(caps)
	res.Stats.Duration = time.Since(cfg.Start)
	return res, runErr
}

// one is the Config of one capture of several.
func (cfg Config) one(c Capture, workers int) Config {
	one := cfg
	one.Files = c.Files
	one.Workers = 1
	// Captures analysed at once share the budgets, as workers do.
	one.Reassembly = splitBudgets(cfg.Reassembly, workers)
	return one
}

// add counts the result of one capture into res.
func (res *Result) add(r *Result) {
	res.FileErrors = append(res.FileErrors, r.FileErrors...)
	res.Stats.Add(&r.Stats)
	if res.Stats.Stopped == "" && r.Stats.Stopped != "" {
		res.Stats.Stopped, res.Stats.StoppedAt = r.Stats.Stopped, r.Stats.StoppedAt
	}
}

// runInTurn runs the captures one after another in this goroutine.
func runInTurn(cfg Config, caps []Capture, out report.Writer, base *keys, res *Result) error {
	left := cfg.MaxRows
	for i, c := range caps {
		one := cfg.one(c, 1)
		one.MaxRows = left
		k := base.child()
		r, err := runFiles(one, out, k)
		k.release()
		if r == nil {
			return err
		}
		res.add(r)
		if err != nil {
			return err
		}
		if cfg.MaxRows > 0 {
			left -= r.Stats.TLSConns
			if left == 0 && i < len(caps)-1 && res.Stats.Stopped == "" {
				res.Stats.Stopped = "-c " + strconv.FormatUint(cfg.MaxRows, 10)
			}
		}
		if res.Stats.Stopped != "" && !strings.HasPrefix(res.Stats.Stopped, "--duration") {
			return nil // -c reached, or interrupted: the rest is not read
		}
	}
	return nil
}

// runAtOnce runs up to cfg.Workers captures at once, each behind a channel
// of rows, and writes the channels out in order from this goroutine.
func runAtOnce(cfg Config, caps []Capture, out report.Writer, base *keys, res *Result) error {
	workers := min(cfg.Workers, len(caps))
	// stop ends the captures early: the user's Stop, or a write error.
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
	// The launcher starts the captures in order, at most workers at
	// once, and queues each for the writer as it starts it, so that only
	// the captures in flight have a channel and rows waiting. Once stop
	// is closed it starts no more.
	slots := make(chan struct{}, workers)
	queue := make(chan *capRun, workers)
	go func() {
		defer close(queue)
		for _, c := range caps {
			select {
			case slots <- struct{}{}:
			case <-stop:
				return
			}
			r := &capRun{rows: make(chan *report.Row, capturesInFlight)}
			queue <- r
			go func(c Capture) {
				defer func() { <-slots }()
				one := cfg.one(c, workers)
				one.Stop = stop
				k := base.child()
				r.res, r.err = runFiles(one, &chanWriter{ch: r.rows, stop: stop}, k)
				k.release()
				close(r.rows)
			}(c)
		}
	}()

	var writeErr error
	var tally report.Tally
	var written uint64
	for r := range queue {
		for row := range r.rows {
			if writeErr != nil {
				continue // draining: the run was told to stop
			}
			if writeErr = out.WriteRow(row); writeErr != nil {
				end()
				continue
			}
			written++
			tally.Add(row)
		}
		if writeErr != nil || stopped(stop) {
			continue // what a stopped capture counted depends on timing
		}
		if r.res == nil {
			writeErr = r.err // a usage error; cannot happen after openKeys
			continue
		}
		res.add(r.res)
		if r.err != nil {
			writeErr = r.err
		}
	}
	// The rows written are what the summary tallies, whatever the
	// captures counted before they were told to stop.
	res.Stats.Tally = tally
	res.Stats.TLSConns = written
	if writeErr == nil && cfg.Stop != nil && stopped(cfg.Stop) {
		res.Stats.Stopped, res.Stats.StoppedAt = "an interrupt", ""
	}
	return writeErr
}

// splitBudgets gives each of n assemblers that run at once its share of
// the connection and buffer budgets.
func splitBudgets(o reassembly.Options, n int) reassembly.Options {
	if n <= 1 {
		return o
	}
	if o.MaxConns <= 0 {
		o.MaxConns = reassembly.DefaultMaxConns
	}
	o.MaxConns = max(o.MaxConns/n, 1)
	if o.MaxBuffered <= 0 {
		o.MaxBuffered = reassembly.DefaultMaxBuffered
	}
	o.MaxBuffered = max(o.MaxBuffered/int64(n), 1)
	return o
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

// stopped reports whether c is closed (a nil c never is).
func stopped(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
