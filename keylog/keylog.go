// Package keylog reads TLS key logs in the NSS key log format
// (SSLKEYLOGFILE), the format OpenSSL, Go, GnuTLS, NSS, curl and browsers
// write, and serves their secrets to tlsparse through tlsparse.Keys.
//
// It sits beside capture in the pipeline: reading files is I/O, so it is
// kept out of tlsparse, which only looks secrets up. It imports tlsparse
// (for the labels and the interface) and the standard library only. It
// never prints: malformed lines come back as Warnings for the caller to
// show, and nothing read from a file, least of all a secret, is echoed
// unescaped in one.
//
// # Format
//
// Each line is
//
//	LABEL <client_random: 64 hex digits> <secret: hex>
//
// with fields separated by spaces or tabs. Lines starting with '#' and
// blank lines are skipped; a CR before the line end and a UTF-8 byte order
// mark at the start of the first line are tolerated. The labels read are
// those of tlsparse.SecretLabel: CLIENT_RANDOM (a TLS <= 1.2 master secret,
// 48 bytes), CLIENT_EARLY_TRAFFIC_SECRET, CLIENT_HANDSHAKE_TRAFFIC_SECRET,
// SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_TRAFFIC_SECRET_0 and
// SERVER_TRAFFIC_SECRET_0 (TLS 1.3 secrets, 32 or 48 bytes: the length of
// the suite's hash). Other labels (EXPORTER_SECRET, RSA, ...) are ignored
// and counted. Any other line is malformed: a Warning naming the file and
// the line, never an error, and reading goes on.
//
// If several lines give a secret for the same label and client random, the
// last one read wins (and is counted in Stats.Replaced if it differs).
//
// # Ownership and concurrency
//
// A Log is safe for concurrent use: several Reads, a Tail's Polls and any
// number of Secret lookups may run at once. Secret returns the Log's own
// copy of a secret, which must not be modified (the tlsparse.Keys
// contract). There are no goroutines and no timers in the package: a Tail
// reads what a file gained only when its caller polls it.
package keylog

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"sync"

	"github.com/tlsscan/tlsscan/tlsparse"
)

// MaxEntries bounds the secrets one Log holds: one per label and client
// random, about 120 bytes each with the map's overhead, so some 120 MB at
// the bound. A TLS 1.3 connection logs four or five secrets, a TLS 1.2 one
// a single one, so the bound covers a few hundred thousand connections. A
// new entry past the bound is dropped (Stats.Dropped, and one Warning per
// Read or Tail); replacing a secret already held is always allowed.
const MaxEntries = 1_000_000

// MaxLineLen bounds a line, in bytes without its line end. The longest
// line that can be valid is 193 bytes (a 31-byte label, a 64-digit client
// random and a 96-digit secret); the bound keeps a file that is not a key
// log, or has no line ends, from being held in memory whole.
const MaxLineLen = 4096

// MaxWarnings bounds the warnings one Read or one Tail returns for
// malformed lines. After it, one more warning says the rest are only
// counted (Stats.Malformed), so a wrong file given as a key log costs
// neither memory nor a screenful of output.
const MaxWarnings = 100

// batchLen is how many entries a reader collects before taking the write
// lock, so that reading a large file does not hold lookups up for long.
const batchLen = 256

// randomLen is the length of a ClientHello random; maxSecretLen that of
// the longest secret (48 bytes: a master secret, or a SHA-384 suite's).
const (
	randomLen    = 32
	maxSecretLen = 48
)

// entryBytes is what a secret costs in memory besides its bytes: its map
// entry (key and span) with the map's overhead.
const entryBytes = 72

// key is what a secret is found by.
type key struct {
	label  tlsparse.SecretLabel
	random [randomLen]byte
}

// Log holds the secrets of one or more key logs. The zero value is an
// empty Log ready to use.
//
// The secrets' bytes are kept one after another in arena, and the map
// holds where: neither has a pointer in it, so the garbage collector
// never scans them. A key log of a busy capture holds a few hundred
// thousand secrets; as a map of slices it took the collector a third of
// a key-logged run. Replacing a secret appends its new bytes; bytes once
// written are never written again, and growth or compaction (store) moves
// the secrets to a new array: a slice Secret returned stays valid and
// unchanged.
type Log struct {
	mu      sync.RWMutex
	secrets map[key]span
	arena   []byte
	live    int // bytes of arena that secrets point to
	stats   Stats
	max     int // MaxEntries when 0; tests lower it
	sources int // key logs read or followed, empty ones included
	// reserved is the room made in the map for secrets to come (reserve):
	// Bytes counts it before they come.
	reserved int
	parent   *Log
}

var _ tlsparse.Keys = (*Log)(nil)

// span is where a secret's bytes are in a Log's arena.
type span struct {
	off uint32
	n   uint8
}

func (l *Log) bytesOf(s span) []byte {
	end := int(s.off) + int(s.n)
	return l.arena[s.off:end:end]
}

// Stats counts what a Log has read, over all its Reads and Tails.
type Stats struct {
	Lines     int64 // lines read, blank and comment lines included
	Accepted  int64 // lines that gave a secret
	Ignored   int64 // lines with a label tlsscan does not use
	Malformed int64 // lines that were not valid (each is a Warning, up to MaxWarnings)
	Replaced  int64 // accepted lines that changed a secret already held: the last one wins
	Dropped   int64 // accepted lines dropped because the Log held MaxEntries secrets
	Entries   int   // secrets held now
}

// New returns an empty Log.
func New() *Log { return &Log{} }

