// Package pipeline owns one run of tlsscan: packets from a capture.Source
// (files or an interface) go through reassembly, decided connections become
// report rows, and the rows go out in the output contract's order (or as
// soon as they are decided, when streaming). It holds what belongs to the
// run as a whole and to no layer: the loop, -c, stopping, -j sharding, the
// row order, and the run statistics, which it builds in one place.
//
// It is the only package besides cmd/tlsscan that imports capture,
// reassembly and report; it never prints.
package pipeline
