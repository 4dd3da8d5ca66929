package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsscan/tlsscan/capture"
	"github.com/tlsscan/tlsscan/internal/testkit"
	"github.com/tlsscan/tlsscan/report"
)

// TestParallelIdentical holds -j N to its promise: the same bytes as a
// single worker, on every capture we have.
func TestParallelIdentical(t *testing.T) {
	var files []string
	roots := []string{"../pcaps"}
	if corpus := testkit.OptionalCorpus(t); corpus != "" {
		roots = append(roots, filepath.Join(corpus, "zeek", "traces"), filepath.Join(corpus, "wireshark", "captures"))
	}
	for _, root := range roots {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".md") && !strings.HasSuffix(p, ".txt") &&
				!strings.Contains(p, "/certs/") && !strings.Contains(p, "/golden/") && !strings.Contains(p, "/craft/") {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(files) < 20 {
		t.Fatalf("only %d captures found", len(files))
	}
	run := func(file string, workers int) string {
		var buf bytes.Buffer
		w := report.NewWriter(&buf, report.FormatJSON, report.Options{})
		res, err := Run(Config{Files: []string{file}, Workers: workers, Detail: true}, w)
		if err != nil {
			t.Fatalf("%s -j %d: %v", file, workers, err)
		}
		if err := w.Close(nil); err != nil {
			t.Fatal(err)
		}
		res.Stats.Duration = 0
		var sum bytes.Buffer
		report.WriteSummary(&sum, &res.Stats)
		return buf.String() + sum.String()
	}
	for _, f := range files {
		one := run(f, 1)
		for _, n := range []int{2, 3} {
			if got := run(f, n); got != one {
				t.Errorf("%s: -j %d differs from -j 1\n--- -j 1\n%s--- -j %d\n%s", f, n, one, n, got)
			}
		}
	}
}

// TestParallelNotVacuous makes sure the comparison above compares rows.
func TestParallelNotVacuous(t *testing.T) {
	var buf bytes.Buffer
	w := report.NewWriter(&buf, report.FormatCSV, report.Options{})
	res, err := Run(Config{Files: []string{"../pcaps/real/multi.pcap"}, Workers: 3}, w)
	if err != nil {
		t.Fatal(err)
	}
	w.Close(nil)
	if res.Stats.TLSConns != 8 || strings.Count(buf.String(), "\n") != 9 {
		t.Fatalf("want 8 rows from multi.pcap with -j 3, got %d:\n%s", res.Stats.TLSConns, buf.String())
	}
}

// decodedOnly is a Source from outside capture: it decodes into
// Segment.TCP only (no Raw) and has no RawTCP mode.
type decodedOnly struct {
	f   *capture.Files
	seg capture.Segment
}

func (d *decodedOnly) Next() (*capture.Segment, error) {
	seg, err := d.f.Next()
	if err != nil {
		return seg, err
	}
	d.seg = *seg
	d.seg.Raw = nil
	return &d.seg, nil
}
func (d *decodedOnly) Stats() capture.Stats { return d.f.Stats() }
func (d *decodedOnly) Close() error         { return d.f.Close() }

// TestShardedTakesAnySource: Analyze takes any Source; one that fills only
// Segment.TCP (a review found -j N reading Segment.Raw alone, and
// panicking) gives -j 3 the rows of -j 1.
func TestShardedTakesAnySource(t *testing.T) {
	name := filepath.Join("..", "pcaps", "real", "multi.pcap")
	run := func(workers int) string {
		f, err := capture.OpenFiles([]string{name}, nil, capture.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		w := report.NewWriter(&buf, report.FormatCSV, report.Options{})
		if _, err := Analyze(Config{Workers: workers}, &decodedOnly{f: f}, w); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(nil); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	one, three := run(1), run(3)
	if strings.Count(one, "\n") < 3 || one != three {
		t.Errorf("-j 1:\n%s\n-j 3:\n%s", one, three)
	}
}
