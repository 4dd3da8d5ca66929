package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
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
			// $PANDAS is a python3 that has pandas, for the scripts that
			// check a spreadsheet user's reader gets the CSV right.
			e.Setenv("PANDAS", pandasPython())
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "pandas" {
				return pandasPython() != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

// pandasPython finds a python3 that can import pandas: the one on PATH
// (often a pyenv without it), else the system's, where Debian's
// python3-pandas installs it (.ci/run installs it).
var pandasPython = sync.OnceValue(func() string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", "import pandas").Run() == nil {
			return path
		}
	}
	return ""
})
