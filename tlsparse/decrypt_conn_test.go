package tlsparse

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"github.com/google/go-cmp/cmp"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The real key-log fixtures (pcaps/peers/keylog.sh: OpenSSL, Go and
// GnuTLS peers with their key logs) read through a Conn with Keys, and
// compared with what tshark decrypts of the same files
// (pcaps/real/keylog/tshark-messages.txt, written by the same script).

const keylogDir = "../pcaps/real/keylog"

// fileKeys is a Keys read from a key log file. tlsparse's tests cannot
// import package keylog (it imports tlsparse), so this reads the format's
// plain lines only; keylog's own tests cover the rest of the format.
type fileKeys map[string][]byte

func (k fileKeys) Secret(l SecretLabel, cr []byte) ([]byte, bool) {
	s, ok := k[l.String()+" "+hex.EncodeToString(cr)]
	return s, ok
}

func readFileKeys(t testing.TB, path string) fileKeys {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k := fileKeys{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || strings.HasPrefix(line, "#") {
			continue
		}
		secret, err := hex.DecodeString(f[2])
		if err != nil {
			t.Fatalf("%s: %q: %v", path, line, err)
		}
		k[f[0]+" "+strings.ToLower(f[1])] = secret
	}
	return k
}

// tsharkItems reads tshark-messages.txt: file -> stream -> direction
// ("c", "s") -> items in order.
func tsharkItems(t *testing.T) map[string]map[int]map[string][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(keylogDir, "tshark-messages.txt"))
	if err != nil {
		t.Skipf("no key-log fixtures: %v", err)
	}
	defer f.Close()
	out := map[string]map[int]map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		var file, dir, item string
		var stream, frame int
		if _, err := fmt.Sscanf(line, "%s\t%d\t%d\t%s\t%s", &file, &stream, &frame, &dir, &item); err != nil {
			t.Fatalf("tshark-messages.txt: %q: %v", line, err)
		}
		if out[file] == nil {
			out[file] = map[int]map[string][]string{}
		}
		if out[file][stream] == nil {
			out[file][stream] = map[string][]string{}
		}
		out[file][stream][dir] = append(out[file][stream][dir], item)
	}
	return out
}

// traceItems spells a Conn's trace as tshark-messages.txt does, per
// direction.
func traceItems(c *Conn) map[string][]string {
	out := map[string][]string{}
	for _, it := range c.Trace() {
		dir := "s"
		if int(c.client) == it.Half {
			dir = "c"
		}
		item := fmt.Sprintf("hs:%d", it.Type)
		if it.Alert {
			item = fmt.Sprintf("alert:%d:%d", it.Level, it.Type)
		}
		out[dir] = append(out[dir], item)
	}
	return out
}

// keylogFixture is one connection of a key-log fixture, read with keys.
type keylogFixture struct {
	file   string
	stream int
	conn   *Conn
	sum    Summary
}

func keylogFixtures(t *testing.T, keysOf func(name string) Keys) []keylogFixture {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(keylogDir, "*.pcap"))
	if len(files) == 0 {
		t.Skip("no key-log fixtures in " + keylogDir)
	}
	var out []keylogFixture
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".pcap")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; ; n++ {
			evs := nthTCPConn(data, n)
			if len(evs) == 0 {
				break
			}
			f := newFeeder(t, Options{Keys: keysOf(name), Trace: true}, nil)
			for _, e := range evs {
				f.event(e, nil)
			}
			out = append(out, keylogFixture{file: name, stream: n, conn: f.c, sum: f.c.Summary()})
		}
	}
	return out
}

