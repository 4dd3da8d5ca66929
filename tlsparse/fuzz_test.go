package tlsparse

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Native fuzz targets. Each asserts more than "no panic": an error is a
// *ParseError (or ErrNeedMore where that is the contract) and its result is
// not used; on success every returned slice lies inside the input (with its
// capacity cut), and parsing Raw again gives the same value. Seeds are the
// builder's messages, the scenarios' streams and, when pcaps/real holds
// them, the TLS payloads of real captures.

// seedMessages is every handshake message body the tests know, by type.
func seedMessages() map[HandshakeType][][]byte {
	out := map[HandshakeType][][]byte{}
	add := func(stream []byte) {
		for typ, bodies := range handshakeBodies(stream) {
			out[typ] = append(out[typ], bodies...)
		}
	}
	for _, sc := range scenarios() {
		for _, e := range sc.evs {
			if len(e.data) < 64<<10 {
				add(e.data)
			}
		}
	}
	for _, c := range realCaptures() {
		for _, h := range []int{0, 1} {
			add(c.stream(h))
		}
	}
	return out
}

// handshakeBodies cuts the cleartext handshake messages out of a stream of
// records (up to its first ChangeCipherSpec or application data).
func handshakeBodies(stream []byte) map[HandshakeType][][]byte {
	var hs []byte
	for len(stream) > 0 {
		rec, n, err := ParseRecord(stream)
		if err != nil || rec.Type == ContentChangeCipherSpec || rec.Type == ContentApplicationData {
			break
		}
		if rec.Type == ContentHandshake {
			hs = append(hs, rec.Fragment...)
		}
		stream = stream[n:]
	}
	out := map[HandshakeType][][]byte{}
	for len(hs) >= 4 {
		n := u24(hs[1:4])
		if len(hs) < 4+n {
			break
		}
		out[HandshakeType(hs[0])] = append(out[HandshakeType(hs[0])], hs[4:4+n])
		hs = hs[4+n:]
	}
	return out
}

// fuzzInput copies the fuzzer's bytes into an exactly sized slice: the
// alias checks compare against its bounds.
func fuzzInput(b []byte) []byte { return slices.Clip(slices.Clone(b)) }

func FuzzParseRecord(f *testing.F) {
	for _, r := range validRecords() {
		f.Add(r)
	}
	for _, sc := range scenarios()[:8] {
		f.Add(sc.evs[1].data)
	}
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzInput(data)
		rec, n, err := ParseRecord(in)
		switch {
		case err == ErrNeedMore:
			if n != 0 || rec.Fragment != nil {
				t.Fatalf("ErrNeedMore with a result: %d, %+v", n, rec)
			}
			// Only a short header or a short body waits for more.
			if len(in) >= RecordHeaderLen && len(in) >= RecordHeaderLen+(int(in[3])<<8|int(in[4])) {
				t.Fatalf("ErrNeedMore for %d bytes holding a whole record", len(in))
			}
			return
		case err != nil:
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Msg != "record" || n != 0 {
				t.Fatalf("error %v (n=%d), want a record *ParseError", err, n)
			}
			return
		}
		if n < RecordHeaderLen || n > len(in) || n != RecordHeaderLen+len(rec.Fragment) {
			t.Fatalf("n = %d for a %d-byte fragment in %d bytes", n, len(rec.Fragment), len(in))
		}
		if len(rec.Fragment) > MaxRecordLen || !plausibleType(byte(rec.Type)) {
			t.Fatalf("accepted %+v", rec)
		}
		checkAlias(t, "Fragment", in, rec.Fragment)
		if !bytes.Equal(mkRecord(rec.Type, rec.Version, rec.Fragment), in[:n]) {
			t.Fatal("record does not round-trip")
		}
		again, m, err := ParseRecord(in[:n:n])
		if err != nil || m != n || !cmp.Equal(again, rec, cmpopts.EquateEmpty()) {
			t.Fatalf("re-parse of the record's own bytes: %+v, %d, %v", again, m, err)
		}
	})
}

// checkParseError asserts the error contract of the message parsers.
func checkParseError(t *testing.T, err error, msg string, in []byte) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *ParseError", err)
	}
	if pe.Msg != msg || pe.Field == "" || pe.Offset < 0 || pe.Offset > len(in) {
		t.Fatalf("%+v for %d bytes of %s", pe, len(in), msg)
	}
}

