package capture

import (
	"errors"
	"io"
	"time"
)

// Probe reports whether the file name is a capture tlsscan can read,
// judged by its content (the pcap or pcapng magic, under gzip too), not
// by its name: a directory of captures holds notes, key logs and
// half-written files too. It reads the first bytes only. A non-nil error
// is a *FileError; errors.Is(err, ErrNotCapture) tells a file that is
// not a capture (an empty one included) from one that cannot be read.
func Probe(name string) error {
	src, err := openFile(name, &buffers{size: probeBufferSize}, nil)
	if err != nil {
		return err
	}
	return src.close()
}

// Span is the extent in time of one capture file, for deciding whether
// files are pieces of one capture (a tcpdump -C or -G rotation set).
type Span struct {
	First, Last time.Time // capture times of its first and last packet records
	Packets     uint64    // records read
}

// ReadSpan reads the packet records of the file name, without decoding
// them, for the times of the first and last. Records are written in the
// order they were captured, so the last is read as the latest: reading a
// file whose clock jumped back gives the time of its last record. A file
// that ends in an error gives the span of the records before it, and the
// error; a file with no record gives a zero Span and no error.
func ReadSpan(name string) (Span, error) {
	var sp Span
	src, err := openFile(name, &buffers{size: readBufferSize}, nil)
	if err != nil {
		return sp, err
	}
	defer src.close()
	for {
		_, ci, _, err := src.next()
		if errors.Is(err, io.EOF) {
			return sp, nil
		}
		if err != nil {
			return sp, err
		}
		if sp.Packets == 0 {
			sp.First = ci.Timestamp
		}
		sp.Last = ci.Timestamp
		sp.Packets++
	}
}
