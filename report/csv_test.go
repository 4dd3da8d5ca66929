package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// csvReference is the row as encoding/csv wrote it before csvWriter wrote
// CSV itself: each column formatted to a string, in Columns order.
func csvReference(r *Row) []string {
	return []string{
		formatTS(r.Time),
		formatIP(r.ClientIP), strconv.Itoa(int(r.ClientPort)),
		formatIP(r.ServerIP), strconv.Itoa(int(r.ServerPort)),
		wireText(r.SNI), r.Version, r.Cipher, wireText(r.ALPN),
		r.Resumption.String(), r.CertRequested.String(), r.ClientCert.String(),
		formatCount(r.ClientCerts), formatCount(r.ServerCerts),
		yesNo(r.Established), r.Alert, r.Flags.String(), r.History,
		r.Evidence.String(), wireText(r.File), formatPacket(r.Packet),
		r.JA4, wireText(r.ServerCN), formatTS(r.ServerNotAfter), wireText(r.ClientCN),
		wireText(formatOrigin(r.ResumedFrom)),
	}
}

// TestCSVAsEncodingCSV: the CSV writer gives, byte for byte, what
// encoding/csv gives for the same columns, on the test rows and on rows
// whose text needs every kind of quoting.
func TestCSVAsEncodingCSV(t *testing.T) {
	rows := testRows()
	for _, text := range []string{"", "a,b", `say "hi"`, " lead", "\u00a0nbsp", "\u2028sep", `\.`, "x\ny", "x\r", `"`, "\t", "é,\"", "\xff"} {
		r := *rows[0]
		r.Version, r.Cipher, r.Alert, r.History, r.JA4 = text, text, text, text, text
		r.SNI, r.File, r.ServerCN = text, text, text
		// resumed_from and flags are written without building their
		// text: every file name, a known packet and an unknown one, and
		// two flags and none.
		r.ResumedFrom = &Origin{File: text, Packet: uint64(len(text)), ClientCert: tlsparse.ClientCertSent}
		r.Flags = tlsparse.FlagsOf(tlsparse.FlagTicketIssued, tlsparse.FlagTruncated)
		rows = append(rows, &r)
		o := *r.ResumedFrom
		o.File = "same.pcap"
		r2 := r
		r2.File, r2.ResumedFrom, r2.Flags = "same.pcap", &o, 0
		rows = append(rows, &r2)
	}
	var zone Row
	zone.ClientIP = netip.MustParseAddr("fe80::1%eth,0")
	zone.ClientCerts, zone.ServerCerts = -1, 3
	zone.Time = time.Date(2026, 1, 2, 3, 4, 5, 6000, time.FixedZone("x", 3600))
	rows = append(rows, &zone)

	var got bytes.Buffer
	w := NewWriter(&got, FormatCSV, Options{})
	var want bytes.Buffer
	cw := csv.NewWriter(&want)
	cw.Write(Columns)
	for _, r := range rows {
		if err := w.WriteRow(r); err != nil {
			t.Fatal(err)
		}
		cw.Write(csvReference(r))
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	cw.Flush()
	if got.String() != want.String() {
		t.Errorf("csvWriter:\n%s\nencoding/csv:\n%s", got.String(), want.String())
	}
}

// FuzzCSVField: any text is written as encoding/csv writes it.
func FuzzCSVField(f *testing.F) {
	for _, s := range []string{"", "plain", "a,b", `q"q`, " x", "\u3000x", "\\.", "a\r\nb", "\x85", "\xc2\x85x"} {
		f.Add(s, "next")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var got bytes.Buffer
		bw := bufio.NewWriter(&got)
		w := newCSVWriter(bw, Options{})
		w.text(a)
		w.text(b)
		if err := w.end(); err != nil {
			t.Fatal(err)
		}
		bw.Flush()
		var want bytes.Buffer
		cw := csv.NewWriter(&want)
		cw.Write([]string{a, b})
		cw.Flush()
		if got.String() != want.String() {
			t.Errorf("%q, %q: wrote %q, encoding/csv %q", a, b, got.String(), want.String())
		}
	})
}

// TestAppendTS: the hand-written timestamp layout is AppendFormat's, over
// random instants of years 0 to 9999 and zones, the edges of the years it
// writes by hand, and years it leaves to AppendFormat.
func TestAppendTS(t *testing.T) {
	times := []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 3, 17, 8, 9, 1500, time.FixedZone("x", -5*3600)),
		time.Unix(0, 0),
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100_000 {
		sec := rng.Int64N(253402300800) - 62135596800 // years 0001 to 9999
		times = append(times, time.Unix(sec, rng.Int64N(1e9)).In(time.FixedZone("z", rng.IntN(50000)-25000)))
	}
	for _, tm := range times {
		if got, want := string(appendTS(nil, tm)), tm.UTC().Format(tsLayout); got != want {
			t.Fatalf("appendTS(%v) = %s, want %s", tm, got, want)
		}
	}
}
