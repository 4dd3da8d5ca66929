package testkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ModuleRoot returns the directory holding tlsscan's go.mod, found by
// walking up from the working directory, so that a test finds the same
// files from whichever package directory it runs.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/tlsscan/tlsscan\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("module root (go.mod of github.com/tlsscan/tlsscan) not found above the working directory")
		}
		dir = parent
	}
}

// Corpus returns the path of sub inside ../shared/corpus (relative to the
// module root; see its README), and skips the test when the corpus is not
// there. Whether sub itself exists is the caller's to check.
func Corpus(t testing.TB, sub ...string) string {
	t.Helper()
	dir := OptionalCorpus(t, sub...)
	if dir == "" {
		t.Skipf("../shared/corpus not present (looked for %s): %s skipped", corpusRoot(t), t.Name())
	}
	return dir
}

// OptionalCorpus is Corpus for the tests that run a reduced set without
// the corpus: it returns "" instead of skipping.
func OptionalCorpus(t testing.TB, sub ...string) string {
	t.Helper()
	root := corpusRoot(t)
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return ""
	}
	return filepath.Join(append([]string{root}, sub...)...)
}

func corpusRoot(t testing.TB) string {
	t.Helper()
	return filepath.Join(filepath.Dir(ModuleRoot(t)), "shared", "corpus")
}
