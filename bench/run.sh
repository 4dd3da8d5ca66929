#!/usr/bin/env bash
# tlsscan's benchmark, from a fresh clone, in one command:
#
#   sudo bench/run.sh [OUTDIR]          (default OUTDIR: /var/tmp/tlsscan-bench)
#
# Builds tlsscan and the decode floor into OUTDIR, makes the captures with
# bench/make-corpus.sh if they are absent, then times, side by side and
# interleaved (round 1 of every tool, then round 2, ...), on each capture:
#
#   tlsscan-j1  taskset -c 0 tlsscan --format csv -q -j 1 F   (one core)
#   tlsscan     tlsscan --format csv -q F                     (default -j, unpinned)
#   tshark      taskset -c 0 tshark -r F -T fields -e tls.handshake.type -Y tls.handshake
#   ssldump     taskset -c 0 ssldump -n -r F
#   floor       taskset -c 0 floor F   (read + decode Ethernet/IP/TCP only)
#
# each under /usr/bin/time -f '%e %U %S %M', all output to /dev/null, and
# prints one table per capture (medians; peak RSS is the maximum over the
# runs), also written to OUTDIR/results.md; every run is in OUTDIR/runs.tsv.
#
# Environment (defaults in brackets):
#   SECONDS_PER_MIX [5]  handshakes.pcap: seconds of each handshake mix
#   BULK_MB [128]        bulk.pcap: MB per connection (8 connections)
#   BIG_REPEAT [3]       also handshakes-xN.pcap and bulk-xN.pcap, each the
#                        capture N times over (0: none), to show memory
#                        independent of capture size (10: a 10 GB bulk file)
#   ROUNDS [5]           rounds on handshakes.pcap and bulk.pcap
#   BIG_ROUNDS [3]       rounds on the -xN captures (tlsscan and floor only)
#   TSHARK_ON_BULK [auto] 0: skip tshark on bulk.pcap; 1: run it every round;
#                        auto: run it in at most 3 rounds, and only while
#                        3 runs fit in TSHARK_BULK_BUDGET seconds [300]
#                        (the first run is killed past that budget)
#   PROFILE [1]          also take CPU profiles (bench/profile) and list the
#                        top 15 functions per capture in results.md
#   TLSSCAN              use this tlsscan binary instead of building one
#   CORES [0]            the core single-core runs are pinned to
#
# Needs root (for the network namespace, only when the captures are made),
# go, openssl, tcpdump, ethtool, iproute2, taskset, GNU time; tshark and
# ssldump are timed when installed (apt-get install -y tshark ssldump time).
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${1:-/var/tmp/tlsscan-bench}
mkdir -p "$out"; out=$(cd "$out" && pwd)
secs=${SECONDS_PER_MIX:-5}; bulk_mb=${BULK_MB:-128}; repeat=${BIG_REPEAT:-3}
rounds=${ROUNDS:-5}; big_rounds=${BIG_ROUNDS:-3}
tshark_bulk=${TSHARK_ON_BULK:-auto}; tshark_budget=${TSHARK_BULK_BUDGET:-300}
profile=${PROFILE:-1}; core=${CORES:-0}
started=$(date +%s)
say() { echo "run.sh: $*" >&2; }

# sudo resets PATH: find the Go toolchain where it is usually installed.
gobin=$(command -v go || true)
for g in /usr/local/go/bin/go /usr/lib/go/bin/go ${SUDO_USER:+/home/$SUDO_USER/go/bin/go} /root/sdk/go/bin/go; do
  [ -n "$gobin" ] && break
  [ -x "$g" ] && gobin=$g
done
[ -x /usr/bin/time ] || { say "GNU time (/usr/bin/time) not found: apt-get install -y time"; exit 1; }
command -v taskset >/dev/null || { say "taskset not found: apt-get install -y util-linux"; exit 1; }

# --- build -----------------------------------------------------------------
cd "$root"
if [ -n "${TLSSCAN:-}" ]; then
  cp "$TLSSCAN" "$out/tlsscan"
else
  [ -n "$gobin" ] || { say "go not found (set PATH, or TLSSCAN=binary)"; exit 1; }
  say "building tlsscan"
  CGO_ENABLED=0 "$gobin" build -o "$out/tlsscan" ./cmd/tlsscan
fi
[ -n "$gobin" ] || { say "go not found"; exit 1; }
CGO_ENABLED=0 "$gobin" build -o "$out/floor" ./bench/floor
if [ "$profile" = 1 ] && ! CGO_ENABLED=0 "$gobin" build -o "$out/profile" ./bench/profile; then
  say "bench/profile does not build against this tree: no profiles"; profile=0
