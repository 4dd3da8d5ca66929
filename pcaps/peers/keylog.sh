#!/usr/bin/env bash
# keylog.sh - make the real TLS captures with their NSS key logs (issue 10,
# decryption) into pcaps/real/keylog/: NAME.pcap + NAME.keys, the key log
# written by the client (openssl s_client -keylogfile, Go
# tls.Config.KeyLogWriter, gnutls-cli through SSLKEYLOGFILE), plus
# tshark-messages.txt: what tshark decodes with those key logs.
#
# Usage: sudo pcaps/peers/keylog.sh [OUTDIR]   (default OUTDIR: pcaps/real/keylog)
# KEEP_WORK=1 keeps the temp dir (captures, key logs, peer logs) and prints
# its path. GO=/path/to/go names the go tool (sudo may drop it from PATH).
#
# Peers: OpenSSL 3 s_server/s_client, Go crypto/tls (pcaps/peers/gopeer,
# built here), GnuTLS gnutls-serv/gnutls-cli. The test PKI is pcaps/certs/
# (CA A -> server.test; CA A -> intermediate A1 -> client-a; the client
# sends client-a + int-a).
#
# Two private network namespaces made here and deleted on exit
# (tlsscan-kl-srv 10.203.20.1, tlsscan-kl-cli 10.203.20.2, a veth pair,
# MTU 1500, offloads off); nothing else is contacted. tcpdump runs in the
# client namespace, one capture per file.
#
# Scenarios (port; server / client; all clients -servername server.test
# -CAfile ca-a.pem; "mTLS" = server -Verify 1 -CAfile ca-a.pem
# -verify_return_error, client -cert client-a.pem -key client-a.key
# -cert_chain int-a.pem; "-WWW" = s_server serves a 6-byte index.html and
# the client sends GET /index.html with -ign_eof; "echo" = s_server without
# -WWW (its stdin is a fifo this script writes to; the client sends a line or
# two and closes when its stdin ends)):
#   tls13-mtls            4433  -WWW mTLS / -tls1_3 + client-a
#   tls13-mtls-empty      4434  -WWW -verify 1 -CAfile (optional) / no cert
#   tls13-norequest       4435  -WWW / -tls1_3, no cert
#   tls13-cert-required   4436  -WWW -Verify 1 -verify_return_error / no cert:
#                               the server sends certificate_required (116)
#   tls13-psk             4437  -WWW, one process / -sess_out S, then -sess_in S
#   tls13-hrr             4438  -WWW -groups P-256 / -groups X25519:P-256
#   tls13-pha             4439  echo, no -verify / -enable_pha + client-a;
#                               `c` on the server's stdin after the handshake
#   tls13-0rtt-accepted   4440  echo -early_data / -sess_out S, then
#                               -sess_in S -early_data FILE
#   tls13-0rtt-rejected   4441  echo -early_data / -sess_out S; the server is
#                               restarted without -early_data (new ticket
#                               keys); -sess_in S -early_data FILE: PSK and
#                               early data rejected, full handshake
#   tls13-0rtt-rejected-psk 4447 echo -early_data -alpn http/1.1, one process /
#                               -sess_out S (no ALPN), then -sess_in S
#                               -early_data FILE -alpn http/1.1: the server
#                               resumes (PSK) but rejects the early data (the
#                               ALPN differs from the session's)
#   tls13-aes128gcm, tls13-aes256gcm, tls13-chacha20, tls13-aes128ccm
#                         4442-4445  -WWW mTLS / mTLS, both -ciphersuites X
#   tls12-reneg-gcm       8443  echo -tls1_2 -no_resumption_on_reneg /
#                               -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
#                               + client-a; `R` on the server's stdin
#   tls12-reneg-cbc       8444  the same, ECDHE-ECDSA-AES128-SHA256 (ETM on)
#   tls12-reneg-cbc-noetm 8445  the same with -no_etm on both sides
#   tls12-mtls-gcm        8446  -WWW -tls1_2 mTLS / -cipher ECDHE-ECDSA-AES128-GCM-SHA256
#   go-tls13-mtls         9443  gopeer server -clientauth require / gopeer client
#   go-tls13-norequest    9444  gopeer server -clientauth none / no cert
#   gnutls-tls13-mtls     5556  gnutls-serv --http --httpdata F (a 6-byte page)
#                               --require-client-cert --verify-client-cert /
#                               gnutls-cli --priority NORMAL:-VERS-ALL:+VERS-TLS1.3
#                               + client-a chain, SSLKEYLOGFILE=NAME.keys
#   gnutls-tls13-norequest 5557 gnutls-serv --http --httpdata F
#                               --disable-client-cert / gnutls-cli, no cert
#   keys-missing-one      4446  -WWW mTLS / two s_client runs; the .keys holds
#                               only the first connection's lines
# Derived (no new traffic):
#   tls13-mtls-dsb.pcapng        editcap --inject-secrets tls,tls13-mtls.keys
#   tls13-mtls-wrongkeys.pcap    a copy of tls13-mtls.pcap; its .keys is
#                                tls13-mtls.keys with every secret's hex
#                                digits complemented (x -> f-x), the labels
#                                and client randoms kept
# The ECDSA cipher suites for TLS 1.2 follow from the server key (P-256).
#
# Each capture is checked with tshark and its key log (the handshake
# messages expected of it decrypted, see the checks below); any failed check
# stops the run before OUTDIR is touched. tshark-messages.txt has one line
# per handshake message or alert tshark decodes, in capture order:
#   FILE<TAB>TCPSTREAM<TAB>FRAME<TAB>DIR<TAB>ITEM
# DIR c = sent by the side that sent the ClientHello of that stream, s = the
# other; ITEM hs:TYPE or alert:LEVEL:DESC (decimal). The dsb pcapng is read
# without a key log (its secrets are inside it). tshark 4.0 decrypts none of
# the client's records after its post-handshake Finished (tls13-pha: the
# client's last data and close_notify are missing from the list).
#
# Needs: openssl tcpdump tshark editcap gnutls-serv gnutls-cli go python3
#        ip ss (iproute2) ethtool timeout mkfifo.
set -euo pipefail

