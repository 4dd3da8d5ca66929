package tlsparse

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/tlsscan/tlsscan/tlsparse/internal/registrygen"
)

// TestRegistryNamesGenerated regenerates registry_names.go in memory from
// the committed IANA CSVs and compares: an edited CSV, generator or
// generated file that was not regenerated fails here.
func TestRegistryNamesGenerated(t *testing.T) {
	want, err := registrygen.Generate(os.DirFS("internal/iana"))
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	got, err := os.ReadFile("registry_names.go")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gotLines), len(wantLines)); i++ {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Fatalf("registry_names.go is stale (run go generate ./tlsparse): line %d is\n\t%q\nwant\n\t%q", i+1, g, w)
		}
	}
}

// TestRegistryNamesHeader checks the marker that tools (and reviewers) use
// to recognise the file as generated.
func TestRegistryNamesHeader(t *testing.T) {
	got, err := os.ReadFile("registry_names.go")
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(string(got), "\n"); first != registrygen.Header {
		t.Errorf("registry_names.go starts with %q, want %q", first, registrygen.Header)
	}
}