// TestDecryptFixturesMatchTshark checks that what a Conn reads with a key
// log is what tshark decrypts: per direction, the handshake messages and
// alerts in order. tshark goes on reading application data records to the
// connection's end; a Conn stops once the handshake is over (decrypt_conn.go
// says where), so the items tshark lists after a Conn's last one may only
// be close_notify alerts.
func TestDecryptFixturesMatchTshark(t *testing.T) {
	want := tsharkItems(t)
	keys := func(name string) Keys { return readFileKeys(t, filepath.Join(keylogDir, name+".keys")) }
	for _, fx := range keylogFixtures(t, keys) {
		if strings.Contains(fx.file, "wrongkeys") || fx.file == "keys-missing-one" && fx.stream == 1 {
			continue // tshark reads nothing encrypted there either; TestDecryptFixtureVerdicts
		}
		w := want[fx.file][fx.stream]
		if w == nil {
			t.Errorf("%s stream %d: not in tshark-messages.txt", fx.file, fx.stream)
			continue
		}
		got := traceItems(fx.conn)
		tls12 := fx.sum.Version == VersionTLS12
		for _, dir := range []string{"c", "s"} {
			if g, ws := got[dir], w[dir]; !tsharkAgrees(g, ws, tls12) {
				t.Errorf("%s stream %d, %s:\n got %v\nwant %v (tshark)", fx.file, fx.stream, dir, g, ws)
			}
		}
	}
}

// tsharkAgrees reports whether a Conn's items are tshark's, but for what a
// Conn does not read by design: the close_notify alerts after the last
// item it read, and in TLS 1.2 the Finished messages whose keys it had no
// other reason to derive (decrypt_conn.go).
func tsharkAgrees(got, want []string, tls12 bool) bool {
	skippable := func(item string) bool { return tls12 && item == "hs:20" }
	i := 0
	for _, g := range got {
		for i < len(want) && want[i] != g && skippable(want[i]) {
			i++
		}
		if i == len(want) || want[i] != g {
			return false
		}
		i++
	}
	return !slices.ContainsFunc(want[i:], func(s string) bool { return s != "alert:1:0" && !skippable(s) })
}

