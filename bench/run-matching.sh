#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Matching-throughput benchmark: portcullisctl test-filter sshd against a bare sd-journal + PCRE2-JIT loop
# (bench/bare-loop.c) and fail2ban-regex with its systemd backend, all over the same generated journal.
#
#     bench/run-matching.sh [BUILD_DIR]        (default: ./build, set up with meson if missing)
#
# Environment: N (entries, default 1000000), RUNS (timed runs per tool, default 3; the median counts),
# F2B_RUNS (default: RUNS), F2B_MAX_ENTRIES (above this, fail2ban runs on a separate 100k journal;
# default 1000000), PORTCULLISCTL_ARGS (extra arguments for test-filter).
# Needs: meson, ninja, python3, systemd-journal-remote, fail2ban (+ python3-systemd) for the fail2ban row.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${1:-build}
N=${N:-1000000}
RUNS=${RUNS:-3}
F2B_RUNS=${F2B_RUNS:-$RUNS}
F2B_MAX_ENTRIES=${F2B_MAX_ENTRIES:-1000000}
JOURNAL_REMOTE=${JOURNAL_REMOTE:-/lib/systemd/systemd-journal-remote}
OUT=$ROOT/bench/out

log() { printf '%s\n' "$*" >&2; }
mkdir -p "$OUT"

# ---- build ----------------------------------------------------------------------------------------------
if [ ! -f "$BUILD/build.ninja" ]; then
        log "==> meson setup $BUILD"
        meson setup "$BUILD" >/dev/null
fi
log "==> building bare-loop and portcullisctl in $BUILD"
ninja -C "$BUILD" bench/bare-loop >/dev/null
HAVE_CTL=1
if ! ninja -C "$BUILD" portcullisctl >"$OUT/ctl-build.log" 2>&1; then
        log "warning: portcullisctl does not build (see $OUT/ctl-build.log); its row stays empty"
        HAVE_CTL=0
else
        rm -f "$OUT/ctl-build.log"
fi

# ---- journal (generated once per N and generator version) ---------------------------------------------
[ -x "$JOURNAL_REMOTE" ] || { log "error: $JOURNAL_REMOTE missing (Debian package systemd-journal-remote)"; exit 1; }
GEN_HASH=$(sha256sum bench/gen-journal.py | cut -c1-12)

# make_journal ENTRIES → prints the directory holding the journal files
make_journal() {
        local n=$1 dir="$OUT/journal-$1-$GEN_HASH"
        if [ ! -f "$dir/.complete" ]; then
                rm -rf "$dir"
                mkdir -p "$dir"
                log "==> generating $n entries into $dir"
                python3 bench/gen-journal.py -n "$n" -o "$dir/bench.export" --stats "$dir/stats.json" \
                        --journal "$dir/journal/bench.journal" --journal-remote "$JOURNAL_REMOTE" >&2
                rm -f "$dir/bench.export"
                touch "$dir/.complete"
        else
                log "==> using cached journal $dir"
        fi
        echo "$dir"
}

stat_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], "?"))' "$@"; }

