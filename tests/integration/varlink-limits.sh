#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The control socket under abuse (tests/lib/varlink-abuse.py): garbage, truncated, non-object, oversized and
# never-terminated messages, too many clients (in all, and per non-root uid) each close only the offending
# connection while another client is served; pipelined and oneway calls. With 20,000 bans restored from the
# database (EXTEND_TIMEOUT_USEC= sent during the restore): ListBans pages (never one giant reply), and a
# Monitor client that stops reading while 20,000 unban events stream is dropped, with bounded memory.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require setpriv
tb_enter_ns --net -- "$@"

pc_sandbox
VL="python3 $TB_DIR/varlink.py"
AB="python3 $TB_DIR/varlink-abuse.py"
SOCK=$TB_TMP/runtime/io.portcullis.Portcullis1
I=org.portcullis.Portcullis1
N_BANS=20000
pc_filter svc 'AUTH FAILURE from <HOST>'
printf '[svc]\nenabled = true\nbantime = 1h\n' >"$PC_CONF/jails/test.conf"

# --- 20,000 bans in the database, restored at start --------------------------------------------------
pc_daemon_start || tb_die "daemon did not start"
pc_daemon_stop
python3 - "$TB_TMP/state/portcullis.db" "$N_BANS" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time() * 1e6)
db.executemany("INSERT INTO bans (jail, address, prefixlen, start_usec, end_usec, failures, ban_count) "
               "VALUES ('svc', ?, 32, ?, ?, 3, 1)",
               (("10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255), now, now + 3600 * 10**6)
                for i in range(1, int(sys.argv[2]) + 1)))
db.commit()
PY
[ $? = 0 ] || tb_die "could not seed the database"
: >"$PC_NOTIFY_LOG"
t0=$(date +%s%N)
pc_daemon_start || tb_die "daemon did not start with $N_BANS bans"
tb_log "started with $N_BANS bans to restore in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
grep -v WATCHDOG "$PC_NOTIFY_LOG" | sed 's/^/# notify: /'
tb_check "EXTEND_TIMEOUT_USEC= sent during the restore (every 10,000 bans), before READY=1" sh -c "
        awk '/EXTEND_TIMEOUT_USEC=30000000/ { n++ } /READY=1/ { print n; exit }' '$PC_NOTIFY_LOG' | grep -qx '[3-9]'"
tb_check "all $N_BANS in the kernel" [ "$(pc_elements svc 4 | wc -l)" -eq "$N_BANS" ]

out=$($VL "$SOCK" call $I.ListBans '{"limit":100000}' | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total"], len(d["bans"]))')
tb_check "ListBans: total $N_BANS, but at most 1000 in one reply ($out)" [ "$out" = "$N_BANS 1000" ]
out=$($VL "$SOCK" call $I.ListBans "{\"offset\":$((N_BANS - 10)),\"limit\":50}" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["bans"]), d["bans"][-1]["address"])')
tb_check "ListBans: the last page ($out)" [ "$out" = "10 10.0.78.32" ]

# --- malformed input: that connection only ---------------------------------------------------------------
for c in garbage truncated not-object no-method oversized pipeline oneway; do
        out=$($AB "$SOCK" $c 2>&1); rc=$?
        echo "$out" | sed "s/^/# $c: /"
        tb_check "$c: handled, another client served" [ "$rc" -eq 0 ]
done
out=$($AB "$SOCK" unterminated 2>&1); rc=$?
echo "$out" | sed 's/^/# unterminated: /'
tb_check "a never-terminated message: closed after ~5 s, others served meanwhile" [ "$rc" -eq 0 ]

# --- too many clients ----------------------------------------------------------------------------------
out=$($AB "$SOCK" clients 64 2>&1); rc=$?
echo "$out" | sed 's/^/# clients: /'
tb_check "64 clients served, the 65th refused, then served again" [ "$rc" -eq 0 ]
chmod 0666 "$SOCK"
cp "$TB_DIR/varlink.py" "$TB_DIR/varlink-abuse.py" "$TB_TMP/"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$TB_TMP/varlink-abuse.py" "$SOCK" clients 16 2>&1); rc=$?
echo "$out" | sed 's/^/# nobody clients: /'
tb_check "a non-root uid: 16 clients, the 17th refused" [ "$rc" -eq 0 ]

# --- a Monitor client that does not read ----------------------------------------------------------------
$AB "$SOCK" slow-monitor "$TB_TMP/go" >"$TB_TMP/slow.out" 2>&1 &
SLOW=$!
tb_wait_for 5 grep -q subscribed "$TB_TMP/slow.out" || tb_ko "slow monitor did not subscribe"
rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$PC_DAEMON_PID/status")
t0=$(date +%s%N)
out=$($VL "$SOCK" call $I.UnbanAll '{}')
tb_log "UnbanAll of $N_BANS: $(( ($(date +%s%N) - t0) / 1000000 )) ms: $out"
tb_check "UnbanAll lifted all $N_BANS" sh -c "echo '$out' | grep -q '\"count\": $N_BANS'"
tb_check "the non-reading monitor was dropped" grep -q 'output limit reached' "$PC_DAEMON_LOG"
rss1=$(awk '/VmRSS/ { print $2 }' "/proc/$PC_DAEMON_PID/status")
tb_log "daemon RSS: $rss0 kB before, $rss1 kB after"
touch "$TB_TMP/go"
wait "$SLOW"
sed 's/^/# slow monitor: /' "$TB_TMP/slow.out"
tb_check "the slow monitor got EOF after fewer than all events" sh -c "grep -q EOF '$TB_TMP/slow.out' &&
        [ \$(awk '/^events/ { print \$2 }' '$TB_TMP/slow.out') -lt $N_BANS ]"
tb_check "another client still served" sh -c "$VL '$SOCK' call $I.GetStatus | grep -q '\"currentlyBanned\": 0'"
tb_check "the kernel set is empty" [ "$(pc_elements svc 4 | wc -l)" -eq 0 ]
tb_check "daemon still running" kill -0 "$PC_DAEMON_PID"
pc_daemon_stop
tb_check "clean exit" [ $? -eq 0 ]
tb_summary
