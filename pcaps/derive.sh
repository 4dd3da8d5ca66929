#!/usr/bin/env bash
# Derives fixtures from committed real captures with editcap (Debian:
# wireshark-common, installed with tshark). Run after make-real.sh:
#   pcaps/derive.sh
set -euo pipefail
cd "$(dirname "$0")"
command -v editcap >/dev/null || { echo "derive.sh: needs editcap (apt-get install -y tshark)" >&2; exit 1; }

# real/midstream-after-syn.pcap: tls12-mtls.pcap without its first three
# frames (SYN, SYN-ACK, ACK), as when a capture starts after the TCP
# handshake but before the TLS one: the row must be flagged partial and
# still carry every verdict, since the whole TLS handshake is there.
editcap real/tls12-mtls.pcap real/midstream-after-syn.pcap 1-3
