package pipeline

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/tlsscan/tlsscan/capture"
	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/report"
)

// backend is where the loop hands segments: one assembler in the loop's
// goroutine (serial.go) or workers that each own one (sharded.go). Both
// write their rows through the same rowSink.
type backend interface {
	// add takes one segment; latest is the capture time the loop has
	// reached (never earlier than any segment handed over before).
	add(seg *capture.Segment, latest time.Time)
	// idle is called when a live source had nothing within its poll
	// interval: connections idle by the wall clock can be closed.
	idle(now time.Time)
	// finish decides every connection still open, writes every row left
	// and returns the assemblers' counters.
	finish() reassembly.Stats
	// held is the memory the loop's own assembler keeps
	// (reassembly.Assembler.Held); workers in other goroutines report
	// theirs to Config.Progress themselves.
	held() int64
}

// loop is the one reading loop of a run, whatever the back end.
type loop struct {
	cfg        Config
	sink       *rowSink
	fileErrors []*capture.FileError
	warnings   []string
	keys       *keys
	timeWarned map[timeWarnKey]bool // files already warned about a time jump, by direction
	// timeMu, when set, guards timeWarned, which the lanes of a fanout
	// group share (group.go): one warning per jump, not one per lane.
	timeMu *sync.Mutex
	// stopped says why reading ended before the input did ("" when it
	// did not), at is where: RunStats.Stopped and StoppedAt.
	stopped, at string
	atPacket    uint64 // the packet number in at
	progress    func() // counts into Config.Progress, every progressEvery segments
	tick        uint64
}

// run reads src to its end (or until Stop or the output ends) and hands
// every segment to be. It returns the source's error that ended the run
// early, if any; file errors only skip to the next file.
func (l *loop) run(src capture.Source, be backend) error {
	var latest, end time.Time
	idle := idleTimeout(l.cfg)
	if p := l.cfg.Progress; p != nil {
		var seen capture.Stats
		var held int64
		defer func() {
			p.note(src, &seen)
			p.heldNote(0, &held) // the backend's finish frees it all
		}()
		l.progress = func() {
			p.note(src, &seen)
			p.heldNote(be.held(), &held)
		}
	}
	add := func(seg *capture.Segment) {
		if l.cfg.Duration > 0 && !l.cfg.Stream {
			// Files: --duration is capture time from the first packet,
			// so that the same file gives the same rows at any speed.
			if end.IsZero() {
				end = seg.CI.Timestamp.Add(l.cfg.Duration)
			} else if seg.CI.Timestamp.After(end) {
				l.stop("--duration "+l.cfg.Duration.String(), seg)
				return
			}
		}
		l.noteTimeJump(seg, latest, idle)
		if seg.CI.Timestamp.After(latest) {
			latest = seg.CI.Timestamp
		}
		be.add(seg, latest)
	}
	// Live with key logs to follow, packets wait keyWait in a delay line
	// (keys.go): the client appends a connection's secrets to its key log
	// as it handshakes, a little after the packets go out.
	var delay *delayLine
	if len(l.keys.tails) > 0 && l.cfg.KeyWait > 0 {
		delay = &delayLine{wait: l.cfg.KeyWait}
		defer func() {
			l.keys.poll(time.Time{})
			delay.release(time.Time{}, add)
		}()
	}
	var last *capture.Segment // for where reading stopped
	for l.stopped == "" {
		if l.sink.done() {
			// filled and failed, not full and err: in a sharded run
			// or a fanout group another goroutine writes the rows.
			switch {
			case l.sink.filled.Load():
				l.stop("-c "+strconv.FormatUint(l.cfg.MaxRows, 10), last)
			case !l.cfg.Stream && !l.sink.failed.Load():
				l.stop("an interrupt", last)
			}
			return nil // a write error is the sink's to report
		}
		seg, err := src.Next()
		if err == io.EOF {
			return nil
		}
		if err == capture.ErrNoPacket {
			now := time.Now()
			l.keys.poll(now)
			if delay != nil {
				delay.release(now, add)
			}
			be.idle(now)
			continue
		}
		if err != nil {
			if l.noteFileError(err) {
				continue
			}
			return err
		}
		if len(l.keys.tails) > 0 {
			// The key logs are read as packets come (every
			// keyPollInterval), not only when the link is quiet.
			now := time.Now()
			l.keys.poll(now)
			if delay != nil {
				delay.push(seg, now)
				delay.release(now, add)
				continue
			}
		}
		last = seg
		add(seg)
		if l.progress != nil {
			if l.tick++; l.tick%progressEvery == 0 {
				l.progress()
			}
		}
	}
	return nil
}

// stop ends reading for the reason why, after seg (nil: before any).
func (l *loop) stop(why string, seg *capture.Segment) {
	l.stopped = why
	if seg != nil {
		l.at = fmt.Sprintf("%s packet %d", seg.File, seg.Packet)
		l.atPacket = seg.Packet
	}
}

// noteFileError records a *FileError (the run goes on with the next file)
// and reports whether err was one.
func (l *loop) noteFileError(err error) bool {
	var fe *capture.FileError
	if !errors.As(err, &fe) {
		return false
	}
	// Not also a warning in the summary: the caller prints each file
	// error once, as an error.
	l.fileErrors = append(l.fileErrors, fe)
	return true
}

