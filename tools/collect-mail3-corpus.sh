#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Collects REAL journal entries of Cyrus IMAP (cyrus-imapd, cyrus-pop3d, cyrus-common) for the
# filter corpus tests/data/filters/cyrus-imap/real-cyrus-imapd-VER.export.
#
# As in tools/collect-mail2-corpus.sh, the packages are NOT installed: the host side fetches them
# with `apt-get download` and unpacks them with dpkg-deb -x; inside the namespaces, read-only
# overlay mounts put them over /usr and /etc, so cyrmaster and its services run from their real
# paths (/usr/sbin/cyrmaster, /usr/lib/cyrus/bin/imapd, ...) and journald records those as _EXE.
# sasl2-bin is unpacked too, for saslpasswd2 (the sasldb of the test user).  The host is not
# modified.
#
# Uses tests/lib/harness.sh: private mount/PID/cgroup/network namespaces, a private journald,
# cyrmaster in /system.slice/cyrus-imapd.service (Debian 12's unit name) and an "attacker" network
# namespace (10.77.0.2 = attacker.example.test in the private /etc/hosts, fd00:77::2 unnamed).
# The user alice (password alice-secret) is in a private sasldb (sasl_pwcheck_method: auxprop).
#
# Each scenario is announced by a marker entry (SYSLOG_IDENTIFIER=corpus-scenario) naming the
# attacker address and user; the annotation step at the end of this file keeps the entries of the
# unit and adds PORTCULLIS_EXPECT from its own table of message kinds (plain string tests, written
# independently of filters/cyrus-imap.conf).
#
# usage: sudo tools/collect-mail3-corpus.sh
#   writes tests/data/filters/cyrus-imap/real-cyrus-imapd-VER.export
#   CORPUS_RAW=FILE also keeps the unannotated export.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
TB_NAME=collect-mail3-corpus
# shellcheck source=../tests/lib/harness.sh
. "$src/tests/lib/harness.sh"
# shellcheck source=lib/corpus.sh
. "$here/lib/corpus.sh"

PKGS="cyrus-imapd cyrus-pop3d cyrus-common libclamav12 libical3 libxapian30 libzephyr4 sasl2-bin"

if [ -z "${TB_IN_NS:-}" ]; then
        for p in python3 journalctl apt-get dpkg-deb; do
                command -v "$p" >/dev/null || tb_die "missing $p"
        done
        out=$(mktemp -d "${TMPDIR:-/tmp}/mail3-corpus.XXXXXX") || tb_die mktemp
        chmod 0755 "$out"
        # shellcheck disable=SC2086
        corpus_fetch_debs "$out" $PKGS
        CORPUS_OUT=$out TB_TIMEOUT=${TB_TIMEOUT:-300} tb_run_ns --net -- "$@"
        rc=$?
        [ "$rc" = 0 ] && [ -s "$out/all.export" ] || { rm -rf "$out"; tb_die "collection failed (status $rc)"; }
        [ -n "${CORPUS_RAW:-}" ] && cp "$out/all.export" "$CORPUS_RAW"
        ver=$(corpus_deb_version "$out" cyrus-imapd)
        mkdir -p "$src/tests/data/filters/cyrus-imap"
        corpus_annotate "$0" "$out/all.export" \
                "$src/tests/data/filters/cyrus-imap/real-cyrus-imapd-$ver.export" || { rm -rf "$out"; tb_die "annotation failed"; }
        rm -rf "$out"
        exit 0
fi

# ---------------------------------------------------------------------------------------------
# Inside the namespaces.
T=$TB_TMP
R=$CORPUS_OUT/root
tb_private_fs
tb_private_dev
corpus_overlay "$R"
tb_journald_start
tb_net_setup
atk() { tb_attacker "$@"; }
SRV4=$TB_SRV4 SRV6=$TB_SRV6 ATK4=$TB_ATK4 ATK6=$TB_ATK6

# the cyrus user (cyrus-common's postinst would add it)
echo "cyrus:x:2004:8::/var/spool/cyrus:/usr/sbin/nologin" >>/etc/passwd
printf '127.0.0.1 localhost\n10.77.0.2 attacker.example.test\n10.77.0.1 mx.example.test\n' >/etc/hosts
sed -i 's/^hosts:.*/hosts: files/' /etc/nsswitch.conf

