#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input over D-Bus: invalid and special addresses, unknown jails, zero, negative (two's complement)
# and absurd durations, a 1 MB string argument. Each must come back as its typed error
# (org.portcullis.Portcullis1.Error.*), the daemon keeps running and nothing changes.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require
pc_bus_require
tb_enter_ns --net -- "$@"

pc_bus_daemon
J=$PC_PATH/jail/testsvc
E=org.portcullis.Portcullis1.Error
pc_mgr Ban sstb testsvc 198.51.100.7 0 false >/dev/null
before=$(nft -j list table inet portcullis | md5sum)

# expect ERROR DESCRIPTION PATH INTERFACE.METHOD ARGS...: the call fails with the D-Bus error ERROR
# (dbus-send prints the error's name, busctl only its message)
err_name() {
        dbus-send --system --print-reply --dest=$PC_BUS "$@" 2>&1 | sed -n 's/^Error \([^:]*\):.*/\1/p'
}
expect() {
        local want=$1 desc=$2 got
        shift 2
        got=$(err_name "$@")
        tb_check "$desc -> $want (got '${got:-no error}')" [ "$got" = "$want" ]
}
expect $E.InvalidAddress "Ban of 'not-an-address'" $PC_PATH $PC_MGR.Ban string:testsvc string:not-an-address uint64:0 boolean:false
expect $E.InvalidAddress "Ban of '300.1.2.3'" $PC_PATH $PC_MGR.Ban string:testsvc string:300.1.2.3 uint64:0 boolean:false
expect $E.InvalidAddress "Ban of ''" $PC_PATH $PC_MGR.Ban string:testsvc string: uint64:0 boolean:false
expect $E.InvalidAddress "Ban of '1.2.3.4; drop table'" $PC_PATH $PC_MGR.Ban string:testsvc "string:1.2.3.4; drop table" uint64:0 boolean:false
expect $E.AddressNotAllowed "Ban of loopback 127.0.0.1" $PC_PATH $PC_MGR.Ban string:testsvc string:127.0.0.1 uint64:0 boolean:false
expect $E.AddressNotAllowed "Ban of ::" $PC_PATH $PC_MGR.Ban string:testsvc string::: uint64:0 boolean:false
expect $E.NotSupported "Ban of a prefix 10.0.0.0/8" $PC_PATH $PC_MGR.Ban string:testsvc string:10.0.0.0/8 uint64:0 boolean:false
expect $E.NoSuchJail "Ban in an unknown jail" $PC_PATH $PC_MGR.Ban string:nosuch string:198.51.100.8 uint64:0 boolean:false
expect $E.NoSuchJail "Ban in jail ''" $PC_PATH $PC_MGR.Ban string: string:198.51.100.8 uint64:0 boolean:false
expect $E.InvalidDuration "Ban for -2 (2^64-2 µs)" $PC_PATH $PC_MGR.Ban string:testsvc string:198.51.100.8 uint64:18446744073709551614 boolean:false
expect $E.InvalidDuration "Ban for 101 years" $PC_PATH $PC_MGR.Ban string:testsvc string:198.51.100.8 uint64:3187296000000000 boolean:false
expect org.freedesktop.DBus.Error.InvalidArgs "Ban with a negative int64 duration (wrong type)" $PC_PATH $PC_MGR.Ban string:testsvc string:198.51.100.8 int64:-5 boolean:false
expect $E.NotBanned "Unban of an address not banned" $PC_PATH $PC_MGR.Unban string: string:198.51.100.99 boolean:false
expect $E.NoSuchJail "Unban in an unknown jail" $PC_PATH $PC_MGR.Unban string:nosuch string:198.51.100.7 boolean:false
expect $E.InvalidAddress "Unban of garbage" $PC_PATH $PC_MGR.Unban string: string:garbage boolean:false
expect $E.NoSuchJail "UnbanAll of an unknown jail" $PC_PATH $PC_MGR.UnbanAll string:nosuch boolean:false
expect $E.NoSuchJail "ListBans of an unknown jail" $PC_PATH $PC_MGR.ListBans string:nosuch uint64:0 uint64:0
expect $E.InvalidAddress "GetBan of garbage" $PC_PATH $PC_MGR.GetBan string:garbage
expect $E.InvalidDuration "BanTimeUSec = 0" $J org.freedesktop.DBus.Properties.Set string:$PC_JAIL string:BanTimeUSec variant:uint64:0
expect $E.InvalidDuration "BanTimeUSec = 2^64-2" $J org.freedesktop.DBus.Properties.Set string:$PC_JAIL string:BanTimeUSec variant:uint64:18446744073709551614
expect org.freedesktop.DBus.Error.InvalidArgs "BanTimeUSec as a string" $J org.freedesktop.DBus.Properties.Set string:$PC_JAIL string:BanTimeUSec variant:string:1h
expect org.freedesktop.DBus.Error.PropertyReadOnly "setting MaxRetry (read-only)" $J org.freedesktop.DBus.Properties.Set string:$PC_JAIL string:MaxRetry variant:uint32:1
expect org.freedesktop.DBus.Error.UnknownObject "a jail object that does not exist" $PC_PATH/jail/nosuch $PC_JAIL.Stop boolean:false

# A long address through portcullisctl (a command-line argument is at most 128 kB: MAX_ARG_STRLEN)
out=$("$PC_BUILD/portcullisctl" ban testsvc "$(head -c 100000 /dev/zero | tr '\0' 'a')" 2>&1); rc=$?
tb_check "portcullisctl ban of a 100 kB address: exit 1, short error text" sh -c "[ $rc -eq 1 ] && [ ${#out} -lt 300 ]"
# 1 MB strings: too long for any command line, so a minimal D-Bus client in Python sends them
python3 "$TB_DIR/dbus-raw.py" big >"$TB_TMP/big.out" 2>&1
sed 's/^/# 1 MB: /' "$TB_TMP/big.out"
tb_check "1 MB jail name: NoSuchJail" grep -qx "Ban 3 $E.NoSuchJail" "$TB_TMP/big.out"
tb_check "1 MB address: InvalidAddress" grep -qx "Ban2 3 $E.InvalidAddress" "$TB_TMP/big.out"
tb_check "1 MB address to Unban: InvalidAddress" grep -qx "Unban 3 $E.InvalidAddress" "$TB_TMP/big.out"

tb_check "the daemon keeps running" kill -0 "$PC_DAEMON_PID"
tb_check "... and answers" [ "$(pc_mgr_prop State)" = 's "running"' ]
tb_check "nothing changed in the kernel" [ "$(nft -j list table inet portcullis | md5sum)" = "$before" ]
tb_check "the one ban is still the only one" [ "$(pc_mgr ListBans stt '' 0 0 | awk '{print $2}')" = 1 ]
tb_check "BanTimeUSec unchanged" [ "$(pc_jail_prop testsvc BanTimeUSec)" = 't 600000000' ]
pc_daemon_stop; rc=$?
tb_check "SIGTERM: clean exit (status $rc), no sanitizer report in the daemon's log" \
        sh -c "[ $rc -eq 0 ] && ! grep -q 'Sanitizer' '$PC_DAEMON_LOG'"
tb_summary
