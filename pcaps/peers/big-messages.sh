#!/usr/bin/env bash
# big-messages.sh - make the real-peer captures of issue 9's "handshake
# messages of any legal size":
#   pcaps/real/big-cert-tls12.pcap  a TLS 1.2 server Certificate message of
#                                   about 400 KB (a leaf with 10,500 DNS
#                                   subjectAltNames, and its intermediate)
#   pcaps/real/big-cert-tls13.pcap  the same server and chain over TLS 1.3
#                                   (the Certificate is encrypted there)
#   pcaps/real/many-ca-names.pcap   TLS 1.2 mutual TLS whose
#                                   CertificateRequest names 600 CAs (about
#                                   63 KB of certificate_authorities, under
#                                   the 65,535 bytes its 2-byte length
#                                   allows); the client's certificate is
#                                   issued by one of them
# and beside each its key log, NAME.keys (NSS key log format).
#
# Usage: sudo pcaps/peers/big-messages.sh [OUTDIR]   (default OUTDIR: pcaps/real)
# KEEP_WORK=1 keeps the temp dir (PKI, logs, captures) and prints its path.
#
# The test PKI is generated here into a temp dir on every run (nothing is
# committed; every run's keys, and so its captures, differ): P-256 keys,
# a root, an intermediate and the big leaf for the server; 600 self-signed
# CAs (bundle.pem) and a client certificate issued by CA number 417.
#
# Two private network namespaces made here and deleted on exit
# (tlsscan-big-srv 10.203.9.1, tlsscan-big-cli 10.203.9.2, a veth pair,
# MTU 1500, offloads off); nothing else is contacted. tcpdump runs in the
# client namespace, one capture per file.
#   big-cert-*: `openssl s_server -www` on port 9443 with the
#     big chain; the client is python3's ssl (SNI big-cert.example.test, no
#     verification, GET /, key log via SSLContext.keylog_filename). Not
#     s_client: OpenSSL refuses a Certificate message longer than the
#     context's max_cert_list (100 KiB by default) and s_client has no
#     option to raise it, so the python client raises it to 16 MiB with
#     SSL_CTX_set_max_cert_list through ctypes (checked: it must read the
#     default 102400 first).
#   many-ca-names: `openssl s_server -tls1_2 -www -Verify 1 -CAfile
#     bundle.pem -verify_return_error` on port 9445; `openssl s_client
#     -tls1_2 -servername many-ca-names.example.test -cert client.pem -key
#     client.key -keylogfile` sends GET /.
# Each capture is checked (the Certificate message ~400 KB with 2
# certificates, TLS 1.3 selected, 600 DNs in under 65,536 bytes, the
# client's certificate sent, each file under 2 MB) with tshark and a walk
# of the handshake messages in `tshark -z follow,tcp,raw` (Wireshark 4.0
# neither reassembles the big Certificate nor lists more than 100 DNs),
# and the facts printed; any failed check stops the run before pcaps/real
# is touched.
#
# Needs: openssl tcpdump tshark python3 ip (iproute2) ethtool timeout.
set -euo pipefail

# The whole run is bounded in time; the EXIT trap cleans up on expiry too.
if [[ -z "${TLSSCAN_BIG_MESSAGES_TIMED:-}" ]]; then
	export TLSSCAN_BIG_MESSAGES_TIMED=1
	exec timeout --kill-after=10 240 bash "$0" "$@"
fi

