#!/usr/bin/env bash
# Times two tlsscan binaries side by side on one capture, interleaved
# (A, B, A, B, ...), and prints the median wall, user+sys and peak RSS of
# each and the ratio B/A: the before/after check of a change.
#
#   bench/compare.sh OLD_BINARY NEW_BINARY CAPTURE [ROUNDS] [-- TLSSCAN_ARGS...]
#
# Default ROUNDS 7; default args: --format csv -q -j 1, pinned to core
# ${CORES:-0} with taskset (pass -- and your own args to change; the pinning
# stays unless CORES=none). Output goes to /dev/null. Needs GNU time.
set -euo pipefail
export LC_ALL=C
[ $# -ge 3 ] || { echo "usage: $0 OLD NEW CAPTURE [ROUNDS] [-- ARGS...]" >&2; exit 2; }
old=$1 new=$2 capture=$3; shift 3
rounds=7
if [ $# -gt 0 ] && [ "$1" != -- ]; then rounds=$1; shift; fi
args=(--format csv -q -j 1)
if [ $# -gt 0 ] && [ "$1" = -- ]; then shift; args=("$@"); fi
pin=(taskset -c "${CORES:-0}")
[ "${CORES:-0}" = none ] && pin=()
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) not found: apt-get install -y time" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for ((r = 1; r <= rounds; r++)); do
	for which in old new; do
		bin=$old; [ "$which" = new ] && bin=$new
		/usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "${pin[@]}" "$bin" "${args[@]}" "$capture" >/dev/null 2>&1 || true
		read -r wall user sys rss <"$tmp/t"
		awk -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" 'BEGIN {print w, u + s, m}' >>"$tmp/$which"
	done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf '%-5s %10s %10s %12s   (%d interleaved rounds, args: %s)\n' "" "wall s" "cpu s" "peak RSS MiB" "$rounds" "${args[*]}"
for which in old new; do
	w=$(cut -d' ' -f1 "$tmp/$which" | median); c=$(cut -d' ' -f2 "$tmp/$which" | median)
	m=$(cut -d' ' -f3 "$tmp/$which" | sort -n | tail -1)
	printf '%-5s %10s %10s %12s\n' "$which" "$w" "$c" "$((m / 1024))"
	eval "${which}_w=$w ${which}_c=$c"
done
# shellcheck disable=SC2154 # set by the eval above
awk -v nw="$new_w" -v ow="$old_w" -v nc="$new_c" -v oc="$old_c" 'BEGIN {printf "new/old: wall %.3f, cpu %.3f\n", nw / ow, nc / oc}'