func FuzzParseClientHello(f *testing.F) {
	for _, b := range seedMessages()[TypeClientHello] {
		f.Add(b)
	}
	f.Add(chSpec{SessionID: sid1, Suites: []uint16{0x2a2a, 0x1301}, SNI: "f.test", ALPN: []string{"h2"}, Ticket: tkt,
		Versions: []Version{0x2a2a, v13}, PSK: true, EarlyData: true, KeyShare: true}.body())
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzInput(data)
		ch, err := ParseClientHello(in)
		if err != nil {
			checkParseError(t, err, "ClientHello", in)
			return
		}
		checkClientHello(t, in, &ch)
		again, err := ParseClientHello(ch.Raw)
		if err != nil {
			t.Fatalf("re-parse of Raw: %v", err)
		}
		if diff := cmp.Diff(ch, again, bytesEqual); diff != "" {
			t.Fatalf("re-parse of Raw differs:\n%s", diff)
		}
	})
}

func checkClientHello(t *testing.T, in []byte, ch *ClientHello) {
	t.Helper()
	if !bytes.Equal(ch.Raw, in) {
		t.Fatal("Raw is not the input")
	}
	checkAlias(t, "ClientHello", in, clientHelloSlices(ch)...)
	checkWithin(t, "ClientHello", in, ch.Random)
	if len(ch.Random) != 32 || len(ch.CipherSuites)%2 != 0 {
		t.Fatalf("random %d bytes, suites %d bytes", len(ch.Random), len(ch.CipherSuites))
	}
	var sawTicket, sawPSK, sawEarly bool
	for _, e := range ch.Extensions {
		sawTicket = sawTicket || e.Type == ExtSessionTicket
		sawPSK = sawPSK || e.Type == ExtPreSharedKey
		sawEarly = sawEarly || e.Type == ExtEarlyData
	}
	if sawTicket != ch.HasSessionTicket || sawPSK != ch.HasPSK || sawEarly != ch.EarlyData {
		t.Fatalf("decoded flags disagree with the extension list: %+v", ch)
	}
	if len(ch.SessionTicket) > 0 && !ch.HasSessionTicket {
		t.Fatal("a ticket without the extension")
	}
}

func FuzzParseServerHello(f *testing.F) {
	for _, b := range seedMessages()[TypeServerHello] {
		f.Add(b)
	}
	f.Add(shSpec{Version: 0x7f0e, Draft: true, Suite: 0x1301}.body())
	f.Add(shSpec{Version: VersionTLS13, Draft: true, Suite: 0x1301}.body())
	f.Add(shSpec{HRR: true, SupportedVersion: v13, SessionID: sid1}.body())
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzInput(data)
		sh, err := ParseServerHello(in)
		if err != nil {
			checkParseError(t, err, "ServerHello", in)
			return
		}
		if !bytes.Equal(sh.Raw, in) {
			t.Fatal("Raw is not the input")
		}
		checkAlias(t, "ServerHello", in, serverHelloSlices(&sh)...)
		checkWithin(t, "ServerHello", in, sh.Random)
		if len(sh.Random) != 32 || sh.HRR != bytes.Equal(sh.Random, hrrRandom[:]) {
			t.Fatalf("random %x, HRR %v", sh.Random, sh.HRR)
		}
		if sh.NegotiatedVersion() == 0 && sh.Version != 0 {
			t.Fatal("NegotiatedVersion lost the version")
		}
		again, err := ParseServerHello(sh.Raw)
		if err != nil {
			t.Fatalf("re-parse of Raw: %v", err)
		}
		if diff := cmp.Diff(sh, again, bytesEqual); diff != "" {
			t.Fatalf("re-parse of Raw differs:\n%s", diff)
		}
	})
}

func FuzzParseCertificate(f *testing.F) {
	p := pkiOnce()
	for _, b := range seedMessages()[TypeCertificate] {
		if len(b) <= 8<<10 { // big inputs slow the fuzzer tenfold; TestParseCertificate has them
			f.Add(b, false)
		}
	}
	f.Add(certBody(true, p.server, p.caA), true)
	f.Add(hx("02 abcd 00000c 000003 010203 0004 00050000"), true)
	f.Fuzz(func(t *testing.T, data []byte, tls13 bool) {
		in := fuzzInput(data)
		c, err := ParseCertificate(in, tls13)
		if err != nil {
			checkParseError(t, err, "Certificate", in)
			return
		}
		if !bytes.Equal(c.Raw, in) {
			t.Fatal("Raw is not the input")
		}
		checkAlias(t, "Certificate", in, certificateSlices(&c)...)
		total := 0
		for _, der := range c.Certificates {
			if len(der) == 0 {
				t.Fatal("an empty certificate was accepted")
			}
			total += len(der)
			if iss, ok := CertIssuer(der); ok {
				checkWithin(t, "issuer", der, iss)
			}
		}
		if total > len(in) {
			t.Fatal("certificates longer than the message")
		}
		again, err := ParseCertificate(c.Raw, tls13)
		if err != nil {
			t.Fatalf("re-parse of Raw: %v", err)
		}
		if diff := cmp.Diff(c, again, bytesEqual); diff != "" {
			t.Fatalf("re-parse of Raw differs:\n%s", diff)
		}
	})
}

