package report

import (
	"bytes"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// tableTestRows are testRows (IPv6, a long SNI, a hostile SNI and file
// name, no address, date changes, file changes) plus what only the table
// cares about: many flags, a long alert, wide East Asian characters, a
// long IPv6 client, a long file name.
func tableTestRows() []*Row {
	rows := testRows()
	day2 := day1.Add(4 * time.Second)
	rows = append(rows,
		&Row{
			Time:     day2,
			ClientIP: netip.MustParseAddr("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"), ClientPort: 65535,
			ServerIP: netip.MustParseAddr("192.0.2.200"), ServerPort: 4433,
			SNI:     "例え.テスト",
			Version: "TLSv1.2", Resumption: tlsparse.ResumptionSessionID,
			CertRequested: tlsparse.CertRequestedYes, ClientCert: tlsparse.ClientCertEmpty,
			ClientCerts: 0, ServerCerts: 0, Established: false,
			Alert: "client:certificate_required_but_longer",
			Flags: tlsparse.FlagsOf(tlsparse.FlagClientCertEmpty, tlsparse.FlagClientAuthFailed,
				tlsparse.FlagSessionIDRejected, tlsparse.FlagTicketRejected, tlsparse.FlagRenegotiation,
				tlsparse.FlagGap, tlsparse.FlagHRR),
			File: "/var/log/captures/2024/03/10/a-rather-long-directory-name/capture-0001.pcapng",
		},
		&Row{
			Time:     day2.Add(time.Millisecond),
			ClientIP: netip.MustParseAddr("10.0.0.1"), ClientPort: 1,
			ServerIP: netip.MustParseAddr("10.0.0.2"), ServerPort: 443,
			SNI:     strings.Repeat("日本語", 12) + ".example",
			Version: "TLSv1.3", Resumption: tlsparse.ResumptionPSK,
			CertRequested: tlsparse.CertRequestedNo, ClientCert: tlsparse.ClientCertNone,
			Established: true,
			Flags:       tlsparse.FlagsOf(tlsparse.FlagClientCertIssuerNotRequested, tlsparse.FlagTicketIssued),
			File:        "/var/log/captures/2024/03/10/a-rather-long-directory-name/capture-0001.pcapng",
		},
	)
	return rows
}

// renderTable renders rows as a table for a terminal of the given width
// (0: not a terminal), without the summary.
func renderTable(t testing.TB, rows []*Row, width int, stream bool) []byte {
	t.Helper()
	var out bytes.Buffer
	w := NewWriter(&out, FormatTable, Options{Width: width, Stream: stream})
	for _, r := range rows {
		if err := w.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// cells splits a line into display cells, one string per column (a wide
// character is in the first of its two cells, "" in the second).
func cells(line string) []string {
	var c []string
	for _, r := range line {
		s := string(r)
		c = append(c, s)
		for range twwidth.WidthWithOptions(s, twwidth.Options{}) - 1 {
			c = append(c, "")
		}
	}
	return c
}

// expected is each column's full value, spelled independently of table.go.
func expected(r *Row, c int) string {
	hp := func(a netip.Addr, p uint16) string {
		if !a.IsValid() {
			return ""
		}
		return netip.AddrPortFrom(a, p).String()
	}
	switch c {
	case colTime:
		return r.Time.UTC().Format("15:04:05.000000")
	case colClient:
		return hp(r.ClientIP, r.ClientPort)
	case colServer:
		return hp(r.ServerIP, r.ServerPort)
	case colSNI:
		return wireText(r.SNI)
	case colVersion:
		return r.Version
	case colResumption:
		return r.Resumption.String()
	case colCertReq:
		return r.CertRequested.String()
	case colClientCert:
		if r.ClientCert == tlsparse.ClientCertSent && r.ClientCerts >= 0 {
			return fmt.Sprintf("sent(%d)", r.ClientCerts)
		}
		return r.ClientCert.String()
	case colEst:
		return map[bool]string{true: "yes", false: "no"}[r.Established]
	case colAlert:
		return r.Alert
	case colFlags:
		return r.Flags.String()
	}
	panic(c)
}

var (
	dateLine = regexp.MustCompile(`^\d{4}-\d\d-\d\d UTC$`)
	moreRE   = regexp.MustCompile(`^(.*?) ?\+(\d+)$`)
)

// checkCell reports why got is not full, or full cut to width (width < 0:
// never cut).
func checkCell(c int, got, full string, width int) error {
	gw := textWidth(got)
	if width >= 0 && gw > width {
		return fmt.Errorf("%q is %d wide, column %d", got, gw, width)
	}
	if got == full {
		return nil
	}
	if width < 0 {
		return fmt.Errorf("%q cut in the fixed layout's last column, want %q", got, full)
	}
	if c == colFlags {
		all := strings.Split(full, ";")
		m := moreRE.FindStringSubmatch(got)
		if m == nil {
			// One flag alone is cut like any value.
			if p, ok := strings.CutSuffix(got, ellipsis); len(all) == 1 && ok && strings.HasPrefix(full, p) && gw == width {
				return nil
			}
			return fmt.Errorf("flags %q: cut without +N (full %q)", got, full)
		}
		n, _ := strconv.Atoi(m[2])
		shown := strings.Split(m[1], ";")
		if m[1] == "" {
			shown = nil
		}
		if len(shown)+n != len(all) {
			return fmt.Errorf("flags %q: %d shown + %d, want %d in all (%q)", got, len(shown), n, len(all), full)
		}
		for i, s := range shown {
			if p, ok := strings.CutSuffix(s, ellipsis); ok {
				if i != 0 || !strings.HasPrefix(all[0], p) {
					return fmt.Errorf("flags %q: bad cut of %q", got, all[i])
				}
			} else if s != all[i] {
				return fmt.Errorf("flags %q: %q in place of %q", got, s, all[i])
			}
		}
		// As many whole flags as fit: one more would not have.
		if k := len(shown); k < len(all) && !strings.HasSuffix(m[1], ellipsis) {
			longer := strings.Join(all[:k+1], ";")
			if k+1 < len(all) {
				longer += " +" + strconv.Itoa(len(all)-k-1)
			}
			if len(longer) <= width {
				return fmt.Errorf("flags %q: %q would fit in %d", got, longer, width)
			}
		}
		return nil
	}
	if gw < width-1 {
		return fmt.Errorf("%q cut to %d columns, column %d", got, gw, width)
	}
	if c == colClient || c == colServer {
		i := strings.LastIndexByte(full, ':')
		port := full[i:]
		head, ok := strings.CutSuffix(got, ellipsis+port)
		if !ok || !strings.HasPrefix(full, head) {
			return fmt.Errorf("address %q is not a cut of %q keeping its port", got, full)
		}
		return nil
	}
	head, ok := strings.CutSuffix(got, ellipsis)
	if !ok || !strings.HasPrefix(full, head) {
		return fmt.Errorf("%q is not %q cut with %s", got, full, ellipsis)
	}
	return nil
}

// TestTableFits renders the odd rows for terminals of several widths and
// for no terminal, and checks every line: no wider than the terminal, the
// rows' cells at the header's offsets, blanks between columns, each value
// whole or cut with "…" (addresses keeping their port, flags with +N),
// file and date lines where they belong.
func TestTableFits(t *testing.T) {
	rows := tableTestRows()
	for _, width := range []int{0, 40, 60, 80, 100, 120, 200} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			lay := tableLayout(width)
			out := renderTable(t, rows, width, false)
			lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			offs := make([]int, len(lay.cols))
			for i := 1; i < len(offs); i++ {
				offs[i] = offs[i-1] + lay.widths[i-1] + lay.gap
			}
			if width > 0 && width >= 60 && offs[len(offs)-1]+lay.widths[len(offs)-1] > width {
				t.Errorf("layout %v%v is %d wide", lay.headers, lay.widths, offs[len(offs)-1]+lay.widths[len(offs)-1])
			}
			for n, line := range lines {
				if w := textWidth(line); width > 0 && w > width {
					t.Errorf("line %d is %d wide: %q", n, w, line)
				}
				if strings.HasSuffix(line, " ") {
					t.Errorf("line %d has trailing blanks: %q", n, line)
				}
			}
			if width > 0 && width < 48 {
				return // lines are cut at the edge: only the width holds
			}
			hdr := cells(lines[0])
			for i, h := range lay.headers {
				want := h
				if lay.cols[i] == colTime {
					want = "2024-03-09 UTC"
				}
				if got := strings.TrimRight(strings.Join(hdr[offs[i]:min(len(hdr), offs[i]+lay.widths[i])], ""), " "); got != want {
					t.Errorf("header cell %d = %q, want %q at offset %d", i, got, want, offs[i])
				}
			}
			if r := strings.Repeat("─", lay.width); lines[1] != r {
				t.Errorf("rule %q, want %d ─", lines[1], lay.width)
			}
			ri := 0
			var file string
			for n, line := range lines[2:] {
				switch {
				case strings.HasPrefix(line, "==> "):
					name := strings.TrimSuffix(strings.TrimPrefix(line, "==> "), " <==")
					want := wireText(rows[ri].File)
					if want == "" {
						want = "(unknown file)"
					}
					if name != want && !(strings.HasPrefix(name, ellipsis) && strings.HasSuffix(want, strings.TrimPrefix(name, ellipsis))) {
						t.Errorf("line %d: file line %q, want %q", n+2, line, want)
					}
					if file == rows[ri].File && ri > 0 {
						t.Errorf("line %d: file line without a change of file", n+2)
					}
					file = rows[ri].File
					continue
				case dateLine.MatchString(line):
					if !lay.time {
						t.Errorf("line %d: date line without a time column", n+2)
					}
					if want := dateOf(rows[ri]); line != want {
						t.Errorf("line %d: date line %q before a row of %q", n+2, line, want)
					}
					continue
				}
				if ri >= len(rows) {
					t.Fatalf("line %d: more rows than written: %q", n+2, line)
				}
				r := rows[ri]
				ri++
				if r.File != file {
					t.Errorf("line %d: the row's file %q was not announced", n+2, r.File)
				}
				lc := cells(line)
				for i, c := range lay.cols {
					if offs[i] > len(lc) {
						break
					}
					if i > 0 && offs[i] <= len(lc) && strings.Join(lc[offs[i]-lay.gap:offs[i]], "") != spaces[:lay.gap] {
						t.Errorf("line %d: no gap before column %s: %q", n+2, lay.headers[i], line)
					}
					end := min(len(lc), offs[i]+lay.widths[i])
					cw := lay.widths[i]
					if i == len(lay.cols)-1 {
						end = len(lc)
						if width == 0 {
							cw = -1
						}
					}
					got := strings.TrimRight(strings.Join(lc[offs[i]:end], ""), " ")
					if err := checkCell(c, got, expected(r, c), cw); err != nil {
						t.Errorf("line %d, %s: %v", n+2, lay.headers[i], err)
					}
				}
			}
			if ri != len(rows) {
				t.Errorf("%d rows printed, want %d", ri, len(rows))
			}
		})
	}
}