# The whole run is bounded in time; the EXIT trap cleans up on expiry too.
if [[ -z "${TLSSCAN_KEYLOG_TIMED:-}" ]]; then
	export TLSSCAN_KEYLOG_TIMED=1
	exec timeout --kill-after=10 420 bash "$0" "$@"
fi

die() { echo "keylog: FAIL: $*" >&2; exit 1; }
log() { printf 'keylog: [%3ds] %s\n' "$SECONDS" "$*" >&2; }

case ${1:-} in
-h | --help)
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
	exit 0
	;;
-*) die "usage: sudo $0 [OUTDIR]" ;;
esac
[[ $# -le 1 ]] || die "usage: sudo $0 [OUTDIR]"
[[ ${EUID:-$(id -u)} -eq 0 ]] || die "needs root (network namespaces, tcpdump)"
GO=${GO:-}
if [[ -z "$GO" ]]; then
	GO=$(command -v go || true)
	[[ -z "$GO" && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
fi
[[ -n "$GO" ]] || die "missing tool: go (set GO=/path/to/go)"
for t in openssl tcpdump tshark editcap gnutls-serv gnutls-cli python3 ip ss ethtool timeout mkfifo; do
	command -v "$t" >/dev/null ||
		die "missing tool: $t (apt-get install -y openssl tcpdump tshark wireshark-common gnutls-bin python3 iproute2 ethtool)"
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CERTS=$HERE/certs
OUTDIR=${1:-$HERE/real/keylog}
for f in ca-a.pem server.pem server.key client-a.pem client-a.key int-a.pem; do
	[[ -s "$CERTS/$f" ]] || die "missing $CERTS/$f (run pcaps/make-real.sh once to make the test PKI)"
done
NS_S=tlsscan-kl-srv
NS_C=tlsscan-kl-cli
IF_S=tskl-srv0
IF_C=tskl-cli0
S4=10.203.20.1
C4=10.203.20.2
WORK=$(mktemp -d /tmp/tlsscan-keylog.XXXXXX)
STAGE=$WORK/out
WWW=$WORK/www
mkdir -p "$STAGE" "$WWW"
SRV_PID=""
SRV_FD=""
CAP_PID=""
CLI_PID=""

cleanup() {
	local rc=$? p
	set +e
	trap - EXIT INT TERM
	for p in "$CLI_PID" "$CAP_PID" "$SRV_PID"; do
		[[ -n "$p" ]] && kill "$p" 2>/dev/null
	done
	[[ -n "$SRV_FD" ]] && exec {SRV_FD}>&-
	for p in "$CLI_PID" "$CAP_PID" "$SRV_PID"; do
		[[ -n "$p" ]] && wait "$p" 2>/dev/null
	done
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	if [[ -n "${KEEP_WORK:-}" ]]; then
		echo "keylog: kept $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	[[ $rc -eq 0 ]] || echo "keylog: failed (rc=$rc); OUTDIR left untouched (KEEP_WORK=1 keeps the logs)" >&2
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# 1. The Go peer, the web root, the client chain
# ---------------------------------------------------------------------------
log "building pcaps/peers/gopeer"
(cd "$HERE/.." && GOFLAGS=-mod=mod "$GO" build -o "$WORK/gopeer" ./pcaps/peers/gopeer) || die "go build failed"
printf 'hello\n' >"$WWW/index.html"
cat "$CERTS/client-a.pem" "$CERTS/int-a.pem" >"$WORK/client-chain.pem"
printf 'GET /early HTTP/1.0\r\n' >"$WORK/early.txt"
# gnutls-serv --httpdata: a tiny page instead of its ~4 KB status page
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n' >"$WORK/httpdata"

# ---------------------------------------------------------------------------
# 2. The network
# ---------------------------------------------------------------------------
for ns in "$NS_S" "$NS_C"; do
	[[ -e /run/netns/$ns ]] && die "namespace $ns exists (another run?): ip netns del $ns"
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
	ip netns exec "$ns" ethtool -K "$ifc" tso off gso off gro off tx off rx off >/dev/null 2>&1 ||
		ip netns exec "$ns" ethtool -K "$ifc" tso off gso off gro off >/dev/null
done
sleep 0.5

# ---------------------------------------------------------------------------
# 3. Helpers
# ---------------------------------------------------------------------------
# srv_start ID PORT COMMAND... : runs COMMAND in the server namespace (in
# $WWW, bounded to 120 s) with its stdin a fifo kept open on $SRV_FD (srv_say
# writes to it), and waits for PORT to listen.
srv_start() {
	local id=$1 port=$2
	shift 2
	mkfifo "$WORK/srv-$id.in"
	exec {SRV_FD}<>"$WORK/srv-$id.in"
	(cd "$WWW" && exec ip netns exec "$NS_S" timeout 120 "$@") \
		<"$WORK/srv-$id.in" >"$WORK/srv-$id.log" 2>&1 &
	SRV_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do # bounded: 100 x 0.05 s
		ip netns exec "$NS_S" ss -Hltn "sport = :$port" | grep -q LISTEN && return 0
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$WORK/srv-$id.log" >&2
	die "server $id did not start on port $port"
}

# srv_say TEXT : one line on the server's stdin (s_server commands: c, R)
srv_say() { printf '%s\n' "$1" >&"$SRV_FD"; }

srv_stop() {
	kill "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	exec {SRV_FD}>&-
	SRV_PID="" SRV_FD=""
}

# cap_start NAME PORT
cap_start() {
	ip netns exec "$NS_C" timeout -s INT 120 \
		tcpdump -n -Z root -U --immediate-mode -s 0 -B 8192 -i "$IF_C" -w "$WORK/$1.pcap" "tcp port $2" \
		>"$WORK/tcpdump-$1.log" 2>&1 &
	CAP_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do # bounded: 100 x 0.05 s
		grep -q 'listening on' "$WORK/tcpdump-$1.log" && return 0
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$WORK/tcpdump-$1.log" >&2
	die "tcpdump did not start for $1"
}

cap_stop() {
	sleep 0.5 # let the last FIN/ACKs arrive
	kill -INT "$CAP_PID" 2>/dev/null || true
	local i
	for ((i = 0; i < 100; i++)); do # bounded: 100 x 0.05 s
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$CAP_PID" 2>/dev/null || true
	wait "$CAP_PID" 2>/dev/null || true
	grep -q '^0 packets dropped by kernel' "$WORK/tcpdump-$1.log" || die "$1: tcpdump dropped packets: $(cat "$WORK/tcpdump-$1.log")"
	CAP_PID=""
}

# sc_get ID PORT s_client-options... : s_client to an -WWW server, GET
# /index.html half a second after connecting, read until the server closes.
sc_get() {
	local id=$1 port=$2
	shift 2
	{
		sleep 0.5
		printf 'GET /index.html HTTP/1.0\r\n\r\n'
	} | ip netns exec "$NS_C" timeout 20 openssl s_client -connect "$S4:$port" -servername server.test \
		-CAfile "$CERTS/ca-a.pem" -ign_eof -nocommands "$@" >"$WORK/cli-$id.log" 2>&1 || true
}

# sc_echo_bg ID PORT SECONDS s_client-options... : s_client in the
# background to an echo server: a line at 0.5 s, another at SECONDS-1, then
# its stdin ends at SECONDS and it closes (close_notify). sc_wait waits.
sc_echo_bg() {
	local id=$1 port=$2 secs=$3
	shift 3
	{
		sleep 0.5
		printf 'hello from the client\n'
		sleep "$((secs - 1)).0"
		printf 'bye from the client\n'
		sleep 0.5
	} | ip netns exec "$NS_C" timeout $((secs + 10)) openssl s_client -connect "$S4:$port" -servername server.test \
		-CAfile "$CERTS/ca-a.pem" -nocommands "$@" >"$WORK/cli-$id.log" 2>&1 &
	CLI_PID=$!
}

sc_wait() {
	wait "$CLI_PID" || true
	CLI_PID=""
}

MTLS_SRV=(-Verify 1 -CAfile "$CERTS/ca-a.pem" -verify_return_error)
MTLS_CLI=(-cert "$CERTS/client-a.pem" -key "$CERTS/client-a.key" -cert_chain "$CERTS/int-a.pem")
# ossl_srv ID PORT options... : s_server with the server.test key
ossl_srv() {
	local id=$1 port=$2
	shift 2
	srv_start "$id" "$port" openssl s_server -accept "$S4:$port" -cert "$CERTS/server.pem" -key "$CERTS/server.key" "$@"
}

declare -A PORT=() # capture name -> server port (tshark decodes it as TLS)
NAMES=()
# www_one NAME PORT "server options" client-options... : one -WWW server,
# one capture, one s_client GET (server options split on spaces).
www_one() {
	local name=$1 port=$2 sopts=$3
	shift 3
	log "$name (port $port)"
	PORT[$name]=$port
	NAMES+=("$name")
	# shellcheck disable=SC2086 # sopts is a list of plain words
	ossl_srv "$name" "$port" -WWW $sopts
	cap_start "$name" "$port"
	sc_get "$name" "$port" -keylogfile "$WORK/$name.keys" "$@"
	cap_stop "$name"
	srv_stop
}

# ---------------------------------------------------------------------------
# 4. The captures
# ---------------------------------------------------------------------------
CA=$CERTS/ca-a.pem
www_one tls13-mtls 4433 "-Verify 1 -CAfile $CA -verify_return_error" -tls1_3 "${MTLS_CLI[@]}"
www_one tls13-mtls-empty 4434 "-verify 1 -CAfile $CA" -tls1_3
www_one tls13-norequest 4435 "" -tls1_3
www_one tls13-cert-required 4436 "-Verify 1 -CAfile $CA -verify_return_error" -tls1_3
www_one tls13-hrr 4438 "-groups P-256" -tls1_3 -groups X25519:P-256
www_one tls13-aes128gcm 4442 "-Verify 1 -CAfile $CA -verify_return_error -ciphersuites TLS_AES_128_GCM_SHA256" \
	-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 "${MTLS_CLI[@]}"
www_one tls13-aes256gcm 4443 "-Verify 1 -CAfile $CA -verify_return_error -ciphersuites TLS_AES_256_GCM_SHA384" \
	-tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384 "${MTLS_CLI[@]}"
www_one tls13-chacha20 4444 "-Verify 1 -CAfile $CA -verify_return_error -ciphersuites TLS_CHACHA20_POLY1305_SHA256" \
	-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 "${MTLS_CLI[@]}"
www_one tls13-aes128ccm 4445 "-Verify 1 -CAfile $CA -verify_return_error -ciphersuites TLS_AES_128_CCM_SHA256" \
	-tls1_3 -ciphersuites TLS_AES_128_CCM_SHA256 "${MTLS_CLI[@]}"
www_one tls12-mtls-gcm 8446 "-tls1_2 -Verify 1 -CAfile $CA -verify_return_error" \
	-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 "${MTLS_CLI[@]}"

# tls13-psk: two connections to one server, the second resumes.
name=tls13-psk port=4437
log "$name (port $port)"
PORT[$name]=$port NAMES+=("$name")
ossl_srv "$name" "$port" -WWW
cap_start "$name" "$port"
sc_get "$name-1" "$port" -tls1_3 -sess_out "$WORK/$name.sess" -keylogfile "$WORK/$name.keys"
[[ -s "$WORK/$name.sess" ]] || die "$name: no session saved"
sc_get "$name-2" "$port" -tls1_3 -sess_in "$WORK/$name.sess" -keylogfile "$WORK/$name.keys"
cap_stop "$name"
srv_stop
grep -q '^Reused, TLSv1.3' "$WORK/cli-$name-2.log" || die "$name: the second connection did not resume"

# keys-missing-one: two full mTLS connections, each with its own key log;
# only the first one's goes beside the capture.
name=keys-missing-one port=4446
log "$name (port $port)"
PORT[$name]=$port NAMES+=("$name")
ossl_srv "$name" "$port" -WWW "${MTLS_SRV[@]}"
cap_start "$name" "$port"
sc_get "$name-1" "$port" -tls1_3 "${MTLS_CLI[@]}" -keylogfile "$WORK/$name.keys"
sc_get "$name-2" "$port" -tls1_3 "${MTLS_CLI[@]}" -keylogfile "$WORK/$name.second.keys"
cap_stop "$name"
srv_stop
[[ -s "$WORK/$name.second.keys" ]] || die "$name: the second client wrote no key log"

# tls13-pha: the client offers post-handshake auth; 1.5 s after the
# handshake the server sends a CertificateRequest (`c`), the client answers
# with client-a; then application data both ways.
name=tls13-pha port=4439
log "$name (port $port)"
PORT[$name]=$port NAMES+=("$name")
ossl_srv "$name" "$port" -CAfile "$CA"
cap_start "$name" "$port"
sc_echo_bg "$name" "$port" 5 -tls1_3 -enable_pha "${MTLS_CLI[@]}" -keylogfile "$WORK/$name.keys"
sleep 1.5
srv_say c
sleep 1
srv_say 'hello from the server after the certificate request'
sc_wait
cap_stop "$name"
srv_stop

# tls12-reneg-*: TLS 1.2 without a CertificateRequest; 1.5 s after the
# handshake `R` on the server's stdin sets verify-peer and renegotiates
# (HelloRequest); the new handshake requests and gets client-a.
# -no_resumption_on_reneg: the client offers to resume (OpenSSL offers its
# current session on renegotiation); without it the server would resume it
# and ask for no certificate.
reneg() {
	local name=$1 port=$2 cipher=$3
	shift 3
	log "$name (port $port)"
	PORT[$name]=$port NAMES+=("$name")
	ossl_srv "$name" "$port" -tls1_2 -CAfile "$CA" -no_resumption_on_reneg "$@"
	cap_start "$name" "$port"
	sc_echo_bg "$name" "$port" 5 -tls1_2 -cipher "$cipher" "${MTLS_CLI[@]}" -keylogfile "$WORK/$name.keys" "$@"
	sleep 1.5
	srv_say R
	sleep 1
	srv_say 'hello from the server after the renegotiation'
	sc_wait
	cap_stop "$name"
	srv_stop
}
reneg tls12-reneg-gcm 8443 ECDHE-ECDSA-AES128-GCM-SHA256
reneg tls12-reneg-cbc 8444 ECDHE-ECDSA-AES128-SHA256
reneg tls12-reneg-cbc-noetm 8445 ECDHE-ECDSA-AES128-SHA256 -no_etm

# tls13-0rtt-*: connection 1 gets a ticket allowing early data (-sess_out),
# connection 2 resumes with -early_data.
# MODE same: one server process (accepted); restart: a new s_server without
# -early_data (new ticket keys: PSK and early data rejected); alpn: one
# server process with -alpn http/1.1, and only connection 2 offers ALPN: the
# session has no ALPN, so OpenSSL resumes but rejects the early data.
zero_rtt() {
	local name=$1 port=$2 mode=$3 alpn=()
	log "$name (port $port)"
	PORT[$name]=$port NAMES+=("$name")
	[[ $mode == alpn ]] && alpn=(-alpn http/1.1)
	ossl_srv "$name" "$port" -early_data "${alpn[@]}"
	cap_start "$name" "$port"
	sc_echo_bg "$name-1" "$port" 2 -tls1_3 -sess_out "$WORK/$name.sess" -keylogfile "$WORK/$name.keys"
	sc_wait
	[[ -s "$WORK/$name.sess" ]] || die "$name: no session saved"
	if [[ $mode == restart ]]; then
		srv_stop
		ossl_srv "$name-b" "$port"
	fi
	sc_echo_bg "$name-2" "$port" 2 -tls1_3 -sess_in "$WORK/$name.sess" -early_data "$WORK/early.txt" \
		-keylogfile "$WORK/$name.keys" "${alpn[@]}"
	sc_wait
	cap_stop "$name"
	srv_stop
}
zero_rtt tls13-0rtt-accepted 4440 same
zero_rtt tls13-0rtt-rejected 4441 restart
zero_rtt tls13-0rtt-rejected-psk 4447 alpn
grep -q 'Early data was accepted' "$WORK/cli-tls13-0rtt-accepted-2.log" || die "tls13-0rtt-accepted: early data not accepted"
for name in tls13-0rtt-rejected tls13-0rtt-rejected-psk; do
	grep -q 'Early data was rejected' "$WORK/cli-$name-2.log" || die "$name: early data not rejected"
done
grep -q '^Reused, TLSv1.3' "$WORK/cli-tls13-0rtt-rejected-psk-2.log" || die "tls13-0rtt-rejected-psk: not resumed"

# Go crypto/tls
go_one() {
	local name=$1 port=$2 auth=$3
	shift 3
	log "$name (port $port)"
	PORT[$name]=$port NAMES+=("$name")
	srv_start "$name" "$port" "$WORK/gopeer" -mode server -listen "$S4:$port" -cert "$CERTS/server.pem" \
		-key "$CERTS/server.key" -clientca "$CA" -clientauth "$auth" -n 1
	cap_start "$name" "$port"
	ip netns exec "$NS_C" timeout 20 "$WORK/gopeer" -mode client -addr "$S4:$port" -ca "$CA" \
		-keylog "$WORK/$name.keys" "$@" >"$WORK/cli-$name.log" 2>&1 || die "$name: client failed: $(cat "$WORK/cli-$name.log")"
	cap_stop "$name"
	srv_stop
}
go_one go-tls13-mtls 9443 require -cert "$WORK/client-chain.pem" -key "$CERTS/client-a.key"
go_one go-tls13-norequest 9444 none

# GnuTLS
gnutls_one() {
	local name=$1 port=$2 sauth=$3
	shift 3
	log "$name (port $port)"
	PORT[$name]=$port NAMES+=("$name")
	# shellcheck disable=SC2086 # sauth is a list of plain words
	srv_start "$name" "$port" gnutls-serv --http --httpdata "$WORK/httpdata" -p "$port" \
		--x509certfile "$CERTS/server.pem" --x509keyfile "$CERTS/server.key" --x509cafile "$CA" $sauth
	cap_start "$name" "$port"
	{
		sleep 0.5
		printf 'GET / HTTP/1.0\r\n\r\n'
		sleep 1.5
	} | SSLKEYLOGFILE=$WORK/$name.keys ip netns exec "$NS_C" timeout 20 gnutls-cli -p "$port" \
		--priority NORMAL:-VERS-ALL:+VERS-TLS1.3 --x509cafile "$CA" --verify-hostname server.test \
		--sni-hostname server.test "$@" "$S4" >"$WORK/cli-$name.log" 2>&1 || true
	cap_stop "$name"
	srv_stop
	grep -q 'HTTP/1.0 200' "$WORK/cli-$name.log" || die "$name: no HTTP response: $(tail -20 "$WORK/cli-$name.log")"
}
gnutls_one gnutls-tls13-mtls 5556 "--require-client-cert --verify-client-cert" \
	--x509certfile "$WORK/client-chain.pem" --x509keyfile "$CERTS/client-a.key"
gnutls_one gnutls-tls13-norequest 5557 --disable-client-cert

# ---------------------------------------------------------------------------
# 5. Derived files
# ---------------------------------------------------------------------------
log "derived files"
editcap --inject-secrets "tls,$WORK/tls13-mtls.keys" "$WORK/tls13-mtls.pcap" "$WORK/tls13-mtls-dsb.pcapng"
cp "$WORK/tls13-mtls.pcap" "$WORK/tls13-mtls-wrongkeys.pcap"
awk '
function flip(s,   i, r) {
	r = ""
	for (i = 1; i <= length(s); i++)
		r = r substr("fedcba9876543210", index("0123456789abcdef", tolower(substr(s, i, 1))), 1)
	return r
}
NF == 3 && $3 ~ /^[0-9a-fA-F]+$/ { $3 = flip($3) }
{ print }' "$WORK/tls13-mtls.keys" >"$WORK/tls13-mtls-wrongkeys.keys"
PORT[tls13-mtls-dsb]=4433 PORT[tls13-mtls-wrongkeys]=4433

# ---------------------------------------------------------------------------
# 6. tshark: the message sequences, then the checks
# ---------------------------------------------------------------------------
# messages NAME FILE [KEYS] : the lines of tshark-messages.txt for FILE,
# from tshark's PDML (document order keeps the order of the messages and
# alerts within a frame).
messages() {
	local name=$1 file=$2 keys=${3:-}
	local o=()
	[[ -n "$keys" ]] && o=(-o "tls.keylog_file:$keys")
	tshark -n -r "$file" -d "tcp.port==${PORT[$name]},tls" "${o[@]}" -T pdml 2>/dev/null |
		python3 -c '
import sys, xml.etree.ElementTree as ET
name = sys.argv[1]
client = {}  # tcp.stream -> (ip, port) of the ClientHello sender
for ev, el in ET.iterparse(sys.stdin.buffer, events=("end",)):
    if el.tag != "packet":
        continue
    f = {}
    items = []
    level = None
    for x in el.iter("field"):
        n = x.get("name")
        if n in ("frame.number", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport") and n not in f:
            f[n] = x.get("show")
        elif n == "tls.handshake.type":
            items.append(("hs", x.get("show")))
        elif n == "tls.alert_message.level":
            level = x.get("show")
        elif n == "tls.alert_message.desc":
            items.append(("alert", "%s:%s" % (level, x.get("show"))))
    el.clear()
    if not items or "tcp.stream" not in f:
        continue
    st = f["tcp.stream"]
    src = (f.get("ip.src") or f.get("ipv6.src"), f["tcp.srcport"])
    if st not in client and ("hs", "1") in items:
        client[st] = src
    d = "c" if client.get(st) == src else "s"
    for k, v in items:
        print("%s\t%s\t%s\t%s\t%s:%s" % (name, st, f["frame.number"], d, k, v))
' "$name"
}

MSG=$WORK/messages.txt
TSHARK_VERSION=$(tshark -v 2>/dev/null | head -1)
{
	echo "# $TSHARK_VERSION"
	echo "# made by pcaps/peers/keylog.sh: tshark -T pdml with each capture's key log (NAME.keys; the .pcapng: its DSB)"
	echo "# FILE	TCPSTREAM	FRAME	DIR	ITEM   (DIR c = the ClientHello's sender; ITEM hs:TYPE or alert:LEVEL:DESC)"
} >"$MSG"
ALL=("${NAMES[@]}" tls13-mtls-wrongkeys)
for name in "${ALL[@]}"; do
	messages "$name" "$WORK/$name.pcap" "$WORK/$name.keys" >"$WORK/$name.msg"
	cat "$WORK/$name.msg" >>"$MSG"
done
messages tls13-mtls-dsb "$WORK/tls13-mtls-dsb.pcapng" >"$WORK/tls13-mtls-dsb.msg"
cat "$WORK/tls13-mtls-dsb.msg" >>"$MSG"

# seq NAME : "stream dir item" per line
seq_of() { awk -F'\t' '{print $2, $4, $5}' "$WORK/$1.msg"; }
# need NAME MIN "STREAM DIR ITEM"... : each line present at least MIN times
need() {
	local name=$1 min=$2 want got
	shift 2
	for want in "$@"; do
		got=$(seq_of "$name" | grep -cxF "$want" || true)
		((got >= min)) || die "$name: want at least $min x '$want' from tshark, got $got: $(seq_of "$name" | tr '\n' ' ')"
	done
}
# none NAME "STREAM DIR ITEM"... : none of them
none() {
	local name=$1 want
	shift
	for want in "$@"; do
		if seq_of "$name" | grep -qxF "$want"; then
			die "$name: tshark shows '$want', want none: $(seq_of "$name" | tr '\n' ' ')"
		fi
	done
}
# exact NAME "ITEMS" : the whole sequence ("stream dir item" lines joined by ", ")
exact() {
	local got
	got=$(seq_of "$1" | paste -sd, | sed 's/,/, /g')
	[[ "$got" == "$2" ]] || die "$1: tshark sequence is '$got', want '$2'"
}
# count NAME FILTER : frames matching a display filter (with the key log)
count() {
	tshark -n -r "$WORK/$1.pcap" -d "tcp.port==${PORT[$1]},tls" -o "tls.keylog_file:$WORK/$1.keys" \
		-Y "$2" 2>/dev/null | wc -l
}

log "checks"
for name in "${ALL[@]}"; do
	[[ -s "$WORK/$name.pcap" && -s "$WORK/$name.keys" ]] || die "$name: empty capture or key log"
	size=$(stat -c %s "$WORK/$name.pcap")
	((size < 200000)) || die "$name: capture is $size bytes"
done
# Full mTLS in TLS 1.3: the server's 8 EE, 11, 13, 15, 20 and the client's
# 11, 15, 20 decrypted.
for name in tls13-mtls tls13-aes128gcm tls13-aes256gcm tls13-chacha20 tls13-aes128ccm go-tls13-mtls gnutls-tls13-mtls; do
	need "$name" 1 "0 c hs:1" "0 s hs:2" "0 s hs:8" "0 s hs:13" "0 s hs:11" "0 s hs:15" "0 s hs:20" \
		"0 c hs:11" "0 c hs:15" "0 c hs:20"
done
for name in tls13-aes128gcm tls13-aes256gcm tls13-chacha20 tls13-aes128ccm; do
	cs=$(tshark -n -r "$WORK/$name.pcap" -d "tcp.port==${PORT[$name]},tls" -Y 'tls.handshake.type==2' \
		-T fields -e tls.handshake.ciphersuite 2>/dev/null | head -1)
	want=${name#tls13-}
	case $want in
	aes128gcm) want=0x1301 ;; aes256gcm) want=0x1302 ;; chacha20) want=0x1303 ;; aes128ccm) want=0x1304 ;;
	esac
	[[ "$cs" == "$want" ]] || die "$name: ServerHello cipher suite $cs, want $want"
done
for name in tls13-norequest go-tls13-norequest gnutls-tls13-norequest; do
	need "$name" 1 "0 s hs:8" "0 s hs:11" "0 s hs:15" "0 s hs:20" "0 c hs:20"
	none "$name" "0 s hs:13" "0 c hs:11" "0 c hs:15"
done
need tls13-mtls-empty 1 "0 s hs:13" "0 c hs:11" "0 c hs:20"
none tls13-mtls-empty "0 c hs:15"
[[ $(count tls13-mtls-empty 'tls.handshake.type==11 && tls.handshake.certificates_length==0') -ge 1 ]] ||
	die "tls13-mtls-empty: no empty client Certificate"
need tls13-cert-required 1 "0 s hs:13" "0 c hs:11" "0 c hs:20" "0 s alert:2:116"
none tls13-cert-required "0 c hs:15"
need tls13-psk 1 "0 s hs:11" "1 c hs:1" "1 s hs:2" "1 s hs:20" "1 c hs:20"
none tls13-psk "1 s hs:11"
[[ $(count tls13-psk 'tls.handshake.type==2 && tls.handshake.extension.type==41') -ge 1 ]] || die "tls13-psk: no pre_shared_key in a ServerHello"
need tls13-hrr 2 "0 c hs:1" "0 s hs:2"
need tls13-hrr 1 "0 s hs:20" "0 c hs:20"
# PHA: a CertificateRequest after the client's Finished, the client's
# Certificate and CertificateVerify after it.
seq_of tls13-pha | awk '$3 == "hs:20" && $2 == "c" {fin = 1} fin && $2 == "s" && $3 == "hs:13" {cr = 1}
	cr && $2 == "c" && $3 == "hs:11" {crt = 1} crt && $2 == "c" && $3 == "hs:15" {cv = 1}
	cv && $2 == "c" && $3 == "hs:20" {ok = 1} END {exit !ok}' ||
	die "tls13-pha: no post-handshake CertificateRequest answered: $(seq_of tls13-pha | tr '\n' ' ')"
grep -q 'hello from the client' "$WORK/srv-tls13-pha.log" || die "tls13-pha: no application data reached the server"
# Renegotiation: HelloRequest, a second ClientHello, a CertificateRequest,
# the client's Certificate and CertificateVerify (all encrypted).
for name in tls12-reneg-gcm tls12-reneg-cbc tls12-reneg-cbc-noetm; do
	need "$name" 1 "0 s hs:0" "0 s hs:13" "0 c hs:11" "0 c hs:15"
	need "$name" 2 "0 c hs:1" "0 s hs:2" "0 c hs:20" "0 s hs:20"
	[[ $(count "$name" 'tls.handshake.type==1') -eq 2 ]] || die "$name: want 2 ClientHellos"
	grep -q 'hello from the client' "$WORK/srv-$name.log" || die "$name: no application data reached the server"
done
etm=$(count tls12-reneg-cbc 'tls.handshake.type==2 && tls.handshake.extension.type==22')
noetm=$(count tls12-reneg-cbc-noetm 'tls.handshake.type==2 && tls.handshake.extension.type==22')
[[ $etm -eq 2 && $noetm -eq 0 ]] || die "encrypt_then_mac in ServerHellos: cbc $etm (want 2), noetm $noetm (want 0)"
need tls12-mtls-gcm 1 "0 s hs:13" "0 c hs:11" "0 c hs:16" "0 c hs:15" "0 c hs:20" "0 s hs:20"
# 0-RTT: EncryptedExtensions with early_data on the accepted one, without
# on the rejected one; EndOfEarlyData (5) only when accepted.
[[ $(count tls13-0rtt-accepted 'tls.handshake.type==8 && tls.handshake.extension.type==42') -eq 1 ]] ||
	die "tls13-0rtt-accepted: no early_data in EncryptedExtensions"
need tls13-0rtt-accepted 1 "1 c hs:5"
[[ $(count tls13-0rtt-rejected 'tls.handshake.type==1 && tls.handshake.extension.type==42') -eq 1 ]] ||
	die "tls13-0rtt-rejected: no early_data in the ClientHello"
[[ $(count tls13-0rtt-rejected 'tls.handshake.type==8 && tls.handshake.extension.type==42') -eq 0 ]] ||
	die "tls13-0rtt-rejected: early_data accepted"
need tls13-0rtt-rejected 1 "1 s hs:8" "1 s hs:11"
none tls13-0rtt-rejected "1 c hs:5"
[[ $(count tls13-0rtt-rejected-psk 'tls.handshake.type==1 && tls.handshake.extension.type==42') -eq 1 ]] ||
	die "tls13-0rtt-rejected-psk: no early_data in the ClientHello"
[[ $(count tls13-0rtt-rejected-psk 'tls.handshake.type==8 && tls.handshake.extension.type==42') -eq 0 ]] ||
	die "tls13-0rtt-rejected-psk: early_data accepted"
[[ $(count tls13-0rtt-rejected-psk 'tls.handshake.type==2 && tls.handshake.extension.type==41') -eq 1 ]] ||
	die "tls13-0rtt-rejected-psk: the PSK was not accepted"
need tls13-0rtt-rejected-psk 1 "1 s hs:8" "1 s hs:20" "1 c hs:20"
none tls13-0rtt-rejected-psk "1 c hs:5" "1 s hs:11"
# keys-missing-one: stream 0 decrypts, stream 1 shows only the cleartext.
need keys-missing-one 1 "0 s hs:13" "0 c hs:11" "0 c hs:15" "1 c hs:1" "1 s hs:2"
none keys-missing-one "1 s hs:8" "1 s hs:13" "1 c hs:11"
[[ $(grep -vc '^#' "$WORK/keys-missing-one.keys") -eq 5 ]] || die "keys-missing-one: the key log should hold 5 secrets (one connection)"
# wrong keys: nothing past the ServerHello; the DSB file: as tls13-mtls.
exact tls13-mtls-wrongkeys "0 c hs:1, 0 s hs:2"
[[ "$(cut -f2- "$WORK/tls13-mtls-dsb.msg")" == "$(cut -f2- "$WORK/tls13-mtls.msg")" ]] ||
	die "tls13-mtls-dsb: tshark decodes the pcapng differently from tls13-mtls.pcap with its key log"

# ---------------------------------------------------------------------------
# 7. Facts for the report, then the copy
# ---------------------------------------------------------------------------
FACTS=$WORK/facts.txt
for name in "${ALL[@]}"; do
	{
		printf '== %s: key log labels:' "$name"
		awk '{print $1}' "$WORK/$name.keys" | sort | uniq -c | awk '{printf " %s x%s", $2, $1}'
		echo
		printf '   record lengths per frame (c = client):'
		tshark -n -r "$WORK/$name.pcap" -d "tcp.port==${PORT[$name]},tls" -Y tls -T fields \
			-E occurrence=a -E aggregator=, -e tcp.stream -e tcp.srcport -e tls.record.length 2>/dev/null |
			awk -v p="${PORT[$name]}" '{printf " %s%s:%s", $1, ($2 == p ? "s" : "c"), $3}'
		echo
	} >>"$FACTS"
done
cat "$FACTS" >&2

for name in "${ALL[@]}"; do
	cp "$WORK/$name.pcap" "$WORK/$name.keys" "$STAGE/"
done
cp "$WORK/tls13-mtls-dsb.pcapng" "$STAGE/"
cp "$MSG" "$STAGE/tshark-messages.txt"
mkdir -p "$OUTDIR"
for f in "$STAGE"/*; do
	cp "$f" "$OUTDIR/"
done
log "wrote $(find "$STAGE" -type f | wc -l) files to $OUTDIR"
