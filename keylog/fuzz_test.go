package keylog

import (
	"bytes"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tlsscan/tlsscan/tlsparse"
)

// reference is a plain reading of the format, written apart from the
// parser: the secrets a key log gives, the last line winning.
func reference(data []byte) map[key][]byte {
	m := map[key][]byte{}
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		if i == len(lines)-1 && line == "" {
			break
		}
		line = strings.TrimSuffix(line, "\r")
		if i == 0 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if len(line) > MaxLineLen {
			continue
		}
		// Fields are separated by ASCII white space only (not NBSP).
		f := strings.FieldsFunc(line, func(r rune) bool { return strings.ContainsRune(" \t\v\f\r", r) })
		if len(f) != 3 {
			continue
		}
		label := tlsparse.SecretLabelOf(f[0])
		r, err1 := hex.DecodeString(f[1])
		s, err2 := hex.DecodeString(f[2])
		if label == tlsparse.SecretUnknown || err1 != nil || err2 != nil || len(r) != 32 {
			continue
		}
		if len(s) != 48 && (len(s) != 32 || label == tlsparse.SecretMaster) {
			continue
		}
		m[key{label, [32]byte(r)}] = s
	}
	return m
}

// cutReader gives its text in two reads, cut at a point.
type cutReader struct {
	parts [][]byte
}

func (r *cutReader) Read(b []byte) (int, error) {
	for len(r.parts) > 0 && len(r.parts[0]) == 0 {
		r.parts = r.parts[1:]
	}
	if len(r.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(b, r.parts[0])
	r.parts[0] = r.parts[0][n:]
	return n, nil
}

func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"",
		"CLIENT_RANDOM " + cr1 + " " + sec48 + "\n",
		"# comment\r\nCLIENT_HANDSHAKE_TRAFFIC_SECRET " + cr1 + " " + sec32 + "\r\nSERVER_TRAFFIC_SECRET_0 " + cr2 + " " + sec48,
		"\ufeffCLIENT_TRAFFIC_SECRET_0\t" + cr1 + "\t" + sec32 + "\nEXPORTER_SECRET " + cr1 + " " + sec32 + "\n",
		"CLIENT_RANDOM " + cr1 + " " + sec48 + "\nCLIENT_RANDOM " + cr1 + " " + sec48b + "\n",
		"junk\nCLIENT_RANDOM " + cr1 + "\nCLIENT_RANDOM " + cr1[:62] + "zz " + sec48 + "\n",
		"CLIENT_RANDOM " + cr1 + " " + sec48 + "\nCLIENT_RANDOM\v" + cr1 + "\f" + sec48b + "\r\r\n" +
			"CLIENT_RANDOM " + cr2 + "\u00a0" + sec48 + "\n",
		strings.Repeat("x", MaxLineLen+2) + "\nCLIENT_RANDOM " + cr1 + " " + sec48,
	} {
		f.Add([]byte(s), uint16(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		l := New()
		warns := l.ReadBytes(data, "f")
		if len(warns) > MaxWarnings+1 {
			t.Fatalf("%d warnings", len(warns))
		}
		st := l.Stats()
		lines := int64(bytes.Count(data, []byte{'\n'}))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
		if st.Lines != lines || st.Accepted+st.Ignored+st.Malformed > st.Lines || st.Dropped != 0 {
			t.Fatalf("stats %+v for %d lines", st, lines)
		}
		for _, w := range warns {
			if w.File != "f" || w.Line < 1 || int64(w.Line) > lines || len(w.Msg) > 120 {
				t.Fatalf("warning %q", w)
			}
		}
		// Every secret the format gives is there, and nothing else.
		want := reference(data)
		if l.Len() != len(want) {
			t.Fatalf("%d secrets, want %d", l.Len(), len(want))
		}
		for k, s := range want {
			if got, ok := l.Secret(k.label, k.random[:]); !ok || !bytes.Equal(got, s) {
				t.Fatalf("Secret(%v, %x) = %x, %v; want %x", k.label, k.random, got, ok, s)
			}
		}
		// Where the text is cut does not matter.
		c := min(int(cut), len(data))
		l2 := New()
		warns2, err := l2.Read(&cutReader{[][]byte{bytes.Clone(data[:c]), bytes.Clone(data[c:])}}, "f")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(warns, warns2); diff != "" {
			t.Fatalf("cut at %d: warnings (-whole +cut):\n%s", c, diff)
		}
		if diff := cmp.Diff(st, l2.Stats()); diff != "" {
			t.Fatalf("cut at %d: stats (-whole +cut):\n%s", c, diff)
		}
	})
}
