package keylog

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// Warning is a line of a key log that was not read, or a note about a
// file as a whole (Line 0). It never holds a secret, nor unescaped text
// from the file.
type Warning struct {
	File string
	Line int // 1-based; 0 when the warning is about the whole file
	Msg  string
}

// Error returns the warning as "file:line: msg".
func (w Warning) Error() string {
	if w.Line <= 0 {
		return w.File + ": " + w.Msg
	}
	return w.File + ":" + strconv.Itoa(w.Line) + ": " + w.Msg
}

// String is the same as Error.
func (w Warning) String() string { return w.Error() }

// entry is a secret read from a line, not yet stored.
type entry struct {
	key
	secret [maxSecretLen]byte
	n      uint8 // the secret's length
	line   int
}

// parser splits one key log into lines, parses them and hands the
// entries to its Log in batches. Text may come in pieces cut anywhere
// (write); a line is parsed when its line end arrives, or at flush.
type parser struct {
	log   *Log
	name  string
	line  int    // lines ended so far
	buf   []byte // the start of a line whose end has not come yet
	long  bool   // the current line is longer than MaxLineLen: skip to its end
	warns []Warning
	shown int  // malformed lines warned about
	full  bool // the Log's MaxEntries has been warned about
	batch []entry
	seen  Stats // counts since the last commit
	// size is the whole key log's, when known (a regular file, bytes);
	// read counts the bytes of the lines ended so far. At the first
	// commit they tell how many secrets the rest will bring
	// (Log.reserve), from what the first lines were: a huge file that is
	// not a key log reserves nothing.
	size, read int64
	secrets    int64 // bytes of the secrets accepted before the reservation
	reserved   bool
}

func (l *Log) newParser(name string) *parser {
	l.mu.Lock()
	l.sources++
	l.mu.Unlock()
	return &parser{log: l, name: name}
}

// write consumes the text b, which may end inside a line.
func (p *parser) write(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.hold(b)
			return
		}
		line := b[:i]
		b = b[i+1:]
		if len(p.buf) > 0 || p.long {
			p.hold(line)
			line = p.buf
		}
		p.endLine(line)
	}
}

// flush ends the text: a last line without a line end is a line.
func (p *parser) flush() {
	if len(p.buf) > 0 || p.long {
		p.endLine(p.buf)
	}
}

// hold keeps the start of a line until its end comes, up to MaxLineLen
// bytes and a CR.
func (p *parser) hold(b []byte) {
	if p.long {
		return
	}
	if len(p.buf)+len(b) > MaxLineLen+1 {
		p.long = true
		p.buf = p.buf[:0]
		return
	}
	p.buf = append(p.buf, b...)
}

// endLine parses a whole line, without its LF, and forgets what was held.
func (p *parser) endLine(line []byte) {
	p.line++
	p.read += int64(len(line)) + 1
	p.seen.Lines++
	long := p.long
	p.long = false
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if long || len(line) > MaxLineLen {
		p.malformed("line longer than %d bytes", MaxLineLen)
	} else {
		p.parse(line)
	}
	p.buf = p.buf[:0]
}

var bom = []byte("\xef\xbb\xbf")

// parse reads one line, without its line end.
func (p *parser) parse(line []byte) {
	if p.line == 1 {
		line = bytes.TrimPrefix(line, bom)
	}
	var fields [4][]byte
	f := splitFields(line, fields[:0])
	if len(f) == 0 || f[0][0] == '#' {
		return
	}
	label := labelOf(f[0])
	if label == tlsparse.SecretUnknown {
		switch {
		case isLabel(f[0]):
			p.seen.Ignored++
		case isHex(f[0]):
			// Likely a secret or a random without its label: quote none of it.
			p.malformed("not a key log line: no label")
		default:
			p.malformed("not a key log line: %s", clip(line))
		}
		return
	}
	if len(f) != 3 {
		p.malformed("%s: %d fields, want 3", label, countFields(line))
		return
	}
	var e entry
	e.label, e.line = label, p.line
	if len(f[1]) != 2*randomLen {
		p.malformed("%s: client random has %d hex digits, want %d", label, len(f[1]), 2*randomLen)
		return
	}
	if _, err := hex.Decode(e.random[:], f[1]); err != nil {
		p.malformed("%s: client random is not hex", label)
		return
	}
	if n := len(f[2]); !(n == 96 || n == 64 && label != tlsparse.SecretMaster) {
		want := "64 or 96"
		if label == tlsparse.SecretMaster {
			want = "96" // the master secret is always 48 bytes (RFC 5246 8.1)
		}
		p.malformed("%s: secret has %d hex digits, want %s", label, n, want)
		return
	}
	e.n = uint8(len(f[2]) / 2)
	if _, err := hex.Decode(e.secret[:e.n], f[2]); err != nil {
		p.malformed("%s: secret is not hex", label)
		return
	}
	p.seen.Accepted++
	p.secrets += int64(e.n)
	p.batch = append(p.batch, e)
	if len(p.batch) >= batchLen {
		p.commit()
	}
}

