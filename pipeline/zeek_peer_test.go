package pipeline_test

// The Zeek formats against Zeek itself: every trace of
// ../shared/corpus/zeek/zeek_expected.json is run through the pipeline and
// written with --format zeek's writer; the ssl.log is read back the way
// zeek-cut reads it (the #fields line names the columns, lines split on
// tab, "-" unset) and its Zeek fields are compared with Zeek's own ssl.log
// rows for the trace. Where tlsscan's rows and Zeek's differ for a reason,
// TestPeerZeek (peer_test.go) already lists it in knownDisagreements; this
// test reuses those reasons under the ssl.log field names
// (zeekLogDisagreements). Anything else fails, and so does a listed
// disagreement that no longer occurs.
//
// The Parquet round trip over the same captures is report's
// TestParquetFixtures.

import (
	"bytes"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tlsscan/tlsscan/internal/testkit"
	"github.com/tlsscan/tlsscan/pipeline"
	"github.com/tlsscan/tlsscan/report"
)

// zeekLogDisagreements are the ssl.log values the zeek writer's output
// differs from Zeek's in, keyed "trace:orig_port:field" as
// knownDisagreements (orig_port "-" when the baseline does not log it;
// field "row" = Zeek logged a connection the log has no line for, "extra" =
// the reverse, keyed by the line's id.orig_p).
var zeekLogDisagreements = map[string]string{
	"chrome-63.0.3211.0-canary-tls_experiment.pcap:62873:resumed": knownDisagreements["chrome-63.0.3211.0-canary-tls_experiment.pcap:62873:resumed"],
	"tls1.2-late-protocol-error.pcap:56637:ssl_history":           knownDisagreements["tls1.2-late-protocol-error.pcap:56637:history"],
	"wstunnel-https.pcap:-:server_name":                           knownDisagreements["wstunnel-https.pcap:-:sni"],
	"wstunnel-https.pcap:-:ssl_history":                           knownDisagreements["wstunnel-https.pcap:-:history"],
	// No ServerHello: the server answered the ClientHello with an alert
	// (history Cl) or the capture ends after it (C). Nothing says whether
	// the client's offer would have resumed: tlsscan's resumption is
	// unknown and the zeek writer leaves resumed unset; Zeek's F is its
	// field's &default, not an observation.
	"ssl-to-http-server.pcap:-:resumed":                                noServerHello,
	"tls-1.2-handshake-failure.pcap:53525:resumed":                     noServerHello,
	"tls13draft16-chrome55.0.2879.0-canary-aborted.pcap:53226:resumed": noServerHello,
	"tls13draft16-chrome55.0.2879.0-canary-aborted.pcap:53227:resumed": noServerHello,
	"tls13draft16-ff52.a01-aborted.pcap:54980:resumed":                 noServerHello,
	"tls13draft16-ff52.a01-aborted.pcap:54982:resumed":                 noServerHello,
}

const noServerHello = "no ServerHello: tlsscan cannot tell whether the handshake resumed and leaves resumed unset (-); Zeek logs its default F"