func FuzzParseCertificateRequest(f *testing.F) {
	p := pkiOnce()
	for _, b := range seedMessages()[TypeCertificateRequest] {
		f.Add(b, uint16(VersionTLS12))
	}
	f.Add(crBody([]byte{1, 2}, nil, p.dnA), uint16(VersionTLS10))
	f.Add(crBody([]byte{1}, nil), uint16(VersionSSL3))
	f.Add(hx("00 0014 000d 0006 0004 0807 0403 002f 0006 0004 0002 3000"), uint16(VersionTLS13))
	f.Fuzz(func(t *testing.T, data []byte, v uint16) {
		in := fuzzInput(data)
		cr, err := ParseCertificateRequest(in, Version(v))
		if err != nil {
			checkParseError(t, err, "CertificateRequest", in)
			return
		}
		if !bytes.Equal(cr.Raw, in) {
			t.Fatal("Raw is not the input")
		}
		checkAlias(t, "CertificateRequest", in, certRequestSlices(&cr)...)
		tls13 := Version(v).IsTLS13()
		if !tls13 && (cr.SigAlgs != nil) != (Version(v) >= VersionTLS12) || len(cr.SigAlgs)%2 != 0 || tls13 && cr.CertTypes != nil {
			t.Fatalf("version %04x, sigalgs %x", v, cr.SigAlgs)
		}
		again, err := ParseCertificateRequest(cr.Raw, Version(v))
		if err != nil {
			t.Fatalf("re-parse of Raw: %v", err)
		}
		if diff := cmp.Diff(cr, again, bytesEqual); diff != "" {
			t.Fatalf("re-parse of Raw differs:\n%s", diff)
		}
	})
}

func FuzzParseEncryptedExtensions(f *testing.F) {
	f.Add(hx("0000"))
	f.Add(hx("0008 002a 0000 0010 0000"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzInput(data)
		ee, err := ParseEncryptedExtensions(in)
		if err != nil {
			checkParseError(t, err, "EncryptedExtensions", in)
			return
		}
		if !bytes.Equal(ee.Raw, in) {
			t.Fatal("Raw is not the input")
		}
		found := false
		for _, e := range ee.Extensions {
			found = found || e.Type == ExtEarlyData
		}
		if found != ee.EarlyData {
			t.Fatalf("EarlyData %v, early_data extension present %v", ee.EarlyData, found)
		}
	})
}

func FuzzParseSSLv2ClientHello(f *testing.F) {
	f.Add(mkSSLv2Hello(VersionSSL3))
	f.Add(mkSSLv2Hello(VersionTLS10))
	f.Add(hx("8012 01 0300 0003 0004 0002 000035 01020304 aabb"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzInput(data)
		ch, n, err := ParseSSLv2ClientHello(in)
		switch {
		case err == ErrNeedMore:
			if n != 0 {
				t.Fatalf("ErrNeedMore with n = %d", n)
			}
			return
		case err != nil:
			checkParseError(t, err, "SSLv2ClientHello", in)
			if n != 0 {
				t.Fatalf("error with n = %d", n)
			}
			return
		}
		if n != 2+len(ch.Raw) || n > len(in) || !ch.SSLv2 || len(ch.CipherSuites)%3 != 0 {
			t.Fatalf("n = %d, %+v", n, ch)
		}
		checkAlias(t, "SSLv2ClientHello", in, ch.Raw)
		checkWithin(t, "SSLv2ClientHello", in, ch.Random, ch.SessionID, ch.CipherSuites)
		again, m, err := ParseSSLv2ClientHello(in[:n:n])
		if err != nil || m != n {
			t.Fatalf("re-parse: %d, %v", m, err)
		}
		if diff := cmp.Diff(ch, again, bytesEqual); diff != "" {
			t.Fatalf("re-parse differs:\n%s", diff)
		}
	})
}

