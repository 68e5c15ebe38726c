#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Collects REAL journal entries of Exim (exim4-daemon-light) and Courier IMAP/POP3 (courier-imap,
# courier-pop, courier-authdaemon) for the filter corpora
# tests/data/filters/{exim,courier}/real-*.export.
#
# These packages conflict with the Postfix/Dovecot packages the other corpora need (one MTA, one
# IMAP server per host), so they are NOT installed: the host side fetches the Debian packages with
# `apt-get download` and unpacks them with dpkg-deb -x into a temporary directory; inside the
# namespaces, read-only overlay mounts put them over /usr and /etc, so the daemons run from their
# real paths (/usr/sbin/exim4, /usr/sbin/courierlogger, ...) and journald records those as _EXE.
# The host is not modified.
#
# Uses tests/lib/harness.sh: private mount/PID/cgroup/network namespaces, a private journald, the
# daemons in /system.slice/UNIT (exim4.service, courier-imap.service, courier-pop.service,
# courier-authdaemon.service: the unit names of Debian 12) and an "attacker" network namespace
# (10.77.0.2, fd00:77::2).  The user alice (password alice-secret) is added to private copies of
# /etc/passwd and /etc/shadow (in the /etc overlay).
#
# Each scenario is announced by a marker entry (SYSLOG_IDENTIFIER=corpus-scenario) naming the
# attacker address and user; the annotation step at the end of this file keeps the entries of each
# service and adds PORTCULLIS_EXPECT* from its own table of message kinds (plain string tests,
# written independently of the filters).
#
# usage: sudo tools/collect-mail2-corpus.sh
#   writes tests/data/filters/exim/real-exim-VER.export and .../courier/real-courier-VER.export
#   CORPUS_RAW=FILE also keeps the unannotated export.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
TB_NAME=collect-mail2-corpus
# shellcheck source=../tests/lib/harness.sh
. "$src/tests/lib/harness.sh"
# shellcheck source=lib/corpus.sh
. "$here/lib/corpus.sh"

PKGS="exim4-daemon-light exim4-base libidn12 courier-imap courier-pop courier-base courier-authlib
      courier-authdaemon libcourier-unicode4 libltdl7 libgamin0"

if [ -z "${TB_IN_NS:-}" ]; then
        for p in swaks python3 journalctl apt-get dpkg-deb; do
                command -v "$p" >/dev/null || tb_die "missing $p"
        done
        out=$(mktemp -d "${TMPDIR:-/tmp}/mail2-corpus.XXXXXX") || tb_die mktemp
        chmod 0755 "$out"
        # shellcheck disable=SC2086
        corpus_fetch_debs "$out" $PKGS
        CORPUS_OUT=$out TB_TIMEOUT=${TB_TIMEOUT:-300} tb_run_ns --net -- "$@"
        rc=$?
        [ "$rc" = 0 ] && [ -s "$out/all.export" ] || { rm -rf "$out"; tb_die "collection failed (status $rc)"; }
        [ -n "${CORPUS_RAW:-}" ] && cp "$out/all.export" "$CORPUS_RAW"
        ex=$(corpus_deb_version "$out" exim4-daemon-light)
        co=$(corpus_deb_version "$out" courier-imap)
        mkdir -p "$src/tests/data/filters/exim" "$src/tests/data/filters/courier"
        corpus_annotate "$0" "$out/all.export" \
                "$src/tests/data/filters/exim/real-exim-$ex.export" \
                "$src/tests/data/filters/courier/real-courier-imap-$co.export" || { rm -rf "$out"; tb_die "annotation failed"; }
        rm -rf "$out"
        exit 0
fi

# ---------------------------------------------------------------------------------------------
# Inside the namespaces.
T=$TB_TMP
R=$CORPUS_OUT/root
tb_private_fs
tb_private_dev
# the unpacked packages over /usr and /etc (read-only below, private upper layer for /etc)
corpus_overlay "$R"
tb_journald_start
tb_net_setup
atk() { tb_attacker "$@"; }
SRV4=$TB_SRV4 SRV6=$TB_SRV6 ATK4=$TB_ATK4 ATK6=$TB_ATK6

