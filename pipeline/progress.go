package pipeline

import (
	"sync/atomic"

	"github.com/tlsscan/tlsscan/capture"
)

// Progress counts a run's headway, for a progress display that reads it
// from another goroutine while the run goes on (tlsscan's, on a
// terminal). Every capture of a RunCaptures adds to the same counters.
type Progress struct {
	// Read estimates the bytes of the input files read so far: each
	// record's captured bytes plus its record header (16 bytes, pcap's;
	// pcapng's blocks are a little longer, gzip-compressed files much
	// shorter), which is what a display can compare with the files'
	// sizes.
	Read    atomic.Uint64
	Packets atomic.Uint64
	Rows    atomic.Uint64
	// Held is what the run must keep in memory now: its assemblers'
	// (reassembly.Assembler.Held, summed) and its key log's secrets
	// (keylog.Log.Bytes). tlsscan derives its soft memory limit from it.
	Held atomic.Int64
}

// heldNote reports an assembler's Held to p as a change from what it
// reported last (*last), so that several assemblers add up.
func (p *Progress) heldNote(now int64, last *int64) {
	if p == nil || now == *last {
		return
	}
	p.Held.Add(now - *last)
	*last = now
}

// progressEvery is how many segments the loop reads between updates: the
// counters cost nothing on the hot path, and a display redrawn a few
// times a second sees them move.
const progressEvery = 4096

// recordOverhead is the size of a pcap record header.
const recordOverhead = 16

// note adds what src read since *seen.
func (p *Progress) note(src capture.Source, seen *capture.Stats) {
	st := src.Stats()
	dp := st.Packets - seen.Packets
	p.Packets.Add(dp)
	p.Read.Add(st.Bytes - seen.Bytes + dp*recordOverhead)
	*seen = st
}
