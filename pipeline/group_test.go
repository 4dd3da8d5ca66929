package pipeline

import (
	"bytes"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/capture"
	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/report"
)

// member is one socket of a fanout group, played from a capture file: the
// segments whose connection hashes to it (both directions, as the
// kernel's symmetric hash deals them), then io.EOF.
type member struct {
	segs  []capture.Segment
	next  int
	stats capture.Stats
}

func (m *member) Next() (*capture.Segment, error) {
	if m.next == len(m.segs) {
		return nil, io.EOF
	}
	m.next++
	s := &m.segs[m.next-1]
	m.stats.Packets++
	m.stats.Bytes += uint64(s.CI.CaptureLength)
	return s, nil
}
func (m *member) Stats() capture.Stats { return m.stats }
func (m *member) Close() error         { return nil }

// fanOut deals the TCP segments of file over n members by connection.
func fanOut(t *testing.T, file string, n int) []capture.Source {
	t.Helper()
	f, err := capture.OpenFiles([]string{file}, nil, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ms := make([]*member, n)
	for i := range ms {
		ms[i] = &member{}
	}
	for {
		seg, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		// A copy that outlives the reader's buffers.
		c := *seg
		raw := append(append([]byte(nil), seg.TCP.Contents...), seg.TCP.Payload...)
		c.Raw = nil
		c.TCP = layers.TCP{}
		if err := c.TCP.DecodeFromBytes(raw, gopacket.NilDecodeFeedback); err != nil {
			t.Fatal(err)
		}
		i := reassembly.FlowHash(c.Net, c.TCP.TransportFlow()) % uint64(n)
		ms[i].segs = append(ms[i].segs, c)
	}
	srcs := make([]capture.Source, n)
	for i, m := range ms {
		srcs[i] = m
	}
	return srcs
}

// streamed runs cfg over src (or over the members of a group) and
// returns the CSV rows, sorted: streamed rows come in decision order,
// which in a group is the lanes' timing.
func streamed(t *testing.T, cfg Config, src capture.Source, group []capture.Source) ([]string, *Result) {
	t.Helper()
	var buf bytes.Buffer
	w := report.NewWriter(&buf, report.FormatCSV, report.Options{})
	cfg.Stream = true
	var res *Result
	var err error
	if group != nil {
		res, err = AnalyzeGroup(cfg, group, w)
	} else {
		res, err = Analyze(cfg, src, w)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(buf.String()), "\n")[1:]
	slices.Sort(rows)
	return rows, res
}

// TestGroupSameRows: a fanout group's lanes, each with its own loop and
// assembler, give the rows and counters of one reader, however the
// connections are dealt (2 and 3 members).
func TestGroupSameRows(t *testing.T) {
	for _, name := range []string{"real/multi.pcap", "real/tls12-sessionid-resume.pcap", "real/tls13-psk-resume.pcap", "real/port-reuse-rst.pcap",
		"hostile/clock-jump-forward.pcap", "hostile/clock-jump-backward.pcap"} {
		file := filepath.Join("..", "pcaps", name)
		f, err := capture.OpenFiles([]string{file}, nil, capture.Options{})
		if err != nil {
			t.Fatal(err)
		}
		one, oneRes := streamed(t, Config{}, f, nil)
		f.Close()
		if len(one) < 2 {
			t.Fatalf("%s: %d rows", name, len(one))
		}
		for _, n := range []int{2, 3} {
			got, res := streamed(t, Config{}, nil, fanOut(t, file, n))
			if !slices.Equal(got, one) {
				t.Errorf("%s, %d members:\n%s\none reader:\n%s", name, n, strings.Join(got, "\n"), strings.Join(one, "\n"))
			}
			// The summaries, but for the time taken, the file count
			// (the members are not files) and the packet and amount a
			// clock jump's warning gives: the lane that saw it first
			// measured it against its own packets.
			a, b := res.Stats, oneRes.Stats
			a.Duration, b.Duration, b.Files = 0, 0, 0
			a.Warnings, b.Warnings = jumpKinds(a.Warnings), jumpKinds(b.Warnings)
			var sa, sb bytes.Buffer
			report.WriteSummary(&sa, &a)
			report.WriteSummary(&sb, &b)
			if sa.String() != sb.String() {
				t.Errorf("%s, %d members: summary\n%s\none reader:\n%s", name, n, sa.String(), sb.String())
			}
		}
	}
}

// TestGroupCount: -c stops every lane, with exactly that many rows.
func TestGroupCount(t *testing.T) {
	file := filepath.Join("..", "pcaps", "real", "multi.pcap")
	rows, res := streamed(t, Config{MaxRows: 3}, nil, fanOut(t, file, 2))
	if len(rows) != 3 || res.Stats.TLSConns != 3 || res.Stats.Stopped != "-c 3" {
		t.Errorf("-c 3 over a group: %d rows, %d counted, stopped %q", len(rows), res.Stats.TLSConns, res.Stats.Stopped)
	}
}

// TestGroupRefuses: a group is for live (streamed) runs without key logs.
func TestGroupRefuses(t *testing.T) {
	file := filepath.Join("..", "pcaps", "real", "multi.pcap")
	w := report.NewWriter(io.Discard, report.FormatCSV, report.Options{})
	for _, cfg := range []Config{{}, {Stream: true, KeyLogs: []string{"x.keys"}}} {
		if _, err := AnalyzeGroup(cfg, fanOut(t, file, 2), w); err == nil {
			t.Errorf("AnalyzeGroup took %+v", cfg)
		}
	}
}

// jumpKinds cuts the time-jump warnings down to their file and direction.
func jumpKinds(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		file, _, _ := strings.Cut(w, ": packet ")
		switch {
		case strings.Contains(w, "timestamp jumps"):
			w = file + ": timestamp jumps forward"
		case strings.Contains(w, "timestamp goes back"):
			w = file + ": timestamp goes back"
		}
		out[i] = w
	}
	return out
}

// TestLiveQuietIsNoClockJump: reading files, a jump forward past the idle
// timeout is warned about (connections open across it are closed as
// idle); live (Stream), a long pause is a quiet link or, in a fanout
// group, a quiet socket, and only a step back is warned about.
func TestLiveQuietIsNoClockJump(t *testing.T) {
	file := filepath.Join("..", "pcaps", "hostile", "clock-jump-forward.pcap")
	for _, stream := range []bool{false, true} {
		res, err := Run(Config{Files: []string{file}, Stream: stream}, report.NewWriter(io.Discard, report.FormatCSV, report.Options{Stream: stream}))
		if err != nil {
			t.Fatal(err)
		}
		warned := slices.ContainsFunc(res.Stats.Warnings, func(w string) bool { return strings.Contains(w, "timestamp jumps") })
		if warned == stream {
			t.Errorf("stream %v: warnings %q", stream, res.Stats.Warnings)
		}
	}
}
