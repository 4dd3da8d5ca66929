package report

import (
	"testing"
	"unicode/utf8"
)

func TestWireText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"www.example.test", "www.example.test"},
		{"", ""},
		{`odd,"sni"<&>`, `odd,"sni"<&>`}, // CSV quoting is the writer's
		{"bad\x1bname\xff", `bad\x1bname\xff`},
		{"line\nbreak\r\t", `line\x0abreak\x0d\x09`},
		{`back\slash`, `back\\slash`},
		{`\x41`, `\\x41`}, // a forged escape stays visible as such
		{"bücher.例え.test", "bücher.例え.test"},
		{"evil\u202etxt.exe", `evil\xe2\x80\xaetxt.exe`}, // right-to-left override
		{"c1\u0085x", `c1\xc2\x85x`},
		{"\x7f", `\x7f`},
		{"trunc\xe2\x82", `trunc\xe2\x82`},
		{"sp ace", "sp ace"},
	} {
		got := wireText(tc.in)
		if got != tc.want {
			t.Errorf("wireText(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("wireText(%q) is not valid UTF-8", tc.in)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f {
				t.Errorf("wireText(%q) = %q keeps a control byte", tc.in, got)
			}
		}
	}
}

func FuzzWireText(f *testing.F) {
	f.Add("bad\x1bname\xff\\")
	f.Fuzz(func(t *testing.T, s string) {
		got := wireText(s)
		if !utf8.ValidString(got) {
			t.Fatalf("%q: not valid UTF-8", got)
		}
		if back := unescapeWire(t, got); back != s {
			t.Fatalf("%q -> %q -> %q: not reversible", s, got, back)
		}
	})
}

// unescapeWire inverts wireText, for the test that nothing is lost.
func unescapeWire(t *testing.T, s string) string {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(s) && s[i+1] == 'x':
			var c byte
			for _, h := range []byte(s[i+2 : i+4]) {
				switch {
				case h >= '0' && h <= '9':
					c = c<<4 | (h - '0')
				case h >= 'a' && h <= 'f':
					c = c<<4 | (h - 'a' + 10)
				default:
					t.Fatalf("bad escape in %q", s)
				}
			}
			out = append(out, c)
			i += 3
		default:
			t.Fatalf("lone backslash in %q", s)
		}
	}
	return string(out)
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain/path.pcap":         "plain/path.pcap",
		`C:\dir\x.pcap`:           `C:\dir\x.pcap`, // a backslash stays: read, not parsed back
		"t\x1b]0;pwned\a.pcap":    `t\x1b]0;pwned\x07.pcap`,
		"j\x1b[2J.pcap: packet 9": `j\x1b[2J.pcap: packet 9`,
		"bad\xffutf8":             `bad\xffutf8`,
		"é ok":                    "é ok",
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}
