//go:build linux && !(libpcap && cgo)

package capture

import (
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLiveFanoutRefused: a kernel that refuses afpacket's join (before
// Linux 5.10 it wants a 4-byte argument) gives an error that is
// ErrNoFanout, after a few ids, with every socket closed again: the
// caller reads one socket instead.
func TestLiveFanoutRefused(t *testing.T) {
	liveRequireRoot(t)
	joinRefused = unix.EINVAL
	defer func() { joinRefused = nil }()
	var before, after int
	var gerr error
	liveInNetns(t, true, func() error {
		count := func() int {
			b, err := os.ReadFile("/proc/net/packet")
			if err != nil {
				t.Fatal(err)
			}
			return strings.Count(string(b), "\n")
		}
		before = count()
		var group []*Live
		group, gerr = OpenLiveGroup(LiveOptions{Interface: "lo"}, 3)
		for _, l := range group {
			l.Close()
		}
		after = count()
		return nil
	})
	if !errors.Is(gerr, ErrNoFanout) || !errors.Is(gerr, unix.EINVAL) {
		t.Errorf("refused join: %v, want ErrNoFanout wrapping EINVAL", gerr)
	}
	if after != before {
		t.Errorf("%d packet sockets before, %d after a refused group", before, after)
	}
}
