#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Collects REAL journal entries of Postfix (smtpd, postscreen) and Dovecot (imap/pop3 login, auth)
# for the filter corpora tests/data/filters/{postfix,dovecot}/real-*.export.
#
# Uses tests/lib/harness.sh: private mount/PID/cgroup/network namespaces, a private journald, the
# daemons in /system.slice/UNIT (postfix@-.service, dovecot.service, as Debian's units name them, so
# journald adds _SYSTEMD_UNIT= like on a real host) and an "attacker" network namespace joined by a
# veth pair (10.77.0.0/24, fd00:77::/64).  Inside the server namespace a tiny DNS stub on 127.0.0.1
# answers the PTR/A lookups of Postfix (10.77.0.2 <-> attacker.example.test) and the DNSBL zone
# rbl.test (every address is listed), so reject_rbl_client and postscreen give real RBL rejects.
# /etc/postfix, /etc/passwd, /etc/shadow, /etc/group and /etc/resolv.conf are replaced by private
# copies (bind mounts; the user alice is added); /var/spool/postfix and /var/lib/postfix are private
# tmpfs.  The host is not modified.
#
# Clients: swaks (SMTP AUTH, relay/unknown recipients), python's smtplib/socket (lost connections,
# pipelining, non-SMTP commands), imaplib and poplib (IMAP/POP3 logins).
#
# Each scenario is announced by a marker entry (SYSLOG_IDENTIFIER=corpus-scenario) naming the
# attacker address and the user name the scenario uses.  The annotation step below walks the export,
# keeps the entries of one service, and adds PORTCULLIS_EXPECT* from its own table of message kinds
# (plain string tests, written independently of the filters), with address and user from the marker.
#
# usage: sudo tools/collect-mail-corpus.sh
#   writes tests/data/filters/postfix/real-postfix-VER.export, .../dovecot/real-dovecot-VER.export
#   CORPUS_RAW=FILE also keeps the unannotated export.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
TB_NAME=collect-mail-corpus
# shellcheck source=../tests/lib/harness.sh
. "$src/tests/lib/harness.sh"
# shellcheck source=lib/corpus.sh
. "$here/lib/corpus.sh"

if [ -z "${TB_IN_NS:-}" ]; then
        for p in /usr/lib/postfix/sbin/master /usr/sbin/dovecot swaks python3 journalctl; do
                command -v "$p" >/dev/null || tb_die "missing $p (apt-get install postfix dovecot-imapd dovecot-pop3d swaks)"
        done
        out=$(mktemp -d "${TMPDIR:-/tmp}/mail-corpus.XXXXXX") || tb_die mktemp
        chmod 0777 "$out"
        CORPUS_OUT=$out TB_TIMEOUT=${TB_TIMEOUT:-400} tb_run_ns --net -- "$@"
        rc=$?
        [ "$rc" = 0 ] && [ -s "$out/all.export" ] || { rm -rf "$out"; tb_die "collection failed (status $rc)"; }
        [ -n "${CORPUS_RAW:-}" ] && cp "$out/all.export" "$CORPUS_RAW"
        pf=$(dpkg-query -W -f '${Version}' postfix | sed 's/-.*//')
        dv=$(dpkg-query -W -f '${Version}' dovecot-core | sed 's/^[0-9]*://; s/[-+].*//')
        # the annotation step is the python program at the end of this file
        corpus_annotate "$0" "$out/all.export" \
                "$src/tests/data/filters/postfix/real-postfix-$pf.export" \
                "$src/tests/data/filters/dovecot/real-dovecot-$dv.export" || { rm -rf "$out"; tb_die "annotation failed"; }
        rm -rf "$out"
        exit 0
fi

# ---------------------------------------------------------------------------------------------
# Inside the namespaces.
T=$TB_TMP
tb_private_fs
tb_private_dev
tb_journald_start
tb_net_setup
atk() { tb_attacker "$@"; }
SRV4=$TB_SRV4 SRV6=$TB_SRV6 ATK4=$TB_ATK4 ATK6=$TB_ATK6