// The columns a terminal shows: the verdicts at 80 and above, the least
// important dropped first, and never fewer columns on a wider terminal.
func TestTableColumns(t *testing.T) {
	verdicts := []int{colServer, colSNI, colVersion, colResumption, colCertReq, colClientCert, colFlags}
	for _, tc := range []struct {
		width int
		want  []int
	}{
		{0, []int{colTime, colClient, colServer, colSNI, colVersion, colResumption, colCertReq, colClientCert, colEst, colAlert, colFlags}},
		{200, []int{colTime, colClient, colServer, colSNI, colVersion, colResumption, colCertReq, colClientCert, colEst, colAlert, colFlags}},
		{120, []int{colTime, colServer, colSNI, colVersion, colResumption, colCertReq, colClientCert, colEst, colFlags}},
		{100, []int{colTime, colServer, colSNI, colVersion, colResumption, colCertReq, colClientCert, colEst, colFlags}},
		{80, verdicts},
		{60, []int{colSNI, colVersion, colResumption, colCertReq, colClientCert, colFlags}},
	} {
		if got := tableLayout(tc.width).cols; !slices.Equal(got, tc.want) {
			t.Errorf("width %d: columns %v, want %v", tc.width, got, tc.want)
		}
	}
	prev := 0
	for width := 1; width <= 260; width++ {
		lay := tableLayout(width)
		if len(lay.cols) < prev {
			t.Errorf("width %d shows %d columns, %d shows %d", width, len(lay.cols), width-1, prev)
		}
		prev = len(lay.cols)
		if width >= 80 {
			for _, c := range verdicts {
				if !slices.Contains(lay.cols, c) {
					t.Errorf("width %d: column %s dropped", width, tableHeader[c])
				}
			}
		}
		if lay.width > width {
			t.Errorf("width %d: table %d wide", width, lay.width)
		}
	}
}

