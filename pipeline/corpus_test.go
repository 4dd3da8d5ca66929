package pipeline_test

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlsscan/tlsscan/internal/testkit"
	"github.com/tlsscan/tlsscan/pipeline"
	"github.com/tlsscan/tlsscan/report"
)

// corpusTimeout is how long one file may take before the test calls it a
// hang: the largest capture takes well under a second.
const corpusTimeout = 30 * time.Second

// TestCorpusNoPanic runs the whole pipeline over every file of the shared
// peer corpus and of the project's own fixtures (pcaps/): captures of all
// kinds, hostile ones included, and plenty of files that are no capture at
// all (JSON, logs, keys, Go source). None may panic or hang, and a file
// that is not a capture must come back as a FileError.
func TestCorpusNoPanic(t *testing.T) {
	var files []string
	walk := func(dir string) {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walking %s: %v", dir, err)
		}
	}
	if corpus := testkit.OptionalCorpus(t); corpus != "" {
		walk(corpus)
	} else {
		t.Log("../shared/corpus not present: shared part of the no-panic test skipped")
	}
	// The project's own fixtures live in pcaps/ at the module root.
	if own := filepath.Join(testkit.ModuleRoot(t), "pcaps"); isDir(own) {
		walk(own)
	}
	if len(files) == 0 {
		t.Skip("neither ../shared/corpus nor pcaps/ present: nothing to run")
	}

	// One goroutine per file, at most GOMAXPROCS at a time: each run is
	// single-threaded and CPU-bound, so more would only add contention.
	// The memory limit: the heap in use, sampled while the runs go on,
	// stays under the hostile test's cap for each run in flight.
	limit := uint64(heapCap) * uint64(runtime.GOMAXPROCS(0))
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	defer func() {
		close(stop)
		<-sampled
		if p := peak.Load(); p > limit {
			t.Errorf("heap in use reached %d MiB, limit %d MiB", p>>20, limit>>20)
		}
		t.Logf("peak heap in use %d MiB (limit %d MiB)", peak.Load()>>20, limit>>20)
	}()
	start := time.Now()
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for _, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := runWithTimeout(f, corpusTimeout); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d files in %v", len(files), time.Since(start).Round(time.Millisecond))
}

// runWithTimeout runs the pipeline over file in its own goroutine, as the
// command does (JSON with detail, so certificate names and the writer's
// escaping are exercised too), and turns a panic, a hang or a broken error
// contract into an error naming the file. A hung run cannot be stopped; its
// goroutine is left behind and dies with the test binary.
func runWithTimeout(file string, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("%s: panic: %v\n%s", file, p, debug.Stack())
			}
		}()
		done <- runOne(file)
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("%s: no result after %v (hang)", file, timeout)
	}
}

func runOne(file string) error {
	w := report.NewWriter(io.Discard, report.FormatJSON, report.Options{Summary: io.Discard})
	res, err := pipeline.Run(pipeline.Config{Files: []string{file}, Detail: true}, w)
	if err != nil {
		// Run only fails for unusable configurations or output errors; a
		// bad input file is a FileError in the result.
		return fmt.Errorf("%s: Run error: %v", file, err)
	}
	if err := w.Close(&res.Stats); err != nil {
		return fmt.Errorf("%s: Close: %v", file, err)
	}
	if res.Stats.Files == 0 && len(res.FileErrors) == 0 {
		return fmt.Errorf("%s: no capture header read and no FileError", file)
	}
	return nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
