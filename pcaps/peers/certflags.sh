#!/usr/bin/env bash
# certflags.sh - make the real TLS 1.2 captures that show tlsscan's
# certificate flags (expired, not_yet_valid, self_signed, sni_mismatch, and
# chain_invalid with --ca-bundle pcaps/certs/ca-a.pem) into
# pcaps/real/certflags/, one capture per file.
#
# Usage: sudo pcaps/peers/certflags.sh [OUTDIR]
#        (default OUTDIR: pcaps/real/certflags)
# KEEP_WORK=1 keeps the temp dir (captures, peer logs) and prints its path.
#
# Certificates: pcaps/certs/certflags/ (test-only, private keys committed on
# purpose). Made here when absent, reused when present (delete the folder to
# make new ones); all EC P-256, the CA-issued ones signed by "tlsscan test
# CA A" (pcaps/certs/ca-a.pem/.key) with `openssl ca -startdate -enddate`
# (OpenSSL 3.0's `x509 -req` cannot set dates in the past):
#   expired.pem        CN/SAN expired.test, serverAuth, CA A,
#                      valid 2020-01-01 .. 2021-01-01 (UTC)
#   not-yet-valid.pem  CN/SAN not-yet-valid.test, serverAuth, CA A,
#                      valid 2099-01-01 .. 2100-01-01
#   self-signed.pem    CN/SAN self-signed.test, `openssl req -x509`,
#                      CA:FALSE, 7300 days from creation
#   client-expired.pem CN client-expired, clientAuth, CA A,
#                      valid 2020-01-01 .. 2021-01-01
# sni-mismatch uses pcaps/certs/server.pem (server.test, CA A).
#
# Scenarios (port; every server `openssl s_server -accept P -WWW -tls1_2
# -no_ticket` serving a 6-byte index.html; every client `openssl s_client
# -tls1_2 -CAfile pcaps/certs/ca-a.pem -ign_eof`, GET /index.html; s_client
# reports the verify error and goes on, as it does without
# -verify_return_error):
#   expired          7001  -cert expired.pem / -servername expired.test
#   not-yet-valid    7002  -cert not-yet-valid.pem / -servername not-yet-valid.test
#   self-signed      7003  -cert self-signed.pem / -servername self-signed.test
#   sni-mismatch     7004  -cert certs/server.pem / -servername other.test
#   client-expired   7005  -cert certs/server.pem -verify 1 -CAfile ca-a.pem
#                          (optional, no -verify_return_error: the server logs
#                          the error and goes on) / -servername server.test
#                          -cert client-expired.pem
#
# Two private network namespaces made here and deleted on exit
# (tlsscan-cf-srv 10.204.40.1, tlsscan-cf-cli 10.204.40.2, a veth pair,
# MTU 1500, offloads off); nothing else is contacted. tcpdump runs in the
# client namespace on the veth. Each capture is checked with tshark (one TCP
# stream, ServerHello version TLS 1.2, the expected certificate in the
# server's Certificate message, the client's too for client-expired, the
# HTTP answer received); a failed check stops the run before OUTDIR is
# touched.
#
# Needs: openssl tcpdump tshark ip ss (iproute2) ethtool timeout.
set -euo pipefail

# The whole run is bounded in time; the EXIT trap cleans up on expiry too.
if [[ -z "${TLSSCAN_CERTFLAGS_TIMED:-}" ]]; then
	export TLSSCAN_CERTFLAGS_TIMED=1
	exec timeout --kill-after=10 180 bash "$0" "$@"
fi

die() { echo "certflags: FAIL: $*" >&2; exit 1; }
log() { printf 'certflags: [%3ds] %s\n' "$SECONDS" "$*" >&2; }

case ${1:-} in
-h | --help)
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
	exit 0
	;;
