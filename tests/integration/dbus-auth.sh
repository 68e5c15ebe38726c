#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Authorization of the D-Bus API with the real polkitd, the project's .policy and the shipped example
# rule (members of group "portcullis" may do everything; user "daemon" is put in that group here):
# root is allowed without polkit; "nobody" may read everything but is refused Ban, Unban, UnbanAll,
# Reload, Stop and setting BanTimeUSec, and nothing changes; "daemon" (group rule) may ban; with polkitd
# gone, non-root callers are refused.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require
pc_bus_require
tb_enter_ns --net -- "$@"

pc_bus_daemon
J=$PC_PATH/jail/testsvc
denied() { grep -Eq 'Access denied|Interactive authentication required|not authorized' "$@"; }
as_nobody() { tb_as nobody "$@"; }

# --- nobody: reads -----------------------------------------------------------------------------------
tb_check "nobody reads State" [ "$(as_nobody busctl get-property $PC_BUS $PC_PATH $PC_MGR State)" = 's "running"' ]
tb_check "nobody reads a jail's BanTimeUSec" [ "$(as_nobody busctl get-property $PC_BUS $J $PC_JAIL BanTimeUSec)" = 't 600000000' ]
tb_check "nobody calls ListBans" tb_quiet as_nobody busctl call $PC_BUS $PC_PATH $PC_MGR ListBans stt '' 0 0
tb_check "nobody: portcullisctl status works" sh -c "setpriv --reuid=nobody --regid=nogroup --clear-groups '$PC_BUILD/portcullisctl' --no-pager status | grep -q running"
tb_check "nobody: portcullisctl list-bans --json works" tb_quiet as_nobody "$PC_BUILD/portcullisctl" list-bans --json

# --- nobody: every change refused, nothing changed -----------------------------------------------------
pc_mgr Ban sstb testsvc 198.51.100.7 0 false >/dev/null   # something for nobody to try to unban
try() { # try NAME CMD...: the call must fail with a denial
        local out rc
        out=$(as_nobody "${@:2}" 2>&1); rc=$?
        echo "# nobody $1: rc=$rc $out"
        tb_check "nobody: $1 refused (access denied)" sh -c "[ $rc -ne 0 ] && echo '$out' | grep -Eq 'Access denied|Interactive authentication required'"
}
try "Ban" busctl call $PC_BUS $PC_PATH $PC_MGR Ban sstb testsvc 198.51.100.8 0 false
try "Ban (interactive, no agent)" busctl call $PC_BUS $PC_PATH $PC_MGR Ban sstb testsvc 198.51.100.8 0 true
try "Jail.Ban" busctl call $PC_BUS $J $PC_JAIL Ban stb 198.51.100.8 0 false
try "Unban" busctl call $PC_BUS $PC_PATH $PC_MGR Unban ssb '' 198.51.100.7 false
try "UnbanAll" busctl call $PC_BUS $PC_PATH $PC_MGR UnbanAll sb '' false
try "Reload" busctl call $PC_BUS $PC_PATH $PC_MGR Reload b false
try "Stop" busctl call $PC_BUS $J $PC_JAIL Stop b false
try "setting BanTimeUSec" busctl set-property $PC_BUS $J $PC_JAIL BanTimeUSec t 5000000
try "setting BanTimeUSec (interactive)" busctl --allow-interactive-authorization=yes set-property $PC_BUS $J $PC_JAIL BanTimeUSec t 5000000
out=$(tb_as nobody "$PC_BUILD/portcullisctl" ban testsvc 198.51.100.8 2>&1); rc=$?
tb_check "nobody: portcullisctl ban exits 1 with the denial ($out)" sh -c "[ $rc -eq 1 ] && echo '$out' | grep -Eq 'denied|Interactive'"
tb_check "nothing banned by nobody" pc_not_banned testsvc 4 198.51.100.8
tb_check "nobody's unban did not lift the ban" pc_banned testsvc 4 198.51.100.7
tb_check "BanTimeUSec unchanged" [ "$(pc_jail_prop testsvc BanTimeUSec)" = 't 600000000' ]
tb_check "the jail still runs" [ "$(pc_jail_prop testsvc Enabled)" = 'b true' ]
tb_check "no reload happened" [ "$(pc_journal_events $PC_MSG_RELOAD)" = 0 ]

# --- daemon, in group "portcullis": allowed by the example JS rule ---------------------------------------
out=$(tb_as daemon busctl call $PC_BUS $PC_PATH $PC_MGR Ban sstb testsvc 198.51.100.9 0 false 2>&1)
echo "# daemon Ban: $out"
tb_check "group member: Ban allowed by the JS rule" pc_banned testsvc 4 198.51.100.9
tb_check "group member: portcullisctl unban allowed" tb_quiet tb_as daemon "$PC_BUILD/portcullisctl" unban 198.51.100.9
tb_check "... lifted in the kernel" pc_not_banned testsvc 4 198.51.100.9
tb_check "group member: setting BanTimeUSec allowed" tb_as daemon busctl set-property $PC_BUS $J $PC_JAIL BanTimeUSec t 5000000
tb_check "... changed" [ "$(pc_jail_prop testsvc BanTimeUSec)" = 't 5000000' ]
tb_check "group member: Reload allowed" tb_as daemon "$PC_BUILD/portcullisctl" reload
tb_check "... reloaded (bantime back to 600 s)" [ "$(pc_jail_prop testsvc BanTimeUSec)" = 't 600000000' ]
journalctl -q -t polkitd --no-pager | tail -n 3 | sed 's/^/# polkitd: /'

# --- polkit unreachable: no --------------------------------------------------------------------------
kill "$TB_POLKIT_PID"; wait "$TB_POLKIT_PID" 2>/dev/null
tb_wait_for 5 sh -c '! busctl status org.freedesktop.PolicyKit1 >/dev/null 2>&1' || tb_ko "polkitd gone"
# (the bus would activate polkitd on demand if it had a service file for it: the private bus has none)
out=$(tb_as daemon busctl call $PC_BUS $PC_PATH $PC_MGR Ban sstb testsvc 198.51.100.10 0 false 2>&1); rc=$?
echo "# daemon Ban without polkitd: rc=$rc $out"
tb_check "polkit unreachable: the group member is refused" sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'denied'"
tb_check "... nothing banned" pc_not_banned testsvc 4 198.51.100.10
tb_check "polkit unreachable: root is still allowed (polkit not asked for uid 0)" tb_quiet pc_mgr Ban sstb testsvc 198.51.100.11 0 false
tb_check "... banned" pc_banned testsvc 4 198.51.100.11
tb_check "daemon still running" kill -0 "$PC_DAEMON_PID"
pc_daemon_stop; rc=$?
tb_check "SIGTERM: clean exit (status $rc), no sanitizer report in the daemon's log" \
        sh -c "[ $rc -eq 0 ] && ! grep -q 'Sanitizer' '$PC_DAEMON_LOG'"
tb_summary
