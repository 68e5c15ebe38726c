#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The control socket (varlink, org.portcullis.Portcullis1) with a real client (tests/lib/varlink.py):
# every method, the standard org.varlink.service methods and errors, the interface description parsed as
# varlink IDL, the streamed Monitor (a ban made through the socket arrives as an event), a ban through
# the socket in the real nft set, root-only mutations (nobody may read but not change), and the C client
# transport (ctl-varlink.c) through tests' ctl-varlink-call.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require setpriv
tb_enter_ns --net -- "$@"

pc_sandbox
VL="python3 $TB_DIR/varlink.py"
SOCK=$TB_TMP/runtime/io.portcullis.Portcullis1
I=org.portcullis.Portcullis1
pc_filter svc 'AUTH FAILURE from <HOST>'
cat >"$PC_CONF/jails/test.conf" <<'CONF'
[svc]
enabled = true
maxretry = 3
port = 22,8000-8080
bantime = 1h

[other]
enabled = true
filter = svc
CONF
pc_daemon_start || tb_die "daemon did not start"

call() { $VL "$SOCK" call "$@"; }                 # call METHOD [JSON]: prints the reply
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
expect_error() { # expect_error NAME METHOD [JSON]
        local name=$1 out; shift
        out=$(call "$@"); echo "# $1 -> $out"
        [ "$(echo "$out" | field 'd.get("error")')" = "$name" ]
}

# --- socket file ------------------------------------------------------------------------------------
tb_check "socket bound in the runtime dir with mode 0660" [ "$(stat -c %a "$SOCK")" = 660 ]

# --- org.varlink.service -----------------------------------------------------------------------------
out=$(call org.varlink.service.GetInfo); echo "# GetInfo: $out"
tb_check "GetInfo lists our interface" sh -c "echo '$out' | grep -q '\"$I\"'"
description() { call org.varlink.service.GetInterfaceDescription "{\"interface\":\"$1\"}" | python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["description"])'; }
description $I >"$TB_TMP/idl"
tb_check "the description is the one in docs/" cmp "$TB_TMP/idl" "$PC_SRC/docs/$I.varlink"
out=$($VL idl-check "$TB_TMP/idl"); echo "# idl-check: $out"
tb_check "GetInterfaceDescription parses as varlink IDL with every method" sh -c "echo '$out' | grep -q '^$I .*GetStatus' &&
        for m in GetStatus ListJails ListBans GetBan Ban Unban UnbanAll StartJail StopJail SetBanTime Reload CheckConfig Monitor; do echo '$out' | grep -qw \$m || exit 1; done"
printf 'interface org.x\nmethod Foo() -> (a: Undefined)\n' >"$TB_TMP/bad.idl"
tb_check "the IDL check itself rejects an undefined type" sh -c "! $VL idl-check $TB_TMP/bad.idl >/dev/null"
description org.varlink.service >"$TB_TMP/idl2"
tb_check "org.varlink.service's own description parses too" $VL idl-check "$TB_TMP/idl2"
tb_check "unknown interface: InterfaceNotFound" expect_error org.varlink.service.InterfaceNotFound org.example.Nope.Foo
tb_check "unknown method: MethodNotFound" expect_error org.varlink.service.MethodNotFound $I.Nope
tb_check "unknown parameter: InvalidParameter" expect_error org.varlink.service.InvalidParameter $I.GetStatus '{"bogus":1}'
tb_check "wrong type: InvalidParameter" expect_error org.varlink.service.InvalidParameter $I.ListBans '{"offset":"x"}'
tb_check "Monitor without more: ExpectedMore" expect_error org.varlink.service.ExpectedMore $I.Monitor

