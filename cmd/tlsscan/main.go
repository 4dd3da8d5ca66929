// Command tlsscan reports, for every TLS connection in capture files, whether
// the server asked for a client certificate and what the client answered,
// and whether and how the session was resumed. See README.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tlsscan/tlsscan/capture"
	"github.com/tlsscan/tlsscan/capture/filter"
	"github.com/tlsscan/tlsscan/pipeline"
	"github.com/tlsscan/tlsscan/report"
)

// Exit codes (README "Exit status").
const (
	exitOK    = 0
	exitError = 1 // an input file could not be fully read, or output failed
	exitUsage = 2 // bad flags or arguments
	// exitFailOn: a row matched --fail-on (and nothing else failed).
	exitFailOn = 3
)

const usage = `usage: tlsscan [flags] FILE|DIR...
       tlsscan -r FILE|DIR [-r FILE|DIR ...] [flags]
       tlsscan -i IFACE [flags]

Reports one row per TLS connection: found in pcap/pcapng capture files
(optionally gzip-compressed; "-" reads standard input; a directory is
walked for captures), or seen live on an interface, each row as soon as
its handshake is decided. Each capture file is analysed on its own, except
the pieces of a tcpdump -C/-G rotation set, which are one capture.

flags:
  -r FILE            read FILE (repeatable; same as naming it as an argument)
  --merge            read all the files named as one capture
  -i IFACE           capture live on IFACE ("any" for all interfaces)
  -f EXPR            tcpdump filter expression (kernel filter when live)
  -c N               stop after N TLS connections
  --duration D       stop after D (e.g. 30s, 5m): live, of wall time;
                     reading files, of capture time in each capture
  -w FILE            live: also write the captured packets to a pcap FILE
  -j N               analyze with N workers (default: number of CPUs, or
                     1 for a capture of a few long connections); the
                     output of files is the same for every N; live, N
                     sockets in a PACKET_FANOUT group (default at most 8;
                     one socket with -w or --keylog)
  --max-conns N      track at most N connections at once (default 100000,
                     about 1 KB each); past it the least recently active
                     are evicted and counted in the summary
  --max-memory SIZE  keep the whole process under about SIZE (at least
                     128M): sets --max-buffer and --max-conns (unless
                     given) from it; the default is about 226M
  --max-buffer SIZE  hold at most SIZE bytes of TLS records and handshake
                     messages over all connections (default 64M; K, M, G
                     are powers of 1024); a connection whose message does
                     not fit is flagged oversize and counted in the summary
  --keylog FILE      read TLS secrets from the NSS key log FILE
                     (SSLKEYLOGFILE; repeatable) to see inside TLS 1.3
                     handshakes and TLS 1.2 renegotiations; live, FILE is
                     read as it grows. pcapng secrets blocks are read
                     without it
  --keylog-wait D    live with --keylog: analyse each packet D after it
                     arrives (default 500ms), so that the key log written
                     during the handshake is read first
  --format FORMAT    table (default), csv, json (JSON lines), zeek
                     (Zeek's ssl.log; with -o DIR also x509.log), zeek-json
                     or parquet (needs -o FILE)
  --summary servers  also summarise per server (address, port, SNI):
                     client auth as observed, resumption, refusals, flags
  --summary-only     the server summary instead of the rows
  --summary-format F the server summary's format: table, csv or json
                     (default: table beside the run summary, the rows'
                     format with --summary-only)
  --ca-bundle FILE   PEM CA certificates: flag chain_invalid when a chain
                     does not verify to them at the connection's time
  --fail-on LIST     exit 3 when a row matches a term of LIST (after
                     writing every row): flag names and predicates like
                     client_cert=missing, 'version<TLSv1.2',
                     resumption=session_id (docs/audit.md)
  -o FILE            write the rows to FILE instead of standard output
                     (--format zeek: a directory for ssl.log and x509.log)
  -q                 no summary
  --version          print the version and exit
  -h, --help         print this help and exit

Ctrl-C (or SIGTERM) stops a live capture: open connections are reported
with what is known, then the summary.

Exit status: 0 success, 1 an input or output error (rows already decided
are still written), 2 usage error, 3 a row matched --fail-on.
`

