package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

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
}

// openKeys reads the offline key logs whole, or prepares to follow them
// live. A file that cannot be read offline is a *UsageError: the run would
// report every connection keys_missing.
func openKeys(cfg Config) (*keys, error) {
	k := &keys{log: keylog.New()}
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
	k.warnings(k.log.ReadBytes(data, "in a pcapng decryption secrets block"))
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
}
