#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The journal reader does not go blind: journal rotation, vacuum, a flush from /run to /var and a journald
# restart while the daemon runs; and wake-up latency (journald delays reader notifications by up to
# ~0.5 s; the reader's follow-up polling sees the rest of a burst at once) is measured and bounded.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require
tb_enter_ns --net -- "$@"

pc_sandbox
pc_filter testsvc 'AUTH FAILURE from <HOST>'
cat >"$PC_CONF/jails/test.conf" <<'CONF'
[testsvc]
enabled = true
maxretry = 2
bantime = 1h
CONF
pc_writer_start testsvc testsvc.service
pc_daemon_start || tb_die "daemon did not become ready"

n=0
fail() { pc_write testsvc "AUTH FAILURE from $1"; n=$((n + 1)); }
ban_after() { # ban_after ADDR: two failures, wait for the ban; prints ms from the 2nd write to the ban
        local t0
        fail "$1"
        pc_write_wait testsvc "$n"
        t0=$(date +%s%N)
        fail "$1"
        tb_wait_for 5 pc_banned testsvc "${2:-4}" "$1" || return 1
        echo $(( ($(date +%s%N) - t0) / 1000000 ))
}

ms=$(ban_after 198.51.100.1); tb_check "baseline ban (${ms} ms)" [ -n "$ms" ]

journalctl --rotate >/dev/null 2>&1
ms=$(ban_after 198.51.100.2); tb_check "after journalctl --rotate (${ms} ms)" [ -n "$ms" ]
journalctl --rotate >/dev/null 2>&1
journalctl --vacuum-files=1 >/dev/null 2>&1
ms=$(ban_after 198.51.100.3); tb_check "after --rotate + --vacuum-files=1 (${ms} ms)" [ -n "$ms" ]

kill "$TB_JOURNALD_PID"; wait "$TB_JOURNALD_PID" 2>/dev/null
TB_JOURNAL_STORAGE=persistent tb_journald_start
ms=$(ban_after 198.51.100.4); tb_check "after a journald restart (${ms} ms)" [ -n "$ms" ]
journalctl --flush >/dev/null 2>&1
ms=$(ban_after 198.51.100.5); tb_check "after journalctl --flush (/run -> /var) (${ms} ms)" [ -n "$ms" ]
kill "$TB_JOURNALD_PID"; wait "$TB_JOURNALD_PID" 2>/dev/null
tb_journald_start
ms=$(ban_after 198.51.100.6); tb_check "after a second journald restart, persistent journal (${ms} ms)" [ -n "$ms" ]

# --- latency, measured from the journal's own timestamps (tests/lib/ban-latency.py) ------------------
# (a) a burst after an idle period: its first entry waits for journald's notification (<= ~0.5 s)
idle=()
for i in $(seq 10 19); do
        sleep 2.5 # longer than the reader's linger time: it is idle again, waiting for inotify
        fail "198.51.101.$i"; fail "198.51.101.$i"
        idle+=("198.51.101.$i")
        tb_wait_for 5 pc_banned testsvc 4 "198.51.101.$i"
done
# (b) while entries keep coming (an attack in progress): the reader's follow-up polling sees them at once
burst=()
for i in $(seq 20 39); do
        fail "198.51.101.$i"; sleep 0.1; fail "198.51.101.$i"
        burst+=("198.51.101.$i")
        sleep 0.2
done
tb_wait_for 5 pc_banned testsvc 4 198.51.101.39
sleep 0.5
lat_idle=$(python3 "$TB_DIR/ban-latency.py" "${idle[@]}")
lat_burst=$(python3 "$TB_DIR/ban-latency.py" "${burst[@]}")
echo "# entry -> ban, first entries after idle (ms): $lat_idle"
echo "# entry -> ban, entries within a burst (ms):   $lat_burst"
max_idle=$(echo "$lat_idle" | tr ' ' '\n' | sort -n | tail -n1)
med_burst=$(echo "$lat_burst" | tr ' ' '\n' | sort -n | sed -n 10p)
max_burst=$(echo "$lat_burst" | tr ' ' '\n' | sort -n | tail -n1)
tb_check "after idle: every ban within 1 s of its entry (max ${max_idle} ms)" sh -c "! echo '$lat_idle' | grep -q -- - && [ '$max_idle' -lt 1000 ]"
tb_check "within a burst: median under 100 ms (median ${med_burst} ms)" sh -c "! echo '$lat_burst' | grep -q -- - && [ '$med_burst' -lt 100 ]"
tb_check "within a burst: every ban within 400 ms (max ${max_burst} ms)" [ "$max_burst" -lt 400 ]

pc_daemon_stop
tb_summary