// baseMemoryLimit is the soft memory limit of a run that holds nothing:
// the packet buffers, the row path and the Go runtime's own, measured on
// the benchmark captures (BENCHMARKS.md). What a run must keep on top of
// that (TLS buffers, tracked connections: pipeline.Progress.Held) is
// added as the run goes (followMemory).
const baseMemoryLimit = 48 << 20

// ownMemoryLimit is set when tlsscan, not GOMEMLIMIT, sets the limit.
var ownMemoryLimit bool

func main() {
	// tlsscan's live heap is a few MB, so with Go's default pacing the
	// collector runs constantly and its write barriers cost ~9% of a
	// handshake-heavy run. A lazier pace saves that; the soft limit makes
	// the collector work harder again as the heap nears it, keeping RSS
	// under the 64 MiB budget (BENCHMARKS.md). The limit is not a
	// constant: it follows what the run must keep (followMemory), so a
	// flood that fills the TLS buffer budget (--max-buffer) raises it
	// rather than make the collector run without end. GOGC and
	// GOMEMLIMIT, when set, win.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(baseMemoryLimit)
		ownMemoryLimit = true
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// minMaxMemory is the smallest --max-memory: the base and a little for
// each budget.
const minMaxMemory = 128 << 20

// connMemory is what a tracked connection costs in all (its stream, its
// TLS parser, gopacket's state), measured on the SYN and half-open floods
// (BENCHMARKS.md): README "Limits" says 1.2 KB.
const connMemory = 1200

// budgetsFor splits a --max-memory total: what is left after the base
// (baseMemoryLimit: buffers, the row path, the runtime) goes half to the
// TLS buffer budget (--max-buffer) and half to tracked connections
// (--max-conns at connMemory each). The defaults (64 MiB of buffers,
// 100,000 connections) add up to about 48 + 64 + 114 = 226 MiB.
func budgetsFor(total int64) (buffered int64, conns int) {
	share := (total - baseMemoryLimit) / 2
	return share, int(share / connMemory)
}

// withMaxMemory gives the budgets --max-memory total sets: its split
// (budgetsFor), except a budget whose own flag was given (set).
func withMaxMemory(total int64, set map[string]bool, buffered int64, conns int) (int64, int) {
	buf, n := budgetsFor(total)
	if !set["max-buffer"] {
		buffered = buf
	}
	if !set["max-conns"] {
		conns = n
	}
	return buffered, conns
}

// memoryLimitFor is the soft limit for a run holding held bytes: the base
// plus held, rounded down to 4 MiB steps so that small changes make no
// call.
func memoryLimitFor(held int64) int64 {
	return baseMemoryLimit + max(0, held)&^(4<<20-1)
}

// followMemory moves the soft memory limit with what the run holds, every
// quarter second, until stop is closed.
func followMemory(p *pipeline.Progress, stop <-chan struct{}) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	var set int64 = baseMemoryLimit
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if want := memoryLimitFor(p.Held.Load()); want != set {
				debug.SetMemoryLimit(want)
				set = want
			}
		}
	}
}

type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(s string) error { *f = append(*f, s); return nil }

