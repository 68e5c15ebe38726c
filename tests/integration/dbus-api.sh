#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The D-Bus API against a running daemon with real journald, nftables, dbus-daemon (the project's
# policy) and polkitd, as root: every method and property through busctl and through portcullisctl; a
# ban over the bus is an element in the kernel set and an unban removes it; signals arrive; the
# counters' PropertiesChanged is coalesced during a flood; reload errors come back with FILE:LINE.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require
pc_bus_require
tb_enter_ns --net -- "$@"

pc_bus_daemon
busctl monitor --json=short "$PC_BUS" >"$TB_TMP/busmon.json" 2>"$TB_TMP/busmon.err" &
pc_ctl monitor --json >"$TB_TMP/ctlmon.json" 2>"$TB_TMP/ctlmon.err" &
CTLMON=$!
sleep 0.5
J=$PC_PATH/jail/testsvc
W=$PC_PATH/jail/web

# --- Manager properties -------------------------------------------------------------------------------
version=$("$PC_BUILD/portcullisd" --version | awk '{print $2}')
tb_check "Version is the daemon's version ($version)" [ "$(pc_mgr_prop Version)" = "s \"$version\"" ]
tb_check "State is running" [ "$(pc_mgr_prop State)" = 's "running"' ]
tb_check "Jails lists both jail objects" [ "$(pc_mgr_prop Jails)" = "ao 2 \"$J\" \"$W\"" ]
started=$(pc_mgr_prop StartedAt | awk '{print $2}')
tb_check "StartedAt is within the last minute ($started)" \
        [ $(( $(date +%s) - started / 1000000 )) -ge 0 -a $(( $(date +%s) - started / 1000000 )) -lt 60 ]
for p in CurrentlyBanned TotalBanned FailuresSeen; do
        tb_check "$p is 0 at start" [ "$(pc_mgr_prop $p)" = "t 0" ]
done
tb_check "JournalCursor is a string" sh -c "busctl get-property $PC_BUS $PC_PATH $PC_MGR JournalCursor | grep -q '^s '"
tb_check "ListJails returns name and path of both" [ "$(pc_mgr ListJails)" = "a(so) 2 \"testsvc\" \"$J\" \"web\" \"$W\"" ]

# --- Jail properties -----------------------------------------------------------------------------------
tb_check "Jail Name" [ "$(pc_jail_prop testsvc Name)" = 's "testsvc"' ]
tb_check "Jail Enabled" [ "$(pc_jail_prop testsvc Enabled)" = 'b true' ]
tb_check "Jail Filter" [ "$(pc_jail_prop web Filter)" = 's "testsvc"' ]
tb_check "Jail JournalMatch" [ "$(pc_jail_prop testsvc JournalMatch)" = 's "_SYSTEMD_UNIT=testsvc.service"' ]
tb_check "Jail MaxRetry" [ "$(pc_jail_prop web MaxRetry)" = 'u 5' ]
tb_check "Jail FindTimeUSec" [ "$(pc_jail_prop testsvc FindTimeUSec)" = 't 600000000' ]
tb_check "Jail BanTimeUSec" [ "$(pc_jail_prop web BanTimeUSec)" = 't 3600000000' ]
tb_check "Jail Ports" [ "$(pc_jail_prop testsvc Ports)" = 'as 2 "22" "2222"' ]
tb_check "Jail Protocol" [ "$(pc_jail_prop testsvc Protocol)" = 's "tcp"' ]
tb_check "Jail BlockType" sh -c "busctl get-property $PC_BUS $J $PC_JAIL BlockType | grep -Eq '^s \"(drop|reject)\"'"
for p in CurrentlyFailed TotalFailed CurrentlyBanned TotalBanned; do
        tb_check "Jail $p is 0 at start" [ "$(pc_jail_prop testsvc $p)" = "t 0" ]
done

# --- Ban / GetBan / ListBans / Unban through busctl ----------------------------------------------------
out=$(pc_mgr Ban sstb testsvc 198.51.100.1 0 false)
echo "# Ban -> $out"
tb_check "Manager.Ban returns the ban, new = true" sh -c "echo '$out' | grep -q '^(ssttuu)b \"testsvc\" \"198.51.100.1\" [0-9]* [0-9]* 0 1 true$'"
tb_check "... the element is in the kernel set with the jail's bantime (600 s)" \
        sh -c "pc_elements() { :; }; nft -j list set inet portcullis testsvc_v4 | grep -q '\"val\": \"198.51.100.1\", \"timeout\": 600'"