# users: alice (password alice-secret) for PAM and passwd lookups
mkdir -p "$T/etc" "$T/home/alice"
cp /etc/passwd /etc/shadow /etc/group "$T/etc/"
echo "alice:x:2001:2001:corpus user:$T/home/alice:/bin/sh" >>"$T/etc/passwd"
echo "alice:x:2001:" >>"$T/etc/group"
echo "alice:$(python3 -c 'import crypt; print(crypt.crypt("alice-secret", crypt.mksalt(crypt.METHOD_SHA512)))' 2>/dev/null):19000:0:99999:7:::" >>"$T/etc/shadow"
for f in passwd shadow group; do mount --bind "$T/etc/$f" "/etc/$f"; done
chown -R alice:alice "$T/home/alice"
echo "nameserver 127.0.0.1" >"$T/etc/resolv.conf"
mount --bind "$T/etc/resolv.conf" /etc/resolv.conf
printf '127.0.0.1 localhost\n' >"$T/etc/hosts"
mount --bind "$T/etc/hosts" /etc/hosts

# DNS stub: PTR 10.77.0.2 / fd00:77::2 -> attacker.example.test (and back), *.rbl.test listed
cat >"$T/dns.py" <<'PY'
import socket, struct
PTR = {"2.0.77.10.in-addr.arpa": "attacker.example.test",
       ".".join(reversed("fd000077000000000000000000000002")) + ".ip6.arpa": "attacker.example.test"}
A = {"attacker.example.test": "10.77.0.2", "mx.example.test": "10.77.0.1"}
def name(b):
    return b"".join(bytes([len(p)]) + p for p in b.encode().split(b".")) + b"\0"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
while True:
    q, a = s.recvfrom(512)
    tid, flags = struct.unpack("!HH", q[:4])
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode()); i += 1 + q[i]
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
    qn = ".".join(labels).lower()
    question = q[12:i + 5]
    ans = []
    if qtype == 12 and qn in PTR:
        ans.append((12, name(PTR[qn])))
    elif qtype == 1 and qn in A:
        ans.append((1, socket.inet_aton(A[qn])))
    elif qn.endswith(".rbl.test") and qtype == 1:
        ans.append((1, socket.inet_aton("127.0.0.2")))
    elif qn.endswith(".rbl.test") and qtype == 16:
        t = b"listed by the corpus test zone"
        ans.append((16, bytes([len(t)]) + t))
    known = qn in PTR or qn in A or qn.endswith(".rbl.test")
    rcode = 0 if (ans or known) else 3
    hdr = struct.pack("!HHHHHH", tid, 0x8180 | rcode, 1, len(ans), 0, 0)
    body = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", t, 1, 60, len(d)) + d for t, d in ans)
    s.sendto(hdr + question + body, a)
PY
tb_spawn dns-stub.service "$T/dns.log" python3 "$T/dns.py"
tb_wait_for 5 sh -c "ss -Hlun | grep -q '127.0.0.1:53 '" || tb_die "dns stub"

