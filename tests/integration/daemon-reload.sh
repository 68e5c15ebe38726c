#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Configuration errors name FILE:LINE: the daemon refuses to start with them, check-config reports them
# offline, and a SIGHUP with a broken configuration keeps the running one (bans go on); a good SIGHUP
# applies new settings (maxretry, drop -> reject), keeps bans of kept jails and drops removed jails.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require
tb_enter_ns --net -- "$@"

pc_sandbox
CTL=$PC_BUILD/portcullisctl
pc_filter testsvc 'AUTH FAILURE from <HOST>'
good_config() { # good_config MAXRETRY BLOCKTYPE [extra jail]
        cat >"$PC_CONF/jails/test.conf" <<CONF
[testsvc]
enabled = true
maxretry = $1
blocktype = $2
CONF
        [ -n "${3:-}" ] && printf "\n[%s]\nenabled = true\nfilter = testsvc\nmaxretry = %s\n" "$3" "$1" >>"$PC_CONF/jails/test.conf"
        return 0
}
broken_config() {
        cat >"$PC_CONF/jails/test.conf" <<'CONF'
[testsvc]
enabled = true
maxretry = banana
CONF
}

# --- a broken configuration: no start, FILE:LINE ----------------------------------------------------
broken_config
out=$("$CTL" check-config --config-dir="$PC_CONF" --vendor-dir=/nonexistent 2>&1); rc=$?
echo "$out" | sed 's/^/# check-config: /'
tb_check "check-config fails on a bad value (rc $rc)" [ "$rc" -eq 1 ]
tb_check "check-config names the file and line" sh -c "echo '$out' | grep -q 'jails/test.conf:3:'"
if pc_daemon_start; then tb_ko "daemon started with a broken configuration"; pc_daemon_stop; else
        tb_check "daemon refuses to start with a broken configuration (rc ${PC_DAEMON_RC:-?})" [ "${PC_DAEMON_RC:-0}" -ne 0 ]
fi
tb_check "its log names the file and line" grep -q 'jails/test.conf:3:' "$PC_DAEMON_LOG"
tb_check "config-error event in the journal" [ "$(pc_journal_events $PC_MSG_CONFIG_ERROR)" -ge 1 ]
tb_check "no nft table was created" sh -c '! nft list table inet portcullis >/dev/null 2>&1'

# --- start with a good one --------------------------------------------------------------------------
good_config 3 drop oldjail
out=$("$CTL" check-config --config-dir="$PC_CONF" --vendor-dir=/nonexistent 2>&1); rc=$?
echo "$out" | sed 's/^/# check-config: /'
tb_check "check-config accepts it and prints the effective jails" sh -c "[ $rc -eq 0 ] && echo '$out' | grep -q '^testsvc'"
pc_writer_start testsvc testsvc.service
pc_daemon_start || tb_die "daemon did not start"
n=0
fail() { local i; for i in $(seq "$2"); do pc_write testsvc "AUTH FAILURE from $1"; n=$((n + 1)); done; }
fail 198.51.100.1 3
tb_check "ban with the first configuration" tb_wait_for 3 pc_banned testsvc 4 198.51.100.1
tb_check "oldjail banned it too" tb_wait_for 3 pc_banned oldjail 4 198.51.100.1
tb_check "drop rule" sh -c 'nft list chain inet portcullis input | grep -q "@testsvc_v4 drop"'

# --- SIGHUP with a broken configuration keeps the running one -----------------------------------------
errors_before=$(pc_journal_events $PC_MSG_CONFIG_ERROR)
broken_config
kill -HUP "$PC_DAEMON_PID"
tb_check "reload error event names FILE:LINE" tb_wait_for 5 sh -c "journalctl -q -o cat MESSAGE_ID=$PC_MSG_CONFIG_ERROR | grep -q 'jails/test.conf:3:'"
tb_check "one more config-error event" [ "$(pc_journal_events $PC_MSG_CONFIG_ERROR)" -gt "$errors_before" ]
tb_check "RELOADING=1 then READY=1 sent" sh -c "grep -q 'RELOADING=1' '$PC_NOTIFY_LOG'"
tb_check "daemon still running" kill -0 "$PC_DAEMON_PID"
fail 198.51.100.2 3
tb_check "old configuration (maxretry 3) still bans" tb_wait_for 3 pc_banned testsvc 4 198.51.100.2

# --- SIGHUP with a good new configuration -------------------------------------------------------------
good_config 2 reject
kill -HUP "$PC_DAEMON_PID"
tb_check "reload event" tb_wait_for 5 sh -c "[ \$(journalctl -q -o cat MESSAGE_ID=$PC_MSG_RELOAD | wc -l) -ge 1 ]"
tb_check "rule is now reject" sh -c 'nft list chain inet portcullis input | grep -q "@testsvc_v4 .*reject"'
tb_check "the removed jail's sets are gone" sh -c '! nft list set inet portcullis oldjail_v4 >/dev/null 2>&1'
tb_check "bans of the kept jail survive the reload" pc_banned testsvc 4 198.51.100.1
fail 198.51.100.3 2
tb_check "new maxretry (2) bans" tb_wait_for 3 pc_banned testsvc 4 198.51.100.3
tb_check "unban event for the removed jail's ban" [ "$(pc_journal_events $PC_MSG_UNBAN JAIL=oldjail REASON=jail-removed)" -ge 1 ]

pc_daemon_stop
tb_summary
