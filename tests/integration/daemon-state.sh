#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# State that survives (real journald, real nftables, the built daemon):
#  - kill -9 in the middle of a flood, restart: every address with maxretry failures is banned exactly
#    once (in the kernel and in the database), and no address with maxretry-1 failures is banned (nothing
#    missed, nothing counted twice: failures counted before the kill are rebuilt by replaying the last
#    findtime up to the saved position, without banning again);
#  - failures written while the daemon is stopped are counted after the start;
#  - a "reboot" (nft flush ruleset while stopped): the bans come back with their remaining time;
#  - the saved position's entry vacuumed away while stopped: the daemon says so and goes on;
#  - a damaged database: kept aside, a clear error, the daemon protects and adopts the kernel's bans.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require
tb_enter_ns --net -- "$@"

pc_sandbox
pc_filter testsvc 'AUTH FAILURE seq=\d+ from <HOST>'
printf '[testsvc]\nenabled = true\nmaxretry = 3\nfindtime = 10m\nbantime = 1h\n' >"$PC_CONF/jails/test.conf"
pc_writer_start testsvc testsvc.service
DB=$TB_TMP/state/portcullis.db
seq=0
fail() { seq=$((seq + 1)); pc_write testsvc "AUTH FAILURE seq=$seq from $1"; }
db_bans() { python3 -c 'import sqlite3,sys; print("\n".join(r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT address FROM bans ORDER BY address")))' "$DB"; }
ban_events() { journalctl -q -o cat "MESSAGE_ID=$PC_MSG_BAN" "ADDRESS=$1" | wc -l; }

# --- 1. kill -9 in the middle of a flood -------------------------------------------------------------
pc_daemon_start || tb_die "daemon did not start"
A=() B=()
for i in $(seq 1 40); do A+=("198.51.100.$i"); B+=("203.0.113.$i"); done
( # the flood: round-robin, so that every address's failures are spread over the whole flood
        for round in 1 2 3; do
                for i in $(seq 0 39); do
                        fail "${A[$i]}"
                        [ "$round" -lt 3 ] && fail "${B[$i]}"
                        sleep 0.005
                done
        done
) &
FLOOD=$!
# kill as soon as the first bans are in: the rest of the flood is still coming
tb_wait_for 20 sh -c "nft list set inet portcullis testsvc_v4 | grep -q '198\.51\.100\.'"
kill -KILL "$PC_DAEMON_PID"; wait "$PC_DAEMON_PID" 2>/dev/null
wait "$FLOOD"
pc_write_wait testsvc 200 || tb_die "writer stuck"
before=$(pc_elements testsvc 4 | wc -l)
echo "# killed with -9 during the flood; $before addresses banned before the kill"
tb_check "the kill came in the middle (some, not all banned: $before)" test "$before" -ge 1 -a "$before" -lt 40
pc_daemon_start || tb_die "daemon did not restart"
tb_check "all 40 addresses with 3 failures banned after the restart" \
        tb_wait_for 10 sh -c "[ \$(nft -j list set inet portcullis testsvc_v4 | grep -o '198\.51\.100\.[0-9]*' | sort -u | wc -l) -eq 40 ]"
sleep 0.5
banned_b=$(pc_elements testsvc 4 | grep -c '^203\.0\.113\.')
tb_check "no address with 2 failures banned (nothing counted twice; got $banned_b)" [ "$banned_b" -eq 0 ]
twice=0
for a in "${A[@]}"; do [ "$(ban_events "$a")" -eq 1 ] || twice=$((twice + 1)); done
tb_check "every address banned exactly once across both runs ($twice not)" [ "$twice" -eq 0 ]
tb_check "the database holds the 40 bans" [ "$(db_bans | grep -c '^198\.51\.100\.')" -eq 40 ]
grep -q 'Replayed the failures' "$PC_DAEMON_LOG" && echo "# the restart replayed the last findtime"

# --- 2. failures while stopped are counted after the start ----------------------------------------------
pc_daemon_stop
for k in 1 2 3; do fail 198.51.100.200; done
pc_write_wait testsvc 203
pc_daemon_start || tb_die "daemon did not restart"
tb_check "failures written while stopped lead to a ban after the start" tb_wait_for 5 pc_banned testsvc 4 198.51.100.200

# --- 3. a reboot: the kernel forgets, the database does not -----------------------------------------------
pc_daemon_stop
nft flush ruleset
tb_check "(the kernel forgot our table)" sh -c '! nft list table inet portcullis >/dev/null 2>&1'
sleep 1.2
pc_daemon_start || tb_die "daemon did not restart"
n=$(pc_elements testsvc 4 | wc -l)
tb_check "all 41 bans back in the kernel after the restart ($n)" [ "$n" -eq 41 ]
el=$(pc_elements testsvc 4 | grep '^198\.51\.100\.1 ')
echo "# element after the reboot: $el"
tb_check "with their remaining time (< 3600 s, > 3500 s)" sh -c "echo '$el' | awk '{exit !(\$3 < 3600 && \$3 > 3500)}'"
tb_check "restore event says how many were put back" \
        sh -c "journalctl -q -o cat MESSAGE_ID=4237d58105f44a599fe926c2252a4616 | tail -n1 | grep -q 'Restored 41 bans from the database (41 put back'"

# --- 4. the saved position's entry vacuumed away while stopped ---------------------------------------------
pc_daemon_stop
journalctl --rotate >/dev/null 2>&1
journalctl --vacuum-files=1 >/dev/null 2>&1
for k in 1 2 3; do fail 198.51.100.201; done
pc_write_wait testsvc 206
pc_daemon_start || tb_die "daemon did not restart"
tb_check "after the vacuum: new failures still ban" tb_wait_for 5 pc_banned testsvc 4 198.51.100.201
tb_check "and the daemon said the saved entry is gone" grep -q 'saved cursor is gone' "$PC_DAEMON_LOG"

# --- 5. a damaged database ---------------------------------------------------------------------------------
pc_daemon_stop
rm -f "$DB-wal" "$DB-shm"
printf 'garbage, not a database\n' >"$DB"
pc_daemon_start || tb_die "daemon did not start with a damaged database"
tb_check "the damaged file is kept aside" sh -c "ls '$TB_TMP/state/' | grep -q 'portcullis.db.corrupt-'"
tb_check "a clear error event names it" \
        sh -c "journalctl -q -o cat MESSAGE_ID=7aad25a7334d4b3fa3e06481da48c4d9 | grep -q 'damaged'"
tb_check "the kernel's 42 bans are adopted" \
        sh -c "journalctl -q -o cat MESSAGE_ID=4237d58105f44a599fe926c2252a4616 | tail -n1 | grep -q 'adopted 42'"
tb_check "and written to the new database" tb_wait_for 3 sh -c "[ \$(python3 -c 'import sqlite3; print(sqlite3.connect(\"$DB\").execute(\"select count(*) from bans\").fetchone()[0])') -eq 42 ]"
for k in 1 2 3; do fail 198.51.100.202; done
tb_check "and it goes on banning" tb_wait_for 5 pc_banned testsvc 4 198.51.100.202
pc_daemon_stop
tb_summary
