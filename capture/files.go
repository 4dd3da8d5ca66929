package capture

import (
	"bufio"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/tlsscan/tlsscan/capture/filter"
)

// Options tunes OpenFiles.
type Options struct {
	// Filter keeps only the packets a tcpdump expression matches (-f),
	// as tcpdump does when reading a file; nil keeps everything.
	Filter *filter.Filter

	// Secrets, if set, receives the contents of each pcapng Decryption
	// Secrets Block: its Secrets Type (0x544c534b "TLSK" for an NSS key log,
	// as editcap --inject-secrets tls,keys.txt writes) and the secrets
	// without their padding. The blocks come in file order, each once, and
	// each before any packet after it is returned by Next, so that a
	// decrypting caller has the keys when the connection's packets arrive;
	// since files are read ahead, a block may come before some of the
	// packets that precede it, and a file that ends in an error may still
	// report blocks read ahead beyond it. Blocks of any size are reported,
	// also in gzip-compressed files and standard input; a malformed block
	// (secrets longer than the block) is not, and normally ends the file
	// with a *FileError when Next reaches it. The files opened briefly to
	// order them (see OpenFiles) report nothing then: a file's blocks come
	// when it is read; standard input, read once, reports while it is
	// ordered. data is valid only during the call, which must not call back
	// into Files.
	Secrets func(secretsType uint32, data []byte)
}

// Both buffer sizes must stay at least 4 KiB: pcapgo's readers call
// bufio.NewReader on what they are given, which returns a *bufio.Reader that
// large unchanged, so they read from our buffer and the record and block
// headers they are about to read can be peeked at first.
const (
	// readBufferSize is big enough that the file is read in few system
	// calls and the pcapng look-ahead almost always sees the next packet.
	readBufferSize = 1 << 20
	// probeBufferSize only has to reach the first packet of each file.
	probeBufferSize = 64 << 10
	// maxRecord is libpcap's MAXIMUM_SNAPLEN: no capture tool writes longer
	// records, so a longer length means a damaged or hostile file.
	maxRecord = 262144
	// maxTags and maxExtHeaders bound the header loops against crafted
	// packets; real traffic has at most two VLAN tags and a few extensions.
	maxTags       = 8
	maxExtHeaders = 16
)

// Files reads several capture files as one capture. It is not safe for
// concurrent use.
type Files struct {
	inputs  []input
	stdin   io.Reader
	ordered bool
	pos     int // next index in inputs
	cur     *source
	closed  bool
	stats   Stats
	secrets func(uint32, []byte) // Options.Secrets
	decoder

	// Buffers are reused from file to file: only standard input, which may
	// be opened while other files are probed, gets its own.
	bufs  buffers
	probe buffers
}

// buffers are the read buffers of one open file: raw over the file, dec over
// the decompressed stream, allocated when first needed.
type buffers struct {
	size     int
	raw, dec *bufio.Reader
}

func reader(b **bufio.Reader, r io.Reader, size int) *bufio.Reader {
	if *b == nil {
		*b = bufio.NewReaderSize(r, size)
	} else {
		(*b).Reset(r)
	}
	return *b
}

type input struct {
	name string
	// Standard input is opened when the files are ordered and kept open with
	// its first record read ahead, since it cannot be read twice.
	src     *source
	openErr error
	first   time.Time
	hasTime bool
}

// OpenFiles prepares to read names as ONE capture ("-" = standard input, at
// most once; a usage error otherwise). It does not fail on unreadable files:
// their errors come from Next in order.
//
// The files are read in the order of the timestamps of their first packets,
// not in command-line order: rotated captures (tcpdump -C/-G) given by a shell
// glob sort as x, x1, x10, x2, and a TLS connection spanning files must be
// seen in order. Files that have no readable first packet (empty, damaged,
// not a capture) keep their command-line position, and files with equal
// first timestamps keep their command-line order. Ordering opens each file
// briefly when Next is first called; with a single input nothing is probed.
func OpenFiles(names []string, stdin io.Reader, opts Options) (*Files, error) {
	if len(names) == 0 {
		return nil, errors.New("capture: no input files")
	}
	f := &Files{
		stdin:  stdin,
		inputs: make([]input, 0, len(names)),
		bufs:   buffers{size: readBufferSize},
		probe:  buffers{size: probeBufferSize},
	}
	f.filter = opts.Filter
	f.secrets = opts.Secrets
	sawStdin := false
	for _, name := range names {
		if name == "-" {
			if sawStdin {
				return nil, errors.New(`capture: standard input ("-") given more than once`)
			}
			if stdin == nil {
				return nil, errors.New(`capture: standard input ("-") given but not available`)
			}
			sawStdin = true
		}
		f.inputs = append(f.inputs, input{name: name})
	}
	return f, nil
}

