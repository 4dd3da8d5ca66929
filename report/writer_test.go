package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsscan/tlsscan/internal/testkit"
	"github.com/tlsscan/tlsscan/tlsparse"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./report -update rewrites it)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

var (
	day1 = time.Date(2024, 3, 9, 23, 59, 58, 123456789, time.UTC)
	// A non-UTC zone checks that ts is converted, not just relabelled.
	cet = time.FixedZone("CET", 3600)
)

// testRows covers IPv4 and IPv6, unknown counts (-1), flags and none, Detail
// absent, full and empty, text that CSV must quote, JSON must not
// HTML-escape and the table must escape, and a change of UTC date.
func testRows() []*Row {
	return []*Row{
		{
			Time:     day1.In(cet),
			ClientIP: netip.MustParseAddr("192.0.2.10"), ClientPort: 51234,
			ServerIP: netip.MustParseAddr("198.51.100.7"), ServerPort: 443,
			SNI: "example.com", Version: "TLSv1.3", Cipher: "TLS_AES_128_GCM_SHA256", ALPN: "h2",
			Resumption: tlsparse.ResumptionFull, CertRequested: tlsparse.CertRequestedUnknown, ClientCert: tlsparse.ClientCertUnknown,
			ClientCerts: -1, ServerCerts: -1,
			Established: true,
			Flags:       tlsparse.FlagsOf(tlsparse.FlagEncryptedHandshake),
			History:     "CsiI",
		},
		{
			Time:     day1.Add(500 * time.Millisecond),
			ClientIP: netip.MustParseAddr("2001:db8::1"), ClientPort: 40000,
			ServerIP: netip.MustParseAddr("2001:db8:1234:5678:9abc:def0:1234:5678"), ServerPort: 8443,
			SNI:     "a-very-long-hostname-that-needs-wrapping.internal.example.org",
			Version: "TLSv1.2", Cipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", ALPN: "http/1.1",
			Resumption: tlsparse.ResumptionFull, CertRequested: tlsparse.CertRequestedYes, ClientCert: tlsparse.ClientCertSent,
			ClientCerts: 2, ServerCerts: 3,
			Established:    true,
			History:        "CsxXiI",
			Evidence:       tlsparse.EvidenceCleartext,
			File:           "traces/day1.pcap",
			Packet:         1234,
			JA4:            "t12d1312h1_8b80da21ef18_77989cba1f4a",
			ServerCN:       "api.example.org",
			ServerNotAfter: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
			ClientCN:       "client\x1b1",
			Detail: &Detail{
				CertRequest: &CertRequest{
					CertTypes: []string{"rsa_sign", "ecdsa_sign"},
					SigAlgs:   []string{"ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256"},
					CANames:   []string{"CN=Example Root CA,O=Example\\, Inc."},
				},
				ServerChain: []CertInfo{
					{Subject: "CN=api.example.org", Issuer: "CN=Example Issuing CA", SHA256: strings.Repeat("ab", 32)},
					{Subject: "CN=Example Issuing CA", Issuer: "CN=Example Root CA", SHA256: strings.Repeat("cd", 32)},
				},
				ClientChain: []CertInfo{
					{Subject: "CN=client<1>&co", Issuer: "CN=Example Root CA", SHA256: strings.Repeat("ef", 32)},
				},
				Anomalies: map[string]int{"zero_length_record": 1, "duplicate_extension": 2},
			},
		},
		{
			Time:     day1.Add(3 * time.Second), // the next UTC day
			ClientIP: netip.MustParseAddr("203.0.113.5"), ClientPort: 1025,
			ServerIP: netip.MustParseAddr("198.51.100.9"), ServerPort: 443,
			SNI:        `odd,"sni"<&>`,
			Resumption: tlsparse.ResumptionUnknown, CertRequested: tlsparse.CertRequestedNo, ClientCert: tlsparse.ClientCertNone,
			ClientCerts: 0, ServerCerts: -1,
			Alert:    "server:handshake_failure",
			Flags:    tlsparse.FlagsOf(tlsparse.FlagClientAuthFailed, tlsparse.FlagTruncated),
			History:  "Ca",
			Evidence: tlsparse.EvidenceCleartext,
			File:     "odd,\"name\n.pcap",
			Packet:   7,
			Detail:   &Detail{Errors: []string{"client: record length 20000 exceeds 16384"}},
		},
		{
			// Back on the first day: the table shows the date again.
			Time:       day1.Add(time.Second),
			SNI:        "bad\x1bname\xff",
			Version:    "0x7f1c",
			Resumption: tlsparse.ResumptionTicket, CertRequested: tlsparse.CertRequestedUnknown, ClientCert: tlsparse.ClientCertSent,
			ClientCerts: -1, ServerCerts: 0,
			ResumedFrom: &Origin{
				File: "traces/day1.pcap", Packet: 1234, Time: day1.Add(500 * time.Millisecond),
				ClientIP: netip.MustParseAddr("2001:db8::1"), ClientPort: 40000,
				ServerIP: netip.MustParseAddr("2001:db8:1234:5678:9abc:def0:1234:5678"), ServerPort: 8443,
				ClientCert: tlsparse.ClientCertSent,
			},
			Detail: &Detail{},
		},
	}
}

