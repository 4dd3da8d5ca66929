//go:build linux && !(libpcap && cgo)

package capture

import "testing"

// TestLiveTPacketV2 is TestLiveLoopback over the TPACKET_V2 fallback; only
// the AF_PACKET build has the switch (libpcap picks the ring version itself).
func TestLiveTPacketV2(t *testing.T) {
	liveRequireRoot(t)
	tpacketV2Only = true
	defer func() { tpacketV2Only = false }()
	liveLoopback(t, true)
}
