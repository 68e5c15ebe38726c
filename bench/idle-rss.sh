#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Idle cost and memory of portcullisd with the stock sshd jail, in a private sandbox (journald, network
# namespace), as root:  bench/idle-rss.sh [BUILD_DIR]
#   - wake-ups while idle: context switches of the daemon over IDLE_SECONDS (default 30) with no entry
#     arriving (voluntary + involuntary, from /proc/PID/status), and the timers it has armed;
#   - memory after start: VmRSS, and RSS without the journal files' mappings (summed from /proc/PID/smaps,
#     leaving out every mapping whose path ends in .journal), plus RssAnon.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
export PORTCULLIS_SOURCE_DIR=$(cd "$HERE/.." && pwd)
export PORTCULLIS_BUILD_DIR=$(cd "${1:-$PORTCULLIS_SOURCE_DIR/build}" && pwd)
export TB_NAME=idle-rss
. "$PORTCULLIS_SOURCE_DIR/tests/lib/harness.sh"
pc_require
tb_enter_ns --net -- "$@"

tb_private_fs
tb_private_dev
tb_journald_start 2>/dev/null
ip link set lo up
# some journal content, as on a host that has been up for a while
for i in $(seq 1 2000); do echo "filler entry $i"; done | systemd-cat -t filler

PC_CONF=$TB_TMP/conf
pc_config_dir "$PC_CONF"
cp "$PC_SRC/jails/sshd.conf" "$PC_CONF/jails/"
pc_daemon_start --log-level=info 2>/dev/null || { cat "$PC_DAEMON_LOG"; exit 1; }
sleep 3 # let start-up settle (the journal reader's follow-up polling lingers 2 s after entries)

ctx() { awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {s += $2} END {print s}' "/proc/$PC_DAEMON_PID/status"; }
IDLE=${IDLE_SECONDS:-30}
c0=$(ctx)
sleep "$IDLE"
c1=$(ctx)
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$PC_DAEMON_PID/status")
anon_kb=$(awk '/^RssAnon/ {print $2}' "/proc/$PC_DAEMON_PID/status")
nojournal_kb=$(awk '/^[0-9a-f]+-[0-9a-f]+ / {path = $6} /^Rss:/ {if (path !~ /\.journal$/) s += $2} END {print s}' \
        "/proc/$PC_DAEMON_PID/smaps")
journal_kb=$(awk '/^[0-9a-f]+-[0-9a-f]+ / {path = $6} /^Rss:/ {if (path ~ /\.journal$/) s += $2} END {print s + 0}' \
        "/proc/$PC_DAEMON_PID/smaps")
echo "idle: $((c1 - c0)) context switches in ${IDLE} s with no journal entry arriving"
echo "memory after start (stock sshd jail): VmRSS ${rss_kb} kB; without journal file mappings ${nojournal_kb} kB" \
     "(journal mappings ${journal_kb} kB); RssAnon ${anon_kb} kB"
pc_daemon_stop