# users: alice (password alice-secret); Debian-exim and courier (the packages' postinst would add them)
mkdir -p "$T/home/alice"
{
        echo "alice:x:2001:2001:corpus user:$T/home/alice:/bin/sh"
        echo "Debian-exim:x:2002:2002::/var/spool/exim4:/usr/sbin/nologin"
        echo "courier:x:2003:2003::/var/lib/courier:/usr/sbin/nologin"
} >>/etc/passwd
printf 'alice:x:2001:\nDebian-exim:x:2002:\ncourier:x:2003:\n' >>/etc/group
echo "alice:$(python3 -c 'import crypt; print(crypt.crypt("alice-secret", crypt.mksalt(crypt.METHOD_SHA512)))' 2>/dev/null):19000:0:99999:7:::" >>/etc/shadow
chown -R alice:alice "$T/home/alice"
echo "nameserver 127.0.0.1" >/etc/resolv.conf
printf '127.0.0.1 localhost\n10.77.0.2 attacker.example.test\n10.77.0.1 mx.example.test\n' >/etc/hosts
printf 'hosts: files\n' >"$T/nsswitch.hosts"
sed -i 's/^hosts:.*/hosts: files/' /etc/nsswitch.conf

# ---- exim: Debian's binary, our /etc/exim4/exim4.conf (its compiled-in path), syslog only
mkdir -p /etc/exim4 "$T/exim-spool" "$T/exim-mail"
chown Debian-exim:Debian-exim "$T/exim-spool"
chmod 1777 "$T/exim-mail"
cat >/etc/exim4/exim4.conf <<EOF
primary_hostname = mx.example.test
domainlist local_domains = mx.example.test
spool_directory = $T/exim-spool
log_file_path = syslog
syslog_timestamp = false
daemon_smtp_ports = 25
local_interfaces = <; $SRV4 ; $SRV6
host_lookup = $ATK4
rfc1413_hosts =
keep_environment =
smtp_accept_max_nonmail = 5
smtp_max_synprot_errors = 3
tls_advertise_hosts =
auth_advertise_hosts = *
acl_smtp_rcpt = acl_rcpt
acl_smtp_mail = acl_mail
acl_smtp_connect = acl_connect

begin acl
# a short pause before the greeting: exim then sees clients that talk first
acl_connect:
  accept delay = 1s
acl_mail:
  accept
acl_rcpt:
  accept  authenticated = *
  deny    message = relay not permitted
          !domains = +local_domains
  require verify = recipient
  require verify = sender
  accept

begin routers
localuser:
  driver = accept
  check_local_user
  transport = local_delivery

begin transports
local_delivery:
  driver = appendfile
  file = $T/exim-mail/\$local_part

begin authenticators
plain_server:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and {{eq{\$auth2}{alice}}{eq{\$auth3}{alice-secret}}}}
  server_set_id = \$auth2
login_server:
  driver = plaintext
  public_name = LOGIN
  server_prompts = <| Username: | Password:
  server_condition = \${if and {{eq{\$auth1}{alice}}{eq{\$auth2}{alice-secret}}}}
  server_set_id = \$auth1
EOF
/usr/sbin/exim4 -bV >"$T/exim-bV.log" 2>&1 || { cat "$T/exim-bV.log" >&2; tb_die "exim config"; }
# Debian 12 ships only an init script: systemd-sysv-generator names the unit exim4.service
tb_spawn exim4.service "$T/exim.out" /usr/sbin/exim4 -bdf -q30m
EXIM=$TB_SPAWNED_PID
tb_wait_for 10 sh -c "ss -Hltn | grep -q '$SRV4:25 '" || { cat "$T/exim.out" >&2; tb_die "exim did not listen"; }
tb_log "exim up"

# ---- courier: authdaemond (PAM), imapd and pop3d through couriertcpd + courierlogger
mkdir -p /run/courier/authdaemon /var/lib/courier
sed -i 's/^ADDRESS=.*/ADDRESS=0/' /etc/courier/imapd /etc/courier/pop3d
su -s /bin/sh alice -c "/usr/bin/maildirmake $T/home/alice/Maildir" 2>/dev/null ||
        mkdir -p "$T/home/alice/Maildir/cur" "$T/home/alice/Maildir/new" "$T/home/alice/Maildir/tmp"
