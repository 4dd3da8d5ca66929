#!/usr/bin/env bash
# port-reuse.sh - make pcaps/real/port-reuse-rst.pcap: a real Linux client
# resets TCP connections (SO_LINGER {1,0}: an abortive close, a RST) and
# reconnects at once from the same source port, to a real TLS server.
#
# Usage: sudo pcaps/peers/port-reuse.sh [OUT]   (default OUT: pcaps/real/port-reuse-rst.pcap)
#
# Two private network namespaces made here and deleted on exit
# (tlsscan-reuse-srv 10.201.77.1, tlsscan-reuse-cli 10.201.77.2, a veth
# pair, offloads off); nothing else is contacted. The server is
# `openssl s_server -tls1_2 -www` on 10.201.77.1:8443 with pcaps/certs'
# server chain; the client is python3's socket and ssl modules, bound to
# 10.201.77.2:40443 with SO_REUSEADDR, in this order:
#   1. connect, then close with SO_LINGER {1,0} before any TLS: SYN,
#      SYN-ACK, ACK, RST;
#   2. connect again from port 40443 (a new SYN, a new ISN), TLS handshake,
#      GET /, then SO_LINGER {1,0}: a RST ends a connection that carried TLS;
#   3. connect again from port 40443, TLS handshake, GET /, orderly close.
# tcpdump runs in the client namespace. Expected rows: two (connections 2
# and 3), both TLSv1.2, full, established; connection 1 makes none.
#
# Needs: openssl tcpdump python3 ip (iproute2) ethtool timeout.
set -euo pipefail

# The whole run is bounded in time; the EXIT trap cleans up on expiry too.
if [[ -z "${TLSSCAN_PORT_REUSE_TIMED:-}" ]]; then
	export TLSSCAN_PORT_REUSE_TIMED=1
	exec timeout --kill-after=10 90 bash "$0" "$@"
fi

die() { echo "port-reuse: FAIL: $*" >&2; exit 1; }
[[ $# -le 1 ]] || die "usage: sudo $0 [OUT]"
[[ ${EUID:-$(id -u)} -eq 0 ]] || die "needs root (network namespaces, tcpdump)"
for t in openssl tcpdump python3 ip ethtool timeout; do
	command -v "$t" >/dev/null || die "missing tool: $t (apt-get install -y openssl tcpdump python3 iproute2 ethtool)"
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CERTS=$HERE/certs
OUT=${1:-$HERE/real/port-reuse-rst.pcap}
NS_S=tlsscan-reuse-srv
NS_C=tlsscan-reuse-cli
IF_S=tsr-srv0
IF_C=tsr-cli0
S4=10.201.77.1
C4=10.201.77.2
PORT=8443
CPORT=40443
WORK=$(mktemp -d)
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

for ns in "$NS_S" "$NS_C"; do
	ip netns list | grep -qw "$ns" && die "namespace $ns exists (another run?): ip netns del $ns"
done
ip netns add "$NS_S"
ip netns add "$NS_C"
ip link add "$IF_S" netns "$NS_S" type veth peer name "$IF_C" netns "$NS_C"
ip -n "$NS_S" addr add "$S4/24" dev "$IF_S"
ip -n "$NS_C" addr add "$C4/24" dev "$IF_C"
for pair in "$NS_S:$IF_S" "$NS_C:$IF_C"; do
	ns=${pair%%:*} ifc=${pair#*:}
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "$ifc" up mtu 1500
	ip netns exec "$ns" ethtool -K "$ifc" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
done

ip netns exec "$NS_S" openssl s_server -quiet -accept "$S4:$PORT" -tls1_2 -www \
	-cert "$CERTS/server.pem" -key "$CERTS/server.key" -cert_chain "$CERTS/int-a.pem" \
	>"$WORK/server.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_C" tcpdump -i "$IF_C" -U -s 0 -w "$WORK/cap.pcap" "tcp port $PORT" \
	>"$WORK/tcpdump.log" 2>&1 &
PIDS+=($!)

# Wait (bounded: 50 x 0.1 s) for the server to listen and tcpdump to run.
for _ in $(seq 50); do
	if ip netns exec "$NS_S" ss -ltn "sport = :$PORT" | grep -q LISTEN && grep -q listening "$WORK/tcpdump.log"; then
		break
	fi
	sleep 0.1
done
ip netns exec "$NS_S" ss -ltn "sport = :$PORT" | grep -q LISTEN || die "s_server is not listening: $(cat "$WORK/server.log")"

ip netns exec "$NS_C" timeout 30 python3 - "$S4" "$PORT" "$C4" "$CPORT" <<'EOF' || die "client failed"
import socket, ssl, struct, sys, time

srv, port, cli, cport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

def connect():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(5)
    s.bind((cli, cport))
    for _ in range(20):  # bounded: the port may still be in use for a moment
        try:
            s.connect((srv, port))
            return s
        except OSError:
            time.sleep(0.1)
    raise SystemExit("connect failed")

def reset(s):
    # SO_LINGER {1, 0}: close sends a RST instead of a FIN.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()

def tls_get(s):
    t = ctx.wrap_socket(s)
    t.sendall(b"GET / HTTP/1.0\r\n\r\n")
    t.recv(100)
    return t

reset(connect())              # 1: TCP handshake, then RST
time.sleep(0.2)
t = tls_get(connect())        # 2: TLS, then RST
reset(t)
time.sleep(0.2)
t = tls_get(connect())        # 3: TLS, orderly close
t.close()
time.sleep(0.5)
EOF

sleep 0.5
kill "${PIDS[1]}" 2>/dev/null || true
wait "${PIDS[1]}" 2>/dev/null || true
[[ -s "$WORK/cap.pcap" ]] || die "empty capture"
mkdir -p "$(dirname "$OUT")"
cp "$WORK/cap.pcap" "$OUT"
echo "port-reuse: wrote $OUT"