func testSummary() *RunStats {
	s := &RunStats{
		Files: 2, Packets: 123456, Bytes: 5_612_345,
		NonTCP: 7, DecodeErrors: 1,
		TCPConns: 12, TLSConns: 4, Evicted: 3, IdleClosed: 2, Oversize: 5, SessionIDsForgotten: 6,
		Warnings: []string{"b.pcap: packet 17: truncated record", "b.pcap: packet 90: snaplen 96 cuts payloads"},
		Duration: 12_345_678 * time.Nanosecond,
	}
	for _, r := range testRows() {
		s.Tally.Add(r)
	}
	return s
}

// render writes rows with a fresh Writer and returns the rows' output and
// the summary's output.
func render(t *testing.T, f Format, stream bool, rows []*Row, sum *RunStats) (out, summary []byte) {
	t.Helper()
	var o, s bytes.Buffer
	opts := Options{Stream: stream, Summary: &s}
	if f == FormatTable {
		opts.Summary = &o // the table's summary goes under the table
	}
	w := NewWriter(&o, f, opts)
	for _, r := range rows {
		if err := w.WriteRow(r); err != nil {
			t.Fatalf("WriteRow: %v", err)
		}
	}
	if err := w.Close(sum); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return o.Bytes(), s.Bytes()
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format Format
		stream bool
		rows   []*Row
		sum    *RunStats
	}{
		{"rows.csv", FormatCSV, false, testRows(), nil},
		{"rows.json", FormatJSON, false, testRows(), nil},
		{"rows.table", FormatTable, false, testRows(), testSummary()},
		{"rows.stream.table", FormatTable, true, testRows(), nil},
		{"empty.csv", FormatCSV, false, nil, nil},
		{"empty.json", FormatJSON, false, nil, nil},
		{"empty.table", FormatTable, false, nil, nil},
		{"empty.stream.table", FormatTable, true, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := render(t, tc.format, tc.stream, tc.rows, tc.sum)
			golden(t, tc.name, out)
		})
	}
}

// CSV and JSON lines do not depend on the mode: stream output must be the
// offline output byte for byte, and the summary goes to Options.Summary.
func TestStreamSameAsOffline(t *testing.T) {
	for _, f := range []Format{FormatCSV, FormatJSON} {
		t.Run(f.String(), func(t *testing.T) {
			off, sumOff := render(t, f, false, testRows(), testSummary())
			on, sumOn := render(t, f, true, testRows(), testSummary())
			if !bytes.Equal(off, on) {
				t.Errorf("stream output differs:\n%s\nvs offline:\n%s", on, off)
			}
			var want bytes.Buffer
			if err := WriteSummary(&want, testSummary()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sumOff, want.Bytes()) || !bytes.Equal(sumOn, want.Bytes()) {
				t.Errorf("summary = %q / %q, want %q", sumOff, sumOn, want.Bytes())
			}
		})
	}
}

