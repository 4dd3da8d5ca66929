package capture

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSourceNext measures one Next call: ns/op is per packet, and
// SetBytes makes MB/s the captured bytes read per second. The file is
// reopened at its end, which costs a few allocations per 20000 packets.
func BenchmarkSourceNext(b *testing.B) {
	for _, bf := range srcBenchFormats {
		b.Run(bf.name, func(b *testing.B) {
			frames := srcBenchFrames(b, 20000, bf.link)
			total := 0
			for _, fr := range frames {
				total += len(fr)
			}
			name := filepath.Join(b.TempDir(), "c")
			if err := os.WriteFile(name, bf.make(b, frames), 0o644); err != nil {
				b.Fatal(err)
			}
			reopen := func() *Files {
				f, err := OpenFiles([]string{name}, nil, Options{})
				if err != nil {
					b.Fatal(err)
				}
				return f
			}
			f := reopen()
			b.SetBytes(int64(total / len(frames)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				_, err := f.Next()
				if err == io.EOF {
					f.Close()
					f = reopen()
					_, err = f.Next()
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			f.Close()
		})
	}
}
