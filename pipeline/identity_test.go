package pipeline_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsscan/tlsscan/pipeline"
	"github.com/tlsscan/tlsscan/report"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// -j N must never change an answer: these tests hold the sharded pipeline
// to the serial one's output, byte for byte (rows with detail, summary,
// warnings, file errors), on the inputs that broke it once.

// sameForEveryJ fails t unless -j 2 and -j 4 print what -j 1 prints for
// data, and returns that.
func sameForEveryJ(t *testing.T, name string, data []byte) string {
	t.Helper()
	one := runBytes(t, data, 1)
	for _, n := range []int{2, 4} {
		if got := runBytes(t, data, n); got != one {
			t.Errorf("%s: -j %d differs from -j 1\n--- -j 1\n%s--- -j %d\n%s", name, n, one, n, got)
		}
	}
	return one
}

// TestIdentityHostile: the hostile set, clock jumps included.
func TestIdentityHostile(t *testing.T) {
	files, _ := filepath.Glob("../pcaps/hostile/*")
	if len(files) < 10 {
		t.Fatalf("only %d hostile captures found", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sameForEveryJ(t, f, data)
	}
}

// TestIdentityMutated: the committed sample of mutated captures
// (testdata/identity, written by go run ./pcaps/craft/mutate; its INDEX
// says what each file is and which bug it showed).
func TestIdentityMutated(t *testing.T) {
	files, _ := filepath.Glob("testdata/identity/*.pcap")
	if len(files) < 10 {
		t.Fatalf("only %d mutated captures in testdata/identity", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sameForEveryJ(t, f, data)
	}
	// All of them as one capture: files overlap in time, several end in
	// a file error, and the run goes on with the next.
	run := func(n int) string {
		var buf bytes.Buffer
		w := report.NewWriter(&buf, report.FormatCSV, report.Options{})
		res, err := pipeline.Run(pipeline.Config{Files: files, Workers: n}, w)
		if err != nil {
			t.Fatalf("-j %d: %v", n, err)
		}
		w.Close(nil)
		res.Stats.Duration = 0
		report.WriteSummary(&buf, &res.Stats)
		return buf.String()
	}
	one := run(1)
	for _, n := range []int{2, 4} {
		if got := run(n); got != one {
			t.Errorf("all of testdata/identity as one capture: -j %d differs from -j 1\n--- -j 1\n%s--- -j %d\n%s", n, one, n, got)
		}
	}
}

// TestIdentityDir compares -j 1 and -j 2 on every file of the directory
// named by TLSSCAN_IDENTITY_DIR (a search: go run ./pcaps/craft/mutate
// -explore N -out DIR ...), printing the files that differ.
func TestIdentityDir(t *testing.T) {
	dir := os.Getenv("TLSSCAN_IDENTITY_DIR")
	if dir == "" {
		t.Skip("TLSSCAN_IDENTITY_DIR not set")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.pcap"))
	bad := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if runBytes(t, data, 1) != runBytes(t, data, 2) {
			bad++
			fmt.Println("DIFF", f)
		}
	}
	t.Logf("%d of %d differ", bad, len(files))
	if bad > 0 {
		t.Fail()
	}
}

// rowsOf runs one capture file with n workers and returns its rows.
func rowsOf(t *testing.T, file string, n int) ([]*report.Row, *pipeline.Result) {
	t.Helper()
	w := &rowCollector{}
	res, err := pipeline.Run(pipeline.Config{Files: []string{file}, Workers: n}, w)
	if err != nil {
		t.Fatal(err)
	}
	return w.rows, res
}

// TestClockJump: connections open across a clock jump, forward or back,
// are reported once each, with the same verdicts for every -j.
func TestClockJump(t *testing.T) {
	type want struct {
		port        uint16
		established bool
		truncated   bool
	}
	tests := []struct {
		file string
		rows []want // in output order
		idle uint64
		warn []string
	}{
		{"clock-jump-forward.pcap", []want{
			{51400, true, false}, // before the jumps
			{51401, true, false}, // across +4 min: under the idle timeout
			{51402, false, true}, // across +1 year: closed as idle
			{51403, false, true}, // ClientHello before it: no second row from the ServerHello after it
			{51404, true, false}, // after
		}, 2, []string{"packet 49: timestamp jumps 8760h0m0.001s forward"}},
		{"clock-jump-backward.pcap", []want{
			{51500, true, false}, // before the step back
			{51501, true, false}, // across it: no timer moves back, so nothing closes
			// After the step, both sort as if stamped at the latest time
			// read before it, then by their own first packet's time.
			{51503, true, false}, // its SYN stamped 7 minutes early
			{51502, true, false},
		}, 0, []string{"packet 24: timestamp goes back 59m59.999s"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			file := filepath.Join("..", "pcaps", "hostile", tt.file)
			rows, res := rowsOf(t, file, 1)
			if len(rows) != len(tt.rows) {
				t.Fatalf("%d rows, want %d (one per connection): %v", len(rows), len(tt.rows), rows)
			}
			for i, w := range tt.rows {
				r := rows[i]
				if r.ClientPort != w.port || r.Established != w.established || r.Flags.Has(tlsparse.FlagTruncated) != w.truncated {
					t.Errorf("row %d: port %d established %v flags %v; want port %d established %v truncated %v",
						i, r.ClientPort, r.Established, r.Flags, w.port, w.established, w.truncated)
				}
			}
			if res.Stats.IdleClosed != tt.idle {
				t.Errorf("idle closed %d, want %d", res.Stats.IdleClosed, tt.idle)
			}
			all := strings.Join(res.Stats.Warnings, "\n")
			for _, w := range tt.warn {
				if !strings.Contains(all, w) {
					t.Errorf("no warning %q in:\n%s", w, all)
				}
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sameForEveryJ(t, tt.file, data)
		})
	}
}
