#!/usr/bin/env bash
# Makes tlsscan's benchmark captures from real OpenSSL traffic on a private
# loopback: its own network namespace, MTU 1500, segmentation and receive
# offloads off, so the capture holds wire-sized packets (1514 bytes at most).
# Adapted from ../shared/bench/make-corpus.sh; needs root, openssl, tcpdump,
# ethtool, iproute2 (and editcap/mergecap from tshark for BIG_REPEAT).
#
#   make-corpus.sh OUTDIR [SECONDS_PER_MIX] [BULK_MB]
#
# OUTDIR/handshakes.pcap  many short connections, SECONDS_PER_MIX (default 5)
#                         of each mix: TLS 1.2 full, TLS 1.2 session-ID
#                         resumption, TLS 1.2 ticket resumption, mutual TLS,
#                         CertificateRequest answered with an empty list,
#                         TLS 1.3 full, TLS 1.3 PSK resumption
# OUTDIR/handshakes.keys  its NSS key log, written by the servers
#                         (s_server -keylogfile; s_time has no such option),
#                         for the with-keys benchmark (--keylog)
# OUTDIR/bulk.pcap        8 connections (4 TLS 1.2 mutual auth, 4 TLS 1.3),
#                         each moving BULK_MB (default 128: about 1 GB in all)
#
# Environment:
#   BIG_REPEAT=N    also write OUTDIR/handshakes-xN.pcap and bulk-xN.pcap:
#                   the capture N times over, each copy's timestamps shifted
#                   past the end of the one before (plus the 5-minute idle
#                   timeout), so it reads as N times as many connections
#                   reusing the same 4-tuples. It is for showing memory
#                   independent of capture size; the script refuses if it
#                   would leave under 10 GiB free. BULK_MB=128 BIG_REPEAT=10
#                   makes a 10 GB file.
#   ONLY=handshakes|bulk|big   make just that one (big needs the other two)
#   RATE=2gbit      tbf rate limit on the namespace's lo while capturing
#                   bulk, so tcpdump keeps up (drops would create gaps,
#                   and after a gap a direction is not parsed any further);
#                   RATE=0 disables it
#
# Every server listens on port 443 (one loopback address per mix, 127.0.0.N)
# so that tshark and ssldump dissect TLS without port hints. The script
# prints the kernel drop count of each tcpdump run; it must be 0.
set -euo pipefail
out=${1:?usage: make-corpus.sh OUTDIR [SECONDS_PER_MIX] [BULK_MB]}
secs=${2:-5}; bulk_mb=${3:-128}
only=${ONLY:-}; repeat=${BIG_REPEAT:-0}; rate=${RATE:-2gbit}
[ "$(id -u)" = 0 ] || { echo "make-corpus.sh: needs root (network namespace)" >&2; exit 1; }
for t in openssl tcpdump ethtool ip; do
  command -v $t >/dev/null || { echo "make-corpus.sh: $t not found (apt-get install -y openssl tcpdump ethtool iproute2)" >&2; exit 1; }
