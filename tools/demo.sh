#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo: builds portcullis, brings up a sandbox (private journald, a network namespace, a real sshd),
# starts portcullisd with the stock sshd jail, attacks sshd with a real ssh client using wrong
# passwords, over IPv4 and IPv6, and shows the bans: the nft set and the daemon's own status and audit
# events. Nothing leaves the sandbox: private mount, PID, cgroup and network namespaces, torn down at
# the end. Run as root on Debian 12:  sudo tools/demo.sh
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
export TB_NAME=demo
if [ -z "${TB_IN_NS:-}" ]; then
        "$HERE/install-deps.sh" || exit 1
        echo "== building portcullis (build/)"
        [ -f "$SRC/build/build.ninja" ] || meson setup "$SRC/build" >/dev/null || exit 1
        ninja -C "$SRC/build" >/dev/null || { ninja -C "$SRC/build"; exit 1; }
fi
export PORTCULLIS_SOURCE_DIR=$SRC PORTCULLIS_BUILD_DIR=$SRC/build
. "$SRC/tests/lib/harness.sh"
pc_require sshd ssh sshpass
tb_enter_ns --net -- "$@"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say "sandbox: private journald, network namespace with sshd on $TB_SRV4 and [$TB_SRV6], attacker $TB_ATK4 / $TB_ATK6"
tb_private_fs
tb_private_dev
tb_journald_start 2>/dev/null
tb_net_setup 2>/dev/null
tb_sshd_start 2>/dev/null

PC_CONF=$TB_TMP/etc-portcullis
pc_config_dir "$PC_CONF"
cp "$SRC/jails/sshd.conf" "$PC_CONF/jails/"
say "the stock sshd jail, as portcullisctl check-config shows it"
"$PC_BUILD/portcullisctl" check-config --config-dir="$PC_CONF" --vendor-dir=/nonexistent

say "starting portcullisd"
pc_daemon_start 2>/dev/null || { cat "$PC_DAEMON_LOG"; tb_die "portcullisd did not start"; }
grep -v '^portcullisd: .*failure' "$PC_DAEMON_LOG" | sed 's/^/   /'

attack() { # attack SERVER: wrong passwords until sshd stops answering
        local i out t0
        mkdir -p "$TB_TMP/attacker-home"
        for i in $(seq 1 10); do
                t0=$(date +%s%N)
                out=$(tb_attacker env HOME="$TB_TMP/attacker-home" timeout 15 sshpass -p wrong-password ssh -F /dev/null \
                        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
                        -o PreferredAuthentications=password -o PubkeyAuthentication=no -o ConnectTimeout=3 \
                        -o NumberOfPasswordPrompts=1 "root@$1" true 2>&1 | tail -n 1)
                [ -n "$out" ] || out="(connection cut: the ban landed during this attempt)"
                printf '   attempt %2d: %-60s (%d ms)\n' "$i" "$out" $(( ($(date +%s%N) - t0) / 1000000 ))
                case "$out" in *refused*|*timed\ out*) return 0 ;; esac
        done
        return 1
}
say "attacker $TB_ATK4: ssh root@$TB_SRV4 with a wrong password, again and again"
attack "$TB_SRV4" || echo "   (never blocked?)"
say "attacker $TB_ATK6: ssh root@[$TB_SRV6] with a wrong password, again and again"
attack "$TB_SRV6" || echo "   (never blocked?)"

say "nft list table inet portcullis (the kernel unbans by itself when the timeout runs out)"
nft list table inet portcullis | sed 's/^/   /'
say "the daemon's own status (sd_notify STATUS=, what systemctl status shows)"
grep -o 'STATUS=[^|]*' "$PC_NOTIFY_LOG" | tail -n 1 | sed 's/^/   /'
say "its audit trail: journalctl MESSAGE_ID=$PC_MSG_BAN (ban events)"
journalctl --no-pager -o verbose MESSAGE_ID=$PC_MSG_BAN --output-fields=MESSAGE,JAIL,ADDRESS,BANTIME_USEC,FAILURES |
        grep -E '^[A-Z]|^    (MESSAGE|JAIL|ADDRESS|BANTIME_USEC|FAILURES)=' | sed 's/^/   /'
say "what sshd logged (journalctl _SYSTEMD_UNIT=ssh.service)"
journalctl --no-pager -o short-precise _SYSTEMD_UNIT=ssh.service | grep -E 'Failed|Invalid' | sed 's/^/   /'

say "a reboot: stop portcullisd, flush the whole ruleset, start it again"
pc_daemon_stop
nft flush ruleset
pc_daemon_start 2>/dev/null || tb_die "portcullisd did not restart"
grep -o 'Restored.*' "$PC_DAEMON_LOG" | tail -n 1 | sed 's/^/   /'
nft list set inet portcullis sshd_v4 | grep elements | sed 's/^/   /'
nft list set inet portcullis sshd_v6 | grep elements | sed 's/^/   /'

say "someone runs 'nft flush ruleset' while portcullisd runs: it puts its table back"
nft flush ruleset
sleep 0.5
journalctl --no-pager -q -o cat MESSAGE_ID=55a07132f710485f870bd07be40ef300 | tail -n 1 | sed 's/^/   /'
nft list set inet portcullis sshd_v4 | grep elements | sed 's/^/   /'

say "stopping portcullisd (bans stay in the kernel until they expire); tearing the sandbox down"
pc_daemon_stop
exit 0
