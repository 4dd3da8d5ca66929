#!/usr/bin/env bash
# make-real.sh - regenerate the "real" TLS fixture captures for tlsscan.
#
# Usage: sudo pcaps/make-real.sh [OUTDIR]          (default OUTDIR: pcaps/real)
#
# Every handshake here is made by stock `openssl s_server` / `openssl s_client`
# talking across a veth pair between two private network namespaces that this
# script creates (tlsscan-srv 10.200.0.1 / fd00:200::1 and tlsscan-cli
# 10.200.0.2 / fd00:200::2) and deletes on exit. Nothing else is ever
# contacted. tcpdump runs inside the client namespace, so captures hold exactly
# what crossed the wire (offloads are off, MTU 1500).
#
# The test PKI lives in pcaps/certs/ and is only generated when absent; it is
# test-only (private keys are committed on purpose). The captures are written
# to a staging directory first and only moved into OUTDIR when every scenario
# passed its tshark checks, so a failed run leaves OUTDIR untouched.
# OUTDIR/tshark-facts.txt lists, per capture and TCP stream, what tshark sees.
# KEEP_WORK=1 keeps the s_server/s_client/tcpdump logs (path printed at exit).
#
# Needs: openssl tcpdump tshark capinfos editcap mergecap (wireshark-common)
#        ip ss (iproute2) ethtool gzip coreutils.
set -euo pipefail

# Bound the whole run in time: re-exec once under timeout(1). On expiry the
# EXIT trap below still removes the namespaces and the background processes.
if [[ -z "${TLSSCAN_MAKE_REAL_TIMED:-}" ]]; then
	export TLSSCAN_MAKE_REAL_TIMED=1
	exec timeout --kill-after=20 420 bash "$0" "$@"
fi

die() { echo "make-real: FAIL: $*" >&2; exit 1; }
log() { printf 'make-real: [%3ds] %s\n' "$SECONDS" "$*" >&2; }

case ${1:-} in
-h | --help)
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
	exit 0
	;;