done
mkdir -p "$out"; out=$(cd "$out" && pwd)
work=$(mktemp -d); ns=tlsbench$$
N="ip netns exec $ns"
tcpd=
cleanup() {
  # Only what this script started: the processes inside its own namespace.
  local -a p; mapfile -t p < <(ip netns pids $ns 2>/dev/null || true)
  if [ ${#p[@]} -gt 0 ]; then kill "${p[@]}" 2>/dev/null || true; fi
  sleep 0.3
  ip netns del $ns 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

big() { # make NAME-xN.pcap from NAME.pcap, for NAME in handshakes, bulk
  if ! command -v editcap >/dev/null || ! command -v mergecap >/dev/null || ! command -v capinfos >/dev/null; then
    echo "make-corpus.sh: BIG_REPEAT needs editcap, mergecap and capinfos (apt-get install -y tshark)" >&2; return 1
  fi
  local name src dst size need avail span shift parts i
  for name in handshakes bulk; do
    src=$out/$name.pcap dst=$out/$name-x$repeat.pcap
    [ -f "$src" ] || { echo "make-corpus.sh: $src missing" >&2; return 1; }
    [ -s "$dst" ] && continue
    size=$(stat -c %s "$src"); need=$((size * repeat))
    avail=$(df -B1 --output=avail "$out" | tail -1)
    if [ $((avail - need * 2)) -lt $((10 << 30)) ]; then
      echo "make-corpus.sh: $(basename "$dst") needs $((need >> 20)) MiB (twice that while it is made); only $((avail >> 20)) MiB free: not made" >&2
      return 1
    fi
    # Each copy starts after the previous one ends plus the 5-minute idle
    # timeout, so no connection of one copy is still open in the next.
    span=$(capinfos -u -T -r "$src" 2>/dev/null | awk -F'\t' '{printf "%d", $2 + 1}') || true
    shift=$((${span:-3600} + 600))
    parts=("$src")
    for ((i = 1; i < repeat; i++)); do
      editcap -t $((i * shift)) "$src" "$work/copy$i.pcap"
      parts+=("$work/copy$i.pcap")
    done
    mergecap -a -F pcap -w "$dst.tmp" "${parts[@]}"
    rm -f "$work"/copy*.pcap
    mv "$dst.tmp" "$dst"
    echo "$(basename "$dst"): $repeat copies of $(basename "$src"), $(stat -c %s "$dst") bytes"
  done
}
if [ "$only" = big ]; then big; exit; fi

ip netns add $ns
$N ip link set lo up
$N ip link set lo mtu 1500
$N ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || true
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 3650 -subj /CN=Bench-CA 2>/dev/null
for n in srv client; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $n.key -out $n.csr -subj /CN=$n.bench 2>/dev/null
  openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $n.pem -days 3650 2>/dev/null
done

keylog=() # set for the handshakes mixes: s_server's -keylogfile
serve() { # address, args...
  local a=$1; shift
  $N openssl s_server -accept "$a:443" -cert srv.pem -key srv.key -CAfile ca.pem -quiet -WWW "${keylog[@]}" "$@" </dev/null >/dev/null 2>&1 &
  local i
  for ((i = 0; i < 50; i++)); do # up to 5 s for the listener
    $N ss -Hltn "sport = :443" | grep -q "$a:443" && return
    sleep 0.1
  done
  echo "make-corpus.sh: s_server on $a:443 did not start" >&2; exit 1
}
capture() { # file
  $N tcpdump -i lo -U -B 131072 -s 0 -w "$1" tcp 2>"$work/tcpdump.err" & tcpd=$!
  sleep 1
}
endcapture() {
  sleep 1; kill -INT $tcpd; wait $tcpd 2>/dev/null || true
  local d; d=$(grep -o '[0-9]* packets dropped by kernel' "$work/tcpdump.err" || echo "? packets dropped by kernel")
  echo "$(basename "$1"): $(grep -o '[0-9]* packets captured' "$work/tcpdump.err"), $d"
  # Stop the servers before the next capture.
  local -a p; mapfile -t p < <(ip netns pids $ns | grep -vx "$$" || true)
  if [ ${#p[@]} -gt 0 ]; then kill "${p[@]}" 2>/dev/null || true; fi
  sleep 0.3
}
stime() { # address, args...
  $N timeout $((secs + 30)) openssl s_time -connect "$1:443" -CAfile ca.pem "${@:2}" >/dev/null 2>&1 || true
}

if [ -z "$only" ] || [ "$only" = handshakes ]; then
  rm -f "$out/handshakes.keys"
  keylog=(-keylogfile "$out/handshakes.keys") # appended to by each server
  capture "$out/handshakes.pcap"
  serve 127.0.0.1 -tls1_2 -no_ticket; stime 127.0.0.1 -new -time "$secs" -www /; stime 127.0.0.1 -reuse -time "$secs" -www /
  serve 127.0.0.2 -tls1_2;            stime 127.0.0.2 -reuse -time "$secs" -www /
  serve 127.0.0.3 -tls1_2 -Verify 2;  stime 127.0.0.3 -new -time "$secs" -www / -cert client.pem -key client.key
  serve 127.0.0.4 -tls1_2 -verify 2;  stime 127.0.0.4 -new -time "$secs" -www /
  serve 127.0.0.5 -tls1_3;            stime 127.0.0.5 -new -time "$secs" -www /; stime 127.0.0.5 -reuse -time "$secs" -www /
  endcapture "$out/handshakes.pcap"
  keylog=()
fi

if [ -z "$only" ] || [ "$only" = bulk ]; then
  head -c $((bulk_mb * 1024 * 1024)) /dev/urandom > big.bin
  if [ "$rate" != 0 ]; then
    $N tc qdisc add dev lo root tbf rate "$rate" burst 2mb latency 100ms
  fi
  t=$((bulk_mb / 8 + 60)) # seconds allowed per connection
  capture "$out/bulk.pcap"
  serve 127.0.0.10 -tls1_2 -Verify 2
  for i in 1 2 3 4; do
    printf 'GET /big.bin HTTP/1.0\r\n\r\n' | $N timeout $t openssl s_client -connect 127.0.0.10:443 -CAfile ca.pem -cert client.pem -key client.key -tls1_2 -ign_eof -quiet >/dev/null 2>&1 || true
  done
  serve 127.0.0.11 -tls1_3
  for i in 1 2 3 4; do
    printf 'GET /big.bin HTTP/1.0\r\n\r\n' | $N timeout $t openssl s_client -connect 127.0.0.11:443 -CAfile ca.pem -tls1_3 -ign_eof -quiet >/dev/null 2>&1 || true
  done
  endcapture "$out/bulk.pcap"
  rm -f big.bin
fi

if [ "$repeat" -gt 1 ] && [ -z "$only" ]; then big || true; fi
ls -l "$out"
