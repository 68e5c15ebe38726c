#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Throughput of the daemon itself with 1, 10, 20 and every stock jail enabled, over the matching
# benchmark's journal (bench/run-matching.sh generates it; this script reuses the cached copy or asks you to
# run that first). portcullisd reads the journal files from the start (--since) in a private network
# namespace with its own nft table, and reports "Caught up with the journal: N entries read in X s" when
# it reaches the end; that line is the measurement (start-up and nft set-up are outside it).
#
#     bench/run-stock-library.sh [BUILD_DIR]        (default ./build)
#
# Environment: N (journal entries, default 1000000), RUNS (per jail count, default 3; the median counts).
# Prints a markdown table; the numbers in docs/performance.md come from it.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${1:-build}
N=${N:-1000000}
RUNS=${RUNS:-3}

log() { printf '%s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { log "error: run as root (private network namespace + nftables)"; exit 1; }
ninja -C "$BUILD" portcullisd >/dev/null
JDIR=$(ls -d "$ROOT"/bench/out/journal-"$N"-*/journal 2>/dev/null | head -1 || true)
[ -n "$JDIR" ] || { log "error: no cached $N-entry journal: run N=$N bench/run-matching.sh first"; exit 1; }
FILES=("$JDIR"/*.journal)
cat "${FILES[@]}" >/dev/null # warm the page cache

mapfile -t ALL < <(cd jails && ls *.conf | sed 's/\.conf$//' | sort)
# sshd first (the jail every host has), then the others in name order
ORDER=(sshd)
for j in "${ALL[@]}"; do [ "$j" = sshd ] || ORDER+=("$j"); done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# run_once K → "ENTRIES SECONDS"
run_once() {
        local k=$1 conf=$WORK/conf-$1 i
        rm -rf "$conf" "$WORK/state"
        mkdir -p "$conf/jails" "$WORK/state" "$WORK/run"
        for ((i = 0; i < ${#ORDER[@]}; i++)); do
                if ((i < k)); then
                        printf '[%s]\nenabled = true\n' "${ORDER[$i]}" >"$conf/jails/${ORDER[$i]}.local"
                else
                        printf '[%s]\nenabled = false\n' "${ORDER[$i]}" >"$conf/jails/${ORDER[$i]}.local"
                fi
        done
        local args=(--config-dir="$conf" --vendor-dir="$ROOT" --state-dir="$WORK/state" --runtime-dir="$WORK/run"
                    --nft-table=bench --since=@1 --log-target=console)
        for f in "${FILES[@]}"; do args+=(--journal-file="$f"); done
        unshare --net bash -c '
                "$@" 2>"'"$WORK"'/daemon.log" &
                pid=$!
                for ((t = 0; t < 600; t++)); do
                        grep -q "Caught up with the journal" "'"$WORK"'/daemon.log" && break
                        kill -0 $pid 2>/dev/null || break
                        sleep 0.1
                done
                kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' bash "$ROOT/$BUILD/portcullisd" "${args[@]}"
        sed -n 's/.*Caught up with the journal: \([0-9]*\) entries read in \([0-9.]*\) s.*/\1 \2/p' "$WORK/daemon.log" |
                head -1 | grep . || { log "error: no 'Caught up' line; daemon log:"; tail -20 "$WORK/daemon.log" >&2; exit 1; }
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

COUNTS=(1 10 20 "${#ORDER[@]}")
echo "Daemon throughput over $N journal entries, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| jails enabled | entries read (index-matched) | seconds (median of $RUNS) | all runs | journal entries/s | µs per read entry |"
echo "|---|---|---|---|---|---|"
declare -A SECS READS
for k in "${COUNTS[@]}"; do
        times=()
        for ((r = 1; r <= RUNS; r++)); do
                read -r entries secs < <(run_once "$k")
                times+=("$secs")
                log "    $k jails, run $r: $entries entries read in $secs s"
        done
        s=$(median "${times[@]}")
        SECS[$k]=$s
        READS[$k]=$entries
        awk -v k="$k" -v e="$entries" -v s="$s" -v all="${times[*]}" -v n="$N" \
                'BEGIN { printf "| %d | %d | %.3f | %s | %.0f | %.2f |\n", k, e, s, all, n / s, s * 1e6 / e }'
done
last=${COUNTS[-1]}
echo
awk -v s1="${SECS[1]}" -v sl="${SECS[$last]}" -v k="$last" -v n="$N" \
        'BEGIN { printf "- cost of one more jail: %.1f ns per journal entry ((%.3f s - %.3f s) / %d jails / %d entries)\n", (sl - s1) * 1e9 / (k - 1) / n, sl, s1, k - 1, n }'
