#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Self-healing firewall (real nftables in a private network namespace): whatever someone else does to our
# table — nft flush ruleset, delete the table, flush our chain, flush a set — the daemon notices through
# nftables' netlink notifications and puts table, sets, rules and bans back within a second; changes to
# other tables, and the daemon's own transactions, cause no repair.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require
tb_enter_ns --net -- "$@"

pc_sandbox
pc_filter testsvc 'AUTH FAILURE from <HOST>'
printf '[testsvc]\nenabled = true\nmaxretry = 2\nbantime = 1h\nport = 22\n' >"$PC_CONF/jails/test.conf"
pc_writer_start testsvc testsvc.service
pc_daemon_start || tb_die "daemon did not start"
for a in 198.51.100.1 198.51.100.1 2001:db8::1 2001:db8::1; do pc_write testsvc "AUTH FAILURE from $a"; done
tb_wait_for 5 pc_banned testsvc 4 198.51.100.1 && tb_wait_for 5 pc_banned testsvc 6 2001:db8::1 || tb_die "no bans"
repairs() { journalctl -q -o cat MESSAGE_ID=55a07132f710485f870bd07be40ef300 | wc -l; }
intact() {
        pc_banned testsvc 4 198.51.100.1 && pc_banned testsvc 6 2001:db8::1 &&
                [ "$(nft list chain inet portcullis input 2>/dev/null | grep -c '@testsvc_v')" -eq 2 ]
}
sleep 0.5
tb_check "our own bans caused no repair" [ "$(repairs)" -eq 0 ]

n=0
sabotage() { # sabotage DESCRIPTION COMMAND...
        local what=$1 t0 t1
        shift
        "$@"
        t0=$(date +%s%N)
        n=$((n + 1))
        if tb_wait_for 3 intact; then
                t1=$(date +%s%N)
                tb_ok "after $what: table, rules and bans back in $(( (t1 - t0) / 1000000 )) ms"
                tb_check "... within 1 s" [ $(( (t1 - t0) / 1000000 )) -lt 1000 ]
        else
                tb_ko "after $what: not repaired"
                nft list ruleset | sed 's/^/# /'
        fi
        tb_check "... and a repair event ($n)" tb_wait_for 2 sh -c "[ \$(journalctl -q -o cat MESSAGE_ID=55a07132f710485f870bd07be40ef300 | wc -l) -eq $n ]"
}
sabotage "nft flush ruleset" nft flush ruleset
sabotage "nft delete table inet portcullis" nft delete table inet portcullis
sabotage "nft flush chain inet portcullis input" nft flush chain inet portcullis input
sabotage "nft flush set inet portcullis testsvc_v4" nft flush set inet portcullis testsvc_v4
el=$(pc_elements testsvc 4 | grep '^198.51.100.1 ')
tb_check "the put-back ban keeps its remaining time ($el)" sh -c "echo '$el' | awk '{exit !(\$3 > 3500 && \$3 <= 3600)}'"

nft add table inet someoneelse
nft add chain inet someoneelse c
sleep 0.5
tb_check "a change to another table causes no repair" [ "$(repairs)" -eq "$n" ]
tb_check "and leaves that table alone" sh -c "nft list table inet someoneelse >/dev/null"
pc_daemon_stop
tb_summary