fi
tls=$out/tlsscan; floor=$out/floor
jflag=(); hasj=0
if "$tls" -h 2>&1 | grep -qE '(^|[[:space:]])-j[[:space:]]'; then jflag=(-j 1); hasj=1; fi

# --- corpus ----------------------------------------------------------------
if [ ! -s "$out/handshakes.pcap" ]; then
  say "making handshakes.pcap ($secs s per mix)"
  ONLY=handshakes bash "$here/make-corpus.sh" "$out" "$secs" "$bulk_mb" | tee "$out/corpus-handshakes.log"
fi
if [ ! -s "$out/bulk.pcap" ]; then
  say "making bulk.pcap (8 x $bulk_mb MB)"
  ONLY=bulk bash "$here/make-corpus.sh" "$out" "$secs" "$bulk_mb" | tee "$out/corpus-bulk.log"
fi
caps=(handshakes bulk)
if [ "$repeat" -gt 1 ]; then
  if [ ! -s "$out/handshakes-x$repeat.pcap" ] || [ ! -s "$out/bulk-x$repeat.pcap" ]; then
    say "making handshakes-x$repeat.pcap and bulk-x$repeat.pcap"
    ONLY=big BIG_REPEAT=$repeat bash "$here/make-corpus.sh" "$out" | tee "$out/corpus-big.log" || true
  fi
  for c in handshakes bulk; do [ -s "$out/$c-x$repeat.pcap" ] && caps+=("$c-x$repeat"); done
fi

# --- tools -----------------------------------------------------------------
pin=(taskset -c "$core")
tools=(tlsscan-j1 tlsscan floor)
if command -v tshark >/dev/null; then tools+=(tshark); else say "tshark not installed: not timed"; fi
if command -v ssldump >/dev/null; then tools+=(ssldump); else say "ssldump not installed: not timed"; fi
cmdline() { # tool file -> the command, one word per line
  case $1 in
    tlsscan-j1) printf '%s\n' "${pin[@]}" "$tls" --format csv -q "${jflag[@]}" "$2" ;;
    tlsscan)    printf '%s\n' "$tls" --format csv -q "$2" ;;
    tshark)     printf '%s\n' "${pin[@]}" tshark -r "$2" -T fields -e tls.handshake.type -Y tls.handshake ;;
    ssldump)    printf '%s\n' "${pin[@]}" ssldump -n -r "$2" ;;
    floor)      printf '%s\n' "${pin[@]}" "$floor" "$2" ;;
  esac
}
label() {
  case $1 in
    tlsscan-j1) [ $hasj = 1 ] && echo "tlsscan -j 1 (1 core)" || echo "tlsscan (1 core)" ;;
    tlsscan)    echo "tlsscan default -j ($(nproc) cores)" ;;
    tshark)     echo "tshark (1 core)" ;;
    ssldump)    echo "ssldump (1 core)" ;;
    floor)      echo "decode floor (1 core)" ;;
  esac
}

runs=$out/runs.tsv
mkdir -p "$out/logs"
printf 'capture\ttool\tround\twall_us\ttime_e\tuser\tsys\tmaxrss_kb\texit\n' > "$runs"
# measure CAPTURE TOOL ROUND [timeout]: one timed run, appended to runs.tsv.
measure() {
  local cap=$1 tool=$2 round=$3 limit=${4:-} f=$out/$1.pcap t0 t1 rc=0 line
  local -a cmd; mapfile -t cmd < <(cmdline "$tool" "$f")
  [ -n "$limit" ] && cmd=(timeout "$limit" "${cmd[@]}")
  t0=$(date +%s%N)
  /usr/bin/time -o "$out/logs/time" -f '%e %U %S %M' "${cmd[@]}" >/dev/null 2>"$out/logs/$cap.$tool.stderr" || rc=$?
  t1=$(date +%s%N)
  line=$(tail -1 "$out/logs/time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$cap" "$tool" "$round" $(((t1 - t0) / 1000)) "$(tr ' ' '\t' <<<"$line")" "$rc" >> "$runs"
  echo $(((t1 - t0) / 1000))
  return $rc
}

# --- results header ---------------------------------------------------------
res=$out/results.md
ver() { local v; v=$("$@" 2>/dev/null | head -1) || true; [ -n "$v" ] || v=$("$@" 2>&1 | grep -v '^Running as' | head -1) || true; echo "$v"; }
{
  echo "# tlsscan benchmark results"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); tlsscan $("$tls" --version 2>/dev/null | awk '{print $2}') (tree $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo ?)$( [ -n "$(git -C "$root" status --porcelain 2>/dev/null)" ] && echo ", uncommitted changes"))"
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
  echo "- $("$gobin" version); $(ver tshark --version); $(ver ssldump -v); $(ver openssl version); $(ver tcpdump --version)"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- -j flag: $([ $hasj = 1 ] && echo "yes (tlsscan-j1 runs with -j 1)" || echo "not in this tlsscan: tlsscan-j1 runs without -j, pinned")"
  echo "- rounds: $rounds on handshakes and bulk, $big_rounds on the -x$repeat copies; interleaved (every tool once per round, the order rotated each round); single-core runs pinned with taskset -c $core"
  echo "- wall: date +%s%N around /usr/bin/time (its %e has 10 ms resolution); best = the fastest run, the least disturbed by other load; CPU: user+sys from /usr/bin/time; MB = 10^6 bytes; MiB = 2^20"
  echo
} > "$res"