out=$(pc_mgr Ban sstb testsvc 198.51.100.1 60000000 false)
tb_check "banning again: new = false" sh -c "echo '$out' | grep -q 'true$' && exit 1; echo '$out' | grep -q 'false$'"
tb_check "... and the kernel element has the new timeout (60 s)" \
        sh -c "nft -j list set inet portcullis testsvc_v4 | grep -q '\"val\": \"198.51.100.1\", \"timeout\": 60,'"
out=$(busctl call "$PC_BUS" "$W" "$PC_JAIL" Ban stb 2001:db8::1 0 false)
tb_check "Jail.Ban on the web object bans in web (IPv6)" pc_banned web 6 2001:db8::1
tb_check "... with web's bantime (3600 s)" sh -c "echo '$out' | grep -q '\"web\" \"2001:db8::1\"'"
tb_check "GetBan finds the ban" sh -c "busctl call $PC_BUS $PC_PATH $PC_MGR GetBan s 198.51.100.1 | grep -q '^a(ssttuu) 1 \"testsvc\" \"198.51.100.1\"'"
tb_check "GetBan of an address not banned: empty" [ "$(pc_mgr GetBan s 198.51.100.99)" = "a(ssttuu) 0" ]
tb_check "ListBans of all jails: 2 bans, total 2" sh -c "busctl call $PC_BUS $PC_PATH $PC_MGR ListBans stt '' 0 0 | grep -Eq '^a\(ssttuu\)t 2 .* 2$'"
tb_check "ListBans of web: 1 ban" sh -c "busctl call $PC_BUS $PC_PATH $PC_MGR ListBans stt web 0 0 | grep -Eq '^a\(ssttuu\)t 1 \"web\" \"2001:db8::1\" .* 1$'"
tb_check "ListBans paging: offset 1, limit 1 -> the second ban, total 2" sh -c "busctl call $PC_BUS $PC_PATH $PC_MGR ListBans stt '' 1 1 | grep -Eq '^a\(ssttuu\)t 1 \"web\" .* 2$'"
busctl call $PC_BUS $PC_PATH $PC_MGR ListBans stt '' 0 0 | sed 's/^/# ListBans: /'
sleep 0.4   # counters are announced coalesced
tb_check "CurrentlyBanned (manager) is 2" [ "$(pc_mgr_prop CurrentlyBanned)" = "t 2" ]
tb_check "CurrentlyBanned (web) is 1" [ "$(pc_jail_prop web CurrentlyBanned)" = "t 1" ]
# the second Ban of 198.51.100.1 changed its end: not a new ban
tb_check "TotalBanned (manager) is 2 (got $(pc_mgr_prop TotalBanned))" [ "$(pc_mgr_prop TotalBanned)" = "t 2" ]
tb_check "Manager.Unban in every jail: 1 lifted" [ "$(pc_mgr Unban ssb '' 198.51.100.1 false)" = "u 1" ]
tb_check "... and the element is gone from the kernel" pc_not_banned testsvc 4 198.51.100.1
tb_check "Jail.Unban lifts web's ban" [ "$(busctl call $PC_BUS $W $PC_JAIL Unban sb 2001:db8::1 false)" = "u 1" ]
tb_check "... gone from the kernel" pc_not_banned web 6 2001:db8::1
for a in 198.51.100.2 198.51.100.3; do pc_mgr Ban sstb testsvc $a 0 false >/dev/null; done
pc_mgr Ban sstb web 198.51.100.4 0 false >/dev/null
tb_check "UnbanAll of testsvc: 2" [ "$(pc_mgr UnbanAll sb testsvc false)" = "u 2" ]
tb_check "... web's ban stays" pc_banned web 4 198.51.100.4
tb_check "UnbanAll of all jails: 1" [ "$(pc_mgr UnbanAll sb '' false)" = "u 1" ]
tb_check "... every set is empty" [ -z "$(pc_elements testsvc 4; pc_elements web 4; pc_elements web 6)" ]