chown -R alice:alice "$T/home/alice"
tb_spawn courier-authdaemon.service "$T/authdaemon.out" /usr/sbin/authdaemond start
tb_wait_for 10 test -S /run/courier/authdaemon/socket || { cat "$T/authdaemon.out" >&2; journalctl --no-pager -n 20 >&2; tb_die "authdaemond"; }
tb_spawn courier-imap.service "$T/imapd.out" /usr/sbin/imapd start
tb_spawn courier-pop.service "$T/pop3d.out" /usr/sbin/pop3d start
tb_wait_for 10 sh -c "ss -Hltn | grep -q ':143 '" || { cat "$T/imapd.out" >&2; tb_die "courier imapd did not listen"; }
tb_wait_for 10 sh -c "ss -Hltn | grep -q ':110 '" || { cat "$T/pop3d.out" >&2; tb_die "courier pop3d did not listen"; }
tb_log "courier up"

CORPUS_PORTS="25 143 110"

SW=(timeout 20 swaks --silent 2 --helo attacker.example.test --from probe@attacker.example.test)
corpus_scenario startup - -
# ================================ exim =======================================================
corpus_scenario smtp-auth-login-wrong $ATK4 alice
atk "${SW[@]}" --server $SRV4 --to alice@mx.example.test --auth LOGIN --auth-user alice --auth-password wrong --quit-after AUTH
corpus_scenario smtp-auth-plain-wrong $ATK4 alice
atk "${SW[@]}" --server $SRV4 --to alice@mx.example.test --auth PLAIN --auth-user alice --auth-password wrong --quit-after AUTH
corpus_scenario smtp-auth-unknown-user-ipv6 $ATK6 nosuchuser
atk "${SW[@]}" --server $SRV6 --to alice@mx.example.test --auth LOGIN --auth-user nosuchuser --auth-password wrong --quit-after AUTH
corpus_scenario smtp-auth-inject-user $ATK4 'x) [1.2.3.4]: 535 y'
atk "${SW[@]}" --server $SRV4 --to alice@mx.example.test --auth PLAIN --auth-user 'x) [1.2.3.4]: 535 y' --auth-password wrong --quit-after AUTH
corpus_scenario smtp-auth-inject-helo $ATK4 alice
atk timeout 20 swaks --silent 2 --helo '[1.2.3.4]' --from probe@attacker.example.test --server $SRV4 --to alice@mx.example.test --auth PLAIN --auth-user alice --auth-password wrong --quit-after AUTH
corpus_scenario smtp-auth-ok $ATK4 alice
atk "${SW[@]}" --server $SRV4 --to alice@mx.example.test --auth LOGIN --auth-user alice --auth-password alice-secret --quit-after AUTH
corpus_scenario smtp-auth-3-wrong-one-connection $ATK6 alice
corpus_smtp "
s, rd, cmd = conv('$SRV6'); rd(); cmd('EHLO attacker.example.test')
for i in range(3):
    cmd('AUTH PLAIN ' + base64.b64encode(b'\0alice\0wrong%d' % i).decode())
