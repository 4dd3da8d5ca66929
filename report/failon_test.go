package report

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tlsscan/tlsscan/tlsparse"
)

func TestParseFailOn(t *testing.T) {
	for _, tc := range []struct {
		list string
		want []string // canonical terms
	}{
		{"client_auth_failed", []string{"client_auth_failed"}},
		{" hrr , truncated ", []string{"hrr", "truncated"}},
		{"version<TLSv1.2", []string{"version<TLSv1.2"}},
		{"version <= tlsv1.1", []string{"version<=TLSv1.1"}},
		{"version>SSLv3,version>=TLSv1.3", []string{"version>SSLv3", "version>=TLSv1.3"}},
		{"version=0x0303", []string{"version=TLSv1.2"}},
		{"version!=0x7f1c", []string{"version!=0x7F1C"}},
		{"version=none", []string{"version=none"}},
		{"version<0x0303", []string{"version<TLSv1.2"}},
		{"resumption=session_id,resumption!=full", []string{"resumption=session_id", "resumption!=full"}},
		{"cert_requested=yes", []string{"cert_requested=yes"}},
		{"client_cert=missing", []string{"client_cert=missing"}},
		{"client_cert = declined", []string{"client_cert=declined"}},
		{"client_cert!=declined", []string{"client_cert!=declined"}},
		{"established=no", []string{"established=no"}},
		{"evidence=record_sizes,evidence=none", []string{"evidence=record_sizes", "evidence=none"}},
		{"sni=example.com", []string{"sni=example.com"}},
		{"sni=", []string{"sni="}},
		{"sni!=a b", []string{"sni!=a b"}},
		{"server_port=443,server_port!=0443", []string{"server_port=443", "server_port!=443"}},
		{"hrr,hrr, hrr", []string{"hrr"}}, // duplicates kept once
		{"\ttruncated\n", []string{"truncated"}},
	} {
		f, err := ParseFailOn(tc.list)
		if err != nil {
			t.Errorf("ParseFailOn(%q): %v", tc.list, err)
			continue
		}
		if got := f.Terms(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseFailOn(%q) = %q, want %q", tc.list, got, tc.want)
		}
		// The canonical spelling parses to itself.
		g, err := ParseFailOn(f.String())
		if err != nil || g.String() != f.String() {
			t.Errorf("ParseFailOn(%q) (from %q) = %v, %v", f.String(), tc.list, g, err)
		}
	}
}

// Every flag tlsparse names is a term.
func TestParseFailOnEveryFlag(t *testing.T) {
	n := 0
	for fl := range tlsparse.Flags(^uint64(0)).All() {
		n++
		f, err := ParseFailOn(fl.String())
		if err != nil {
			t.Errorf("%v: %v", fl, err)
			continue
		}
		r := srvRow()
		if f.Add(r) {
			t.Errorf("%v matched a row without it", fl)
		}
		r.Flags.Set(fl)
		if term, ok := f.Match(r); !ok || term != fl.String() {
			t.Errorf("%v: Match = %q, %v", fl, term, ok)
		}
	}
	if n != len(flagsByName) || n < 30 {
		t.Errorf("%d flags, %d names", n, len(flagsByName))
	}
}

