#!/usr/bin/env bash
# Peak RSS of one tlsscan binary in every output format, with -j 1 and the
# default -j, on each capture given (the 1x and 3x copies of
# bench/make-corpus.sh): the check of issue 13's target "peak RSS under
# 64 MiB at 1x and 3x capture size in every output format". Each run is
# timed under GNU time; the output goes to /dev/null, or to a scratch
# file or directory for the formats that need -o (parquet, zeek -o DIR).
#
#   bench/rss.sh BINARY CAPTURE... [-- EXTRA_ARGS...]
#
# Prints one Markdown row per capture, format and -j: wall s, CPU s, peak
# RSS MiB. Needs GNU time (apt-get install -y time).
set -euo pipefail
export LC_ALL=C
[ $# -ge 2 ] || { echo "usage: $0 BINARY CAPTURE... [-- ARGS...]" >&2; exit 2; }
bin=$(realpath "$1"); shift
captures=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do captures+=("$1"); shift; done
[ $# -gt 0 ] && shift
extra=("$@")
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) not found: apt-get install -y time" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "| capture | format | -j | wall s | CPU s | peak RSS MiB |"
echo "|---|---|---|---|---|---|"
for c in "${captures[@]}"; do
	for f in csv table json zeek zeek-json parquet; do
		for j in 1 default; do
			jargs=(); [ "$j" = 1 ] && jargs=(-j 1)
			out=(); rm -rf "$tmp/o"
			case $f in
			parquet) out=(-o "$tmp/o") ;;
			zeek) mkdir "$tmp/o"; out=(-o "$tmp/o") ;;
			esac
			/usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$bin" -q --format "$f" "${jargs[@]}" "${out[@]}" "${extra[@]}" "$c" >/dev/null 2>"$tmp/err" ||
				{ echo "$f -j $j failed:" >&2; cat "$tmp/err" >&2; exit 1; }
			read -r wall user sys rss <"$tmp/t"
			awk -v c="$(basename "$c")" -v f="$f" -v j="$j" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" \
				'BEGIN {printf "| %s | %s | %s | %.2f | %.2f | %.1f |\n", c, f, j, w, u + s, m / 1024}'
		done
	done
done