cmd('QUIT')"
corpus_scenario smtp-auth-aborted $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4'); rd(); cmd('EHLO attacker.example.test'); cmd('AUTH LOGIN'); cmd('*'); cmd('QUIT')"
corpus_scenario smtp-auth-bad-base64 $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4'); rd(); cmd('EHLO attacker.example.test'); cmd('AUTH PLAIN !!!notbase64'); cmd('QUIT')"
corpus_scenario smtp-auth-unknown-mech $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4'); rd(); cmd('EHLO attacker.example.test'); cmd('AUTH CRAM-MD5'); cmd('QUIT')"
corpus_scenario relay-denied $ATK4 -
atk "${SW[@]}" --server $SRV4 --to victim@elsewhere.test --quit-after RCPT
corpus_scenario relay-denied-ipv6 $ATK6 -
atk "${SW[@]}" --server $SRV6 --to victim@elsewhere.test --quit-after RCPT
corpus_scenario relay-denied-inject-helo $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4'); rd(); cmd('EHLO [1.2.3.4]'); cmd('MAIL FROM:<x@[1.2.3.4]>'); cmd('RCPT TO:<victim@elsewhere.test>'); cmd('QUIT')"
corpus_scenario unknown-recipient $ATK4 -
atk "${SW[@]}" --server $SRV4 --to nosuchuser@mx.example.test --quit-after RCPT
corpus_scenario sender-verify-fail $ATK4 -
atk timeout 20 swaks --silent 2 --helo attacker.example.test --from nobody@mx.example.test --server $SRV4 --to alice@mx.example.test --quit-after RCPT
corpus_scenario helo-invalid $ATK4 -
atk timeout 20 swaks --silent 2 --helo 'bad_helo!' --from probe@attacker.example.test --server $SRV4 --to alice@mx.example.test --quit-after RCPT
corpus_scenario helo-invalid-inject $ATK6 -
corpus_smtp "
s, rd, cmd = conv('$SRV6'); rd(); cmd('EHLO x [1.2.3.4]'); cmd('QUIT')"
corpus_scenario pipelining-before-greeting $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4'); s.sendall(b'EHLO x.example.test\r\nMAIL FROM:<a@b.test>\r\n'); time.sleep(1); s.close()"
corpus_scenario too-many-nonmail $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4'); rd(); cmd('EHLO attacker.example.test')
for i in range(8): cmd('NOOP')
s.close()"
corpus_scenario too-many-syntax-errors $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4'); rd(); cmd('EHLO attacker.example.test')
for i in range(5): cmd('MAIL FROM:<<bad%d' % i)
s.close()"
corpus_scenario non-smtp $ATK4 -
corpus_smtp "
s, rd, cmd = conv('$SRV4'); rd(); s.sendall(b'GET / HTTP/1.1\r\nHost: 10.77.0.1\r\n\r\n'); time.sleep(1); s.close()"
corpus_scenario lost-after-ehlo $ATK6 -
corpus_smtp "
s, rd, cmd = conv('$SRV6'); rd(); cmd('EHLO attacker.example.test'); s.close()"
corpus_scenario delivery-ok $ATK4 -
atk timeout 20 swaks --silent 2 --helo attacker.example.test --from alice@mx.example.test --server $SRV4 --to alice@mx.example.test

# ================================ courier ====================================================
corpus_scenario imap-wrong-password $ATK4 alice
corpus_imap_login $SRV4 alice wrong
corpus_scenario imap-wrong-password-3 $ATK4 alice
corpus_imap_login $SRV4 alice wrong 3
corpus_scenario imap-unknown-user-ipv6 $ATK6 nosuchuser
corpus_imap_login $SRV6 nosuchuser wrong
corpus_scenario imap-authenticate-wrong $ATK4 alice
corpus_imap_login $SRV4 alice wrong 1 authenticate
corpus_scenario imap-inject-user $ATK4 'x, ip=[1.2.3.4]'
corpus_imap_login $SRV4 '"x, ip=[1.2.3.4]"' wrong
corpus_scenario imap-ok $ATK4 alice
corpus_imap_login $SRV4 alice alice-secret
corpus_scenario imap-connect-only $ATK4 -
corpus_smtp "s, rd, cmd = conv('$SRV4', 143); rd(); s.close()"
corpus_scenario pop3-wrong-password $ATK4 alice
corpus_pop_login $SRV4 alice wrong
corpus_scenario pop3-unknown-user-ipv6 $ATK6 nosuchuser
corpus_pop_login $SRV6 nosuchuser wrong
corpus_scenario pop3-inject-user $ATK4 'x, ip=[1.2.3.4]'
corpus_pop_login $SRV4 'x, ip=[1.2.3.4]' wrong
corpus_scenario pop3-ok $ATK4 alice
corpus_pop_login $SRV4 alice alice-secret

