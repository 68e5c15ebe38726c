#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Local actions with real journald + nftables: hosts.deny (IPv6 in brackets, foreign lines kept, another
# process appending under the documented lock while bans happen loses nothing, unban removes our line),
# the command action (argv templates never see a shell: $(…), backticks, ';', newlines and "\n~!" in the
# matched line stay one argument; user=; timeout kills) and portcullisctl test-action, including mail
# through a local sendmail stand-in whose headers must stay intact.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require flock
tb_enter_ns --net -- "$@"

pc_sandbox
rm -f /tmp/pwned
HD=$TB_TMP/hosts.deny ARGV_LOG=$TB_TMP/argv.log PY=$(readlink -f /usr/bin/python3)  # a real interpreter: the action gets a bare PATH, no pyenv shims
printf '# foreign header\r\nsshd: 10.0.0.1 # keep me\n\n' >"$HD"
: >"$ARGV_LOG"; chmod 0666 "$ARGV_LOG"
for s in hdsvc cmdsvc; do
        pc_filter $s 'AUTH FAILURE user=<F-USER>.*</F-USER> from <HOST>'
        pc_writer_start $s $s.service
done
# a sendmail stand-in: stores its argv and the message it reads on stdin
cat >"$TB_TMP/sendmail" <<SH
#!/bin/sh
printf '%s\n' "\$@" >"$TB_TMP/sendmail.argv"
cat >"$TB_TMP/sendmail.msg"
SH
chmod 0755 "$TB_TMP/sendmail"
cat >"$PC_CONF/jails/local.conf" <<CONF
[DEFAULT]
maxretry = 1
ignoreself = false

[hdsvc]
enabled = true
bantime = 4s
action = hostsdeny[file=$HD]

[cmdsvc]
enabled = true
action = command[actionban="$PY $TB_DIR/record-argv.py $ARGV_LOG ban <ip> --jail=<jail> <failures> <bantime> <matches>",
                 actionunban="$PY $TB_DIR/record-argv.py $ARGV_LOG unban <ip>"]
         mail[dest=admin@example.org, sender=pc@example.org, sendmail=$TB_TMP/sendmail]

[offline]
enabled = false
action = command[actionban="$PY $TB_DIR/record-argv.py $ARGV_LOG <ip> <matches>", user=nobody]
         webhook[preset=slack, url=http://127.0.0.1:9/none, timeout=1s]
CONF
cat >"$PC_CONF/jails/slow.conf" <<CONF
[slowcmd]
enabled = false
action = command[actionban="/bin/sleep 30", timeout=1s]
CONF
pc_daemon_start || tb_die "daemon did not become ready"

# --- hosts.deny with a concurrent writer -------------------------------------------------------------
(
        for i in $(seq 1 300); do
                flock "$HD.lock" sh -c "printf 'sshd: 10.9.%d.%d\n' $((i / 250)) $((i % 250)) >>'$HD'"
        done
) &
writer=$!
for i in $(seq 1 20); do
        pc_write hdsvc "AUTH FAILURE user=x from 198.51.100.$i"
        pc_write hdsvc "AUTH FAILURE user=x from 2001:db8:1::$i"
done
wait $writer
tb_check "hosts.deny: 40 bans in nft" tb_wait_for 5 sh -c "[ \$(nft -j list set inet portcullis hdsvc_v4 | grep -o '198.51.100' | wc -l) -eq 20 ]"
tb_check "hosts.deny: all 40 lines written" tb_wait_for 5 sh -c "[ \$(grep -c '^ALL: ' $HD) -eq 40 ]"
tb_check "hosts.deny: IPv6 in brackets" grep -qx 'ALL: \[2001:db8:1::7\]' "$HD"
tb_check "hosts.deny: IPv4 line" grep -qx 'ALL: 198.51.100.7' "$HD"
tb_check "hosts.deny: none of the 300 concurrent foreign lines lost" [ "$(grep -c '^sshd: 10.9.' "$HD")" -eq 300 ]
tb_check "hosts.deny: foreign header kept byte for byte" sh -c "head -c 40 '$HD' | od -c | grep -q '\\\\r'"
tb_check "hosts.deny: foreign line kept" grep -qx 'sshd: 10.0.0.1 # keep me' "$HD"
tb_check "hosts.deny: no temporary files left" [ "$(ls "$TB_TMP" | grep -c 'portcullis-')" -eq 0 ]
tb_check "hosts.deny: bans expire (4 s) and our lines go" tb_wait_for 10 sh -c "[ \$(grep -c '^ALL: ' $HD) -eq 0 ]"
tb_check "hosts.deny: ... the foreign lines stay" [ "$(grep -c '^sshd: ' "$HD")" -eq 301 ]

# --- command and mail via sendmail, driven by the daemon ---------------------------------------------
pc_write cmdsvc 'AUTH FAILURE user=$(touch /tmp/pwned); `touch /tmp/pwned` from 192.0.2.50'
tb_check "command: ran with the ban" tb_wait_for 5 grep -q '"ban", "192.0.2.50"' "$ARGV_LOG"
tb_check "command: arguments as templated" python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if "\"ban\"" in l][0]
a = r["argv"]
assert a[:5] == ["ban", "192.0.2.50", "--jail=cmdsvc", "1", "600"], a
assert len(a) == 6, a
assert set(r["env"]) - {"LC_CTYPE"} == {"LANG", "PATH"}, r["env"]  # sanitised (python may add LC_CTYPE)' "$ARGV_LOG"
tb_check "mail via sendmail: argv without a shell, -i, envelope" tb_wait_for 5 sh -c "[ \"\$(tr '\n' ' ' <$TB_TMP/sendmail.argv)\" = '-i -f pc@example.org -- admin@example.org ' ]"
tb_check "mail via sendmail: message on stdin" grep -q '^Subject: \[portcullis\] cmdsvc: banned 192.0.2.50' "$TB_TMP/sendmail.msg"

