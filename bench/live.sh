#!/usr/bin/env bash
# tlsscan's live-capture rate, in one command:
#
#   sudo bench/live.sh [CAPTURE] [OUTDIR]
#
# CAPTURE defaults to /var/tmp/tlsscan-bench/handshakes.pcap (made with
# bench/make-corpus.sh when it is that default and missing), OUTDIR to
# /var/tmp/tlsscan-bench/live. Builds tlsscan (CGO_ENABLED=0) into OUTDIR,
# makes two private network namespaces joined by a veth pair (MTU large
# enough for the capture's frames; TSO, GSO, GRO and LRO off with ethtool;
# IPv6 off so that the kernel adds no packets of its own), and for each -j
# and each rate:
#
#   rx namespace:  tlsscan -i VETH --format csv -j N -o OUTDIR/live-jN-RATE.csv
#                  (standard error in OUTDIR/live-jN-RATE.stderr: the summary,
#                  with "kernel: received R, dropped D")
#   tx namespace:  tcpreplay -K --no-flow-stats -i VETH --pps=RATE CAPTURE
#                  (or --topspeed)
#
# The capture's frames go out as they are in the file (no tcprewrite): the
# receiving end is in promiscuous mode and its packet socket sees every
# frame before the IP layer discards them (127.0.0.1 from a veth is a
# martian), and both directions of each connection come from the one side,
# which is all a passive sniffer needs. Once tcpreplay is done and
# tlsscan's CPU time has stopped growing (it has emptied its ring), tlsscan
# is stopped with SIGINT. A step passes when the kernel dropped nothing,
# tcpreplay sent every packet, and the rows are those of the offline run
# (tlsscan -q --format csv -j 1 CAPTURE) of the same packets, compared as a
# sorted multiset with the columns that legitimately differ live removed:
# ts (the arrival time live), file and packet (the interface and the
# number among the captured packets live), resumed_from, and in flags what
# report.Unlinked changes (live rows are linked to nothing: no
# session_id_rejected or resumed_without_client_auth, ticket_rejected
# becomes ticket_rejected_unknown).
#
# Prints a markdown table per -j (requested rate, achieved packets/s and
# Mbit/s from tcpreplay, kernel received and dropped, rows live/offline,
# rows differing, CPU of tlsscan, of tcpreplay and of the rest of the
# machine over the step, verdict) and the highest passing rate, also
# written to OUTDIR/live.md; every step's numbers are in OUTDIR/live.tsv.
# tlsscan runs without -q: its summary (on standard error) is where the
# kernel's counters are.
#
# Environment (defaults in brackets):
#   RATES ["10000 20000 40000 80000 160000 320000 640000 topspeed"]
#                  packets/s for tcpreplay --pps, in order; "topspeed" for
#                  --topspeed
#   JOBS ["1 2"]   the -j values
#   REPEATS [1]    runs of each rate (a rate passes only if every run
#                  does): near the limit, single runs are noisy
#   STEP_LIMIT [60] seconds: a rate whose replay would take longer
#                  (packets / rate) is skipped; tcpreplay is killed 15 s
#                  past it
#   QUIET_BUDGET [120] seconds, over the whole run, that the steps may wait
#                  for the machine to be 90% idle before they start
#   TLSSCAN        use this tlsscan binary instead of building one
#
# Needs root, tcpreplay, iproute2, tcpdump (the capture's packet count and
# largest frame), ethtool (offloads; warned about if missing), and go unless
# TLSSCAN is set: apt-get install -y tcpreplay tcpdump ethtool iproute2.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
default_cap=/var/tmp/tlsscan-bench/handshakes.pcap
cap=${1:-$default_cap}
out=${2:-/var/tmp/tlsscan-bench/live}
rates=${RATES:-10000 20000 40000 80000 160000 320000 640000 topspeed}
jobs=${JOBS:-1 2}
step_limit=${STEP_LIMIT:-60}
repeats=${REPEATS:-1}
started=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
say() { echo "live.sh: $*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, packet sockets): sudo $0 $*"
for t in ip tcpreplay tcpdump; do
  command -v "$t" >/dev/null || die "$t not found (apt-get install -y tcpreplay tcpdump iproute2)"
done
have_ethtool=1
command -v ethtool >/dev/null || { have_ethtool=0; say "ethtool not found: offloads left as they are (apt-get install -y ethtool)"; }
mkdir -p "$out"; out=$(cd "$out" && pwd)

# sudo resets PATH: find the Go toolchain where it is usually installed.
gobin=$(command -v go || true)
for g in /usr/local/go/bin/go /usr/lib/go/bin/go ${SUDO_USER:+/home/$SUDO_USER/go/bin/go} /root/sdk/go/bin/go; do
  [ -n "$gobin" ] && break
  [ -x "$g" ] && gobin=$g
done

# --- capture -------------------------------------------------------------------
if [ ! -s "$cap" ]; then
  [ "$cap" = "$default_cap" ] || die "no capture $cap"
  say "making $cap (bench/make-corpus.sh, 5 s per mix)"
  ONLY=handshakes bash "$here/make-corpus.sh" "$(dirname "$cap")" 5 >&2
fi
cap=$(cd "$(dirname "$cap")" && pwd)/$(basename "$cap")

# --- build -----------------------------------------------------------------------
cd "$root"
tls=$out/tlsscan
if [ -n "${TLSSCAN:-}" ]; then
  cp "$TLSSCAN" "$tls"
else
  [ -n "$gobin" ] || die "go not found (set PATH, or TLSSCAN=binary)"
  say "building tlsscan"
  CGO_ENABLED=0 "$gobin" build -o "$tls" ./cmd/tlsscan
fi

# Packets in the capture and its largest frame (tcpdump -e prints each
# frame's length), for the veth's MTU and each rate's duration.
read -r packets maxlen < <(tcpdump -r "$cap" -nn -e -q 2>/dev/null |
  awk '{n++; if (match($0, /, length [0-9]+:/)) {l = substr($0, RSTART + 9, RLENGTH - 10) + 0; if (l > m) m = l}} END {print n + 0, m + 0}')
[ "$packets" -gt 0 ] || die "tcpdump reads no packets from $cap"
mtu=$((maxlen > 1500 ? maxlen : 1500))

# --- the offline reference ----------------------------------------------------
# norm: CSV rows -> one tab-separated line per row without the columns that
# differ live (see the header), flags as report.Unlinked leaves them, sorted.
norm() {
  awk '
    function splitcsv(s, f,   n, i, c, q, cur) {
      if (index(s, "\"") == 0) return split(s, f, ",")
      n = 0; cur = ""; q = 0
      for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (q) {
          if (c == "\"") { if (substr(s, i + 1, 1) == "\"") { cur = cur c; i++ } else q = 0 }
          else cur = cur c
        } else if (c == "\"") q = 1
        else if (c == ",") { f[++n] = cur; cur = "" }
        else cur = cur c
      }
      f[++n] = cur
      return n
    }
    function normflags(s,   a, b, n, i, j, k, t, r, seen) {
      n = split(s, a, ";"); k = 0
      for (i = 1; i <= n; i++) {
        t = a[i]
        if (t == "" || t == "session_id_rejected" || t == "resumed_without_client_auth") continue
        if (t == "ticket_rejected") t = "ticket_rejected_unknown"
        if (t in seen) continue
        seen[t] = 1; b[++k] = t
      }
      for (i = 2; i <= k; i++) { t = b[i]; for (j = i - 1; j > 0 && b[j] > t; j--) b[j + 1] = b[j]; b[j + 1] = t }
      r = ""
      for (i = 1; i <= k; i++) r = r (i > 1 ? ";" : "") b[i]
      return r
    }
    FNR == 1 && /^ts,/ {
      n = splitcsv($0, h); fl = 0
      for (i in skip) delete skip[i]
      for (i = 1; i <= n; i++) {
        if (h[i] == "ts" || h[i] == "file" || h[i] == "packet" || h[i] == "resumed_from") skip[i] = 1
        if (h[i] == "flags") fl = i
      }
      next
    }
    {
      n = splitcsv($0, f); line = ""
      for (i = 1; i <= n; i++) {
        if (i in skip) continue
        line = line "\t" ((i == fl) ? normflags(f[i]) : f[i])
      }
      print substr(line, 2)
    }' "$@" | sort
}
say "offline reference: tlsscan -q --format csv -j 1 $cap"
"$tls" -q --format csv -j 1 "$cap" > "$out/offline.csv" || die "offline run failed"
norm "$out/offline.csv" > "$out/offline.norm"
offline_rows=$(wc -l < "$out/offline.norm")

