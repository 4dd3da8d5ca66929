// Command gen-registry writes tlsparse/registry_names.go from IANA's TLS
// registry CSV exports committed in tlsparse/internal/iana. It runs from
// the tlsparse directory, through the go:generate line in registry.go:
//
//	go generate ./tlsparse
//
// The spelling rules and the hand-written overrides are in
// tlsparse/internal/registrygen.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tlsscan/tlsscan/tlsparse/internal/registrygen"
)

func main() {
	dir := flag.String("iana", "internal/iana", "directory holding IANA's CSV files")
	out := flag.String("o", "registry_names.go", "file to write")
	flag.Parse()
	src, err := registrygen.Generate(os.DirFS(*dir))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-registry:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen-registry:", err)
		os.Exit(1)
	}
}
