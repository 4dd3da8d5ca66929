package pipeline_test

// Fingerprint agreement (issue 12): tlsscan's JA4, JA3 and JA3S against the
// expected outputs that ship with the JA4 reference implementation
// (ja4/expected: FoxIO's python and rust tools and its Zeek package, over
// ja4/pcaps), the suricata-verify tests that state ja3/ja4 values, and the
// tshark 4.0.17 summaries (tshark-summary/, which carry ja4, ja3 and ja3s
// per connection). As in peer_test.go every disagreement is either a
// tlsscan bug or explained in knownFingerprintDisagreements; an unlisted
// one fails, and so does a listed one that no longer occurs.

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
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
)

// knownFingerprintDisagreements are keyed "source:capture:client_port:field"
// (source ja4-python, ja4-rust, ja4-zeek, suricata, tshark; client_port "-"
// when the reference names no connection; field ja4, ja3, ja3s, alpn or
// "row" when tlsscan has no row for the connection). The value is why.
var knownFingerprintDisagreements = map[string]string{
	// The first ALPN value is the two bytes 0xba 0xad. JA4.md: when its
	// first or last byte is not alphanumeric, the ALPN part is the first
	// and last character of its hex, "baad" -> "bd". FoxIO's python and
	// rust tools print "99" and Wireshark's plugin "??": the corpus README
	// notes the implementations disagree here; tlsscan follows the text.
	"ja4-python:tls-non-ascii-alpn.pcapng:50112:ja4":       "non-alphanumeric ALPN: JA4.md's hex rule gives bd; the python tool prints 99",
	"ja4-rust:tls-non-ascii-alpn.pcapng:50112:ja4":         "non-alphanumeric ALPN: JA4.md's hex rule gives bd; the rust tool prints 99",
	"tshark:ja4/pcaps/tls-non-ascii-alpn.pcapng:50112:ja4": "non-alphanumeric ALPN: JA4.md's hex rule gives bd; Wireshark's plugin prints ??",

	// A TLS 1.0 hello without signature_algorithms. JA4.md: "If there
	// are no signature algorithms in the hello packet, then the string
	// ends without an underscore": sha256("0005,000a,000b,0017,0023,ff01")
	// is c39ab67fec8e (tlsscan, and tshark over the same capture);
	// Suricata hashes "0005,000a,000b,0017,0023,ff01_" (ce66f3b797c1).
	"suricata:bug-5713-02-ja4:-:ja4": "no signature algorithms: Suricata hashes a trailing '_' that JA4.md leaves out (tshark agrees with tlsscan)",

	// SSLv2-format ClientHellos (flag sslv2_hello): 3-byte cipher kinds,
	// no extensions. Neither JA4 nor JA3 defines them, so tlsscan gives
	// none (JA3 agrees: tshark and Suricata give no JA3 either); Wireshark
	// builds a JA4 from the empty TLS fields it finds,
	// t10i000000_000000000000_000000000000, which says nothing of the hello.
	"tshark:ndpi/pcap/google_ssl.pcap:42835:ja4":                   "SSLv2-format hello: no JA4 defined; Wireshark prints an all-empty one",
	"tshark:suricata/sslv2-tls-upgrade-01/ssl-v2-s1.pcap:1660:ja4": "SSLv2-format hello: no JA4 defined; Wireshark prints an all-empty one",
	"tshark:suricata/tls-altname-zero/input.pcap:23481:ja4":        "SSLv2-format hello: no JA4 defined; Wireshark prints an all-empty one",
	"tshark:suricata/tls-glupteba-mb/input.pcap:23481:ja4":         "SSLv2-format hello: no JA4 defined; Wireshark prints an all-empty one",
	"tshark:suricata/tls-glupteba/input.pcap:23481:ja4":            "SSLv2-format hello: no JA4 defined; Wireshark prints an all-empty one",

	// Malformed ClientHellos (nDPI's fuzzing captures): tlsscan's row has
	// flag malformed and the parse error; it fingerprints only a hello
	// that parses. tshark fingerprints whatever fields it got before the
	// error.
	"tshark:ndpi/pcap/tls_cipher_lens.pcap:51589:ja4":  "malformed ClientHello (cipher_suites): tlsscan fingerprints only a hello that parses",
	"tshark:ndpi/pcap/tls_cipher_lens.pcap:51590:ja4":  "malformed ClientHello (cipher_suites): tlsscan fingerprints only a hello that parses",
	"tshark:ndpi/pcap/tls_cipher_lens.pcap:51591:ja4":  "malformed ClientHello (extensions): tlsscan fingerprints only a hello that parses",
	"tshark:ndpi/pcap/tls_cipher_lens.pcap:51591:ja3":  "malformed ClientHello (extensions): tlsscan fingerprints only a hello that parses",
	"tshark:ndpi/pcap/tls_invalid_reads.pcap:3967:ja4": "malformed ClientHello (extensions): tlsscan fingerprints only a hello that parses",
	"tshark:ndpi/pcap/tls_invalid_reads.pcap:3967:ja3": "malformed ClientHello (extensions): tlsscan fingerprints only a hello that parses",

	// GTP-U tunnelled TCP (UDP 2152, then IP/TCP): tlsscan's capture
	// layer does not decode GTP, so the connection has no row at all.
	"tshark:ndpi/pcap/ja3_lots_of_cipher_suites_2_anon.pcap:58496:row": "TCP inside GTP-U: not decoded by tlsscan's capture layer, no row",
	"tshark:ndpi/pcap/tls_invalid_reads.pcap:58552:row":                "TCP inside GTP-U: not decoded by tlsscan's capture layer, no row",

	// The server sent four SYN-ACKs with three different ISNs and its
	// data follows the last; tlsscan's stream keeps the first ISN, so the
	// ServerHello falls outside it (flags gap, partial): no ServerHello,
	// no JA3S. A reassembly matter, not a fingerprint one.
	"tshark:ndpi/pcap/tls_multiple_synack_different_seq.pcapng:59927:ja3s": "server data follows a later SYN-ACK's ISN; tlsscan's reassembly keeps the first: no ServerHello read",

	// A TLS 1.3 draft-14 ServerHello has no legacy_session_id and no
	// compression method (the layout before draft 22). Wireshark 4.0 reads
	// it with the final layout: a 192-byte "session id", cipher 0xacad,
	// hence JA3S "772,44205,". tlsscan reads the draft layout.
	"tshark:suricata/tls13-draft14/tls13_draft14.pcap:54049:ja3s": "Wireshark misreads the pre-draft-22 ServerHello layout (cipher 0xacad); tlsscan reads the draft's",
}

