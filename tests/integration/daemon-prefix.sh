#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Prefix bans (real journald, real nftables, the built daemon):
#  - banprefix6 = 64: an IPv6 address is banned as its /64, so a neighbour in the same /64 is blocked too;
#  - aggregation over IPv4 (/24) and IPv6 (/48): the 3rd distinct ban inside one prefix bans the prefix,
#    which goes into the jail's interval set (the /64s inside the /48 make way for it; host bans stay);
#  - a prefix holding an ignoreip address is never banned;
#  - a restart after a "reboot" (nft flush ruleset while stopped) restores the prefixes with their
#    remaining time; nft flush ruleset while running is repaired.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require
tb_enter_ns --net -- "$@"

pc_sandbox
pc_filter testsvc 'AUTH FAILURE from <HOST>'
cat >"$PC_CONF/jails/test.conf" <<'CONF'
[testsvc]
enabled = true
maxretry = 2
bantime = 1h
ignoreip = 192.0.2.77
banprefix6 = 64
aggregate = true
aggregate.count = 3
aggregate.window = 1h
aggregate.prefix4 = 24
aggregate.prefix6 = 48
CONF
pc_writer_start testsvc testsvc.service
DB=$TB_TMP/state/portcullis.db
fail2() { pc_write testsvc "AUTH FAILURE from $1"; pc_write testsvc "AUTH FAILURE from $1"; }
# net_elements 4|6: "NET/LEN TIMEOUT_S EXPIRES_S" per element of the interval set
net_elements() {
        nft -j list set inet portcullis "testsvc_v$1net" 2>/dev/null | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("set", {}).get("elem", []):
        x = e["elem"] if isinstance(e, dict) and "elem" in e else {"val": e}
        p = x["val"]["prefix"]
        print("%s/%d" % (p["addr"], p["len"]), x.get("timeout", "-"), x.get("expires", "-"))'
}
net_banned() { net_elements "$1" | grep -q "^$2 "; }
matches() { nft get element inet portcullis "testsvc_v$1net" "{ $2 }" >/dev/null 2>&1; }

pc_daemon_start || tb_die "daemon did not start"
tb_check "interval sets exist with flags interval,timeout" \
        sh -c "nft list set inet portcullis testsvc_v6net | grep -q 'flags interval,timeout'"

# --- 1. an IPv6 address banned as its /64 --------------------------------------------------------------------
fail2 2001:db8:1:1::5
tb_check "2001:db8:1:1::5 is banned as 2001:db8:1:1::/64" tb_wait_for 5 net_banned 6 2001:db8:1:1::/64
tb_check "a neighbour in the same /64 is matched (nft get element)" matches 6 2001:db8:1:1:ffff::99
tb_check "an address of the next /64 is not" sh -c "! nft get element inet portcullis testsvc_v6net '{ 2001:db8:1:2::1 }' 2>/dev/null"
tb_check "the host set stays empty" [ "$(pc_elements testsvc 6 | wc -l)" -eq 0 ]
tb_check "a ban event with ADDRESS=2001:db8:1:1::/64 PREFIXLEN=64" \
        tb_wait_for 3 sh -c "[ \$(journalctl -q -o cat MESSAGE_ID=$PC_MSG_BAN ADDRESS=2001:db8:1:1::/64 PREFIXLEN=64 | wc -l) -eq 1 ]"

# --- 2. IPv4 aggregation ----------------------------------------------------------------------------------------
fail2 198.51.100.1
fail2 198.51.100.2
tb_wait_for 5 pc_banned testsvc 4 198.51.100.2 || tb_die "no host bans"
tb_check "2 of 3 distinct hosts: no prefix yet" sh -c "! nft list set inet portcullis testsvc_v4net | grep -q 198.51.100.0"
fail2 198.51.100.3
tb_check "the 3rd host of 198.51.100.0/24 bans the prefix" tb_wait_for 5 net_banned 4 198.51.100.0/24
tb_check "the /24 matches any of its addresses" matches 4 198.51.100.250
tb_check "the host bans stay (they expire by themselves)" [ "$(pc_elements testsvc 4 | grep -c '^198\.51\.100\.')" -eq 3 ]
tb_check "a ban event with ADDRESS=198.51.100.0/24 PREFIXLEN=24" \
        tb_wait_for 3 sh -c "[ \$(journalctl -q -o cat MESSAGE_ID=$PC_MSG_BAN ADDRESS=198.51.100.0/24 PREFIXLEN=24 | wc -l) -eq 1 ]"

