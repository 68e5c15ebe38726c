#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Escalation for repeat offenders (real journald and nftables): the same address banned three times gets
# growing ban times (default formula: 2 s, 4 s, 8 s); bantime.multipliers with bantime.maxtime caps;
# bantime.rndtime jitter stays in its bounds; bantime.overalljails counts bans from other jails. The
# element timeouts in the kernel are what is checked.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require
tb_enter_ns --net -- "$@"

pc_sandbox
pc_filter svc 'AUTH FAILURE from <HOST>'
pc_filter other 'AUTH FAILURE from <HOST>'
cat >"$PC_CONF/jails/test.conf" <<'CONF'
[DEFAULT]
maxretry = 2
filter = svc

[grow]
enabled = true
bantime = 2s
bantime.increment = true

[capped]
enabled = true
bantime = 1s
bantime.increment = true
bantime.multipliers = 1 5 30
bantime.maxtime = 3s

[jitter]
enabled = true
bantime = 10s
bantime.increment = true
bantime.rndtime = 5s

[first]
enabled = true
filter = other
bantime = 20s

[overall]
enabled = true
filter = other
bantime = 20s
bantime.increment = true
bantime.overalljails = true
CONF
# grow, capped and jitter all read unit svc.service; first and overall read other.service
pc_writer_start svc svc.service
pc_writer_start other other.service
pc_daemon_start || tb_die "daemon did not start"
timeout_of() { pc_elements "$1" 4 | awk -v a="$2" '$1 == a {print $2}'; }
twice() { pc_write "$1" "AUTH FAILURE from $2"; pc_write "$1" "AUTH FAILURE from $2"; }

# --- grow: 2 s, 4 s, 8 s ---------------------------------------------------------------------------
for expect in 2 4 8; do
        twice svc 198.51.100.1
        tb_wait_for 3 pc_banned grow 4 198.51.100.1 || { tb_ko "ban $expect s not there"; continue; }
        t=$(timeout_of grow 198.51.100.1)
        tb_check "grow: ban of ${expect} s (kernel timeout ${t} s)" [ "$t" = "$expect" ]
        [ "$expect" = 8 ] || tb_wait_for $((expect + 3)) pc_not_banned grow 4 198.51.100.1 || tb_ko "ban did not expire"
        sleep 0.3
done
tb_check "the ban event says the escalated time" \
        sh -c "journalctl -q -o cat MESSAGE_ID=$PC_MSG_BAN JAIL=grow | tail -n1 | grep -q 'for 8s after'"

# --- capped: multipliers 1 5 30, maxtime 3 s: 1 s, then 3 s (not 5) -------------------------------------
# (198.51.100.1 was banned three times in [capped] too, along with [grow]: a fresh address)
twice svc 198.51.100.2
tb_wait_for 3 pc_banned capped 4 198.51.100.2
tb_check "capped: a fresh address gets multiplier 1 (1 s)" [ "$(timeout_of capped 198.51.100.2)" = 1 ]
tb_wait_for 5 pc_not_banned capped 4 198.51.100.2
sleep 0.3
twice svc 198.51.100.2
tb_wait_for 3 pc_banned capped 4 198.51.100.2
t=$(timeout_of capped 198.51.100.2)
tb_check "capped: second ban 5 s capped to bantime.maxtime 3 s (got $t)" [ "$t" = 3 ]

# --- jitter: bantime 10 s + 0..5 s ----------------------------------------------------------------------
for i in 11 12 13 14 15 16; do twice svc "198.51.100.$i"; done
tb_wait_for 3 pc_banned jitter 4 198.51.100.16
ts=$(for i in 11 12 13 14 15 16; do timeout_of jitter "198.51.100.$i"; done | tr '\n' ' ')
echo "# jitter timeouts: $ts"
tb_check "jitter: every timeout within 10..15 s" sh -c "for t in $ts; do [ \$t -ge 10 ] && [ \$t -le 15 ] || exit 1; done"
tb_check "jitter: not all the same" [ "$(echo $ts | tr ' ' '\n' | sort -u | wc -l)" -gt 1 ]

# --- overalljails: a ban in [first] counts in [overall] ----------------------------------------------------
twice other 203.0.113.7
tb_wait_for 3 pc_banned overall 4 203.0.113.7
tf=$(timeout_of first 203.0.113.7) to=$(timeout_of overall 203.0.113.7)
echo "# first: $tf s, overall: $to s"
# both jails ban from the same two entries, in the same batch: [overall] sees [first]'s ban as earlier
tb_check "overalljails: [overall] counts the ban in [first]: 40 s, not 20 s (got $to)" [ "$to" = 40 ]
tb_check "without overalljails [first] stays at 20 s (got $tf)" [ "$tf" = 20 ]

pc_daemon_stop
tb_summary
