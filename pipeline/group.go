package pipeline

import (
	"errors"
	"sync"
	"time"

	"github.com/tlsscan/tlsscan/capture"
	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/report"
)

// A fanout group (live -j N, capture.OpenLiveGroup): the kernel has
// already dealt the packets to N sockets by connection, so no goroutine
// reads for the others. Each member is a lane: its own loop (reading,
// decoding) and its own assembler (serial.go's back end, with 1/N of the
// budgets), in a goroutine of its own, as a Zeek or Suricata AF_PACKET
// worker is. Nothing is copied between goroutines and there is no
// dispatcher to be the serial part. The lanes share the row sink, under
// its lock (a streamed, live, run writes rows in decision order anyway),
// the record of time-jump warnings given (under another) and the packet
// numbering (an atomic counter in capture). Each lane's idle timers run
// on its own packets' times and, when its socket is quiet, on the wall
// clock (loop.run's idle), which is what a live run's timers follow.

// AnalyzeGroup runs the pipeline over the members of a fanout group: srcs
// must share out the packets by connection (every packet of a connection,
// both directions, from the same member), which OpenLiveGroup's sockets
// do. It is for live runs: cfg.Stream must be set, and key logs are not
// followed (a run with KeyLogs reads one socket, Analyze), because their
// delay line orders packets from one reader. cfg.Workers is ignored: a
// lane per member. The caller closes srcs.
func AnalyzeGroup(cfg Config, srcs []capture.Source, out report.Writer) (*Result, error) {
	if len(srcs) == 0 || !cfg.Stream || len(cfg.KeyLogs) > 0 {
		return nil, &UsageError{Err: errors.New("pipeline: AnalyzeGroup runs live members of a fanout group, without key logs")}
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Now()
	}
	k, err := openKeys(cfg)
	if err != nil {
		return nil, err
	}
	cfg.keyLog = k.log
	sink := newRowSink(cfg, out)
	sink.mu = new(sync.Mutex)
	n := len(srcs)
	loops := make([]*loop, n)
	errs := make([]error, n)
	asms := make([]reassembly.Stats, n)
	var wg sync.WaitGroup
	timeMu, timeWarned := new(sync.Mutex), map[timeWarnKey]bool{}
	for i, src := range srcs {
		l := &loop{cfg: cfg, keys: k, sink: sink, timeMu: timeMu, timeWarned: timeWarned}
		loops[i] = l
		be := newSerialPart(cfg, sink, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = l.run(src, be); errs[i] != nil {
				sink.ended.Store(true) // the other lanes stop too
			}
			asms[i] = be.finish()
		}()
	}
	wg.Wait()

	// The run's statistics, as one loop's: the members' counters and the
	// assemblers' added up, the lanes' warnings (a time jump is warned
	// about once: they share timeWarned).
	var cs capture.Stats
	var as reassembly.Stats
	all := &loop{cfg: cfg, keys: k, sink: sink}
	for i, l := range loops {
		cs.Add(srcs[i].Stats())
		as.Add(asms[i])
		all.warnings = append(all.warnings, l.warnings...)
		// Where reading stopped: the lane that had read furthest.
		if l.stopped != "" && (all.stopped == "" || l.atPacket > all.atPacket) {
			all.stopped, all.at, all.atPacket = l.stopped, l.at, l.atPacket
		}
	}
	res := &Result{Stats: runStats(cfg, cs, as, all)}
	for _, err := range errs {
		if err != nil {
			return res, err
		}
	}
	return res, sink.err
}
