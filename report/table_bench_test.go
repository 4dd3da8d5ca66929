package report

import (
	"fmt"
	"io"
	"testing"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// go test ./report -run '^$' -bench TableRow -benchmem -count 5
//
// The per-row cost of the table as it streams now (hand-padded into the
// bufio.Writer, fixed layout and an 80-column terminal), next to CSV and
// JSON lines, and next to tablewriter rendering the same cells: its
// streaming mode with fixed widths (the old live table) and its batch mode
// (the old offline table: every row kept, rendered at the end; the cost
// per row is the whole render divided by the rows). All write to
// io.Discard; "stream" flushes every row as live capture does.
func BenchmarkTableRow(b *testing.B) {
	rows := tableTestRows()
	for _, bc := range []struct {
		name   string
		format Format
		opts   Options
	}{
		{"table/fixed", FormatTable, Options{}},
		{"table/width=80", FormatTable, Options{Width: 80}},
		{"table/fixed/stream", FormatTable, Options{Stream: true}},
		{"csv", FormatCSV, Options{}},
		{"json", FormatJSON, Options{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := NewWriter(io.Discard, bc.format, bc.opts)
			for i := 0; b.Loop(); i++ {
				if err := w.WriteRow(rows[i%len(rows)]); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(nil); err != nil {
				b.Fatal(err)
			}
		})
	}

	// tablewriter on the same cells, as table.go used it before.
	cells := make([][]string, len(rows))
	for i, r := range rows {
		for c := range numCols {
			cells[i] = append(cells[i], expected(r, c))
		}
	}
	b.Run("tablewriter/stream", func(b *testing.B) {
		widths := tw.NewMapper[int, int]()
		for i := range numCols {
			widths.Set(i, tableCols[i].width+colGap)
		}
		opts := append(tablewriterOptions(),
			tablewriter.WithStreaming(tw.StreamConfig{Enable: true}),
			tablewriter.WithColumnWidths(widths),
			tablewriter.WithRowAutoWrap(tw.WrapBreak),
		)
		t := tablewriter.NewTable(io.Discard, opts...)
		if err := t.Start(); err != nil {
			b.Fatal(err)
		}
		t.Header(tableHeader)
		for i := 0; b.Loop(); i++ {
			if err := t.Append(cells[i%len(cells)]); err != nil {
				b.Fatal(err)
			}
		}
		if err := t.Close(); err != nil {
			b.Fatal(err)
		}
	})
	for _, n := range []int{1000} {
		b.Run(fmt.Sprintf("tablewriter/batch%d", n), func(b *testing.B) {
			for b.Loop() {
				t := tablewriter.NewTable(io.Discard, tablewriterOptions()...)
				t.Header(tableHeader)
				for i := range n {
					if err := t.Append(cells[i%len(cells)]); err != nil {
						b.Fatal(err)
					}
				}
				if err := t.Render(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
		})
	}
}

// tablewriterOptions are the options the table used with tablewriter: no
// borders or column rules, a rule under the header, two blanks between
// columns.
func tablewriterOptions() []tablewriter.Option {
	return []tablewriter.Option{
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleLight),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.On},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "  ", Overwrite: true}),
	}
}