func TestTableFlagsCut(t *testing.T) {
	fl := func(f ...tlsparse.Flag) tlsparse.Flags { return tlsparse.FlagsOf(f...) }
	two := fl(tlsparse.FlagTicketIssued, tlsparse.FlagClientCertEmpty) // client_cert_empty;ticket_issued
	many := fl(tlsparse.FlagClientAuthFailed, tlsparse.FlagGap, tlsparse.FlagHRR, tlsparse.FlagTruncated)
	for _, tc := range []struct {
		flags tlsparse.Flags
		width int
		want  string
	}{
		{0, 10, ""},
		{two, -1, "client_cert_empty;ticket_issued"},
		{two, 31, "client_cert_empty;ticket_issued"},
		{two, 30, "client_cert_empty +1"},
		{two, 20, "client_cert_empty +1"},
		{two, 19, "client_cert_emp… +1"},
		{two, 5, "c… +1"},
		{two, 4, "+2"},
		{fl(tlsparse.FlagEncryptedHandshake), 13, "encrypted_ha…"},
		{many, 40, "client_auth_failed;gap;hrr;truncated"},
		{many, 30, "client_auth_failed;gap;hrr +1"},
		{many, 26, "client_auth_failed;gap +2"},
		{many, 21, "client_auth_failed +3"},
		{many, 13, "client_au… +3"},
	} {
		w := &tableWriter{}
		if got := string(w.appendFlags(nil, tc.flags, tc.width)); got != tc.want {
			t.Errorf("%v in %d: %q, want %q", tc.flags, tc.width, got, tc.want)
		}
	}
}

