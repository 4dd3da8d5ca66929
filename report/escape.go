package report

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// wireText spells text that came off the wire (SNI, ALPN) for CSV and the
// table the way Zeek's ASCII logs do (LogAscii::enable_utf_8): printable
// UTF-8 passes as it is; every byte of a control character, of a rune
// that is not printable (C1 controls, bidi overrides and other format
// characters) and of invalid UTF-8 becomes \xNN; a backslash becomes \\ so
// that an escape cannot be forged and the bytes can be recovered exactly.
// A row so stays one line, a terminal gets no escape sequence, and a
// spreadsheet gets no control byte. CSV quoting (commas, quotes) is the
// CSV writer's; JSON keeps the text and adds its raw bytes in hex where
// they are not valid UTF-8 (Detail). Plain values are returned as they
// are, without allocating.
func wireText(s string) string { return escapeText(s, true) }

// Printable is wireText for a message that quotes text from the outside
// (a file name found in a directory, an error about it): control bytes,
// unprintable runes and invalid UTF-8 become \xNN, so no escape sequence
// reaches a terminal, but a backslash stays as it is, since the message
// is read, not parsed back.
func Printable(s string) string { return escapeText(s, false) }

func escapeText(s string, backslash bool) string {
	// Printable ASCII, nearly every value, is passed without decoding
	// runes: this runs on several fields of every row.
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f && (s[i] != '\\' || !backslash) {
		i++
	}
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == '\\' && backslash || r == utf8.RuneError && n == 1 || !unicode.IsPrint(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	const hexDigits = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\' && backslash:
			b.WriteString(`\\`)
		case r == utf8.RuneError && n == 1 || !unicode.IsPrint(r):
			for _, c := range []byte(s[i : i+n]) {
				b.WriteString(`\x`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&15])
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