# --- Stop / Start / BanTimeUSec ------------------------------------------------------------------------
busctl call "$PC_BUS" "$J" "$PC_JAIL" Stop b false
tb_check "Stop: Enabled is false" [ "$(pc_jail_prop testsvc Enabled)" = 'b false' ]
for i in 1 2 3; do pc_write testsvc "AUTH FAILURE user=x from 198.51.100.10"; done
pc_write_wait testsvc 3
sleep 1.2
tb_check "a stopped jail bans nothing" pc_not_banned testsvc 4 198.51.100.10
busctl call "$PC_BUS" "$J" "$PC_JAIL" Start b false
tb_check "Start: Enabled is true" [ "$(pc_jail_prop testsvc Enabled)" = 'b true' ]
busctl set-property "$PC_BUS" "$J" "$PC_JAIL" BanTimeUSec t 120000000
tb_check "BanTimeUSec set to 120 s" [ "$(pc_jail_prop testsvc BanTimeUSec)" = 't 120000000' ]
for i in 1 2 3; do pc_write testsvc "AUTH FAILURE user=x from 198.51.100.11"; done
tb_check "after Start, failures ban again" tb_wait_for 3 pc_banned testsvc 4 198.51.100.11
tb_check "... with the new bantime (120 s)" sh -c "nft -j list set inet portcullis testsvc_v4 | grep -q '\"val\": \"198.51.100.11\", \"timeout\": 120,'"

# --- Counters: PropertiesChanged, coalesced --------------------------------------------------------------
n0=$(grep -c "\"path\":\"$J\".*PropertiesChanged" "$TB_TMP/busmon.json")
t0=$(date +%s%N)
for i in $(seq 1 300); do pc_write testsvc "AUTH FAILURE user=f from 203.0.113.$((i % 250 + 1))"; done
pc_write_wait testsvc 306
# 3 failures while stopped were not counted: 3 + 300
tb_check "TotalFailed reaches 303" tb_wait_for 5 sh -c "[ \"\$(busctl get-property $PC_BUS $J $PC_JAIL TotalFailed)\" = 't 303' ]"
sleep 0.5
secs=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN{printf "%d", (b-a)/1e9 + 1}')
n1=$(grep -c "\"path\":\"$J\".*PropertiesChanged" "$TB_TMP/busmon.json")
echo "# PropertiesChanged of the testsvc object during a flood of 300 entries in ${secs}s: $((n1 - n0))"
tb_check "counters were announced (PropertiesChanged seen)" [ $((n1 - n0)) -ge 1 ]
tb_check "coalesced: at most 4 per second ($((n1 - n0)) in ${secs}s)" [ $((n1 - n0)) -le $((secs * 4 + 1)) ]
tb_check "PropertiesChanged carries TotalFailed" grep -q "\"path\":\"$J\".*TotalFailed" "$TB_TMP/busmon.json"

# --- Reload / CheckConfig ------------------------------------------------------------------------------
tb_check "CheckConfig: no error" sh -c "busctl call $PC_BUS $PC_PATH $PC_MGR CheckConfig | grep -q '^as '"
tb_check "Reload succeeds" pc_mgr Reload b false
cp "$PC_CONF/jails/test.conf" "$TB_TMP/test.conf.good"
printf '[broken]\nenabled = true\nfilter = nosuchfilter\n' >"$PC_CONF/jails/broken.conf"
out=$(pc_mgr CheckConfig 2>&1)
echo "# CheckConfig with a broken jail: $out"
tb_check "CheckConfig: ConfigError names FILE:LINE" sh -c "echo '$out' | grep -q 'broken.conf:[0-9]'"
out=$(busctl call --verbose $PC_BUS $PC_PATH $PC_MGR Reload b false 2>&1)
tb_check "Reload with a broken jail fails with the error text" sh -c "echo '$out' | grep -q 'broken.conf:[0-9]'"
tb_check "... and the running configuration is kept" [ "$(pc_mgr_prop State)" = 's "running"' ]
out=$(busctl --json=short call $PC_BUS $PC_PATH $PC_MGR Reload b false 2>&1; pc_ctl reload 2>&1; echo "rc=$?")
tb_check "portcullisctl reload: exit 1 and the error lines" sh -c "echo '$out' | grep -q 'broken.conf:[0-9]' && echo '$out' | grep -q 'rc=1'"
rm "$PC_CONF/jails/broken.conf"

