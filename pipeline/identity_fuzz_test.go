package pipeline_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tlsscan/tlsscan/pipeline"
	"github.com/tlsscan/tlsscan/report"
)

// runBytes analyzes one capture given as bytes (standard input) with n
// workers and returns everything the run prints: JSON lines with detail,
// then the summary without the duration.
func runBytes(t testing.TB, data []byte, workers int) string {
	t.Helper()
	var buf bytes.Buffer
	w := report.NewWriter(&buf, report.FormatJSON, report.Options{})
	res, err := pipeline.Run(pipeline.Config{Files: []string{"-"}, Stdin: bytes.NewReader(data), Workers: workers, Detail: true}, w)
	if err != nil {
		t.Fatalf("-j %d: %v", workers, err)
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	res.Stats.Duration = 0
	report.WriteSummary(&buf, &res.Stats)
	return buf.String()
}

// FuzzShardedSameAsSerial holds -j N to its promise on any bytes: the
// sharded pipeline prints exactly what the serial one prints.
func FuzzShardedSameAsSerial(f *testing.F) {
	for _, dir := range []string{"../pcaps/real", "../pcaps/crafted", "../pcaps/hostile", "testdata/identity"} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Size() > 64<<10 {
				continue
			}
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		one := runBytes(t, data, 1)
		if two := runBytes(t, data, 2); two != one {
			t.Fatalf("-j 2 differs from -j 1\n--- -j 1\n%s--- -j 2\n%s", one, two)
		}
	})
}
