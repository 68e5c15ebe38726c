#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 100,000 bans and the D-Bus API: ListBans stays responsive and small (one reply holds at most 10,000
# bans; measured: time and bytes of a page, of the whole list through portcullisctl), and the bus does
# not disconnect the daemon. The bans come from 100,000 journal entries (maxretry = 1).
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require
pc_bus_require
tb_enter_ns --net -- "$@"
N=${PC_SCALE_BANS:-100000}

pc_sandbox
pc_bus_start
pc_filter testsvc 'AUTH FAILURE from <HOST>'
printf '[testsvc]\nenabled = true\nmaxretry = 1\nbantime = 1h\nport = 22\nmaxtracked = 200000\n' >"$PC_CONF/jails/test.conf"
pc_daemon_start --log-level=notice || tb_die "daemon did not become ready"

# one process in cgroup testsvc.service sends N entries from N addresses 10.A.B.C
t0=$(date +%s%N)
tb_spawn testsvc.service "$TB_TMP/flood.log" python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
for i in range(int(sys.argv[1])):
    a = "10.%d.%d.%d" % (1 + (i >> 16), (i >> 8) & 255, i & 255)
    s.sendto(("MESSAGE=AUTH FAILURE from %s\nSYSLOG_IDENTIFIER=testsvc\n" % a).encode(), "/run/systemd/journal/socket")
print("sent", flush=True)' "$N"
tb_wait_for 60 grep -q sent "$TB_TMP/flood.log" || tb_die "flood writer stuck"
banned() { [ "$(busctl get-property $PC_BUS $PC_PATH $PC_MGR CurrentlyBanned)" = "t $N" ]; }
tb_check "$N bans in place" tb_wait_for 60 banned
t1=$(date +%s%N)
echo "# $N entries -> $N bans: $(( (t1 - t0) / 1000000 )) ms"
tb_check "all $N in the kernel set" [ "$(nft -j list set inet portcullis testsvc_v4 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(len(o["set"].get("elem",[])) for o in d["nftables"] if "set" in o))')" = "$N" ]

first=$(python3 "$TB_DIR/dbus-raw.py" listbans "" 0 10000)
echo "# ListBans(offset 0, limit 10000) right after the flood (daemon still writing its database): $first"
sleep 1
page=$(python3 "$TB_DIR/dbus-raw.py" listbans "" 0 10000)
echo "# ListBans(offset 0, limit 10000): $page"
tb_check "ListBans page of 10,000: below 1 MB" [ "$(echo "$page" | sed 's/bytes=\([0-9]*\).*/\1/')" -lt 1048576 ]
tb_check "ListBans page of 10,000: under 1 s" python3 -c "import sys; sys.exit(0 if float('$page'.split('seconds=')[1].split()[0]) < 1 else 1)"
last=$(python3 "$TB_DIR/dbus-raw.py" listbans "" $((N - 100)) 100)
echo "# ListBans(offset N-100, limit 100): $last"
capped=$(python3 "$TB_DIR/dbus-raw.py" listbans "" 0 0)
echo "# ListBans(limit 0 = the cap): $capped"
tb_check "limit 0 is capped: same size as a page of 10,000" [ "${capped%% *}" = "${page%% *}" ]
out=$(busctl call $PC_BUS $PC_PATH $PC_MGR ListBans stt '' 0 1000000 | awk '{print $2, $NF}')
tb_check "a limit of 1,000,000 returns 10,000 bans and the total $N" [ "$out" = "10000 $N" ]

t0=$(date +%s%N)
n=$("$PC_BUILD/portcullisctl" list-bans --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["bans"]), d["total"])')
t1=$(date +%s%N)
echo "# portcullisctl list-bans --json of $N bans (pages of 10,000): $(( (t1 - t0) / 1000000 )) ms"
tb_check "portcullisctl list-bans pages through all $N" [ "$n" = "$N $N" ]
t0=$(date +%s%N)
st=$(busctl get-property $PC_BUS $PC_PATH $PC_MGR State)
echo "# a property read meanwhile: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
tb_check "the daemon is still on the bus and running" [ "$st" = 's "running"' ]
tb_check "... owns its name" tb_quiet busctl status $PC_BUS
rss=$(awk '/VmRSS/ {print $2}' "/proc/$PC_DAEMON_PID/status")
echo "# daemon RSS with $N bans: $rss kB"
tb_check "bus connection not dropped (no disconnect in the log)" sh -c "! grep -qi 'disconnect' '$PC_DAEMON_LOG'"
pc_daemon_stop; rc=$?
tb_check "SIGTERM: clean exit (status $rc), no sanitizer report in the daemon's log" \
        sh -c "[ $rc -eq 0 ] && ! grep -q 'Sanitizer' '$PC_DAEMON_LOG'"
tb_summary