# ================================ forged entries =============================================
corpus_scenario forged - -
tb_spawn cron.service "$T/forge.log" python3 -c '
import syslog, time
syslog.openlog("exim", syslog.LOG_PID, syslog.LOG_MAIL)
syslog.syslog(syslog.LOG_INFO, "login_server authenticator failed for (x) [10.77.0.99]: 535 Incorrect authentication data (set_id=root)")
syslog.openlog("imapd", 0, syslog.LOG_MAIL)
syslog.syslog(syslog.LOG_ERR, "LOGIN FAILED, user=root, ip=[::ffff:10.77.0.99]")
time.sleep(2)'
sleep 2.5
corpus_scenario end - -
corpus_settle 1
kill "$EXIM"
/usr/sbin/imapd stop >/dev/null 2>&1
/usr/sbin/pop3d stop >/dev/null 2>&1
sleep 0.5
corpus_export
exit 0

#__ANNOTATE__
# Annotation: ALL.export EXIM.export COURIER.export.  Keeps each service's entries unchanged and
# adds PORTCULLIS_SCENARIO and the expectations.  The kind of a message is recognised by the plain
# string tests below (independent of filters/*.conf); address and user come from the scenario marker
# that precedes the entry.  An unknown message is an error: look at it, decide, add it to a table.
from corpus_export import annotate, has, read_export, starts
import sys

# (test, modes that count it, check the user?)
EXIM = {
    "units": ("exim4.service",), "idents": ("exim",),
    # a user name that repeats Exim's own text after another address is ambiguous (see
    # filters/exim.conf): never a match
    "never": lambda marker: "]: 535 " in marker["user"],
    "modes": ["normal", "auth", "aggressive"],
    "kinds": [
        (has(" authenticator failed for ", ": 535 "), {"normal", "auth", "aggressive"}, True),
        (has(" authenticator failed for ", ": 501 "), {"aggressive"}, False),
        (has(" rejected RCPT ", "relay not permitted"), {"normal", "aggressive"}, False),
        (has(" rejected RCPT ", "Unrouteable address"), {"normal", "aggressive"}, False),
        (has(" rejected RCPT ", "Sender verify failed"), {"normal", "aggressive"}, False),
        (lambda m: m.startswith(("rejected EHLO from ", "rejected HELO from ")), {"normal", "aggressive"}, False),
        (has("SMTP protocol synchronization error"), {"normal", "aggressive"}, False),
        (has("SMTP protocol error in \"AUTH"), {"aggressive"}, False),
        (has("dropped: too many "), {"aggressive"}, False),
        # never a failure
        (has(" sender verify fail for <"), set(), False),
        (has("unexpected disconnection while reading SMTP command"), set(), False),
        (has("no host name found for IP address"), set(), False),
        (starts("exim "), set(), False),
        (has(" <= "), set(), False),
        (has(" => "), set(), False),
        (has(" == "), set(), False),
        (has("Completed"), set(), False),
        (has("SMTP connection from "), set(), False),
        (has("pid ", "SIGTERM"), set(), False),
        (has("Start queue run"), set(), False),
        (has("End queue run"), set(), False),
    ],
}
COURIER = {
    # authdaemond's lines (its PAM messages) are not read: ident listed, unit not
    "units": ("courier-imap.service", "courier-pop.service"),
    "idents": ("imapd", "pop3d", "authdaemond"),
    "modes": ["normal"],
    "kinds": [
        (starts("LOGIN FAILED, user="), {"normal"}, True),
        (starts("LOGIN FAILED, method="), {"normal"}, False),
        (starts("LOGIN, user="), set(), False),
        (starts("LOGOUT, "), set(), False),
        (starts("Connection, ip="), set(), False),
        (starts("Disconnected, ip="), set(), False),
        (starts("DISCONNECTED, "), set(), False),
        (starts("authdaemond: "), set(), False),
        (starts("pam_unix("), set(), False),
        (has("Installing libauth"), set(), False),
        (has("Installation complete"), set(), False),
        (starts("modules=\""), set(), False),
        (starts("stopping "), set(), False),
        (starts("Stopping "), set(), False),
        (starts("Starting "), set(), False),
        (has(": No such file or directory"), set(), False),
        (starts("failed to find gam_server"), set(), False),
        (starts("Failed to connect to socket /tmp/fam-"), set(), False),
    ],
}


entries = read_export(sys.argv[1])
annotate(entries, EXIM, sys.argv[2])
annotate(entries, COURIER, sys.argv[3])
