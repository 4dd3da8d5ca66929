package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tlsscan/tlsscan/capture"
	"github.com/tlsscan/tlsscan/reassembly"
)

// What a command line's names become (issue 11). Each capture is analysed
// on its own, as if tlsscan had been run once per capture: its own
// connections, its own session IDs, its rows sorted among themselves.
// Files are joined into one capture only when they are one: the pieces of
// a tcpdump rotation (Plan), or every file when the user says so (merge).
// Joining unrelated captures would pair packets of different networks
// into one connection table and link sessions across them.

// Capture is one capture to analyse: a file, or files joined as one.
type Capture struct {
	Files []string
	// Joined says why there is more than one file: "rotation" or "merge".
	Joined string
}

// Plan is what the names on a command line stand for.
type Plan struct {
	Captures []Capture
	// Skipped are the files found under named directories that are not
	// captures (by content), per directory: one summary line each.
	Skipped []Skipped
	// Errors are the named directories that hold no capture: input
	// errors like an unreadable file (exit status 1), which do not stop
	// the other inputs from being read.
	Errors []error
}

// Skipped counts the files under a named directory that are not captures.
type Skipped struct {
	Dir   string
	Files int
}

// maxRotationGap is the longest a rotation set's next file may start after
// the previous one ended and still be joined to it: the reassembly idle
// timeout. Past it no connection can span the two files anyway (it would
// have been closed as idle), so joining would change nothing but session
// linking, and two files that far apart are not known to be one capture.
const maxRotationGap = reassembly.DefaultIdleTimeout

// minTimeDigits is how many digits a name must carry for its digits to be
// read as a time (tcpdump -G names, written through strftime: %Y%m%d alone
// is 8; %s is 10). Fewer, like the 12 and 13 of tls12-x.pcap and
// tls13-x.pcap, are part of a name, not a clock.
const minTimeDigits = 8

// PlanInputs expands names into captures; a directory with no capture is
// an error in Plan.Errors, and the other names are still planned. A directory is walked
// recursively in lexical order and every regular file in it that is a
// capture by content is taken; the others are counted in Plan.Skipped. A
// named file is always taken (if it is not a capture, analysing it says
// so). With merge, all files are one capture; otherwise each file is its
// own capture except the pieces of a rotation set (see joinRotations),
// which become one at the place of the first of them. "-" (standard
// input) is always a capture of its own. The error is a *UsageError when
// the names cannot go together.
func PlanInputs(names []string, merge bool) (*Plan, error) {
	p := &Plan{}
	var files []string
	for _, name := range names {
		if name == "-" {
			if slices.Contains(files, "-") {
				return nil, &UsageError{Err: errors.New(`standard input ("-") given more than once`)}
			}
			files = append(files, name)
			continue
		}
		st, err := os.Stat(name)
		if err != nil || !st.IsDir() {
			files = append(files, name) // an error is reported when it is read
			continue
		}
		found, skipped, err := walkCaptures(name)
		if err != nil {
			p.Errors = append(p.Errors, err)
			continue
		}
		if skipped > 0 {
			p.Skipped = append(p.Skipped, Skipped{Dir: name, Files: skipped})
		}
		if len(found) == 0 {
			p.Errors = append(p.Errors, fmt.Errorf("%s: no capture files in this directory (%d other files skipped)", name, skipped))
			continue
		}
		files = append(files, found...)
	}
	if merge {
		if slices.Contains(files, "-") && len(files) > 1 {
			// OpenFiles would read it, but the same flag naming a
			// directory would silently mix a pipe into files.
			return nil, &UsageError{Err: errors.New(`--merge cannot join standard input ("-") with files`)}
		}
		p.Captures = []Capture{{Files: files, Joined: joinedBy(len(files), "merge")}}
		return p, nil
	}
	p.Captures = joinRotations(files)
	return p, nil
}

func joinedBy(n int, why string) string {
	if n < 2 {
		return ""
	}
	return why
}

// walkCaptures lists the captures under dir, in lexical order, and counts
// the other regular files. Symbolic links to files are followed, to
// directories not (as find does without -L: no cycles).
func walkCaptures(dir string) (found []string, skipped int, err error) {
	root := dir
	if fi, err := os.Lstat(dir); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		// A directory named through a link is walked: with a final
		// separator the root is the link's target (the paths still
		// start with the name as given).
		root = dir + string(filepath.Separator)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return err
			}
			// An unreadable subdirectory: its files are missing from
			// the audit, which must not pass unnoticed.
			found = append(found, path)
			return fs.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			st, err := os.Stat(path)
			if err != nil || !st.Mode().IsRegular() {
				skipped++
				return nil
			}
		} else if !d.Type().IsRegular() {
			skipped++ // sockets, FIFOs, devices: never read by a walk
			return nil
		}
		if err := capture.Probe(path); err != nil && errors.Is(err, capture.ErrNotCapture) {
			skipped++
			return nil
		}
		// A capture, or a file that cannot be read: the latter is
		// taken so that reading it reports the error.
		found = append(found, path)
		return nil
	})
	return found, skipped, err
}

// rotation is a file's place in a possible rotation set.
type rotation struct {
	key   string // the same for every file of the set
	index string // orders the set: digits, compared as numbers
	at    int    // position in the expanded file list
}