pc_mgr UnbanAll sb '' false >/dev/null

# --- portcullisctl -------------------------------------------------------------------------------------
tb_check "ctl status: exit 0, running, both jails in the table" sh -c "pc_ctl() { \"$PC_BUILD/portcullisctl\" --no-pager \"\$@\"; }; out=\$(pc_ctl status) && echo \"\$out\" | grep -q 'running' && echo \"\$out\" | grep -q '^web '"
pc_ctl status | sed 's/^/# /'
tb_check "ctl status testsvc: the jail's rules" sh -c "'$PC_BUILD/portcullisctl' status testsvc | grep -q '3 failures within 10min'"
"$PC_BUILD/portcullisctl" status nosuchjail 2>/dev/null; rc=$?
tb_check "ctl status of an unknown jail: exit 4 (got $rc)" [ $rc -eq 4 ]
st=$(pc_ctl status --json)
tb_check "ctl status --json: status and jails shapes" [ "$(echo "$st" | pc_json 'd["status"]["state"], d["status"]["jails"], len(d["jails"]), sorted(d["jails"][0].keys()) == sorted(["name","running","filter","journalMatch","maxRetry","findTimeUSec","banTimeUSec","ports","protocol","blockType","currentlyFailed","totalFailed","currentlyBanned","totalBanned"])')" = "running 2 2 True" ]
tb_check "ctl list-jails --json: 2 jails, ports as strings" [ "$(pc_ctl list-jails --json | pc_json 'len(d["jails"]), d["jails"][0]["ports"]')" = "2 ['22', '2222']" ]
tb_check "ctl list-jails: table with a header" sh -c "'$PC_BUILD/portcullisctl' list-jails | head -n1 | grep -q '^JAIL  *STATE'"
tb_check "ctl list-jails --no-legend: no header, no footer" [ "$(pc_ctl list-jails --no-legend | wc -l)" = 2 ]
out=$(pc_ctl ban testsvc 198.51.100.50 --time=1h)
echo "# $out"
tb_check "ctl ban --time=1h: kernel element with timeout 3600" sh -c "nft -j list set inet portcullis testsvc_v4 | grep -q '\"val\": \"198.51.100.50\", \"timeout\": 3600,'"
tb_check "ctl ban --json: Ban shape, endUSec - startUSec = 1h" [ "$(pc_ctl ban testsvc 198.51.100.51 --time=1h --json | pc_json 'd["new"], d["ban"]["endUSec"] - d["ban"]["startUSec"], d["ban"]["jail"]')" = "True 3600000000 testsvc" ]
tb_check "ctl ban --time=permanent: endUSec -1" [ "$(pc_ctl ban web 198.51.100.52 --time=permanent --json | pc_json 'd["ban"]["endUSec"]')" = "-1" ]
tb_check "... kernel element without timeout" sh -c "nft -j list set inet portcullis web_v4 | python3 -c 'import json,sys; d=json.load(sys.stdin); e=[x for o in d[\"nftables\"] if \"set\" in o for x in o[\"set\"].get(\"elem\",[])]; sys.exit(0 if \"198.51.100.52\" in e else 1)'"
tb_check "ctl list-bans --json: 3 bans, total 3" [ "$(pc_ctl list-bans --json | pc_json 'len(d["bans"]), d["total"]')" = "3 3" ]
tb_check "ctl list-bans web: one row plus header and footer" sh -c "'$PC_BUILD/portcullisctl' --no-pager list-bans web | grep -c 198.51.100.52 | grep -qx 1"
tb_check "ctl list-bans --no-legend testsvc: two lines" [ "$(pc_ctl list-bans --no-legend testsvc | wc -l)" = 2 ]
tb_check "ctl show: State=running" sh -c "'$PC_BUILD/portcullisctl' show | grep -qx 'State=running'"
tb_check "ctl show testsvc: BanTimeUSec=600000000 (the reload reset it)" sh -c "'$PC_BUILD/portcullisctl' show testsvc | grep -qx 'BanTimeUSec=600000000'"
tb_check "ctl show --json testsvc: the Jail shape" [ "$(pc_ctl show --json testsvc | pc_json 'd["name"], d["maxRetry"]')" = "testsvc 3" ]
tb_check "ctl unban: lifts it" sh -c "'$PC_BUILD/portcullisctl' unban 198.51.100.50 | grep -q 'Lifted 1 ban'"
tb_check "... gone from the kernel" pc_not_banned testsvc 4 198.51.100.50
pc_ctl unban 198.51.100.50 2>/dev/null; rc=$?
tb_check "ctl unban of an address not banned: exit 4 (got $rc)" [ $rc -eq 4 ]
pc_ctl unban --jail=web 198.51.100.51 2>/dev/null; rc=$?
tb_check "ctl unban --jail=web of testsvc's ban: exit 4 (got $rc)" [ $rc -eq 4 ]
tb_check "ctl unban --all web: 1" [ "$(pc_ctl unban --all web --json | pc_json 'd["count"]')" = 1 ]
tb_check "ctl unban --all: the rest (1)" [ "$(pc_ctl unban --all --json | pc_json 'd["count"]')" = 1 ]
tb_check "ctl stop testsvc" pc_ctl stop testsvc
tb_check "... Enabled false" [ "$(pc_jail_prop testsvc Enabled)" = 'b false' ]
tb_check "ctl start testsvc" pc_ctl start testsvc
tb_check "... Enabled true" [ "$(pc_jail_prop testsvc Enabled)" = 'b true' ]
tb_check "ctl set-bantime testsvc 5m" pc_ctl set-bantime testsvc 5m
tb_check "... BanTimeUSec 300 s" [ "$(pc_jail_prop testsvc BanTimeUSec)" = 't 300000000' ]
pc_ctl stop nosuchjail 2>/dev/null; rc=$?
tb_check "ctl stop of an unknown jail: exit 4 (got $rc)" [ $rc -eq 4 ]
pc_ctl ban nosuchjail 198.51.100.60 2>/dev/null; rc=$?
tb_check "ctl ban in an unknown jail: exit 4 (got $rc)" [ $rc -eq 4 ]
pc_ctl ban testsvc 198.51.100.60 --time=-5m 2>/dev/null; rc=$?
tb_check "ctl ban --time=-5m: usage error, exit 2 (got $rc)" [ $rc -eq 2 ]
pc_ctl frobnicate 2>/dev/null; rc=$?
tb_check "unknown verb: exit 2 (got $rc)" [ $rc -eq 2 ]
tb_check "ctl reload: exit 0 once the configuration is good again" pc_ctl reload
tb_check "ctl reload --json: {}" [ "$(pc_ctl reload --json)" = "{}" ]

