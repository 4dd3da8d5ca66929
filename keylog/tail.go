package keylog

import (
	"errors"
	"io"
	"os"
)

// maxPollBytes bounds what one Poll reads, so that a Poll on the
// pipeline's timer takes a bounded time even when it first meets a large
// file; the rest is read by the next Polls.
const maxPollBytes = 16 << 20

// Tail reads a key log file as it grows, as a TLS client on a live test
// host appends to it while it connects. Each Poll reads the lines added
// since the last one; a last line without its line end is held until the
// end arrives. A file that became shorter than what was read (truncated)
// or that is no longer the same file (rotated, or replaced by a rename) is
// read again from its start; the secrets already read stay in the Log.
//
// A Tail does nothing between Polls: no goroutine, no timer. Its Polls
// must not run concurrently with each other; they may run concurrently
// with anything else on its Log.
//
// A file truncated and refilled past the old length between two Polls
// cannot be told from one that grew; only a regular file can be tailed.
type Tail struct {
	log  *Log
	path string
	fi   os.FileInfo // the file read last, to notice a rotation
	off  int64       // bytes of it read
	p    *parser     // line numbers, the held partial line, warning counts
	buf  []byte
}

// Follow returns a Tail that adds the secrets of the key log file at path
// to l as the file grows. It does not open the file: the first Poll does,
// and reads it from the start.
func (l *Log) Follow(path string) *Tail {
	return &Tail{log: l, path: path}
}

// Poll reads what was appended to the file since the last Poll, up to 16
// MiB, and returns warnings for its malformed lines. Line numbers count
// from the start of the file; after a truncation or a rotation, which Poll
// notes in a warning with Line 0, they count from the new start.
//
// The error is the file's. A file that does not exist (yet, or during a
// rotation) gives an error for which errors.Is(err, fs.ErrNotExist)
// holds; the caller may take it as "nothing yet" and poll again, and the
// Tail keeps its place.
func (t *Tail) Poll() ([]Warning, error) {
	f, err := os.Open(t.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var warns []Warning
	switch {
	case t.p == nil:
		t.p = t.log.newParser(t.path)
	case !os.SameFile(t.fi, fi) || fi.Size() < t.off:
		t.off = 0
		t.p = t.log.newParser(t.path)
		warns = append(warns, Warning{t.path, 0, "truncated or replaced: reading it again from the start"})
	}
	t.fi = fi
	if fi.Size() == t.off {
		return warns, nil
	}
	if t.buf == nil {
		t.buf = make([]byte, 32<<10)
	}
	p := t.p
	p.warns = warns
	r := io.NewSectionReader(f, t.off, maxPollBytes)
	for {
		n, rerr := r.Read(t.buf)
		p.write(t.buf[:n])
		t.off += int64(n)
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				rerr = nil
			}
			err = rerr
			break
		}
	}
	p.commit()
	warns, p.warns = p.warns, nil
	return warns, err
}
