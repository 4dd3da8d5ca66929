package main

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
)

// -o FILE never destroys an earlier report unless the run succeeded.
func TestOutputReplacesOnlyOnSuccess(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "report.csv")
	if err := os.WriteFile(name, []byte("old report\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	pcap := filepath.Join("..", "..", "pcaps", "real", "tls12-mtls.pcap")

	// A run that fails (a directory with no capture): the report stays.
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	var out, errb strings.Builder
	if code := run([]string{"-o", name, "--format", "csv", empty}, strings.NewReader(""), &out, &errb); code != exitError {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	if b, _ := os.ReadFile(name); string(b) != "old report\n" {
		t.Errorf("a failed run changed the report: %q", b)
	}

	// The writes fail half way: the old report stays, no temporary file
	// is left.
	f, err := createOutput(name)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("half a new")
	f.abort()
	if b, _ := os.ReadFile(name); string(b) != "old report\n" {
		t.Errorf("an aborted output changed the report: %q", b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".report.csv.*")); len(left) != 0 {
		t.Errorf("temporary files left: %q", left)
	}

	// A good run replaces it, keeping its mode.
	if code := run([]string{"-q", "-o", name, "--format", "csv", pcap}, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	b, _ := os.ReadFile(name)
	if !strings.HasPrefix(string(b), "ts,") || strings.Count(string(b), "\n") != 2 {
		t.Errorf("report not replaced: %q", b)
	}
	if st, _ := os.Stat(name); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the old report's 0640", st.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".report.csv.*")); len(left) != 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

func TestVersionOf(t *testing.T) {
	for _, tc := range []struct {
		version  string
		settings map[string]string
		want     string
	}{
		{"v0.3.0", nil, "v0.3.0"},
		{"(devel)", map[string]string{"vcs.revision": "1a2b3c4d5e6f7a8b9c0d", "vcs.time": "2026-12-03T14:00:00Z", "vcs.modified": "false"},
			"devel (commit 1a2b3c4d5e6f, 2026-12-03T14:00:00Z)"},
		{"", map[string]string{"vcs.revision": "abc", "vcs.modified": "true"}, "devel (commit abc, modified)"},
	} {
		bi := &debug.BuildInfo{Main: debug.Module{Version: tc.version}}
		for k, v := range tc.settings {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: k, Value: v})
		}
		if got := versionOf(bi); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// -o through a link writes the link's target; -o onto something that is
// not a regular file writes into it, never replaces it; a new report gets
// the umask's mode.
func TestOutputSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join("..", "..", "pcaps", "real", "tls12-mtls.pcap")
	var out, errb strings.Builder
	runTo := func(name string) {
		t.Helper()
		if code := run([]string{"-q", "-o", name, "--format", "csv", pcap}, strings.NewReader(""), &out, &errb); code != exitOK {
			t.Fatalf("-o %s: exit %d, stderr %s", name, code, errb.String())
		}
	}
	real := filepath.Join(dir, "real.csv")
	os.WriteFile(real, []byte("old\n"), 0o600)
	link := filepath.Join(dir, "link.csv")
	os.Symlink("real.csv", link)
	runTo(link)
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", st.Mode(), err)
	}
	if b, _ := os.ReadFile(real); !strings.HasPrefix(string(b), "ts,") {
		t.Errorf("the link's target was not written: %q", b)
	}
	if st, _ := os.Stat(real); st.Mode().Perm() != 0o600 {
		t.Errorf("target mode %v, want its own 0600", st.Mode().Perm())
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err == nil {
		got := make(chan string, 1)
		go func() {
			b, _ := os.ReadFile(fifo) // the reader end, until tlsscan closes it
			got <- string(b)
		}()
		runTo(fifo)
		if b := <-got; !strings.HasPrefix(b, "ts,") {
			t.Errorf("FIFO reader got %q", b)
		}
		if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("the FIFO was replaced: %v %v", st.Mode(), err)
		}
	}

	old := syscall.Umask(0o077)
	runTo(filepath.Join(dir, "new.csv"))
	syscall.Umask(old)
	if st, _ := os.Stat(filepath.Join(dir, "new.csv")); st.Mode().Perm() != 0o600 {
		t.Errorf("new report mode %v under umask 077, want 0600", st.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(left) != 0 {
		t.Errorf("temporary files left: %q", left)
	}
}