# --- signals -------------------------------------------------------------------------------------------
sleep 0.5
kill "$CTLMON"; wait "$CTLMON" 2>/dev/null
sed 's/^/# monitor: /' "$TB_TMP/ctlmon.json" "$TB_TMP/ctlmon.err" | head -n 30
tb_check "monitor: Banned of the first D-Bus ban" grep -q '"event": *"banned".*"address": *"198.51.100.1"' "$TB_TMP/ctlmon.json"
tb_check "monitor: Banned of a ban by failures, with failures = 3" grep -q '"address": *"198.51.100.11".*"failures": *3' "$TB_TMP/ctlmon.json"
tb_check "monitor: Unbanned with reason manual" grep -q '"event": *"unbanned".*198.51.100.1".*"reason": *"manual"' "$TB_TMP/ctlmon.json"
tb_check "monitor: Reloaded" grep -q '"event": *"reloaded"' "$TB_TMP/ctlmon.json"
tb_check "busctl monitor saw the Banned signal" grep -q '"member":"Banned"' "$TB_TMP/busmon.json"
tb_check "Enabled change announced (PropertiesChanged)" grep -q "\"path\":\"$J\".*PropertiesChanged.*Enabled" "$TB_TMP/busmon.json"
tb_check "daemon still running" kill -0 "$PC_DAEMON_PID"
pc_daemon_stop; rc=$?
tb_check "SIGTERM: clean exit (status $rc), no sanitizer report in the daemon's log" \
        sh -c "[ $rc -eq 0 ] && ! grep -q 'Sanitizer' '$PC_DAEMON_LOG'"
tb_summary
