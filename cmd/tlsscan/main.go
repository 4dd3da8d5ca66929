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
)

const usage = `usage: tlsscan [flags] FILE...
       tlsscan -r FILE [-r FILE ...] [flags]
       tlsscan -i IFACE [flags]

Reports one row per TLS connection: found in pcap/pcapng capture files
(optionally gzip-compressed; "-" reads standard input; several files are
read as one capture, in the order of their first packet), or seen live on
an interface, each row as soon as its handshake is decided.

flags:
  -r FILE            read FILE (repeatable; same as naming it as an argument)
  -i IFACE           capture live on IFACE ("any" for all interfaces)
  -f EXPR            tcpdump filter expression (kernel filter when live)
  -c N               stop after N TLS connections
  --duration D       stop after D (e.g. 30s, 5m)
  -w FILE            live: also write the captured packets to a pcap FILE
  -j N               analyze with N workers (default: number of CPUs);
                     the output is the same for every N
  --max-conns N      track at most N connections at once (default 100000,
                     about 1 KB each); past it the least recently active
                     are evicted and counted in the summary
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
  --format FORMAT    table (default), csv or json (JSON lines)
  -o FILE            write the rows to FILE instead of standard output
  -q                 no summary
  --version          print the version and exit
  -h, --help         print this help and exit

Ctrl-C (or SIGTERM) stops a live capture: open connections are reported
with what is known, then the summary.

Exit status: 0 success, 1 an input or output error (rows already decided
are still written), 2 usage error.
`

func main() {
	// tlsscan's live heap is a few MB, so with Go's default pacing the
	// collector runs constantly and its write barriers cost ~9% of a
	// handshake-heavy run. A lazier pace saves that; the soft limit makes
	// the collector work harder again as the heap nears it, keeping RSS
	// under the 64 MiB budget (BENCHMARKS.md). A flood that fills the TLS
	// buffer budget (--max-buffer) takes the live heap past this soft
	// limit; the collector then runs often (at most half the CPU, by the
	// runtime's rule), which such a run pays in time rather than every
	// run paying it in memory (BENCHMARKS.md "Floods"). GOGC and
	// GOMEMLIMIT, when set, win.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(48 << 20)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(s string) error { *f = append(*f, s); return nil }

func errorf(stderr io.Writer, format string, args ...any) {
	fmt.Fprintf(stderr, "tlsscan: error: "+format+"\n", args...)
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

	// Flags and file names may be interleaved, as with tcpdump and tshark.
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			errorf(stderr, "%s", strings.TrimPrefix(err.Error(), "flag provided but not defined: "))
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

	out := stdout
	if *outName != "" && *outName != "-" {
		file, err := os.Create(*outName)
		if err != nil {
			errorf(stderr, "%s", err)
			return exitError
		}
		defer file.Close()
		out = file
	}
	// A closed pipe (tlsscan ... | head) must surface as a write error we
	// report, not kill the process before the summary is decided.
	signal.Ignore(syscall.SIGPIPE)

	start := time.Now()
	opts := report.Options{Stream: live}
	if !*quiet {
		if f == report.FormatTable {
			opts.Summary = out
		} else {
			opts.Summary = stderr
		}
	}
	cfg := pipeline.Config{
		Files:   files,
		Stdin:   stdin,
		Capture: capture.Options{Filter: flt},
		Detail:  f == report.FormatJSON,
		Stream:  live,
		MaxRows: *count,
		Workers: *jobs,
		Start:   start,
		KeyLogs: keyLogs,
		KeyWait: *keyWait,
	}
	cfg.Reassembly.MaxConns = *maxConns
	cfg.Reassembly.MaxBuffered = maxBuffered
	stop := make(chan struct{})
	var once sync.Once
	closeStop := func() { once.Do(func() { close(stop) }) }
	cfg.Stop = stop
	if *duration > 0 {
		t := time.AfterFunc(*duration, closeStop)
		defer t.Stop()
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

	w := report.NewWriter(out, f, opts)
	var res *pipeline.Result
	var runErr error
	if live {
		src, err := capture.OpenLive(capture.LiveOptions{Interface: *iface, Filter: flt, WriteFile: *writeFile})
		if err != nil {
			errorf(stderr, "%s", err)
			return exitError
		}
		res, runErr = pipeline.Analyze(cfg, src, w)
		if err := src.Close(); err != nil && runErr == nil {
			errorf(stderr, "%s", err)
			return exitError
		}
	} else {
		res, runErr = pipeline.Run(cfg, w)
	}
	code := exitOK
	if res != nil {
		for _, fe := range res.FileErrors {
			errorf(stderr, "%s", fe)
			code = exitError
		}
	}
	if runErr != nil {
		var ue *pipeline.UsageError
		if errors.As(runErr, &ue) {
			errorf(stderr, "%s", runErr)
			return exitUsage
		}
		errorf(stderr, "writing output: %s", runErr)
		// The summary still goes out where it can: for csv and json it
		// is on standard error, which a closed stdout pipe leaves open.
		if res != nil {
			w.Close(&res.Stats)
		}
		return exitError
	}
	if err := w.Close(&res.Stats); err != nil {
		errorf(stderr, "writing output: %s", err)
		return exitError
	}
	return code
}

func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
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