func TestParseFailOnErrors(t *testing.T) {
	for _, tc := range []struct {
		list string
		want string // the whole message
	}{
		{"", `--fail-on: empty list: want flag names or COLUMN OP VALUE terms, separated by commas`},
		{"  ", `--fail-on: empty list: want flag names or COLUMN OP VALUE terms, separated by commas`},
		{"hrr,,truncated", `--fail-on: empty term in "hrr,,truncated": terms are separated by single commas`},
		{"hrr,", `--fail-on: empty term in "hrr,": terms are separated by single commas`},
		{"client_cert=mising", `--fail-on: unknown term "client_cert=mising": client_cert is one of sent, empty, missing, none, unknown, declined`},
		{"client_cert=", `--fail-on: bad term "client_cert=": client_cert is one of sent, empty, missing, none, unknown, declined`},
		{"resumption=resumed", `--fail-on: unknown term "resumption=resumed": resumption is one of full, session_id, ticket, psk, unknown`},
		{"cert_requested=true", `--fail-on: unknown term "cert_requested=true": cert_requested is one of yes, no, unknown`},
		{"established=true", `--fail-on: unknown term "established=true": established is one of yes, no`},
		{"evidence=", `--fail-on: bad term "evidence=": evidence is one of cleartext, keylog, record_sizes, none`},
		{"clinet_auth_failed", `--fail-on: unknown term "clinet_auth_failed": not a flag name (closest is client_auth_failed)`},
		{"foo", `--fail-on: unknown term "foo": want a flag name (docs/output.md "Flags") or COLUMN OP VALUE with COLUMN one of version, resumption, cert_requested, client_cert, established, evidence, sni, server_port`},
		{"version", `--fail-on: bad term "version": version needs an operator and a value, such as version<TLSv1.2`},
		{"client_cert", `--fail-on: bad term "client_cert": client_cert needs an operator and a value, such as client_cert=declined`},
		{"vresion<TLSv1.2", `--fail-on: unknown term "vresion<TLSv1.2": unknown column "vresion", want one of version, resumption, cert_requested, client_cert, established, evidence, sni, server_port (closest is version)`},
		{"=TLSv1.2", `--fail-on: unknown term "=TLSv1.2": unknown column "", want one of version, resumption, cert_requested, client_cert, established, evidence, sni, server_port`},
		{"hrr=yes", `--fail-on: bad term "hrr=yes": hrr is a flag: write its name alone to match the rows that carry it`},
		{"flags=hrr", `--fail-on: bad term "flags=hrr": write a flag name alone to match the rows that carry it`},
		{"version!TLSv1.2", `--fail-on: bad term "version!TLSv1.2": want an operator =, !=, <, <=, > or >= after "version"`},
		{"resumption<full", `--fail-on: bad term "resumption<full": resumption takes = or != (only version takes <, <=, >, >=)`},
		{"sni>=a", `--fail-on: bad term "sni>=a": sni takes = or != (only version takes <, <=, >, >=)`},
		{"version<TLSv1.4", `--fail-on: unknown term "version<TLSv1.4": version is one of SSLv2, SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3, none, or 0xNNNN`},
		{"version=0x30", `--fail-on: unknown term "version=0x30": version is one of SSLv2, SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3, none, or 0xNNNN`},
		{"version<none", `--fail-on: bad term "version<none": version < needs one of SSLv2, SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3`},
		{"version>=0x7f1c", `--fail-on: bad term "version>=0x7f1c": version >= needs one of SSLv2, SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3`},
		{"server_port=https", `--fail-on: bad term "server_port=https": server_port is a number from 0 to 65535`},
		{"server_port=65536", `--fail-on: bad term "server_port=65536": server_port is a number from 0 to 65535`},
		{"server_port=-1", `--fail-on: bad term "server_port=-1": server_port is a number from 0 to 65535`},
		{"hrr,client_cert=mising", `--fail-on: unknown term "client_cert=mising": client_cert is one of sent, empty, missing, none, unknown, declined`},
		{"bad\x1b[2J", `--fail-on: unknown term "bad\x1b[2J": want a flag name (docs/output.md "Flags") or COLUMN OP VALUE with COLUMN one of version, resumption, cert_requested, client_cert, established, evidence, sni, server_port`},
	} {
		f, err := ParseFailOn(tc.list)
		if err == nil {
			t.Errorf("ParseFailOn(%q) = %v, want an error", tc.list, f)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("ParseFailOn(%q):\n got %s\nwant %s", tc.list, err, tc.want)
		}
		checkFailOnError(t, tc.list, err)
	}
}