// rotationKeys gives the two ways tcpdump names the pieces of one capture
// (a trailing ".gz" from -z gzip is ignored):
//
//   - -C (size), with or without -W: the number goes after the whole -w
//     name: x.pcap, x.pcap1, x.pcap2 ... or x.pcap0, x.pcap1 ... (zero
//     padded with -W). Key: the name without its trailing digits.
//   - -G (time): the -w name is a strftime format, so the pieces differ
//     only in their digits: dump-20240102-1000.pcap. Key: the name with
//     every run of digits replaced by "#"; only names with at least
//     minTimeDigits digits.
func rotationKeys(path string) (size, timed rotation, sizeOK, timedOK bool) {
	dir, base := filepath.Split(path)
	base = strings.TrimSuffix(base, ".gz")
	stem := strings.TrimRightFunc(base, isDigit)
	if stem != "" {
		size = rotation{key: dir + stem, index: base[len(stem):]}
		sizeOK = true
	}
	var key strings.Builder
	var digits strings.Builder
	for i := 0; i < len(base); {
		if !isDigit(rune(base[i])) {
			key.WriteByte(base[i])
			i++
			continue
		}
		j := i
		for j < len(base) && isDigit(rune(base[j])) {
			j++
		}
		key.WriteByte('#')
		// Runs are joined with a separator so that 1-23 and 12-3 differ.
		if digits.Len() > 0 {
			digits.WriteByte('.')
		}
		digits.WriteString(base[i:j])
		i = j
	}
	n := 0
	for _, c := range base {
		if isDigit(c) {
			n++
		}
	}
	if n >= minTimeDigits {
		timed = rotation{key: dir + key.String(), index: digits.String()}
		timedOK = true
	}
	return
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// joinRotations makes captures of the expanded file list: a file is its
// own capture unless it is one piece of a rotation set, whose pieces
// (regular files named as rotationKeys says, taken in the order of their
// first packets) follow each other in time: each starts no earlier than
// the one before it ended and at most maxRotationGap after. A set whose chain breaks becomes several captures
// at the breaks. Only sets of two or more files with distinct indexes
// count, and the file times are read only for those.
func joinRotations(files []string) []Capture {
	type member struct {
		rotation
		name string
	}
	// Only regular files: a FIFO or a device can be read once, and the
	// span would read it.
	regular := make([]bool, len(files))
	for i, f := range files {
		st, err := os.Stat(f)
		regular[i] = f != "-" && err == nil && st.Mode().IsRegular()
	}
	group := func(keyOf func(string) (rotation, bool), take []bool) map[string][]member {
		sets := map[string][]member{}
		for i, f := range files {
			if !take[i] || !regular[i] {
				continue
			}
			if r, ok := keyOf(f); ok {
				r.at = i
				sets[r.key] = append(sets[r.key], member{r, f})
			}
		}
		for k, ms := range sets {
			if len(ms) < 2 || !distinctIndexes(ms, func(m member) string { return m.index }) {
				delete(sets, k)
			}
		}
		return sets
	}
	free := make([]bool, len(files))
	for i := range free {
		free[i] = true
	}
	bySize := group(func(f string) (rotation, bool) { r, _, ok, _ := rotationKeys(f); return r, ok }, free)
	for _, ms := range bySize {
		for _, m := range ms {
			free[m.at] = false
		}
	}
	byTime := group(func(f string) (rotation, bool) { _, r, _, ok := rotationKeys(f); return r, ok }, free)

	// chains: the joined captures, each at the position of its first file.
	joined := map[int]Capture{}
	inSet := make([]bool, len(files))
	for _, sets := range []map[string][]member{bySize, byTime} {
		for _, ms := range sets {
			// In time order, not number order: a -W ring that wrapped
			// around numbers its newest piece 0. A piece with no packet
			// (empty, or not a capture after all) stays alone, and
			// reading it reports what is wrong; a piece that ends in an
			// error (the last one, cut when tcpdump was killed) is
			// joined and ends the chain.
			type piece struct {
				member
				span capture.Span
				cut  bool
			}
			var ps []piece
			for _, m := range ms {
				sp, err := capture.ReadSpan(m.name)
				if sp.Packets > 0 {
					ps = append(ps, piece{m, sp, err != nil})
				}
			}
			slices.SortStableFunc(ps, func(a, b piece) int {
				if c := a.span.First.Compare(b.span.First); c != 0 {
					return c
				}
				return compareIndex(a.index, b.index)
			})
			var cur []member
			flush := func() {
				if len(cur) > 1 {
					names := make([]string, len(cur))
					first := cur[0].at
					for i, m := range cur {
						names[i] = m.name
						inSet[m.at] = true
						first = min(first, m.at)
					}
					joined[first] = Capture{Files: names, Joined: "rotation"}
				}
				cur = cur[:0]
			}
			for i, p := range ps {
				if len(cur) > 0 {
					prev := ps[i-1]
					if prev.cut || p.span.First.Before(prev.span.Last) || p.span.First.Sub(prev.span.Last) > maxRotationGap {
						flush()
					}
				}
				cur = append(cur, p.member)
			}
			flush()
		}
	}
	var caps []Capture
	for i, f := range files {
		if c, ok := joined[i]; ok {
			caps = append(caps, c)
			continue
		}
		if !inSet[i] {
			caps = append(caps, Capture{Files: []string{f}})
		}
	}
	return caps
}

func distinctIndexes[T any](ms []T, index func(T) string) bool {
	seen := map[string]bool{}
	for _, m := range ms {
		i := index(m)
		if seen[i] {
			return false
		}
		seen[i] = true
	}
	return true
}

// compareIndex orders rotation indexes: "" (tcpdump -C's first file, which
// has no number) first, then the digit runs as numbers, run by run.
func compareIndex(a, b string) int {
	if a == "" || b == "" {
		return strings.Compare(a, b)
	}
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		// As numbers of any length: without leading zeros, the
		// shorter is the smaller, and equal lengths compare as text.
		x, y := strings.TrimLeft(as[i], "0"), strings.TrimLeft(bs[i], "0")
		if c := cmp.Compare(len(x), len(y)); c != 0 {
			return c
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(as), len(bs))
}