// TestDecryptFixtureVerdicts pins the verdicts each key-log fixture must
// get with its key log (pcaps/README.real.md says how each was made), and
// that without keys the record-size inference agrees with them wherever it
// gives a verdict.
func TestDecryptFixtureVerdicts(t *testing.T) {
	type want struct {
		req    CertRequested
		cert   ClientCert
		est    bool
		has    Flags
		hasNot Flags
	}
	yes, no := CertRequestedYes, CertRequestedNo
	dec := FlagsOf(FlagDecrypted)
	mustNot := FlagsOf(FlagDecryptFailed, FlagKeysMissing, FlagEncryptedHandshake, FlagMalformed, FlagTruncated)
	wants := map[string]want{
		"tls13-mtls":             {yes, ClientCertSent, true, dec, mustNot},
		"tls13-mtls-empty":       {yes, ClientCertEmpty, true, dec | FlagsOf(FlagClientCertEmpty), mustNot},
		"tls13-norequest":        {no, ClientCertNone, true, dec, mustNot},
		"tls13-cert-required":    {yes, ClientCertEmpty, false, dec | FlagsOf(FlagClientAuthFailed, FlagClientCertEmpty), mustNot &^ FlagsOf(FlagTruncated)},
		"tls13-psk/0":            {no, ClientCertNone, true, dec, mustNot},
		"tls13-psk/1":            {no, ClientCertNone, true, dec, mustNot},
		"tls13-hrr":              {no, ClientCertNone, true, dec | FlagsOf(FlagHRR), mustNot},
		"tls13-pha":              {yes, ClientCertSent, true, dec | FlagsOf(FlagPHAOffered, FlagPostHandshakeAuth), mustNot},
		"tls13-0rtt-accepted/0":  {no, ClientCertNone, true, dec, mustNot},
		"tls13-0rtt-accepted/1":  {no, ClientCertNone, true, dec | FlagsOf(FlagEarlyDataAccepted), mustNot | FlagsOf(FlagEarlyDataRejected)},
		"tls13-0rtt-rejected/0":  {no, ClientCertNone, true, dec, mustNot},
		"tls13-0rtt-rejected/1":  {no, ClientCertNone, true, dec | FlagsOf(FlagEarlyDataRejected), mustNot | FlagsOf(FlagEarlyDataAccepted)},
		"tls13-aes128gcm":        {yes, ClientCertSent, true, dec, mustNot},
		"tls13-aes256gcm":        {yes, ClientCertSent, true, dec, mustNot},
		"tls13-chacha20":         {yes, ClientCertSent, true, dec, mustNot},
		"tls13-aes128ccm":        {yes, ClientCertSent, true, dec, mustNot},
		"tls12-mtls-gcm":         {yes, ClientCertSent, true, 0, mustNot | FlagsOf(FlagDecrypted)}, // nothing worth a key: the Finished is not decrypted
		"tls12-reneg-gcm":        {yes, ClientCertSent, true, dec | FlagsOf(FlagRenegotiation), mustNot},
		"tls12-reneg-cbc":        {yes, ClientCertSent, true, dec | FlagsOf(FlagRenegotiation), mustNot},
		"tls12-reneg-cbc-noetm":  {yes, ClientCertSent, true, dec | FlagsOf(FlagRenegotiation), mustNot},
		"go-tls13-mtls":          {yes, ClientCertSent, true, dec, mustNot},
		"go-tls13-norequest":     {no, ClientCertNone, true, dec, mustNot},
		"gnutls-tls13-mtls":      {yes, ClientCertSent, true, dec, mustNot},
		"gnutls-tls13-norequest": {no, ClientCertNone, true, dec, mustNot},
		"keys-missing-one/0":     {yes, ClientCertSent, true, dec, mustNot},
		// Without usable keys the verdicts are what the capture shows
		// without them: here the client's record sizes.
		"keys-missing-one/1":        {yes, ClientCertSent, true, FlagsOf(FlagKeysMissing, FlagEncryptedHandshake), FlagsOf(FlagDecrypted, FlagDecryptFailed)},
		"tls13-mtls-wrongkeys":      {yes, ClientCertSent, true, FlagsOf(FlagDecryptFailed, FlagEncryptedHandshake), FlagsOf(FlagDecrypted, FlagKeysMissing)},
		"tls13-0rtt-rejected-psk/0": {no, ClientCertNone, true, dec, mustNot},
		"tls13-0rtt-rejected-psk/1": {no, ClientCertNone, true, dec | FlagsOf(FlagEarlyDataRejected), mustNot | FlagsOf(FlagEarlyDataAccepted)},
	}
	keys := func(name string) Keys { return readFileKeys(t, filepath.Join(keylogDir, name+".keys")) }
	seen := map[string]bool{}
	for _, fx := range keylogFixtures(t, keys) {
		id := fx.file
		if _, ok := wants[id]; !ok {
			id = fmt.Sprintf("%s/%d", fx.file, fx.stream)
		}
		w, ok := wants[id]
		if !ok {
			t.Errorf("%s stream %d: no expected verdicts", fx.file, fx.stream)
			continue
		}
		seen[id] = true
		s := fx.sum
		if s.CertReq != w.req || s.ClientCert != w.cert || s.Established != w.est ||
			s.Flags&w.has != w.has || s.Flags&w.hasNot != 0 {
			t.Errorf("%s: cert_requested=%v client_cert=%v established=%v flags=%v evidence=%v errors=%v; want %v %v %v, flags with %v without %v",
				id, s.CertReq, s.ClientCert, s.Established, s.Flags, s.Evidence, s.Errors, w.req, w.cert, w.est, w.has, w.hasNot)
		}
		wantEv := EvidenceCleartext
		switch {
		case s.Version.IsTLS13() && !s.Flags.Has(FlagDecrypted):
			wantEv = EvidenceRecordSizes
		case s.Version.IsTLS13() || s.Flags.Has(FlagRenegotiation):
			wantEv = EvidenceKeylog
		}
		if s.Evidence != wantEv {
			t.Errorf("%s: evidence %q, want %q", id, s.Evidence, wantEv)
		}
	}
	for id := range wants {
		if !seen[id] {
			t.Errorf("%s: fixture not found", id)
		}
	}
}

