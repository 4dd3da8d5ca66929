package pipeline

import (
	"crypto/x509"
	"io"
	"strings"
	"time"

	"github.com/tlsscan/tlsscan/capture"
	"github.com/tlsscan/tlsscan/keylog"
	"github.com/tlsscan/tlsscan/reassembly"
	"github.com/tlsscan/tlsscan/report"
)

// DefaultMaxConns is how many connections a run tracks at once unless
// Config.Reassembly.MaxConns says otherwise (--max-conns).
const DefaultMaxConns = reassembly.DefaultMaxConns

// DefaultMaxBuffered is the TLS parsers' buffer budget of a run unless
// Reassembly.MaxBuffered says otherwise (tlsscan --max-buffer).
const DefaultMaxBuffered = reassembly.DefaultMaxBuffered

// Config is one run.
type Config struct {
	Files []string  // capture files read as one capture ("-": Stdin); Run only
	Stdin io.Reader // what "-" reads
	// Capture tunes the packet front end (the -f filter).
	Capture capture.Options
	// Detail fills Row.Detail (JSON output): CertificateRequest contents
	// and certificate names, which cost a copy of every chain.
	Detail bool
	// Reassembly overrides the assembler's limits; zero means defaults.
	Reassembly reassembly.Options
	// Stream writes each row as soon as its connection is decided, in
	// decision order (live capture); otherwise rows come out sorted.
	Stream bool
	// MaxRows stops the run after that many rows (tlsscan -c); 0: no limit.
	MaxRows uint64
	// Stop ends the run when closed (a signal, live --duration):
	// connections still open are reported with what is known.
	Stop <-chan struct{}
	// Duration, reading files, stops each capture that long in capture
	// time after its first packet (--duration): the same file gives the
	// same rows however fast it is read. Live runs time out through Stop.
	Duration time.Duration
	// Workers shards connections over that many goroutines (-j); 0 or 1
	// runs everything in the caller's goroutine.
	Workers int
	// AutoWorkers says Workers is a default, not asked for: RunCaptures
	// then analyses a single capture that looks like bulk transfer with
	// one worker, where sharding would only cost (workers.go).
	AutoWorkers bool
	// Start is when the run began, for RunStats.Duration; zero means when
	// Run or Analyze was called.
	Start time.Time
	// KeyLogs are NSS key log files (--keylog): read whole before the
	// capture, or, live (Stream), followed as they grow. pcapng
	// Decryption Secrets Blocks in the input are read too (Run).
	KeyLogs []string
	// KeyWait is how long a live run with KeyLogs holds each packet so
	// that the key log can catch up (DefaultKeyWait); 0 does not wait.
	KeyWait time.Duration

	// Progress, if set, is counted into as the run goes (Progress).
	Progress *Progress

	// CARoots, if set, is the CA bundle (--ca-bundle) both chains of every
	// connection are verified to at its capture time (chain_invalid).
	CARoots *x509.CertPool

	keyLog *keylog.Log // the run's, set by analyze: every Conn's Keys
}

// UsageError is a configuration a run cannot start with (the command
// line's fault, not the input's).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return strings.TrimPrefix(e.Err.Error(), "capture: ") }
func (e *UsageError) Unwrap() error { return e.Err }

// Result is what a run leaves besides the rows it wrote.
type Result struct {
	Stats report.RunStats
	// FileErrors are the problems with input files, in the order met;
	// each names the file and, where it applies, the packet.
	FileErrors []*capture.FileError
}

// Run analyzes the capture files as one capture and writes one row per TLS
// connection to out, sorted by first packet time, then client address and
// port. A file error does not stop the run: the rows decided so far and
// the remaining files are still reported. The returned error is a failure
// to write, a source that cannot go on, or an unusable configuration
// (*UsageError); all but the last still leave a Result.
func Run(cfg Config, out report.Writer) (*Result, error) {
	if cfg.Start.IsZero() {
		cfg.Start = time.Now()
	}
	k, err := openKeys(cfg)
	if err != nil {
		return nil, err
	}
	return runFiles(cfg, out, k)
}

// runFiles is Run with the key logs read.
func runFiles(cfg Config, out report.Writer, k *keys) (*Result, error) {
	cfg.Capture.Secrets = k.secretsBlock
	src, err := capture.OpenFiles(cfg.Files, cfg.Stdin, cfg.Capture)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	defer src.Close()
	return analyze(cfg, src, out, k)
}

// Analyze runs the pipeline over any Source (files, an interface); the
// caller closes src. With cfg.Workers > 1 the connections are sharded over
// that many workers; the output is the same.
func Analyze(cfg Config, src capture.Source, out report.Writer) (*Result, error) {
	if cfg.Start.IsZero() {
		cfg.Start = time.Now()
	}
	k, err := openKeys(cfg)
	if err != nil {
		return nil, err
	}
	return analyze(cfg, src, out, k)
}

func analyze(cfg Config, src capture.Source, out report.Writer, k *keys) (*Result, error) {
	cfg.keyLog = k.log
	l := &loop{cfg: cfg, keys: k}
	l.sink = newRowSink(cfg, out)
	var be backend
	if cfg.Workers > 1 {
		sh := newSharded(cfg, l.sink)
		if r, ok := src.(capture.RawTCP); ok {
			r.RawTCP() // each worker decodes its own packets' TCP headers
		}
		k.sync = sh.barrier
		be = sh
	} else {
		be = newSerial(cfg, l.sink)
	}
	srcErr := l.run(src, be)
	asm := be.finish()
	res := &Result{FileErrors: l.fileErrors}
	res.Stats = runStats(cfg, src.Stats(), asm, l)
	if srcErr != nil {
		return res, srcErr
	}
	return res, l.sink.err
}

// runStats is where the run's statistics are put together: the front end's
// counters, the assemblers', and the loop's own (rows, tallies, warnings).
func runStats(cfg Config, cs capture.Stats, as reassembly.Stats, l *loop) report.RunStats {
	return report.RunStats{
		Files:          cs.Files,
		Packets:        cs.Packets,
		Bytes:          cs.Bytes,
		NonTCP:         cs.NonTCP,
		DecodeErrors:   cs.DecodeErrors,
		Live:           cs.Live,
		KernelReceived: cs.KernelReceived,
		KernelDropped:  cs.KernelDropped,
		TCPConns:       as.TCPConns,
		Evicted:        as.Evicted,
		IdleClosed:     as.Idle,
		Oversize:       as.Oversize,
		TLSConns:       l.sink.rows,
		Tally:          l.sink.tally,
		Warnings:       append(l.keys.msgs, l.warnings...),
		Duration:       time.Since(cfg.Start),
		Stopped:        l.stopped,
		StoppedAt:      l.at,

		SessionIDsForgotten: l.sink.sids.Forgotten,
	}
}
