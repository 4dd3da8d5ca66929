package pipeline

import (
	"time"

	"github.com/tlsscan/tlsscan/capture"
	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/report"
)

// serial is the back end of -j 1: one assembler in the loop's goroutine,
// no copy of any packet.
type serial struct {
	asm  *reassembly.Assembler
	sink *rowSink
}

func newSerial(cfg Config, sink *rowSink) *serial { return newSerialPart(cfg, sink, 1) }

// newSerialPart is a serial back end with 1/parts of the run's budgets:
// one lane of a fanout group (group.go).
func newSerialPart(cfg Config, sink *rowSink, parts int) *serial {
	conv := report.NewConverter(cfg.Detail).WithRoots(cfg.CARoots)
	return &serial{
		sink: sink,
		asm: reassembly.New(assemblerOptions(cfg, parts), func(r *reassembly.Result) {
			if r.Conn.IsTLS() {
				sink.push(rankedRow(conv, r))
			}
		}),
	}
}

func (s *serial) add(seg *capture.Segment, latest time.Time) {
	s.asm.AddFrom(seg.Net, &seg.TCP, seg.CI, reassembly.Origin{File: seg.File, Packet: seg.Packet})
	if s.sink.ready.Len() > 0 {
		s.sink.release(releaseLimit(s.asm, latest))
	}
}

func (s *serial) idle(now time.Time) { s.asm.Tick(now) }

func (s *serial) held() int64 { return s.asm.Held() }

func (s *serial) finish() reassembly.Stats {
	// Connections still open are reported with what is known: flushing
	// decides them (truncated where the handshake had not ended).
	s.asm.Close()
	s.sink.flush()
	return s.asm.Stats()
}