// errorf prints one error line. Messages quote file names a directory
// walk found and text from key logs: report.Printable keeps their control
// bytes off the terminal.
func errorf(stderr io.Writer, format string, args ...any) {
	fmt.Fprintf(stderr, "tlsscan: error: %s\n", report.Printable(fmt.Sprintf(format, args...)))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tlsscan", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var files, keyLogs fileList
	fs.Var(&files, "r", "")
	fs.Var(&keyLogs, "keylog", "")
	keyWait := fs.Duration("keylog-wait", pipeline.DefaultKeyWait, "")
	format := fs.String("format", "table", "")
	outName := fs.String("o", "", "")
	quiet := fs.Bool("q", false, "")
	version := fs.Bool("version", false, "")
	help := fs.Bool("h", false, "")
	fs.BoolVar(help, "help", false, "")
	iface := fs.String("i", "", "")
	filterExpr := fs.String("f", "", "")
	count := fs.Uint64("c", 0, "")
	duration := fs.Duration("duration", 0, "")
	writeFile := fs.String("w", "", "")
	jobs := fs.Int("j", runtime.NumCPU(), "")
	maxConns := fs.Int("max-conns", pipeline.DefaultMaxConns, "")
	maxBuffer := fs.String("max-buffer", strconv.FormatInt(pipeline.DefaultMaxBuffered, 10), "")
	merge := fs.Bool("merge", false, "")
	maxMemory := fs.String("max-memory", "", "")
	summary := fs.String("summary", "", "")
	summaryFormat := fs.String("summary-format", "", "")
	summaryOnly := fs.Bool("summary-only", false, "")
	failOnList := fs.String("fail-on", "", "")
	caBundle := fs.String("ca-bundle", "", "")

	// Flags and file names may be interleaved, as with tcpdump and tshark.
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			errorf(stderr, "%s", flagError(err))
			fmt.Fprintf(stderr, "tlsscan: hint: run 'tlsscan -h' for usage\n")
			return exitUsage
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			files = append(files, rest...)
			break
		}
		files = append(files, rest[0])
		rest = rest[1:]
	}
	if *help {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if *version {
		fmt.Fprintf(stdout, "tlsscan %s\n", buildVersion())
		return exitOK
	}
	f, err := report.ParseFormat(*format)
	if err != nil {
		errorf(stderr, "%s", err)
		return exitUsage
	}
	var servers *report.Servers
	switch *summary {
	case "":
	case "servers":
		servers = report.NewServers()
	default:
		errorf(stderr, "--summary wants servers, not %q", *summary)
		return exitUsage
	}
	if servers == nil && (*summaryOnly || *summaryFormat != "") {
		errorf(stderr, "--summary-only and --summary-format go with --summary servers")
		return exitUsage
	}
	// The server summary is in the table format when it goes beside the
	// run summary, and in the rows' format when it replaces the rows.
	sf := report.FormatTable
	if *summaryOnly {
		sf = f
	}
	if *summaryFormat != "" {
		if sf, err = report.ParseFormat(*summaryFormat); err != nil {
			errorf(stderr, "--summary-format: %s", err)
			return exitUsage
		}
	}
	var failOn *report.FailOn
	if *failOnList != "" {
		if failOn, err = report.ParseFailOn(*failOnList); err != nil {
			errorf(stderr, "%s", err)
			return exitUsage
		}
	}
	live := *iface != ""
	switch {
	case live && len(files) > 0:
		errorf(stderr, "-i and capture files cannot be combined")
		return exitUsage
	case !live && len(files) == 0:
		errorf(stderr, "no capture file given")
		fmt.Fprintf(stderr, "tlsscan: hint: tlsscan FILE... (or -r FILE, or -i IFACE); run 'tlsscan -h' for usage\n")
		return exitUsage
	case !live && *writeFile != "":
		errorf(stderr, "-w needs a live capture (-i)")
		return exitUsage
	case live && *merge:
		errorf(stderr, "--merge joins capture files; -i reads an interface")
		return exitUsage
	}
	if *maxConns < 1 {
		errorf(stderr, "--max-conns wants a number of connections of at least 1")
		return exitUsage
	}
	maxBuffered, ok := parseSize(*maxBuffer)
	if !ok || maxBuffered < 1<<16 {
		errorf(stderr, "--max-buffer wants a size of at least 64K (e.g. 64M), not %q", *maxBuffer)
		return exitUsage
	}
	if *maxMemory != "" {
		total, ok := parseSize(*maxMemory)
		if !ok || total < minMaxMemory {
			errorf(stderr, "--max-memory wants a size of at least 128M, not %q", *maxMemory)
			return exitUsage
		}
		// One number for the whole process: the two budgets share what
		// the base leaves, unless a flag sets one of them.
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		maxBuffered, *maxConns = withMaxMemory(total, set, maxBuffered, *maxConns)
	}
	if *keyWait < 0 || *keyWait > time.Minute {
		errorf(stderr, "--keylog-wait wants a duration from 0 to 1m, not %v", *keyWait)
		return exitUsage
	}
	if *jobs < 1 {
		errorf(stderr, "-j wants a number of workers of at least 1")
		return exitUsage
	}
	flt, err := filter.Parse(*filterExpr)
	if err != nil {
		errorf(stderr, "%s", err)
		return exitUsage
	}
	if *filterExpr == "" {
		flt = nil
	}
	caRoots, err := loadCABundle(*caBundle)
	if err != nil {
		errorf(stderr, "%s", err)
		return exitUsage
	}

	zeek := f == report.FormatZeek || f == report.FormatZeekJSON
	toFile := *outName != "" && *outName != "-"
	if f == report.FormatParquet && (!toFile || live) {
		// A Parquet file is binary, and valid only once its footer is
		// written at the end: no terminal, no live capture.
		errorf(stderr, "--format parquet writes a file: give -o FILE, and read capture files (not -i)")
		return exitUsage
	}
	if *summaryFormat != "" && sf != report.FormatTable && sf != report.FormatCSV && sf != report.FormatJSON {
		errorf(stderr, "--summary-format wants table, csv or json")
		return exitUsage
	}

	var plan *pipeline.Plan
	inputErr := false // an input could not be read: exit status 1
	if !live {
		if plan, err = pipeline.PlanInputs(files, *merge); err != nil {
			errorf(stderr, "%s", err)
			if errors.As(err, new(*pipeline.UsageError)) {
				return exitUsage
			}
			return exitError
		}
		for _, err := range plan.Errors {
			errorf(stderr, "%s", err)
			inputErr = true
		}
		if len(plan.Captures) == 0 {
			return exitError // nothing to read: no table, no summary
		}
	}

	out := stdout
	var outFile *outputFile
	var zeekSSL, zeekX509 *outputFile // -o DIR with --format zeek, zeek-json
	if toFile && zeek {
		if zeekSSL, zeekX509, err = openZeekDir(*outName); err != nil {
			errorf(stderr, "%s", err)
			return exitError
		}
		defer zeekSSL.abort()
		defer zeekX509.abort()
		out = zeekSSL
	} else if toFile {
		// Written beside the report and renamed over it at the end, so a
		// run that fails leaves the last good report in place.
		outFile, err = createOutput(*outName)
		if err != nil {
			errorf(stderr, "%s", err)
			return exitError
		}
		defer outFile.abort()
		out = outFile
	}
	// A closed pipe (tlsscan ... | head) must surface as a write error we
	// report, not kill the process before the summary is decided.
	signal.Ignore(syscall.SIGPIPE)

	start := time.Now()
	opts := report.Options{Stream: live, Width: terminalWidth(out)}
	// Where the run summary goes: after the table, or on standard error
	// beside CSV and JSON rows. The server summary goes with it, unless
	// it replaces the rows (--summary-only).
	summaryTo := stderr
	if f == report.FormatTable {
		summaryTo = out
	}
	if !*quiet && servers == nil {
		opts.Summary = summaryTo
	}
	cfg := pipeline.Config{
		Files:   files,
		Stdin:   stdin,
		Capture: capture.Options{Filter: flt},
		// The formats that name certificates need the chains kept.
		Detail:  f == report.FormatJSON || zeek || f == report.FormatParquet,
		Stream:  live,
		MaxRows: *count,
		Workers: *jobs,
		// Without -j, a capture of a few long connections gets one
		// worker (pipeline/workers.go).
		AutoWorkers: !flagSet(fs, "j"),
		Start:       start,
		KeyLogs:     keyLogs,
		KeyWait:     *keyWait,
		CARoots:     caRoots,
	}
	cfg.Reassembly.MaxConns = *maxConns
	cfg.Reassembly.MaxBuffered = maxBuffered
	stop := make(chan struct{})
	var once sync.Once
	closeStop := func() { once.Do(func() { close(stop) }) }
	cfg.Stop = stop
	if *duration > 0 {
		if live {
			t := time.AfterFunc(*duration, closeStop)
			defer t.Stop()
		} else {
			cfg.Duration = *duration // capture time
		}
	}
	// The first Ctrl-C or SIGTERM ends the run cleanly (pending
	// connections and the summary are still written); a second one is the
	// user insisting, and gets the default behaviour back.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; ok {
			closeStop()
			signal.Stop(sigs)
		}
	}()

	cfg.Progress = &pipeline.Progress{}
	if ownMemoryLimit {
		memDone := make(chan struct{})
		defer close(memDone)
		go followMemory(cfg.Progress, memDone)
	}
	var progress *progressLine
	if !live && !*quiet {
		if progress = startProgress(stderr, cfg.Progress, inputSize(plan)); progress != nil {
			defer progress.end()
			if tty, ok := out.(*os.File); ok && terminalWidth(tty) > 0 {
				out = pausingWriter{w: out, pl: progress}
			}
		}
	}
	rowsTo := out
	if *summaryOnly {
		rowsTo = io.Discard
	}
	rw := report.NewWriter(rowsTo, f, opts)
	if zeekX509 != nil && !*summaryOnly {
		rw = report.NewZeekWriter(zeekSSL, zeekX509, f, opts)
	}
	aw := &auditWriter{Writer: rw, servers: servers, failOn: failOn, rowsToo: !*summaryOnly}
	var w report.Writer = aw
	var res *pipeline.Result
	var runErr error
	if live {
		srcs, note, err := openLive(cfg, capture.LiveOptions{Interface: *iface, Filter: flt, WriteFile: *writeFile})
		if err != nil {
			errorf(stderr, "%s", err)
			return exitError
		}
		if len(srcs) == 1 {
			res, runErr = pipeline.Analyze(cfg, srcs[0], w)
		} else {
			res, runErr = pipeline.AnalyzeGroup(cfg, srcs, w)
		}
		if res != nil && note != "" {
			res.Stats.Warnings = append(res.Stats.Warnings, note)
		}
		var closeErr error
		for _, src := range srcs {
			if err := src.Close(); err != nil && closeErr == nil {
				closeErr = err
			}
		}
		if closeErr != nil && runErr == nil {
			errorf(stderr, "%s", closeErr)
			return exitError
		}
	} else {
		res, runErr = pipeline.RunCaptures(cfg, plan.Captures, w)
		if res != nil {
			for _, sk := range plan.Skipped {
				res.Stats.Skipped = append(res.Stats.Skipped, fmt.Sprintf("%s: %d files", sk.Dir, sk.Files))
			}
		}
	}
	progress.end() // before errors and a summary on standard error
	code := exitOK
	if inputErr {
		code = exitError
	}
	// The file errors come after the rows (and their summary), where a
	// reader of the table looks for what is missing from it.
	if res != nil && len(res.FileErrors) > 0 {
		code = exitError
	}
	printFileErrors := func() {
		if res != nil {
			for _, fe := range res.FileErrors {
				errorf(stderr, "%s", fe)
			}
		}
	}
	var ue *pipeline.UsageError
	if errors.As(runErr, &ue) {
		errorf(stderr, "%s", runErr)
		return exitUsage
	}
	// Nothing could be read (every file missing or not a capture): the
	// errors say so, and an empty table or summary would only repeat it.
	if res != nil && res.Stats.Files == 0 && len(res.FileErrors) > 0 && runErr == nil {
		printFileErrors()
		return code
	}
	defer printFileErrors()
	var stats *report.RunStats
	if res != nil {
		stats = &res.Stats
	}
	if runErr == nil {
		runErr = w.Close(stats)
	} else {
		// The summary still goes out where it can: for csv and json it
		// is on standard error, which a closed stdout pipe leaves open.
		w.Close(stats)
	}
	if runErr != nil {
		// tlsscan ... | head: the reader has all it wanted. Like
		// tcpdump, end quietly and successfully.
		if errors.Is(runErr, syscall.EPIPE) && outFile == nil {
			return code
		}
		errorf(stderr, "writing output: %s", runErr)
		return exitError
	}
	if servers != nil {
		if err := writeSummaries(out, summaryTo, f, sf, *summaryOnly, *quiet, servers, stats); err != nil {
			if errors.Is(err, syscall.EPIPE) && outFile == nil {
				return code
			}
			errorf(stderr, "writing output: %s", err)
			return exitError
		}
	}
	if outFile != nil {
		if err := outFile.commit(); err != nil {
			errorf(stderr, "writing output: %s", err)
			return exitError
		}
	}
	if zeekSSL != nil {
		if err := commitZeekDir(zeekSSL, zeekX509); err != nil {
			errorf(stderr, "writing output: %s", err)
			return exitError
		}
	}
	// --fail-on: after every row is out. An input error (1) outranks
	// a match (3): the rows that could match are incomplete.
	for _, msg := range failOn.Messages() {
		fmt.Fprintf(stderr, "tlsscan: fail-on: %s\n", msg)
	}
	if failOn.Matched() > 0 && code == exitOK {
		return exitFailOn
	}
	return code
}

