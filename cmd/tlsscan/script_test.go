package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The CLI is tested end to end as scripts (testdata/script/*.txtar), the way
// age tests its commands: each script runs the real tlsscan entry point in a
// fresh directory and compares stdout, stderr and the exit status.

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tlsscan": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

var updateScripts = flag.Bool("update-scripts", false, "rewrite the testscript files' expected output (review the diff)")

func TestScript(t *testing.T) {
	pcaps, err := filepath.Abs("../../pcaps")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *updateScripts,
		Setup: func(e *testscript.Env) error {
			// $PCAPS is the project's fixture directory, read-only input.
			e.Setenv("PCAPS", pcaps)
			// $ROOT is the repository, for scripts that name fixtures
			// the way the golden files' file column spells them.
			e.Setenv("ROOT", filepath.Dir(pcaps))
			return nil
		},
	})
}
