package pipeline_test

// Peer-agreement tests: tlsscan's rows against the expected output of two
// analyzers nobody here wrote, over the captures of their own test suites
// (../shared/corpus, see its README). Every disagreement is either a tlsscan
// bug or a justified difference; the justified ones are listed with their
// reason in knownDisagreements / knownSuricataDisagreements. A disagreement
// not listed fails, and so does a listed one that no longer occurs, so the
// lists stay an honest record of where tlsscan and its peers differ.

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tlsscan/tlsscan/internal/testkit"
	"github.com/tlsscan/tlsscan/pipeline"
	"github.com/tlsscan/tlsscan/report"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// knownDisagreements are the Zeek ssl.log values tlsscan differs from, keyed
// "trace:orig_port:field" (orig_port "-" when the baseline does not log it;
// field "row" = Zeek logged a connection tlsscan has no row for, "extra" =
// the reverse, keyed by tlsscan's client port). Each was checked with
// tshark; the value is why tlsscan is right or why the difference is out
// of its scope.
var knownDisagreements = map[string]string{
	// ClientHello and ServerHello both carry the same 32-byte session id
	// a7daf7cf…, but the ServerHello (experiment version 0x7e01) has only
	// key_share and supported_versions, no pre_shared_key: a full
	// handshake. Zeek's resumed=T comes from the echoed id, which is only
	// TLS 1.3 middlebox-compatibility padding and means nothing in TLS 1.3,
	// its drafts or experiments.
	"chrome-63.0.3211.0-canary-tls_experiment.pcap:62873:resumed": "echoed TLS 1.3-experiment compatibility session id is not resumption (Zeek false positive)",
	// GridFTP (port 2811) runs the handshake base64-encoded inside FTP
	// "AUTH GSSAPI"/"ADAT" commands; Zeek's FTP analyzer decodes ADAT and
	// feeds the TLS analyzer, tlsscan only reads TLS records on the TCP
	// stream itself. The data channel (35391 → 55968) is raw TLS and agrees.
	// The client's record after its ClientKeyExchange (frame 10) has the
	// header 14 ffff ff01: a ChangeCipherSpec with version 0xffff and an
	// impossible length. Zeek disables its analyzer for the whole
	// connection there (history CsxnG); tlsscan stops the client direction
	// only and still records the server's ChangeCipherSpec of frame 11 (i),
	// which really was sent.
	"tls1.2-late-protocol-error.pcap:56637:history": "after a malformed client record tlsscan keeps reading the server direction (server CCS 'i'); Zeek stops the whole connection",
	// TLS carried inside a plain-HTTP WebSocket (wstunnel, 127.0.0.1:8888).
	// Zeek's WebSocket analyzer unmasks the frames and hands the payload to
	// its TLS analyzer. tlsscan reads the raw stream: the server's frames
	// are unmasked, so it finds the ServerHello and the server's CCS after
	// the 4-byte frame header (history "si"), but the client's frames are
	// XOR-masked (RFC 6455 5.3), so the ClientHello - and with it the SNI
	// and the client's letters C and I - cannot be seen without decoding
	// WebSocket, which is out of scope.
	"wstunnel-https.pcap:-:sni":     "ClientHello is inside XOR-masked WebSocket client frames; tlsscan does not decode WebSocket",
	"wstunnel-https.pcap:-:history": "client records are inside XOR-masked WebSocket frames; only the server's unmasked ServerHello and CCS are visible to tlsscan",
}

// knownSuricataDisagreements are the suricata-verify expectations tlsscan
// differs from, keyed "test:port:field": port is tlsscan's client port of
// the row compared, or src_port / "-" when no row was found; field is the
// eve.json key, "row" (no matching tlsscan row) or "count" (fewer rows than
// the filter's count).
var knownSuricataDisagreements = map[string]string{
	// Only a ClientHello (record and client_version 0x0301); the server
	// ACKs and closes without a ServerHello. Suricata logs the client's
	// offered version when no ServerHello came; tlsscan's version column is
	// the negotiated version and stays empty without a ServerHello (output
	// contract).
	"bug-5713-01:49905:tls.version":     "no ServerHello: Suricata logs the ClientHello's version, tlsscan only a negotiated one",
	"bug-5713-02-ja4:49905:tls.version": "no ServerHello: Suricata logs the ClientHello's version, tlsscan only a negotiated one",
}

