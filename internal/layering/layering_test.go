// Package layering holds the test that keeps tlsscan's packages in their
// layers (docs/design.md): each package may import only the project
// packages and outside modules listed for it here. A new import that is not
// listed fails the test; change the table and docs/design.md together.
package layering

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/tlsscan/tlsscan"

// allowed lists, per package of the program, the project packages it may
// import (relative to the module) and the outside modules (by prefix).
// Test files are not counted: tests may use any helper.
var allowed = map[string]struct {
	project  []string
	external []string
}{
	"cmd/tlsscan":    {project: []string{"pipeline", "capture", "capture/filter", "report"}, external: []string{"golang.org/x/term"}},
	"pipeline":       {project: []string{"capture", "keylog", "reassembly", "report"}, external: []string{"github.com/gopacket/gopacket"}},
	"capture":        {project: []string{"capture/filter"}, external: []string{"github.com/gopacket/gopacket", "golang.org/x/net/bpf", "golang.org/x/sys"}},
	"capture/filter": {external: []string{"github.com/gopacket/gopacket", "golang.org/x/net/bpf"}},
	"keylog":         {project: []string{"tlsparse"}},
	"reassembly":     {project: []string{"tlsparse"}, external: []string{"github.com/gopacket/gopacket"}},
	"report":         {project: []string{"tlsparse"}, external: []string{"github.com/olekukonko/tablewriter", "github.com/parquet-go/parquet-go"}},
	"tlsparse":       {external: []string{"golang.org/x/crypto/cryptobyte", "golang.org/x/crypto/chacha20poly1305", "github.com/pion/dtls/v4/pkg/crypto/ccm"}},
}

type pkg struct {
	ImportPath string
	Imports    []string
	Standard   bool
}

func list(t *testing.T, tags string, patterns ...string) []pkg {
	t.Helper()
	args := append([]string{"list", "-json=ImportPath,Imports,Standard"}, patterns...)
	if tags != "" {
		args = append([]string{"list", "-tags", tags, "-json=ImportPath,Imports,Standard"}, patterns...)
	}
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestLayers checks the import graph of the program's packages, in the
// default build and the libpcap build (whose files import more).
func TestLayers(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	// Which import paths are the standard library's.
	std := map[string]bool{}
	for _, p := range list(t, "", "std") {
		std[p.ImportPath] = true
	}
	for _, tags := range []string{"", "libpcap"} {
		seen := 0
		for _, p := range list(t, tags, module+"/...") {
			rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
			rule, ok := allowed[rel]
			if !ok {
				// bench tools, the fixture generator and test kits are
				// not part of the program.
				if !strings.HasPrefix(rel, "bench/") && !strings.HasPrefix(rel, "pcaps/") && !strings.HasPrefix(rel, "internal/") && !strings.HasPrefix(rel, "tlsparse/internal/") {
					t.Errorf("package %s is not in the layering table: add it here and to docs/design.md", rel)
				}
				continue
			}
			seen++
			for _, imp := range p.Imports {
				switch {
				case std[imp]:
				case imp == module+"/internal/testkit":
					t.Errorf("%s imports internal/testkit outside its tests: the kit is test scaffolding, not part of the program (tags %q)", rel, tags)
				case strings.HasPrefix(imp, module+"/"):
					if dep := strings.TrimPrefix(imp, module+"/"); !slices.Contains(rule.project, dep) {
						t.Errorf("%s imports %s, which its layer may not (tags %q)", rel, dep, tags)
					}
				default:
					if !slices.ContainsFunc(rule.external, func(prefix string) bool { return imp == prefix || strings.HasPrefix(imp, prefix+"/") }) {
						t.Errorf("%s imports %s, an outside module its layer may not use (tags %q)", rel, imp, tags)
					}
				}
			}
		}
		if seen != len(allowed) {
			t.Errorf("tags %q: found %d of the %d packages in the table", tags, seen, len(allowed))
		}
	}
}
