#!/usr/bin/env bash
# go-client-sessionid.sh - make pcaps/real/go-client-sessionid.pcap: a Go
# crypto/tls client's full TLS 1.2 handshakes (each ClientHello carries a
# random 32-byte session ID that no server issued) beside real OpenSSL
# session-ID resumptions, one accepted and two refused, in one capture.
#
# Usage: sudo pcaps/peers/go-client-sessionid.sh [OUT]
#        (default OUT: pcaps/real/go-client-sessionid.pcap)
#
# Peers: pcaps/peers/goclient (built here with `go build`; MaxVersion TLS 1.2,
# no session cache) and stock `openssl s_server` / `openssl s_client`, across a
# veth pair between two private network namespaces that this script creates
# (tlsscan-gocli-srv 10.202.0.1, tlsscan-gocli-cli 10.202.0.2) and deletes on
# exit. Nothing else is contacted. tcpdump runs in the client namespace.
# Certificates: pcaps/certs (server.pem signed by ca-a.pem, name server.test).
#
# Sequence, all to 10.202.0.1:4443, one capture:
#   (not captured) s_client -tls1_2 -no_ticket -sess_out S1 -> server A
#   1. goclient -n 2                            -> A  full x2 (random IDs)
#   2. s_client -tls1_2 -no_ticket -sess_in S1  -> A  resumed by session ID:
#      the ID appears in this capture only as A's echo
#   3. s_client -tls1_2 -no_ticket -sess_out S3 -> A  full, A issues a new ID
#   A is killed; server B (new process, empty cache) takes the port
#   4. s_client -tls1_2 -no_ticket -sess_in S1  -> B  full: the ID is refused
#   5. s_client -tls1_2 -no_ticket -sess_in S3  -> B  full: the ID is refused
#   6. goclient -n 1                            -> B  full (random ID)
# Expected tlsscan verdicts (golden: pcaps/golden/real/go-client-sessionid.pcap.csv):
# the Go rows full with no flags (no session_id_rejected: no server issued
# their IDs; without a session cache Go sends no session_ticket extension, so
# no ticket is issued either); 2 session_id; 3 full, no flags; 4 and 5 full,
# session_id_rejected (the IDs were issued: S1's as A's echo in 2, S3's in 3).
#
# The capture is written to a temporary file and moved to OUT only when every
# step did what it should (s_client's "Reused"/"New" lines, goclient's output).
# KEEP_WORK=1 keeps the logs (path printed at exit).
#
# Needs: go openssl tcpdump ip ss (iproute2) timeout; ethtool if present.
set -euo pipefail

# Bound the whole run in time: re-exec once under timeout(1). On expiry the
# EXIT trap still removes the namespaces and the background processes.
if [[ -z "${TLSSCAN_GOCLI_TIMED:-}" ]]; then
	export TLSSCAN_GOCLI_TIMED=1
	exec timeout --kill-after=20 180 bash "$0" "$@"
fi

die() { echo "go-client-sessionid: FAIL: $*" >&2; exit 1; }
log() { printf 'go-client-sessionid: [%3ds] %s\n' "$SECONDS" "$*" >&2; }

case ${1:-} in
-h | --help)
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
	exit 0
	;;