func TestTableCut(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		addr  bool
		want  string
	}{
		{"example.com", 11, false, "example.com"},
		{"example.com", 10, false, "example.c…"},
		{"example.com", 1, false, "…"},
		{"日本語", 6, false, "日本語"},
		{"日本語", 5, false, "日本…"},
		{"日本語", 4, false, "日…"}, // a wide character is not split
		{"a日本", 4, false, "a日…"},
		{"[2001:db8:1234:5678:9abc:def0:1234:5678]:8443", 21, true, "[2001:db8:1234:…:8443"},
		{"198.51.100.7:443", 15, true, "198.51.100…:443"},
		{"198.51.100.7:443", 16, true, "198.51.100.7:443"},
		{"1.2.3.4:65535", 7, true, "1.2.3.…"}, // no room for the port
	} {
		var got []byte
		if tc.addr {
			got = cutAddr([]byte(tc.in), tc.width)
		} else {
			got = cut([]byte(tc.in), tc.width)
		}
		if string(got) != tc.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
		if w := bytesWidth(got); w > tc.width || !utf8.Valid(got) {
			t.Errorf("cut(%q, %d) is %d wide", tc.in, tc.width, w)
		}
	}
}

// File lines: before the first row, and whenever the file changes (back
// and forth too), escaped, cut at the front on a narrow terminal.
func TestTableFileLines(t *testing.T) {
	row := func(file string) *Row {
		return &Row{Time: day1, ServerIP: netip.MustParseAddr("192.0.2.1"), ServerPort: 443, SNI: "x", File: file}
	}
	long := "/very/long/directory/name/that/goes/on/and/on/capture.pcap"
	rows := []*Row{row("a.pcap"), row("a.pcap"), row("b\x1b[2J.pcap"), row("a.pcap"), row(long)}
	got := regexp.MustCompile(`(?m)^==> .*$`).FindAllString(string(renderTable(t, rows, 60, false)), -1)
	// 60 columns: "==> …" and " <==" leave 51 for the end of the name.
	want := []string{"==> a.pcap <==", `==> b\x1b[2J.pcap <==`, "==> a.pcap <==", "==> …" + long[len(long)-51:] + " <=="}
	if !slices.Equal(got, want) {
		t.Errorf("file lines\n%q\nwant\n%q", got, want)
	}
	// No file: no line.
	if out := renderTable(t, []*Row{row("")}, 0, false); bytes.Contains(out, []byte("==>")) {
		t.Errorf("file line for a row without a file:\n%s", out)
	}
}

// Live and offline print the same table; live flushes each row.
func TestTableStreamSameAsOffline(t *testing.T) {
	for _, width := range []int{0, 80} {
		off := renderTable(t, tableTestRows(), width, false)
		on := renderTable(t, tableTestRows(), width, true)
		if !bytes.Equal(off, on) {
			t.Errorf("width %d: stream\n%s\noffline\n%s", width, on, off)
		}
	}
}

func TestTableGolden(t *testing.T) {
	for _, width := range []int{0, 80} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			golden(t, fmt.Sprintf("table_w%d", width), renderTable(t, tableTestRows(), width, false))
		})
	}
}

func TestAppendTimeOfDay(t *testing.T) {
	for _, tm := range []time.Time{
		day1, day1.In(cet), time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 1, 2, 23, 59, 59, 999999999, time.UTC),
		time.Date(1999, 12, 31, 7, 8, 9, 10_000, time.FixedZone("X", -5*3600)),
	} {
		if got, want := string(appendTimeOfDay(nil, tm)), tm.UTC().Format("15:04:05.000000"); got != want {
			t.Errorf("appendTimeOfDay(%v) = %q, want %q", tm, got, want)
		}
	}
}
