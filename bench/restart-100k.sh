#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Restart with 100,000 active bans after a "reboot" (empty ruleset): time from the daemon's start to
# READY=1, and whether all bans are in the kernel by then. Also the database size and the cost of writing
# the bans. In a private sandbox (journald, network namespace), as root:  bench/restart-100k.sh [BUILD_DIR]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
export PORTCULLIS_SOURCE_DIR=$(cd "$HERE/.." && pwd)
export PORTCULLIS_BUILD_DIR=$(cd "${1:-$PORTCULLIS_SOURCE_DIR/build}" && pwd)
export TB_NAME=restart-100k
. "$PORTCULLIS_SOURCE_DIR/tests/lib/harness.sh"
pc_require
tb_enter_ns --net -- "$@"

pc_sandbox 2>/dev/null
pc_filter testsvc 'AUTH FAILURE from <HOST>'
printf '[testsvc]\nenabled = true\nbantime = 1d\n' >"$PC_CONF/jails/test.conf"
N=${N:-100000}
pc_daemon_start --log-level=info 2>/dev/null || exit 1
pc_daemon_stop
DB=$TB_TMP/state/portcullis.db

# N bans as the daemon writes them (half IPv4, half IPv6), in one transaction
python3 - "$DB" "$N" <<'PY'
import ipaddress, sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
now = int(time.time() * 1e6)
c = sqlite3.connect(db)
rows = []
for i in range(n):
    a = str(ipaddress.IPv4Address(0x0a000000 + i)) if i % 2 == 0 else str(ipaddress.IPv6Address((0x20010db8 << 96) + i))
    rows.append(("testsvc", a, now, now + 86400 * 10**6, 5, 1))
t0 = time.perf_counter()
with c:
    c.executemany("INSERT INTO bans VALUES (?,?,?,?,?,?)", rows)
print("wrote %d bans in one transaction: %.3f s (%.1f µs per ban)" % (n, time.perf_counter() - t0,
      (time.perf_counter() - t0) * 1e6 / n))
PY
ls -l "$DB" | awk -v n="$N" '{printf "database size with %d bans: %.1f MB (%.0f bytes per ban)\n", n, $5 / 1e6, $5 / n}'

nft flush ruleset # the reboot
t0=$(date +%s%N)
pc_daemon_start --log-level=info 2>/dev/null || { cat "$PC_DAEMON_LOG"; exit 1; }
t1=$(date +%s%N)
n4=$(nft -j list set inet portcullis testsvc_v4 | python3 -c 'import json,sys; print(sum(len(o["set"].get("elem",[])) for o in json.load(sys.stdin)["nftables"] if "set" in o))')
n6=$(nft -j list set inet portcullis testsvc_v6 | python3 -c 'import json,sys; print(sum(len(o["set"].get("elem",[])) for o in json.load(sys.stdin)["nftables"] if "set" in o))')
echo "restart with $N bans after a reboot: READY=1 after $(( (t1 - t0) / 1000000 )) ms (process start included);" \
     "$((n4 + n6)) elements in the kernel"
grep -o "Restored.*" "$PC_DAEMON_LOG" | tail -n 1
echo "RSS with $N bans: $(awk '/^VmRSS/ {print $2}' /proc/$PC_DAEMON_PID/status) kB"
pc_daemon_stop
