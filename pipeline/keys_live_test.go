package pipeline_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsscan/tlsscan/capture"
	"github.com/tlsscan/tlsscan/pipeline"
	"github.com/tlsscan/tlsscan/report"
)

// busySource is a live source that never pauses (no ErrNoPacket): it
// hands out a capture's packets, calling first before the first one.
type busySource struct {
	*capture.Files
	first func()
}

func (s *busySource) Next() (*capture.Segment, error) {
	if s.first != nil {
		s.first()
		s.first = nil
	}
	return s.Files.Next()
}

// TestKeyLogFollowedOnABusyLink: live with --keylog-wait 0 (no delay
// line), a key log the client writes after the run started is read as
// packets come, not only when the link is quiet.
func TestKeyLogFollowedOnABusyLink(t *testing.T) {
	dir := filepath.Join("..", "pcaps", "real", "keylog")
	keys, err := os.ReadFile(filepath.Join(dir, "tls13-mtls.keys"))
	if err != nil {
		t.Skipf("no key-log fixtures: %v", err)
	}
	keyFile := filepath.Join(t.TempDir(), "keys.txt")
	files, err := capture.OpenFiles([]string{filepath.Join(dir, "tls13-mtls.pcap")}, nil, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	src := &busySource{Files: files, first: func() {
		if err := os.WriteFile(keyFile, keys, 0o600); err != nil {
			t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond) // past the poll interval
	}}
	var out bytes.Buffer
	w := report.NewWriter(&out, report.FormatCSV, report.Options{Stream: true})
	if _, err := pipeline.Analyze(pipeline.Config{Stream: true, KeyLogs: []string{keyFile}}, src, w); err != nil {
		t.Fatal(err)
	}
	w.Close(&report.RunStats{})
	if !strings.Contains(out.String(), ",decrypted;") {
		t.Errorf("the key log was not read while packets came:\n%s", out.String())
	}
}
