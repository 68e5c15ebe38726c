#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Socket activation and the sd_notify protocol: systemd-socket-activate holds the control socket and starts
# portcullisd at the first connection (named fd io.portcullis.Portcullis1); the waiting client is answered.
# The exact notify sequences (datagrams captured by tests/lib/notify-listen.py) of start, a good reload
# (through the socket and by SIGHUP), a reload with a broken configuration (error reported, old
# configuration kept, READY=1 again), watchdog pings at half WATCHDOG_USEC only while the loop runs,
# STATUS= with the entry rate, and stop.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require systemd-socket-activate
tb_enter_ns --net -- "$@"

pc_sandbox
VL="python3 $TB_DIR/varlink.py"
RUN=$TB_TMP/run-activated
SOCK=$RUN/io.portcullis.Portcullis1
I=org.portcullis.Portcullis1
NOTIFY=$TB_TMP/notify.sock
LOG=$TB_TMP/notify.log
PC_DAEMON_LOG=$TB_TMP/portcullisd.log
mkdir -p "$RUN"
pc_filter svc 'AUTH FAILURE from <HOST>'
printf '[svc]\nenabled = true\nmaxretry = 3\n' >"$PC_CONF/jails/test.conf"
pc_writer_start svc svc.service

python3 "$TB_DIR/notify-listen.py" "$NOTIFY" >"$LOG" 2>&1 &
tb_wait_for 5 test -S "$NOTIFY" || tb_die "notify listener did not start"

# The messages since line $1 of the log, WATCHDOG=1 left out, one per line (fields joined by " | ").
since() { tail -n +"$(( $1 + 1 ))" "$LOG" | grep -v '^NOTIFY pid=[0-9]* WATCHDOG=1$' | sed 's/^NOTIFY pid=[0-9]* //'; }
mark() { wc -l <"$LOG"; }
show() { echo "$1" | sed 's/^/#   /'; }

# --- activation and start --------------------------------------------------------------------------
tb_spawn portcullisd.service "$PC_DAEMON_LOG" systemd-socket-activate -l "$SOCK" --fdname=io.portcullis.Portcullis1 \
        -E NOTIFY_SOCKET="$NOTIFY" -E WATCHDOG_USEC=1000000 \
        "$PC_BUILD/portcullisd" --config-dir="$PC_CONF" --vendor-dir=/nonexistent --state-dir="$TB_TMP/state" \
        --runtime-dir="$RUN" --log-target=console --log-level=debug
PC_DAEMON_PID=$TB_SPAWNED_PID
tb_wait_for 5 test -S "$SOCK" || tb_die "systemd-socket-activate did not listen"
tb_check "nothing started before the first connection" [ "$(mark)" -eq 0 ]
out=$($VL "$SOCK" call $I.GetStatus); echo "# first call: $out"
tb_check "the first client is answered by the activated daemon" sh -c "echo '$out' | grep -q '\"state\": \"running\"'"
tb_check "it used the passed socket" grep -q 'Using the control socket passed by systemd' "$PC_DAEMON_LOG"
seq=$(since 0); show "$seq"
tb_check "start: READY=1, then STATUS=" sh -c "echo '$seq' | head -n 2 | tr '\n' '~' | grep -q '^READY=1~STATUS=1 jail, 0 banned, 0 failures, 0 entries read, 0.0 entries/s~$'"
tb_check "the watchdog pinged from the start" grep -q 'WATCHDOG=1$' "$LOG"

# --- watchdog: at half WATCHDOG_USEC (1 s), only while the loop runs -----------------------------------
m=$(mark); sleep 3.1
n=$(tail -n +"$((m + 1))" "$LOG" | grep -c 'WATCHDOG=1$')
tb_check "watchdog: $n pings in 3.1 s (one every 0.5-0.75 s: 4-7)" sh -c "[ $n -ge 4 ] && [ $n -le 7 ]"
kill -STOP "$PC_DAEMON_PID"
m=$(mark); sleep 1.2
tb_check "a stopped loop sends no pings" [ "$(tail -n +"$((m + 1))" "$LOG" | grep -c 'WATCHDOG=1$')" -eq 0 ]
kill -CONT "$PC_DAEMON_PID"
tb_check "pings resume with the loop" tb_wait_for 2 sh -c "tail -n +$((m + 1)) '$LOG' | grep -q 'WATCHDOG=1$'"