// Conn fuzzing. The fuzzer gives each half's bytes and where to cut them:
// a and b are each cut into two events (a1 b1 a2 b2 on the wire), and each
// event is fed either whole or split again at a chosen offset (or one byte
// at a time); mode picks SetMidstream, SetInitiator, a gap and the closes.
// Feeding split must give the Summary feeding whole gives.

const (
	modeMid0 = 1 << iota
	modeMid1
	modeInit0
	modeInit1
	modeBytewise
	modeClose
	modeGap
	modeKeepChains
)

type connInput struct {
	a, b []byte
	cuts uint64 // four 16-bit offsets: a's event cut, b's, a's piece cut, b's
	mode uint8
}

func (in connInput) cut(i int, n int) int {
	if n == 0 {
		return 0
	}
	return int(in.cuts>>(16*i)&0xffff) % (n + 1)
}

func (in connInput) scenario() scenario {
	ka, kb := in.cut(0, len(in.a)), in.cut(1, len(in.b))
	evs := []event{send(0, in.a[:ka]), send(1, in.b[:kb]), send(0, in.a[ka:]), send(1, in.b[kb:])}
	if in.mode&modeGap != 0 {
		evs[3].gap = true
	}
	if in.mode&modeClose != 0 {
		evs = append(evs, closeHalf(0), closeHalf(1))
	}
	return scenario{
		opts: Options{KeepChains: in.mode&modeKeepChains != 0},
		setup: func(c *Conn) {
			if in.mode&modeMid0 != 0 {
				c.SetMidstream(0)
			}
			if in.mode&modeMid1 != 0 {
				c.SetMidstream(1)
			}
			switch {
			case in.mode&modeInit0 != 0:
				c.SetInitiator(0)
			case in.mode&modeInit1 != 0:
				c.SetInitiator(1)
			}
		},
		evs: evs,
	}
}

// splitter cuts an event at the fuzzer's offset (or into single bytes).
func (in connInput) splitter(c *[2]int) func(h int, b []byte) [][]byte {
	return func(h int, b []byte) [][]byte {
		c[h] += len(b)
		if in.mode&modeBytewise != 0 && len(b) <= 4096 {
			return bytewise(b)
		}
		k := in.cut(2+h, len(b))
		return [][]byte{b[:k], b[k:]}
	}
}

// runSplit feeds sc with every event split by split.
func runSplit(t testing.TB, sc *scenario, split func(h int, b []byte) [][]byte) *Conn {
	f := newFeeder(t, sc.opts, sc.setup)
	for _, e := range sc.evs {
		f.event(e, func(b []byte) [][]byte { return split(e.h, b) })
	}
	return f.c
}

// knownSplitDiff reports whether whole and split may differ by design: the
// resync heuristic is segment-dependent, because plausibleRecordAt accepts
// a header whose record ends exactly where the data ends, so where a Feed
// ends decides whether noise looks like a record, and when (relative to the
// other half) a real one is accepted (TestResyncDependsOnSegmenting).
// Halves that start on a record boundary, the common case, are compared in
// full.
func knownSplitDiff(wc, sc *Conn, ws, ss *Summary) bool {
	for h := range 2 {
		w, s := &wc.half[h], &sc.half[h]
		if w.mid || w.scanned > 0 || s.scanned > 0 || !w.synced || !s.synced {
			return true
		}
	}
	return false
}

func FuzzConnFeed(f *testing.F) {
	var seeds [][]event
	for _, sc := range scenarios() {
		seeds = append(seeds, sc.evs)
	}
	for _, sc := range outOfOrder() { // messages out of order: the state machine's refusals
		seeds = append(seeds, sc.evs)
	}
	for i, evs := range seeds {
		var a, b []byte
		for _, e := range evs {
			if e.h == 0 {
				a = append(a, e.data...)
			} else {
				b = append(b, e.data...)
			}
		}
		if len(a)+len(b) > 32<<10 {
			continue
		}
		f.Add(a, b, uint64(i)*0x0001_0203_0405_0607, uint8(i))
	}
	for i, c := range realCaptures() {
		a, b := c.stream(0), c.stream(1)
		f.Add(a, b, uint64(len(a)/3)|uint64(len(b)/2)<<16|uint64(i+1)<<32|uint64(i+7)<<48, uint8(modeInit0|modeClose))
	}
	f.Fuzz(func(t *testing.T, a, b []byte, cuts uint64, mode uint8) {
		if len(a)+len(b) > 256<<10 {
			return
		}
		in := connInput{a: a, b: b, cuts: cuts, mode: mode}
		sc := in.scenario()
		wc := sc.run(t, -1, nil)
		whole := wc.Summary()
		checkSummary(t, wc, &whole)

		var consumed [2]int
		spc := runSplit(t, &sc, in.splitter(&consumed))
		split := spc.Summary()
		checkSummary(t, spc, &split)
		known := knownSplitDiff(wc, spc, &whole, &split)
		if diff := cmp.Diff(whole, split, bytesEqual); diff != "" && !known {
			t.Fatalf("split feeding differs from whole feeding (-whole +split):\n%s", diff)
		}
	})
}

