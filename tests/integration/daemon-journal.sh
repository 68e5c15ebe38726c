#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The journal reader does not go blind: journal rotation, vacuum, a flush from /run to /var and a journald
# restart while the daemon runs; and wake-up latency (journald delays reader notifications by up to
# ~0.5 s; the reader's follow-up polling sees the rest of a burst at once) is measured and bounded.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require
tb_enter_ns --net -- "$@"

tb_private_fs
tb_private_dev
tb_journald_start
ip link set lo up

PC_CONF=$TB_TMP/conf
pc_config_dir "$PC_CONF"
cat >"$PC_CONF/filters/testsvc.conf" <<'CONF'
[Definition]
failregex = ^\S+ testsvc\[\d+\]: AUTH FAILURE from <HOST>$
journalmatch = _SYSTEMD_UNIT=testsvc.service
CONF
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

# --- latency ----------------------------------------------------------------------------------------
# (a) first entry after an idle period: bounded by journald's notification delay (<= ~0.5 s)
lat=()
for i in $(seq 10 19); do
        sleep 2.5 # longer than the reader's linger time: it is idle again, waiting for inotify
        lat+=("$(ban_after "198.51.101.$i")")
done
echo "# idle -> ban latencies (ms): ${lat[*]}"
max=$(printf '%s\n' "${lat[@]}" | sort -n | tail -n1)
tb_check "first failure after idle: ban within 1 s (max ${max} ms)" [ "$max" -lt 1000 ]
# (b) within a burst (entries keep coming): the follow-up poll sees them at once
lat=()
for i in $(seq 20 39); do
        lat+=("$(ban_after "198.51.101.$i")")
        sleep 0.2
done
echo "# in-burst ban latencies (ms): ${lat[*]}"
med=$(printf '%s\n' "${lat[@]}" | sort -n | sed -n 10p)
tb_check "within a burst: median ban latency under 200 ms (median ${med} ms)" [ "$med" -lt 200 ]

pc_daemon_stop
tb_summary