-*) die "usage: sudo $0 [OUTDIR]" ;;
esac
[[ $# -le 1 ]] || die "usage: sudo $0 [OUTDIR]"
[[ ${EUID:-$(id -u)} -eq 0 ]] || die "needs root (network namespaces, tcpdump): sudo $0 [OUTDIR]"
for t in openssl tcpdump tshark capinfos editcap mergecap ip ss ethtool gzip timeout head; do
	command -v "$t" >/dev/null || die "missing tool: $t (apt-get install -y openssl tcpdump tshark iproute2 ethtool)"
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CERTS=$HERE/certs
OUTDIR=${1:-$HERE/real}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

NS_S=tlsscan-srv
NS_C=tlsscan-cli
IF_S=ts-srv0
IF_C=ts-cli0
S4=10.200.0.1
C4=10.200.0.2
S6=fd00:200::1
C6=fd00:200::2

WORK=$(mktemp -d /tmp/tlsscan-make-real.XXXXXX)
STAGE=$WORK/out
WWW=$WORK/www
mkdir -p "$STAGE/rotated" "$WWW"

declare -A SRV_PID=()
CAP_PID=""

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	for id in "${!SRV_PID[@]}"; do
		kill -TERM "${SRV_PID[$id]}" 2>/dev/null
	done
	[[ -n "$CAP_PID" ]] && kill -INT "$CAP_PID" 2>/dev/null
	sleep 0.2
	for id in "${!SRV_PID[@]}"; do
		kill -KILL "${SRV_PID[$id]}" 2>/dev/null
	done
	[[ -n "$CAP_PID" ]] && kill -KILL "$CAP_PID" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	if [[ -n "${KEEP_WORK:-}" ]]; then
		echo "make-real: logs kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	if [[ $rc -ne 0 ]]; then
		echo "make-real: failed (rc=$rc); OUTDIR left untouched (KEEP_WORK=1 keeps the logs)." >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# 1. Test PKI (only when absent)
# ---------------------------------------------------------------------------
PKI_FILES=(ca-a.pem ca-a.key int-a.pem int-a.key ca-b.pem ca-b.key
	server.pem server.key client-a.pem client-a.key client-b.pem client-b.key
	ca-l.pem ca-l.key int-l1.pem int-l1.key int-l2.pem int-l2.key int-l3.pem int-l3.key
	large.pem large.key large-chain.pem)
DAYS=7300 # 20 years
O="tlsscan test PKI - NOT FOR PRODUCTION"

make_pki() {
	local d=$WORK/pki
	mkdir -p "$d"
	{
		printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n'
		printf '[v3_ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n'
		printf 'subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n'
		printf '[v3_server]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\n'
		printf 'extendedKeyUsage = serverAuth\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n'
		printf 'subjectAltName = DNS:server.test\n'
		printf '[v3_client]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n'
		printf 'extendedKeyUsage = clientAuth\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n'
		printf '[v3_large]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\n'
		printf 'extendedKeyUsage = serverAuth\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n'
		printf 'subjectAltName = @large_sans\n[large_sans]\nDNS.1 = large.server.test\n'
		local i
		for ((i = 1; i <= 500; i++)); do
			printf 'DNS.%d = host-%04d.large.server.test\n' $((i + 1)) "$i"
		done
	} >"$d/pki.cnf"
	local cnf=$d/pki.cnf

	eckey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
	rsakey() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$1" 2>/dev/null; }
	selfsign() { # name subject-CN serial
		openssl req -x509 -new -config "$cnf" -key "$d/$1.key" -subj "/O=$O/CN=$2" \
			-extensions v3_ca -days "$DAYS" -sha256 -set_serial "$3" -out "$d/$1.pem"
	}
	sign() { # name subject-CN issuer extensions serial
		openssl req -new -config "$cnf" -key "$d/$1.key" -subj "/O=$O/CN=$2" -out "$d/$1.csr"
		openssl x509 -req -in "$d/$1.csr" -CA "$d/$3.pem" -CAkey "$d/$3.key" -set_serial "$5" \
			-days "$DAYS" -sha256 -extfile "$cnf" -extensions "$4" -out "$d/$1.pem" 2>/dev/null
		rm -f "$d/$1.csr"
	}

	eckey "$d/ca-a.key"; selfsign ca-a "tlsscan test CA A" 0xA000
	eckey "$d/int-a.key"; sign int-a "tlsscan test intermediate A1" ca-a v3_ca 0xA001
	eckey "$d/server.key"; sign server "server.test" ca-a v3_server 0xA002
	eckey "$d/client-a.key"; sign client-a "client-a" int-a v3_client 0xA003
	eckey "$d/ca-b.key"; selfsign ca-b "tlsscan test CA B" 0xB000
	eckey "$d/client-b.key"; sign client-b "client-b" ca-b v3_client 0xB001
	rsakey "$d/ca-l.key"; selfsign ca-l "tlsscan test CA L (large chain)" 0xC000
	rsakey "$d/int-l1.key"; sign int-l1 "tlsscan test intermediate L1" ca-l v3_ca 0xC001
	rsakey "$d/int-l2.key"; sign int-l2 "tlsscan test intermediate L2" int-l1 v3_ca 0xC002
	rsakey "$d/int-l3.key"; sign int-l3 "tlsscan test intermediate L3" int-l2 v3_ca 0xC003
	rsakey "$d/large.key"; sign large "large.server.test" int-l3 v3_large 0xC004
	cat "$d/int-l3.pem" "$d/int-l2.pem" "$d/int-l1.pem" >"$d/large-chain.pem"

	openssl verify -CAfile "$d/ca-a.pem" "$d/server.pem" >/dev/null
	openssl verify -CAfile "$d/ca-a.pem" -untrusted "$d/int-a.pem" "$d/client-a.pem" >/dev/null
	openssl verify -CAfile "$d/ca-b.pem" "$d/client-b.pem" >/dev/null
	openssl verify -CAfile "$d/ca-l.pem" -untrusted "$d/large-chain.pem" "$d/large.pem" >/dev/null

	mkdir -p "$CERTS"
	local f
	for f in "${PKI_FILES[@]}"; do
		cp "$d/$f" "$CERTS/$f"
	done
	chmod 644 "$CERTS"/*
	cat >"$CERTS/README" <<-'EOF'
	TEST-ONLY PKI for the tlsscan fixture captures (pcaps/make-real.sh makes it
	when absent). The private keys are committed on purpose: never trust these
	CAs or use these keys anywhere else. Valid 20 years from creation.

	ca-a.pem         "tlsscan test CA A" (EC P-256, self-signed)
	int-a.pem        "tlsscan test intermediate A1" (EC P-256), signed by CA A
	server.pem       "server.test" (EC P-256, SAN DNS:server.test), signed by CA A
	client-a.pem     "client-a" (EC P-256, clientAuth), signed by intermediate A1;
	                 sent as the chain client-a + int-a (2 certificates)
	ca-b.pem         "tlsscan test CA B" (EC P-256, self-signed)
	client-b.pem     "client-b" (EC P-256, clientAuth), signed by CA B
	ca-l.pem         "tlsscan test CA L (large chain)" (RSA 4096, self-signed)
	int-l1..3.pem    intermediates L1 <- L2 <- L3 (RSA 4096), L1 signed by CA L
	large.pem        "large.server.test" (RSA 4096, 501 DNS SANs), signed by L3
	large-chain.pem  int-l3 + int-l2 + int-l1, sent after large.pem: the server
	                 Certificate message is > 16 KB and spans several records
	EOF
}

pki_complete=1
for f in "${PKI_FILES[@]}"; do
	[[ -s "$CERTS/$f" ]] || pki_complete=0
done
if [[ $pki_complete -eq 0 ]]; then
	log "making test PKI in $CERTS"
	make_pki
else
	log "test PKI present in $CERTS"
fi

# ---------------------------------------------------------------------------
# 2. Namespaces
# ---------------------------------------------------------------------------
nsS() { ip netns exec "$NS_S" "$@"; }
nsC() { ip netns exec "$NS_C" "$@"; }

setup_net() {
	local ns pid
	for ns in "$NS_S" "$NS_C"; do
		if [[ -e /run/netns/$ns ]]; then
			# Left over from an interrupted run of this script: end what runs in it.
			for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null || true; done
			ip netns del "$ns"
		fi
	done
	ip netns add "$NS_S"
	ip netns add "$NS_C"
	ip link add "$IF_C" netns "$NS_C" type veth peer name "$IF_S" netns "$NS_S"
	nsS ip link set lo up
	nsC ip link set lo up
	nsS sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 >/dev/null || true
	nsC sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 >/dev/null || true
	nsS ip link set "$IF_S" mtu 1500
	nsC ip link set "$IF_C" mtu 1500
	nsS ip addr add "$S4/24" dev "$IF_S"
	nsC ip addr add "$C4/24" dev "$IF_C"
	nsS ip -6 addr add "$S6/64" dev "$IF_S" nodad
	nsC ip -6 addr add "$C6/64" dev "$IF_C" nodad
	# Wire-sized packets: no segmentation/receive offloads; no checksum
	# offload either, so the captured checksums are the real ones.
	nsS ethtool -K "$IF_S" tso off gso off gro off tx off rx off >/dev/null 2>&1 ||
		nsS ethtool -K "$IF_S" tso off gso off gro off >/dev/null
	nsC ethtool -K "$IF_C" tso off gso off gro off tx off rx off >/dev/null 2>&1 ||
		nsC ethtool -K "$IF_C" tso off gso off gro off >/dev/null
	nsS ip link set "$IF_S" up
	nsC ip link set "$IF_C" up
	if ! command -v ping >/dev/null; then
		sleep 0.5
		return 0
	fi
	local i
	for ((i = 0; i < 50; i++)); do
		if nsC ping -c1 -W1 "$S4" >/dev/null 2>&1 && nsC ping -c1 -W1 "$S6" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	die "veth pair did not come up"
}

# ---------------------------------------------------------------------------
# 3. Helpers: capture, server, client
# ---------------------------------------------------------------------------
# cap_start FILE FILTER [tcpdump options...]   (default interface: the client veth)
cap_start() {
	local file=$1 filter=$2
	shift 2
	local err
	err=$WORK/tcpdump.$(basename "$file").err
	: >"$err"
	local ifopt=(-i "$IF_C")
	[[ " $* " == *" -i "* ]] && ifopt=()
	ip netns exec "$NS_C" timeout -s INT 120 \
		tcpdump -n -Z root -U --immediate-mode -s 0 "${ifopt[@]}" "$@" -w "$file" "$filter" 2>"$err" &
	CAP_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q 'listening on' "$err" && return 0
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$err" >&2
	die "tcpdump did not start for $file"
}

cap_stop() {
	sleep 0.3 # let the last FIN/ACKs arrive
	kill -INT "$CAP_PID"
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$CAP_PID" 2>/dev/null && kill -KILL "$CAP_PID"
	wait "$CAP_PID" || true
	CAP_PID=""
}

# srv_start ID [HOST:]PORT [s_server options...]   (serves files from $WWW, -WWW mode)
srv_start() {
	local id=$1 accept=$2 port=${2##*:}
	shift 2
	(cd "$WWW" && exec ip netns exec "$NS_S" timeout 120 openssl s_server -accept "$accept" -WWW "$@") \
		</dev/null >"$WORK/srv-$id.log" 2>&1 &
	SRV_PID[$id]=$!
	local i
	for ((i = 0; i < 100; i++)); do
		if nsS ss -Hltn "sport = :$port" | grep -q LISTEN; then return 0; fi
		kill -0 "${SRV_PID[$id]}" 2>/dev/null || break
		sleep 0.05
	done
	cat "$WORK/srv-$id.log" >&2
	die "s_server $id did not start on port $port"
}

srv_stop() {
	local id=$1 pid=${SRV_PID[$1]}
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "SRV_PID[$id]"
}

# cli ID DELAY TARGET [s_client options...]
# Connects, waits DELAY seconds after the handshake, sends one HTTP/1.0 GET
# for /index.html (or $GET_PATH) and reads until the server closes.
GET_PATH=/index.html
cli() {
	local id=$1 delay=$2 target=$3
	shift 3
	{
		sleep "$delay"
		printf 'GET %s HTTP/1.0\r\n\r\n' "$GET_PATH"
	} | timeout 20 ip netns exec "$NS_C" openssl s_client -connect "$target" -ign_eof "$@" \
		>"$WORK/cli-$id.log" 2>&1 || true
}

# ---------------------------------------------------------------------------
# 4. Checks and facts
# ---------------------------------------------------------------------------
# tsh FILE PORTS... -- tshark args : runs tshark with every PORT decoded as TLS
tsh() {
	local file=$1
	shift
	local d=()
	while [[ $1 != -- ]]; do
		d+=(-d "tcp.port==$1,tls")
		shift
	done
	shift
	tshark -n -r "$file" "${d[@]}" "$@" 2>/dev/null || true
}

# check FILE "PORTS" "OP N FILTER"... : one tshark pass over FILE (every PORT
# decoded as TLS) counting the frames that match each display FILTER; OP is
# "=" or ">=". A ClientHello (">= 1 tls.handshake.type==1") is always required
# unless the first argument after PORTS is --no-hello. Filters must not
# contain commas (tshark -z io,stat separates them with commas).
check() {
	local file=$1 ports=$2 hello=1
	shift 2
	if [[ ${1:-} == --no-hello ]]; then hello=0; shift; fi
	local specs=("$@")
	[[ $hello -eq 1 ]] && specs=(">= 1 tls.handshake.type==1" "${specs[@]}")
	local ops=() wants=() filters=() spec p
	for spec in "${specs[@]}"; do
		ops+=("${spec%% *}")
		spec=${spec#* }
		wants+=("${spec%% *}")
		filters+=("${spec#* }")
	done
	local d=()
	for p in $ports; do d+=(-d "tcp.port==$p,tls"); done
	local z row
	z=$(IFS=,; echo "${filters[*]}")
	row=$(tshark -n -q -r "$file" "${d[@]}" -z "io,stat,0,$z" 2>/dev/null | grep '<>' | tail -1 || true)
	local i got
	for i in "${!filters[@]}"; do
		got=$(awk -F'|' -v c=$((3 + 2 * i)) '{ gsub(/ /, "", $c); print $c + 0 }' <<<"$row")
		got=${got:-0}
		case ${ops[$i]} in
		=) [[ $got -eq ${wants[$i]} ]] ;;
		'>=') [[ $got -ge ${wants[$i]} ]] ;;
		*) die "check: bad operator ${ops[$i]}" ;;
		esac || die "$(basename "$file"): expected ${ops[$i]} ${wants[$i]} frame(s) matching '${filters[$i]}', tshark saw $got"
	done
}

FACTS=$STAGE/tshark-facts.txt
: >"$FACTS"

# facts FILE "PORTS" : per TCP stream, one line per frame carrying TLS records.
#  dir  C = client->server, S = server->client
#  rec  TLS record content types in the frame (20 CCS, 21 alert, 22 handshake,
#       23 application data; "23e" = TLS 1.3 encrypted record (opaque type 23),
#       "-" = only the continuation of a record begun in an earlier frame)
#  hs   cleartext handshake message types tshark decoded (1 CH, 2 SH/HRR,
#       4 NewSessionTicket, 11 Certificate, 12 SKE, 13 CertificateRequest,
#       14 SHD, 15 CertificateVerify, 16 CKE, 20 Finished if cleartext)
#  sid  session_id length; on a ServerHello "(echo)" = same as the ClientHello's,
#       "(new)" = different. sni, alpn, ticket_ext(len) = session_ticket
#       extension and its length, psk_ext = pre_shared_key, sv = supported
#       versions, ks = key_share groups, hrr_selected_group = HelloRetryRequest,
#  certs  number of certificates in a Certificate message, dn = CA names count,
#  alert  cleartext alert description.
facts() {
	local file=$1 ports=$2 name
	name=${file#"$STAGE"/}
	{
		echo "== $name"
		{ capinfos -t -E -c -I "$file" 2>&1 || true; } |
			sed -n -e 's/^File type: *\(.*\)/   file type: \1/p' \
				-e 's/^ *Time precision = *\(.*\)/   time precision: \1/p' \
				-e 's/.*\(appears to have been cut short in the middle of a packet\).*/   capinfos: file \1/p' \
				-e 's/^File encapsulation: *\(.*\)/   encapsulation: \1/p' \
				-e 's/^Number of packets: *\(.*\)/   packets: \1/p' \
				-e 's/^Number of interfaces in file: *\(.*\)/   interfaces: \1/p' \
				-e 's/^ *Encapsulation = *\(.*\)/   interface encapsulation: \1/p' |
			sort -u
		# shellcheck disable=SC2086
		tsh "$file" $ports -- -Y tls -T fields -E separator='|' -E occurrence=a -E aggregator=, \
			-e tcp.stream -e tcp.srcport -e tls.record.content_type -e tls.handshake.type \
			-e tls.handshake.session_id_length -e tls.handshake.extensions_server_name \
			-e tls.handshake.extensions_alpn_str -e tls.handshake.extension.type \
			-e tls.handshake.extension.len -e tls.handshake.extensions.supported_version \
			-e tls.handshake.certificate_length -e tls.handshake.dnames_len \
			-e tls.alert_message.desc -e tls.handshake.extensions_key_share_group \
			-e tls.handshake.extensions_key_share_selected_group -e tls.record.opaque_type \
			-e tls.handshake.session_id -e tls.handshake.certificates_length |
			awk -F'|' -v ports=" $ports " '
			{
				st = $1; dir = (index(ports, " " $2 " ") ? "S" : "C")
				if (!(st in seen)) { seen[st] = 1; order[++ns] = st }
				rec = $3
				if ($16 != "") { n = split($16, o, ","); for (i = 1; i <= n; i++) rec = rec (rec == "" ? "" : ",") o[i] "e" }
				if (rec == "") rec = "-"
				line = sprintf("%s rec=%s", dir, rec)
				if ($4 != "") line = line " hs=" $4
				if ($5 != "") {
					line = line " sid=" $5
					if (dir == "C" && $4 ~ /(^|,)1(,|$)/) chsid[st] = $17
					else if (dir == "S" && $5 > 0) line = line (($17 == chsid[st]) ? "(echo)" : "(new)")
				}
				if ($6 != "") line = line " sni=" $6
				if ($7 != "") line = line " alpn=" $7
				n = split($8, t, ","); split($9, l, ",")
				for (i = 1; i <= n; i++) {
					if (t[i] == 35) line = line " ticket_ext(len=" l[i] ")"
					if (t[i] == 41) line = line " psk_ext"
					if (t[i] == 42) line = line " early_data_ext"
				}
				if ($10 != "") line = line " sv=" $10
				if ($18 != "") { c = ($11 == "") ? 0 : split($11, q, ","); line = line " certs=" c }
				if ($12 != "") line = line " dn_len=" $12
				if ($14 != "") line = line " ks=" $14
				if ($15 != "") line = line " hrr_selected_group=" $15
				if ($13 != "") line = line " alert=" $13
				# identical consecutive frames of a stream are folded into "(xN)"
				if (nl[st] > 0 && lines[st, nl[st]] == line) { cnt[st, nl[st]]++; next }
				nl[st]++; lines[st, nl[st]] = line; cnt[st, nl[st]] = 1
			}
			END {
				for (i = 1; i <= ns; i++) {
					st = order[i]; printf "   stream %s:\n", st
					for (k = 1; k <= nl[st]; k++)
						printf "    %s%s\n", lines[st, k], (cnt[st, k] > 1 ? " (x" cnt[st, k] ")" : "")
				}
			}'
	} >>"$FACTS"
}

# ---------------------------------------------------------------------------
# 5. Scenarios
# ---------------------------------------------------------------------------
C=$CERTS
SRV_CERT=(-cert "$C/server.pem" -key "$C/server.key")
CLI_BASE=(-servername server.test -CAfile "$C/ca-a.pem")
CLI_A=(-cert "$C/client-a.pem" -key "$C/client-a.key" -cert_chain "$C/int-a.pem")
CLI_B=(-cert "$C/client-b.pem" -key "$C/client-b.key")

printf 'tlsscan fixture, served by openssl s_server -WWW\n' >"$WWW/index.html"

# scenario NAME PORT : starts the capture of $STAGE/NAME.pcap on PORT
begin() { CUR_FILE=$STAGE/$1.pcap; log "$1 (port $2)"; cap_start "$CUR_FILE" "tcp port $2" "${@:3}"; }
# end: stop the capture (every scenario then runs check, which fails loudly
# unless the capture holds a ClientHello).
end() { cap_stop; }

s_tls12_full() {
	begin tls12-full 8443
	srv_start a 8443 "${SRV_CERT[@]}" -alpn http/1.1
	cli 1 0 "$S4:8443" "${CLI_BASE[@]}" -tls1_2 -alpn h2,http/1.1
	srv_stop a
	end
	check "$CUR_FILE" "8443" \
		"= 1 tls.handshake.type==1 && tls.handshake.extensions_alpn_str==\"h2\"" \
		"= 1 tls.handshake.type==2 && tls.handshake.extensions_alpn_str==\"http/1.1\"" \
		"= 1 tls.handshake.type==4" \
		"= 0 tls.handshake.type==13"
	facts "$CUR_FILE" 8443
}

s_tls12_mtls() {
	begin tls12-mtls 4433
	srv_start a 4433 "${SRV_CERT[@]}" -Verify 2 -CAfile "$C/ca-a.pem" -verify_return_error
	cli 1 0 "$S4:4433" "${CLI_BASE[@]}" -tls1_2 "${CLI_A[@]}"
	srv_stop a
	end
	check "$CUR_FILE" "4433" \
		"= 1 tls.handshake.type==13" \
		"= 1 tls.handshake.type==15" \
		"= 1 tls.handshake.type==11 && tcp.dstport==4433 && tls.handshake.certificates_length>0" \
		">= 1 tls.record.content_type==23 && tcp.srcport==4433"
	facts "$CUR_FILE" 4433
}

s_tls12_mtls_optional_empty() {
	begin tls12-mtls-optional-empty 9000
	srv_start a 9000 "${SRV_CERT[@]}" -verify 2 -CAfile "$C/ca-a.pem"
	cli 1 0 "$S4:9000" "${CLI_BASE[@]}" -tls1_2
	srv_stop a
	end
	check "$CUR_FILE" "9000" \
		"= 1 tls.handshake.type==13" \
		"= 1 tls.handshake.type==11 && tcp.dstport==9000 && tls.handshake.certificates_length==0" \
		"= 0 tls.handshake.type==15" \
		">= 1 tls.record.content_type==23 && tcp.srcport==9000"
	facts "$CUR_FILE" 9000
}

s_tls12_mtls_required_empty() {
	begin tls12-mtls-required-empty 443
	srv_start a 443 "${SRV_CERT[@]}" -Verify 2 -CAfile "$C/ca-a.pem" -verify_return_error
	cli 1 0 "$S4:443" "${CLI_BASE[@]}" -tls1_2
	srv_stop a
	end
	check "$CUR_FILE" "443" \
		"= 1 tls.handshake.type==11 && tcp.dstport==443 && tls.handshake.certificates_length==0" \
		"= 1 tls.alert_message.desc==40 && tcp.srcport==443" \
		"= 0 tls.record.content_type==23"
	facts "$CUR_FILE" 443
}

s_tls12_mtls_wrong_ca() {
	begin tls12-mtls-wrong-ca 10443
	# -verify (optional) without -verify_return_error: the server logs the
	# verification error but completes the handshake.
	srv_start a 10443 "${SRV_CERT[@]}" -verify 2 -CAfile "$C/ca-a.pem"
	cli 1 0 "$S4:10443" "${CLI_BASE[@]}" -tls1_2 "${CLI_B[@]}"
	srv_stop a
	end
	grep -q 'unable to get local issuer certificate\|verify error' "$WORK/srv-a.log" ||
		die "tls12-mtls-wrong-ca: server did not log a verify error"
	check "$CUR_FILE" "10443" \
		"= 1 tls.handshake.type==13" \
		"= 1 tls.handshake.type==15" \
		">= 1 tls.record.content_type==23 && tcp.srcport==10443"
	facts "$CUR_FILE" 10443
}

s_tls12_sessionid_resume() {
	begin tls12-sessionid-resume 7443
	srv_start a 7443 "${SRV_CERT[@]}"
	cli 1 0 "$S4:7443" "${CLI_BASE[@]}" -tls1_2 -no_ticket -reconnect
	srv_stop a
	end
	grep -c '^Reused' "$WORK/cli-1.log" | grep -qx 5 || die "tls12-sessionid-resume: s_client did not resume 5 times"
	check "$CUR_FILE" "7443" \
		"= 6 tls.handshake.type==1" \
		"= 1 tls.handshake.type==11" \
		"= 0 tls.handshake.type==4"
	facts "$CUR_FILE" 7443
}

s_tls12_ticket_resume() {
	begin tls12-ticket-resume 6443
	srv_start a 6443 "${SRV_CERT[@]}"
	cli 1 0 "$S4:6443" "${CLI_BASE[@]}" -tls1_2 -sess_out "$WORK/t12.sess"
	cli 2 0 "$S4:6443" "${CLI_BASE[@]}" -tls1_2 -sess_in "$WORK/t12.sess"
	srv_stop a
	end
	grep -q '^Reused' "$WORK/cli-2.log" || die "tls12-ticket-resume: not resumed"
	check "$CUR_FILE" "6443" \
		"= 2 tls.handshake.type==1" \
		"= 1 tls.handshake.type==11"
	facts "$CUR_FILE" 6443
}

s_tls12_ticket_rejected() {
	begin tls12-ticket-rejected 5443
	srv_start a 5443 "${SRV_CERT[@]}"
	cli 1 0 "$S4:5443" "${CLI_BASE[@]}" -tls1_2 -sess_out "$WORK/t12r.sess"
	srv_stop a
	srv_start b 5443 "${SRV_CERT[@]}" # new process = new ticket keys
	cli 2 0 "$S4:5443" "${CLI_BASE[@]}" -tls1_2 -sess_in "$WORK/t12r.sess"
	srv_stop b
	end
	grep -q '^New' "$WORK/cli-2.log" || die "tls12-ticket-rejected: unexpectedly resumed"
	check "$CUR_FILE" "5443" \
		"= 2 tls.handshake.type==1" \
		"= 2 tls.handshake.type==11" \
		"= 2 tls.handshake.type==4"
	facts "$CUR_FILE" 5443
}

s_tls12_sessionid_rejected() {
	begin tls12-sessionid-rejected 5444
	srv_start a 5444 "${SRV_CERT[@]}"
	cli 1 0 "$S4:5444" "${CLI_BASE[@]}" -tls1_2 -no_ticket -sess_out "$WORK/s12r.sess"
	srv_stop a
	srv_start b 5444 "${SRV_CERT[@]}" # new process = empty session cache
	cli 2 0 "$S4:5444" "${CLI_BASE[@]}" -tls1_2 -no_ticket -sess_in "$WORK/s12r.sess"
	srv_stop b
	end
	grep -q '^New' "$WORK/cli-2.log" || die "tls12-sessionid-rejected: unexpectedly resumed"
	check "$CUR_FILE" "5444" \
		"= 2 tls.handshake.type==1" \
		"= 1 tls.handshake.type==1 && tls.handshake.session_id_length==32" \
		"= 2 tls.handshake.type==11"
	facts "$CUR_FILE" 5444
}

s_tls12_large_cert() {
	begin tls12-large-cert 8883
	srv_start a 8883 -cert "$C/large.pem" -key "$C/large.key" -cert_chain "$C/large-chain.pem"
	cli 1 0 "$S4:8883" -servername large.server.test -CAfile "$C/ca-l.pem" -tls1_2
	srv_stop a
	end
	grep -q 'Verify return code: 0 (ok)' "$WORK/cli-1.log" || die "tls12-large-cert: chain did not verify"
	check "$CUR_FILE" "8883" \
		"= 1 tls.handshake.type==11 && tls.handshake.length>16384" \
		">= 2 tcp.srcport==8883 && tls.record.content_type==22"
	facts "$CUR_FILE" 8883
}

s_tls13_full() {
	begin tls13-full 443
	srv_start a 443 "${SRV_CERT[@]}"
	cli 1 0 "$S4:443" "${CLI_BASE[@]}" -tls1_3 -alpn h2,http/1.1
	srv_stop a
	end
	check "$CUR_FILE" "443" "= 1 tls.handshake.type==2 && tls.handshake.extensions.supported_version==0x0304"
	facts "$CUR_FILE" 443
}

s_tls13_psk_resume() {
	begin tls13-psk-resume 4433
	srv_start a 4433 "${SRV_CERT[@]}"
	cli 1 0 "$S4:4433" "${CLI_BASE[@]}" -tls1_3 -sess_out "$WORK/t13.sess"
	cli 2 0 "$S4:4433" "${CLI_BASE[@]}" -tls1_3 -sess_in "$WORK/t13.sess"
	srv_stop a
	end
	grep -q '^Reused' "$WORK/cli-2.log" || die "tls13-psk-resume: not resumed"
	check "$CUR_FILE" "4433" \
		"= 1 tls.handshake.type==1 && tls.handshake.extension.type==41" \
		"= 1 tls.handshake.type==2 && tls.handshake.extension.type==41"
	facts "$CUR_FILE" 4433
}

s_tls13_psk_rejected() {
	begin tls13-psk-rejected 9443
	srv_start a 9443 "${SRV_CERT[@]}"
	cli 1 0 "$S4:9443" "${CLI_BASE[@]}" -tls1_3 -sess_out "$WORK/t13r.sess"
	srv_stop a
	srv_start b 9443 "${SRV_CERT[@]}"
	cli 2 0 "$S4:9443" "${CLI_BASE[@]}" -tls1_3 -sess_in "$WORK/t13r.sess"
	srv_stop b
	end
	grep -q '^New' "$WORK/cli-2.log" || die "tls13-psk-rejected: unexpectedly resumed"
	check "$CUR_FILE" "9443" \
		"= 1 tls.handshake.type==1 && tls.handshake.extension.type==41" \
		"= 0 tls.handshake.type==2 && tls.handshake.extension.type==41"
	facts "$CUR_FILE" 9443
}

s_tls13_mtls() {
	begin tls13-mtls 8443
	srv_start a 8443 "${SRV_CERT[@]}" -Verify 2 -CAfile "$C/ca-a.pem" -verify_return_error
	cli 1 0 "$S4:8443" "${CLI_BASE[@]}" -tls1_3 "${CLI_A[@]}"
	srv_stop a
	end
	grep -q 'CN = client-a' "$WORK/srv-a.log" || die "tls13-mtls: server did not get client-a"
	grep -q '^FILE:index.html' "$WORK/srv-a.log" || die "tls13-mtls: no request served"
	check "$CUR_FILE" "8443" \
		">= 1 tls.record.opaque_type==23 && tcp.srcport==8443" \
		">= 1 tls.record.opaque_type==23 && tcp.dstport==8443"
	facts "$CUR_FILE" 8443
}

s_tls13_hrr() {
	begin tls13-hrr 3000
	srv_start a 3000 "${SRV_CERT[@]}" -groups P-384
	cli 1 0 "$S4:3000" "${CLI_BASE[@]}" -tls1_3 -groups X25519:P-384
	srv_stop a
	end
	check "$CUR_FILE" "3000" \
		"= 2 tls.handshake.type==1" \
		"= 2 tls.handshake.type==2" \
		"= 1 tls.handshake.extensions_key_share_selected_group==24"
	facts "$CUR_FILE" 3000
}

s_tls1x_old() { # NAME PORT FLAG VERSIONHEX
	begin "$1" "$2"
	srv_start a "$2" "${SRV_CERT[@]}" "$3" -cipher 'DEFAULT@SECLEVEL=0'
	cli 1 0 "$S4:$2" "${CLI_BASE[@]}" "$3" -cipher 'DEFAULT@SECLEVEL=0'
	srv_stop a
	end
	check "$CUR_FILE" "$2" \
		"= 1 tls.handshake.type==2 && tls.handshake.version==$4" \
		">= 1 tls.record.content_type==23 && tcp.srcport==$2"
	facts "$CUR_FILE" "$2"
}

s_tls12_ipv6() {
	begin tls12-ipv6 8443
	srv_start a "[$S6]:8443" -6 "${SRV_CERT[@]}" -Verify 2 -CAfile "$C/ca-a.pem" -verify_return_error
	cli 1 0 "[$S6]:8443" "${CLI_BASE[@]}" -tls1_2 "${CLI_A[@]}"
	srv_stop a
	end
	check "$CUR_FILE" "8443" \
		"= 1 ipv6 && tls.handshake.type==1" \
		"= 1 tls.handshake.type==15"
	facts "$CUR_FILE" 8443
}

s_tls12_failed_version() {
	begin tls12-failed-version 443
	srv_start a 443 "${SRV_CERT[@]}" -tls1_2
	cli 1 0 "$S4:443" "${CLI_BASE[@]}" -tls1_3
	srv_stop a
	end
	check "$CUR_FILE" "443" \
		"= 1 tls.alert_message.desc==70 && tcp.srcport==443" \
		"= 0 tls.handshake.type==2"
	facts "$CUR_FILE" 443
}

s_sll2_any() {
	begin sll2-any 9000 -i any
	srv_start a 9000 "${SRV_CERT[@]}"
	cli 1 0 "$S4:9000" "${CLI_BASE[@]}" -tls1_2
	cli 2 0 "$S4:9000" "${CLI_BASE[@]}" -tls1_3
	srv_stop a
	end
	capinfos -E "$CUR_FILE" | grep -q 'Linux cooked-mode capture v2' || die "sll2-any: not SLL2"
	check "$CUR_FILE" "9000" "= 2 tls.handshake.type==1"
	facts "$CUR_FILE" 9000
}

s_nanosecond() {
	begin nanosecond 12345 --time-stamp-precision=nano
	srv_start a 12345 "${SRV_CERT[@]}"
	cli 1 0 "$S4:12345" "${CLI_BASE[@]}" -tls1_2
	srv_stop a
	end
	[[ $(head -c4 "$CUR_FILE" | od -An -tx1 | tr -d ' \n') == 4d3cb2a1 ]] ||
		die "nanosecond: not a nanosecond pcap (magic)"
	check "$CUR_FILE" "12345" "= 1 tls.handshake.type==1"
	facts "$CUR_FILE" 12345
}

s_rotated() {
	log "rotated (port 8080)"
	# 1.3 MB of application data: tcpdump -C counts in units of 1,000,000
	# bytes, so the connection spans two files.
	head -c 1300000 /dev/urandom >"$WWW/bulk.bin"
	CUR_FILE=$STAGE/rotated/tls12-bulk.pcap
	cap_start "$CUR_FILE" "tcp port 8080" -C 1
	srv_start a 8080 "${SRV_CERT[@]}"
	GET_PATH=/bulk.bin cli 1 0 "$S4:8080" "${CLI_BASE[@]}" -tls1_2 -quiet
	srv_stop a
	end
	rm -f "$WWW/bulk.bin"
	local n
	n=$(find "$STAGE/rotated" -name 'tls12-bulk.pcap*' | wc -l)
	[[ $n -ge 2 ]] || die "rotated: expected >= 2 files, got $n"
	check "$CUR_FILE" "8080" "= 1 tls.handshake.type==1"
	check "${CUR_FILE}1" "8080" --no-hello ">= 100 tcp.srcport==8080 && tcp.len>0"
	facts "$CUR_FILE" 8080
	local f i=1 bytes
	while [[ -f "$CUR_FILE$i" ]]; do
		f=$CUR_FILE$i
		bytes=$(tshark -r "$f" -Y 'tcp.srcport==8080' -T fields -e tcp.len 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
		{
			echo "== ${f#"$STAGE"/}"
			echo "   continuation of the same connection: $(capinfos -c -M "$f" | sed -n 's/^Number of packets: *//p') packets, $bytes TCP payload bytes from the server; tshark decodes no TLS record here (it starts mid-stream)"
		} >>"$FACTS"
		i=$((i + 1))
	done
}

s_multi() {
	log "multi (ports 8443, 443, 4433)"
	CUR_FILE=$STAGE/multi.pcap
	cap_start "$CUR_FILE" "tcp port 8443 or tcp port 443 or tcp port 4433"
	srv_start a 8443 "${SRV_CERT[@]}"
	srv_start b 443 "${SRV_CERT[@]}"
	srv_start c 4433 "${SRV_CERT[@]}" -Verify 2 -CAfile "$C/ca-a.pem" -verify_return_error
	# sequential: streams 0..4
	cli 1 0 "$S4:8443" "${CLI_BASE[@]}" -tls1_2 -sess_out "$WORK/m12.sess"
	cli 2 0 "$S4:443" "${CLI_BASE[@]}" -tls1_3 -sess_out "$WORK/m13.sess"
	cli 3 0 "$S4:4433" "${CLI_BASE[@]}" -tls1_2 "${CLI_A[@]}"
	cli 4 0 "$S4:8443" "${CLI_BASE[@]}" -tls1_2 -sess_in "$WORK/m12.sess"
	cli 5 0 "$S4:443" "${CLI_BASE[@]}" -tls1_3 -sess_in "$WORK/m13.sess"
	# overlapping: streams 5..7 start 0.3 s apart, each sends its request
	# 1 s after connecting, so their packets interleave.
	cli 6 1 "$S4:8443" "${CLI_BASE[@]}" -tls1_2 -no_ticket &
	local p6=$!
	sleep 0.3
	cli 7 1 "$S4:443" "${CLI_BASE[@]}" -tls1_3 &
	local p7=$!
	sleep 0.3
	cli 8 1 "$S4:4433" "${CLI_BASE[@]}" -tls1_3 "${CLI_A[@]}" &
	local p8=$!
	wait "$p6" "$p7" "$p8"
	srv_stop a
	srv_stop b
	srv_stop c
	end
	grep -q '^Reused' "$WORK/cli-4.log" || die "multi: stream 3 not resumed"
	grep -q '^Reused' "$WORK/cli-5.log" || die "multi: stream 4 not resumed"
	check "$CUR_FILE" "8443 443 4433" "= 8 tls.handshake.type==1"
	facts "$CUR_FILE" "8443 443 4433"
}

derived() {
	log "derived files (pcapng, merged, gzip, truncated)"
	editcap -F pcapng "$STAGE/tls12-full.pcap" "$STAGE/tls12-full.pcapng"
	check "$STAGE/tls12-full.pcapng" "8443" "= 1 tls.handshake.type==1"
	facts "$STAGE/tls12-full.pcapng" 8443

	# Two interfaces with different link types (Ethernet + Linux SLL2), one IDB each.
	mergecap -F pcapng -w "$STAGE/merged-eth-sll2.pcapng" "$STAGE/tls12-mtls.pcap" "$STAGE/sll2-any.pcap"
	[[ $(capinfos -I "$STAGE/merged-eth-sll2.pcapng" | grep -c 'Encapsulation = ') -eq 2 ]] ||
		die "merged-eth-sll2.pcapng: expected 2 interfaces"
	check "$STAGE/merged-eth-sll2.pcapng" "4433 9000" "= 3 tls.handshake.type==1"
	facts "$STAGE/merged-eth-sll2.pcapng" "4433 9000"

	gzip -9 -n -c "$STAGE/tls12-mtls.pcap" >"$STAGE/tls12-mtls.pcap.gz"
	cp "$STAGE/tls12-mtls.pcap.gz" "$STAGE/tls12-mtls-gzipped.pcap"
	check "$STAGE/tls12-mtls.pcap.gz" "4433" "= 1 tls.handshake.type==15"
	check "$STAGE/tls12-mtls-gzipped.pcap" "4433" "= 1 tls.handshake.type==15"
	echo "== tls12-mtls.pcap.gz, tls12-mtls-gzipped.pcap: gzip -9 -n of tls12-mtls.pcap (same facts)" >>"$FACTS"

	# Truncated copies of tls12-full.pcap: the cut lands in the middle of a
	# packet record (16-byte record header + cap_len bytes; 24-byte file header).
	local src=$STAGE/tls12-full.pcap
	cut_at() { # FRAME_NUMBER -> byte offset in the middle of that frame's data
		tshark -r "$src" -T fields -e frame.number -e frame.cap_len 2>/dev/null |
			awk -v k="$1" 'BEGIN { off = 24 } $1 < k { off += 16 + $2 } $1 == k { print off + 16 + int($2 / 2); exit }'
	}
	local fr off
	# (a) mid-connection: inside the frame carrying the server's first application data
	fr=$(tsh "$src" 8443 -- -Y 'tcp.srcport==8443 && tls.record.content_type==23' -T fields -e frame.number | head -1)
	off=$(cut_at "$fr")
	head -c "$off" "$src" >"$STAGE/truncated.pcap"
	check "$STAGE/truncated.pcap" "8443" \
		"= 1 tls.handshake.type==16" \
		"= 0 tls.record.content_type==23 && tcp.srcport==8443"
	echo "== truncated.pcap: head -c $off of tls12-full.pcap, cut inside frame $fr (the server's first application-data frame)" >>"$FACTS"
	facts "$STAGE/truncated.pcap" 8443
	# (b) mid-handshake: inside the frame carrying ClientKeyExchange/CCS/Finished
	fr=$(tsh "$src" 8443 -- -Y 'tls.handshake.type==16' -T fields -e frame.number | head -1)
	off=$(cut_at "$fr")
	head -c "$off" "$src" >"$STAGE/truncated-handshake.pcap"
	check "$STAGE/truncated-handshake.pcap" "8443" \
		"= 1 tls.handshake.type==14" \
		"= 0 tls.handshake.type==16"
	echo "== truncated-handshake.pcap: head -c $off of tls12-full.pcap, cut inside frame $fr (ClientKeyExchange+CCS+Finished)" >>"$FACTS"
	facts "$STAGE/truncated-handshake.pcap" 8443
}

# ---------------------------------------------------------------------------
# 6. Run
# ---------------------------------------------------------------------------
setup_net
log "namespaces $NS_S ($S4, $S6) <-> $NS_C ($C4, $C6) up"

s_tls12_full
s_tls12_mtls
s_tls12_mtls_optional_empty
s_tls12_mtls_required_empty
s_tls12_mtls_wrong_ca
s_tls12_sessionid_resume
s_tls12_ticket_resume
s_tls12_ticket_rejected
s_tls12_sessionid_rejected
s_tls12_large_cert
s_tls13_full
s_tls13_psk_resume
s_tls13_psk_rejected
s_tls13_mtls
s_tls13_hrr
s_tls1x_old tls10 993 -tls1 0x0301
s_tls1x_old tls11 995 -tls1_1 0x0302
s_tls12_ipv6
s_tls12_failed_version
s_sll2_any
s_nanosecond
s_rotated
s_multi
derived

# Publish: replace only the files this script makes.
rm -f "$OUTDIR"/rotated/tls12-bulk.pcap*
mkdir -p "$OUTDIR/rotated"
for f in "$STAGE"/*; do
	[[ -f $f ]] && mv -f "$f" "$OUTDIR/"
done
mv -f "$STAGE"/rotated/* "$OUTDIR/rotated/"
log "done: $(find "$OUTDIR" -type f | wc -l) files, $(du -sh "$OUTDIR" | cut -f1) in $OUTDIR"
