package tlsparse

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseRecord(t *testing.T) {
	maxBody := mkBytes(MaxRecordLen, 9)
	tests := []struct {
		name    string
		in      []byte
		want    Record
		wantN   int
		wantErr error  // ErrNeedMore, or nil
		field   string // *ParseError field when set
		offset  int
	}{
		{
			name:  "handshake",
			in:    unhex(t, "16 0301 0004 0e000000"),
			want:  Record{Type: ContentHandshake, Version: VersionTLS10, Fragment: unhex(t, "0e000000")},
			wantN: 9,
		},
		{
			name:  "alert followed by more data",
			in:    unhex(t, "15 0303 0002 0228 17 0303"),
			want:  Record{Type: ContentAlert, Version: VersionTLS12, Fragment: unhex(t, "0228")},
			wantN: 7,
		},
		{
			name:  "change_cipher_spec",
			in:    unhex(t, "14 0303 0001 01"),
			want:  Record{Type: ContentChangeCipherSpec, Version: VersionTLS12, Fragment: []byte{1}},
			wantN: 6,
		},
		{
			name:  "empty application_data",
			in:    unhex(t, "17 0303 0000"),
			want:  Record{Type: ContentApplicationData, Version: VersionTLS12, Fragment: []byte{}},
			wantN: 5,
		},
		{
			name:  "heartbeat",
			in:    unhex(t, "18 0302 0003 010040"),
			want:  Record{Type: ContentHeartbeat, Version: VersionTLS11, Fragment: unhex(t, "010040")},
			wantN: 8,
		},
		{
			name:  "SSL 3.0",
			in:    unhex(t, "16 0300 0001 0e"),
			want:  Record{Type: ContentHandshake, Version: VersionSSL3, Fragment: []byte{0x0e}},
			wantN: 6,
		},
		{
			// Some stacks put 0x0000 in the first ClientHello record.
			name:  "version 0x0000",
			in:    unhex(t, "16 0000 0001 01"),
			want:  Record{Type: ContentHandshake, Version: 0, Fragment: []byte{1}},
			wantN: 6,
		},
		{
			name:  "unknown minor version is data",
			in:    unhex(t, "17 0309 0001 aa"),
			want:  Record{Type: ContentApplicationData, Version: 0x0309, Fragment: []byte{0xaa}},
			wantN: 6,
		},
		{
			name:  "MaxRecordLen",
			in:    cat(unhex(t, "17 0303 4800"), maxBody),
			want:  Record{Type: ContentApplicationData, Version: VersionTLS12, Fragment: maxBody},
			wantN: RecordHeaderLen + MaxRecordLen,
		},
		{name: "empty input", in: nil, wantErr: ErrNeedMore},
		{name: "type only", in: unhex(t, "16"), wantErr: ErrNeedMore},
		{name: "header cut", in: unhex(t, "16 0303 00"), wantErr: ErrNeedMore},
		{name: "body cut", in: unhex(t, "16 0303 0005 01020304"), wantErr: ErrNeedMore},
		{
			// A short header is only judged by its type byte.
			name: "short header with bad version", in: unhex(t, "16 0203"), wantErr: ErrNeedMore,
		},
		{name: "type 19", in: unhex(t, "13 0303 0001 00"), field: "type", offset: 0},
		{name: "type 25", in: unhex(t, "19 0303 0001 00"), field: "type", offset: 0},
		{name: "short input with bad type", in: unhex(t, "47"), field: "type", offset: 0},
		{name: "HTTP", in: []byte("GET / HTTP/1.1\r\n"), field: "type", offset: 0},
		{name: "SSLv2 header", in: unhex(t, "802e 01 0301 0015 0000 0010"), field: "type", offset: 0},
		{name: "major version 2", in: unhex(t, "16 0203 0001 00"), field: "version", offset: 1},
		{name: "major 0 minor 1", in: unhex(t, "16 0001 0001 00"), field: "version", offset: 1},
		{name: "length over MaxRecordLen", in: unhex(t, "17 0303 4801"), field: "length", offset: 3},
		{name: "length 0xffff", in: unhex(t, "16 0303 ffff 00"), field: "length", offset: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clip(tt.in)
			rec, n, err := ParseRecord(in)
			if tt.field != "" {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("ParseRecord(%x) error = %v, want *ParseError", in, err)
				}
				want := &ParseError{Msg: "record", Field: tt.field, Offset: tt.offset}
				if diff := cmp.Diff(want, pe); diff != "" {
					t.Errorf("ParseError mismatch (-want +got):\n%s", diff)
				}
				if n != 0 {
					t.Errorf("n = %d with an error", n)
				}
				return
			}
			if err != tt.wantErr {
				t.Fatalf("ParseRecord(%x) error = %v, want %v", in, err, tt.wantErr)
			}
			if err != nil {
				if n != 0 || !cmp.Equal(rec, Record{}) {
					t.Errorf("need-more result is not empty: %+v, %d", rec, n)
				}
				return
			}
			if n != tt.wantN {
				t.Errorf("n = %d, want %d", n, tt.wantN)
			}
			if diff := cmp.Diff(tt.want, rec, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("record mismatch (-want +got):\n%s", diff)
			}
			checkAlias(t, "Fragment", in, rec.Fragment)
		})
	}
}