// rowCollector is a report.Writer that keeps the rows.
type rowCollector struct{ rows []*report.Row }

func (c *rowCollector) WriteRow(r *report.Row) error {
	if r == nil {
		return errors.New("nil row")
	}
	c.rows = append(c.rows, r)
	return nil
}

func (c *rowCollector) Close(*report.RunStats) error { return nil }

// peerRows runs the pipeline over one capture and returns its rows; a file
// error fails the test, since every peer capture is a readable capture.
func peerRows(t *testing.T, file string) []*report.Row {
	t.Helper()
	var c rowCollector
	res, err := pipeline.Run(pipeline.Config{Files: []string{file}}, &c)
	if err != nil {
		t.Fatalf("Run(%s): %v", file, err)
	}
	for _, fe := range res.FileErrors {
		t.Errorf("Run(%s): file error: %v", file, fe)
	}
	return c.rows
}

// ourVersion parses tlsscan's version column: "" (no ServerHello) is 0.
func ourVersion(s string) (uint16, error) {
	switch s {
	case "":
		return 0, nil
	case "SSLv2":
		return uint16(tlsparse.VersionSSL2), nil
	case "SSLv3":
		return uint16(tlsparse.VersionSSL3), nil
	case "TLSv1.0":
		return uint16(tlsparse.VersionTLS10), nil
	case "TLSv1.1":
		return uint16(tlsparse.VersionTLS11), nil
	case "TLSv1.2":
		return uint16(tlsparse.VersionTLS12), nil
	case "TLSv1.3":
		return uint16(tlsparse.VersionTLS13), nil
	}
	if h, ok := strings.CutPrefix(s, "0x"); ok && len(h) == 4 {
		if v, err := strconv.ParseUint(h, 16, 16); err == nil {
			return uint16(v), nil
		}
	}
	return 0, fmt.Errorf("unknown tlsscan version spelling %q", s)
}

// ourCipher parses tlsscan's cipher column: "" (no ServerHello) is 0 with
// ok false.
func ourCipher(s string) (tlsparse.CipherSuite, bool, error) {
	if s == "" {
		return 0, false, nil
	}
	c, ok := cipherSuiteByName(s)
	if !ok {
		return 0, false, fmt.Errorf("tlsscan cipher %q does not parse back", s)
	}
	return c, true, nil
}

// resumedKinds are tlsscan's resumption values that mean "resumed"; a peer's
// boolean is compared with membership in it.
var resumedKinds = []string{"session_id", "ticket", "psk"}

// ---- Zeek -----------------------------------------------------------------

// zeekTrace is one entry of zeek_expected.json: the ssl.log rows of the
// baseline chosen for that trace. Baselines come from different btests, so
// each row has only the fields its baseline logs.
type zeekTrace struct {
	Baseline string              `json:"baseline"`
	Fields   []string            `json:"fields"`
	Rows     []map[string]string `json:"rows"`
}

// zeekVersion maps Zeek's version spelling to its number. Zeek writes
// TLSv10..TLSv13 and SSLv2/SSLv3 where tlsscan writes TLSv1.0..TLSv1.3,
// "TLSv13-draftNN" where tlsscan writes 0x7FNN, and "unknown-N" (decimal)
// where tlsscan writes 0xNNNN (e.g. Chrome's experiment 0x7E01 is
// "unknown-32257"). These are documented spelling differences: comparing
// numbers still checks that both read the same version.
func zeekVersion(s string) (v uint16, dtls bool, err error) {
	switch s {
	case "-":
		return 0, false, nil
	case "SSLv2":
		return uint16(tlsparse.VersionSSL2), false, nil
	case "SSLv3":
		return uint16(tlsparse.VersionSSL3), false, nil
	case "TLSv10":
		return uint16(tlsparse.VersionTLS10), false, nil
	case "TLSv11":
		return uint16(tlsparse.VersionTLS11), false, nil
	case "TLSv12":
		return uint16(tlsparse.VersionTLS12), false, nil
	case "TLSv13":
		return uint16(tlsparse.VersionTLS13), false, nil
	}
	if strings.HasPrefix(s, "DTLS") {
		return 0, true, nil
	}
	if n, ok := strings.CutPrefix(s, "TLSv13-draft"); ok {
		if d, err := strconv.ParseUint(n, 10, 8); err == nil {
			return 0x7f00 | uint16(d), false, nil
		}
	}
	if n, ok := strings.CutPrefix(s, "unknown-"); ok {
		if d, err := strconv.ParseUint(n, 10, 16); err == nil {
			return uint16(d), false, nil
		}
	}
	return 0, false, fmt.Errorf("unknown Zeek version spelling %q", s)
}

