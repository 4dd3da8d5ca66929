#!/usr/bin/env bash
# Peak RSS and wall time of tlsscan binaries on the resource floods of
# issue 9, side by side on the same files (BENCHMARKS.md "Floods").
#
#   bench/floods.sh DIR BINARY...
#
# DIR receives the floods (made once by `go run ./pcaps/craft -flood`, 1.8 GB
# in all); each binary runs each with default settings, -j 1, output to
# /dev/null, bounded by TIMEOUT seconds (default 300). Needs GNU time.
set -euo pipefail
export LC_ALL=C
[ $# -ge 2 ] || { echo "usage: $0 DIR BINARY..." >&2; exit 2; }
dir=$1; shift
limit=${TIMEOUT:-300}
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) not found: apt-get install -y time" >&2; exit 1; }
cd "$(dirname "$0")/.."
mkdir -p "$dir"
floods=("syn 1000000" "half-open 200000" "byte-segments 20000" "many-big-certs 1000")
for f in "${floods[@]}"; do
	read -r name n <<<"$f"
	file=$dir/$name-$n.pcap
	[ -s "$file" ] || go run ./pcaps/craft -flood "$name" -n "$n" -o "$file"
done
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
printf '%-22s %-28s %10s %12s %s\n' flood binary "wall s" "peak RSS MiB" "exit"
for f in "${floods[@]}"; do
	read -r name n <<<"$f"
	for bin in "$@"; do
		rc=0
		/usr/bin/time -f '%e %M' -o "$tmp" timeout "$limit" "$bin" --format csv -q -j 1 "$dir/$name-$n.pcap" >/dev/null 2>&1 || rc=$?
		read -r wall rss < <(tail -n 1 "$tmp")
		[ "$rc" = 124 ] && wall=">$limit"
		printf '%-22s %-28s %10s %12s %s\n' "$name x$n" "$bin" "$wall" "$((rss / 1024))" "$rc"
	done
done