// validRecords is a sample of the records the builder makes.
func validRecords() [][]byte {
	p := pkiOnce()
	return [][]byte{
		chSpec{SNI: "a.test", ALPN: []string{"h2"}, TicketExt: true}.rec(),
		hsRec(VersionTLS12, shSpec{}.msg(), certMsg(p.server, p.caA), skeMsg(), shdMsg()),
		ccsRec(VersionTLS12),
		alertRec(VersionTLS12, AlertFatal, 40),
		appRec(VersionTLS12, 100, 1),
		mkRecord(ContentApplicationData, VersionTLS12, nil),
	}
}

// Every proper prefix of a record is ErrNeedMore: the caller can always
// wait for more, and nothing is returned with it.
func TestParseRecordPrefixes(t *testing.T) {
	for i, rec := range validRecords() {
		if _, n, err := ParseRecord(rec); err != nil || n != len(rec) {
			t.Fatalf("record %d: n=%d err=%v", i, n, err)
		}
		for k := range len(rec) {
			r, n, err := ParseRecord(rec[:k:k])
			if err != ErrNeedMore || n != 0 || r.Fragment != nil {
				t.Fatalf("record %d prefix %d: got %+v, %d, %v; want ErrNeedMore", i, k, r, n, err)
			}
		}
	}
}

// A stream of records parses back into the same records, each fragment
// aliasing the stream with its capacity cut.
func TestParseRecordStream(t *testing.T) {
	recs := validRecords()
	stream := slices.Clip(cat(recs...))
	off := 0
	for i, want := range recs {
		rec, n, err := ParseRecord(stream[off:])
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if n != len(want) {
			t.Fatalf("record %d: n = %d, want %d", i, n, len(want))
		}
		if got := mkRecord(rec.Type, rec.Version, rec.Fragment); !slices.Equal(got, want) {
			t.Errorf("record %d does not round-trip", i)
		}
		checkAlias(t, "Fragment", stream, rec.Fragment)
		off += n
	}
	if _, _, err := ParseRecord(stream[off:]); err != ErrNeedMore {
		t.Errorf("end of stream: %v, want ErrNeedMore", err)
	}
}

func TestIsSSLv2ClientHello(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want bool
	}{
		{"SSL 3.0 offer", mkSSLv2Hello(VersionSSL3), true},
		{"TLS 1.0 offer", mkSSLv2Hello(VersionTLS10), true},
		{"SSL 2.0 offer", unhex(t, "802e 01 0002 0015 0000 0010"), true},
		{"header only", unhex(t, "802e 01 03"), false},
		{"TLS record", chSpec{}.rec(), false},
		{"3-byte header form", unhex(t, "002e 01 0301"), false},
		{"message type 2", unhex(t, "802e 02 0301"), false},
		{"length under 9", unhex(t, "8008 01 0301"), false},
		{"version 1.0 (not SSL)", unhex(t, "802e 01 0100"), false},
	}
	for _, tt := range tests {
		if got := IsSSLv2ClientHello(tt.in); got != tt.want {
			t.Errorf("%s: IsSSLv2ClientHello(%x) = %v, want %v", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestPlausibleRecordAt(t *testing.T) {
	ch := chSpec{}.rec()
	ccs := ccsRec(VersionTLS12)
	tests := []struct {
		name     string
		in       []byte
		i        int
		ok, need bool
	}{
		{"record filling the input", ch, 0, true, false},
		{"two records", cat(ch, ccs), 0, true, false},
		{"record then garbage", cat(ccs, []byte("GARBAGE")), 0, false, false},
		{"record then a short tail", cat(ccs, unhex(t, "1603")), 0, false, true},
		{"first bytes of a ClientHello record", ch[:6], 0, true, false},
		{"header only", ch[:5], 0, false, true},
		{"short", ch[:3], 0, false, true},
		{"cut application_data", appRec(VersionTLS12, 10, 1)[:8], 0, false, true},
		{"cut handshake, unknown first message", unhex(t, "16 0303 0040 63"), 0, false, false},
		{"empty record", unhex(t, "17 0303 0000 17 0303 0001 00"), 0, false, false},
		{"version 0x0000 is not enough", unhex(t, "16 0000 0001 01"), 0, false, false},
		{"minor over 4", unhex(t, "17 0305 0001 00"), 0, false, false},
		{"after a preamble", cat([]byte("STARTTLS\r\n"), ch), 10, true, false},
	}
	for _, tt := range tests {
		ok, need := plausibleRecordAt(tt.in, tt.i)
		if ok != tt.ok || need != tt.need {
			t.Errorf("%s: plausibleRecordAt = %v, %v; want %v, %v", tt.name, ok, need, tt.ok, tt.need)
		}
	}
}