// checkFailOnError holds every message to the form the caller prints
// after "tlsscan: error: ": one line, lower case, no final period, and the
// bad term named (quoted, so control bytes do not reach the terminal).
func checkFailOnError(t *testing.T, list string, err error) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "--fail-on: ") || strings.HasSuffix(msg, ".") || strings.ContainsAny(msg, "\n\x1b") {
		t.Errorf("ParseFailOn(%q): badly formed message %q", list, msg)
	}
	if strings.TrimSpace(list) != "" && !strings.Contains(msg, `"`) {
		t.Errorf("ParseFailOn(%q): message names no term: %q", list, msg)
	}
}

func TestFailOnMatch(t *testing.T) {
	tls10 := func(r *Row) { r.Version = "TLSv1.0" }
	noVersion := func(r *Row) { r.Version = "" }
	draft := func(r *Row) { r.Version = "0x7F1C" }
	ssl2 := func(r *Row) { r.Version = "SSLv2" }
	for _, tc := range []struct {
		term string
		row  *Row
		want bool
	}{
		{"client_auth_failed", srvRow(empty, authFail), true},
		{"client_auth_failed", srvRow(empty), false},

		{"version<TLSv1.2", srvRow(tls10), true},
		{"version<TLSv1.2", srvRow(ssl2), true},
		{"version<TLSv1.2", srvRow(), false},
		{"version<TLSv1.2", srvRow(noVersion), false},
		{"version<TLSv1.2", srvRow(draft), false},
		{"version<=TLSv1.2", srvRow(), true},
		{"version>TLSv1.2", srvRow(tls13), true},
		{"version>TLSv1.2", srvRow(), false},
		{"version>TLSv1.2", srvRow(draft), false},
		{"version>=TLSv1.2", srvRow(), true},
		{"version>=TLSv1.2", srvRow(noVersion), false},
		{"version=TLSv1.2", srvRow(), true},
		{"version=none", srvRow(noVersion), true},
		{"version=none", srvRow(), false},
		{"version!=none", srvRow(), true},
		{"version!=TLSv1.3", srvRow(noVersion), true},
		{"version=0x7f1c", srvRow(draft), true},

		{"resumption=session_id", srvRow(resumed(tlsparse.ResumptionSessionID)), true},
		{"resumption=session_id", srvRow(resumed(tlsparse.ResumptionTicket)), false},
		{"resumption!=full", srvRow(resumed(tlsparse.ResumptionUnknown)), true},
		{"resumption!=full", srvRow(), false},

		{"cert_requested=yes", srvRow(asked), true},
		{"cert_requested=unknown", srvRow(tls13, unknownCA), true},
		{"cert_requested=no", srvRow(asked), false},

		{"client_cert=missing", srvRow(missing), true},
		{"client_cert=missing", srvRow(empty), false},
		{"client_cert=empty", srvRow(empty), true},
		{"client_cert=unknown", srvRow(tls13, unknownCA), true},
		{"client_cert=declined", srvRow(missing), true},
		{"client_cert=declined", srvRow(empty), true},
		{"client_cert=declined", srvRow(tls13, sizes, empty), true},
		{"client_cert=declined", srvRow(sent), false},
		{"client_cert=declined", srvRow(), false}, // none: never asked
		// An unsolicited empty Certificate was not an answer to a request.
		{"client_cert=declined", srvRow(func(r *Row) { r.ClientCert = tlsparse.ClientCertEmpty }), false},
		{"client_cert!=declined", srvRow(sent), true},
		{"client_cert!=declined", srvRow(empty), false},

		{"established=no", srvRow(notEst), true},
		{"established=no", srvRow(), false},
		{"established=yes", srvRow(), true},

		{"evidence=cleartext", srvRow(), true},
		{"evidence=keylog", srvRow(keylog), true},
		{"evidence=record_sizes", srvRow(sizes), true},
		{"evidence=none", srvRow(unknownCA), true},
		{"evidence=none", srvRow(), false},
		{"evidence!=cleartext", srvRow(unknownCA), true},

		{"sni=example.com", srvRow(), true},
		{"sni=Example.com", srvRow(), false}, // byte for byte
		{"sni!=example.com", srvRow(), false},
		{"sni=", srvRow(at("192.0.2.1", 443, "")), true},
		{"sni=", srvRow(), false},

		{"server_port=443", srvRow(), true},
		{"server_port=8443", srvRow(), false},
		{"server_port!=8443", srvRow(), true},
	} {
		f, err := ParseFailOn(tc.term)
		if err != nil {
			t.Errorf("ParseFailOn(%q): %v", tc.term, err)
			continue
		}
		term, ok := f.Match(tc.row)
		if ok != tc.want || ok && term != f.String() {
			t.Errorf("%s on %+v: Match = %q, %v; want %v", tc.term, *tc.row, term, ok, tc.want)
		}
	}
}

