package report_test

import (
	"path/filepath"
	"testing"

	"github.com/tlsscan/tlsscan/internal/testkit"
	"github.com/tlsscan/tlsscan/pipeline"
	"github.com/tlsscan/tlsscan/report"
)

// rowCollector keeps the rows a run writes.
type rowCollector struct{ rows []*report.Row }

func (c *rowCollector) WriteRow(r *report.Row) error { c.rows = append(c.rows, r); return nil }
func (c *rowCollector) Close(*report.RunStats) error { return nil }

// TestParquetFixtures writes the rows of real captures as Parquet and as
// JSON lines, reads the Parquet back and compares each row with its JSON
// line: pcaps/real always, and every Zeek trace when ../shared is there.
func TestParquetFixtures(t *testing.T) {
	root := testkit.ModuleRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "pcaps", "real", "*.pcap"))
	if dir := testkit.OptionalCorpus(t, "zeek", "traces"); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "*.pcap"))
		files = append(files, more...)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	rows := 0
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			var c rowCollector
			if _, err := pipeline.Run(pipeline.Config{Files: []string{file}, Detail: true}, &c); err != nil {
				t.Fatal(err)
			}
			rows += len(c.rows)
			report.CheckParquetRoundTrip(t, c.rows)
		})
	}
	t.Logf("%d captures, %d rows compared", len(files), rows)
}