func TestCSVShape(t *testing.T) {
	out, _ := render(t, FormatCSV, false, testRows(), nil)
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recs[0], Columns) {
		t.Fatalf("header = %v, want %v", recs[0], Columns)
	}
	if len(recs) != 1+len(testRows()) {
		t.Fatalf("%d records, want %d", len(recs), 1+len(testRows()))
	}
	tsRE := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
	for i, rec := range recs[1:] {
		if !tsRE.MatchString(rec[0]) {
			t.Errorf("row %d: ts %q", i, rec[0])
		}
	}
	if got := recs[1][0]; got != "2024-03-09T23:59:58.123456Z" {
		t.Errorf("ts = %q, want UTC with 6 digits", got)
	}
	if got := recs[3][5]; got != `odd,"sni"<&>` {
		t.Errorf("sni round trip = %q", got)
	}
	if recs[4][1] != "" || recs[4][2] != "0" {
		t.Errorf("zero address renders %q:%q, want empty ip, port 0", recs[4][1], recs[4][2])
	}
}

func TestJSONKeysMatchColumns(t *testing.T) {
	rt := reflect.TypeFor[jsonRow]()
	for i, c := range Columns {
		if tag := strings.Split(rt.Field(i).Tag.Get("json"), ",")[0]; tag != c {
			t.Errorf("jsonRow field %d is %q, Columns says %q", i, tag, c)
		}
	}
	var rest []string
	for i := len(Columns); i < rt.NumField(); i++ {
		rest = append(rest, strings.Split(rt.Field(i).Tag.Get("json"), ",")[0])
	}
	if !reflect.DeepEqual(rest, detailKeys) {
		t.Errorf("jsonRow after the columns = %v, want %v", rest, detailKeys)
	}
}

// detailKeys follow the columns on every JSON line.
var detailKeys = []string{
	"cert_request", "server_chain", "client_chain", "anomalies", "errors",
	"sni_hex", "alpn_hex", "tls13_tickets",
	"ja3", "ja3s", "hello",
	"schema_version",
}

func TestJSONShape(t *testing.T) {
	out, _ := render(t, FormatJSON, false, testRows(), nil)
	lines := bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
	if len(lines) != len(testRows()) {
		t.Fatalf("%d lines, want %d", len(lines), len(testRows()))
	}
	// Every line has every key, whatever its Detail (none, full, empty).
	want := append(append([]string(nil), Columns...), detailKeys...)
	for i, line := range lines {
		got := testkit.JSONKeys(t, line)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("line %d keys = %v, want %v", i, got, want)
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m["ts"].(string); !ok {
			t.Errorf("line %d: ts is %T", i, m["ts"])
		}
		if _, ok := m["client_port"].(float64); !ok {
			t.Errorf("line %d: client_port is %T", i, m["client_port"])
		}
		if _, ok := m["established"].(bool); !ok {
			t.Errorf("line %d: established is %T", i, m["established"])
		}
		if _, ok := m["flags"].([]any); !ok {
			t.Errorf("line %d: flags is %T, want an array", i, m["flags"])
		}
	}
	if !bytes.Contains(lines[0], []byte(`"client_certs":null,"server_certs":null`)) {
		t.Errorf("unknown counts are not null: %s", lines[0])
	}
	if !bytes.Contains(lines[1], []byte(`"client_certs":2,"server_certs":3`)) {
		t.Errorf("counts are not numbers: %s", lines[1])
	}
	if !bytes.Contains(lines[1], []byte(`"anomalies":{"duplicate_extension":2,"zero_length_record":1}`)) {
		t.Errorf("anomalies not sorted: %s", lines[1])
	}
	if !bytes.Contains(lines[2], []byte(`"sni":"odd,\"sni\"<&>"`)) {
		t.Errorf("sni HTML-escaped or mangled: %s", lines[2])
	}
	if !bytes.Contains(lines[3], []byte(`"flags":[]`)) {
		t.Errorf("no flags is not []: %s", lines[3])
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range []Format{FormatTable, FormatCSV, FormatJSON} {
		got, err := ParseFormat(f.String())
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f.String(), got, err)
		}
	}
	_, err := ParseFormat("x")
	if err == nil || err.Error() != `unknown format "x" (want table, csv, json, zeek, zeek-json or parquet)` {
		t.Errorf("ParseFormat(x) error = %v", err)
	}
	w := NewWriter(io.Discard, Format(42), Options{})
	if w.WriteRow(testRows()[0]) == nil || w.Close(nil) == nil {
		t.Error("a Writer of an unknown Format must fail, not write")
	}
}

