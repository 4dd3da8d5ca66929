package capture

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// FileError is a problem with one input file. Next returns it, then moves on
// to the next file: everything read before it stays valid.
type FileError struct {
	File   string
	Packet uint64 // packet number at which it happened, 0 if at open / file header
	Err    error
}

func (e *FileError) Error() string {
	if e.Packet == 0 {
		return e.File + ": " + e.Err.Error()
	}
	return fmt.Sprintf("%s: packet %d: %v", e.File, e.Packet, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Errors a FileError may wrap, for errors.Is.
var (
	ErrNotCapture = errors.New("not a pcap or pcapng file")
	// ErrTruncated matches every "the file ends early" error: mid-record,
	// mid-header, or a compressed stream that stops short.
	ErrTruncated = errors.New("truncated packet record (file ends mid-packet)")
)

// truncatedError is a "file ends early" error more specific than
// ErrTruncated, which it matches.
type truncatedError string

func (e truncatedError) Error() string        { return string(e) }
func (e truncatedError) Is(target error) bool { return target == ErrTruncated }

var (
	errEmpty           = fmt.Errorf("empty file: %w", ErrNotCapture)
	errHeaderTruncated = truncatedError("truncated file header")
	errBlockTruncated  = truncatedError("truncated pcapng block (file ends mid-block)")
	errGzipTruncated   = truncatedError("truncated gzip stream (file ends early)")
)

// gzipStream makes a truncated gzip stream distinct from the io.ErrUnexpectedEOF
// of a truncated record: NgReader turns the latter into a clean end of file
// when it comes at a block boundary.
type gzipStream struct{ z *gzip.Reader }

func (g gzipStream) Read(p []byte) (int, error) {
	n, err := g.z.Read(p)
	if err == io.ErrUnexpectedEOF {
		err = errGzipTruncated
	}
	return n, err
}

// streamError reports a short read: io.EOF and io.ErrUnexpectedEOF become
// trunc, anything else (an I/O or gzip error) is kept.
func streamError(err, trunc error) error {
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		return trunc
	}
	return osError(err)
}

// readerError words an error from pcapgo like ours: lower case, and the end
// of the data as a truncation.
func readerError(err, trunc error) error {
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return trunc
	case errors.Is(err, ErrTruncated):
		return err
	case err == pcapgo.ErrNgVersionMismatch:
		return fmt.Errorf("unsupported pcapng version: %w", err)
	}
	return lowerError{osError(err)}
}

type lowerError struct{ err error }

func (e lowerError) Error() string {
	msg := e.err.Error()
	if len(msg) > 1 && msg[0] >= 'A' && msg[0] <= 'Z' && msg[1] >= 'a' && msg[1] <= 'z' {
		return string(msg[0]+'a'-'A') + msg[1:]
	}
	return msg
}

func (e lowerError) Unwrap() error { return e.err }

// osError drops the path from an *fs.PathError: FileError names the file.
func osError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func recordTooLong(caplen, limit uint32) error {
	if limit == maxRecord {
		return fmt.Errorf("record length %d exceeds the %d-byte limit", caplen, limit)
	}
	return fmt.Errorf("record length %d exceeds the snaplen %d", caplen, limit)
}

func unsupportedLink(lt layers.LinkType) error {
	if name := lt.String(); name != "UnknownLinkType" {
		return fmt.Errorf("unsupported link type %d (%s)", uint16(lt), name)
	}
	return fmt.Errorf("unsupported link type %d", uint16(lt))
}