// Child returns an empty Log that also serves the secrets of l, which it
// never changes: what is read into the child is its own. A run of several
// captures reads the --keylog files once into l and gives each capture a
// child for the secrets blocks inside its files, so that a capture
// analysed alongside another never sees the other's secrets.
func (l *Log) Child() *Log { return &Log{parent: l} }

// Secret returns the secret logged under label for the connection whose
// ClientHello carried clientRandom, and reports whether there is one. The
// slice is the Log's own and must not be modified.
func (l *Log) Secret(label tlsparse.SecretLabel, clientRandom []byte) ([]byte, bool) {
	if len(clientRandom) != randomLen {
		return nil, false
	}
	k := key{label: label, random: [randomLen]byte(clientRandom)}
	l.mu.RLock()
	s, ok := l.secrets[k]
	var b []byte
	if ok {
		b = l.bytesOf(s)
	}
	l.mu.RUnlock()
	if !ok && l.parent != nil {
		return l.parent.Secret(label, clientRandom)
	}
	return b, ok
}

// Given reports whether any key log was read into l (by Read, ReadBytes or
// a Tail's first Poll), even an empty one: tlsparse flags a connection
// keys_missing only then (tlsparse.KeysGiven), so that a pipeline can hand
// every connection a Log that pcapng secrets blocks may still fill.
func (l *Log) Given() bool {
	l.mu.RLock()
	given := l.sources > 0
	l.mu.RUnlock()
	return given || l.parent != nil && l.parent.Given()
}

// Bytes is about how much memory the secrets held take (for a run's
// memory limit: pipeline counts it as held), the parent's not included.
func (l *Log) Bytes() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return int64(cap(l.arena)) + int64(max(len(l.secrets), l.reserved))*entryBytes
}

// Len returns the number of secrets held.
func (l *Log) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.secrets)
}

// Stats returns what the Log has read so far.
func (l *Log) Stats() Stats {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s := l.stats
	s.Entries = len(l.secrets)
	return s
}

// Read adds the secrets of the key log r to l. name is the file's name for
// warnings. Read may be called any number of times, once per key log file;
// a line without a final line end is read as a line. The error is r's
// (io.EOF is not an error); the secrets of the lines read before it are
// kept.
func (l *Log) Read(r io.Reader, name string) (warnings []Warning, err error) {
	p := l.newParser(name)
	if f, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			p.size = fi.Size()
		}
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		p.write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			p.commit()
			return p.warns, fmt.Errorf("reading key log %s: %w", name, err)
		}
	}
	p.flush()
	p.commit()
	return p.warns, nil
}

// ReadBytes adds the secrets of the key log text b to l, as Read does. It
// is for key logs that come inside another file, such as the payload of a
// pcapng Decryption Secrets Block of type 0x544c534b ("TLSK"); name says
// where the text came from, for warnings. l keeps no reference to b.
func (l *Log) ReadBytes(b []byte, name string) []Warning {
	p := l.newParser(name)
	p.size = int64(len(b))
	p.write(b)
	p.flush()
	p.commit()
	return p.warns
}

// reserve makes room for n secrets of about size bytes each in an empty
// Log: growing the map and the arena as the lines of a large key log came
// was a fifth of the time to read it (parser.commit says when). Bytes
// counts the room reserved.
func (l *Log) reserve(n, size int) {
	n = min(n, MaxEntries)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.secrets == nil && n > 0 {
		l.secrets = make(map[key]span, n)
		l.arena = make([]byte, 0, n*size)
		l.reserved = n
	}
}

// store appends a secret to the arena. Replaced secrets leave their old
// bytes behind; once those are more than the live ones and a MiB, the
// live ones are copied into a new arena (a slice returned earlier keeps
// the old array), so a key log that replaces one secret again and again
// cannot grow the arena without bound.
func (l *Log) store(secret []byte) span {
	if len(l.arena)+len(secret) > 2*l.live+1<<20 {
		arena := make([]byte, 0, l.live+1<<20)
		for k, s := range l.secrets {
			l.secrets[k] = span{off: uint32(len(arena)), n: s.n}
			arena = append(arena, l.bytesOf(s)...)
		}
		l.arena = arena
	}
	s := span{off: uint32(len(l.arena)), n: uint8(len(secret))}
	l.arena = append(l.arena, secret...)
	l.live += len(secret)
	return s
}

// add stores a batch of entries and counts what the parser saw. It
// returns the line of the first entry dropped for want of room, or 0.
func (l *Log) add(batch []entry, seen Stats) (droppedAt int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.secrets == nil {
		l.secrets = make(map[key]span)
	}
	max := l.max
	if max <= 0 {
		max = MaxEntries
	}
	for i := range batch {
		e := &batch[i]
		secret := e.secret[:e.n]
		if old, ok := l.secrets[e.key]; ok {
			if !bytes.Equal(l.bytesOf(old), secret) {
				// Never modify old in place: a lookup may hold it.
				l.live -= int(old.n)
				l.secrets[e.key] = l.store(secret)
				l.stats.Replaced++
			}
			continue
		}
		if len(l.secrets) >= max {
			l.stats.Dropped++
			if droppedAt == 0 {
				droppedAt = e.line
			}
			continue
		}
		l.secrets[e.key] = l.store(secret)
	}
	l.stats.Lines += seen.Lines
	l.stats.Accepted += seen.Accepted
	l.stats.Ignored += seen.Ignored
	l.stats.Malformed += seen.Malformed
	return droppedAt
}
