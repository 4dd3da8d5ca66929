//go:build !linux && !(libpcap && cgo)

package capture

import (
	"errors"

	"github.com/gopacket/gopacket"

	"github.com/tlsscan/tlsscan/capture/filter"
)

// Without Linux's AF_PACKET and without libpcap there is no way to capture:
// OpenLive fails, everything else is never reached.

var errNoLive = errors.New("live capture needs Linux, or a build with -tags libpcap")

type liveHandle struct{ recv, drop uint64 }

func openHandle(string, *filter.Filter, int) (*liveHandle, liveInfo, error) {
	return nil, liveInfo{}, errNoLive
}

func (h *liveHandle) read() ([]byte, gopacket.CaptureInfo, error) {
	return nil, gopacket.CaptureInfo{}, errNoLive
}

func (h *liveHandle) joinFanout(uint16) error { return ErrNoFanout }
func (h *liveHandle) pollStats()              {}
func (h *liveHandle) resetStats()             {}
func (h *liveHandle) close()                  {}

// HaveFanout: no live capture at all here.
const HaveFanout = false