// TestRecordSizeInferenceAgreesWithKeylog is issue 10's condition for the
// inference to ship: on every TLS 1.3 connection of the fixtures (three
// stacks), a verdict inferred without keys is the key-log verdict.
func TestRecordSizeInferenceAgreesWithKeylog(t *testing.T) {
	keys := func(name string) Keys { return readFileKeys(t, filepath.Join(keylogDir, name+".keys")) }
	withKeys := map[string]Summary{}
	for _, fx := range keylogFixtures(t, keys) {
		withKeys[fmt.Sprintf("%s/%d", fx.file, fx.stream)] = fx.sum
	}
	inferred := 0
	for _, fx := range keylogFixtures(t, func(string) Keys { return nil }) {
		id := fmt.Sprintf("%s/%d", fx.file, fx.stream)
		k, s := withKeys[id], fx.sum
		if !s.Version.IsTLS13() {
			continue
		}
		if s.Evidence == EvidenceNone {
			continue
		}
		if s.Evidence != EvidenceRecordSizes {
			t.Errorf("%s: evidence %q without keys", id, s.Evidence)
			continue
		}
		inferred++
		if !k.Flags.Has(FlagDecrypted) {
			continue // no key-log verdict to compare with (wrong or missing keys)
		}
		if s.CertReq != k.CertReq || s.ClientCert != k.ClientCert {
			t.Errorf("%s: inferred %v/%v, key log says %v/%v", id, s.CertReq, s.ClientCert, k.CertReq, k.ClientCert)
		}
	}
	if inferred < 10 {
		t.Errorf("only %d connections inferred", inferred)
	}
}

// TestInferClientAuth13Layouts is the arithmetic of inference.go, layout by
// layout, for SHA-256 and SHA-384 suites and the 8-byte CCM tag.
func TestInferClientAuth13Layouts(t *testing.T) {
	for _, tc := range []struct {
		suite CipherSuite
		sizes []int
		req   CertRequested
		cert  ClientCert
		ok    bool
	}{
		{0x1301, []int{53}, CertRequestedNo, ClientCertNone, true},
		{0x1301, []int{53, 300}, CertRequestedNo, ClientCertNone, true},
		{0x1302, []int{69, 40}, CertRequestedNo, ClientCertNone, true},
		{0x1302, []int{53}, 0, 0, false}, // a SHA-256 Finished under a SHA-384 suite
		{0x1305, []int{45}, CertRequestedNo, ClientCertNone, true},
		{0x1301, []int{25, 53}, CertRequestedYes, ClientCertEmpty, true},
		{0x1302, []int{25, 69}, CertRequestedYes, ClientCertEmpty, true},
		{0x1301, []int{25, 54}, 0, 0, false},
		{0x1301, []int{61}, CertRequestedYes, ClientCertEmpty, true},
		{0x1302, []int{77}, CertRequestedYes, ClientCertEmpty, true},
		{0x1301, []int{1058, 95, 53}, CertRequestedYes, ClientCertSent, true},
		{0x1302, []int{1058, 96, 69}, CertRequestedYes, ClientCertSent, true},
		{0x1301, []int{1200, 53}, CertRequestedYes, ClientCertSent, true},
		{0x1301, []int{1300, 500}, 0, 0, false}, // all in one record, or padded: unknown
		{0x1301, []int{1300}, 0, 0, false},
		{0x1301, []int{60}, 0, 0, false},
		{0x1301, nil, 0, 0, false},
		{0x00ff, []int{53}, 0, 0, false},
	} {
		req, cert, ok := inferClientAuth13(tc.suite, tc.sizes)
		if req != tc.req || cert != tc.cert || ok != tc.ok {
			t.Errorf("%v %v: %v %v %v, want %v %v %v", tc.suite, tc.sizes, req, cert, ok, tc.req, tc.cert, tc.ok)
		}
	}
}