// failWriter accepts n bytes, then fails every write.
type failWriter struct{ n int }

var errBoom = errors.New("boom")

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) <= f.n {
		f.n -= len(p)
		return len(p), nil
	}
	k := f.n
	f.n = 0
	return k, errBoom
}

func TestWriteErrorIsReturned(t *testing.T) {
	// 3000 rows are several times the offline buffer for csv and json.
	const nrows = 3000
	rows := testRows()
	for _, f := range []Format{FormatTable, FormatCSV, FormatJSON} {
		for _, stream := range []bool{false, true} {
			for _, after := range []int{0, 300, 100_000} {
				name := fmt.Sprintf("%v/stream=%v/after=%d", f, stream, after)
				t.Run(name, func(t *testing.T) {
					w := NewWriter(&failWriter{n: after}, f, Options{Stream: stream})
					var rowErr error
					at := -1
					for i := 0; i < nrows; i++ {
						if err := w.WriteRow(rows[i%len(rows)]); err != nil {
							if rowErr == nil {
								rowErr, at = err, i
							}
						} else if rowErr != nil {
							t.Fatalf("row %d succeeded after row %d failed", i, at)
						}
					}
					closeErr := w.Close(nil)
					if !errors.Is(closeErr, errBoom) {
						t.Errorf("Close = %v, want %v", closeErr, errBoom)
					}
					if rowErr != nil && !errors.Is(rowErr, errBoom) {
						t.Errorf("WriteRow = %v, want %v", rowErr, errBoom)
					}
					// Stream mode writes each row at once; offline every
					// format spills its buffer long before 3000 rows.
					if rowErr == nil {
						t.Errorf("no WriteRow reported the error; it waited for Close")
					}
					if stream && after == 0 && at != 0 {
						t.Errorf("first failing WriteRow was row %d, want 0", at)
					}
					if err := w.Close(nil); !errors.Is(err, errBoom) {
						t.Errorf("second Close = %v", err)
					}
				})
			}
		}
	}
}

// A reader that went away (tlsscan | head) must surface as EPIPE, not be
// ignored, so the pipeline can stop.
func TestClosedPipe(t *testing.T) {
	for _, f := range []Format{FormatTable, FormatCSV, FormatJSON} {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/stream=%v", f, stream), func(t *testing.T) {
				pr, pw, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				pr.Close()
				defer pw.Close()
				w := NewWriter(pw, f, Options{Stream: stream})
				err = w.WriteRow(testRows()[0])
				if stream && !errors.Is(err, syscall.EPIPE) {
					t.Errorf("stream WriteRow = %v, want EPIPE", err)
				}
				if err := w.Close(nil); !errors.Is(err, syscall.EPIPE) {
					t.Errorf("Close = %v, want EPIPE", err)
				}
			})
		}
	}
}

