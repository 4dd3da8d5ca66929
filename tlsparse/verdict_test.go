package tlsparse

import (
	"slices"
	"testing"
)

// The spellings are the output contract (docs/output.md), and the zero
// value of each verdict is unknown.
func TestVerdictStrings(t *testing.T) {
	for _, tc := range []struct {
		v    interface{ String() string }
		want string
	}{
		{Resumption(0), "unknown"},
		{ResumptionFull, "full"},
		{ResumptionSessionID, "session_id"},
		{ResumptionTicket, "ticket"},
		{ResumptionPSK, "psk"},
		{Resumption(9), "Resumption(9)"},
		{CertRequested(0), "unknown"},
		{CertRequestedYes, "yes"},
		{CertRequestedNo, "no"},
		{CertRequested(3), "CertRequested(3)"},
		{ClientCert(0), "unknown"},
		{ClientCertSent, "sent"},
		{ClientCertEmpty, "empty"},
		{ClientCertMissing, "missing"},
		{ClientCertNone, "none"},
		{ClientCert(5), "ClientCert(5)"},
		{FlagEvicted, "evicted"},
		{Flag(0), "Flag(0)"},
		{flagEnd, "Flag(38)"},
		{FlagResumedWithoutClientAuth, "resumed_without_client_auth"},
		{FlagTicketRejectedUnknown, "ticket_rejected_unknown"},
		{FlagChainInvalid, "chain_invalid"},
		{FlagExpired, "expired"},
		{FlagNotYetValid, "not_yet_valid"},
		{FlagSelfSigned, "self_signed"},
		{FlagSNIMismatch, "sni_mismatch"},
		{EvidenceNone, ""},
		{EvidenceKeylog, "keylog"},
		{EvidenceRecordSizes, "record_sizes"},
		{Evidence(9), "Evidence(9)"},
		{Flags(0), ""},
		{FlagsOf(FlagTruncated, FlagClientAuthFailed, FlagTruncated), "client_auth_failed;truncated"},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%T(%v) = %q, want %q", tc.v, tc.v, got, tc.want)
		}
	}
}

// TestFlagOrder keeps the Flag constants in the order of their names, which
// is what makes a Flags set list in the output's (sorted) order.
func TestFlagOrder(t *testing.T) {
	var names []string
	for f := Flag(1); f < flagEnd; f++ {
		names = append(names, f.String())
	}
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("flag names out of order: %q", names)
	}
	if flagEnd > 64 { // a Flags is a uint64, one bit per flag
		t.Errorf("%d flags do not fit a Flags", flagEnd-1)
	}
}

func TestFlags(t *testing.T) {
	var s Flags
	for _, f := range []Flag{FlagTruncated, FlagGap, FlagCertVerifyMissing, FlagGap, 0, flagEnd, 200} {
		s.Set(f)
	}
	got := slices.Collect(s.All())
	want := []Flag{FlagCertVerifyMissing, FlagGap, FlagTruncated}
	if !slices.Equal(got, want) {
		t.Errorf("All = %v, want %v", got, want)
	}
	if s != FlagsOf(want...) || !s.Has(FlagGap) || s.Has(FlagHRR) || s.Has(0) || s.Has(200) {
		t.Errorf("set %b: Has or FlagsOf disagree", s)
	}
	for range s.All() {
		break // All stops when asked to
	}
}

// TestHistoryLetters is Zeek's alphabet as docs/output.md lists it.
func TestHistoryLetters(t *testing.T) {
	want := map[HandshakeType]byte{
		TypeHelloRequest: 'H', TypeClientHello: 'C', TypeServerHello: 'S', TypeHelloVerifyRequest: 'V',
		TypeNewSessionTicket: 'T', TypeEndOfEarlyData: 'E', TypeHelloRetryRequest: 'J',
		TypeEncryptedExtensions: 'O', TypeCertificate: 'X', TypeServerKeyExchange: 'K',
		TypeCertificateRequest: 'R', TypeServerHelloDone: 'N', TypeCertificateVerify: 'Y',
		TypeClientKeyExchange: 'G', TypeFinished: 'F', TypeCertificateURL: 'W',
		TypeCertificateStatus: 'U', TypeSupplementalData: 'A', TypeKeyUpdate: 'P', TypeMessageHash: 'M',
	}
	used := map[byte]bool{letterCCS: true, letterAlert: true, letterHeartbeat: true, letterOther: true}
	for typ := range 256 {
		w, ok := want[HandshakeType(typ)]
		if !ok {
			w = letterOther
		} else if used[w] {
			t.Errorf("letter %c used twice", w)
		}
		used[w] = true
		if got := historyLetter(HandshakeType(typ)); got != w {
			t.Errorf("historyLetter(%d) = %c, want %c", typ, got, w)
		}
	}
}