// fpExpect is one reference's word on one connection.
type fpExpect struct {
	source, capture string
	client          netip.AddrPort // zero: match by the only row, or sni
	server          netip.AddrPort // zero: any
	sni             string
	count           int // Suricata: at least this many rows must agree (0: 1)
	fields          map[string]string
}

// fpRun runs a capture with detail (JSON's fields) and caches the rows.
type fpRun struct {
	t    *testing.T
	rows map[string][]*report.Row
}

func (r *fpRun) get(path string) []*report.Row {
	r.t.Helper()
	if rows, ok := r.rows[path]; ok {
		return rows
	}
	var c rowCollector
	res, err := pipeline.Run(pipeline.Config{Files: []string{path}, Detail: true}, &c)
	if err != nil {
		r.t.Fatalf("Run(%s): %v", path, err)
	}
	for _, fe := range res.FileErrors {
		// A capture-level problem (a record over the size limit) is
		// peer_test.go's to judge, not a fingerprint disagreement.
		r.t.Logf("Run(%s): file error: %v", path, fe)
	}
	r.rows[path] = c.rows
	return c.rows
}

// fpFields is what tlsscan says of a row, by the references' field names.
func fpFields(r *report.Row) map[string]string {
	m := map[string]string{"ja4": r.JA4}
	if d := r.Detail; d != nil {
		m["ja3"], m["ja3s"] = d.JA3, d.JA3S
		if d.Hello != nil {
			m["alpn"] = strings.Join(d.Hello.ALPN, ",")
		}
	}
	return m
}

