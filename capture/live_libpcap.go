//go:build libpcap && cgo

package capture

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"

	"github.com/tlsscan/tlsscan/capture/filter"
)

// Live capture through libpcap (built with -tags libpcap and cgo): the same
// API on every system libpcap supports (Linux, macOS, the BSDs). libpcap
// chooses the link type (Ethernet; DLT_NULL on macOS and BSD loopback; Linux
// cooked SLL on "any"; raw IP on tunnels), compiles the filter's expression
// itself (filter.String(); the whole pcap-filter language in this build),
// attaches it so that no unfiltered packet gets through, and counts drops;
// the -w file gets the link type libpcap gives, as tcpdump would write.

const pcapBufferSize = 4 << 20

type liveHandle struct {
	h          *pcap.Handle
	iface      string
	rc, dc     counter32
	recv, drop uint64
}

func openHandle(name string, f *filter.Filter, snaplen int) (*liveHandle, liveInfo, error) {
	var info liveInfo
	promisc := name != "any"
	h, err := activate(name, snaplen, promisc)
	if promisc && isActivateWarning(err) {
		// PCAP_WARNING_PROMISC_NOTSUP and the like: try without.
		h, err = activate(name, snaplen, false)
	}
	if err != nil {
		return nil, info, activateError(name, err)
	}
	lh := &liveHandle{h: h, iface: name}
	link := linkTypeFromDLT(h.LinkType())
	if !supportedLink(link) {
		lh.close()
		return nil, info, fmt.Errorf("capturing on %s: %w", name, unsupportedLink(link))
	}
	if f != nil {
		if err := h.SetBPFFilter(f.String()); err != nil {
			lh.close()
			return nil, info, fmt.Errorf("capturing on %s: filter %q: %v", name, f.String(), err)
		}
	}
	info.link = link
	return lh, info, nil
}

func activate(name string, snaplen int, promisc bool) (*pcap.Handle, error) {
	ih, err := pcap.NewInactiveHandle(name)
	if err != nil {
		return nil, err
	}
	defer ih.CleanUp() // a no-op once activated
	if err := ih.SetSnapLen(snaplen); err != nil {
		return nil, err
	}
	if err := ih.SetPromisc(promisc); err != nil {
		return nil, err
	}
	// The timeout bounds both the wait for a packet (gopacket polls the
	// handle with it) and, on Linux, how long TPACKET_V3 holds a block.
	if err := ih.SetTimeout(livePoll); err != nil {
		return nil, err
	}
	if err := ih.SetBufferSize(pcapBufferSize); err != nil {
		return nil, err
	}
	return ih.Activate()
}

// isActivateWarning: pcap_activate returned a warning (a positive status),
// which gopacket reports as a failure.
func isActivateWarning(err error) bool {
	s := fmt.Sprint(err)
	return strings.HasPrefix(s, "Warning") || s == "Cannot set as promisc"
}

func activateError(name string, err error) error {
	switch s := fmt.Sprint(err); {
	case s == "No Such Device":
		return noSuchInterface(name)
	case s == "Permission Denied":
		return &PrivilegeError{Interface: name, Err: err}
	case s == "Interface Not Up":
		return fmt.Errorf("interface %q is down", name)
	case strings.Contains(s, "Operation not permitted") || strings.Contains(s, "ermission denied"):
		return &PrivilegeError{Interface: name, Err: err}
	case strings.Contains(s, "No such device") || strings.Contains(s, "doesn't exist"):
		return noSuchInterface(name)
	}
	return fmt.Errorf("capturing on %s: %v", name, err)
}

// linkTypeFromDLT maps the DLT_ value libpcap reports to the LINKTYPE_ value
// the decoder and pcap files use; they differ for raw IP (and for OpenBSD's
// loopback).
func linkTypeFromDLT(dlt layers.LinkType) layers.LinkType {
	switch {
	case runtime.GOOS == "openbsd" && dlt == 12: // DLT_LOOP
		return layers.LinkTypeLoop
	case runtime.GOOS == "openbsd" && dlt == 14, dlt == 12: // DLT_RAW
		return layers.LinkTypeRaw
	}
	return dlt
}

func (h *liveHandle) read() ([]byte, gopacket.CaptureInfo, error) {
	data, ci, err := h.h.ZeroCopyReadPacketData()
	switch {
	case err == nil:
		return data, ci, nil
	case err == pcap.NextErrorTimeoutExpired:
		return nil, ci, errPollTimeout
	case errors.Is(err, io.EOF):
		return nil, ci, fmt.Errorf("capturing on %s: the capture ended", h.iface)
	}
	return nil, ci, fmt.Errorf("capturing on %s: %v", h.iface, h.h.Error())
}

func (h *liveHandle) pollStats() {
	if h.h == nil {
		return
	}
	st, err := h.h.Stats()
	if err != nil {
		return
	}
	h.rc.update(uint32(st.PacketsReceived))
	h.dc.update(uint32(st.PacketsDropped))
	h.recv, h.drop = h.rc.total, h.dc.total
}

func (h *liveHandle) close() {
	if h.h != nil {
		h.h.Close()
		h.h = nil
	}
}

func (h *liveHandle) joinFanout(uint16) error { return ErrNoFanout }
func (h *liveHandle) resetStats()             {}

// HaveFanout: libpcap has no API for PACKET_FANOUT.
const HaveFanout = false