var (
	// tlsparseFlags are the flags a Summary can carry: every flag but
	// evicted, which report sets.
	tlsparseFlags = func() Flags {
		var all Flags
		for f := Flag(1); f < flagEnd; f++ {
			all.Set(f)
		}
		return all &^ FlagsOf(FlagEvicted)
	}()
	// keyFlags need Options.Keys.
	keyFlags  = FlagsOf(FlagDecrypted, FlagDecryptFailed, FlagKeysMissing, FlagEarlyDataAccepted, FlagPostHandshakeAuth)
	historyRE = regexp.MustCompile(`^\^?[A-Za-z]*$`)
)

// checkSummary asserts what summary.go promises of any Summary, whatever
// the bytes.
func checkSummary(t *testing.T, c *Conn, s *Summary) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s\nsummary: %+v", fmt.Sprintf(format, args...), *s)
	}
	if s.Resumption > ResumptionPSK || s.CertReq > CertRequestedNo || s.ClientCert > ClientCertNone {
		fail("verdict outside its vocabulary")
	}
	inferred := s.Evidence == EvidenceRecordSizes
	if inferred && (s.ClientCerts != -1 || s.CertReq == CertRequestedUnknown || s.ClientCert == ClientCertUnknown || s.Flags.Has(FlagDecrypted)) {
		fail("record_sizes evidence with ClientCerts %d, %v, %v", s.ClientCerts, s.CertReq, s.ClientCert)
	}
	if !inferred && (s.ClientCerts == -1) != (s.ClientCert == ClientCertUnknown) || s.ClientCerts < -1 || s.ServerCerts < -1 {
		fail("ClientCerts %d with ClientCert %v", s.ClientCerts, s.ClientCert)
	}
	if !inferred && (s.ClientCert == ClientCertSent) != (s.ClientCerts > 0) {
		fail("ClientCert sent iff ClientCerts > 0")
	}
	if (s.Evidence == EvidenceNone) != (s.CertReq == CertRequestedUnknown && s.ClientCert == ClientCertUnknown) {
		fail("Evidence %q with %v, %v", s.Evidence, s.CertReq, s.ClientCert)
	}
	if s.Flags&^tlsparseFlags != 0 {
		fail("flags %v outside tlsparse's", s.Flags&^tlsparseFlags)
	}
	if c.opts.Keys == nil && s.Flags&keyFlags != 0 {
		fail("flags %v without keys", s.Flags&keyFlags)
	}
	has := s.Flags.Has
	if has(FlagClientCertEmpty) != (s.ClientCert == ClientCertEmpty) || has(FlagClientCertMissing) != (s.ClientCert == ClientCertMissing) {
		fail("client certificate flags disagree with ClientCert")
	}
	if has(FlagMalformed) != (len(s.Errors) > 0) {
		fail("malformed iff Errors")
	}
	if s.Established && has(FlagTruncated) {
		fail("established and truncated")
	}
	if s.Client < -1 || s.Client > 1 {
		fail("Client %d", s.Client)
	}
	if s.Client == -1 && (s.Resumption != ResumptionUnknown || s.CertReq != CertRequestedUnknown || s.ClientCert != ClientCertUnknown) {
		fail("verdicts without a client")
	}
	if !s.HasVersion && (s.Resumption != ResumptionUnknown || s.CertReq != CertRequestedUnknown || s.Established) {
		fail("verdicts without a ServerHello")
	}
	if s.HasVersion && !s.SawHello {
		fail("a ServerHello but SawHello false")
	}
	if s.HasVersion && s.Version.IsTLS13() && !has(FlagDecrypted) {
		if !inferred && (s.CertReq != CertRequestedUnknown || s.ClientCert != ClientCertUnknown) || s.ServerCerts != -1 ||
			(s.Resumption != ResumptionFull && s.Resumption != ResumptionPSK) || !has(FlagEncryptedHandshake) {
			fail("TLS 1.3 verdicts")
		}
	}
	if s.Resumption == ResumptionPSK && !(s.HasVersion && s.Version.IsTLS13()) {
		fail("psk resumption below TLS 1.3")
	}
	if s.Alert != "" && !strings.HasPrefix(s.Alert, "client:") && !strings.HasPrefix(s.Alert, "server:") {
		fail("Alert %q", s.Alert)
	}
	if !historyRE.MatchString(s.History) || len(s.History) > 101 ||
		strings.HasPrefix(s.History, "^") != has(FlagFlipped) {
		fail("History %q", s.History)
	}
	for a, n := range s.Anomalies {
		if n <= 0 || a == "" {
			fail("anomaly %q counted %d", a, n)
		}
	}
	if s.SawHello != c.IsTLS() {
		fail("SawHello != IsTLS")
	}
	_ = c.Decided()
	_ = c.NotTLS()
}

