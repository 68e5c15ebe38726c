#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# portcullisd --fail2ban-config=DIR: an existing fail2ban configuration directory, used as is (jail.conf →
# jail.d → jail.local layering, filter.d with includes and [Init] arguments, banaction arguments), bans
# through our nftables table; a jail that needs a log file is refused with its file and line.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require
tb_enter_ns --net -- "$@"

pc_sandbox
F2B=$TB_TMP/fail2ban
mkdir -p "$F2B/filter.d" "$F2B/jail.d"
cat >"$F2B/filter.d/common.conf" <<'CONF'
[DEFAULT]
_prefix = \S+ \S+\[\d+\]:
CONF
cat >"$F2B/filter.d/myservice.conf" <<'CONF'
[INCLUDES]
before = common.conf

[Definition]
failregex = ^%(_prefix)s <what> from <HOST>$

[Init]
what = AUTH FAILURE
journalmatch = _SYSTEMD_UNIT=testsvc.service
CONF
cat >"$F2B/filter.d/oldfilter.conf" <<'CONF'
[Definition]
failregex = ^refused <HOST>$
CONF
cat >"$F2B/jail.conf" <<'CONF'
[DEFAULT]
bantime = 10m
findtime = 10m
maxretry = 5
backend = auto
protocol = tcp
banaction = iptables-multiport
action_ = %(banaction)s[port="%(port)s", protocol="%(protocol)s"]
action = %(action_)s

[myservice]
port = 22
filter = myservice
backend = systemd

[oldstyle]
port = 80
logpath = /var/log/oldstyle.log
filter = oldfilter
CONF
cat >"$F2B/jail.d/defaults-debian.conf" <<'CONF'
[myservice]
enabled = true
CONF
cat >"$F2B/jail.local" <<'CONF'
[myservice]
maxretry = 2
bantime = 1h
banaction = nftables[blocktype=drop]
CONF

pc_writer_start testsvc testsvc.service
PC_DAEMON_EXTRA=(--fail2ban-config="$F2B")
pc_daemon_start "${PC_DAEMON_EXTRA[@]}" || tb_die "daemon did not start with the fail2ban configuration"
pc_write testsvc "AUTH FAILURE from 198.51.100.5"
pc_write testsvc "AUTH FAILURE from 198.51.100.5"
tb_check "the fail2ban jail bans after its jail.local maxretry (2)" tb_wait_for 3 pc_banned myservice 4 198.51.100.5
el=$(pc_elements myservice 4 | grep '^198.51.100.5 ')
tb_check "with its jail.local bantime (1 h: $el)" sh -c "echo '$el' | awk '{exit !(\$2 == 3600)}'"
nft list chain inet portcullis input | sed 's/^/# /'
tb_check "and its banaction's blocktype (drop), on its port" \
        sh -c 'nft list chain inet portcullis input | grep -q "tcp dport 22 ip saddr @myservice_v4 drop"'
pc_daemon_stop

# enabling the log-file-only jail is refused, naming the file and line of its logpath
printf '[oldstyle]\nenabled = true\n' >>"$F2B/jail.local"
if pc_daemon_start "${PC_DAEMON_EXTRA[@]}"; then tb_ko "started with a log-file-only jail"; pc_daemon_stop; else
        tb_ok "a log-file-only jail is refused"
fi
lp=$(grep -n '^logpath' "$F2B/jail.conf" | cut -d: -f1)
tb_check "the error names jail.conf and the logpath line ($lp)" grep -q "jail.conf:$lp: jail 'oldstyle' reads only log files" "$PC_DAEMON_LOG"
tb_summary
