#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Actions that talk to servers, against real servers on loopback inside the test's network namespace:
# mail through SMTP (aiosmtpd) with headers and body checked, a digest of 50 bans in one mail, a webhook
# whose body matches its JSON template, servers that hang or answer 500 (retried, and the ban latency
# stays what it is without actions), AbuseIPDB's request format and its per-address rate limit.
set -u
. "$(dirname "$0")/../lib/harness.sh"
pc_require
# Debian's python3-aiosmtpd is in the system interpreter, which may not be the first python3 on PATH
SMTP_PY=
for p in python3 /usr/bin/python3; do "$p" -c 'import aiosmtpd' 2>/dev/null && { SMTP_PY=$p; break; }; done
[ -n "$SMTP_PY" ] || { echo "1..0 # SKIP python3-aiosmtpd missing (tools/install-deps.sh)"; exit 77; }
tb_enter_ns --net -- "$@"

pc_sandbox
HTTP_LOG=$TB_TMP/http.log MAIL_DIR=$TB_TMP/mail
mkdir -p "$MAIL_DIR" "$PC_CONF/actions"
python3 "$TB_DIR/http-recorder.py" 8080 "$HTTP_LOG" 2>>"$TB_TMP/http.err" &
"$SMTP_PY" "$TB_DIR/smtp-sink.py" 2525 "$MAIL_DIR" 2>>"$TB_TMP/smtp.err" &
tb_wait_for 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && exec 4<>/dev/tcp/127.0.0.1/2525' || tb_die "test servers did not start"
printf 'secret-api-key-123\n' >"$TB_TMP/abuse.key"
chmod 0600 "$TB_TMP/abuse.key"

for s in mailsvc digestsvc hooksvc fastsvc slowsvc abusesvc; do
        pc_filter $s 'AUTH FAILURE user=<F-USER>.*</F-USER> from <HOST>'
        pc_writer_start $s $s.service
done
cat >"$PC_CONF/actions/hanghook.conf" <<'CONF'
[Definition]
type = webhook
url = http://127.0.0.1:8080/hang
timeout = 1s
retries = 3
backoff = 300ms
CONF
cat >"$PC_CONF/actions/failhook.conf" <<'CONF'
[Definition]
type = webhook
url = http://127.0.0.1:8080/fail
retries = 3
backoff = 300ms
CONF
cat >"$PC_CONF/actions/flakyhook.conf" <<'CONF'
[Definition]
type = webhook
url = http://127.0.0.1:8080/flaky
retries = 4
backoff = 200ms
CONF
cat >"$PC_CONF/jails/actions.conf" <<CONF
[DEFAULT]
maxretry = 1
ignoreself = false