// writeSummaries writes the server summary, then the run summary (unless
// -q): with --summary-only the server summary is the output, in format sf;
// otherwise it goes where the run summary goes (after the table, or on
// standard error), in sf, each separated from what precedes it by a blank
// line in the table format.
func writeSummaries(out, summaryTo io.Writer, f, sf report.Format, only, quiet bool, servers *report.Servers, stats *report.RunStats) error {
	to := summaryTo
	if only {
		to = out
	} else if f == report.FormatTable {
		if _, err := io.WriteString(to, "\n"); err != nil {
			return err
		}
	}
	if err := servers.Write(to, sf); err != nil {
		return err
	}
	if quiet || stats == nil {
		return nil
	}
	if to == summaryTo && sf == report.FormatTable {
		if _, err := io.WriteString(summaryTo, "\n"); err != nil {
			return err
		}
	}
	return report.WriteSummary(summaryTo, stats)
}

// flagError rewords the flag package's errors in the GNU style users know:
// "unknown flag --x".
func flagError(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		dashes := "--"
		if len(name) == 1 {
			dashes = "-"
		}
		return "unknown flag " + dashes + name
	}
	return msg
}

// buildVersion is the module version and the commit it was built from:
// "v0.3.0" from go install MODULE@v0.3.0 (no commit is recorded then), or
// "devel (commit 1a2b3c4d5e6f, 2026-12-03T14:00:00Z)" from a checkout,
// with "modified" when the tree had uncommitted changes.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return versionOf(bi)
}