die() { echo "big-messages: FAIL: $*" >&2; exit 1; }
log() { printf 'big-messages: [%3ds] %s\n' "$SECONDS" "$*" >&2; }
[[ $# -le 1 ]] || die "usage: sudo $0 [OUTDIR]"
[[ ${EUID:-$(id -u)} -eq 0 ]] || die "needs root (network namespaces, tcpdump)"
for t in openssl tcpdump tshark python3 ip ethtool timeout; do
	command -v "$t" >/dev/null || die "missing tool: $t (apt-get install -y openssl tcpdump tshark python3 iproute2 ethtool)"
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUTDIR=${1:-$HERE/real}
NS_S=tlsscan-big-srv
NS_C=tlsscan-big-cli
IF_S=tsb-srv0
IF_C=tsb-cli0
S4=10.203.9.1
C4=10.203.9.2
BIG_PORT=9443
MTLS_PORT=9445
N_SANS=10500 # ~400 KB of subjectAltName in the leaf
N_CAS=600    # CA names in the CertificateRequest
CLIENT_CA=417 # the CA (1-based) that issues the client's certificate
WORK=$(mktemp -d)
PKI=$WORK/pki
SRV_PID=""
CAP_PID=""

cleanup() {
	local p
	for p in "$CAP_PID" "$SRV_PID"; do
		if [[ -n "$p" ]]; then kill "$p" 2>/dev/null || true; fi
	done
	for p in "$CAP_PID" "$SRV_PID"; do
		if [[ -n "$p" ]]; then wait "$p" 2>/dev/null || true; fi
	done
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	if [[ -n "${KEEP_WORK:-}" ]]; then
		echo "big-messages: kept $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

# ---------------------------------------------------------------------------
# 1. The test PKI (temp dir, regenerated every run)
# ---------------------------------------------------------------------------
mkdir -p "$PKI/cas"
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
# sign CSR CA CAKEY OUT EXTFILE
sign() {
	openssl x509 -req -in "$1" -CA "$2" -CAkey "$3" -set_serial "0x$(openssl rand -hex 8)" \
		-days 3650 -sha256 -extfile "$5" -extensions ext -out "$4" 2>/dev/null
}

log "PKI: server root, intermediate, leaf with $N_SANS SANs"
cat >"$PKI/ca.ext" <<'EOF'
[ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$PKI/root.key" \
	-subj "/C=ZZ/O=tlsscan test PKI/CN=tlsscan big-cert root" -days 3650 -sha256 \
	-out "$PKI/root.pem" 2>/dev/null
ec_key "$PKI/int.key"
openssl req -new -key "$PKI/int.key" -subj "/C=ZZ/O=tlsscan test PKI/CN=tlsscan big-cert intermediate" \
	-out "$PKI/int.csr"
sign "$PKI/int.csr" "$PKI/root.pem" "$PKI/root.key" "$PKI/int.pem" "$PKI/ca.ext"
{
	echo "[ext]"
	echo "basicConstraints = critical, CA:FALSE"
	echo "keyUsage = critical, digitalSignature"
	echo "extendedKeyUsage = serverAuth"
	echo "subjectAltName = @alt"
	echo "[alt]"
	echo "DNS.1 = big-cert.example.test"
	for ((i = 2; i <= N_SANS; i++)); do
		printf 'DNS.%d = host-%05d.san.big-cert.example.test\n' "$i" "$i"
	done
} >"$PKI/leaf.ext"
ec_key "$PKI/leaf.key"
openssl req -new -key "$PKI/leaf.key" -subj "/C=ZZ/O=tlsscan test PKI/CN=big-cert.example.test" -out "$PKI/leaf.csr"
sign "$PKI/leaf.csr" "$PKI/int.pem" "$PKI/int.key" "$PKI/leaf.pem" "$PKI/leaf.ext"
cat >"$PKI/small.ext" <<'EOF'
[ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:many-ca-names.example.test
EOF
ec_key "$PKI/small.key"
openssl req -new -key "$PKI/small.key" -subj "/C=ZZ/O=tlsscan test PKI/CN=many-ca-names.example.test" -out "$PKI/small.csr"
sign "$PKI/small.csr" "$PKI/int.pem" "$PKI/int.key" "$PKI/small.pem" "$PKI/small.ext"

log "PKI: $N_CAS CAs for the CertificateRequest, a client certificate from CA $CLIENT_CA"
: >"$PKI/bundle.pem"
for ((i = 1; i <= N_CAS; i++)); do
	# Each DN is 104 bytes of DER: 600 of them (each with its 2-byte
	# length) fill 63,600 of the 65,535 bytes the list may hold.
	n=$(printf '%04d' "$i")
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$PKI/cas/$n.key" \
		-subj "/C=ZZ/O=tlsscan many-ca-names test PKI/OU=bundle/CN=tlsscan test CA $n" \
		-days 3650 -sha256 -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$PKI/cas/$n.pem" 2>/dev/null
	cat "$PKI/cas/$n.pem" >>"$PKI/bundle.pem"
done
cat >"$PKI/client.ext" <<'EOF'
[ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
EOF
ec_key "$PKI/client.key"
openssl req -new -key "$PKI/client.key" -subj "/C=ZZ/O=tlsscan test PKI/CN=many-ca-names client" -out "$PKI/client.csr"
n=$(printf '%04d' "$CLIENT_CA")
sign "$PKI/client.csr" "$PKI/cas/$n.pem" "$PKI/cas/$n.key" "$PKI/client.pem" "$PKI/client.ext"
openssl verify -CAfile "$PKI/bundle.pem" "$PKI/client.pem" >/dev/null || die "client certificate does not verify against the bundle"

# ---------------------------------------------------------------------------
# 2. The network
# ---------------------------------------------------------------------------
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

# ---------------------------------------------------------------------------
# 3. Helpers
# ---------------------------------------------------------------------------
# srv_start PORT [s_server options...]
srv_start() {
	local port=$1
	shift
	ip netns exec "$NS_S" timeout 120 openssl s_server -accept "$S4:$port" -www "$@" \
		</dev/null >"$WORK/server.log" 2>&1 &
	SRV_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do # bounded: 100 x 0.05 s
		ip netns exec "$NS_S" ss -Hltn "sport = :$port" | grep -q LISTEN && return 0
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$WORK/server.log" >&2
	die "s_server did not start on port $port"
}

srv_stop() {
	kill "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=""
}

# cap_start FILE PORT
cap_start() {
	ip netns exec "$NS_C" timeout -s INT 120 \
		tcpdump -n -Z root -U --immediate-mode -s 0 -B 8192 -i "$IF_C" -w "$1" "tcp port $2" \
		>"$WORK/tcpdump.log" 2>&1 &
	CAP_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do # bounded: 100 x 0.05 s
		grep -q 'listening on' "$WORK/tcpdump.log" && return 0
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$WORK/tcpdump.log" >&2
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
	CAP_PID=""
	grep -q '^0 packets dropped by kernel' "$WORK/tcpdump.log" || die "tcpdump dropped packets: $(cat "$WORK/tcpdump.log")"
}

# big_client VERSION KEYLOG : python3 ssl client, max_cert_list raised.
big_client() {
	ip netns exec "$NS_C" timeout 30 python3 - "$S4" "$BIG_PORT" "$1" "$2" <<'EOF'
import ctypes, socket, ssl, sys

srv, port, version, keylog = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
v = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[version]
ctx.minimum_version = ctx.maximum_version = v
ctx.keylog_filename = keylog

# SSL_CTX_set_max_cert_list(ctx, 16 MiB): a macro over SSL_CTX_ctrl
# (SSL_CTRL_GET_MAX_CERT_LIST 50, SSL_CTRL_SET_MAX_CERT_LIST 51). The
# SSL_CTX pointer is the first field after PyObject_HEAD of _ssl's
# PySSLContext; reading the default first checks that it is.
libssl = ctypes.CDLL("libssl.so.3")
libssl.SSL_CTX_ctrl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
libssl.SSL_CTX_ctrl.restype = ctypes.c_long
ptr = ctypes.c_void_p.from_address(id(ctx) + 2 * ctypes.sizeof(ctypes.c_void_p)).value
got = libssl.SSL_CTX_ctrl(ptr, 50, 0, None)
if got != 102400:
    raise SystemExit(f"max_cert_list reads {got}, not the default 102400: not an SSL_CTX")
libssl.SSL_CTX_ctrl(ptr, 51, 1 << 24, None)
assert libssl.SSL_CTX_ctrl(ptr, 50, 0, None) == 1 << 24

with socket.create_connection((srv, port), timeout=10) as s:
    with ctx.wrap_socket(s, server_hostname="big-cert.example.test") as t:
        chain = t.getpeercert(binary_form=True)
        t.sendall(b"GET / HTTP/1.0\r\n\r\n")
        body = b""
        for _ in range(1000):  # bounded: the server closes after its page
            b = t.recv(65536)
            if not b:
                break
            body += b
        print(f"{t.version()} {t.cipher()[0]} leaf {len(chain)} bytes, response {len(body)} bytes")
        if not body.startswith(b"HTTP/1.0 200"):
            raise SystemExit("no HTTP response")
EOF
}

# tsh FILE PORT tshark-args... : tshark with PORT decoded as TLS
tsh() {
	local f=$1 port=$2
	shift 2
	tshark -r "$f" -d "tcp.port==$port,tls" -o tls.desegment_ssl_records:TRUE \
		-o tls.desegment_ssl_application_data:TRUE "$@" 2>/dev/null
}

mkdir -p "$OUTDIR"

# ---------------------------------------------------------------------------
# 4. The captures
# ---------------------------------------------------------------------------
srv_start "$BIG_PORT" -cert "$PKI/leaf.pem" -key "$PKI/leaf.key" -cert_chain "$PKI/int.pem"
for v in 1.2 1.3; do
	name=big-cert-tls${v/./}
	log "$name (port $BIG_PORT)"
	rm -f "$WORK/$name.keys"
	cap_start "$WORK/$name.pcap" "$BIG_PORT"
	big_client "$v" "$WORK/$name.keys" || die "$name: client failed"
	cap_stop
done
srv_stop

log "many-ca-names (port $MTLS_PORT)"
# A small server chain here (leaf + intermediate): the big one is not
# this capture's subject.
srv_start "$MTLS_PORT" -tls1_2 -Verify 1 -CAfile "$PKI/bundle.pem" -verify_return_error \
	-cert "$PKI/small.pem" -key "$PKI/small.key" -cert_chain "$PKI/int.pem"
cap_start "$WORK/many-ca-names.pcap" "$MTLS_PORT"
{
	sleep 0.5
	printf 'GET / HTTP/1.0\r\n\r\n'
} | ip netns exec "$NS_C" timeout 20 openssl s_client -connect "$S4:$MTLS_PORT" -ign_eof -tls1_2 \
	-servername many-ca-names.example.test -cert "$PKI/client.pem" -key "$PKI/client.key" \
	-keylogfile "$WORK/many-ca-names.keys" >"$WORK/client.log" 2>&1 || true
cap_stop
srv_stop
grep -q '^HTTP/1.0 200' "$WORK/client.log" || die "many-ca-names: no HTTP response: $(tail -20 "$WORK/client.log")"
grep -q "Acceptable client certificate CA names" "$WORK/client.log" || die "many-ca-names: s_client saw no CA names"
grep -q 'Client certificate' "$WORK/server.log" || grep -q 'CN = many-ca-names client' "$WORK/server.log" ||
	die "many-ca-names: the server did not log the client's certificate: $(tail -20 "$WORK/server.log")"

# ---------------------------------------------------------------------------
# 5. Checks and facts (tshark)
# ---------------------------------------------------------------------------
for name in big-cert-tls12 big-cert-tls13 many-ca-names; do
	f=$WORK/$name.pcap
	[[ -s "$f" && -s "$WORK/$name.keys" ]] || die "$name: empty capture or key log"
	size=$(stat -c %s "$f")
	((size < 2000000)) || die "$name: capture is $size bytes (over 2 MB)"
done
# Wireshark 4.0 does not reassemble a handshake message this long (the
# ~400 KB Certificate shows as "Encrypted Handshake Message" records) and
# shows only 100 of the DNs: walk_hs reads the cleartext handshake
# messages of each direction from `tshark -z follow,tcp,raw` itself.
walk_hs() {
	tshark -r "$1" -q -z follow,tcp,raw,0 2>/dev/null | python3 -c '
import sys
data = {0: b"", 1: b""}
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("=") or ":" in line:
        continue
    data[1 if line.startswith("\t") else 0] += bytes.fromhex(line.strip())
for d, side in ((0, "client"), (1, "server")):
    b, hs, i = data[d], b"", 0
    while i + 5 <= len(b) and b[i] == 22:  # handshake records, up to the first CCS
        n = int.from_bytes(b[i + 3:i + 5], "big")
        hs += b[i + 5:i + 5 + n]
        i += 5 + n
    j = 0
    while j + 4 <= len(hs):
        t, n = hs[j], int.from_bytes(hs[j + 1:j + 4], "big")
        body = hs[j + 4:j + 4 + n]
        j += 4 + n
        info = ""
        if len(body) < n:
            info = " cut"
        elif t == 11:  # TLS 1.2 Certificate: 3-byte list length, 3-byte lengths
            lens, k = [], 3
            while k + 3 <= len(body):
                m = int.from_bytes(body[k:k + 3], "big")
                lens.append(m)
                k += 3 + m
            info = f" certificates {len(lens)} lengths {lens}"
        elif t == 13:  # TLS 1.2 CertificateRequest
            k = 1 + body[0]
            k += 2 + int.from_bytes(body[k:k + 2], "big")
            ca = int.from_bytes(body[k:k + 2], "big")
            k, dns = k + 2, 0
            while k + 2 <= len(body):
                k += 2 + int.from_bytes(body[k:k + 2], "big")
                dns += 1
            info = f" certificate_authorities {ca} dns {dns}"
        print(f"{side} type {t} length {n}{info}")
'
}
walk_hs "$WORK/big-cert-tls12.pcap" >"$WORK/big-cert-tls12.hs"
read -r _ _ _ _ certlen _ ncerts _ < <(grep '^server type 11 ' "$WORK/big-cert-tls12.hs")
((${certlen:-0} > 350000 && ${certlen:-0} < 450000)) || die "big-cert-tls12: Certificate message is ${certlen:-?} bytes, want ~400 KB: $(cat "$WORK/big-cert-tls12.hs")"
[[ "$ncerts" == 2 ]] || die "big-cert-tls12: $ncerts certificates, want 2"
log "big-cert-tls12: $(grep '^server type 11 ' "$WORK/big-cert-tls12.hs")"
v13=$(tsh "$WORK/big-cert-tls13.pcap" "$BIG_PORT" -Y 'tls.handshake.type==2' -T fields -e tls.handshake.extensions.supported_version | head -1)
[[ "$v13" == 0x0304 ]] || die "big-cert-tls13: ServerHello selects ${v13:-nothing}, not TLS 1.3"
enc=$(tsh "$WORK/big-cert-tls13.pcap" "$BIG_PORT" -Y "tls.record.opaque_type==23 && ip.src==$S4" -T fields -e tls.record.length |
	tr ',' '\n' | awk '{s += $1} END {print s + 0}')
((enc > 400000)) || die "big-cert-tls13: the server's encrypted records hold $enc bytes, want more than the ~400 KB chain"
log "big-cert-tls13: TLS 1.3; the server's application_data records hold $enc bytes (its encrypted flight, then the HTTP response)"
walk_hs "$WORK/many-ca-names.pcap" >"$WORK/many-ca-names.hs"
read -r _ _ _ _ crlen _ calen _ ndn < <(grep '^server type 13 ' "$WORK/many-ca-names.hs")
[[ "${ndn:-0}" -eq "$N_CAS" ]] || die "many-ca-names: CertificateRequest has ${ndn:-no} DNs, want $N_CAS: $(cat "$WORK/many-ca-names.hs")"
((calen < 65536)) || die "many-ca-names: certificate_authorities $calen bytes"
tcr=$(tsh "$WORK/many-ca-names.pcap" "$MTLS_PORT" -Y 'tls.handshake.type==13' -T fields -e tls.handshake.length -e tls.handshake.dnames_len)
[[ "$tcr" == "$crlen"$'\t'"$calen" ]] || die "many-ca-names: tshark reads the CertificateRequest as $tcr, the walk as $crlen $calen"
grep -q '^client type 11 length .* certificates 1 ' "$WORK/many-ca-names.hs" || die "many-ca-names: the client sent no certificate: $(cat "$WORK/many-ca-names.hs")"
log "many-ca-names: $(grep '^server type 13 ' "$WORK/many-ca-names.hs"); $(grep '^client type 11 ' "$WORK/many-ca-names.hs")"

for name in big-cert-tls12 big-cert-tls13 many-ca-names; do
	cp "$WORK/$name.pcap" "$OUTDIR/$name.pcap"
	cp "$WORK/$name.keys" "$OUTDIR/$name.keys"
	echo "big-messages: wrote $OUTDIR/$name.pcap ($(stat -c %s "$OUTDIR/$name.pcap") bytes) and $name.keys"
done