func addrPort(host, port string) netip.AddrPort {
	a, err := netip.ParseAddr(host)
	p, perr := strconv.ParseUint(port, 10, 16)
	if err != nil || perr != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p))
}

func sameEnd(want netip.AddrPort, ip netip.Addr, port uint16) bool {
	return want.Addr() == ip.Unmap() && want.Port() == port
}

// candidates are the rows exp speaks about.
func (e *fpExpect) candidates(rows []*report.Row) []*report.Row {
	var out []*report.Row
	for _, r := range rows {
		switch {
		case e.client.IsValid():
			if !sameEnd(e.client, r.ClientIP, r.ClientPort) || e.server.IsValid() && !sameEnd(e.server, r.ServerIP, r.ServerPort) {
				continue
			}
		case e.sni != "":
			if r.SNI != e.sni {
				continue
			}
		case len(rows) != 1:
			continue
		}
		out = append(out, r)
	}
	return out
}

// compareFingerprints checks one expectation and records what differs.
func compareFingerprints(d disagreements, e fpExpect, rows []*report.Row) (agreed bool) {
	port := "-"
	if e.client.IsValid() {
		port = strconv.Itoa(int(e.client.Port()))
	}
	key := e.source + ":" + e.capture + ":" + port + ":"
	cand := e.candidates(rows)
	if len(cand) == 0 {
		d.add(key+"row", "%v: no tlsscan row (%d rows)", e.fields, len(rows))
		return false
	}
	need := max(e.count, 1)
	good := 0
	var diffs map[string]string
	for _, r := range cand {
		got := fpFields(r)
		bad := map[string]string{}
		for f, want := range e.fields {
			if got[f] != want {
				bad[f] = fmt.Sprintf("%s %q, tlsscan %q (row %d)", e.source, want, got[f], r.ClientPort)
			}
		}
		if len(bad) == 0 {
			good++
		} else if diffs == nil {
			diffs = bad
		}
	}
	if good >= need {
		return true
	}
	for f, detail := range diffs {
		d.add(key+f, "%s", detail)
	}
	return false
}

// ---- the references --------------------------------------------------------

// ja4Python reads FoxIO's python output: a JSON list, one object per
// stream; JA4.1 is the stream's first ClientHello.
func ja4Python(t *testing.T, file, capture string) []fpExpect {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var entries []map[string]any
	if err := json.Unmarshal(b, &entries); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var out []fpExpect
	for _, e := range entries {
		ja4, _ := e["JA4.1"].(string)
		if !strings.HasPrefix(ja4, "t") {
			continue // none, or QUIC/DTLS
		}
		str := func(k string) string { s, _ := e[k].(string); return s }
		out = append(out, fpExpect{source: "ja4-python", capture: capture,
			client: addrPort(str("src"), str("srcport")), server: addrPort(str("dst"), str("dstport")),
			fields: map[string]string{"ja4": ja4}})
	}
	return out
}

// ja4Rust reads FoxIO's rust output: an insta snapshot, a YAML list of
// flat streams.
func ja4Rust(t *testing.T, file, capture string) []fpExpect {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []fpExpect
	var cur map[string]string
	flush := func() {
		if cur != nil && cur["transport"] == "tcp" && cur["ja4"] != "" {
			out = append(out, fpExpect{source: "ja4-rust", capture: capture,
				client: addrPort(cur["src"], cur["src_port"]), server: addrPort(cur["dst"], cur["dst_port"]),
				fields: map[string]string{"ja4": cur["ja4"]}})
		}
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "- ") {
			flush()
			cur = map[string]string{}
			line = "  " + line[2:]
		}
		if cur == nil || !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   ") {
			continue // header, or nested (certificates, http)
		}
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok {
			cur[k] = strings.TrimSpace(v)
		}
	}
	flush()
	return out
}

