package pipeline

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/tlsscan/tlsscan/report"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// rowCollector keeps the rows a sink writes.
type rowCollector struct{ rows []*report.Row }

func (c *rowCollector) WriteRow(r *report.Row) error { c.rows = append(c.rows, r); return nil }
func (c *rowCollector) Close(*report.RunStats) error { return nil }

// sidRow is a row for the session-ID tests: candidate says tlsparse set
// session_id_rejected, offered and issued are the session ID keys.
type sidRow struct {
	candidate       bool
	offered, issued tlsparse.SessionIDKey
}

// TestSinkSessionIDRejected: the sink keeps session_id_rejected only on a
// row whose offered ID an earlier written row was issued.
func TestSinkSessionIDRejected(t *testing.T) {
	const x, y, z = 0x1111, 0x2222, 0x3333
	tests := []struct {
		name   string
		max    int // the set's limit; 0: the default
		stream bool
		rows   []sidRow
		want   []bool // session_id_rejected on each written row
	}{
		{
			name: "issued earlier: kept",
			rows: []sidRow{{issued: x}, {candidate: true, offered: x, issued: y}},
			want: []bool{false, true},
		},
		{
			name: "echoed by a resumption earlier: kept",
			rows: []sidRow{{offered: x, issued: x}, {candidate: true, offered: x, issued: y}},
			want: []bool{false, true},
		},
		{
			name: "never issued (Go's random ID): dropped",
			rows: []sidRow{{issued: y}, {candidate: true, offered: x, issued: z}},
			want: []bool{false, false},
		},
		{
			name: "issued later: dropped",
			rows: []sidRow{{candidate: true, offered: x, issued: y}, {issued: x}, {candidate: true, offered: x, issued: z}},
			want: []bool{false, false, true},
		},
		{
			name: "issued by the row itself: dropped",
			rows: []sidRow{{candidate: true, offered: x, issued: x}},
			want: []bool{false},
		},
		{
			name: "no candidate stays without the flag",
			rows: []sidRow{{issued: x}, {offered: x, issued: y}},
			want: []bool{false, false},
		},
		{
			name: "no ID: dropped",
			rows: []sidRow{{}, {candidate: true}},
			want: []bool{false, false},
		},
		{
			// Limit 4: generations of 2. x and y fill the first; z
			// starts the second, keeping x and y as the old one; 4 and 5
			// start a third, dropping x and y.
			name: "limit: an old generation is forgotten",
			max:  4,
			rows: []sidRow{{issued: x}, {issued: y}, {issued: z}, {candidate: true, offered: x, issued: 4},
				{issued: 5}, {candidate: true, offered: y}, {candidate: true, offered: z}},
			want: []bool{false, false, false, true, false, false, true},
		},
		{
			name:   "stream: never set, whatever was issued",
			stream: true,
			rows:   []sidRow{{issued: x}, {candidate: true, offered: x}},
			want:   []bool{false, false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out rowCollector
			k := newRowSink(Config{Stream: tt.stream}, &out)
			if tt.max > 0 {
				k.sids = report.NewSessions(tt.max)
			}
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for i, r := range tt.rows {
				row := &report.Row{Time: t0.Add(time.Duration(i) * time.Second), SessionIDOffered: r.offered, SessionIDIssued: r.issued}
				row.Flags.Set(tlsparse.FlagTicketIssued) // other flags stay
				if r.candidate {
					row.Flags.Set(tlsparse.FlagSessionIDRejected)
				}
				k.write(row) // in output order, as push and release give them
			}
			if len(out.rows) != len(tt.want) {
				t.Fatalf("%d rows written, want %d", len(out.rows), len(tt.want))
			}
			n := uint64(0)
			for i, r := range out.rows {
				if got := r.Flags.Has(tlsparse.FlagSessionIDRejected); got != tt.want[i] {
					t.Errorf("row %d: session_id_rejected %v, want %v", i, got, tt.want[i])
				}
				if !r.Flags.Has(tlsparse.FlagTicketIssued) {
					t.Errorf("row %d lost another flag: %v", i, r.Flags)
				}
				if tt.want[i] {
					n++
				}
			}
			// The summary counts the final flag, not the candidate.
			if got := k.tally.Flags["session_id_rejected"]; got != n {
				t.Errorf("tally session_id_rejected = %d, want %d", got, n)
			}
		})
	}
}

// TestSessionIDsForgotten counts the keys the limit drops.
func TestSessionIDsForgotten(t *testing.T) {
	s := report.NewSessions(4)
	for k := tlsparse.SessionIDKey(1); k <= 7; k++ {
		s.Apply(&report.Row{SessionIDIssued: k})
		s.Apply(&report.Row{SessionIDIssued: k}) // again: not a new key
	}
	// Generations {1,2} {3,4} {5,6} {7}: {1,2} and {3,4} were dropped.
	if s.Forgotten != 4 {
		t.Errorf("Forgotten = %d, want 4", s.Forgotten)
	}
}

// TestGoClientSessionID runs the real capture of a Go TLS 1.2 client beside
// OpenSSL ID resumptions (pcaps/peers/go-client-sessionid.sh): tlsparse
// makes every row with an unresumed offered ID a candidate; only the two
// rows whose ID a server issued earlier keep the flag, in sorted output at
// -j 1 and -j 4 alike.
func TestGoClientSessionID(t *testing.T) {
	file := filepath.Join("..", "pcaps", "real", "go-client-sessionid.pcap")
	wantOfferedFull := []bool{true, true, false, false, true, true, true}
	want := []bool{false, false, false, false, true, true, false}
	for _, workers := range []int{1, 4} {
		var out rowCollector
		if _, err := Run(Config{Files: []string{file}, Workers: workers}, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.rows) != len(want) {
			t.Fatalf("-j %d: %d rows, want %d", workers, len(out.rows), len(want))
		}
		for i, r := range out.rows {
			if got := r.Flags.Has(tlsparse.FlagSessionIDRejected); got != want[i] {
				t.Errorf("-j %d row %d: session_id_rejected %v, want %v", workers, i, got, want[i])
			}
			if got := r.SessionIDOffered != 0 && r.Resumption == tlsparse.ResumptionFull; got != wantOfferedFull[i] {
				t.Errorf("-j %d row %d: offered ID on a full handshake %v, want %v", workers, i, got, wantOfferedFull[i])
			}
		}
	}
}