-*) die "usage: sudo $0 [OUTDIR]" ;;
esac
[[ $# -le 1 ]] || die "usage: sudo $0 [OUTDIR]"
[[ ${EUID:-$(id -u)} -eq 0 ]] || die "needs root (network namespaces, tcpdump)"
for t in openssl tcpdump tshark ip ss ethtool timeout; do
	command -v "$t" >/dev/null ||
		die "missing tool: $t (apt-get install -y openssl tcpdump tshark iproute2 ethtool)"
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CERTS=$HERE/certs
CF=$CERTS/certflags
OUTDIR=${1:-$HERE/real/certflags}
for f in ca-a.pem ca-a.key server.pem server.key; do
	[[ -s "$CERTS/$f" ]] || die "missing $CERTS/$f (run pcaps/make-real.sh once to make the test PKI)"
done
NS_S=tlsscan-cf-srv
NS_C=tlsscan-cf-cli
IF_S=tscf-srv0
IF_C=tscf-cli0
S4=10.204.40.1
C4=10.204.40.2
WORK=$(mktemp -d /tmp/tlsscan-certflags.XXXXXX)
STAGE=$WORK/out
WWW=$WORK/www
mkdir -p "$STAGE" "$WWW"
SRV_PID=""
CAP_PID=""

cleanup() {
	local rc=$? p
	set +e
	trap - EXIT INT TERM
	for p in "$CAP_PID" "$SRV_PID"; do
		[[ -n "$p" ]] && kill "$p" 2>/dev/null
	done
	for p in "$CAP_PID" "$SRV_PID"; do
		[[ -n "$p" ]] && wait "$p" 2>/dev/null
	done
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	if [[ -n "${KEEP_WORK:-}" ]]; then
		echo "certflags: kept $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	[[ $rc -eq 0 ]] || echo "certflags: failed (rc=$rc); OUTDIR left untouched (KEEP_WORK=1 keeps the logs)" >&2
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# 1. The certificates (made once, then reused)
# ---------------------------------------------------------------------------
# ca_issue NAME CN START END EKU [SAN] : NAME.key + NAME.pem signed by CA A
# with the given validity (YYYYMMDDHHMMSSZ), through `openssl ca`.
ca_issue() {
	local name=$1 cn=$2 start=$3 end=$4 eku=$5 san=${6:-}
	local d=$WORK/ca
	mkdir -p "$d"
	: >"$d/index.txt"
	cat >"$d/ca.cnf" <<EOF
[ca]
default_ca = tlsscan_test
[tlsscan_test]
dir = $d
database = $d/index.txt
new_certs_dir = $d
rand_serial = yes
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = $eku
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	[[ -n "$san" ]] && echo "subjectAltName = $san" >>"$d/ca.cnf"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/$name.key" 2>/dev/null
	openssl req -new -key "$WORK/$name.key" -subj "/CN=$cn" -out "$d/$name.csr"
	openssl ca -batch -config "$d/ca.cnf" -extensions ext -notext \
		-cert "$CERTS/ca-a.pem" -keyfile "$CERTS/ca-a.key" \
		-startdate "$start" -enddate "$end" -in "$d/$name.csr" -out "$WORK/$name.pem" 2>"$d/$name.log" ||
		die "openssl ca for $name: $(cat "$d/$name.log")"
}

if [[ -s "$CF/expired.pem" && -s "$CF/not-yet-valid.pem" && -s "$CF/self-signed.pem" && -s "$CF/client-expired.pem" ]]; then
	log "reusing $CF"
else
	log "making the certificates in $CF"
	ca_issue expired expired.test 20200101000000Z 20210101000000Z serverAuth DNS:expired.test
	ca_issue not-yet-valid not-yet-valid.test 20990101000000Z 21000101000000Z serverAuth DNS:not-yet-valid.test
	ca_issue client-expired client-expired 20200101000000Z 20210101000000Z clientAuth
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 7300 \
		-subj /CN=self-signed.test -addext subjectAltName=DNS:self-signed.test \
		-addext basicConstraints=critical,CA:FALSE -addext keyUsage=critical,digitalSignature \
		-addext extendedKeyUsage=serverAuth \
		-keyout "$WORK/self-signed.key" -out "$WORK/self-signed.pem" 2>/dev/null
	mkdir -p "$CF"
	for n in expired not-yet-valid client-expired self-signed; do
		cp "$WORK/$n.key" "$WORK/$n.pem" "$CF/"
	done
fi
# sanity: the CA-issued ones chain to CA A (dates not checked: CA A itself
# is valid only from its creation on)
for n in expired not-yet-valid client-expired; do
	openssl verify -no_check_time -CAfile "$CERTS/ca-a.pem" "$CF/$n.pem" >/dev/null 2>&1 ||
		die "$n.pem does not verify to CA A"
done

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
printf 'hello\n' >"$WWW/index.html"

# ---------------------------------------------------------------------------
# 3. Helpers
# ---------------------------------------------------------------------------
# srv_start ID PORT s_server-options... : s_server -WWW in the server
# namespace (in $WWW, bounded to 60 s); waits for PORT to listen.
srv_start() {
	local id=$1 port=$2 i
	shift 2
	(cd "$WWW" && exec ip netns exec "$NS_S" timeout 60 openssl s_server -accept "$S4:$port" \
		-WWW -tls1_2 -no_ticket "$@") </dev/null >"$WORK/srv-$id.log" 2>&1 &
	SRV_PID=$!
	for ((i = 0; i < 100; i++)); do # bounded: 100 x 0.05 s
		ip netns exec "$NS_S" ss -Hltn "sport = :$port" | grep -q LISTEN && return 0
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$WORK/srv-$id.log" >&2
	die "server $id did not start on port $port"
}

srv_stop() {
	kill "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=""
}

# cap_start NAME PORT
cap_start() {
	local i
	ip netns exec "$NS_C" timeout -s INT 60 \
		tcpdump -n -Z root -U --immediate-mode -s 0 -B 8192 -i "$IF_C" -w "$WORK/$1.pcap" "tcp port $2" \
		>"$WORK/tcpdump-$1.log" 2>&1 &
	CAP_PID=$!
	for ((i = 0; i < 100; i++)); do # bounded: 100 x 0.05 s
		grep -qs 'listening on' "$WORK/tcpdump-$1.log" && return 0
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$WORK/tcpdump-$1.log" >&2
	die "tcpdump did not start for $1"
}

cap_stop() {
	local i
	sleep 0.5 # let the last FIN/ACKs arrive
	kill -INT "$CAP_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do # bounded: 100 x 0.05 s
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$CAP_PID" 2>/dev/null || true
	wait "$CAP_PID" 2>/dev/null || true
	grep -q '^0 packets dropped by kernel' "$WORK/tcpdump-$1.log" || die "$1: tcpdump dropped packets: $(cat "$WORK/tcpdump-$1.log")"
	CAP_PID=""
}

declare -A PORT=() SNI=() SCERT=() CCERT=()
NAMES=()
# one NAME PORT SNI SERVER-CERT-BASE "server options" client-options... :
# one server, one capture, one s_client GET. SERVER-CERT-BASE is a path
# without .pem/.key.
one() {
	local name=$1 port=$2 sni=$3 cert=$4 sopts=$5
	shift 5
	log "$name (port $port)"
	PORT[$name]=$port SNI[$name]=$sni SCERT[$name]=$cert.pem
	NAMES+=("$name")
	# shellcheck disable=SC2086 # sopts is a list of plain words
	srv_start "$name" "$port" -cert "$cert.pem" -key "$cert.key" $sopts
	cap_start "$name" "$port"
	{
		sleep 0.5
		printf 'GET /index.html HTTP/1.0\r\n\r\n'
	} | ip netns exec "$NS_C" timeout 20 openssl s_client -connect "$S4:$port" -servername "$sni" \
		-tls1_2 -CAfile "$CERTS/ca-a.pem" -ign_eof -nocommands "$@" >"$WORK/cli-$name.log" 2>&1 || true
	cap_stop "$name"
	srv_stop
}

# ---------------------------------------------------------------------------
# 4. The captures
# ---------------------------------------------------------------------------
one expired 7001 expired.test "$CF/expired" ""
one not-yet-valid 7002 not-yet-valid.test "$CF/not-yet-valid" ""
one self-signed 7003 self-signed.test "$CF/self-signed" ""
one sni-mismatch 7004 other.test "$CERTS/server" ""
one client-expired 7005 server.test "$CERTS/server" "-verify 1 -CAfile $CERTS/ca-a.pem" \
	-cert "$CF/client-expired.pem" -key "$CF/client-expired.key"
CCERT[client-expired]=$CF/client-expired.pem

# ---------------------------------------------------------------------------
# 5. Checks
# ---------------------------------------------------------------------------
log "checks"
der_hex() { openssl x509 -in "$1" -outform DER | od -An -v -tx1 | tr -d ' \n'; }
# what s_client reported about the server's certificate
declare -A WANT_VERIFY=(
	[expired]='certificate has expired'
	[not-yet-valid]='certificate is not yet valid'
	[self-signed]='self-signed certificate'
	[sni-mismatch]='Verify return code: 0 (ok)'
	[client-expired]='Verify return code: 0 (ok)'
)
for name in "${NAMES[@]}"; do
	f=$WORK/$name.pcap
	[[ -s "$f" ]] || die "$name: empty capture"
	size=$(stat -c %s "$f")
	((size < 50000)) || die "$name: capture is $size bytes"
	d=(-n -r "$f" -d "tcp.port==${PORT[$name]},tls")
	streams=$(tshark "${d[@]}" -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)
	[[ $streams -eq 1 ]] || die "$name: $streams TCP streams, want 1"
	ver=$(tshark "${d[@]}" -Y 'tls.handshake.type==2' -T fields -e tls.handshake.version 2>/dev/null)
	[[ $ver == 0x0303 ]] || die "$name: ServerHello version '$ver', want 0x0303"
	sni=$(tshark "${d[@]}" -Y 'tls.handshake.type==1' -T fields -e tls.handshake.extensions_server_name 2>/dev/null)
	[[ $sni == "${SNI[$name]}" ]] || die "$name: SNI '$sni', want ${SNI[$name]}"
	# the first certificate of each Certificate message, by sender port
	certs=$(tshark "${d[@]}" -Y 'tls.handshake.type==11' -T fields -E occurrence=f \
		-e tcp.srcport -e tls.handshake.certificate 2>/dev/null | tr -d ':')
	srv=$(awk -v p="${PORT[$name]}" '$1 == p {print $2}' <<<"$certs")
	[[ $srv == "$(der_hex "${SCERT[$name]}")" ]] || die "$name: the server's leaf is not ${SCERT[$name]}"
	cli=$(awk -v p="${PORT[$name]}" '$1 != p {print $2}' <<<"$certs")
	if [[ -n "${CCERT[$name]:-}" ]]; then
		[[ $cli == "$(der_hex "${CCERT[$name]}")" ]] || die "$name: the client's leaf is not ${CCERT[$name]}"
		grep -q 'certificate has expired' "$WORK/srv-$name.log" ||
			die "$name: s_server did not report the expired client certificate: $(cat "$WORK/srv-$name.log")"
	else
		[[ -z $cli ]] || die "$name: the client sent a certificate"
	fi
	grep -q "${WANT_VERIFY[$name]}" "$WORK/cli-$name.log" ||
		die "$name: s_client did not report '${WANT_VERIFY[$name]}': $(grep -i verify "$WORK/cli-$name.log")"
	grep -q '^hello$' "$WORK/cli-$name.log" || die "$name: no HTTP answer: $(tail -5 "$WORK/cli-$name.log")"
	grep -q 'HTTP/1.0 200' "$WORK/cli-$name.log" || die "$name: no HTTP 200"
	log "$name: ok ($size bytes; s_client: ${WANT_VERIFY[$name]})"
done

# ---------------------------------------------------------------------------
# 6. The copy
# ---------------------------------------------------------------------------
for name in "${NAMES[@]}"; do
	cp "$WORK/$name.pcap" "$STAGE/"
done
mkdir -p "$OUTDIR"
for f in "$STAGE"/*; do
	cp "$f" "$OUTDIR/"
done
log "wrote $(find "$STAGE" -type f | wc -l) files to $OUTDIR"