// ja4Zeek reads the ssl.log baseline of FoxIO's Zeek package.
func ja4Zeek(t *testing.T, file, capture string) []fpExpect {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fields []string
	var out []fpExpect
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "#fields\t"); ok {
			fields = strings.Split(rest, "\t")
			continue
		}
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		z := map[string]string{}
		for i, v := range strings.Split(line, "\t") {
			if i < len(fields) {
				z[fields[i]] = v
			}
		}
		if !strings.HasPrefix(z["ja4"], "t") {
			continue
		}
		out = append(out, fpExpect{source: "ja4-zeek", capture: capture,
			client: addrPort(z["id.orig_h"], z["id.orig_p"]), server: addrPort(z["id.resp_h"], z["id.resp_p"]),
			fields: map[string]string{"ja4": z["ja4"]}})
	}
	return out
}

func TestPeerFingerprintsJA4Reference(t *testing.T) {
	corpus := testkit.Corpus(t)
	dir := filepath.Join(corpus, "ja4")
	pcaps, err := filepath.Glob(filepath.Join(dir, "pcaps", "*"))
	if err != nil || len(pcaps) == 0 {
		t.Fatalf("no captures in %s/pcaps: %v", dir, err)
	}
	run := &fpRun{t: t, rows: map[string][]*report.Row{}}
	d := disagreements{}
	agree, total := map[string]int{}, map[string]int{}
	for _, p := range pcaps {
		name := filepath.Base(p)
		var exps []fpExpect
		if f := filepath.Join(dir, "expected", "python", name+".json"); exists(f) {
			exps = append(exps, ja4Python(t, f, name)...)
		}
		if f := filepath.Join(dir, "expected", "rust", "ja4__insta@"+name+".snap"); exists(f) {
			exps = append(exps, ja4Rust(t, f, name)...)
		}
		if name == "tls-handshake.pcapng" {
			// The Zeek package's ja4-tls-handshake baseline is this capture.
			exps = append(exps, ja4Zeek(t, filepath.Join(dir, "expected", "zeek", "Traces", "Scripts.ja4-tls-handshake", "ssl.log"), name)...)
		}
		for _, e := range exps {
			total[e.source]++
			if compareFingerprints(d, e, run.get(p)) {
				agree[e.source]++
			}
		}
	}
	for _, src := range []string{"ja4-python", "ja4-rust", "ja4-zeek"} {
		t.Logf("%s: JA4 agrees on %d of %d TCP connections", src, agree[src], total[src])
		// The Zeek package's only TLS baseline (ja4-tls-handshake) logs
		// the capture's QUIC connections alone: no TCP JA4 to compare.
		if total[src] == 0 && src != "ja4-zeek" {
			t.Errorf("no %s expectations read: the expected files changed shape?", src)
		}
	}
	checkAgainst(t, d, knownFingerprintDisagreements, "ja4-")
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// suriFPKeys maps the suricata-verify match fields on fingerprints to
// tlsscan's; tls.ja3.hash and tls.ja3s.hash are the hashes, the .string
// forms are checked through the hash of the string.
var suriFPKeys = map[string]string{
	"tls.ja4": "ja4", "tls.ja3.hash": "ja3", "tls.ja3s.hash": "ja3s",
}

func TestPeerFingerprintsSuricata(t *testing.T) {
	corpus := testkit.Corpus(t)
	yamls, err := filepath.Glob(filepath.Join(corpus, "suricata", "*", "test.yaml"))
	if err != nil || len(yamls) == 0 {
		t.Fatalf("no suricata/*/test.yaml: %v", err)
	}
	run := &fpRun{t: t, rows: map[string][]*report.Row{}}
	d := disagreements{}
	agree, total := 0, 0
	for _, y := range yamls {
		dir := filepath.Dir(y)
		test := filepath.Base(dir)
		data, err := os.ReadFile(y)
		if err != nil {
			t.Fatal(err)
		}
		pcap, filters, err := parseSuricataTest(data)
		if err != nil {
			t.Fatalf("%s: %v", y, err)
		}
		for _, f := range filters {
			if f.match["event_type"] != "tls" {
				continue
			}
			e := fpExpect{source: "suricata", capture: test, count: f.count, sni: f.match["tls.sni"], fields: map[string]string{}}
			for k, v := range f.match {
				if ours, ok := suriFPKeys[k]; ok {
					e.fields[ours] = v
				}
			}
			// The strings: JA3's hash is the MD5 of the string, so a
			// string without its hash is compared through it.
			for _, k := range []string{"ja3", "ja3s"} {
				if s, ok := f.match["tls."+k+".string"]; ok {
					if h, ok := e.fields[k]; ok && h != md5hex(s) {
						t.Errorf("%s: %s string and hash disagree", test, k)
					}
					e.fields[k] = md5hex(s)
				}
			}
			var alpn []string
			for i := 0; ; i++ {
				v, ok := f.match[fmt.Sprintf("tls.client_alpns[%d]", i)]
				if !ok {
					break
				}
				alpn = append(alpn, v)
			}
			if alpn != nil {
				e.fields["alpn"] = strings.Join(alpn, ",")
			}
			if len(e.fields) == 0 {
				continue
			}
			if s, ok := f.match["src_port"]; ok {
				e.client = addrPort(f.match["src_ip"], s)
			}
			total++
			if compareFingerprints(d, e, run.get(suricataPcap(t, dir, pcap))) {
				agree++
			}
		}
	}
	t.Logf("Suricata: %d of %d fingerprint checks agree", agree, total)
	if total < 10 {
		t.Errorf("only %d fingerprint checks found", total)
	}
	checkAgainst(t, d, knownFingerprintDisagreements, "suricata:")
}

// tsharkConn is a connection of a tshark-summary file.
type tsharkConn struct {
	Stream string  `json:"stream"`
	Proto  string  `json:"proto"`
	Client *string `json:"client"` // "ip:port", IPv6 without brackets; null without a ClientHello
	Server *string `json:"server"`
	JA4    *string `json:"ja4"`
	JA3    *string `json:"ja3"`
	JA3S   *string `json:"ja3s"`
}

func TestPeerFingerprintsTshark(t *testing.T) {
	corpus := testkit.Corpus(t)
	var files []string
	err := filepath.WalkDir(filepath.Join(corpus, "tshark-summary"), func(p string, de os.DirEntry, err error) error {
		if err == nil && !de.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no tshark-summary files: %v", err)
	}
	run := &fpRun{t: t, rows: map[string][]*report.Row{}}
	d := disagreements{}
	agree := map[string]int{}
	total := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]struct {
			Keylog      *string      `json:"keylog"`
			Connections []tsharkConn `json:"connections"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for capPath, c := range doc {
			path := filepath.Join(corpus, filepath.FromSlash(capPath))
			if rest, ok := strings.CutPrefix(capPath, "./other/"); ok && !exists(path) {
				// The summaries of the Illustrated TLS captures name
				// them "other/…"; the corpus keeps them in illustrated/.
				path = filepath.Join(corpus, "illustrated", filepath.FromSlash(rest))
			}
			if !exists(path) {
				t.Errorf("%s names %s, which is not in the corpus", file, capPath)
				continue
			}
			capture := strings.TrimPrefix(filepath.ToSlash(capPath), "./")
			for _, tc := range c.Connections {
				if tc.Proto != "tls" || !strings.HasPrefix(tc.Stream, "tcp/") {
					continue
				}
				if tc.Client == nil || tc.Server == nil {
					continue // no hello seen: nothing fingerprinted
				}
				e := fpExpect{source: "tshark", capture: capture, fields: map[string]string{},
					client: tsharkEnd(*tc.Client), server: tsharkEnd(*tc.Server)}
				if !e.client.IsValid() {
					t.Errorf("%s: bad client %q", file, *tc.Client)
					continue
				}
				for k, v := range map[string]*string{"ja4": tc.JA4, "ja3": tc.JA3, "ja3s": tc.JA3S} {
					if v != nil {
						e.fields[k] = *v
					} else {
						e.fields[k] = ""
					}
				}
				total++
				rows := run.get(path)
				for _, k := range []string{"ja4", "ja3", "ja3s"} {
					one := e
					one.fields = map[string]string{k: e.fields[k]}
					if compareFingerprints(d, one, rows) {
						agree[k]++
					}
				}
			}
		}
	}
	t.Logf("tshark 4.0.17: of %d TLS connections, JA4 agrees on %d, JA3 on %d, JA3S on %d",
		total, agree["ja4"], agree["ja3"], agree["ja3s"])
	if total < 100 {
		t.Errorf("only %d tshark connections read", total)
	}
	checkAgainst(t, d, knownFingerprintDisagreements, "tshark:")
}

// tsharkEnd reads tshark-summary's "ip:port", where an IPv6 address has
// no brackets.
func tsharkEnd(s string) netip.AddrPort {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return netip.AddrPort{}
	}
	return addrPort(s[:i], s[i+1:])
}

// TestFingerprintJSON: the JSON line of a real connection carries ja3,
// ja3s and hello in the shape docs/schema/row.schema.json gives them.
func TestFingerprintJSON(t *testing.T) {
	corpus := testkit.Corpus(t)
	path := filepath.Join(corpus, "ja4", "pcaps", "tls-handshake.pcapng")
	var buf bytes.Buffer
	w := report.NewWriter(&buf, report.FormatJSON, report.Options{})
	if _, err := pipeline.Run(pipeline.Config{Files: []string{path}, Detail: true}, w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(&report.RunStats{}); err != nil {
		t.Fatal(err)
	}
	type hello struct {
		Versions, Ciphers, Groups, SigAlgs, ALPN []string
		NegotiatedGroup                          *string `json:"negotiated_group"`
	}
	full := 0
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m struct {
			Version string  `json:"version"`
			JA4     string  `json:"ja4"`
			JA3     *string `json:"ja3"`
			JA3S    *string `json:"ja3s"`
			Hello   *hello  `json:"hello"`
		}
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		var raw struct {
			Hello map[string]json.RawMessage `json:"hello"`
		}
		if err := json.Unmarshal(line, &raw); err != nil {
			t.Fatal(err)
		}
		keys := slices.Sorted(maps.Keys(raw.Hello))
		if want := []string{"alpn", "ciphers", "groups", "negotiated_group", "sig_algs", "versions"}; m.Hello != nil && !slices.Equal(keys, want) {
			t.Errorf("hello keys %v, want %v", keys, want)
		}
		if m.JA4 == "" || m.JA3 == nil || len(*m.JA3) != 32 || m.Hello == nil || len(m.Hello.Ciphers) == 0 || len(m.Hello.Versions) == 0 {
			t.Errorf("a ClientHello's keys are missing: %s", line)
		}
		if m.JA3S != nil && m.Version == "TLSv1.3" {
			if m.Hello.NegotiatedGroup == nil {
				t.Errorf("TLS 1.3 without negotiated_group: %s", line)
			}
			full++
		}
	}
	if full == 0 {
		t.Errorf("no TLS 1.3 row with a ServerHello in %s", path)
	}
}