C=$T/cyrus
mkdir -p "$C/lib" "$C/spool" /run/cyrus/socket /run/cyrus/proc /run/cyrus/lock
cat >/etc/imapd.conf <<EOF
configdirectory: $C/lib
proc_path: /run/cyrus/proc
mboxname_lockpath: /run/cyrus/lock
defaultpartition: default
partition-default: $C/spool
sievedir: $C/sieve
servername: mx.example.test
allowplaintext: yes
allowanonymouslogin: no
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $C/sasldb2
sasl_mech_list: PLAIN LOGIN
lmtpsocket: /run/cyrus/socket/lmtp
idlesocket: /run/cyrus/socket/idle
notifysocket: /run/cyrus/socket/notify
syslog_prefix: cyrus
popminpoll: 0
EOF
cat >/etc/cyrus.conf <<EOF
START {
        recover         cmd="/usr/sbin/cyrus ctl_cyrusdb -r"
}
SERVICES {
        imap            cmd="imapd -U 30" listen="imap" prefork=0 maxchild=100
        pop3            cmd="pop3d -U 30" listen="pop3" prefork=0 maxchild=50
}
EVENTS {
        checkpoint      cmd="/usr/sbin/cyrus ctl_cyrusdb -c" period=30
}
EOF
echo alice-secret | saslpasswd2 -p -f "$C/sasldb2" -u mx.example.test -c alice || tb_die saslpasswd2
# the directory tree cyrus-common's postinst makes
/usr/lib/cyrus/bin/makedirs >"$T/makedirs.log" 2>&1 || { cat "$T/makedirs.log" >&2; tb_die makedirs; }
chown -R cyrus:mail "$C" /run/cyrus
chmod 0640 "$C/sasldb2"
# Debian 12's unit: ExecStart=/usr/sbin/cyrmaster -l $LISTENQUEUE -C $CONF -M $MASTERCONF
tb_spawn cyrus-imapd.service "$T/cyrmaster.out" /usr/sbin/cyrmaster -l 32 -C /etc/imapd.conf -M /etc/cyrus.conf
MASTER=$TB_SPAWNED_PID
tb_wait_for 15 sh -c "ss -Hltn | grep -q ':143 '" || { cat "$T/cyrmaster.out" >&2; journalctl --no-pager -n 30 >&2; tb_die "imapd did not listen"; }
tb_wait_for 15 sh -c "ss -Hltn | grep -q ':110 '" || { cat "$T/cyrmaster.out" >&2; tb_die "pop3d did not listen"; }
tb_log "cyrus up"