-*) die "usage: sudo $0 [OUT]" ;;
esac
[[ $# -le 1 ]] || die "usage: sudo $0 [OUT]"
[[ ${EUID:-$(id -u)} -eq 0 ]] || die "needs root (network namespaces, tcpdump): sudo $0 [OUT]"
for t in go openssl tcpdump ip ss timeout; do
	command -v "$t" >/dev/null || die "missing tool: $t"
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PCAPS=$(cd "$HERE/.." && pwd)
CERTS=$PCAPS/certs
OUT=${1:-$PCAPS/real/go-client-sessionid.pcap}

NS_S=tlsscan-gocli-srv
NS_C=tlsscan-gocli-cli
IF_S=tsg-srv0
IF_C=tsg-cli0
S4=10.202.0.1
C4=10.202.0.2
PORT=4443

WORK=$(mktemp -d /tmp/tlsscan-gocli.XXXXXX)
SRV_PID=""
CAP_PID=""

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	[[ -n "$SRV_PID" ]] && kill -TERM "$SRV_PID" 2>/dev/null
	[[ -n "$CAP_PID" ]] && kill -INT "$CAP_PID" 2>/dev/null
	sleep 0.2
	[[ -n "$SRV_PID" ]] && kill -KILL "$SRV_PID" 2>/dev/null
	[[ -n "$CAP_PID" ]] && kill -KILL "$CAP_PID" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	if [[ -n "${KEEP_WORK:-}" ]]; then
		echo "go-client-sessionid: logs kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	[[ $rc -ne 0 ]] && echo "go-client-sessionid: failed (rc=$rc); $OUT left untouched" >&2
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

nsS() { ip netns exec "$NS_S" "$@"; }
nsC() { ip netns exec "$NS_C" "$@"; }

# --- the Go peer ------------------------------------------------------------
log "building goclient ($(go version))"
(cd "$HERE/goclient" && CGO_ENABLED=0 go build -o "$WORK/goclient" .) || die "go build of goclient failed"

# --- namespaces -------------------------------------------------------------
for ns in "$NS_S" "$NS_C"; do
	if [[ -e /run/netns/$ns ]]; then
		# Left over from an interrupted run of this script.
		for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null || true; done
		ip netns del "$ns"
	fi
done
ip netns add "$NS_S"
ip netns add "$NS_C"
ip link add "$IF_C" netns "$NS_C" type veth peer name "$IF_S" netns "$NS_S"
nsS ip link set lo up
nsC ip link set lo up
nsS ip link set "$IF_S" mtu 1500
nsC ip link set "$IF_C" mtu 1500
nsS ip addr add "$S4/24" dev "$IF_S"
nsC ip addr add "$C4/24" dev "$IF_C"
if command -v ethtool >/dev/null; then
	# Wire-sized packets and real checksums, as make-real.sh does.
	nsS ethtool -K "$IF_S" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
	nsC ethtool -K "$IF_C" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
fi
nsS ip link set "$IF_S" up
nsC ip link set "$IF_C" up
up=0
for ((i = 0; i < 50; i++)); do
	if nsC ip -o link show "$IF_C" | grep -q 'state UP'; then up=1; break; fi
	sleep 0.1
done
[[ $up -eq 1 ]] || die "veth pair did not come up"

# --- helpers ----------------------------------------------------------------
srv_start() { # ID
	# exec: SRV_PID is then timeout(1) itself, which passes TERM on.
	(exec ip netns exec "$NS_S" timeout 120 openssl s_server -accept "$PORT" -www \
		-cert "$CERTS/server.pem" -key "$CERTS/server.key") \
		</dev/null >"$WORK/srv-$1.log" 2>&1 &
	SRV_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		if nsS ss -Hltn "sport = :$PORT" | grep -q LISTEN; then return 0; fi
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$WORK/srv-$1.log" >&2
	die "s_server $1 did not start"
}

srv_stop() {
	kill -TERM "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=""
	local i
	for ((i = 0; i < 100; i++)); do
		nsS ss -Hltn "sport = :$PORT" | grep -q LISTEN || return 0
		sleep 0.05
	done
	die "port $PORT still listening after the server stopped"
}

# cli ID WANT [s_client options...]: one GET; WANT is New or Reused.
cli() {
	local id=$1 want=$2
	shift 2
	printf 'GET / HTTP/1.0\r\n\r\n' |
		timeout 20 ip netns exec "$NS_C" openssl s_client -connect "$S4:$PORT" -ign_eof \
			-tls1_2 -no_ticket -servername server.test -CAfile "$CERTS/ca-a.pem" -verify_return_error "$@" \
			>"$WORK/cli-$id.log" 2>&1 || true
	grep -q "^$want, TLSv1.2" "$WORK/cli-$id.log" || {
		cat "$WORK/cli-$id.log" >&2
		die "s_client $id: want a '$want' TLS 1.2 session"
	}
}

# goc ID N: N Go handshakes, none resumed.
goc() {
	timeout 60 ip netns exec "$NS_C" "$WORK/goclient" -addr "$S4:$PORT" -ca "$CERTS/ca-a.pem" -n "$2" \
		>"$WORK/go-$1.log" 2>&1 || { cat "$WORK/go-$1.log" >&2; die "goclient $1 failed"; }
	[[ $(grep -c '^version 0x0303 resumed false$' "$WORK/go-$1.log") -eq $2 ]] ||
		{ cat "$WORK/go-$1.log" >&2; die "goclient $1: want $2 full TLS 1.2 handshakes"; }
}

# --- the run ----------------------------------------------------------------
srv_start A
log "session S1 with server A (not captured)"
cli 0 New -sess_out "$WORK/s1.sess"

CAP=$WORK/go-client-sessionid.pcap
ip netns exec "$NS_C" timeout -s INT 120 tcpdump -n -Z root -U --immediate-mode -s 0 -i "$IF_C" \
	-w "$CAP" "tcp port $PORT" 2>"$WORK/tcpdump.err" &
CAP_PID=$!
started=0
for ((i = 0; i < 100; i++)); do
	if grep -q 'listening on' "$WORK/tcpdump.err"; then started=1; break; fi
	kill -0 "$CAP_PID" 2>/dev/null || break
	sleep 0.05
done
[[ $started -eq 1 ]] || { cat "$WORK/tcpdump.err" >&2; die "tcpdump did not start"; }

log "1: goclient x2 -> A"
goc 1 2
log "2: s_client -sess_in S1 -> A (resumes by ID)"
cli 2 Reused -sess_in "$WORK/s1.sess"
log "3: s_client -sess_out S3 -> A (new ID)"
cli 3 New -sess_out "$WORK/s3.sess"
srv_stop
srv_start B
log "4: s_client -sess_in S1 -> B (refused)"
cli 4 New -sess_in "$WORK/s1.sess"
log "5: s_client -sess_in S3 -> B (refused)"
cli 5 New -sess_in "$WORK/s3.sess"
log "6: goclient x1 -> B"
goc 6 1

sleep 0.3 # the last FIN/ACKs
kill -INT "$CAP_PID"
for ((i = 0; i < 100; i++)); do
	kill -0 "$CAP_PID" 2>/dev/null || break
	sleep 0.05
done
kill -0 "$CAP_PID" 2>/dev/null && kill -KILL "$CAP_PID"
wait "$CAP_PID" || true
CAP_PID=""
srv_stop

mkdir -p "$(dirname "$OUT")"
mv "$CAP" "$OUT"
log "wrote $OUT"
