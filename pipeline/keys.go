package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tlsscan/tlsscan/capture"
	"github.com/tlsscan/tlsscan/keylog"
)

// Key logs (issue 10): the pipeline is where they are read, as capture
// files are; tlsparse only looks secrets up (tlsparse.Keys), and keylog
// holds them. Every connection is handed the same *keylog.Log; until a key
// log is given (a --keylog file, or a pcapng Decryption Secrets Block) it
// reads as no key log at all (keylog.Log.Given), so no row is flagged
// keys_missing for a log no one gave.

// tlsKeyLogSecrets is the pcapng Decryption Secrets Block type of an NSS
// key log ("TLSK").
const tlsKeyLogSecrets = 0x544c534b

// keyPollInterval is how often a live run reads what its key logs gained.
const keyPollInterval = 100 * time.Millisecond

// keys is a run's key log and where it comes from.
type keys struct {
	log      *keylog.Log
	tails    []*keylog.Tail // live: the --keylog files, read as they grow
	tailErr  []string       // the last error of each tail, warned once
	lastPoll time.Time
	msgs     []string // warnings, for the run's summary
	// sync, with -j > 1, waits for the workers to catch up with the
	// packets read so far before the key log changes (sharded.barrier).
	sync func()
	// progress gets what the key log holds (Progress.Held: the soft
	// memory limit must leave room for it); held is what it got last.
	progress *Progress
	held     int64
}

// noteHeld tells Progress what the key log holds now.
func (k *keys) noteHeld() { k.progress.heldNote(k.log.Bytes(), &k.held) }

// child is the keys of one capture of several: the --keylog secrets of k,
// and its own for the secrets blocks in its files (keylog.Log.Child).
func (k *keys) child() *keys {
	return &keys{log: k.log.Child(), progress: k.progress}
}

// release takes a capture's own secrets out of Progress.Held when the
// capture is done with them.
func (k *keys) release() { k.progress.heldNote(0, &k.held) }

// openKeys reads the offline key logs whole, or prepares to follow them
// live. A file that cannot be read offline is a *UsageError: the run would
// report every connection keys_missing.
func openKeys(cfg Config) (*keys, error) {
	k := &keys{log: keylog.New(), progress: cfg.Progress}
	for _, name := range cfg.KeyLogs {
		if cfg.Stream {
			k.tails = append(k.tails, k.log.Follow(name))
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return nil, &UsageError{Err: fmt.Errorf("key log: %w", err)}
		}
		ws, err := k.log.Read(f, name)
		f.Close()
		k.warnings(ws)
		if err != nil {
			return nil, &UsageError{Err: err}
		}
	}
	k.tailErr = make([]string, len(k.tails))
	k.poll(time.Time{})
	k.noteHeld()
	return k, nil
}

func (k *keys) warn(msg string) { k.msgs = append(k.msgs, msg) }

func (k *keys) warnings(ws []keylog.Warning) {
	for _, w := range ws {
		k.warn("key log " + w.Error())
	}
}

// secretsBlock takes a pcapng Decryption Secrets Block (capture.Options.Secrets).
func (k *keys) secretsBlock(typ uint32, data []byte) {
	if typ != tlsKeyLogSecrets {
		k.warn(fmt.Sprintf("pcapng decryption secrets block of type %#08x not read (only TLS key logs are)", typ))
		return
	}
	if k.sync != nil {
		k.sync()
	}
	k.warnings(k.log.ReadBytes(data, "in a pcapng decryption secrets block"))
	k.noteHeld()
}

// poll reads what the followed key logs gained, at most every
// keyPollInterval (a zero now polls at once). A file that does not exist
// yet is polled again later.
func (k *keys) poll(now time.Time) {
	if len(k.tails) == 0 || !now.IsZero() && now.Sub(k.lastPoll) < keyPollInterval {
		return
	}
	k.lastPoll = now
	for i, t := range k.tails {
		ws, err := t.Poll()
		k.warnings(ws)
		msg := ""
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			msg = fmt.Sprintf("key log: %v", err)
		}
		if msg != k.tailErr[i] && msg != "" {
			k.warn(msg)
		}
		k.tailErr[i] = msg
	}
	k.noteHeld()
}

// DefaultKeyWait is how long a live run with --keylog holds each packet
// before analysing it (Config.KeyWait): the time a client has to append a
// connection's secrets to its key log after sending the packets they
// protect. A connection whose secrets come later is reported without them
// (keys_missing).
const DefaultKeyWait = 500 * time.Millisecond

// maxDelayed and maxDelayedBytes bound what the delay line holds (packets,
// and their bytes: offloaded segments reach 64 KiB); past either the
// oldest go on at once, so a busy link costs bounded memory, not an
// unbounded queue.
const (
	maxDelayed      = 1 << 16
	maxDelayedBytes = 64 << 20
)

// delayLine holds live packets (copies: the source reuses its buffers)
// for wait before they are analysed, in arrival order.
type delayLine struct {
	wait  time.Duration
	q     []delayed
	head  int
	bytes int
}

type delayed struct {
	seg *capture.Segment
	at  time.Time
}

func (d *delayLine) push(seg *capture.Segment, now time.Time) {
	c := cloneSegment(seg)
	d.bytes += len(c.Raw)
	d.q = append(d.q, delayed{c, now})
}

// release hands on, in order, the packets held for wait by now (all of
// them with a zero now), and the oldest past maxDelayed.
func (d *delayLine) release(now time.Time, add func(*capture.Segment)) {
	for d.head < len(d.q) {
		e := d.q[d.head]
		if !now.IsZero() && now.Sub(e.at) < d.wait && len(d.q)-d.head <= maxDelayed && d.bytes <= maxDelayedBytes {
			break
		}
		d.q[d.head] = delayed{}
		d.head++
		d.bytes -= len(e.seg.Raw)
		add(e.seg)
	}
	if d.head == len(d.q) {
		d.q, d.head = d.q[:0], 0
	} else if d.head > len(d.q)/2 && d.head > 1024 {
		d.q = d.q[:copy(d.q, d.q[d.head:])]
		d.head = 0
	}
}

// cloneSegment copies what a Segment holds of the source's buffer: the
// TCP header and payload (Raw) are copied and decoded again from the copy,
// so that every slice the decoded header keeps (options, and the ports
// TransportFlow reads) points into the copy, not into the capture ring
// the next packets overwrite. The decode cannot fail: the capture checked
// what DecodeFromBytes checks (capture.RawTCP).
func cloneSegment(seg *capture.Segment) *capture.Segment {
	c := *seg
	c.Raw = bytes.Clone(rawTCP(seg))
	c.TCP = layers.TCP{}
	_ = c.TCP.DecodeFromBytes(c.Raw, gopacket.NilDecodeFeedback)
	return &c
}
