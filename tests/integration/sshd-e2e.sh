#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End to end with the stock sshd jail and filter: a real sshd (OpenSSH, logging through syslog(3) to a
# private journald) in this network namespace, a real ssh client failing passwords from a second
# namespace over a veth pair, IPv4 and IPv6.  After maxretry failures the attacker's next connection is
# refused (blocktype reject) within a second of its last allowed failure; a neighbour address still
# reaches sshd.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require sshd ssh sshpass
tb_enter_ns --net -- "$@"

tb_private_fs
tb_private_dev
tb_journald_start
tb_net_setup
tb_sshd_start
# a second attacker address on each family: the neighbour that must not be caught
tb_attacker ip addr add 10.77.0.3/24 dev veth-atk
tb_attacker ip -6 addr add fd00:77::3/64 dev veth-atk nodad

PC_CONF=$TB_TMP/conf
pc_config_dir "$PC_CONF"
cp "$PC_SRC/jails/sshd.conf" "$PC_CONF/jails/"
printf '[sshd]\nmaxretry = 3\n' >"$PC_CONF/jails/sshd.local"
pc_daemon_start || tb_die "daemon did not become ready"

attempt() { # attempt ADDR [BIND]: one failed password attempt; prints ssh's last line
        local bind=()
        [ -n "${2:-}" ] && bind=(-b "$2")
        mkdir -p "$TB_TMP/attacker-home"
        tb_attacker env HOME="$TB_TMP/attacker-home" timeout 15 sshpass -p wrong-password ssh -F /dev/null \
                -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
                -o PreferredAuthentications=password -o PubkeyAuthentication=no \
                -o ConnectTimeout=3 -o NumberOfPasswordPrompts=1 "${bind[@]}" \
                "root@$1" true 2>&1 | tail -n 1
}

run_family() { # run_family FAMILY SERVER ATTACKER NEIGHBOUR
        local fam=$1 srv=$2 atk=$3 nb=$4 i out t0 t1
        for i in 1 2 3; do
                out=$(attempt "$srv" "$atk")
                echo "# v$fam attempt $i: $out"
        done
        t0=$(date +%s%N)
        tb_check "v$fam: attacker $atk banned after 3 failed passwords" tb_wait_for 3 pc_banned sshd "$fam" "$atk"
        t1=$(date +%s%N)
        echo "# v$fam: ban element $(( (t1 - t0) / 1000000 )) ms after the 3rd attempt returned"
        tb_check "v$fam: ban within 1 s of the last allowed failure" [ $(( (t1 - t0) / 1000000 )) -lt 1000 ]
        t0=$(date +%s%N)
        out=$(attempt "$srv" "$atk")
        t1=$(date +%s%N)
        echo "# v$fam: banned attempt: '$out' after $(( (t1 - t0) / 1000000 )) ms"
        tb_check "v$fam: the attacker's next connection is refused" sh -c "echo '$out' | grep -q 'Connection refused'"
        out=$(attempt "$srv" "$nb")
        tb_check "v$fam: neighbour $nb still reaches sshd ($out)" sh -c "echo '$out' | grep -q 'Permission denied'"
        tb_check "v$fam: neighbour not banned" pc_not_banned sshd "$fam" "$nb"
        tb_check "v$fam: ban event for $atk" tb_wait_for 2 sh -c "[ \$(journalctl -q -o cat MESSAGE_ID=$PC_MSG_BAN JAIL=sshd ADDRESS=$atk | wc -l) -eq 1 ]"
}

run_family 4 "$TB_SRV4" "$TB_ATK4" 10.77.0.3
run_family 6 "$TB_SRV6" "$TB_ATK6" fd00:77::3

echo "# --- nft list table inet portcullis ---"
nft list table inet portcullis | sed 's/^/# /'
pc_daemon_stop
tb_summary