# --- STATUS= with the entry rate --------------------------------------------------------------------
for i in $(seq 40); do pc_write svc "hello $i"; done
pc_write_wait svc 40
tb_check "STATUS= shows the entry rate over the last interval" tb_wait_for 7 sh -c "grep -q 'entries read, [1-9][0-9.]* entries/s' '$LOG'"
grep 'entries/s' "$LOG" | tail -n 2 | sed 's/^/# /'

# --- reload through the socket (waits for the end) -------------------------------------------------------
m=$(mark)
t0=$(awk '{ printf "%d", $1 * 1000000 }' /proc/uptime)
out=$($VL "$SOCK" call $I.Reload); echo "# Reload: $out"
seq=$(since "$m"); show "$seq"
tb_check "reload: RELOADING=1 | MONOTONIC_USEC= | STATUS=Reloading, READY=1, STATUS=" sh -c "echo '$seq' | head -n 3 | tr '\n' '~' |
        grep -q '^RELOADING=1 | MONOTONIC_USEC=[0-9]* | STATUS=Reloading configuration…~READY=1~STATUS=1 jail, '"
mono=$(echo "$seq" | sed -n 's/.*MONOTONIC_USEC=\([0-9]*\).*/\1/p' | head -n 1)
tb_check "MONOTONIC_USEC is CLOCK_MONOTONIC now (${mono:-?} vs ~$t0)" sh -c "[ -n '$mono' ] && [ \$(( $mono - $t0 )) -gt -2000000 ] && [ \$(( $mono - $t0 )) -lt 2000000 ]"
tb_check "the reply came after READY=1" [ "$out" = "{}" ]

m=$(mark)
kill -HUP "$PC_DAEMON_PID"
tb_check "SIGHUP: the same sequence" tb_wait_for 3 sh -c "tail -n +$((m + 1)) '$LOG' | grep -v 'WATCHDOG=1$' | sed 's/^NOTIFY pid=[0-9]* //' |
        head -n 2 | tr '\n' '~' | grep -q '^RELOADING=1 | MONOTONIC_USEC=[0-9]* | STATUS=Reloading configuration…~READY=1~'"

# --- reload with a broken configuration -------------------------------------------------------------
printf '[svc]\nenabled = true\nmaxretry = banana\n[more]\nenabled = true\nfilter = svc\n' >"$PC_CONF/jails/test.conf"
m=$(mark)
out=$($VL "$SOCK" call $I.Reload); echo "# Reload broken: $out"
seq=$(since "$m"); show "$seq"
tb_check "broken reload: the error is reported (ConfigError, FILE:LINE)" sh -c "echo '$out' | grep -q ConfigError && echo '$out' | grep -q 'test.conf:3:'"
tb_check "broken reload: RELOADING=1 …, READY=1 again, STATUS=" sh -c "echo '$seq' | head -n 3 | tr '\n' '~' |
        grep -q '^RELOADING=1 | MONOTONIC_USEC=[0-9]* | STATUS=Reloading configuration…~READY=1~STATUS=1 jail, '"
tb_check "broken reload: the old configuration runs on (1 jail, running)" sh -c "$VL '$SOCK' call $I.GetStatus | grep -q '\"jails\": 1, .*\"state\": \"running\"'"
for i in 1 2 3; do pc_write svc "AUTH FAILURE from 203.0.113.9"; done
tb_check "…and still bans" tb_wait_for 3 pc_banned svc 4 203.0.113.9

# --- stop --------------------------------------------------------------------------------------------
m=$(mark)
kill -TERM "$PC_DAEMON_PID"
wait "$PC_DAEMON_PID"; rc=$?
seq=$(since "$m"); show "$seq"
tb_check "stop: exit 0" [ "$rc" -eq 0 ]
tb_check "stop: STOPPING=1 | STATUS=… and nothing after it" sh -c "[ \"\$(echo '$seq' | grep -c .)\" -eq 1 ] && echo '$seq' | grep -q '^STOPPING=1 | STATUS=Stopping'"
tb_check "the activated socket is left for systemd" test -S "$SOCK"
tb_summary