# --- 3. IPv6 aggregation: 3 /64s of one /48 ----------------------------------------------------------------------
fail2 2001:db8:1:2::7
fail2 2001:db8:1:3::7
tb_check "the 3rd /64 of 2001:db8:1::/48 bans the /48" tb_wait_for 5 net_banned 6 2001:db8:1::/48
tb_check "the /64s inside it made way (the kernel refuses overlapping intervals)" [ "$(net_elements 6 | wc -l)" -eq 1 ]
tb_check "the /48 matches a fourth /64" matches 6 2001:db8:1:ffff::1
tb_check "the /64s were logged as replaced" grep -q 'replaced by the ban of prefix 2001:db8:1::/48' "$PC_DAEMON_LOG"

# --- 4. ignoreip inside a prefix: no aggregation ------------------------------------------------------------------
fail2 192.0.2.1
fail2 192.0.2.2
fail2 192.0.2.3
tb_wait_for 5 pc_banned testsvc 4 192.0.2.3 || tb_die "no host bans in 192.0.2.0/24"
sleep 0.3
tb_check "192.0.2.0/24 holds ignoreip 192.0.2.77: not banned" sh -c "! nft list set inet portcullis testsvc_v4net | grep -q 192.0.2.0"
tb_check "and the log says why" grep -q 'holds 192.0.2.77 (ignoreip/ignoreself): not banning the prefix' "$PC_DAEMON_LOG"

# --- 5. the database holds the prefixes (schema v3) ----------------------------------------------------------------
rows=$(python3 -c 'import sqlite3,sys; print(" ".join("%s/%d" % r for r in sqlite3.connect(sys.argv[1]).execute("SELECT address, prefixlen FROM bans WHERE prefixlen NOT IN (32, 128) ORDER BY address")))' "$DB")
tb_check "database rows of prefixes: $rows" [ "$rows" = "198.51.100.0/24 2001:db8:1::/48" ]

# --- 6. a reboot: restored with the remaining time -----------------------------------------------------------------
pc_daemon_stop
nft flush ruleset
sleep 1.2
pc_daemon_start || tb_die "daemon did not restart"
el4=$(net_elements 4 | grep '^198\.51\.100\.0/24 ')
el6=$(net_elements 6 | grep '^2001:db8:1::/48 ')
echo "# after the reboot: $el4 | $el6"
tb_check "198.51.100.0/24 is back with its remaining time (3500 < expires < 3600)" \
        sh -c "echo '$el4' | awk '{exit !(\$3 < 3600 && \$3 > 3500)}'"
tb_check "2001:db8:1::/48 is back with its remaining time" sh -c "echo '$el6' | awk '{exit !(\$3 < 3600 && \$3 > 3500)}'"
tb_check "the restore event counts them" \
        sh -c "journalctl -q -o cat MESSAGE_ID=4237d58105f44a599fe926c2252a4616 | tail -n1 | grep -q 'Restored 8 bans from the database (8 put back'"

# --- 7. nft flush ruleset while running: repaired --------------------------------------------------------------------
nft flush ruleset
tb_check "after nft flush ruleset the /24 is back" tb_wait_for 3 net_banned 4 198.51.100.0/24
tb_check "and the /48" tb_wait_for 3 net_banned 6 2001:db8:1::/48
tb_check "and the rules of the interval sets" \
        tb_wait_for 3 sh -c "[ \$(nft list chain inet portcullis input | grep -c '@testsvc_v') -eq 4 ]"
fail2 198.51.100.9
sleep 0.5
tb_check "an address inside a banned prefix is not banned again as a host" pc_not_banned testsvc 4 198.51.100.9
pc_daemon_stop
tb_summary
