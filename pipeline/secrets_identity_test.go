package pipeline_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
)

// TestIdentitySecretsBlockLate: a pcapng whose Decryption Secrets Block
// comes after the connection it covers and after many other packets. The
// key log changes for every worker at once, so the sharded pipeline
// waits for its workers to catch up before it reads the block
// (sharded.barrier); otherwise -j 2 read the connection with keys that
// -j 1 did not have yet (a review found it).
func TestIdentitySecretsBlockLate(t *testing.T) {
	dir := filepath.Join("..", "pcaps", "real", "keylog")
	capData, err := os.ReadFile(filepath.Join(dir, "tls13-mtls.pcap"))
	if err != nil {
		t.Skipf("no key-log fixtures: %v", err)
	}
	keys, err := os.ReadFile(filepath.Join(dir, "tls13-mtls.keys"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(bytes.NewReader(capData))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	block := func(typ uint32, body []byte) {
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
		n := uint32(12 + len(body))
		binary.Write(&out, binary.LittleEndian, [2]uint32{typ, n})
		out.Write(body)
		binary.Write(&out, binary.LittleEndian, n)
	}
	le := binary.LittleEndian
	block(0x0A0D0D0A, le.AppendUint64(le.AppendUint32(le.AppendUint32(nil, 0x1A2B3C4D), 1), ^uint64(0)))
	block(1, le.AppendUint32(le.AppendUint32(nil, 1), 0)) // Ethernet, no snaplen
	epb := func(data []byte, ts uint64) {
		b := le.AppendUint32(nil, 0)
		b = le.AppendUint32(b, uint32(ts>>32))
		b = le.AppendUint32(b, uint32(ts))
		b = le.AppendUint32(b, uint32(len(data)))
		b = le.AppendUint32(b, uint32(len(data)))
		block(6, append(b, data...))
	}
	var conn [][]byte
	var stamps []uint64
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		conn = append(conn, data)
		stamps = append(stamps, uint64(ci.Timestamp.UnixMicro()))
	}
	connBytes := 0
	for _, d := range conn {
		connBytes += 32 + (len(d)+3)/4*4
	}
	// Filler before the connection (a bare ACK of another flow, again
	// and again), so that the connection ends just before the reader's
	// first 1 MiB and the secrets block just after it: the serial run
	// reads the connection whole before the block; the sharded one has
	// the connection's packets still in its workers' batches then.
	filler := bytes.Clone(conn[len(conn)-1])
	filler[len(filler)-20+1] ^= 0x55 // another source port: another flow
	for out.Len()+connBytes+32+len(filler) < 1<<20-64 {
		epb(filler, stamps[0]-1)
	}
	for i, d := range conn {
		epb(d, stamps[i])
	}
	for out.Len() < 1<<20+16 {
		epb(filler, stamps[len(stamps)-1])
	}
	body := le.AppendUint32(le.AppendUint32(nil, 0x544c534b), uint32(len(keys)))
	block(10, append(body, keys...))
	got := sameForEveryJ(t, "late secrets block", out.Bytes())
	if !strings.Contains(got, "TLSv1.3") {
		t.Fatalf("no TLS 1.3 row:\n%s", got)
	}
}