// In stream mode each row must be in the destination when WriteRow returns:
// a live capture shows connections as they finish, not at Ctrl-C.
func TestStreamFlushesEachRow(t *testing.T) {
	for _, f := range []Format{FormatTable, FormatCSV, FormatJSON} {
		t.Run(f.String(), func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf, f, Options{Stream: true})
			for i, r := range testRows() {
				r.SNI = fmt.Sprintf("row%d.test", i)
				before := buf.Len()
				if err := w.WriteRow(r); err != nil {
					t.Fatal(err)
				}
				got := buf.Bytes()
				if buf.Len() == before || got[len(got)-1] != '\n' {
					t.Fatalf("row %d: not flushed as a whole line: %q", i, got[before:])
				}
				if !bytes.Contains(got[before:], []byte(r.SNI)) {
					t.Fatalf("row %d: %q missing from %q", i, r.SNI, got[before:])
				}
			}
			if err := w.Close(nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Offline csv and json keep small outputs in the buffer until Close.
func TestOfflineBuffers(t *testing.T) {
	for _, f := range []Format{FormatTable, FormatCSV, FormatJSON} {
		var buf bytes.Buffer
		w := NewWriter(&buf, f, Options{})
		if err := w.WriteRow(testRows()[0]); err != nil {
			t.Fatal(err)
		}
		if buf.Len() != 0 {
			t.Errorf("%v: %d bytes written before Close", f, buf.Len())
		}
		if err := w.Close(nil); err != nil || buf.Len() == 0 {
			t.Errorf("%v: Close = %v, %d bytes", f, err, buf.Len())
		}
	}
}

func TestMisuse(t *testing.T) {
	for _, f := range []Format{FormatTable, FormatCSV, FormatJSON} {
		w := NewWriter(io.Discard, f, Options{Stream: true})
		if err := w.WriteRow(nil); err == nil {
			t.Errorf("%v: nil row accepted", f)
		}
		if err := w.Close(nil); err != nil {
			t.Fatalf("%v: Close = %v", f, err)
		}
		if err := w.WriteRow(testRows()[0]); !errors.Is(err, errClosed) {
			t.Errorf("%v: WriteRow after Close = %v", f, err)
		}
		if err := w.Close(nil); err != nil {
			t.Errorf("%v: second Close = %v", f, err)
		}
	}
}

// The summary is attempted even when the rows' destination failed: with
// stdout closed, stderr still gets it, and Close reports the rows' error.
func TestSummaryAfterRowError(t *testing.T) {
	var sum bytes.Buffer
	w := NewWriter(&failWriter{}, FormatCSV, Options{Stream: true, Summary: &sum})
	if err := w.WriteRow(testRows()[0]); !errors.Is(err, errBoom) {
		t.Fatalf("WriteRow = %v", err)
	}
	if err := w.Close(testSummary()); !errors.Is(err, errBoom) {
		t.Errorf("Close = %v", err)
	}
	if !bytes.HasPrefix(sum.Bytes(), []byte("files 2,")) {
		t.Errorf("summary = %q", sum.Bytes())
	}
	// And a failing summary writer is reported too.
	w = NewWriter(io.Discard, FormatJSON, Options{Summary: &failWriter{}})
	if err := w.Close(testSummary()); !errors.Is(err, errBoom) {
		t.Errorf("Close with failing summary writer = %v", err)
	}
}

func TestSummaryGolden(t *testing.T) {
	live := &RunStats{
		Live: true, Packets: 999, Bytes: 999, TCPConns: 1, TLSConns: 1,
		KernelReceived: 1000, KernelDropped: 5,
	}
	live.Tally.Add(testRows()[0])
	for _, tc := range []struct {
		name string
		s    *RunStats
	}{
		{"summary_full", testSummary()},
		{"summary_minimal", &RunStats{Files: 1}},
		{"summary_live", live},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSummary(&buf, tc.s); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, buf.Bytes())
		})
	}
	var buf bytes.Buffer
	if err := WriteSummary(&buf, nil); err != nil || buf.Len() != 0 {
		t.Errorf("nil summary: %v, %q", err, buf.Bytes())
	}
	if err := WriteSummary(&failWriter{}, testSummary()); !errors.Is(err, errBoom) {
		t.Errorf("WriteSummary on a failing writer = %v", err)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[uint64]string{
		0: "0 B", 999: "999 B", 1000: "1.0 kB", 1234: "1.2 kB",
		5_612_345: "5.6 MB", 999_949: "999.9 kB", 999_950: "1.0 MB",
		3 << 40: "3.3 TB", 1<<64 - 1: "18.4 EB",
	} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRoundDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		999:                               "999ns",
		1500:                              "1.5µs",
		123_456:                           "123µs",
		12_345_678:                        "12.3ms",
		7_891_234_567:                     "7.89s",
		2*time.Minute + 5*time.Second + 1: "2m5s",
	} {
		if got := roundDuration(d).String(); got != want {
			t.Errorf("roundDuration(%v) = %s, want %s", d, got, want)
		}
	}
}

// go test ./report -run '^$' -bench . shows the per-row cost of each format.
func BenchmarkWriteRow(b *testing.B) {
	rows := testRows()
	for _, f := range []Format{FormatTable, FormatCSV, FormatJSON} {
		for _, stream := range []bool{false, true} {
			b.Run(fmt.Sprintf("%v/stream=%v", f, stream), func(b *testing.B) {
				w := NewWriter(io.Discard, f, Options{Stream: stream})
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
	}
}