// zeekCipher maps Zeek's cipher spelling to its value ("-" = none). Zeek's
// names differ from IANA's for a few suites, so the names are resolved with
// cipherSuiteByName rather than compared as text.
func zeekCipher(s string) (tlsparse.CipherSuite, bool, error) {
	if s == "-" {
		return 0, false, nil
	}
	if n, ok := strings.CutPrefix(s, "unknown-"); ok {
		if d, err := strconv.ParseUint(n, 10, 16); err == nil {
			return tlsparse.CipherSuite(d), true, nil
		}
	}
	c, ok := cipherSuiteByName(s)
	if !ok {
		return 0, false, fmt.Errorf("Zeek cipher %q has no IANA value in tlsparse", s)
	}
	return c, true, nil
}

// zeekStr is a string field of ssl.log, "-" (unset) read as empty.
func zeekStr(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// zeekUnset is how ssl.log writes an unset field ("-") or an empty set.
func zeekUnset(s string) bool { return s == "-" || s == "(empty)" || s == "" }

// tupleMatches reports whether row r is the connection of Zeek row z, in
// either orientation, using only the address fields z has (some baselines
// cut them).
func tupleMatches(z map[string]string, r *report.Row) bool {
	return sideMatches(z, "id.orig_h", "id.orig_p", r.ClientIP, r.ClientPort) &&
		sideMatches(z, "id.resp_h", "id.resp_p", r.ServerIP, r.ServerPort) ||
		sideMatches(z, "id.orig_h", "id.orig_p", r.ServerIP, r.ServerPort) &&
			sideMatches(z, "id.resp_h", "id.resp_p", r.ClientIP, r.ClientPort)
}

func sideMatches(z map[string]string, hk, pk string, ip netip.Addr, port uint16) bool {
	if h, ok := z[hk]; ok {
		a, err := netip.ParseAddr(h)
		if err != nil || a.Unmap() != ip.Unmap() {
			return false
		}
	}
	if p, ok := z[pk]; ok && p != strconv.Itoa(int(port)) {
		return false
	}
	return true
}

// disagreements collects what differs, keyed as in the known tables, with a
// "peer says / tlsscan says" detail for the failure message.
type disagreements map[string]string

// add records a disagreement; when several checks find the same one, the
// first detail is kept.
func (d disagreements) add(key, format string, args ...any) {
	if _, ok := d[key]; !ok {
		d[key] = fmt.Sprintf(format, args...)
	}
}

// checkAgainst fails on every disagreement of d not in known, and on every
// entry of known under prefix (one trace or test) that d does not have.
func checkAgainst(t *testing.T, d disagreements, known map[string]string, prefix string) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(d)) {
		if _, ok := known[k]; !ok {
			t.Errorf("unlisted disagreement %s: %s", k, d[k])
		} else {
			t.Logf("known disagreement %s: %s (%s)", k, d[k], known[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(known)) {
		if strings.HasPrefix(k, prefix) {
			if _, ok := d[k]; !ok {
				t.Errorf("listed disagreement %s no longer occurs: remove it (reason was: %s)", k, known[k])
			}
		}
	}
}

// zeekExpected reads the corpus's Zeek baselines (skipping the test
// without ../shared) and checks that every key of known, a list of
// disagreements keyed "trace:...", names one of their traces: a listed
// trace that is not there would never be checked for staleness.
func zeekExpected(t *testing.T, known map[string]string, name string) map[string]zeekTrace {
	t.Helper()
	corpus := testkit.Corpus(t)
	b, err := os.ReadFile(filepath.Join(corpus, "zeek", "zeek_expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string]zeekTrace
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatalf("zeek_expected.json: %v", err)
	}
	for k := range known {
		trace, _, _ := strings.Cut(k, ":")
		if _, ok := expected[trace]; !ok {
			t.Errorf("%s key %q names no trace of zeek_expected.json", name, k)
		}
	}
	return expected
}

func TestPeerZeek(t *testing.T) {
	corpus := testkit.Corpus(t)
	expected := zeekExpected(t, knownDisagreements, "knownDisagreements")
	for _, trace := range slices.Sorted(maps.Keys(expected)) {
		t.Run(trace, func(t *testing.T) {
			zt := expected[trace]
			for _, z := range zt.Rows {
				if _, dtls, _ := zeekVersion(z["version"]); dtls {
					rows := peerRows(t, filepath.Join(corpus, "zeek", "traces", trace))
					// The whole trace is UDP; tlsscan reads TCP only, so it
					// must not invent rows from it either.
					if len(rows) != 0 {
						t.Errorf("DTLS trace gave %d tlsscan rows, want 0", len(rows))
					}
					// Nothing is compared, so any listing for it is stale.
					checkAgainst(t, disagreements{}, knownDisagreements, trace+":")
					t.Skip("DTLS trace (UDP): out of tlsscan's scope")
				}
			}
			rows := peerRows(t, filepath.Join(corpus, "zeek", "traces", trace))
			d := disagreements{}
			used := map[*report.Row]bool{}
			for _, z := range zt.Rows {
				port := z["id.orig_p"]
				if port == "" {
					port = "-"
				}
				key := trace + ":" + port + ":"
				r, err := matchZeekRow(z, rows)
				if err != nil {
					d.add(key+"row", "Zeek row %s: %v", z["uid"], err)
					continue
				}
				used[r] = true
				compareZeek(t, d, key, z, r)
			}
			// Every connection tlsscan reports should be in the ssl.log too
			// (each baseline is a whole ssl.log, or a zeek-cut of one).
			for _, r := range rows {
				if !used[r] {
					d.add(fmt.Sprintf("%s:%d:extra", trace, r.ClientPort),
						"tlsscan row %s:%d -> %s:%d has no Zeek row", r.ClientIP, r.ClientPort, r.ServerIP, r.ServerPort)
				}
			}
			checkAgainst(t, d, knownDisagreements, trace+":")
		})
	}
}

// matchZeekRow finds the row of z by its 4-tuple (as far as the baseline
// logs it), then by SNI when the tuple does not single one out.
func matchZeekRow(z map[string]string, rows []*report.Row) (*report.Row, error) {
	var cand []*report.Row
	for _, r := range rows {
		if tupleMatches(z, r) {
			cand = append(cand, r)
		}
	}
	if len(cand) > 1 {
		if sni, ok := z["server_name"]; ok {
			cand = slices.DeleteFunc(cand, func(r *report.Row) bool { return r.SNI != zeekStr(sni) })
		}
	}
	switch len(cand) {
	case 1:
		return cand[0], nil
	case 0:
		return nil, errors.New("no tlsscan row for this connection")
	}
	return nil, fmt.Errorf("%d tlsscan rows match it", len(cand))
}

// compareZeek compares the fields z has with row r, adding each difference
// to d under key+field.
func compareZeek(t *testing.T, d disagreements, key string, z map[string]string, r *report.Row) {
	t.Helper()
	if s, ok := z["version"]; ok {
		zv, _, err := zeekVersion(s)
		ov, oerr := ourVersion(r.Version)
		switch {
		case err != nil:
			t.Error(err)
		case oerr != nil:
			t.Error(oerr)
		case zv != ov:
			d.add(key+"version", "Zeek %s, tlsscan %q", s, r.Version)
		}
	}
	if s, ok := z["cipher"]; ok {
		zc, zok, err := zeekCipher(s)
		oc, ook, oerr := ourCipher(r.Cipher)
		switch {
		case err != nil:
			t.Error(err)
		case oerr != nil:
			t.Error(oerr)
		case zok != ook || zc != oc:
			d.add(key+"cipher", "Zeek %s, tlsscan %q", s, r.Cipher)
		}
	}
	if s, ok := z["server_name"]; ok {
		if zeekStr(s) != r.SNI {
			d.add(key+"sni", "Zeek %s, tlsscan %q", s, r.SNI)
		}
	}
	if s, ok := z["resumed"]; ok {
		if (s == "T") != slices.Contains(resumedKinds, r.Resumption.String()) {
			d.add(key+"resumed", "Zeek %s, tlsscan %s", s, r.Resumption)
		}
	}
	if s, ok := z["established"]; ok {
		if (s == "T") != r.Established {
			d.add(key+"established", "Zeek %s, tlsscan %v", s, r.Established)
		}
	}
	// Zeek logs the client's chain; tlsscan says "sent" exactly when the
	// client's Certificate message held at least one certificate.
	if s, ok := z["client_cert_chain_fps"]; ok {
		if !zeekUnset(s) != (r.ClientCert.String() == "sent") {
			d.add(key+"client_cert", "Zeek client_cert_chain_fps %s, tlsscan %s", s, r.ClientCert)
		}
	}
	if s, ok := z["ssl_history"]; ok {
		if s != r.History {
			d.add(key+"history", "Zeek %s, tlsscan %s", s, r.History)
		}
	}
}

// ---- Suricata -------------------------------------------------------------

// suriFilter is one "- filter:" of a suricata-verify test.yaml: how many
// eve.json events must match, and the match fields (dotted keys, scalar
// values as text).
type suriFilter struct {
	index int // 1-based position among the checks
	count int // -1 when absent
	match map[string]string
}

// parseSuricataTest reads the part of a test.yaml this test needs: the
// top-level "pcap:" and the match/count of each check filter. It is a
// deliberately small parser for the block-style YAML suricata-verify
// writes (no flow style, no anchors), so the module needs no YAML
// dependency. Plain scalars may continue on more-indented lines (the
// yaml.dump line wrapping of long DNs); nested maps under match are
// flattened to dotted keys, which is how eve.json fields are named there.
func parseSuricataTest(data []byte) (pcap string, filters []suriFilter, err error) {
	type frame struct {
		indent int
		prefix string
	}
	var (
		inChecks     bool
		cur          *suriFilter
		filterIndent = -1 // indent of the filter's own keys
		matchIndent  = -1 // indent of "match:", -1 when not in a match block
		stack        []frame
		lastKey      string
		lastIndent   = -1
	)
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, " \t\r")
		trimmed := strings.TrimLeft(line, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := len(line) - len(trimmed)
		if strings.HasPrefix(trimmed, "\t") {
			return "", nil, fmt.Errorf("line %d: tab indentation", n+1)
		}
		item, isItem := strings.CutPrefix(trimmed, "- ")
		// "checks:" may list its items at indent 0 ("- filter:").
		if indent == 0 && !(inChecks && isItem) {
			matchIndent, cur = -1, nil
			key, val, _ := strings.Cut(trimmed, ":")
			inChecks = key == "checks"
			if key == "pcap" {
				pcap = yamlScalar(strings.TrimSpace(val))
			}
			continue
		}
		if !inChecks {
			continue
		}
		if isItem && strings.TrimSpace(item) == "filter:" {
			filters = append(filters, suriFilter{index: len(filters) + 1, count: -1, match: map[string]string{}})
			cur, filterIndent, matchIndent = &filters[len(filters)-1], -1, -1
			continue
		}
		if cur == nil {
			continue
		}
		if matchIndent >= 0 && indent > matchIndent {
			for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
				stack = stack[:len(stack)-1]
			}
			// A more-indented line after a key with a value continues
			// that plain scalar.
			if lastKey != "" && indent > lastIndent {
				cur.match[lastKey] += " " + trimmed
				continue
			}
			key, val, ok := strings.Cut(trimmed, ":")
			if !ok || strings.HasPrefix(trimmed, "- ") {
				continue // sequences under match carry no field we read
			}
			prefix := ""
			if len(stack) > 0 {
				prefix = stack[len(stack)-1].prefix
			}
			val = strings.TrimSpace(val)
			if val == "" {
				stack = append(stack, frame{indent, prefix + key + "."})
				lastKey = ""
				continue
			}
			lastKey, lastIndent = prefix+key, indent
			cur.match[lastKey] = val
			continue
		}
		// A filter-level key ends any match block.
		matchIndent, stack, lastKey = -1, nil, ""
		if filterIndent < 0 {
			filterIndent = indent
		}
		if indent != filterIndent {
			continue // inside "requires:" or another nested block
		}
		key, val, _ := strings.Cut(trimmed, ":")
		switch key {
		case "count":
			if cur.count, err = strconv.Atoi(strings.TrimSpace(val)); err != nil {
				return "", nil, fmt.Errorf("line %d: count: %v", n+1, err)
			}
		case "match":
			matchIndent = indent
		}
	}
	for i := range filters {
		finishMatch(&filters[i])
	}
	return pcap, filters, nil
}

// finishMatch unquotes the collected values, once the continuation lines
// of each are joined.
func finishMatch(f *suriFilter) {
	for k, v := range f.match {
		f.match[k] = yamlScalar(v)
	}
}

// yamlScalar unquotes a single- or double-quoted YAML scalar; a plain one
// is returned as is.
func yamlScalar(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
	}
	return s
}