func versionOf(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, when string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v += " (commit " + rev
	if when != "" {
		v += ", " + when
	}
	if modified {
		v += ", modified"
	}
	return v + ")"
}

// parseSize reads a byte count with an optional K, M or G suffix (powers of
// 1024).
func parseSize(s string) (int64, bool) {
	mult := int64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'K', 'k':
			mult = 1 << 10
		case 'M', 'm':
			mult = 1 << 20
		case 'G', 'g':
			mult = 1 << 30
		}
		if mult > 1 {
			s = s[:n-1]
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 || v > (1<<62)/mult {
		return 0, false
	}
	return v * mult, true
}

// flagSet reports whether the command line gave the flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// openLive opens the interface. With -j N (N > 1) it is a fanout group of
// N sockets, a worker reading each (capture.OpenLiveGroup), unless
// something needs the packets from one reader: -w writes them in arrival
// order, and followed key logs hold every packet in one delay line.
// Without -j the group has at most maxAutoLanes sockets: each has a ring
// of its own in kernel memory. Where fanout cannot be had one socket is
// read and its packets dealt to the workers, as from a file: always in
// the libpcap build (README says so), and where the kernel refuses the
// group, which note tells the summary.
func openLive(cfg pipeline.Config, opts capture.LiveOptions) (srcs []capture.Source, note string, err error) {
	n := cfg.Workers
	if cfg.AutoWorkers {
		n = min(n, maxAutoLanes)
	}
	if n > 1 && opts.WriteFile == "" && len(cfg.KeyLogs) == 0 && capture.HaveFanout {
		group, err := capture.OpenLiveGroup(opts, n)
		if err == nil {
			for _, l := range group {
				srcs = append(srcs, l)
			}
			return srcs, "", nil
		}
		if !errors.Is(err, capture.ErrNoFanout) {
			return nil, "", err
		}
		note = fmt.Sprintf("%d workers read one socket, not a fanout group of %d (%v)", cfg.Workers, n, err)
	}
	l, err := capture.OpenLive(opts)
	if err != nil {
		return nil, "", err
	}
	return []capture.Source{l}, note, nil
}

// maxAutoLanes caps a live fanout group when -j is not given (it defaults
// to the CPUs): at most 8 sockets, 32 MiB of rings; -j N asks for more.
const maxAutoLanes = 8
