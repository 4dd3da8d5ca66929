package keylog

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsscan/tlsscan/tlsparse"
)

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func poll(t *testing.T, tail *Tail) []string {
	t.Helper()
	warns, err := tail.Poll()
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	var s []string
	for _, w := range warns {
		s = append(s, w.Error())
	}
	return s
}

func has(t *testing.T, l *Log, label tlsparse.SecretLabel, random, secret string) bool {
	t.Helper()
	s, ok := l.Secret(label, unhex(t, random))
	return ok && string(s) == string(unhex(t, secret))
}

func TestTail(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.txt")
	l := New()
	tail := l.Follow(path)

	// No file yet: an error the caller can recognise, and no harm done.
	if _, err := tail.Poll(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Poll before the file exists: %v", err)
	}

	line1 := "CLIENT_HANDSHAKE_TRAFFIC_SECRET " + cr1 + " " + sec32 + "\n"
	line2 := "CLIENT_RANDOM " + cr2 + " " + sec48 + "\r\n"
	appendFile(t, path, "# a comment\n"+line1)
	if w := poll(t, tail); w != nil {
		t.Errorf("warnings %v", w)
	}
	if !has(t, l, tlsparse.SecretClientHandshakeTraffic, cr1, sec32) {
		t.Fatal("first line not read")
	}
	if w := poll(t, tail); w != nil { // nothing new
		t.Errorf("warnings %v", w)
	}

	// A line split across two appends is read when its end arrives.
	appendFile(t, path, line2[:30])
	poll(t, tail)
	if l.Len() != 1 {
		t.Fatal("half a line was read")
	}
	appendFile(t, path, line2[30:])
	poll(t, tail)
	if !has(t, l, tlsparse.SecretMaster, cr2, sec48) {
		t.Fatal("split line not read")
	}

	// A malformed line names its line in the file, counted across Polls.
	appendFile(t, path, "junk\n")
	if w := poll(t, tail); strings.Join(w, "|") != path+`:4: not a key log line: "junk"` {
		t.Errorf("warnings %q", w)
	}

	// Truncated (copy-truncate rotation): read again from the start; the
	// secrets already read stay.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, "oops\nCLIENT_TRAFFIC_SECRET_0 "+cr1+" "+sec32+"\n")
	want := path + ": truncated or replaced: reading it again from the start|" + path + `:1: not a key log line: "oops"`
	if w := poll(t, tail); strings.Join(w, "|") != want {
		t.Errorf("after truncation: warnings %q, want %q", w, want)
	}
	if !has(t, l, tlsparse.SecretClientTraffic0, cr1, sec32) || !has(t, l, tlsparse.SecretMaster, cr2, sec48) {
		t.Fatal("after truncation: secrets missing")
	}

	// Replaced by a rename (rotation), with a partial line pending: the
	// partial line is dropped with the old file.
	appendFile(t, path, "SERVER_TRAFFIC_SECRET_0 "+cr1)
	poll(t, tail)
	next := filepath.Join(dir, "keys.new")
	long := "SERVER_TRAFFIC_SECRET_0 " + cr2 + " " + sec48 + "\n" + strings.Repeat("# padding\n", 20)
	appendFile(t, next, long)
	if err := os.Rename(next, path); err != nil {
		t.Fatal(err)
	}
	if w := poll(t, tail); len(w) != 1 || !strings.Contains(w[0], "replaced") {
		t.Errorf("after rotation: warnings %q", w)
	}
	if !has(t, l, tlsparse.SecretServerTraffic0, cr2, sec48) {
		t.Fatal("after rotation: new file not read")
	}
	if _, ok := l.Secret(tlsparse.SecretServerTraffic0, unhex(t, cr1)); ok {
		t.Fatal("the old file's partial line was read")
	}

	// Removed: an error, and the Tail keeps its place.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := tail.Poll(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Poll after removal: %v", err)
	}
	st := l.Stats()
	if st.Malformed != 2 || st.Entries != 4 {
		t.Errorf("stats %+v", st)
	}
}

// TestTailLongLine checks a line that grows past MaxLineLen over several
// Polls is skipped up to its end, and the next line is read.
func TestTailLongLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.txt")
	l := New()
	tail := l.Follow(path)
	for range 3 {
		appendFile(t, path, strings.Repeat("x", MaxLineLen/2))
		if w := poll(t, tail); w != nil {
			t.Fatalf("warning before the line ended: %v", w)
		}
	}
	appendFile(t, path, "\nCLIENT_RANDOM "+cr1+" "+sec48+"\n")
	if w := poll(t, tail); strings.Join(w, "|") != path+":1: line longer than 4096 bytes" {
		t.Errorf("warnings %q", w)
	}
	if !has(t, l, tlsparse.SecretMaster, cr1, sec48) {
		t.Error("line after the long one not read")
	}
}

// TestTailBounded checks one Poll reads at most maxPollBytes and the next
// one goes on.
func TestTailBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.txt")
	line := "CLIENT_RANDOM " + cr1 + " " + sec48 + "\n"
	appendFile(t, path, strings.Repeat("# "+strings.Repeat("-", 1021)+"\n", maxPollBytes/1024)+line)
	l := New()
	tail := l.Follow(path)
	poll(t, tail)
	if l.Len() != 0 || l.Stats().Lines != maxPollBytes/1024 {
		t.Fatalf("first Poll: %+v", l.Stats())
	}
	poll(t, tail)
	if l.Len() != 1 {
		t.Fatalf("second Poll: %+v", l.Stats())
	}
}