// zeekRun runs one capture with Detail (the chains' fingerprints) and
// returns its rows' ssl.log and x509.log in format f.
func zeekRun(t *testing.T, file string, f report.Format) (ssl, x509 []byte) {
	t.Helper()
	var sb, xb bytes.Buffer
	w := report.NewZeekWriter(&sb, &xb, f, report.Options{})
	res, err := pipeline.Run(pipeline.Config{Files: []string{file}, Detail: true}, w)
	if err != nil {
		t.Fatalf("Run(%s): %v", file, err)
	}
	for _, fe := range res.FileErrors {
		t.Errorf("Run(%s): file error: %v", file, fe)
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	return sb.Bytes(), xb.Bytes()
}

// zeekCut reads a Zeek TSV log as zeek-cut does: #separator must be tab,
// #fields names the columns, every other #-line is skipped, and each data
// line is split on tab into one value per field. It returns one map per
// line (field → value as written, "-" for unset).
func zeekCut(t *testing.T, b []byte) (fields []string, rows []map[string]string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if line == "" {
			continue
		}
		if sep, ok := strings.CutPrefix(line, "#separator "); ok {
			if sep != `\x09` {
				t.Fatalf("#separator %q", sep)
			}
			continue
		}
		if f, ok := strings.CutPrefix(line, "#fields\t"); ok {
			fields = strings.Split(f, "\t")
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		vals := strings.Split(line, "\t")
		if fields == nil || len(vals) != len(fields) {
			t.Fatalf("line with %d values for %d fields: %q", len(vals), len(fields), line)
		}
		m := make(map[string]string, len(fields))
		for i, f := range fields {
			m[f] = vals[i]
		}
		rows = append(rows, m)
	}
	return fields, rows
}

// zeekPortsMatch: the log line l is the connection of Zeek row z, by the
// ports (and addresses) z has, in either orientation.
func zeekPortsMatch(z, l map[string]string) bool {
	same := func(a, b string) bool {
		v, ok := z[a]
		return !ok || v == l[b]
	}
	return same("id.orig_p", "id.orig_p") && same("id.resp_p", "id.resp_p") && same("id.orig_h", "id.orig_h") && same("id.resp_h", "id.resp_h") ||
		same("id.orig_p", "id.resp_p") && same("id.resp_p", "id.orig_p") && same("id.orig_h", "id.resp_h") && same("id.resp_h", "id.orig_h")
}

// zeekLogFields are the ssl.log fields compared; each is compared when
// the trace's baseline logs it.
var zeekLogFields = []string{"version", "cipher", "server_name", "resumed", "established", "ssl_history", "cert_chain_fps", "client_cert_chain_fps"}

func TestPeerZeekLog(t *testing.T) {
	corpus := testkit.Corpus(t)
	expected := zeekExpected(t, zeekLogDisagreements, "zeekLogDisagreements")
	var traces, conns, fields, agreed int
	for _, trace := range slices.Sorted(maps.Keys(expected)) {
		t.Run(trace, func(t *testing.T) {
			zt := expected[trace]
			for _, z := range zt.Rows {
				if _, dtls, _ := zeekVersion(z["version"]); dtls {
					checkAgainst(t, disagreements{}, zeekLogDisagreements, trace+":")
					t.Skip("DTLS trace (UDP): out of tlsscan's scope")
				}
			}
			traces++
			ssl, x509 := zeekRun(t, filepath.Join(corpus, "zeek", "traces", trace), report.FormatZeek)
			_, lines := zeekCut(t, ssl)
			checkX509Links(t, lines, x509)
			d := disagreements{}
			used := map[int]bool{}
			for _, z := range zt.Rows {
				port := z["id.orig_p"]
				if port == "" {
					port = "-"
				}
				key := trace + ":" + port + ":"
				var cand []int
				for i, l := range lines {
					if zeekPortsMatch(z, l) {
						cand = append(cand, i)
					}
				}
				if len(cand) > 1 {
					if sni, ok := z["server_name"]; ok {
						cand = slices.DeleteFunc(cand, func(i int) bool { return lines[i]["server_name"] != sni })
					}
				}
				if len(cand) != 1 {
					d.add(key+"row", "Zeek row %s: %d ssl.log lines match it", z["uid"], len(cand))
					continue
				}
				used[cand[0]] = true
				conns++
				l := lines[cand[0]]
				for _, f := range zeekLogFields {
					zv, ok := z[f]
					if !ok {
						continue
					}
					fields++
					if zeekLogSame(t, f, zv, l[f]) {
						agreed++
					} else {
						d.add(key+f, "Zeek %s, tlsscan %s", zv, l[f])
					}
				}
			}
			for i, l := range lines {
				if !used[i] {
					d.add(fmt.Sprintf("%s:%s:extra", trace, l["id.orig_p"]), "ssl.log line %s:%s -> %s:%s has no Zeek row",
						l["id.orig_h"], l["id.orig_p"], l["id.resp_h"], l["id.resp_p"])
				}
			}
			checkAgainst(t, d, zeekLogDisagreements, trace+":")
		})
	}
	t.Logf("%d traces, %d connections, %d of %d Zeek field values agree (the rest listed in zeekLogDisagreements)", traces, conns, agreed, fields)
}

// zeekLogSame compares one field: the text itself, except cipher, whose
// names Zeek spells differently for a few suites (compared by value), and
// the fingerprint lists, where unset and (empty) both mean none.
func zeekLogSame(t *testing.T, field, zeek, ours string) bool {
	t.Helper()
	switch field {
	case "cipher":
		zc, zok, err := zeekCipher(zeek)
		if err != nil {
			t.Error(err)
			return false
		}
		oc, ook, err := zeekCipher(ours)
		if err != nil {
			t.Error(err)
			return false
		}
		return zok == ook && zc == oc
	case "cert_chain_fps", "client_cert_chain_fps":
		return zeekUnset(zeek) && zeekUnset(ours) || zeek == ours
	}
	return zeek == ours
}

// checkX509Links checks that x509.log and ssl.log share their uids: each
// certificate line carries the uid of a connection whose cert_chain_fps or
// client_cert_chain_fps lists its fingerprint, and every fingerprint of
// ssl.log has its certificate line.
func checkX509Links(t *testing.T, ssl []map[string]string, x509 []byte) {
	t.Helper()
	_, certs := zeekCut(t, x509)
	have := map[string]bool{}
	for _, c := range certs {
		have[c["uid"]+" "+c["fingerprint"]] = true
	}
	n := 0
	for _, l := range ssl {
		for _, f := range []string{"cert_chain_fps", "client_cert_chain_fps"} {
			if zeekUnset(l[f]) {
				continue
			}
			for _, fp := range strings.Split(l[f], ",") {
				n++
				if !have[l["uid"]+" "+fp] {
					t.Errorf("ssl.log %s %s %s has no x509.log line", l["uid"], f, fp)
				}
			}
		}
	}
	if n != len(certs) {
		t.Errorf("x509.log has %d lines, ssl.log lists %d fingerprints", len(certs), n)
	}
}