CORPUS_PORTS="143 110"
raw() { # raw PYTHON: a raw dialogue from the attacker (conv(host, port) -> socket, rd, cmd)
        atk timeout 60 python3 -c "
import socket, time, base64
def conv(host, port):
    s = socket.create_connection((host, port), timeout=20)
    f = s.makefile('rb')
    def rd():
        return f.readline()
    def cmd(c):
        s.sendall(c.encode() + b'\r\n'); return rd()
    return s, rd, cmd
$1" >/dev/null 2>&1
}
corpus_scenario startup - -
corpus_scenario imap-login-wrong $ATK4 alice
corpus_imap_login $SRV4 alice wrong
corpus_scenario imap-login-wrong-3 $ATK4 alice
corpus_imap_login $SRV4 alice wrong 3
corpus_scenario imap-unknown-user-ipv6 $ATK6 nosuchuser
corpus_imap_login $SRV6 nosuchuser wrong
corpus_scenario imap-authenticate-wrong $ATK4 alice
corpus_imap_login $SRV4 alice wrong 1 authenticate
corpus_scenario imap-authenticate-wrong-ipv6 $ATK6 alice
corpus_imap_login $SRV6 alice wrong 1 authenticate
corpus_scenario imap-authenticate-login-wrong $ATK4 alice
raw "
s, rd, cmd = conv('$SRV4', 143); rd(); cmd('a AUTHENTICATE LOGIN'); cmd(base64.b64encode(b'alice').decode()); cmd(base64.b64encode(b'wrong').decode()); cmd('b LOGOUT')"
corpus_scenario imap-authenticate-cancel $ATK4 -
raw "
s, rd, cmd = conv('$SRV4', 143); rd(); cmd('a AUTHENTICATE PLAIN'); cmd('*'); cmd('b LOGOUT')"
corpus_scenario imap-inject-user $ATK4 'x [1.2.3.4] plaintext (y'
corpus_imap_login $SRV4 '"x [1.2.3.4] plaintext (y"' wrong
corpus_scenario imap-inject-user-2 $ATK6 'badlogin: [1.2.3.4]'
corpus_imap_login $SRV6 '"badlogin: [1.2.3.4]"' wrong
corpus_scenario imap-inject-user-3 $ATK4 'u) [x] 1.2.3.4 [1.2.3.4'
corpus_imap_login $SRV4 '"u) [x] 1.2.3.4 [1.2.3.4"' wrong
corpus_scenario imap-anonymous-refused $ATK4 -
corpus_imap_login $SRV4 anonymous guest@example.test
corpus_scenario imap-ok $ATK4 alice
corpus_imap_login $SRV4 alice alice-secret
corpus_scenario imap-ok-ipv6 $ATK6 alice
corpus_imap_login $SRV6 alice alice-secret
corpus_scenario imap-connect-only $ATK4 -
raw "s, rd, cmd = conv('$SRV4', 143); rd(); s.close()"
corpus_scenario imap-garbage $ATK4 -
raw "s, rd, cmd = conv('$SRV4', 143); rd(); cmd('GET / HTTP/1.0'); cmd(''); s.close()"
corpus_scenario pop3-wrong $ATK4 alice
corpus_pop_login $SRV4 alice wrong
corpus_scenario pop3-unknown-user-ipv6 $ATK6 nosuchuser
corpus_pop_login $SRV6 nosuchuser wrong
corpus_scenario pop3-auth-plain-wrong $ATK4 alice
raw "
s, rd, cmd = conv('$SRV4', 110); rd(); cmd('AUTH PLAIN ' + base64.b64encode(b'\0alice\0wrong').decode()); cmd('QUIT')"
corpus_scenario pop3-inject-user $ATK4 'x [1.2.3.4] plaintext (y'
corpus_pop_login $SRV4 'x [1.2.3.4] plaintext (y' wrong
corpus_scenario pop3-ok $ATK4 alice
corpus_pop_login $SRV4 alice alice-secret

# ================================ forged entries =============================================
corpus_scenario forged - -
tb_spawn cron.service "$T/forge.log" python3 -c '
import syslog, time
syslog.openlog("cyrus/imap", syslog.LOG_PID, syslog.LOG_MAIL)
syslog.syslog(syslog.LOG_NOTICE, "badlogin: [10.77.0.99] plaintext (root) [SASL(-13): authentication failure: checkpass failed]")
syslog.openlog("cyrus/pop3", syslog.LOG_PID, syslog.LOG_MAIL)
syslog.syslog(syslog.LOG_NOTICE, "badlogin: [10.77.0.99] plaintext (root) [SASL(-13): authentication failure: checkpass failed]")
time.sleep(2)'
sleep 2.5
corpus_scenario end - -
corpus_settle 1
kill "$MASTER"
sleep 1
corpus_export
exit 0

#__ANNOTATE__
# Annotation: ALL.export OUT.export.  Keeps the entries of cyrus-imapd.service (and forged ones:
# a cyrus/ identifier from another unit) unchanged and adds PORTCULLIS_SCENARIO and the
# expectation.  The kind of a message is recognised by the plain string tests below (independent
# of filters/cyrus-imap.conf); address and user come from the scenario marker that precedes the
# entry.  An unknown message is an error: look at it, decide, add it to the table.
from corpus_export import annotate, read_export, starts
import sys

UNITS = ("cyrus-imapd.service",)
IDENT = "cyrus/"
# (prefix, counts?)
KINDS = [
    ("badlogin: ", True),
    ("login: ", False),
    ("SASL ", False),
    ("USAGE ", False),
    ("counts: ", False),
    ("autocreateinbox: ", False),
    ("graceful shutdown", False),
    ("attempting clean shutdown", False),
    ("All children have exited", False),
    ("skiplist: ", False),
    ("recovering cyrus databases", False),
    ("done recovering cyrus databases", False),
    ("checkpointing cyrus databases", False),
    ("done checkpointing cyrus databases", False),
    ("process type:", False),
    ("ready for work", False),
    ("executed", False),
]


CYRUS = {
    "units": UNITS, "idents": (IDENT,), "modes": ["normal"],
    "kinds": [(starts(prefix), {"normal"} if counts else set(), True) for prefix, counts in KINDS],
}
annotate(read_export(sys.argv[1]), CYRUS, sys.argv[2])