# --- reading ----------------------------------------------------------------------------------------
out=$(call $I.GetStatus); echo "# GetStatus: $out"
tb_check "GetStatus: running, 2 jails, version" sh -c "echo '$out' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"state\"]==\"running\" and d[\"jails\"]==2 and d[\"version\"] and d[\"startedAtUSec\"]>0'"
out=$(call $I.ListJails); echo "# ListJails: $out"
tb_check "ListJails: both jails, ports and bantime" sh -c "echo '$out' | python3 -c '
import json,sys; d=json.load(sys.stdin)[\"jails\"]; j={x[\"name\"]: x for x in d}
assert sorted(j)==[\"other\",\"svc\"], j
assert j[\"svc\"][\"ports\"]==[\"22\",\"8000-8080\"] and j[\"svc\"][\"banTimeUSec\"]==3600000000 and j[\"svc\"][\"running\"], j[\"svc\"]
assert j[\"svc\"][\"maxRetry\"]==3 and j[\"svc\"][\"journalMatch\"]==\"_SYSTEMD_UNIT=svc.service\", j[\"svc\"]'"

# --- Monitor, then a ban through the socket -----------------------------------------------------------
$VL "$SOCK" monitor 1000 >"$TB_TMP/monitor.out" 2>&1 &
MON=$!
tb_check "Monitor: first reply (subscribed, continues)" tb_wait_for 5 grep -q '"continues": true' "$TB_TMP/monitor.out"
out=$(call $I.Ban '{"jail":"svc","address":"192.0.2.7"}'); echo "# Ban: $out"
tb_check "Ban: new, jail's bantime" sh -c "echo '$out' | python3 -c 'import json,sys; d=json.load(sys.stdin); b=d[\"ban\"]; assert d[\"new\"] and b[\"address\"]==\"192.0.2.7\" and b[\"endUSec\"]-b[\"startUSec\"]==3600000000, d'"
tb_check "the address is in the real nft set" pc_banned svc 4 192.0.2.7
tb_check "the Monitor got the ban as an event" tb_wait_for 3 sh -c "grep '\"banned\"' '$TB_TMP/monitor.out' | grep -q 192.0.2.7"
out=$(call $I.Ban '{"jail":"svc","address":"2001:db8::7","durationUSec":-1}'); echo "# Ban v6: $out"
tb_check "Ban permanent IPv6: endUSec -1, in the v6 set" sh -c "echo '$out' | grep -q '\"endUSec\": -1' && nft list set inet portcullis svc_v6 | grep -q 2001:db8::7"
out=$(call $I.Ban '{"jail":"svc","address":"192.0.2.7","durationUSec":60000000}')
tb_check "Ban again: not new, new end" sh -c "echo '$out' | python3 -c 'import json,sys; d=json.load(sys.stdin); b=d[\"ban\"]; assert not d[\"new\"] and b[\"endUSec\"]-b[\"startUSec\"]==60000000, d'"
call $I.Ban '{"jail":"other","address":"192.0.2.7"}' >/dev/null
out=$(call $I.ListBans '{"jail":"svc"}'); echo "# ListBans svc: $out"
tb_check "ListBans jail: 2 bans, v4 first" sh -c "echo '$out' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"total\"]==2 and [b[\"address\"] for b in d[\"bans\"]]==[\"192.0.2.7\",\"2001:db8::7\"], d'"
out=$(call $I.ListBans '{"offset":1,"limit":1}')
tb_check "ListBans paged: total 3, one ban at offset 1" sh -c "echo '$out' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"total\"]==3 and len(d[\"bans\"])==1 and d[\"bans\"][0][\"jail\"]==\"svc\", d'"
out=$(call $I.GetBan '{"address":"192.0.2.7"}')
tb_check "GetBan: banned in both jails" sh -c "echo '$out' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert sorted(b[\"jail\"] for b in d[\"bans\"])==[\"other\",\"svc\"], d'"
tb_check "Ban in an unknown jail: NoSuchJail" expect_error $I.NoSuchJail $I.Ban '{"jail":"nope","address":"192.0.2.8"}'
tb_check "Ban of garbage: InvalidAddress" expect_error $I.InvalidAddress $I.Ban '{"jail":"svc","address":"300.1.1.1"}'
tb_check "Ban of loopback: AddressNotAllowed" expect_error $I.AddressNotAllowed $I.Ban '{"jail":"svc","address":"127.0.0.1"}'
tb_check "Ban with a bad duration: InvalidDuration" expect_error $I.InvalidDuration $I.Ban '{"jail":"svc","address":"192.0.2.8","durationUSec":-5}'
tb_check "Ban without address: InvalidParameter" expect_error org.varlink.service.InvalidParameter $I.Ban '{"jail":"svc"}'

# --- nobody: reads yes, changes no ---------------------------------------------------------------------
asnobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
cp "$TB_DIR/varlink.py" "$TB_TMP/varlink.py"; chmod 0644 "$TB_TMP/varlink.py"   # readable for nobody
chmod 0666 "$SOCK"   # the test lets nobody connect (normally the socket's group decides who may)
out=$(asnobody /usr/bin/python3 "$TB_TMP/varlink.py" "$SOCK" call $I.GetStatus); echo "# nobody GetStatus: $out"
tb_check "nobody can read the status" sh -c "echo '$out' | grep -q '\"state\": \"running\"'"
for m in 'Ban {"jail":"svc","address":"192.0.2.9"}' 'Unban {"address":"192.0.2.7"}' 'UnbanAll {}' \
         'StopJail {"jail":"svc"}' 'StartJail {"jail":"svc"}' 'SetBanTime {"jail":"svc","banTimeUSec":1}' 'Reload {}'; do
        out=$(asnobody /usr/bin/python3 "$TB_TMP/varlink.py" "$SOCK" call $I.${m%% *} "${m#* }")
        tb_check "nobody: ${m%% *} denied" sh -c "echo '$out' | grep -q '$I.PermissionDenied'"
done
tb_check "nobody's Ban did nothing" pc_not_banned svc 4 192.0.2.9
tb_check "nobody's Unban did nothing" pc_banned svc 4 192.0.2.7
chmod 0660 "$SOCK"

# --- jail changes, config ---------------------------------------------------------------------------
call $I.StopJail '{"jail":"svc"}' >/dev/null
tb_check "StopJail: running false" sh -c "$VL '$SOCK' call $I.ListJails | grep -q '\"name\": \"svc\", \"ports\".*' && $VL '$SOCK' call $I.ListJails | python3 -c 'import json,sys; assert not [j for j in json.load(sys.stdin)[\"jails\"] if j[\"name\"]==\"svc\"][0][\"running\"]'"
call $I.StartJail '{"jail":"svc"}' >/dev/null
call $I.SetBanTime '{"jail":"svc","banTimeUSec":120000000}' >/dev/null
tb_check "StartJail + SetBanTime" sh -c "$VL '$SOCK' call $I.ListJails | python3 -c 'import json,sys; j=[j for j in json.load(sys.stdin)[\"jails\"] if j[\"name\"]==\"svc\"][0]; assert j[\"running\"] and j[\"banTimeUSec\"]==120000000, j'"
tb_check "SetBanTime 0: InvalidDuration" expect_error $I.InvalidDuration $I.SetBanTime '{"jail":"svc","banTimeUSec":0}'
out=$(call $I.CheckConfig); echo "# CheckConfig: $out"
tb_check "CheckConfig: warnings list" sh -c "echo '$out' | grep -q '\"warnings\"'"
tb_check "Reload: ok" call $I.Reload
tb_check "the Monitor saw the reload" tb_wait_for 3 grep -q '"reloaded"' "$TB_TMP/monitor.out"
printf '[svc]\nenabled = true\nmaxretry = banana\n' >"$PC_CONF/jails/test.conf"
out=$(call $I.CheckConfig); echo "# CheckConfig broken: $out"
tb_check "CheckConfig broken: ConfigError with FILE:LINE" sh -c "echo '$out' | grep -q 'ConfigError' && echo '$out' | grep -q 'test.conf:3:'"
out=$(call $I.Reload); echo "# Reload broken: $out"
tb_check "Reload broken: ConfigError with FILE:LINE" sh -c "echo '$out' | grep -q 'ConfigError' && echo '$out' | grep -q 'test.conf:3:'"
tb_check "…and the old configuration runs on" sh -c "$VL '$SOCK' call $I.GetStatus | grep -q '\"jails\": 2'"

# --- unban -----------------------------------------------------------------------------------------
out=$(call $I.Unban '{"address":"192.0.2.7","jail":"svc"}')
tb_check "Unban in one jail: count 1, gone from the set" sh -c "echo '$out' | grep -q '\"count\": 1' && ! nft list set inet portcullis svc_v4 | grep -q 192.0.2.7"
tb_check "the Monitor got the unban with its reason" tb_wait_for 3 sh -c "grep '\"unbanned\"' '$TB_TMP/monitor.out' | grep -q manual"
tb_check "Unban again: NotBanned" expect_error $I.NotBanned $I.Unban '{"address":"192.0.2.7","jail":"svc"}'
out=$(call $I.UnbanAll '{}')
tb_check "UnbanAll: the 2 left" sh -c "echo '$out' | grep -q '\"count\": 2'"
out=$(call $I.ListBans)
tb_check "ListBans: none left" sh -c "echo '$out' | grep -q '\"total\": 0'"
kill "$MON" 2>/dev/null; wait "$MON" 2>/dev/null

# --- the C client transport ----------------------------------------------------------------------------
if [ -x "$PC_BUILD/tests/integration/ctl-varlink-call" ]; then
        CALL=$PC_BUILD/tests/integration/ctl-varlink-call
        out=$("$CALL" "$SOCK" GetStatus '{}'); echo "# ctl GetStatus: $out"
        tb_check "ctl-varlink: GetStatus" sh -c "echo '$out' | grep -q '\"state\": \"running\"'"
        out=$("$CALL" "$SOCK" Ban '{"jail":"svc","address":"198.51.100.5"}'); echo "# ctl Ban: $out"
        tb_check "ctl-varlink: Ban, in the set" sh -c "echo '$out' | grep -q '198.51.100.5' && nft list set inet portcullis svc_v4 | grep -q 198.51.100.5"
        out=$("$CALL" "$SOCK" Ban '{"jail":"nope","address":"198.51.100.5"}'); rc=$?; echo "# ctl Ban nope: $out"
        tb_check "ctl-varlink: an error comes back as CtlError NoSuchJail" sh -c "[ $rc = 1 ] && echo '$out' | grep -q '^error NoSuchJail'"
        "$CALL" "$SOCK" --monitor 1 >"$TB_TMP/ctlmon.out" 2>&1 &
        CM=$!
        sleep 0.3
        call $I.Unban '{"address":"198.51.100.5"}' >/dev/null
        wait "$CM"
        tb_check "ctl-varlink: monitor got the unban" grep -q '"unbanned"' "$TB_TMP/ctlmon.out"
        out=$("$CALL" "$TB_TMP/nonexistent.sock" GetStatus '{}' 2>&1); rc=$?
        tb_check "ctl-varlink: no daemon is a transport error" [ "$rc" = 2 ]
else
        tb_ko "tests/ctl-varlink-call not built"
fi

# --- portcullisctl over the control socket (--control-socket; no system bus runs in this test, so the
# default transport falls back to the socket as well) ------------------------------------------------------
CTL=(pc_ctl --control-socket="$SOCK")
tb_check "portcullisctl --varlink status" sh -c "$PC_BUILD/portcullisctl --control-socket='$SOCK' status | grep -q svc"
tb_check "portcullisctl ban via the socket: in the set" sh -c "$PC_BUILD/portcullisctl --control-socket='$SOCK' ban svc 203.0.113.77 --time=10m && nft list set inet portcullis svc_v4 | grep -q 203.0.113.77"
out=$("${CTL[@]}" list-bans svc --json); echo "# list-bans --json: $out"
tb_check "portcullisctl list-bans --json shows it" sh -c "echo '$out' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert any(b[\"address\"] == \"203.0.113.77\" for b in d[\"bans\"])'"
"${CTL[@]}" ban nope 203.0.113.78 >/dev/null 2>&1; rc=$?
tb_check "portcullisctl ban in an unknown jail: exit 4" [ "$rc" = 4 ]
setpriv --reuid=nobody --regid=nogroup --clear-groups "$PC_BUILD/portcullisctl" --control-socket="$SOCK" unban 203.0.113.77 >/dev/null 2>&1; rc=$?
tb_check "portcullisctl unban as nobody: refused (exit 1), still banned" sh -c "[ $rc = 1 ] && nft list set inet portcullis svc_v4 | grep -q 203.0.113.77"
tb_check "portcullisctl unban via the socket: gone from the set" sh -c "$PC_BUILD/portcullisctl --control-socket='$SOCK' unban 203.0.113.77 && ! nft list set inet portcullis svc_v4 | grep -q 203.0.113.77"

tb_check "daemon still running" kill -0 "$PC_DAEMON_PID"
pc_daemon_stop
tb_check "clean exit (no sanitizer report)" [ $? -eq 0 ]
tb_check "socket removed at exit" [ ! -e "$SOCK" ]
tb_summary
