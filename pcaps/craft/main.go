// Command craft writes tlsscan's crafted and hostile test captures:
//
//	go run ./pcaps/craft -out pcaps
//
// writes pcaps/crafted/*, pcaps/hostile/* and pcaps/README.crafted.md,
// byte-identical on every run. The catalogue lives in package craftlib,
// built on internal/testkit, so that tests can make bigger captures at run
// time.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tlsscan/tlsscan/pcaps/craft/craftlib"
)

func main() {
	out := flag.String("out", "pcaps", "directory that receives crafted/, hostile/ and "+craftlib.ReadmeName)
	flag.Parse()
	if err := craftlib.WriteAll(*out); err != nil {
		fmt.Fprintln(os.Stderr, "craft:", err)
		os.Exit(1)
	}
}
