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
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/tlsscan/tlsscan/capture"
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

Reports one row per TLS connection found in pcap/pcapng capture files
(optionally gzip-compressed; "-" reads standard input). Several files are
read as one capture, in the order of their first packet.

flags:
  -r FILE            read FILE (repeatable; same as naming it as an argument)
  --format FORMAT    table (default), csv or json (JSON lines)
  -o FILE            write the rows to FILE instead of standard output
  -q                 no summary
  --version          print the version and exit
  -h, --help         print this help and exit

Exit status: 0 success, 1 an input or output error (rows already decided
are still written), 2 usage error.
`

func main() {
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
	var files fileList
	fs.Var(&files, "r", "")
	format := fs.String("format", "table", "")
	outName := fs.String("o", "", "")
	quiet := fs.Bool("q", false, "")
	version := fs.Bool("version", false, "")
	help := fs.Bool("h", false, "")
	fs.BoolVar(help, "help", false, "")

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
	if len(files) == 0 {
		errorf(stderr, "no capture file given")
		fmt.Fprintf(stderr, "tlsscan: hint: tlsscan FILE... (or -r FILE); run 'tlsscan -h' for usage\n")
		return exitUsage
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
	opts := report.Options{}
	if !*quiet {
		if f == report.FormatTable {
			opts.Summary = out
		} else {
			opts.Summary = stderr
		}
	}
	w := report.NewWriter(out, f, opts)
	res, runErr := capture.Run(capture.Config{
		Files:  files,
		Stdin:  stdin,
		Detail: f == report.FormatJSON,
	}, w)
	code := exitOK
	if res != nil {
		for _, fe := range res.FileErrors {
			errorf(stderr, "%s", fe)
			code = exitError
		}
	}
	if runErr != nil {
		var ue *capture.UsageError
		if errors.As(runErr, &ue) {
			errorf(stderr, "%s", runErr)
			return exitUsage
		}
		errorf(stderr, "writing output: %s", runErr)
		return exitError
	}
	res.Summary.Duration = time.Since(start)
	if err := w.Close(&res.Summary); err != nil {
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
