// Package capture is tlsscan's packet front end: it reads capture files
// (pcap, pcapng, optionally gzip-compressed) or a live interface, decodes
// link, network and TCP headers, and hands TCP segments to the reassembly
// layer. It also runs the pipeline that turns decided connections into
// report rows. It never prints; cmd/tlsscan owns the terminal.
package capture