// TestConnRealCaptures runs the split test on real captures: every segment
// split at every offset, and everything one byte at a time, against feeding
// each segment as captured.
func TestConnRealCaptures(t *testing.T) {
	caps := realCaptures()
	if len(caps) == 0 {
		t.Skip("no captures in pcaps/real")
	}
	for _, rc := range caps {
		t.Run(rc.name, func(t *testing.T) {
			sc := scenario{name: rc.name, setup: func(c *Conn) { c.SetInitiator(0) }, evs: rc.evs}
			wc := sc.run(t, -1, nil)
			whole := wc.Summary()
			checkSummary(t, wc, &whole)
			if !whole.SawHello || whole.Client != 0 || len(whole.Errors) > 0 {
				t.Errorf("capture not read as a clean TLS connection: %+v", whole)
			}
			compare := func(how string, c *Conn) {
				t.Helper()
				if diff := cmp.Diff(whole, c.Summary(), bytesEqual); diff != "" {
					t.Fatalf("%s: summary differs (-whole +split):\n%s", how, diff)
				}
			}
			step := 1
			if testing.Short() {
				step = 37
			}
			// Each split reruns the whole connection: the sweep costs
			// its payload squared. Past ~23 KB (2^29 byte-runs), stride
			// so the cost stays near that (a 400 KB Certificate's
			// connection: every ~300th offset).
			total := 0
			for _, e := range rc.evs {
				total += len(e.data)
			}
			budget := 29
			if testing.Short() {
				budget = 26
			}
			step = max(step, total*total>>budget)
			for i, e := range rc.evs {
				for k := 1; k < len(e.data); k += step {
					compare(fmt.Sprintf("segment %d split at %d", i, k), sc.run(t, i, splitAt(k)))
				}
			}
			compare("byte at a time", sc.run(t, -1, bytewise))
		})
	}
}

func FuzzParseNewSessionTicket(f *testing.F) {
	for _, b := range seedMessages()[TypeNewSessionTicket] {
		f.Add(b)
	}
	f.Add(hx("00001c20 0004 deadbeef"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzInput(data)
		nst, err := ParseNewSessionTicket(in)
		if err != nil {
			checkParseError(t, err, "NewSessionTicket", in)
			return
		}
		if !bytes.Equal(nst.Raw, in) {
			t.Fatal("Raw is not the input")
		}
		checkAlias(t, "NewSessionTicket", in, nst.Ticket)
		again, err := ParseNewSessionTicket(nst.Raw)
		if err != nil {
			t.Fatalf("re-parse of Raw: %v", err)
		}
		if diff := cmp.Diff(nst, again, bytesEqual); diff != "" {
			t.Fatalf("re-parse of Raw differs:\n%s", diff)
		}
	})
}

func FuzzParseAlert(f *testing.F) {
	f.Add([]byte{2, 40})
	f.Add([]byte{1, 0})
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAlert(data)
		if err != nil {
			checkParseError(t, err, "Alert", data)
			if len(data) == 2 {
				t.Fatal("a 2-byte alert must parse")
			}
			return
		}
		if len(data) != 2 || a.Level != AlertLevel(data[0]) || a.Description != AlertDescription(data[1]) {
			t.Fatalf("alert %x parsed as %+v", data, a)
		}
	})
}