func TestFailOnCounts(t *testing.T) {
	f, err := ParseFailOn("client_cert=declined, version<TLSv1.2, hrr")
	if err != nil {
		t.Fatal(err)
	}
	rows := []*Row{
		srvRow(),                  // nothing
		srvRow(empty),             // declined
		srvRow(missing, authFail), // declined
		srvRow(empty, func(r *Row) { r.Version = "TLSv1.0" }), // declined, version
		srvRow(func(r *Row) { r.Version = "SSLv3" }),          // version
		nil,
	}
	for _, r := range rows {
		f.Add(r)
	}
	if term, ok := f.Match(rows[3]); !ok || term != "client_cert=declined" {
		t.Errorf("Match = %q, %v: want the first term in list order", term, ok)
	}
	want := []FailOnCount{{"client_cert=declined", 3}, {"version<TLSv1.2", 2}, {"hrr", 0}}
	if got := f.Counts(); !reflect.DeepEqual(got, want) {
		t.Errorf("Counts = %v, want %v", got, want)
	}
	if f.Matched() != 4 {
		t.Errorf("Matched = %d, want 4", f.Matched())
	}
	wantMsg := []string{"client_cert=declined matched 3 rows", "version<TLSv1.2 matched 2 rows"}
	if got := f.Messages(); !reflect.DeepEqual(got, wantMsg) {
		t.Errorf("Messages = %q, want %q", got, wantMsg)
	}
	f.Add(srvRow(withFlag(tlsparse.FlagHRR)))
	if got := f.Messages(); got[2] != "hrr matched 1 row" {
		t.Errorf("Messages = %q", got)
	}

	var none *FailOn
	if _, ok := none.Match(srvRow()); ok || none.Add(srvRow()) || none.Matched() != 0 || none.Counts() != nil || none.String() != "" {
		t.Error("a nil FailOn matched something")
	}
}

// FuzzParseFailOn: any list parses or fails cleanly, never panics; an
// error is a well-formed message; a parsed list's canonical spelling
// parses to the same terms, and matching rows does not panic.
func FuzzParseFailOn(f *testing.F) {
	for _, s := range []string{
		"", "hrr", "hrr,truncated", "version<TLSv1.2", "version <= 0x0303 ,sni=a",
		"client_cert=declined", "client_cert=mising", "sni==x", "sni!==", "=", "!", "<", ",",
		"server_port=99999", "version>=none", "evidence=none", "flags=hrr", "a=b=c", "\xff=\xfe",
	} {
		f.Add(s)
	}
	rows := append(serverRows(), &Row{}, srvRow(tls13, unknownCA))
	f.Fuzz(func(t *testing.T, list string) {
		fo, err := ParseFailOn(list)
		if err != nil {
			if fo != nil {
				t.Fatalf("ParseFailOn(%q) returned %v with error %v", list, fo, err)
			}
			checkFailOnError(t, list, err)
			return
		}
		if len(fo.Terms()) == 0 {
			t.Fatalf("ParseFailOn(%q): no terms and no error", list)
		}
		again, err := ParseFailOn(fo.String())
		if err != nil || again.String() != fo.String() {
			t.Fatalf("ParseFailOn(%q): canonical %q reparses to %v, %v", list, fo.String(), again, err)
		}
		for _, r := range rows {
			term, ok := fo.Match(r)
			if ok2 := fo.Add(r); ok != ok2 || ok && term == "" {
				t.Fatalf("%q on a row: Match %q %v, Add %v", list, term, ok, ok2)
			}
		}
	})
}
