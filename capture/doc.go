// Package capture is tlsscan's packet front end: it reads capture files
// (pcap, pcapng, optionally gzip-compressed; several files as one capture)
// or a live interface, applies the -f filter, and decodes link, network and
// TCP headers into Segments. It ends there: reassembly, TLS and reporting
// are other layers' business, and it imports none of them. It never
// prints; cmd/tlsscan owns the terminal.
//
// Files by subject: segment.go (what it hands on: Segment, Source, Stats),
// files.go (several files as one capture), read.go (pcap and pcapng
// records), decode.go (link, IP and TCP headers), errors.go (FileError and
// the errors it wraps), live*.go (interfaces), filter/ (tcpdump
// expressions).
package capture
