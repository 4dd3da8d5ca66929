// Command craft writes tlsscan's crafted and hostile test captures:
//
//	go run ./pcaps/craft -out pcaps
//
// writes pcaps/crafted/*, pcaps/hostile/* and pcaps/README.crafted.md,
// byte-identical on every run. The catalogue lives in package craftlib,
// built on internal/testkit, so that tests can make bigger captures at run
// time. The floods too big to commit are written on request, for the
// benchmarks (BENCHMARKS.md):
//
//	go run ./pcaps/craft -flood many-big-certs -n 1000 -o FILE   # 1 MB Certificate each, 1.1 GB
//	go run ./pcaps/craft -flood byte-segments -n 20000 -o FILE   # ClientHellos one byte per segment
//	go run ./pcaps/craft -flood half-open -n 200000 -o FILE      # partial ClientHellos, never closed
//	go run ./pcaps/craft -flood syn -n 1000000 -o FILE           # SYNs only
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tlsscan/tlsscan/pcaps/craft/craftlib"
)

func main() {
	out := flag.String("out", "pcaps", "directory that receives crafted/, hostile/ and "+craftlib.ReadmeName)
	flood := flag.String("flood", "", "write one flood instead: many-big-certs, byte-segments, half-open or syn")
	n := flag.Int("n", 1000, "the flood's number of connections")
	to := flag.String("o", "", "the flood's output file")
	flag.Parse()
	if *flood != "" {
		if err := writeFlood(*flood, *n, *to); err != nil {
			fmt.Fprintln(os.Stderr, "craft:", err)
			os.Exit(1)
		}
		return
	}
	if err := craftlib.WriteAll(*out); err != nil {
		fmt.Fprintln(os.Stderr, "craft:", err)
		os.Exit(1)
	}
}

func writeFlood(name string, n int, to string) error {
	gen := map[string]func(io.Writer, int) error{
		"many-big-certs": func(w io.Writer, n int) error { return craftlib.ManyBigCertificates(w, n, 1<<20) },
		"byte-segments":  craftlib.ByteSegments,
		"half-open":      craftlib.HalfOpen,
		"syn":            craftlib.SynFlood,
	}[name]
	if gen == nil || to == "" {
		return fmt.Errorf("-flood %q -o %q: want a known flood and an output file", name, to)
	}
	f, err := os.Create(to)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = gen(bw, n)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