// commit stores the entries read so far in the Log.
func (p *parser) commit() {
	if !p.reserved && p.size > 0 && p.read > 0 {
		p.reserved = true
		if n := p.seen.Accepted; n >= batchLen/2 {
			p.log.reserve(int(p.size*n/p.read), int(p.secrets/n))
		}
	}
	if at := p.log.add(p.batch, p.seen); at > 0 && !p.full {
		p.full = true
		max := p.log.max
		if max <= 0 {
			max = MaxEntries
		}
		p.warns = append(p.warns, Warning{p.name, at, fmt.Sprintf("key log full at %d secrets: this and later new secrets are dropped", max)})
	}
	clear(p.batch) // wipe the secrets' copies: the Log holds them now
	p.batch = p.batch[:0]
	p.seen = Stats{}
}

// malformed counts a line that was not read and warns about it, up to
// MaxWarnings times.
func (p *parser) malformed(format string, args ...any) {
	p.seen.Malformed++
	switch {
	case p.shown < MaxWarnings:
		p.warns = append(p.warns, Warning{p.name, p.line, fmt.Sprintf(format, args...)})
	case p.shown == MaxWarnings:
		p.warns = append(p.warns, Warning{p.name, p.line, fmt.Sprintf("more than %d malformed lines: the rest are counted, not shown", MaxWarnings)})
	default:
		return
	}
	p.shown++
}

// splitFields appends to f the fields of line separated by runs of ASCII
// white space (space, tab, VT, FF, CR: more lenient than Wireshark, whose
// pattern wants single spaces, so that a stray CR or a trailing tab costs
// no secret; a non-ASCII space such as NBSP is not a separator), at most cap(f) of them
// (the last holds the rest, so a line with too many fields is still told
// apart): bytes.Fields without its allocation or its Unicode spaces, for
// the key logs of large benchmark runs.
func splitFields(line []byte, f [][]byte) [][]byte {
	for {
		for len(line) > 0 && isSpace(line[0]) {
			line = line[1:]
		}
		if len(line) == 0 {
			return f
		}
		if len(f) == cap(f)-1 {
			return append(f, line)
		}
		i := 1
		for i < len(line) && !isSpace(line[i]) {
			i++
		}
		f = append(f, line[:i])
		line = line[i:]
	}
}

// countFields is how many fields line has.
func countFields(line []byte) int {
	n := 0
	for i, c := range line {
		if !isSpace(c) && (i == 0 || isSpace(line[i-1])) {
			n++
		}
	}
	return n
}

// isSpace reports whether c separates key log fields. A table, not five
// comparisons: it is asked of every byte of a key log (a quarter of the
// time reading a large one went to the comparisons).
func isSpace(c byte) bool { return spaces[c] }

var spaces = [256]bool{' ': true, '\t': true, '\v': true, '\f': true, '\r': true}

// labelByName holds every label tlsparse knows: SecretLabelOf's inverse
// of String, walked until it stops being one.
var labelByName = func() map[string]tlsparse.SecretLabel {
	m := map[string]tlsparse.SecretLabel{}
	for l := tlsparse.SecretMaster; tlsparse.SecretLabelOf(l.String()) == l; l++ {
		m[l.String()] = l
	}
	return m
}()

// labelOf is tlsparse.SecretLabelOf on bytes, without a copy.
func labelOf(b []byte) tlsparse.SecretLabel { return labelByName[string(b)] }

// isLabel reports whether b is spelled like a key log label (capitals,
// digits and underscores, starting with a capital), so that a line with a
// label tlsscan does not use is ignored, not taken for garbage.
func isLabel(b []byte) bool {
	if len(b) == 0 || len(b) > 64 || b[0] < 'A' || b[0] > 'Z' {
		return false
	}
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// isHex reports whether b is all hex digits.
func isHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// clipLen is how much of a line a warning quotes: enough to recognise
// what the file is, too little to hold a whole secret.
const clipLen = 16

// clip quotes the start of a line for a warning.
func clip(b []byte) string {
	if len(b) <= clipLen {
		return strconv.Quote(string(b))
	}
	return strconv.Quote(string(b[:clipLen])) + "..."
}