# ---- dovecot: imap + pop3 on the veth addresses, PAM passdb, auth socket for postfix's SASL
mkdir -p /var/spool/postfix
mount -t tmpfs -o mode=0755 tmpfs /var/spool/postfix
mkdir -p "$T/mail"; chmod 1777 "$T/mail"
dovecot_conf() { # dovecot_conf AUTH_VERBOSE
        cat >"$T/dovecot.conf" <<EOF
protocols = imap pop3
listen = $SRV4, $SRV6
base_dir = /run/dovecot
state_dir = $T/dovecot-state
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = $1
mail_location = maildir:$T/mail/%u
syslog_facility = mail
passdb {
  driver = pam
}
userdb {
  driver = passwd
}
service auth {
  unix_listener /var/spool/postfix/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
}
mkdir -p "$T/dovecot-state"
DOVECOT=
dovecot_start() {
        dovecot_conf "$1"
        [ -n "$DOVECOT" ] && { kill "$DOVECOT"; wait "$DOVECOT" 2>/dev/null; sleep 0.5; }
        tb_spawn dovecot.service "$T/dovecot.out" /usr/sbin/dovecot -F -c "$T/dovecot.conf"
        DOVECOT=$TB_SPAWNED_PID
        tb_wait_for 10 sh -c "ss -Hltn | grep -q '$SRV4:143 '" || { cat "$T/dovecot.out" >&2; tb_die "dovecot did not listen"; }
        tb_log "dovecot up (auth_verbose=$1)"
}

# ---- postfix: private /etc/postfix, queue and data directories
mkdir -p "$T/postfix"
cp -a /etc/postfix/. "$T/postfix/"
mount --bind "$T/postfix" /etc/postfix
mkdir -p /var/lib/postfix
mount -t tmpfs -o mode=0755 tmpfs /var/lib/postfix
chown postfix:postfix /var/lib/postfix
cat >/etc/postfix/main.cf <<EOF
compatibility_level = 3.6
myhostname = mx.example.test
mydomain = example.test
mydestination = \$myhostname, localhost
inet_interfaces = $SRV4, [$SRV6], 127.0.0.1
inet_protocols = all
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP
alias_maps =
alias_database =
local_recipient_maps = unix:passwd.byname
biff = no
smtpd_helo_required = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_tls_security_level = none
smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname
smtpd_sender_restrictions = reject_non_fqdn_sender
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access inline:{ {rbl-me@mx.example.test = reject_rbl_client rbl.test} }
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 3
smtpd_hard_error_limit = 5
postscreen_dnsbl_sites = rbl.test*3
postscreen_dnsbl_threshold = 2
postscreen_dnsbl_action = enforce
postscreen_greet_action = enforce
postscreen_greet_wait = 2s
EOF
# no chroot (the daemons then need no copies of /etc files); postscreen on port 2525
postconf -F '*/*/chroot = n'
postconf -M "$SRV4:2525/inet=$SRV4:2525 inet n - n - 1 postscreen"
postconf -M "smtpd/pass=smtpd pass - - n - - smtpd"
postconf -M "dnsblog/unix=dnsblog unix - - n - 0 dnsblog"
postconf -M "tlsproxy/unix=tlsproxy unix - - n - 0 tlsproxy"
postfix check >"$T/postfix-check.log" 2>&1 || { cat "$T/postfix-check.log" >&2; tb_die "postfix check"; }
PFIX=
postfix_start() {
        tb_spawn postfix@-.service "$T/postfix.out" /usr/lib/postfix/sbin/master -d
        PFIX=$TB_SPAWNED_PID
        tb_wait_for 10 sh -c "ss -Hltn | grep -q '$SRV4:25 '" || { cat "$T/postfix.out" >&2; tb_die "postfix did not listen"; }
        tb_log "postfix up"
}

CORPUS_PORTS="25 2525 143 110"

SW=(timeout 20 swaks --silent 2 --helo attacker.example.test --from probe@attacker.example.test)
imap_login() { # ADDR USER PASSWORD [TRIES] [logout|drop]
        atk timeout 20 python3 -c "
import imaplib, sys
a, u, p, n, end = sys.argv[1:]
c = imaplib.IMAP4(a, 143, timeout=30)
for i in range(int(n)):
    try:
        c.login(u, p)
        break
    except imaplib.IMAP4.error:
        pass
if end == 'logout':
    c.logout()
else:
    c.shutdown()
" "$1" "$2" "$3" "${4:-1}" "${5:-logout}" >/dev/null 2>&1
}
pop_login() { # ADDR USER PASSWORD [TRIES]
        atk timeout 20 python3 -c "
import poplib, sys
a, u, p, n = sys.argv[1:]
c = poplib.POP3(a, 110, timeout=30)
for i in range(int(n)):
    try:
        c.user(u); c.pass_(p)
        break
    except poplib.error_proto:
        pass
c.quit()
" "$1" "$2" "$3" "${4:-1}" >/dev/null 2>&1
}

# ================================ dovecot, default logging ====================================
dovecot_start no
postfix_start
corpus_scenario startup - -
corpus_scenario imap-wrong-password $ATK4 alice
imap_login $SRV4 alice wrong
corpus_scenario imap-wrong-password-3 $ATK4 alice
imap_login $SRV4 alice wrong 3
corpus_scenario imap-unknown-user $ATK4 nosuchuser
imap_login $SRV4 nosuchuser wrong
corpus_scenario imap-wrong-password-drop $ATK4 alice
imap_login $SRV4 alice wrong 1 drop
corpus_scenario imap-ipv6 $ATK6 alice
imap_login $SRV6 alice wrong
corpus_scenario imap-ok $ATK4 alice
imap_login $SRV4 alice alice-secret
corpus_scenario imap-connect-only $ATK4 -
corpus_smtp "s, rd, cmd = conv('$SRV4', 143); s.close()"
corpus_scenario imap-inject-user $ATK4 'x>, method=PLAIN, rip=1.2.3.4, lip=1.2.3.4, session=<y'
imap_login $SRV4 '"x>, method=PLAIN, rip=1.2.3.4, lip=1.2.3.4, session=<y"' wrong
corpus_scenario imap-inject-user2 $ATK4 '1.2.3.4'
imap_login $SRV4 '1.2.3.4' wrong
corpus_scenario pop3-wrong-password $ATK4 alice
pop_login $SRV4 alice wrong
corpus_scenario pop3-wrong-password-2 $ATK6 alice
pop_login $SRV6 alice wrong 2
corpus_scenario pop3-unknown-user $ATK4 nosuchuser
pop_login $SRV4 nosuchuser wrong
corpus_scenario pop3-inject-user $ATK6 'x rip=1.2.3.4, lip=1.2.3.4'
pop_login $SRV6 'x rip=1.2.3.4, lip=1.2.3.4' wrong
corpus_scenario pop3-ok $ATK4 alice
pop_login $SRV4 alice alice-secret

# ================================ postfix ====================================================
corpus_scenario smtp-auth-login-wrong $ATK4 alice
atk "${SW[@]}" --server $SRV4 --to alice@mx.example.test --auth LOGIN --auth-user alice --auth-password wrong --quit-after AUTH
corpus_scenario smtp-auth-plain-wrong $ATK4 alice
atk "${SW[@]}" --server $SRV4 --to alice@mx.example.test --auth PLAIN --auth-user alice --auth-password wrong --quit-after AUTH
corpus_scenario smtp-auth-unknown-user-ipv6 $ATK6 nosuchuser
atk "${SW[@]}" --server $SRV6 --to alice@mx.example.test --auth LOGIN --auth-user nosuchuser --auth-password wrong --quit-after AUTH
corpus_scenario smtp-auth-inject-user $ATK4 'unknown[1.2.3.4]: x'
atk "${SW[@]}" --server $SRV4 --to alice@mx.example.test --auth PLAIN --auth-user 'unknown[1.2.3.4]: x' --auth-password wrong --quit-after AUTH
corpus_scenario smtp-auth-ok $ATK4 alice
atk "${SW[@]}" --server $SRV4 --to alice@mx.example.test --auth LOGIN --auth-user alice --auth-password alice-secret --quit-after AUTH
corpus_scenario smtp-auth-3-wrong-one-connection $ATK4 alice
corpus_smtp "
s, rd, cmd = conv('$SRV4'); rd(); cmd('EHLO attacker.example.test')
for i in range(3):
    cmd('AUTH PLAIN ' + base64.b64encode(b'\0alice\0wrong%d' % i).decode())
cmd('QUIT')"
corpus_scenario smtp-auth-aborted $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4'); rd(); cmd('EHLO attacker.example.test'); cmd('AUTH LOGIN'); cmd('*'); cmd('QUIT')"
corpus_scenario smtp-lost-after-auth $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4'); rd(); cmd('EHLO attacker.example.test')
s.sendall(b'AUTH LOGIN\r\n'); rd(); s.close()"
corpus_scenario relay-denied $ATK4 -
atk "${SW[@]}" --server $SRV4 --to victim@elsewhere.test --quit-after RCPT
corpus_scenario relay-denied-ipv6 $ATK6 -
atk "${SW[@]}" --server $SRV6 --to victim@elsewhere.test --quit-after RCPT
corpus_scenario unknown-recipient $ATK4 -
atk "${SW[@]}" --server $SRV4 --to nosuchuser@mx.example.test --quit-after RCPT
corpus_scenario helo-invalid $ATK4 -
atk timeout 20 swaks --silent 2 --helo 'bad_helo' --from probe@attacker.example.test --server $SRV4 --to alice@mx.example.test --quit-after RCPT
corpus_scenario helo-inject $ATK4 -
atk timeout 20 swaks --silent 2 --helo '[1.2.3.4]: x' --from probe@attacker.example.test --server $SRV4 --to victim@elsewhere.test --quit-after RCPT
corpus_scenario sender-inject $ATK4 -
atk timeout 20 swaks --silent 2 --helo attacker.example.test --from 'x@[1.2.3.4]' --server $SRV4 --to 'victim@[1.2.3.4]' --quit-after RCPT
corpus_scenario sender-non-fqdn $ATK4 -
atk timeout 20 swaks --silent 2 --helo attacker.example.test --from 'probe' --server $SRV4 --to alice@mx.example.test --quit-after RCPT
corpus_scenario rbl-smtpd $ATK4 -
atk "${SW[@]}" --server $SRV4 --to rbl-me@mx.example.test --quit-after RCPT
corpus_scenario accepted-mail $ATK4 -
atk "${SW[@]}" --server $SRV4 --to alice@mx.example.test --quit-after RCPT
corpus_scenario pipelining $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4'); s.sendall(b'EHLO x.example.test\r\nMAIL FROM:<a@b.test>\r\n'); time.sleep(1); s.close()"
corpus_scenario non-smtp $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4'); rd(); s.sendall(b'GET / HTTP/1.1\r\nHost: 10.77.0.1\r\n\r\n'); time.sleep(1); s.close()"
corpus_scenario too-many-errors $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4'); rd()
for i in range(6): cmd('FOO%d' % i)
s.close()"
corpus_scenario lost-after-connect $ATK6 -
corpus_smtp "
s, rd, cmd = conv('$SRV6'); rd(); s.close()"
corpus_scenario lost-after-ehlo $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4'); rd(); cmd('EHLO attacker.example.test'); s.close()"
corpus_scenario postscreen-pregreet $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4', 2525); s.sendall(b'EHLO x.example.test\r\n'); time.sleep(3); s.close()"
corpus_scenario postscreen-dnsbl $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4', 2525); rd(); cmd('EHLO attacker.example.test'); cmd('MAIL FROM:<a@attacker.example.test>'); cmd('RCPT TO:<alice@mx.example.test>'); cmd('QUIT')"

# ================================ dovecot, auth_verbose=yes ==================================
dovecot_start yes
corpus_scenario verbose-imap-wrong-password $ATK4 alice
imap_login $SRV4 alice wrong
corpus_scenario verbose-imap-unknown-user $ATK6 nosuchuser
imap_login $SRV6 nosuchuser wrong
corpus_scenario verbose-imap-inject-user $ATK4 'a,1.2.3.4,<x>): unknown user'
imap_login $SRV4 '"a,1.2.3.4,<x>): unknown user"' wrong
corpus_scenario verbose-pop3-wrong-password $ATK4 alice
pop_login $SRV4 alice wrong
corpus_scenario verbose-smtp-auth-wrong $ATK4 alice
atk "${SW[@]}" --server $SRV4 --to alice@mx.example.test --auth LOGIN --auth-user alice --auth-password wrong --quit-after AUTH

# ================================ forged entries =============================================
corpus_scenario forged - -
tb_spawn cron.service "$T/forge.log" python3 -c '
import syslog, time
syslog.openlog("postfix/smtpd", syslog.LOG_PID, syslog.LOG_MAIL)
syslog.syslog(syslog.LOG_WARNING, "warning: unknown[10.77.0.99]: SASL LOGIN authentication failed: authentication failure")
syslog.openlog("dovecot", 0, syslog.LOG_MAIL)
syslog.syslog(syslog.LOG_INFO, "imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<root>, method=PLAIN, rip=10.77.0.99, lip=10.77.0.1, session=<AAAAAAAAAAA>")
time.sleep(2)'
sleep 2.5
corpus_scenario end - -
corpus_settle 1
kill "$PFIX" "$DOVECOT"; wait "$PFIX" "$DOVECOT" 2>/dev/null
sleep 0.5
corpus_export
exit 0

#__ANNOTATE__
# Annotation: ALL.export POSTFIX.export DOVECOT.export.  Keeps each service's entries unchanged and
# adds PORTCULLIS_SCENARIO and the expectations.  The kind of a message is recognised by the plain
# string tests below (independent of filters/*.conf); address and user come from the scenario marker
# that precedes the entry.  An unknown message is an error: look at it, decide, add it to a table.
from corpus_export import annotate, has, read_export, starts
import sys

# (test, modes that count it, check the user?)
POSTFIX = {
    "units": ("postfix@-.service",), "idents": ("postfix/",),
    "aggressive_all": True,
    "modes": ["normal", "sasl", "rbl", "aggressive"],
    "kinds": [
        (lambda m: m.startswith("warning: ") and " authentication failed: " in m and ": SASL " in m,
         {"normal", "sasl", "aggressive"}, True),
        (lambda m: m.startswith("warning: ") and m.endswith(" authentication aborted"), {"aggressive"}, False),
        (lambda m: ": reject: " in m and " blocked using " in m, {"rbl", "aggressive"}, False),
        (lambda m: m.startswith("NOQUEUE: reject: ") and ": 5" in m, {"normal", "aggressive"}, False),
        (starts("lost connection after AUTH from "), {"aggressive"}, False),
        (starts("too many errors after "), {"aggressive"}, False),
        (starts("improper command pipelining after "), {"aggressive"}, False),
        (starts("warning: non-SMTP command from "), {"aggressive"}, False),
        (starts("PREGREET "), {"aggressive"}, False),
        # never a failure
        (starts("lost connection after "), set(), False),
        (starts("connect from "), set(), False),
        (starts("disconnect from "), set(), False),
        (has(": client="), set(), False),
        (starts("warning: hostname "), set(), False),
        (starts("CONNECT from "), set(), False),
        (starts("DISCONNECT "), set(), False),
        (starts("DNSBL rank "), set(), False),
        (starts("HANGUP after "), set(), False),
        (starts("addr "), set(), False),
        (starts("cache "), set(), False),
        (starts("daemon started "), set(), False),
        (starts("statistics: "), set(), False),
        (starts("fatal: master_sigdeath"), set(), False),
    ],
}
DOVECOT = {
    "units": ("dovecot.service",), "idents": ("dovecot", "auth"),
    "modes": ["normal", "auth"],
    "kinds": [
        (lambda m: "-login: " in m and "(auth failed, " in m, {"normal"}, True),
        (lambda m: m.endswith("): Password mismatch") or m.endswith("): unknown user") or
         "): pam_authenticate() failed: " in m, {"auth"}, True),
        (lambda m: m.startswith("auth: ") and "): Username character disallowed by auth_username_chars: " in m,
         {"auth"}, False),
        (starts("pam_unix(dovecot:auth): "), set(), False),
        (lambda m: "-login: " in m and "(no auth attempts " in m, set(), False),
        (lambda m: "-login: Login: " in m, set(), False),
        (lambda m: ": Disconnected: Logged out " in m, set(), False),
        (starts("master: "), set(), False),
        (starts("auth: Error: auth client "), set(), False),
    ],
}


entries = read_export(sys.argv[1])
annotate(entries, POSTFIX, sys.argv[2])
annotate(entries, DOVECOT, sys.argv[3])