// TestPeerSuricataYAML pins the hand parser on the shapes suricata-verify
// writes: items at indent 0 and deeper, quoted and wrapped values, a
// nested "requires:" block and a nested map under match.
func TestPeerSuricataYAML(t *testing.T) {
	const doc = `# comment
requires:
  min-version: 7
pcap: ../other/input.pcap

checks:
- filter:
    count: 2
    match:
      event_type: tls
      tls.issuerdn: C=US, O=DigiCert Inc, CN=DigiCert SHA2 High
        Assurance Server CA
      tls.version: TLS 1.2
      src_port: 49584
- filter:
    requires:
      features:
        - HAVE_JA3
    match:
      event_type: tls
      tls.sni: "local\\host"
      tls.version: 'TLS 1.3 draft-<16'
      tls:
        session_resumed: true
    count: 1
args:
  - -k none
`
	pcap, filters, err := parseSuricataTest([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if pcap != "../other/input.pcap" {
		t.Errorf("pcap = %q", pcap)
	}
	want := []suriFilter{
		{index: 1, count: 2, match: map[string]string{
			"event_type":   "tls",
			"tls.issuerdn": "C=US, O=DigiCert Inc, CN=DigiCert SHA2 High Assurance Server CA",
			"tls.version":  "TLS 1.2",
			"src_port":     "49584",
		}},
		{index: 2, count: 1, match: map[string]string{
			"event_type":          "tls",
			"tls.sni":             `local\host`,
			"tls.version":         "TLS 1.3 draft-<16",
			"tls.session_resumed": "true",
		}},
	}
	if len(filters) != len(want) {
		t.Fatalf("got %d filters, want %d: %+v", len(filters), len(want), filters)
	}
	for i := range want {
		if filters[i].index != want[i].index || filters[i].count != want[i].count || !maps.Equal(filters[i].match, want[i].match) {
			t.Errorf("filter %d = %+v, want %+v", i, filters[i], want[i])
		}
	}
}

// suriVersionOK reports whether Suricata's tls.version spelling names
// tlsscan's version v (0 = no ServerHello). Suricata spells TLS 1.0 "TLSv1",
// later ones "TLS 1.x", drafts "TLS 1.3 draft-NN", and writes UNDETERMINED
// when it saw no version.
func suriVersionOK(s string, v uint16) (bool, error) {
	switch s {
	case "UNDETERMINED":
		return v == 0, nil
	case "SSLv2":
		return v == uint16(tlsparse.VersionSSL2), nil
	case "SSLv3":
		return v == uint16(tlsparse.VersionSSL3), nil
	case "TLSv1":
		return v == uint16(tlsparse.VersionTLS10), nil
	case "TLS 1.1":
		return v == uint16(tlsparse.VersionTLS11), nil
	case "TLS 1.2":
		return v == uint16(tlsparse.VersionTLS12), nil
	case "TLS 1.3":
		return v == uint16(tlsparse.VersionTLS13), nil
	case "TLS 1.3 draft-<16":
		// Suricata's label for a ServerHello whose version field holds
		// 0x0304 itself: before draft 16 there were no draft code points,
		// and a final TLS 1.3 ServerHello carries 0x0303 there. tlsscan
		// writes that wire value (TLSv1.3), or 0x7F00..0x7F0F for an
		// implementation that numbered its early draft.
		return v == uint16(tlsparse.VersionTLS13) || v >= 0x7f00 && v < 0x7f10, nil
	}
	if n, ok := strings.CutPrefix(s, "TLS 1.3 draft-"); ok {
		if d, err := strconv.ParseUint(n, 10, 8); err == nil {
			return v == 0x7f00|uint16(d), nil
		}
	}
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		if d, err := strconv.ParseUint(h, 16, 16); err == nil {
			return v == uint16(d), nil
		}
	}
	return false, fmt.Errorf("unknown Suricata version spelling %q", s)
}

// suriKnownKeys are the match fields this test either compares or that do
// not narrow the set of events (pcap_cnt is the packet the event was
// logged at). A filter with any other field (ja3, certificate fields)
// matches a subset of the TLS events that tlsscan cannot reproduce, so its
// count is then a lower bound only.
var suriKnownKeys = []string{
	"event_type", "tls.version", "tls.sni", "tls.session_resumed",
	"src_ip", "src_port", "dest_ip", "dest_port", "proto", "pcap_cnt", "pkt_src",
}

func TestPeerSuricata(t *testing.T) {
	corpus := testkit.Corpus(t)
	yamls, err := filepath.Glob(filepath.Join(corpus, "suricata", "*", "test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(yamls) == 0 {
		t.Fatal("no suricata/*/test.yaml in the corpus")
	}
	tests := map[string]bool{}
	for _, y := range yamls {
		tests[filepath.Base(filepath.Dir(y))] = true
	}
	for k := range knownSuricataDisagreements {
		test, _, _ := strings.Cut(k, ":")
		if !tests[test] {
			t.Errorf("knownSuricataDisagreements key %q names no suricata test", k)
		}
	}
	compared := 0
	for _, y := range yamls {
		dir := filepath.Dir(y)
		test := filepath.Base(dir)
		t.Run(test, func(t *testing.T) {
			data, err := os.ReadFile(y)
			if err != nil {
				t.Fatal(err)
			}
			pcap, filters, err := parseSuricataTest(data)
			if err != nil {
				t.Fatalf("%s: %v", y, err)
			}
			filters = slices.DeleteFunc(filters, func(f suriFilter) bool {
				_, v := f.match["tls.version"]
				_, s := f.match["tls.sni"]
				_, r := f.match["tls.session_resumed"]
				return f.match["event_type"] != "tls" || !v && !s && !r
			})
			d := disagreements{}
			if len(filters) > 0 {
				compared++
				rows := peerRows(t, suricataPcap(t, dir, pcap))
				for _, f := range filters {
					compareSuricata(t, d, test, f, rows)
				}
			}
			checkAgainst(t, d, knownSuricataDisagreements, test+":")
		})
	}
	if compared == 0 {
		t.Error("no suricata check states tls.version, tls.sni or tls.session_resumed")
	}
}

// suricataPcap finds the test's capture in its folder: the corpus copied
// each test's pcap next to its test.yaml, so a "pcap:" pointing into
// another test is resolved by its base name; without one the folder's only
// capture is used.
func suricataPcap(t *testing.T, dir, pcap string) string {
	t.Helper()
	if pcap != "" {
		p := filepath.Join(dir, filepath.Base(pcap))
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("test.yaml names pcap %q: %v", pcap, err)
		}
		return p
	}
	var found []string
	for _, pat := range []string{"*.pcap", "*.pcapng", "*.pcap.gz", "*.pcapng.gz"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		found = append(found, m...)
	}
	if len(found) != 1 {
		t.Fatalf("%s: want exactly one capture, found %v", dir, found)
	}
	return found[0]
}

// compareSuricata finds the rows filter f speaks about and compares the
// fields it states. Rows are chosen by the 4-tuple when the filter gives
// one (either orientation), else the only TLS row, else the rows with the
// stated SNI.
func compareSuricata(t *testing.T, d disagreements, test string, f suriFilter, rows []*report.Row) {
	t.Helper()
	m := f.match
	_, hasTuple := m["src_ip"]
	for _, k := range []string{"src_port", "dest_ip", "dest_port"} {
		_, ok := m[k]
		hasTuple = hasTuple || ok
	}
	var cand []*report.Row
	switch sni, hasSNI := m["tls.sni"]; {
	case hasTuple:
		z := map[string]string{}
		for yk, zk := range map[string]string{"src_ip": "id.orig_h", "src_port": "id.orig_p", "dest_ip": "id.resp_h", "dest_port": "id.resp_p"} {
			if v, ok := m[yk]; ok {
				z[zk] = v
			}
		}
		for _, r := range rows {
			if tupleMatches(z, r) {
				cand = append(cand, r)
			}
		}
	case len(rows) == 1:
		cand = rows
	case hasSNI:
		for _, r := range rows {
			if r.SNI == sni {
				cand = append(cand, r)
			}
		}
	default:
		t.Errorf("check %d: %d tlsscan rows and neither a 4-tuple nor an SNI to choose one", f.index, len(rows))
		return
	}
	if f.count == 0 {
		// The check says Suricata logs no such event: only a row that
		// agrees on every stated field contradicts it.
		for _, r := range cand {
			if len(suriFieldDiffs(t, m, r)) == 0 {
				d.add(test+":-:count", "check %d: count 0, but tlsscan row %d agrees", f.index, r.ClientPort)
			}
		}
		return
	}
	if len(cand) == 0 {
		port := m["src_port"]
		if port == "" {
			port = "-"
		}
		d.add(fmt.Sprintf("%s:%s:row", test, port), "check %d: no tlsscan row (%d rows in the capture)", f.index, len(rows))
		return
	}
	// A filter made only of fields tlsscan compares counts exactly the
	// connections we should have; with other fields it counts a subset.
	exact := true
	for k := range m {
		exact = exact && slices.Contains(suriKnownKeys, k)
	}
	if f.count > 0 && (len(cand) < f.count || exact && len(cand) != f.count) {
		d.add(test+":-:count", "check %d: count %d, tlsscan has %d matching rows", f.index, f.count, len(cand))
	}
	for _, r := range cand {
		for field, detail := range suriFieldDiffs(t, m, r) {
			d.add(fmt.Sprintf("%s:%d:%s", test, r.ClientPort, field), "check %d: %s", f.index, detail)
		}
	}
}

// suriFieldDiffs compares the fields match m states with row r and returns
// the differing ones (eve.json key → detail). A spelling this test does
// not know fails the test rather than counting as agreement.
func suriFieldDiffs(t *testing.T, m map[string]string, r *report.Row) map[string]string {
	t.Helper()
	diffs := map[string]string{}
	if s, ok := m["tls.version"]; ok {
		ov, err := ourVersion(r.Version)
		if err != nil {
			t.Error(err)
			diffs["tls.version"] = err.Error()
		} else if same, err := suriVersionOK(s, ov); err != nil {
			t.Error(err)
			diffs["tls.version"] = err.Error()
		} else if !same {
			diffs["tls.version"] = fmt.Sprintf("Suricata %q, tlsscan %q", s, r.Version)
		}
	}
	if s, ok := m["tls.sni"]; ok && s != r.SNI {
		diffs["tls.sni"] = fmt.Sprintf("Suricata %q, tlsscan %q", s, r.SNI)
	}
	if s, ok := m["tls.session_resumed"]; ok {
		if (s == "true") != slices.Contains(resumedKinds, r.Resumption.String()) {
			diffs["tls.session_resumed"] = fmt.Sprintf("Suricata %s, tlsscan %s", s, r.Resumption)
		}
	}
	return diffs
}
