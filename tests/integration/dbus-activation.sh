#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bus activation: with the daemon stopped, a call to org.portcullis.Portcullis1 starts it (here through
# the private bus's service directory and an Exec= line; installed, the shipped service file hands
# over to portcullisd.service with SystemdService=). Also: the introspection XML in docs/ matches what
# the running daemon exports (members, types, access; doc annotations ignored; every member documented).
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require
pc_bus_require
tb_enter_ns --net -- "$@"

pc_sandbox
pc_bus_start
pc_filter testsvc 'AUTH FAILURE from <HOST>'
printf '[testsvc]\nenabled = true\nmaxretry = 3\nport = 22\n' >"$PC_CONF/jails/test.conf"
PC_DAEMON_LOG=$TB_TMP/portcullisd.log

svc=$PC_SRC/units/org.portcullis.Portcullis1.service.in
tb_check "shipped service file: Name=$PC_BUS" grep -qx "Name=$PC_BUS" "$svc"
tb_check "shipped service file: SystemdService=portcullisd.service" grep -qx "SystemdService=portcullisd.service" "$svc"
tb_check "the unit names the bus name (BusName=)" grep -qx "BusName=$PC_BUS" "$PC_SRC/units/portcullisd.service.in"

cat >"$TB_TMP/activate.sh" <<SH
#!/bin/sh
echo "activated \$\$" >>"$TB_TMP/activations"
exec "$PC_BUILD/portcullisd" --config-dir="$PC_CONF" --vendor-dir=/nonexistent --state-dir="$TB_TMP/state" \
        --runtime-dir="$TB_TMP/runtime" --log-target=console --log-level=debug >>"$PC_DAEMON_LOG" 2>&1
SH
chmod +x "$TB_TMP/activate.sh"
printf '[D-BUS Service]\nName=%s\nExec=%s\nUser=root\n' "$PC_BUS" "$TB_TMP/activate.sh" >"$TB_TMP/dbus/services/$PC_BUS.service"
busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig

tb_check "no daemon is running" sh -c "! pgrep -x portcullisd"
tb_check "the name is activatable" sh -c "busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ListActivatableNames | grep -q '\"$PC_BUS\"'"
t0=$(date +%s%N)
st=$(busctl get-property $PC_BUS $PC_PATH $PC_MGR State 2>&1)
echo "# first call (activation): $(( ($(date +%s%N) - t0) / 1000000 )) ms -> $st"
tb_check "a property read started the daemon, which answers running" [ "$st" = 's "running"' ]
tb_check "started once" [ "$(grep -c activated "$TB_TMP/activations")" = 1 ]
tb_check "the activated daemon set up the kernel table" sh -c "nft list set inet portcullis testsvc_v4 >/dev/null"
PC_DAEMON_PID=$(pgrep -x portcullisd)

# --- introspection XML vs. the daemon ---------------------------------------------------------------
busctl introspect --xml-interface $PC_BUS $PC_PATH >"$TB_TMP/manager.xml"
busctl introspect --xml-interface $PC_BUS $PC_PATH/jail/testsvc >"$TB_TMP/jail.xml"
tb_check "introspection XML matches the Manager object" \
        python3 "$TB_DIR/compare-introspection.py" "$PC_SRC/docs/$PC_BUS.xml" "$TB_TMP/manager.xml" $PC_MGR
tb_check "introspection XML matches a Jail object" \
        python3 "$TB_DIR/compare-introspection.py" "$PC_SRC/docs/$PC_BUS.xml" "$TB_TMP/jail.xml" $PC_JAIL
tb_check "the node enumerator lists the jail" sh -c "busctl tree --list $PC_BUS | grep -qx '$PC_PATH/jail/testsvc'"

# --- stopped again: portcullisctl's call activates it too -------------------------------------------
kill "$PC_DAEMON_PID"
tb_wait_for 10 sh -c "! kill -0 $PC_DAEMON_PID 2>/dev/null" || tb_ko "daemon stopped"
tb_wait_for 5 sh -c "! busctl status $PC_BUS >/dev/null 2>&1"
tb_check "portcullisctl status activates the daemon again" sh -c "'$PC_BUILD/portcullisctl' --no-pager status | grep -q running"
tb_check "started a second time" [ "$(grep -c activated "$TB_TMP/activations")" = 2 ]
tb_summary