[mailsvc]
enabled = true
action = nftables[port=ssh]
         mail[dest=admin@example.org, sender=portcullis@example.org, sendername="Port, Cullis",
              smtp=smtp://127.0.0.1:2525, starttls=no]

[digestsvc]
enabled = true
action = sendmail-whois[dest=admin@example.org, smtp=smtp://127.0.0.1:2525, starttls=no, digest=4s]

[hooksvc]
enabled = true
action = webhook[url=http://127.0.0.1:8080/hook, header-X-Test=yes,
                 body='{"who": "<ip>", "jail": "<jail>", "n": "<failures>", "t": "<bantime>", "fixed": 7}']

[fastsvc]
enabled = true

[slowsvc]
enabled = true
action = hanghook failhook flakyhook

[abusesvc]
enabled = true
bantime = 2s
action = abuseipdb[url=http://127.0.0.1:8080/api/v2/report, key_file=$TB_TMP/abuse.key, categories="18,22",
                   interval=1h, comment="<jail>: <failures> failures"]
CONF
pc_daemon_start || tb_die "daemon did not become ready"

# --- mail -----------------------------------------------------------------------------------------
pc_write mailsvc 'AUTH FAILURE user=alice from 198.51.100.10'
tb_check "mail: ban in nft" tb_wait_for 5 pc_banned mailsvc 4 198.51.100.10
tb_check "mail: one message arrives" tb_wait_for 10 test -e "$MAIL_DIR/0001.eml"
m=$MAIL_DIR/0001.eml
sed 's/^/# | /' "$m"
tb_check "mail: envelope from/to" sh -c "[ \"\$(cat $MAIL_DIR/0001.env)\" = \"\$(printf 'portcullis@example.org\nadmin@example.org')\" ]"
tb_check "mail: Subject names jail and address" grep -q '^Subject: \[portcullis\] mailsvc: banned 198.51.100.10' "$m"
tb_check "mail: From with quoted name" grep -q '^From: "Port, Cullis" <portcullis@example.org>' "$m"
tb_check "mail: To header" grep -q '^To: admin@example.org' "$m"
tb_check "mail: body has failures and ban time" sh -c "grep -q 'Failures:  1' $m && grep -q 'Ban time:  10min' $m && grep -q 'Address:   198.51.100.10' $m"

# --- digest: 50 bans, one mail ----------------------------------------------------------------------
for i in $(seq 1 50); do pc_write digestsvc "AUTH FAILURE user=u$i from 203.0.113.$i"; done
pc_write_wait digestsvc 50 || tb_die "writer stuck"
tb_check "digest: all 50 banned" tb_wait_for 10 sh -c "[ \$(pc_elements digestsvc 4 2>/dev/null | wc -l) -ge 0 ] && [ \$(nft -j list set inet portcullis digestsvc_v4 | grep -o '203.0.113' | wc -l) -eq 50 ]"
sleep 6
digests=$(grep -l '^Subject: \[portcullis\] digestsvc' "$MAIL_DIR"/*.eml 2>/dev/null | wc -l)
tb_check "digest: exactly one mail for 50 bans (got $digests)" [ "$digests" -eq 1 ]
d=$(grep -l '^Subject: \[portcullis\] digestsvc' "$MAIL_DIR"/*.eml 2>/dev/null | head -n1)
tb_check "digest: subject says 50 events" grep -q '^Subject: \[portcullis\] digestsvc: 50 events' "$d"
tb_check "digest: body lists all 50 addresses" [ "$(grep -c 'Banned 203.0.113.[0-9]* in jail digestsvc' "$d")" -eq 50 ]

# --- webhook: body from the template ---------------------------------------------------------------
pc_write hooksvc 'AUTH FAILURE user=bob from 2001:db8::42'
tb_check "webhook: request arrives" tb_wait_for 10 grep -q '"path": "/hook"' "$HTTP_LOG"
req=$(grep '"path": "/hook"' "$HTTP_LOG" | head -n1)
echo "# $req"
tb_check "webhook: body is the template with the values" python3 -c '
import json, sys
r = json.loads(sys.argv[1]); b = json.loads(r["body"])
assert b == {"who": "2001:db8::42", "jail": "hooksvc", "n": "1", "t": "600", "fixed": 7}, b
h = {k.lower(): v for k, v in r["headers"].items()}
assert h["content-type"] == "application/json" and h["x-test"] == "yes", h' "$req"

# --- hanging and failing servers: retried, and the ban is not slower ----------------------------------
fast=() slow=()
for i in $(seq 1 8); do
        pc_write fastsvc "AUTH FAILURE user=f from 192.0.2.$i"; fast+=(192.0.2.$i)
        sleep 0.1
        pc_write slowsvc "AUTH FAILURE user=s from 198.18.0.$i"; slow+=(198.18.0.$i)
        sleep 0.1
done
tb_check "slow actions: all 8 banned" tb_wait_for 5 sh -c "[ \$(nft -j list set inet portcullis slowsvc_v4 | grep -o '198.18.0' | wc -l) -eq 8 ]"
sleep 0.5
lat_fast=$(python3 "$TB_DIR/ban-latency.py" "${fast[@]}") lat_slow=$(python3 "$TB_DIR/ban-latency.py" "${slow[@]}")
echo "# ban latency (ms) without actions: $lat_fast"
echo "# ban latency (ms) with hanging + failing webhooks: $lat_slow"
med() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mf=$(echo "$lat_fast" | med) ms=$(echo "$lat_slow" | med) mx=$(echo "$lat_slow" | tr ' ' '\n' | sort -n | tail -n1)
echo "# median without: $mf ms, with: $ms ms, max with: $mx ms"
tb_check "ban latency with hanging/failing actions within 100 ms of without (median $ms vs $mf ms)" [ "$ms" -le $((mf + 100)) ]
tb_check "... and no ban slower than 500 ms (max $mx ms)" [ "$mx" -lt 500 ]
tb_check "failing server retried: 3 attempts for one ban" tb_wait_for 10 sh -c "[ \$(grep -c '\"path\": \"/fail\"' $HTTP_LOG) -ge 3 ]"
tb_check "hanging server retried after its timeout" tb_wait_for 10 sh -c "[ \$(grep -c '\"path\": \"/hang\"' $HTTP_LOG) -ge 9 ]"
tb_check "flaky server: succeeds on the third attempt (8 bans × 3 requests at most)" tb_wait_for 10 sh -c "[ \$(grep -c '\"path\": \"/flaky\"' $HTTP_LOG) -eq 10 ]"
tb_check "failure events in the journal (MESSAGE_ID, ACTION, RETRY_USEC)" \
        tb_wait_for 5 sh -c "journalctl -q -o verbose MESSAGE_ID=17338ba7f182463b90ea6fc20ba58872 ACTION=failhook | grep -q 'RETRY_USEC=300000'"
tb_check "final failure logged as giving up" tb_wait_for 10 sh -c "journalctl -q -o cat MESSAGE_ID=17338ba7f182463b90ea6fc20ba58872 ACTION=failhook | grep -q 'giving up'"

# --- AbuseIPDB ---------------------------------------------------------------------------------------
pc_write abusesvc 'AUTH FAILURE user=x from 198.51.100.77'
tb_check "abuseipdb: report sent" tb_wait_for 10 grep -q '"path": "/api/v2/report"' "$HTTP_LOG"
rep=$(grep '"path": "/api/v2/report"' "$HTTP_LOG" | head -n1)
echo "# $rep"
tb_check "abuseipdb: POST, Key header from the file, form fields" python3 -c '
import json, sys, urllib.parse
r = json.loads(sys.argv[1]); f = urllib.parse.parse_qs(r["body"], strict_parsing=True)
assert r["method"] == "POST" and r["headers"]["Key"] == "secret-api-key-123", r
assert r["headers"]["Accept"] == "application/json", r
assert r["headers"]["Content-Type"] == "application/x-www-form-urlencoded", r
assert f == {"ip": ["198.51.100.77"], "categories": ["18,22"], "comment": ["abusesvc: 1 failures"]}, f' "$rep"
tb_check "abuseipdb: ban expires (bantime 2s)" tb_wait_for 6 pc_not_banned abusesvc 4 198.51.100.77
sleep 1
pc_write abusesvc 'AUTH FAILURE user=x from 198.51.100.77'
pc_write abusesvc 'AUTH FAILURE user=x from 198.51.100.78'
tb_check "abuseipdb: banned again" tb_wait_for 5 pc_banned abusesvc 4 198.51.100.77
tb_check "abuseipdb: another address is reported" tb_wait_for 10 grep -q 'ip=198.51.100.78' "$HTTP_LOG"
sleep 0.5
tb_check "abuseipdb: the same address is not reported twice within interval" [ "$(grep -c 'ip=198.51.100.77' "$HTTP_LOG")" -eq 1 ]
tb_check "the API key never appears in the daemon's log" sh -c "! grep -q secret-api-key $PC_DAEMON_LOG"

pc_daemon_stop; rc=$?
tb_check "SIGTERM with actions: exit status 0 (got $rc)" [ "$rc" -eq 0 ]
tb_summary
