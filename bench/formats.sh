#!/usr/bin/env bash
# Times one tlsscan binary's table output against its CSV output on one
# capture, interleaved, with bench/compare.sh (medians of wall, user+sys
# and peak RSS, and the ratio table/csv): the check of issue 11's target,
# "the table costs at most 1.3x the CSV run, peak RSS under 64 MiB".
#
#   bench/formats.sh BINARY CAPTURE [ROUNDS] [-- TLSSCAN_ARGS...]
#
# Default args: -q -j 1. The output goes to /dev/null, which is not a
# terminal: the table has its fixed layout (docs/output.md "Table").
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BINARY CAPTURE [ROUNDS] [-- ARGS...]" >&2; exit 2; }
bin=$(realpath "$1") capture=$2; shift 2
rounds=7
if [ $# -gt 0 ] && [ "$1" != -- ]; then rounds=$1; shift; fi
args=(-q -j 1)
if [ $# -gt 0 ] && [ "$1" = -- ]; then shift; args=("$@"); fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for f in csv table; do
	printf '#!/bin/sh\nexec %q --format %s "$@"\n' "$bin" "$f" >"$tmp/$f"
	chmod +x "$tmp/$f"
done
echo "A = --format csv, B = --format table"
"$(dirname "$0")/compare.sh" "$tmp/csv" "$tmp/table" "$capture" "$rounds" -- "${args[@]}"