# --- namespaces ------------------------------------------------------------------
ns_tx=tlsscan-liverate-$$-tx ns_rx=tlsscan-liverate-$$-rx
if_tx=lr$$t if_rx=lr$$r
tls_pid=
cleanup() {
  local ns p
  # Only what this script started: tlsscan, then whatever still runs in
  # its own namespaces (tcpreplay).
  [ -n "$tls_pid" ] && kill -KILL "$tls_pid" 2>/dev/null
  for ns in "$ns_tx" "$ns_rx"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
  done
  sleep 0.2
  for ns in "$ns_tx" "$ns_rx"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns_tx"
ip netns add "$ns_rx"
ip link add "$if_tx" netns "$ns_tx" mtu "$mtu" type veth peer name "$if_rx" netns "$ns_rx" mtu "$mtu"
for pair in "$ns_tx $if_tx" "$ns_rx $if_rx"; do
  read -r ns ifc <<<"$pair"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1" || true
  if [ $have_ethtool = 1 ]; then
    ip netns exec "$ns" ethtool -K "$ifc" tso off gso off gro off >/dev/null 2>&1 || say "ethtool -K $ifc failed"
    ip netns exec "$ns" ethtool -K "$ifc" lro off >/dev/null 2>&1 || true
  fi
  ip -n "$ns" link set "$ifc" up
done
for ((i = 0; ; i++)); do
  ip -n "$ns_rx" -o link show "$if_rx" | grep -q 'state UP' && break
  [ $i -lt 100 ] || die "the veth pair did not come up"
  sleep 0.05
done

# --- one step ----------------------------------------------------------------------
hz=$(getconf CLK_TCK)
ncpu=$(nproc)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# cpustat -> "busy total" jiffies over all CPUs (busy: all but idle and iowait).
cpustat() { awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }
# quiet: wait (from a budget of QUIET_BUDGET s over the whole run) until the
# machine is at least 90% idle for half a second, as other work on it
# disturbs the rates; the CPU of others during each step is reported anyway.
quiet_left=${QUIET_BUDGET:-120}
quiet() {
  local b0 t0 b1 t1
  while [ "$quiet_left" -gt 0 ]; do
    read -r b0 t0 < <(cpustat); sleep 0.5; read -r b1 t1 < <(cpustat)
    [ $(((b1 - b0) * 10)) -le $((t1 - t0)) ] && return 0
    [ "$quiet_left" = "${QUIET_BUDGET:-120}" ] && say "waiting for the machine to be idle (others use $(((b1 - b0) * 100 / (t1 - t0 + 1)))% of it; up to ${QUIET_BUDGET:-120} s in all)"
    sleep 0.5; quiet_left=$((quiet_left - 1))
  done
  return 1
}
tsv=$out/live.tsv
printf 'jobs\trate\tpps\tmbps\tsent\tfailed\treceived\tdropped\trows_live\trows_offline\trows_differing\tsend_s\twindow_s\ttlsscan_cpu_s\ttcpreplay_cpu_s\tall_cpu_s\tverdict\n' > "$tsv"
# step J RATE: one replay at RATE (packets/s or topspeed) with tlsscan -j J;
# appends a line to live.tsv.
step() {
  local j=$1 rate=$2 rep=$3 name base rc=0 i t0 t1 b0 b1 w0 w1 prev cur still
  local -a rateopt
  if [ "$rate" = topspeed ]; then rateopt=(--topspeed); name=topspeed; else rateopt=(--pps="$rate"); name=${rate}pps; fi
  base=$out/live-j$j-$name
  [ "$repeats" = 1 ] || base=$base-r$rep
  rm -f "$base.csv"
  quiet || true
  # ip netns exec execs tlsscan: $! is tlsscan.
  ip netns exec "$ns_rx" "$tls" -i "$if_rx" --format csv -j "$j" -o "$base.csv" 2> "$base.stderr" &
  tls_pid=$!
  # Capturing once its packet socket is in the namespace (the filter is
  # attached right after; half a second covers it).
  for ((i = 0; ; i++)); do
    [ "$(ip netns exec "$ns_rx" cat /proc/net/packet | wc -l)" -gt 1 ] && break
    kill -0 "$tls_pid" 2>/dev/null || { say "tlsscan exited at start: $(cat "$base.stderr")"; tls_pid=; return 1; }
    [ $i -lt 100 ] || { say "tlsscan opened no packet socket within 10 s"; kill -KILL "$tls_pid"; tls_pid=; return 1; }
    sleep 0.1
  done
  sleep 0.5
  # The window: from tcpreplay's start to the end of tlsscan's catching up.
  t0=$(ticks "$tls_pid"); read -r b0 _ < <(cpustat); w0=$(date +%s%N)
  # tcpreplay's own CPU time (with its preload) from bash's time keyword.
  ( TIMEFORMAT='%R %U %S'
    time ip netns exec "$ns_tx" timeout -s KILL $((step_limit + 15)) \
      tcpreplay -K --no-flow-stats -i "$if_tx" "${rateopt[@]}" "$cap" > "$base.tcpreplay" 2>&1 ) 2> "$base.time" || rc=$?
  [ $rc = 0 ] || say "j$j $name: tcpreplay exited $rc (see $base.tcpreplay)"
  # Wait until tlsscan has emptied its ring: its CPU time stops growing
  # (two 0.1 s looks without a tick), at most 15 s.
  prev=$(ticks "$tls_pid") still=0
  for ((i = 0; i < 150 && still < 2; i++)); do
    sleep 0.1
    cur=$(ticks "$tls_pid")
    if [ "$cur" = "$prev" ]; then still=$((still + 1)); else still=0; fi
    prev=$cur
  done
  t1=$(ticks "$tls_pid"); read -r b1 _ < <(cpustat); w1=$(date +%s%N)
  kill -INT "$tls_pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do kill -0 "$tls_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$tls_pid" 2>/dev/null; then
    say "j$j $name: tlsscan still running 15 s after SIGINT: killed"
    kill -KILL "$tls_pid" 2>/dev/null || true
  fi
  wait "$tls_pid" 2>/dev/null || say "j$j $name: tlsscan exited $? (see $base.stderr)"
  tls_pid=

  local pps mbps sent failed recv drop live differ secs wall ucpu scpu verdict
  pps=$(awk '/^Rated:/ {print $(NF - 1)}' "$base.tcpreplay"); pps=${pps:-0}
  mbps=$(awk '/^Rated:/ {for (i = 1; i < NF; i++) if ($(i + 1) ~ /^Mbps/) print $i}' "$base.tcpreplay"); mbps=${mbps:-0}
  secs=$(awk '/^Actual:/ {for (i = 1; i < NF; i++) if ($i == "in") print $(i + 1)}' "$base.tcpreplay"); secs=${secs:-0}
  sent=$(awk '/Successful packets:/ {print $NF}' "$base.tcpreplay"); sent=${sent:-0}
  failed=$(awk '/Failed packets:/ {print $NF}' "$base.tcpreplay"); failed=${failed:-?}
  read -r recv drop < <(sed -n 's/^kernel: received \([0-9]*\), dropped \([0-9]*\)$/\1 \2/p' "$base.stderr"; echo "? ?")
  live=0; differ='?'
  if [ -f "$base.csv" ]; then
    norm "$base.csv" > "$base.norm"
    live=$(wc -l < "$base.norm")
    differ=$(comm -3 "$out/offline.norm" "$base.norm" | wc -l)
  fi
  read -r wall ucpu scpu < <(tail -1 "$base.time")
  : "$wall"
  verdict=pass
  if [ "$sent" != "$packets" ] || [ "$failed" != 0 ]; then verdict="FAIL (sent $sent of $packets)"
  elif [ "$drop" != 0 ]; then verdict="FAIL (kernel dropped)"
  elif [ "$differ" != 0 ] || [ "$live" != "$offline_rows" ]; then verdict="FAIL (rows differ)"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$j" "$rate" "$pps" "$mbps" "$sent" "$failed" "$recv" "$drop" \
    "$live" "$offline_rows" "$differ" "$secs" \
    "$(awk -v a="$w0" -v b="$w1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')" \
    "$(awk -v t=$((t1 - t0)) -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')" \
    "$(awk -v u="$ucpu" -v s="$scpu" 'BEGIN {printf "%.2f", u + s}')" \
    "$(awk -v t=$((b1 - b0)) -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')" "$verdict" >> "$tsv"
  say "j$j $name: $pps pps, $mbps Mbit/s, dropped $drop, rows $live/$offline_rows, differing $differ: $verdict"
}

# --- the runs ----------------------------------------------------------------------
for j in $jobs; do
  for rate in $rates; do
    if [ "$rate" != topspeed ] && [ $((packets / rate)) -ge "$step_limit" ]; then
      say "j$j ${rate}pps: skipped ($packets packets would take over $step_limit s)"
      continue
    fi
    for ((k = 1; k <= repeats; k++)); do
      step "$j" "$rate" "$k" || say "j$j $rate: step failed"
    done
  done
done

# --- the report --------------------------------------------------------------------
md=$out/live.md
{
  echo "# tlsscan live-capture rate (bench/live.sh)"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); tlsscan $("$tls" --version 2>/dev/null | awk '{print $2}') (tree $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo ?)$( [ -n "$(git -C "$root" status --porcelain 2>/dev/null)" ] && echo ", uncommitted changes"))"
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r); $(tcpreplay -V 2>&1 | head -1)"
  echo "- capture: $cap, $packets packets, $(stat -c %s "$cap" | awk '{printf "%.1f MB", $1 / 1e6}'), largest frame $maxlen bytes; veth MTU $mtu; offline rows (tlsscan -q --format csv -j 1): $offline_rows"
  echo "- per step: tlsscan -i VETH --format csv -j N -o FILE in one namespace, tcpreplay -K --no-flow-stats -i VETH --pps=RATE (or --topspeed) in the other; SIGINT once tlsscan's CPU time stops growing after the replay"
  echo "- achieved pps and Mbit/s: tcpreplay's \"Rated\" line; dropped: tlsscan's \"kernel: received R, dropped D\"; rows compared as sorted multisets without ts, file, packet, resumed_from, flags as live rows carry them"
  echo "- CPU, in % of one core over the window from tcpreplay's start (its preload included) to the end of tlsscan's catching up: tlsscan's user+sys (/proc/PID/stat), tcpreplay's (bash's time), and the rest of the machine ($ncpu CPUs, /proc/stat busy time less those two: the kernel's softirq delivery to the packet socket, and any other load)"
  echo "- load average at start: $load0; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  for j in $jobs; do
    echo "## -j $j"
    echo
    echo "| rate requested | achieved pps | Mbit/s | kernel received | kernel dropped | rows live / offline | rows differing | tlsscan CPU | tcpreplay CPU | rest of the machine | verdict |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    awk -F'\t' -v j="$j" -v ncpu="$ncpu" 'NR > 1 && $1 == j {
      w = $13
      tl = (w > 0) ? sprintf("%.0f%%", 100 * $14 / w) : "?"
      tr = (w > 0) ? sprintf("%.0f%%", 100 * $15 / w) : "?"
      ot = $16 - $14 - $15; if (ot < 0) ot = 0
      rest = (w > 0) ? sprintf("%.0f%%", 100 * ot / w) : "?"
      printf "| %s | %.0f | %.1f | %s | %s | %s / %s | %s | %s | %s | %s | %s |\n", ($2 == "topspeed") ? "topspeed" : $2 " pps", $3, $4, $7, $8, $9, $10, $11, tl, tr, rest, $17
    }' "$tsv"
    echo
    awk -F'\t' -v j="$j" 'NR > 1 && $1 == j {
        n++; r[n] = $2; p[n] = $3 + 0; m[n] = $4 + 0
        if ($17 != "pass") bad[$2] = 1
      }
      END {
        # the lowest achieved rate of a rate whose runs all passed
        for (i = 1; i <= n; i++) if (!(r[i] in bad) && (!(r[i] in lo) || p[i] < lo[r[i]])) { lo[r[i]] = p[i]; lm[r[i]] = m[i] }
        for (i = 1; i <= n; i++) {
          if (r[i] in bad) { failed = 1; continue }
          if (lo[r[i]] > best) { best = lo[r[i]]; bm = lm[r[i]]; br = r[i]; if (failed) late = 1 }
        }
        if (best == 0) print "**-j " j ": no rate passed.**"
        else printf "**-j %s: highest passing rate %.0f packets/s, %.1f Mbit/s (%s)%s.**\n", j, best, bm, (br == "topspeed") ? "--topspeed" : "--pps " br, late ? "; a lower rate failed (see above)" : ""
      }' "$tsv"
    echo
  done
  echo "Script run time: $(( $(date +%s) - started )) s."
} > "$md"
cat "$md"
say "done in $(( $(date +%s) - started )) s; $md, $tsv"
