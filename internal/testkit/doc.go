// Package testkit is what tlsscan's tests share, and what the fixture
// generator (pcaps/craft) builds on. It is scaffolding outside the
// program's layers: the program's packages import it from their tests only
// (internal/layering checks that). Everything is deterministic: the same
// call gives the same bytes.
//
//   - Finding files (corpus.go): ModuleRoot, and Corpus or OptionalCorpus
//     for ../shared/corpus.
//   - Reading captures (read.go, decode.go): Read and ReadFile, over
//     gopacket's pcapgo, give a File of Packets; DecodeSegment takes a
//     packet down to TCP.
//   - Writing captures (write.go): Pcap and PcapWriter (classic pcap in
//     either byte order and resolution), Pcapng (as tools write it),
//     NGWriter (pcapng block by block, either byte order, wrong on purpose
//     if need be), Gzip and GzipStored; Capture holds framed packets.
//   - TCP conversations (tcp.go): Conn makes the three-way handshake, data
//     segments with correct sequence numbers and the close, and lets a
//     scenario drop, reorder, retransmit or overlap segments; Segment.Frame
//     serializes one with gopacket for Ethernet (optionally 802.1Q or
//     QinQ), raw IP or BSD null framing, checksums and lengths computed.
//   - TLS bytes (tls.go, handshake.go): records, handshake messages,
//     extensions, hellos and the SSLv2 ClientHello, with plain uint8 and
//     uint16 types: testkit does not import tlsparse, so tlsparse's own
//     tests can use it. Handshake produces whole SSLv3 to TLS 1.2 flights.
//   - RNG (rng.go): a counter-mode SHA-256 byte stream seeded by a label,
//     for every "random" byte (client randoms, keys, ISNs, ciphertext).
package testkit