var errClosed = errors.New("capture: Next called after Close")

// Next returns the next TCP segment, io.EOF after the last file, or a
// *FileError (after which calling Next continues with the next file).
func (f *Files) Next() (*Segment, error) {
	if f.closed {
		return nil, errClosed
	}
	if !f.ordered {
		f.ordered = true
		f.order()
	}
	for {
		if f.cur == nil {
			if f.pos >= len(f.inputs) {
				return nil, io.EOF
			}
			in := &f.inputs[f.pos]
			f.pos++
			src, err := f.openInput(in)
			if err != nil {
				return nil, err
			}
			f.stats.Files++
			f.cur = src
		}
		data, ci, link, err := f.cur.next()
		if err != nil {
			f.cur.close()
			f.cur = nil
			if err == io.EOF {
				continue
			}
			return nil, err
		}
		f.stats.Packets++
		f.stats.Bytes += uint64(ci.CaptureLength)
		// The filter: in a libpcap build, libpcap's program for the link
		// type decides on the raw packet, before decoding, as tcpdump -r
		// does; its verdict is final (Match knows nothing of an expression
		// outside the static subset). Otherwise (the static build, or a
		// link type libpcap cannot compile the expression for) the decoded
		// TCP segment is tested with Match. cur.big is the byte order of
		// the pcapng section as far as the look-ahead follows it (see
		// ngLookAhead); only a NULL program depends on it.
		decided := false
		if f.filter != nil {
			m, handled := f.filter.MatchRaw(data, ci.Length, filter.Link{Type: link, BigEndian: f.cur.big})
			if handled && !m {
				f.stats.Filtered++
				continue
			}
			decided = handled
		}
		v := f.decode(link, data, ci.CaptureLength < ci.Length)
		if v == isTCP && !decided && !f.matches() {
			f.stats.Filtered++
			continue
		}
		switch v {
		case isTCP:
			f.seg.CI = ci
			// pcapgo's AncillaryData aliases its reader state; nothing here
			// needs it and it would outlive the packet.
			f.seg.CI.AncillaryData = nil
			f.seg.File = f.cur.name
			f.seg.Packet = f.cur.packets
			return &f.seg, nil
		case notTCP:
			f.stats.NonTCP++
		default:
			f.stats.DecodeErrors++
		}
	}
}

// Stats returns the counters so far.
func (f *Files) Stats() Stats { return f.stats }

// Close closes the file being read. Standard input is left open: it is not
// ours.
func (f *Files) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	var err error
	if f.cur != nil {
		err = f.cur.close()
		f.cur = nil
	}
	for i := f.pos; i < len(f.inputs); i++ {
		if s := f.inputs[i].src; s != nil {
			s.close()
		}
	}
	return err
}

// order sorts the inputs by first timestamp; see OpenFiles.
func (f *Files) order() {
	if len(f.inputs) < 2 {
		return
	}
	var timed []int
	for i := range f.inputs {
		in := &f.inputs[i]
		if in.name == "-" {
			// Standard input reports its secrets now, as it is read ahead
			// and then read on from where it is.
			src, err := openSource("-", f.stdin, nil, &buffers{size: readBufferSize}, f.secrets)
			if err != nil {
				in.openErr = err
				continue
			}
			in.src = src
			src.readAhead()
			in.first, in.hasTime = src.ahead.ci.Timestamp, src.ahead.err == nil
		} else {
			in.first, in.hasTime = f.firstTimestamp(in.name)
		}
		if in.hasTime {
			timed = append(timed, i)
		}
	}
	sorted := make([]input, len(timed))
	for k, i := range timed {
		sorted[k] = f.inputs[i]
	}
	slices.SortStableFunc(sorted, func(a, b input) int { return a.first.Compare(b.first) })
	for k, i := range timed {
		f.inputs[i] = sorted[k]
	}
	f.probe = buffers{}
}

func (f *Files) firstTimestamp(name string) (time.Time, bool) {
	// Not reporting the secrets here: the file is opened again to be read.
	src, err := openFile(name, &f.probe, nil)
	if err != nil {
		return time.Time{}, false
	}
	defer src.close()
	_, ci, _, err := src.next()
	return ci.Timestamp, err == nil
}

func (f *Files) openInput(in *input) (*source, error) {
	if in.openErr != nil {
		return nil, in.openErr
	}
	if src := in.src; src != nil {
		in.src = nil
		return src, nil
	}
	if in.name == "-" {
		return openSource("-", f.stdin, nil, &f.bufs, f.secrets)
	}
	return openFile(in.name, &f.bufs, f.secrets)
}