// maxTimeJump is how far capture time may step back before it is worth a
// warning: pcapng files merging several interfaces step back by
// microseconds all the time, and that orders nothing differently. A step
// forward is worth one when it is longer than the idle timeout, because
// every connection open before it is then closed as idle.
const maxTimeJump = time.Second

// noteTimeJump warns, once per file and direction, when a packet's time is
// well before the latest seen (rows are ordered by first packet time) or
// past the idle timeout after it (the idle timers run on capture time).
func (l *loop) noteTimeJump(seg *capture.Segment, latest time.Time, idle time.Duration) {
	if latest.IsZero() {
		return
	}
	t := seg.CI.Timestamp
	// One Sub rather than two Adds, on every packet (Sub saturates, which
	// keeps the comparisons right for jumps of centuries).
	d := t.Sub(latest)
	back := d < -maxTimeJump
	// Live (Stream), a packet long after the one before is a quiet link
	// (or, in a fanout group, a quiet socket), not a clock step, and the
	// idle timers run on the wall clock meanwhile: only a step back is
	// worth a warning.
	if !back && (d <= idle || l.cfg.Stream) {
		return
	}
	// Once per file and direction: look that up before formatting
	// anything, since every packet of a file merged behind a later one
	// goes back.
	key := timeWarnKey{seg.File, back}
	if l.timeMu != nil {
		l.timeMu.Lock()
		defer l.timeMu.Unlock()
	}
	if l.timeWarned[key] {
		return
	}
	if l.timeWarned == nil {
		l.timeWarned = map[timeWarnKey]bool{}
	}
	l.timeWarned[key] = true
	what := fmt.Sprintf("timestamp jumps %v forward (connections open before it are closed as idle)", t.Sub(latest).Round(time.Millisecond))
	if back {
		what = fmt.Sprintf("timestamp goes back %v (rows near it may be out of order)", latest.Sub(t).Round(time.Millisecond))
	}
	l.warnings = append(l.warnings, fmt.Sprintf("%s: packet %d: %s", seg.File, seg.Packet, what))
}

// timeWarnKey is a file and a direction of time jump (back or forward).
type timeWarnKey struct {
	file string
	back bool
}

// idleTimeout is the assembler's idle timeout for cfg.
func idleTimeout(cfg Config) time.Duration {
	if cfg.Reassembly.IdleTimeout > 0 {
		return cfg.Reassembly.IdleTimeout
	}
	return reassembly.DefaultIdleTimeout
}

// assemblerOptions are the reassembly options of one of n assemblers.
func assemblerOptions(cfg Config, n int) reassembly.Options {
	o := cfg.Reassembly
	o.Parse.KeepChains = true // the leaf columns and certificate flags, in every format (report/x509.go)
	if cfg.keyLog != nil {
		o.Parse.Keys = cfg.keyLog
	}
	// The budgets are shared: each assembler may hold its part.
	o = splitBudgets(o, n)
	return o
}

// ranked is a row's place in the sorted output. Rows are sorted by their
// first packet's time, then addresses and ports (report.CompareRows),
// except that a connection whose first packet is stamped more than
// maxTimeJump before a packet read earlier (the capture's clock stepped
// back) sorts as if stamped at the latest time read then (Result.Seen),
// after the rows read before it. The key depends only on the packets up
// to the connection's first, so it is the same however connections are
// sharded, and no key still to come is below releaseLimit: rows can be
// written early without holding every row of a capture whose clock once
// stepped back.
type ranked struct {
	key   time.Time
	order uint64 // reassembly.Result.Order
	row   *report.Row
}

// rankedRow turns a decided connection into its row, with its place in
// the output: what both back ends hand the sink.
func rankedRow(conv *report.Converter, r *reassembly.Result) ranked {
	key := r.First
	if key.Before(r.Seen.Add(-maxTimeJump)) {
		key = r.Seen
	}
	s := r.Conn.Summary()
	row := conv.Row(&s, report.Conn{First: r.First, Addr: r.Addr, Evicted: r.Evicted, File: r.From.File, Packet: r.From.Packet})
	return ranked{key: key, order: r.Order, row: row}
}

// less orders by key, then the output order, then creation order. Rows
// the first two cannot tell apart are on the same ports, so one Assembler
// (the same worker at any -j) made both, in the order of their packets:
// the order is total and no back end's timing can change it.
func (a *ranked) less(b *ranked) bool {
	if c := a.key.Compare(b.key); c != 0 {
		return c < 0
	}
	if c := report.CompareRows(a.row, b.row); c != 0 {
		return c < 0
	}
	return a.order < b.order
}

// releaseLimit is how far rows of asm may be released (ranked keys before
// the result) once the capture has reached latest: a connection not yet
// emitted began when the capture had reached its Watermark, one yet to
// start will begin when it has reached latest or later, and the key of
// either is at most maxTimeJump before that (rankedRow).
func releaseLimit(asm *reassembly.Assembler, latest time.Time) time.Time {
	limit, pending := asm.Watermark()
	if !pending || latest.Before(limit) {
		limit = latest
	}
	return limit.Add(-maxTimeJump)
}
