//go:build !(libpcap && cgo)

package filter

import "golang.org/x/net/bpf"

// The default build: the static compiler only, no cgo.

const libpcapBuild = false

type engine struct{}

func finishParse(f *Filter, err error) (*Filter, error) {
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (engine) bpf(f *Filter, l Layout, snaplen int) ([]bpf.RawInstruction, error) {
	return f.compileStatic(l, snaplen)
}

func (engine) matchRaw(*Filter, []byte, int, Link) (bool, bool) { return false, false }