// TestDecryptSplit feeds each key-log fixture's connections, with keys,
// split at (strided) offsets and a byte at a time: decryption must give
// the same summary however the stream is cut.
func TestDecryptSplit(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(keylogDir, "*.pcap"))
	if len(files) == 0 {
		t.Skip("no key-log fixtures in " + keylogDir)
	}
	budget := 23
	if testing.Short() {
		budget = 19
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".pcap")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		keys := readFileKeys(t, filepath.Join(keylogDir, name+".keys"))
		for n := 0; ; n++ {
			evs := nthTCPConn(data, n)
			if len(evs) == 0 {
				break
			}
			sc := scenario{name: name, opts: Options{Keys: keys}, setup: func(c *Conn) { c.SetInitiator(0) }, evs: evs}
			wc := sc.run(t, -1, nil)
			whole := wc.Summary()
			checkSummary(t, wc, &whole)
			compare := func(how string, c *Conn) {
				t.Helper()
				if diff := cmp.Diff(whole, c.Summary(), bytesEqual); diff != "" {
					t.Fatalf("%s/%d: %s: summary differs (-whole +split):\n%s", name, n, how, diff)
				}
			}
			total := 0
			for _, e := range evs {
				total += len(e.data)
			}
			step := max(1, total*total>>budget)
			for i, e := range evs {
				for k := 1; k < len(e.data); k += step {
					compare(fmt.Sprintf("segment %d split at %d", i, k), sc.run(t, i, splitAt(k)))
				}
			}
			compare("byte at a time", sc.run(t, -1, bytewise))
		}
	}
}

// FuzzConnFeedKeys is FuzzConnFeed with a key log: the seeds are the
// key-log fixtures' first connections, the keys those of the fixture
// `which` names. Besides checkSummary's promises and whole = split, a
// record that does not authenticate never yields a message: without the
// decrypted flag no message or alert was read decrypted.
func FuzzConnFeedKeys(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(keylogDir, "*.pcap"))
	var keySets []Keys
	for i, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".pcap")
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		keySets = append(keySets, readFileKeys(f, filepath.Join(keylogDir, name+".keys")))
		var a, b []byte
		for _, e := range nthTCPConn(data, 0) {
			if e.h == 0 {
				a = append(a, e.data...)
			} else {
				b = append(b, e.data...)
			}
		}
		// Cut each side after its hello records so that the halves
		// interleave as on the wire.
		f.Add(a, b, uint64(len(a)/4)|uint64(len(b)/3)<<16|uint64(i+3)<<32|uint64(i+11)<<48, uint8(i))
	}
	if len(keySets) == 0 {
		keySets = append(keySets, fileKeys{})
		f.Add([]byte{22, 3, 1, 0, 0}, []byte{}, uint64(0), uint8(0))
	}
	f.Fuzz(func(t *testing.T, a, b []byte, cuts uint64, which uint8) {
		if len(a)+len(b) > 64<<10 {
			return
		}
		mode := uint8(modeInit0)
		if which&0x80 != 0 {
			mode |= modeClose
		}
		in := connInput{a: a, b: b, cuts: cuts, mode: mode}
		sc := in.scenario()
		sc.opts = Options{Keys: keySets[int(which&0x7f)%len(keySets)], Trace: true}
		wc := sc.run(t, -1, nil)
		whole := wc.Summary()
		checkSummary(t, wc, &whole)
		if !whole.Flags.Has(FlagDecrypted) {
			for _, it := range wc.Trace() {
				if it.Decrypted {
					t.Fatalf("a decrypted %+v without the decrypted flag: %+v", it, whole)
				}
			}
		}
		var consumed [2]int
		spc := runSplit(t, &sc, in.splitter(&consumed))
		split := spc.Summary()
		if diff := cmp.Diff(whole, split, bytesEqual); diff != "" && !knownSplitDiff(wc, spc, &whole, &split) {
			t.Fatalf("split feeding differs from whole feeding (-whole +split):\n%s", diff)
		}
	})
}