# --- per capture -------------------------------------------------------------
med() { # CAPTURE TOOL [cpu] -> median wall in µs (or CPU in s) over the good runs
  awk -F'\t' -v c="$1" -v t="$2" -v k="${3:-wall}" '$1 == c && $2 == t && $9 == 0 {print (k == "cpu") ? $6 + $7 : $4}' "$runs" | sort -n |
    awk '{a[NR] = $1} END {if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
declare -A rows size
for cap in "${caps[@]}"; do
  f=$out/$cap.pcap
  size[$cap]=$(stat -c %s "$f")
  cat "$f" > /dev/null # into the page cache
  # Reference outputs: row count, and -j 1 against -j 2 byte for byte.
  "$tls" --format csv -q "${jflag[@]}" "$f" > "$out/logs/$cap.j1.csv" || say "tlsscan exited $? on $cap"
  rows[$cap]=$(($(wc -l < "$out/logs/$cap.j1.csv") - 1))
  same=
  if [ $hasj = 1 ]; then
    "$tls" --format csv -q -j 2 "$f" > "$out/logs/$cap.j2.csv" || true
    if cmp -s "$out/logs/$cap.j1.csv" "$out/logs/$cap.j2.csv"; then same="identical"; else same="DIFFERENT"; fi
  fi
  read -r packets _ _ _ syns _ < <("$floor" "$f")
  {
    echo "## $cap.pcap"
    echo
    echo "$(awk -v b="${size[$cap]}" 'BEGIN {printf "%.1f MB", b/1e6}'), $packets packets, $syns TCP connections (SYNs), ${rows[$cap]} tlsscan rows$( [ -n "$same" ] && echo "; CSV of -j 1 and -j 2: $same (cmp)")."
    if [ "${rows[$cap]}" -lt "$syns" ]; then
      echo
      echo "**tlsscan reports $((syns - rows[$cap])) fewer connections than the capture opens** (every connection here is TLS). TLS conns/s below counts tlsscan's rows."
    fi
    if [ "$cap" = handshakes ]; then
      echo
      echo "| version | resumption | cert_requested | client_cert | connections |"
      echo "|---|---|---|---|---|"
      cut -d, -f7,10,11,12 "$out/logs/$cap.j1.csv" | tail -n +2 | sort | uniq -c | sort -rn |
        awk '{split($2, a, ","); printf "| %s | %s | %s | %s | %d |\n", a[1], a[2], a[3], a[4], $1}'
    fi
    echo
  } >> "$res"

  n=$rounds; [[ $cap == *-x* ]] && n=$big_rounds
  captools=()
  for t in "${tools[@]}"; do
    # The repeated captures are for memory against size: tlsscan and the floor.
    [[ $cap == *-x* && ( $t == tshark || $t == ssldump ) ]] && continue
    [[ $cap == bulk && $t == tshark && $tshark_bulk == 0 ]] && continue
    captools+=("$t")
  done
  tshark_rounds=$n; tshark_note=
  if [[ $cap == bulk && $tshark_bulk == auto ]]; then tshark_rounds=$((n < 3 ? n : 3)); fi
  say "$cap: $n rounds of ${captools[*]}"
  for ((r = 1; r <= n; r++)); do
    k=${#captools[@]}
    for ((i = 0; i < k; i++)); do
      t=${captools[$(((i + r - 1) % k))]}
      if [[ $t == tshark && $cap == bulk ]]; then
        [ "$r" -gt "$tshark_rounds" ] && continue
        if [[ $tshark_bulk == auto && $r == 1 ]]; then
          if us=$(measure "$cap" "$t" "$r" "$tshark_budget"); then
            if [ $((us * 3 / 1000000)) -gt "$tshark_budget" ]; then
              tshark_rounds=1; tshark_note="tshark: 1 run only (3 runs would exceed ${tshark_budget} s)"
            else
              tshark_note="tshark: $tshark_rounds rounds (TSHARK_ON_BULK=auto)"
            fi
          else
            tshark_rounds=0; tshark_note="tshark: killed after ${tshark_budget} s (TSHARK_BULK_BUDGET); not timed"
            sed -i "/^$cap\ttshark\t/d" "$runs"
          fi
          continue
        fi
      fi
      measure "$cap" "$t" "$r" > /dev/null || say "$cap $t round $r exited non-zero (see $out/logs/$cap.$t.stderr)"
    done
  done
  [[ $cap == bulk && $tshark_bulk == 0 ]] && tshark_note="tshark: skipped (TSHARK_ON_BULK=0)"
  [[ $cap == *-x* ]] && tshark_note="tshark and ssldump: not run on this capture (it is for tlsscan's memory against capture size)"

  # The table: medians over the rounds, peak RSS the maximum.
  {
    echo "| tool | runs | wall s (median) | wall s (best) | CPU s (median) | MB/s | TLS conns/s | peak RSS MiB | wall / tlsscan -j 1 | CPU / tlsscan -j 1 |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for t in "${captools[@]}"; do
      awk -F'\t' -v c="$cap" -v t="$t" '$1 == c && $2 == t && $9 == 0 {print $4 "\t" $6 + $7 "\t" $8}' "$runs" > "$out/logs/sel"
      [ -s "$out/logs/sel" ] || continue
      printf '%s\t' "$(label "$t")"
      awk -F'\t' -v b="${size[$cap]}" -v rows="${rows[$cap]}" -v ref="$(med "$cap" tlsscan-j1)" -v refc="$(med "$cap" tlsscan-j1 cpu)" '
        function median(a, n,   i, j, x) {
          for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
          return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        { n++; w[n] = $1 / 1e6; c[n] = $2; if ($3 > rss) rss = $3; if (n == 1 || w[n] < best) best = w[n] }
        END {
          mw = median(w, n); mc = median(c, n)
          printf "%d\t%.3f\t%.3f\t%.2f\t%.0f\t%.0f\t%.1f\t%.2f\t%.2f\n", n, mw, best, mc, b / 1e6 / mw, rows / mw, rss / 1024, mw / (ref / 1e6), (refc > 0) ? mc / refc : 0
        }' "$out/logs/sel"
    done | awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %sx | %sx |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}'
    [ -n "$tshark_note" ] && { echo; echo "$tshark_note."; }
    echo
  } | tee -a "$res"
done

# --- targets -----------------------------------------------------------------
best() { awk -F'\t' -v c="$1" -v t="$2" '$1 == c && $2 == t && $9 == 0 && (m == "" || $4 < m) {m = $4} END {print m}' "$runs"; }
peak() { awk -F'\t' -v c="$1" -v t="$2" '$1 == c && $2 == t && $9 == 0 && $8 > m {m = $8} END {printf "%.1f", m / 1024}' "$runs"; }
verdict() { awk -v x="$1" -v op="$2" -v y="$3" 'BEGIN {ok = (op == ">=") ? x >= y : x <= y; print ok ? "met" : "NOT met"}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b == 0) print ""; else printf "%.2f", a / b}'; }
{
  echo "## Targets"
  echo
  echo "Verdicts are on the median wall times, as the targets are stated; the CPU-time ratio (user+sys) is shown beside each, as it is less disturbed by other load on the machine."
  echo
  echo "| target | measured (wall; CPU) | verdict |"
  echo "|---|---|---|"
  j1=$(med handshakes tlsscan-j1); jd=$(med handshakes tlsscan); c1=$(med handshakes tlsscan-j1 cpu)
  for t in ssldump:5 tshark:30; do
    x=$(ratio "$(med handshakes "${t%:*}")" "$j1"); y=$(ratio "$(med handshakes "${t%:*}" cpu)" "$c1")
    [ -n "$x" ] && echo "| handshakes: ≥${t#*:}x faster than ${t%:*} on one core | ${x}x; ${y}x | $(verdict "$x" '>=' "${t#*:}") |"
  done
  x=$(ratio "$j1" "$(med handshakes floor)"); y=$(ratio "$c1" "$(med handshakes floor cpu)")
  echo "| handshakes: within 3x of the decode floor | ${x}x the floor; ${y}x | $(verdict "$x" '<=' 3) |"
  b1=$(med bulk tlsscan-j1); bc=$(med bulk tlsscan-j1 cpu)
  x=$(awk -v b="${size[bulk]}" -v w="$b1" 'BEGIN {printf "%.0f", b / 1e6 / (w / 1e6)}')
  y=$(awk -v b="${size[bulk]}" -v w="$bc" 'BEGIN {printf "%.0f", b / 1e6 / w}')
  echo "| bulk: ≥1 GB/s on one core | $x MB/s; $y MB per CPU second | $(verdict "$x" '>=' 1000) |"
  x=$(awk -v a="$(med bulk floor)" -v b="$b1" 'BEGIN {printf "%.0f", 100 * a / b}')
  y=$(awk -v a="$(med bulk floor cpu)" -v b="$bc" 'BEGIN {printf "%.0f", 100 * a / b}')
  echo "| bulk: ≥60% of the floor's throughput | ${x}%; ${y}% | $(verdict "$x" '>=' 60) |"
  for c in "${caps[@]}"; do
    for t in tlsscan-j1 tlsscan; do
      x=$(peak "$c" "$t"); echo "| $c: peak RSS under 64 MiB, $(label "$t") | $x MiB | $(verdict "$x" '<=' 64) |"
    done
  done
  for c in handshakes bulk; do
    bigc=$c-x$repeat
    [ -n "${size[$bigc]:-}" ] || continue
    a=$(peak "$bigc" tlsscan-j1); b=$(peak "$c" tlsscan-j1)
    echo "| RSS independent of size: $bigc ($((${size[$bigc]} / 1000000)) MB) vs $c ($((${size[$c]} / 1000000)) MB), $(label tlsscan-j1) | $a vs $b MiB | $(awk -v a="$a" -v b="$b" 'BEGIN {print (a <= b * 1.25 + 2) ? "met" : "NOT met"}') |"
  done
  if [ $hasj = 1 ]; then
    x=$(ratio "$j1" "$jd"); y=$(ratio "$(best handshakes tlsscan-j1)" "$(best handshakes tlsscan)")
    echo "| handshakes: default -j ($(nproc) workers) ≥1.7x single worker | ${x}x median wall; ${y}x best wall | $(verdict "$x" '>=' 1.7) |"
    for c in "${caps[@]}"; do
      [ -f "$out/logs/$c.j2.csv" ] && echo "| $c: -j 2 output byte-identical to -j 1 | $(cmp -s "$out/logs/$c.j1.csv" "$out/logs/$c.j2.csv" && echo identical || echo differs) | $(cmp -s "$out/logs/$c.j1.csv" "$out/logs/$c.j2.csv" && echo met || echo "NOT met") |"
    done
  else
    echo "| handshakes: -j N ≥1.7x single worker | no -j flag in this tlsscan | not measurable |"
  fi
  echo
  echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
} | tee -a "$res"

# --- profiles ----------------------------------------------------------------
if [ "$profile" = 1 ]; then
  for cap in handshakes bulk; do
    # Enough repetitions for a few seconds of samples.
    reps=$(awk -v w="$(med "$cap" tlsscan-j1)" 'BEGIN {r = int(4e6 / (w + 1)); print r < 1 ? 1 : (r > 40 ? 40 : r)}')
    say "profiling $cap ($reps passes)"
    "${pin[@]}" "$out/profile" -cpu "$out/$cap.cpu.prof" -mem "$out/$cap.mem.prof" -n "$reps" "$out/$cap.pcap" 2>> "$out/logs/profile.stderr" || { say "profile failed on $cap"; continue; }
    {
      echo "## CPU profile: $cap.pcap (bench/profile, $reps passes, pinned to one core)"
      echo
      echo '```'
      "$gobin" tool pprof -top -nodecount=15 "$out/profile" "$out/$cap.cpu.prof" 2>/dev/null | sed -n '/^Showing\|flat%/,$p'
      echo '```'
      echo
      echo "By cumulative time:"
      echo
      echo '```'
      "$gobin" tool pprof -top -cum -nodecount=15 "$out/profile" "$out/$cap.cpu.prof" 2>/dev/null | sed -n '/flat%/,$p'
      echo '```'
      echo
      echo "Heap in use at the last GC of the last pass (inuse_space):"
      echo
      echo '```'
      "$gobin" tool pprof -sample_index=inuse_space -top -nodecount=10 "$out/profile" "$out/$cap.mem.prof" 2>/dev/null | sed -n '/flat%/,$p'
      echo '```'
      echo
    } >> "$res"
  done
fi

echo "run.sh: done in $(( $(date +%s) - started )) s; results in $res" >&2
