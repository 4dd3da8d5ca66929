package pipeline

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlsscan/tlsscan/report"
)

// rowSink is the output end of both back ends: it writes rows (at once
// when streaming, otherwise in sorted order once nothing earlier can
// come), counts them, and ends the run after -c rows or a write error.
// Only one goroutine uses it: the loop's (serial) or the merger's
// (sharded), except in a fanout group (group.go), whose lanes push
// streamed rows under mu.
type rowSink struct {
	cfg   Config
	out   report.Writer
	ready rowHeap
	err   error
	rows  uint64       // rows written
	tally report.Tally // their values, for the summary
	// sids links rows across the capture (resumed_from, the refusal
	// flags, resumed_without_client_auth), in the order they are written
	// (sorted, so the same for -j 1 and -j N).
	sids *report.Sessions
	// ended is set when output ends early (write error, -c), to stop the
	// loop, which in a sharded run is another goroutine. An atomic, not a
	// channel: the loop looks at it once per packet.
	ended atomic.Bool
	// filled is set once -c rows are written, failed once a write has
	// failed: full and err, for a loop that may be another goroutine
	// than the writer's.
	filled, failed atomic.Bool
	// mu, when set, is held by push: several lanes push (fanout group).
	mu *sync.Mutex
}

func newRowSink(cfg Config, out report.Writer) *rowSink {
	return &rowSink{cfg: cfg, out: out, sids: report.NewSessions(0)}
}

// push takes a decided row with its place in the output (rankedRow).
func (k *rowSink) push(rk ranked) {
	if k.mu != nil {
		k.mu.Lock()
		defer k.mu.Unlock()
	}
	if k.cfg.Stream {
		k.write(rk.row)
	} else {
		// Rows wait in a heap until no connection still undecided can
		// sort before them, so memory holds only the handshakes in
		// progress, not every row of the capture.
		k.ready.push(rk)
	}
}

// release writes the waiting rows whose rank is before limit.
func (k *rowSink) release(limit time.Time) {
	for k.ready.Len() > 0 && k.ready[0].key.Before(limit) {
		k.write(k.ready.pop().row)
	}
}

// flush writes every waiting row: the input has ended.
func (k *rowSink) flush() {
	for k.ready.Len() > 0 {
		k.write(k.ready.pop().row)
	}
}

func (k *rowSink) full() bool { return k.cfg.MaxRows > 0 && k.rows >= k.cfg.MaxRows }

func (k *rowSink) write(row *report.Row) {
	if k.err != nil || k.full() {
		return
	}
	// The one serial, ordered point of the run: a row's link and flags
	// can depend on the rows written before it. Streamed rows come in
	// decision order, which at -j N is the workers' timing, so they are
	// linked to none: identical input gives identical rows.
	if k.cfg.Stream {
		report.Unlinked(row)
	} else {
		k.sids.Apply(row)
	}
	k.rows++
	if k.cfg.Progress != nil {
		k.cfg.Progress.Rows.Add(1)
	}
	k.tally.Add(row)
	k.err = k.out.WriteRow(row)
	if k.full() {
		k.filled.Store(true)
	}
	if k.err != nil {
		k.failed.Store(true)
	}
	if k.err != nil || k.full() {
		k.ended.Store(true)
	}
}

// done reports whether the loop should stop reading: Stop was closed, or
// the output ended early. Safe from any goroutine.
func (k *rowSink) done() bool {
	if k.ended.Load() {
		return true
	}
	return stopped(k.cfg.Stop)
}

// rowHeap is a min-heap of rows by rank (ranked.less). It is written out
// rather than driven by container/heap, whose interface{} Push and Pop box
// every ranked value: two allocations per row on the hot path.
type rowHeap []ranked

func (h rowHeap) Len() int { return len(h) }

func (h *rowHeap) push(r ranked) {
	*h = append(*h, r)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q[i].less(&q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *rowHeap) pop() ranked {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q[n] = ranked{}
	q = q[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && q[l].less(&q[m]) {
			m = l
		}
		if r := l + 1; r < n && q[r].less(&q[m]) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}