// TestDecryptTLS12KeyFaults: a TLS 1.2 renegotiation read with a key log
// that does not cover the connection (keys_missing) or gives it wrong
// secrets (decrypt_failed, found when the renegotiation's first record
// does not authenticate): either way the row is what the capture shows
// without keys.
func TestDecryptTLS12KeyFaults(t *testing.T) {
	path := filepath.Join(keylogDir, "tls12-reneg-gcm.pcap")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("no key-log fixtures: %v", err)
	}
	good := readFileKeys(t, filepath.Join(keylogDir, "tls12-reneg-gcm.keys"))
	wrong := fileKeys{}
	for k, v := range good {
		w := bytes.Clone(v)
		w[0] ^= 0xff
		wrong[k] = w
	}
	for _, tc := range []struct {
		name string
		keys Keys
		flag Flag
	}{{"no entry", fileKeys{}, FlagKeysMissing}, {"wrong secrets", wrong, FlagDecryptFailed}} {
		f := newFeeder(t, Options{Keys: tc.keys}, nil)
		for _, e := range nthTCPConn(data, 0) {
			f.event(e, nil)
		}
		s := f.c.Summary()
		want := FlagsOf(tc.flag, FlagRenegotiation)
		if s.Flags&want != want || s.Flags.Has(FlagDecrypted) || s.CertReq != CertRequestedUnknown || s.ClientCert != ClientCertUnknown {
			t.Errorf("%s: flags %v, %v/%v; want %v and unknown verdicts", tc.name, s.Flags, s.CertReq, s.ClientCert, want)
		}
	}
}

// TestReviewFindings pins the fixes of a review of the key-log change.
func TestReviewFindings(t *testing.T) {
	p := pkiOnce()
	t.Run("a CertificateRequest from the client does not hide its answer", func(t *testing.T) {
		c := NewConn(Options{})
		c.Feed(0, chSpec{}.rec())
		c.Feed(1, tls12Server(shSpec{}, crMsg12(p.dnA)))
		c.Feed(0, cat(hsRec(v12, certMsg(p.clientA), crMsg12(p.dnB), ckeMsg(), cvMsg()), clientFinish(v12)))
		c.Feed(1, serverFinish(v12))
		s := c.Summary()
		if s.ClientCert != ClientCertSent || s.ClientCerts != 1 || s.CertRequest == nil || len(s.CertRequest.CANames) != 1 {
			t.Errorf("client_cert %v (%d), CertRequest %+v; want sent (1) and the server's request", s.ClientCert, s.ClientCerts, s.CertRequest)
		}
	})
	t.Run("0-RTT offered, then a HelloRetryRequest: refused", func(t *testing.T) {
		c := NewConn(Options{})
		c.Feed(0, cat(chSpec{SessionID: sid1, Versions: []Version{v13}, KeyShare: true, PSK: true, EarlyData: true}.rec(), ccsRec(v12), appRec(v12, 120, 0x71)))
		c.Feed(1, hsRec(v12, shSpec{SessionID: sid1, Suite: 0x1301, SupportedVersion: v13, HRR: true}.msg()))
		c.Feed(0, hsRec(v12, chSpec{SessionID: sid1, Versions: []Version{v13}, KeyShare: true, Seed: 9}.msg()))
		c.Feed(1, cat(hsRec(v12, shSpec{SessionID: sid1, Suite: 0x1301, SupportedVersion: v13}.msg()), appRec(v12, 90, 1)))
		if s := c.Summary(); !s.Flags.Has(FlagEarlyDataRejected) || !s.Flags.Has(FlagHRR) {
			t.Errorf("flags %v, want hrr and early_data_rejected", s.Flags)
		}
	})
}