# --- portcullisctl test-action: injection through the matched line -------------------------------------
EVIL='sshd[7]: Invalid user $(touch /tmp/pwned) `touch /tmp/pwned`; touch /tmp/pwned
~! touch /tmp/pwned
.
\n~!id from 192.0.2.9'
ctl() { "$PC_BUILD/portcullisctl" --config-dir="$PC_CONF" --vendor-dir=/nonexistent "$@"; }
out=$(ctl test-action offline command 192.0.2.9 --message="$EVIL" 2>&1); rc=$?
echo "$out" | sed "s/^/# /"
tb_check "test-action command: OK (rc $rc)" [ "$rc" -eq 0 ]
tb_check "test-action command: ran as user nobody, the matched line is exactly one argument" python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][-1]
assert r["uid"] == 65534, r
assert r["argv"] == ["192.0.2.9", sys.argv[2]], r["argv"]' "$ARGV_LOG" "$EVIL"
out=$(ctl test-action cmdsvc mail 192.0.2.9 --message="$EVIL" 2>&1); rc=$?
echo "$out" | sed "s/^/# /"
tb_check "test-action mail: OK (rc $rc)" [ "$rc" -eq 0 ]
sed 's/^/# | /' "$TB_TMP/sendmail.msg"
hdrs=$(sed '/^\r$/q' "$TB_TMP/sendmail.msg" | sed 's/\r$//' | grep -v '^$' | cut -d: -f1 | tr '\n' ' ')
tb_check "test-action mail: exactly our headers ($hdrs)" [ "$hdrs" = "From To Subject Date Message-ID MIME-Version Content-Type Content-Transfer-Encoding Auto-Submitted " ]
tb_check "test-action mail: the matched line is one body line, escapes visible" \
        grep -qF '  sshd[7]: Invalid user $(touch /tmp/pwned) `touch /tmp/pwned`; touch /tmp/pwned\n~! touch /tmp/pwned\n.\n\n~!id from 192.0.2.9' "$TB_TMP/sendmail.msg"
tb_check "test-action mail: no body line starts with '~!' or is a lone '.'" sh -c "! grep -qE '^(~!|\\.\\r?\$)' '$TB_TMP/sendmail.msg'"
out=$(ctl test-action offline webhook 192.0.2.9 2>&1); rc=$?
echo "$out" | sed "s/^/# /"
ok=0; [ "$rc" -eq 1 ] && [[ $out == *FAILED* ]] && ok=1
tb_check "test-action: an unreachable server is reported as FAILED (rc $rc)" [ $ok = 1 ]
t0=$(date +%s%N)
out=$(ctl test-action slowcmd command 192.0.2.9 2>&1); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "$out ($ms ms)" | sed "s/^/# /"
ok=0; [ "$rc" -eq 1 ] && [ "$ms" -lt 5000 ] && [[ $out == *"timed out"* ]] && ok=1
tb_check "command timeout kills the child (FAILED, timed out, ${ms} ms)" [ $ok = 1 ]
out=$(ctl test-action nosuchjail command 192.0.2.9 2>&1); rc=$?
tb_check "test-action: unknown jail → exit 4" [ "$rc" -eq 4 ]
tb_check "/tmp/pwned never appeared" [ ! -e /tmp/pwned ]

# --- config errors carry FILE:LINE ------------------------------------------------------------------
printf '[badact]\nenabled = true\nfilter = hdsvc\naction = hostsdeny\n   frobnicate[x=1]\n' >"$PC_CONF/jails/bad.conf"
out=$(ctl check-config 2>&1); rc=$?
echo "$out" | head -n 3 | sed "s/^/# /"
ok=0; [ "$rc" -ne 0 ] && [[ $out == *"jails/bad.conf:4: unknown action 'frobnicate'"* ]] && ok=1
tb_check "unknown action: config error with FILE:LINE" [ $ok = 1 ]
rm -f "$PC_CONF/jails/bad.conf"

pc_daemon_stop; rc=$?
tb_check "SIGTERM: exit status 0 (got $rc)" [ "$rc" -eq 0 ]
tb_summary
