package testkit

import (
	"crypto/sha256"
	"encoding/binary"
)

// RNG is a deterministic byte stream: SHA-256(seed || counter) blocks. It is
// independent of the Go version (unlike math/rand's generators, whose streams
// are only promised per release), so committed captures never drift.
type RNG struct {
	seed [32]byte
	ctr  uint64
	buf  []byte
}

// NewRNG returns the stream for label; equal labels give equal streams.
func NewRNG(label string) *RNG {
	return &RNG{seed: sha256.Sum256([]byte("tlsscan-craft/" + label))}
}

// Read fills p; it never fails (it satisfies io.Reader for x509).
func (r *RNG) Read(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(r.buf) == 0 {
			var in [40]byte
			copy(in[:], r.seed[:])
			binary.BigEndian.PutUint64(in[32:], r.ctr)
			r.ctr++
			sum := sha256.Sum256(in[:])
			r.buf = sum[:]
		}
		c := copy(p, r.buf)
		r.buf = r.buf[c:]
		p = p[c:]
	}
	return n, nil
}

// Bytes returns n fresh bytes.
func (r *RNG) Bytes(n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	return b
}

// Uint32 returns 4 fresh bytes as a number.
func (r *RNG) Uint32() uint32 { return binary.BigEndian.Uint32(r.Bytes(4)) }

// Intn returns a number in [0, n). The modulo bias is irrelevant here.
func (r *RNG) Intn(n int) int {
	if n <= 0 {
		return 0
	}
	return int(binary.BigEndian.Uint64(r.Bytes(8)) % uint64(n))
}

// Range returns a number in [lo, hi].
func (r *RNG) Range(lo, hi int) int { return lo + r.Intn(hi-lo+1) }