JDIR=$(make_journal "$N")
mapfile -t FILES < <(ls "$JDIR"/journal/*.journal)
log "    ${#FILES[@]} journal file(s), $(du -sh "$JDIR/journal" | cut -f1)," \
    "generated in $(stat_field "$JDIR/stats.json" generate_seconds) s," \
    "converted in $(stat_field "$JDIR/stats.json" convert_seconds) s"

F2B_N=$N
F2B_JDIR=$JDIR
if [ "$N" -gt "$F2B_MAX_ENTRIES" ]; then
        F2B_N=100000
        F2B_JDIR=$(make_journal "$F2B_N")
fi

# ---- timing helpers -------------------------------------------------------------------------------------
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench.XXXXXX")
trap 'rm -rf "$RUN_DIR"' EXIT

# timed OUTFILE CMD... → prints "WALL_SECONDS CPU_SECONDS" (CPU = user + system of the process and its
# children) or "fail"; stdout and stderr of CMD go to OUTFILE.
timed() {
        local res rc
        res=$(python3 - "$@" <<'EOF'
import os, subprocess, sys, time
with open(sys.argv[1], "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(p.pid, 0)
        t1 = time.perf_counter()
p.returncode = os.waitstatus_to_exitcode(status)
print("%.3f %.3f %d" % (t1 - t0, ru.ru_utime + ru.ru_stime, p.returncode))
EOF
        )
        rc=${res##* }
        if [ "$rc" != 0 ]; then
                log "warning: '${*:2}' exited with $rc:"
                tail -5 "$1" >&2
                echo fail
                return 0
        fi
        echo "${res% *}"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# measure NAME PARSE RUNS CMD... → sets M_WALL and M_CPU (medians), M_READ, M_MATCHED, M_ALL (all runs)
measure() {
        local name=$1 parse=$2 runs=$3 i s
        shift 3
        local walls=() cpus=()
        M_WALL=fail M_CPU=fail M_READ="?" M_MATCHED="?" M_ALL=
        for ((i = 1; i <= runs; i++)); do
                s=$(timed "$RUN_DIR/$name.out" "$@")
                [ "$s" = fail ] && return 0
                walls+=("${s% *}")
                cpus+=("${s#* }")
                log "    $name run $i: ${s% *} s wall, ${s#* } s CPU"
        done
        M_WALL=$(median "${walls[@]}")
        M_CPU=$(median "${cpus[@]}")
        M_ALL="${walls[*]}"
        read -r M_READ M_MATCHED < <($parse "$RUN_DIR/$name.out") || true
        cp "$RUN_DIR/$name.out" "$OUT/last-$name.out"
}

parse_bare() { sed -n 's/^RESULT read=\([0-9]*\) matched=\([0-9]*\).*/\1 \2/p' "$1"; }
parse_ctl() { sed -n 's/^Entries: \([0-9]*\) read, \([0-9]*\) matched.*/\1 \2/p' "$1" | tail -1; }
parse_f2b() { sed -n 's/^Lines: \([0-9]*\) lines, [0-9]* ignored, \([0-9]*\) matched.*/\1 \2/p' "$1"; }

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# Warm the page cache so that no tool pays for the first read from disk.
cat "${FILES[@]}" "$F2B_JDIR"/journal/*.journal >/dev/null

# ---- the one run ----------------------------------------------------------------------------------------
# The bare loop and portcullis run alternately (bare, ctl, bare, ctl, …): on a shared VM the speed drifts
# over seconds, and interleaving exposes both to the same drift.
BARE_WALLS=() BARE_CPUS=() CTL_WALLS=() CTL_CPUS=()
CTL_S=fail CTL_CPU=fail CTL_READ="?" CTL_MATCHED="?" CTL_ALL=
CTL_FILE_ARGS=()
for f in "${FILES[@]}"; do CTL_FILE_ARGS+=(--journal-file "$f"); done
log "==> bare loop and portcullisctl test-filter sshd, alternately ($RUNS runs each)"
for ((i = 1; i <= RUNS; i++)); do
        s=$(timed "$RUN_DIR/bare.out" "$BUILD/bench/bare-loop" "${FILES[@]}")
        [ "$s" = fail ] && { log "bare loop failed"; exit 1; }
        BARE_WALLS+=("${s% *}") BARE_CPUS+=("${s#* }")
        log "    bare run $i: ${s% *} s wall, ${s#* } s CPU"
        if [ "$HAVE_CTL" = 1 ]; then
                # shellcheck disable=SC2086
                s=$(timed "$RUN_DIR/ctl.out" "$BUILD/portcullisctl" test-filter sshd --filter-dir filters \
                        "${CTL_FILE_ARGS[@]}" ${PORTCULLISCTL_ARGS:-})
                if [ "$s" = fail ]; then HAVE_CTL=0; continue; fi
                CTL_WALLS+=("${s% *}") CTL_CPUS+=("${s#* }")
                log "    ctl  run $i: ${s% *} s wall, ${s#* } s CPU"
        fi
done
BARE_S=$(median "${BARE_WALLS[@]}") BARE_CPU=$(median "${BARE_CPUS[@]}") BARE_ALL="${BARE_WALLS[*]}"
read -r BARE_READ BARE_MATCHED < <(parse_bare "$RUN_DIR/bare.out") || true
cp "$RUN_DIR/bare.out" "$OUT/last-bare.out"
if [ "$HAVE_CTL" = 1 ]; then
        CTL_S=$(median "${CTL_WALLS[@]}") CTL_CPU=$(median "${CTL_CPUS[@]}") CTL_ALL="${CTL_WALLS[*]}"
        read -r CTL_READ CTL_MATCHED < <(parse_ctl "$RUN_DIR/ctl.out") || true
        cp "$RUN_DIR/ctl.out" "$OUT/last-ctl.out"
fi

F2B_S=fail F2B_CPU=fail F2B_READ="?" F2B_MATCHED="?" F2B_ALL=
if command -v fail2ban-regex >/dev/null; then
        log "==> fail2ban-regex, systemd backend, on $F2B_N entries ($F2B_RUNS runs)"
        measure f2b parse_f2b "$F2B_RUNS" fail2ban-regex \
                "systemd-journal[journalfiles=\"$F2B_JDIR/journal/*.journal\"]" /etc/fail2ban/filter.d/sshd.conf
        F2B_S=$M_WALL F2B_CPU=$M_CPU F2B_READ=$M_READ F2B_MATCHED=$M_MATCHED F2B_ALL=$M_ALL
        F2B_VERSION=$(fail2ban-regex --version 2>/dev/null | head -1)
        F2B_JMATCH=$(sed -n 's/^Use    journal match : //p' "$OUT/last-f2b.out" 2>/dev/null || true)
else
        log "warning: fail2ban-regex not installed (Debian package fail2ban); its row stays empty"
fi

# Instruction counts (valgrind's callgrind): repeatable on a shared VM where wall-clock scatters by ±20%.
# fail2ban under valgrind would take hours: it has no row here.
IR_BARE= IR_CTL=
instructions() { # instructions CMD... → total instructions executed
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
                sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
if [ "${INSTRUCTIONS:-1}" = 1 ] && command -v valgrind >/dev/null; then
        log "==> instruction counts (callgrind, one run each)"
        IR_BARE=$(instructions "$BUILD/bench/bare-loop" "${FILES[@]}")
        [ "$HAVE_CTL" = 1 ] && IR_CTL=$(instructions "$BUILD/portcullisctl" test-filter sshd --filter-dir filters \
                "${CTL_FILE_ARGS[@]}")
fi

# ---- report ---------------------------------------------------------------------------------------------
# row TOOL ENTRIES_IN_JOURNAL READ MATCHED WALL CPU
row() {
        awk -v tool="$1" -v total="$2" -v rd="$3" -v m="$4" -v s="$5" -v cpu="$6" -v n="$N" \
            -v bare="$BARE_S" -v bare_cpu="$BARE_CPU" 'BEGIN {
                if (s == "fail" || s == "") { printf "| %s | %s | – | – | – | – | – | – | – | – |\n", tool, total; exit }
                printf "| %s | %d | %s | %s | %.3f | %.3f | %.0f | %.0f | %s | %s |\n",
                       tool, total, rd, m, s, cpu, total / s, rd / s,
                       (bare == "fail") ? "–" : sprintf("%.2f", (bare / s) * (total / n)),
                       (bare_cpu == "fail") ? "–" : sprintf("%.2f", (bare_cpu / cpu) * (total / n))
        }'
}

# Seconds per million journal entries, so that a fail2ban run on a smaller journal compares fairly.
per_m() { awk -v s="$1" -v n="$2" 'BEGIN { if (s == "fail" || s == "") print "fail"; else printf "%.6f\n", s * 1000000 / n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "fail" || b == "fail") print "n/a"; else printf "%.2f\n", a / b }'; }

REPORT=$OUT/results-$N.md
{
        echo "Matching throughput, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs," \
             "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load average before: $LOAD"
        echo "Journal: $N entries ($(stat_field "$JDIR/stats.json" sshd-failure) sshd failures," \
             "$(stat_field "$JDIR/stats.json" sshd-ok) other sshd lines) in ${#FILES[@]} file(s)," \
             "generated in $(stat_field "$JDIR/stats.json" generate_seconds) s," \
             "converted in $(stat_field "$JDIR/stats.json" convert_seconds) s"
        echo "Times: whole process (start-up and journal open included), median of $RUNS (fail2ban: $F2B_RUNS)" \
             "runs, warm page cache; CPU = user + system. Speed vs bare loop is per journal entry."
        echo
        echo "| tool | journal entries | entries read (index-matched) | matched | wall s | CPU s | journal entries/s | read entries/s | speed vs bare loop (wall) | (CPU) |"
        echo "|---|---|---|---|---|---|---|---|---|---|"
        row "bare loop (bench/bare-loop.c)" "$N" "$BARE_READ" "$BARE_MATCHED" "$BARE_S" "$BARE_CPU"
        row "portcullisctl test-filter sshd" "$N" "$CTL_READ" "$CTL_MATCHED" "$CTL_S" "$CTL_CPU"
        row "${F2B_VERSION:-fail2ban-regex} (systemd backend, stock sshd.conf)" "$F2B_N" "$F2B_READ" "$F2B_MATCHED" \
            "$F2B_S" "$F2B_CPU"
        echo
        echo "- wall s of all runs: bare loop: $BARE_ALL; portcullis: ${CTL_ALL:-–}; fail2ban: ${F2B_ALL:-–}"
        echo "- portcullis / bare loop speed: $(ratio "$(per_m "$BARE_S" "$N")" "$(per_m "$CTL_S" "$N")") wall," \
             "$(ratio "$(per_m "$BARE_CPU" "$N")" "$(per_m "$CTL_CPU" "$N")") CPU (target ≥ 0.80)"
        echo "- bare loop / fail2ban speed: $(ratio "$(per_m "$F2B_S" "$F2B_N")" "$(per_m "$BARE_S" "$N")")× wall," \
             "$(ratio "$(per_m "$F2B_CPU" "$F2B_N")" "$(per_m "$BARE_CPU" "$N")")× CPU"
        echo "- portcullis / fail2ban speed: $(ratio "$(per_m "$F2B_S" "$F2B_N")" "$(per_m "$CTL_S" "$N")")× wall," \
             "$(ratio "$(per_m "$F2B_CPU" "$F2B_N")" "$(per_m "$CTL_CPU" "$N")")× CPU (target ≥ 17×)"
        if [ "$F2B_N" != "$N" ]; then
                echo "- fail2ban ran on a $F2B_N-entry journal from the same generator; speeds compare per entry"
        fi
        if [ -n "$IR_BARE" ] && [ -n "$IR_CTL" ]; then
                echo "- instructions (callgrind): bare loop $IR_BARE, portcullis $IR_CTL:" \
                     "portcullis / bare loop speed by instructions $(ratio "$IR_BARE" "$IR_CTL")"
        fi
        echo "- fail2ban journal match: ${F2B_JMATCH:-?}"
        echo "- matched counts differ by design: the bare loop counts hits of its 4 regexes (Failed …, Invalid" \
             "user, maximum authentication attempts, pam_unix authentication failure); fail2ban-regex counts" \
             "failures only (its NOFAIL hits, e.g. the pam_unix line or 'Connection closed by invalid user'," \
             "are 'ignored'); portcullis counts what the failregex lines of filters/sshd.conf match."
} | tee "$REPORT"
log "(report saved to $REPORT; last outputs in $OUT/last-*.out)"
