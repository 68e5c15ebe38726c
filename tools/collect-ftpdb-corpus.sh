#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Collects REAL journal entries of FTP, DNS and database servers for the filter corpora
#   tests/data/filters/{vsftpd,proftpd,pure-ftpd,named-refused,mariadb,postgresql}/real-*.export
#
# Uses tests/lib/harness.sh: fresh mount/PID/cgroup/network namespaces, a private journald, each
# daemon in the cgroup /system.slice/UNIT (journald then adds _SYSTEMD_UNIT= like on a real host) and
# an "attacker" network namespace joined by a veth pair (10.77.0.0/24, fd00:77::/64).  /etc/passwd,
# /etc/shadow and /etc/group are private copies (bind mounts) that add the user alice; proftpd and
# pure-ftpd conflict with vsftpd as Debian packages, so their .debs are unpacked into a directory and
# overlaid read-only on /usr/sbin, /usr/lib and /etc/pam.d inside the mount namespace only (their
# _EXE is then /usr/sbin/proftpd etc. as on a real host).  The host is not modified.
#
# Every attack comes from the attacker addresses 10.77.0.2 / fd00:77::2; user names that carry an
# injected address use 1.2.3.4 or 2001:db8::66.  The annotation step (python, below) keeps only the
# service's own entries and marks an entry "match host=ATTACKER" when its message is one of the
# failure kinds listed in its table (written from the programs' documentation, independent of the
# filters), else "nomatch".
#
# usage: tools/collect-ftpdb-corpus.sh [SERVICE...]   (default: all; run as root)
#   SERVICE: vsftpd proftpd pure-ftpd named mariadb postgresql
#   FTPDB_DEBS: directory with proftpd-core, pure-ftpd, pure-ftpd-common .debs (else apt-get download)
set -u
TB_NAME=collect-ftpdb
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
# shellcheck source=../tests/lib/harness.sh
. "$src/tests/lib/harness.sh"

ALL=(vsftpd proftpd pure-ftpd named mariadb postgresql)

if [ -z "${TB_IN_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || tb_die "must run as root"
        for p in vsftpd named dig nsupdate mariadbd mysql psql; do
                command -v "$p" >/dev/null || [ -x "/usr/sbin/$p" ] || tb_die "missing $p"
        done
        debs=${FTPDB_DEBS:-}
        if [ -z "$debs" ]; then
                debs=$(mktemp -d) && chmod 0755 "$debs"
                (cd "$debs" && apt-get download proftpd-core pure-ftpd pure-ftpd-common) || tb_die "apt-get download"
        fi
        FTPDB_ROOT=$(mktemp -d) && chmod 0755 "$FTPDB_ROOT"
        for d in "$debs"/*.deb; do dpkg -x "$d" "$FTPDB_ROOT"; done
        FTPDB_OUT=$(mktemp -d) && chmod 0755 "$FTPDB_OUT"
        FTPDB_DEST=${FTPDB_DEST:-$src/tests/data/filters}
        export FTPDB_ROOT FTPDB_OUT FTPDB_DEST
        TB_TIMEOUT=${TB_TIMEOUT:-900} tb_run_ns --net -- "${@:-${ALL[@]}}"
        rc=$?
        [ "$rc" = 0 ] || { rm -rf "$FTPDB_ROOT" "$FTPDB_OUT"; tb_die "collection failed ($rc)"; }
        for f in "$FTPDB_OUT"/*.export; do
                [ -e "$f" ] || continue
                svc=$(basename "$f" .export)
                python3 - "$f" "$svc" <<'PY' || tb_die "annotation of $svc failed"
import re, struct, sys, subprocess, os
raw, svc = sys.argv[1], sys.argv[2]
ATK = ["10.77.0.2", "fd00:77::2"]
# svc -> (corpus dir, file prefix, version command, unit, failure kinds)
FAIL = {
    "vsftpd": [r'^(?:\[pid \d+\] )?\[.*\] FAIL LOGIN: Client "'],
    "proftpd": [r' - USER .*: no such user found from ',
                r' - USER .* \(Login failed\): ',
                r' - Maximum login attempts \(\d+\) exceeded',
                r' - SECURITY VIOLATION: Root login attempted'],
    "pure-ftpd": [r'\[WARNING\] Authentication failed for user \['],
    "named": [r"^client @0x[0-9a-f]+ \S+#\d+(?: \(.*\))?: (?:view \S+: )?(?:query(?: \(cache\))?|zone transfer|update|updating zone) '.*' (?:denied|REFUSED)"],
    "mariadb": [r"\[Warning\] Access denied for user '.*'@'"],
    "postgresql": [r'^(?:\[\d+-1\] )?[^\[]*\[\d+\] \S+ .*FATAL:  (?:password authentication failed for user "|no pg_hba\.conf entry for host "|pg_hba\.conf rejects connection for host ")'],
}[svc]

def read_export(path):
    data = open(path, "rb").read()
    entries, cur, i = [], [], 0
    while i < len(data):
        j = data.index(b"\n", i)
        line = data[i:j]
        if not line:
            if cur: entries.append(cur); cur = []
            i = j + 1
            continue
        if b"=" in line:
            k, v = line.split(b"=", 1)
            cur.append((k.decode(), v)); i = j + 1
        else:  # binary field: name \n le64 size data \n
            n = struct.unpack("<Q", data[j + 1:j + 9])[0]
            cur.append((line.decode(), data[j + 9:j + 9 + n])); i = j + 9 + n + 1
    if cur: entries.append(cur)
    return entries

def write_field(out, k, v):
    if b"\n" in v or any(c < 32 and c != 9 for c in v):
        out.write(k.encode() + b"\n" + struct.pack("<Q", len(v)) + v + b"\n")
    else:
        out.write(k.encode() + b"=" + v + b"\n")

units = {"vsftpd": "vsftpd.service", "proftpd": "proftpd.service", "pure-ftpd": "pure-ftpd.service",
         "named": "named.service", "mariadb": "mariadb.service", "postgresql": "postgresql@15-main.service"}
out_names = {"named": "named-refused"}
entries = [e for e in read_export(raw) if dict(e).get("_SYSTEMD_UNIT") == units[svc].encode()]
ver = dict(entries[0]).get("PORTCULLIS_VERSION", b"").decode() if entries else ""
vers = {"vsftpd": "vsftpd-3.0.3", "proftpd": "proftpd-1.3.8", "pure-ftpd": "pure-ftpd-1.0.50",
        "named": "bind-9.18", "mariadb": "mariadb-10.11", "postgresql": "postgresql-15"}
dest = os.path.join(os.environ["FTPDB_DEST"], out_names.get(svc, svc), f"real-{vers[svc]}.export")
os.makedirs(os.path.dirname(dest), exist_ok=True)
counts = {}
with open(dest, "wb") as out:
    for e in entries:
        msg = dict(e)["MESSAGE"].decode("utf-8", "backslashreplace")
        exp = "nomatch"
        if any(re.search(p, msg) for p in FAIL):
            hosts = [a for a in ATK if re.search(r"(?<![\w.:])(?:::ffff:)?" + re.escape(a) + r"(?![\w])", msg)]
            if len(hosts) != 1:
                sys.exit(f"{svc}: cannot tell the attacker address in {msg!r}")
            exp = "match host=" + hosts[0]
        counts[exp.split()[0]] = counts.get(exp.split()[0], 0) + 1
        for k, v in e:
            write_field(out, k, v)
        write_field(out, "PORTCULLIS_EXPECT", exp.encode())
        # named-refused: mode normal counts zone transfers only (TCP), aggressive all refusals
        if svc == "named" and exp != "nomatch" and " zone transfer '" not in msg:
            write_field(out, "PORTCULLIS_EXPECT_NORMAL", b"nomatch")
        out.write(b"\n")
print(f"{dest}: {counts}", file=sys.stderr)
PY
        done
        rm -rf "$FTPDB_ROOT" "$FTPDB_OUT"
        exit 0
fi

# ---------------------------------------------------------------------------------------------
# Inside the namespaces.
T=$TB_TMP
R=$FTPDB_ROOT
SRV4=$TB_SRV4 SRV6=$TB_SRV6
tb_private_fs
tb_private_dev
tb_journald_start
tb_net_setup
atk() { tb_attacker "$@"; }

mkdir -p "$T/etc" "$T/home/alice"
cp /etc/passwd /etc/shadow /etc/group "$T/etc/"
echo "alice:x:2001:2001:corpus user:$T/home/alice:/bin/sh" >>"$T/etc/passwd"
echo "alice:x:2001:" >>"$T/etc/group"
echo "alice:$(openssl passwd -6 alice-secret):19000:0:99999:7:::" >>"$T/etc/shadow"
for f in passwd shadow group; do mount --bind "$T/etc/$f" "/etc/$f"; done
chown -R alice:alice "$T/home/alice"
# proftpd / pure-ftpd from the unpacked .debs, visible at their packaged paths
for d in usr/sbin usr/lib etc/pam.d; do
        mount -t overlay overlay -o "lowerdir=/$d:$R/$d" "/$d" || tb_die "overlay /$d"
done

# ftp ADDR USER PASSWORD [TRIES]: login attempts on one control connection (python ftplib)
ftp() {
        atk timeout 30 python3 - "$@" <<'PY' >/dev/null 2>&1
import ftplib, sys
addr, user, pw = sys.argv[1], sys.argv[2], sys.argv[3]
tries = int(sys.argv[4]) if len(sys.argv) > 4 else 1
f = ftplib.FTP()
f.connect(addr, 21, timeout=20)
for _ in range(tries):
    try:
        f.sendcmd("USER " + user)
        f.sendcmd("PASS " + pw)
        break
    except ftplib.error_perm:
        continue
try:
    f.quit()
except Exception:
    f.close()
PY
}
settle() { sleep "${1:-0.5}"; }
export_unit() { # export_unit NAME UNIT
        settle 1
        journalctl --no-pager -o export "_SYSTEMD_UNIT=$2" >"$FTPDB_OUT/$1.export"
        tb_log "$1: $(journalctl --no-pager -q "_SYSTEMD_UNIT=$2" | wc -l) entries"
}
ftp_scenarios() {
        ftp $SRV4 alice wrong-password
        ftp $SRV4 nosuchuser wrong-password 2
        ftp $SRV6 alice wrong-password
        ftp $SRV6 oracle wrong-password
        ftp $SRV4 alice alice-secret
        ftp $SRV4 root wrong-password
        ftp $SRV4 'x from 1.2.3.4' wrong-password
        ftp $SRV4 '1.2.3.4' wrong-password
        ftp $SRV6 '2001:db8::66' wrong-password
        ftp $SRV4 '[1.2.3.4] x") Client "1.2.3.4"' wrong-password
        ftp $SRV4 'a$(id)`id`;b' wrong-password
        ftp $SRV4 alice wrong-password 5
}

run_vsftpd() {
        mkdir -p /run/vsftpd/empty
        cat >"$T/vsftpd.conf" <<EOF
listen=NO
listen_ipv6=YES
background=NO
anonymous_enable=NO
local_enable=YES
pam_service_name=vsftpd
secure_chroot_dir=/run/vsftpd/empty
syslog_enable=YES
xferlog_enable=YES
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
EOF
        tb_spawn vsftpd.service "$T/vsftpd.out" /usr/sbin/vsftpd "$T/vsftpd.conf"
        local pid=$TB_SPAWNED_PID
        tb_wait_for 10 sh -c "ss -Hltn | grep -q ':21 '" || { cat "$T/vsftpd.out" >&2; tb_die "vsftpd did not listen"; }
        ftp_scenarios
        settle 2
        kill "$pid"; wait "$pid" 2>/dev/null
        export_unit vsftpd vsftpd.service
}

run_proftpd() {
        mkdir -p /run/proftpd
        cat >"$T/proftpd.conf" <<EOF
ServerName "corpus"
ServerType standalone
DefaultServer on
Port 21
UseIPv6 on
UseReverseDNS off
User nobody
Group nogroup
PidFile $T/proftpd.pid
ScoreboardFile $T/proftpd.scoreboard
DelayTable none
WtmpLog off
TransferLog none
MaxLoginAttempts 3
AuthOrder mod_auth_pam.c* mod_auth_unix.c
EOF
        # as under Debian's proftpd.service (Type=forking): without -n proftpd logs to syslog
        tb_spawn proftpd.service "$T/proftpd.out" /usr/sbin/proftpd -c "$T/proftpd.conf"
        tb_wait_for 10 test -s "$T/proftpd.pid" || { cat "$T/proftpd.out" >&2; tb_die "proftpd did not start"; }
        local pid
        pid=$(cat "$T/proftpd.pid")
        tb_wait_for 10 sh -c "ss -Hltn | grep -q ':21 '" || { cat "$T/proftpd.out" >&2; tb_die "proftpd did not listen"; }
        ftp_scenarios
        settle 2
        kill "$pid"; tb_wait_for 10 sh -c "! kill -0 $pid"
        export_unit proftpd proftpd.service
}

run_pure_ftpd() {
        tb_spawn pure-ftpd.service "$T/pure-ftpd.out" /usr/sbin/pure-ftpd -l pam -E -H -A -S ,21 -g "$T/pure-ftpd.pid"
        local pid=$TB_SPAWNED_PID
        tb_wait_for 10 sh -c "ss -Hltn | grep -q ':21 '" || { cat "$T/pure-ftpd.out" >&2; tb_die "pure-ftpd did not listen"; }
        ftp_scenarios
        settle 2
        kill "$pid"; wait "$pid" 2>/dev/null
        export_unit pure-ftpd pure-ftpd.service
}

run_named() {
        local d=$T/named
        mkdir -p "$d"
        for z in example.test private.test; do
                cat >"$d/$z.zone" <<EOF
\$TTL 300
@ IN SOA ns.$z. hostmaster.$z. 1 3600 600 86400 300
@ IN NS ns.$z.
ns IN A $SRV4
www IN A $SRV4
EOF
        done
        cat >"$d/named.conf" <<EOF
options {
        directory "$d";
        pid-file "$d/named.pid";
        session-keyfile "$d/session.key";
        listen-on { $SRV4; };
        listen-on-v6 { $SRV6; };
        recursion yes;
        allow-recursion { localhost; };
        allow-transfer { none; };
        dnssec-validation no;
        empty-zones-enable no;
};
zone "example.test" { type primary; file "$d/example.test.zone"; };
zone "private.test" { type primary; file "$d/private.test.zone"; allow-query { localhost; }; };
EOF
        tb_spawn named.service "$T/named.out" /usr/sbin/named -f -n 1 -c "$d/named.conf"
        local pid=$TB_SPAWNED_PID
        tb_wait_for 10 sh -c "ss -Hlun | grep -q '$SRV4:53 '" || { cat "$T/named.out" >&2; tb_die "named did not listen"; }
        local q=(timeout 10 dig +time=2 +tries=1)
        atk "${q[@]}" @$SRV4 www.example.test A >/dev/null
        atk "${q[@]}" @$SRV4 example.test AXFR >/dev/null
        atk "${q[@]}" @$SRV6 example.test AXFR >/dev/null
        atk "${q[@]}" +tcp @$SRV4 example.test IXFR=0 >/dev/null
        atk "${q[@]}" @$SRV4 www.private.test A >/dev/null
        atk "${q[@]}" @$SRV6 private.test SOA >/dev/null
        atk "${q[@]}" @$SRV4 www.debian.org A >/dev/null
        atk "${q[@]}" @$SRV6 example.com ANY >/dev/null
        atk "${q[@]}" @$SRV4 '1.2.3.4#53' A >/dev/null
        atk "${q[@]}" @$SRV4 'x).client.@0x1.1.2.3.4#53.(y' A >/dev/null
        atk "${q[@]}" @$SRV4 'a\032(1.2.3.4):\032query' A >/dev/null
        atk "${q[@]}" @$SRV4 'evil.test.' AXFR >/dev/null
        printf 'server %s\nzone example.test\nupdate add evil.example.test 300 A 1.2.3.4\nsend\n' "$SRV4" |
                atk timeout 10 nsupdate -t 3 >/dev/null 2>&1
        printf 'server %s\nzone example.test\nupdate delete www.example.test A\nsend\n' "$SRV6" |
                atk timeout 10 nsupdate -t 3 >/dev/null 2>&1
        printf 'server %s\nzone nosuchzone.test\nupdate add a.nosuchzone.test 300 A 1.2.3.4\nsend\n' "$SRV4" |
                atk timeout 10 nsupdate -t 3 >/dev/null 2>&1
        settle 1
        kill "$pid"; wait "$pid" 2>/dev/null
        export_unit named named.service
}

run_mariadb() {
        local d=$T/mysql
        mkdir -p "$d/data" "$d/run"
        chown -R mysql:mysql "$d"
        mariadb-install-db --no-defaults --user=mysql --datadir="$d/data" --skip-test-db \
                --auth-root-authentication-method=socket >"$T/mariadb-install.out" 2>&1 ||
                { cat "$T/mariadb-install.out" >&2; tb_die "mariadb-install-db"; }
        # as under mariadb.service: stderr is the journal (identifier mariadbd)
        tb_spawn mariadb.service "$T/mariadb.out" systemd-cat --identifier=mariadbd --level-prefix=false \
                /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$d/data" --socket="$d/run/mysqld.sock" \
                --pid-file="$d/run/mysqld.pid" --bind-address='*' --port=3306 --skip-name-resolve \
                --log-warnings=2
        local pid=$TB_SPAWNED_PID
        tb_wait_for 30 test -S "$d/run/mysqld.sock" || { cat "$T/mariadb.out" >&2; tb_die "mariadbd did not start"; }
        mysql -S "$d/run/mysqld.sock" -u root -e \
                "CREATE USER alice@'%' IDENTIFIED BY 'alice-secret'; CREATE USER bob@'192.0.2.1' IDENTIFIED BY 'x';"
        local m=(timeout 10 mysql --connect-timeout=5 --skip-ssl -e 'select 1')
        atk "${m[@]}" -h $SRV4 -u alice -pwrong-password >/dev/null 2>&1
        atk "${m[@]}" -h $SRV4 -u nosuchuser -pwrong-password >/dev/null 2>&1
        atk "${m[@]}" -h $SRV4 -u root >/dev/null 2>&1
        atk "${m[@]}" -h $SRV6 -u alice -pwrong-password >/dev/null 2>&1
        atk "${m[@]}" -h $SRV6 -u admin >/dev/null 2>&1
        atk "${m[@]}" -h $SRV4 -u bob -px >/dev/null 2>&1
        atk "${m[@]}" -h $SRV4 -u alice -palice-secret >/dev/null 2>&1
        atk "${m[@]}" -h $SRV4 -u "x'@'1.2.3.4' (using password: YES)" -pwrong >/dev/null 2>&1
        atk "${m[@]}" -h $SRV4 -u "1.2.3.4" -pwrong >/dev/null 2>&1
        atk "${m[@]}" -h $SRV6 -u "2001:db8::66" -pwrong >/dev/null 2>&1
        atk "${m[@]}" -h $SRV4 -u 'a$(id);`id`' -pwrong >/dev/null 2>&1
        atk timeout 5 socat -u /dev/null TCP:$SRV4:3306 >/dev/null 2>&1
        settle 1
        kill "$pid"; wait "$pid" 2>/dev/null
        tb_wait_for 20 sh -c "! pgrep -x mariadbd"
        export_unit mariadb mariadb.service
}

run_postgresql() {
        local d=$T/pg bin=/usr/lib/postgresql/15/bin
        mkdir -p "$d/sock"
        echo postgres-secret >"$d/pw"
        chown -R postgres:postgres "$d"
        setpriv --reuid=postgres --regid=postgres --init-groups "$bin/initdb" -D "$d/data" -A scram-sha-256 \
                --pwfile="$d/pw" >"$T/initdb.out" 2>&1 || { cat "$T/initdb.out" >&2; tb_die initdb; }
        cat >>"$d/data/postgresql.conf" <<EOF
listen_addresses = '$SRV4,$SRV6'
unix_socket_directories = '$d/sock'
log_destination = 'syslog'
log_connections = on
log_line_prefix = '%m [%p] %h %q%u@%d '
EOF
        cat >"$d/data/pg_hba.conf" <<EOF
local all postgres trust
host all mallory 0.0.0.0/0 reject
host app all 10.77.0.0/24 scram-sha-256
host app all fd00:77::/64 scram-sha-256
host postgres alice 10.77.0.0/24 md5
EOF
        tb_spawn postgresql@15-main.service "$T/postgres.out" setpriv --reuid=postgres --regid=postgres --init-groups \
                "$bin/postgres" -D "$d/data"
        local pid=$TB_SPAWNED_PID
        tb_wait_for 30 test -S "$d/sock/.s.PGSQL.5432" || { cat "$T/postgres.out" >&2; tb_die "postgres did not start"; }
        psql -h "$d/sock" -U postgres -q -c "CREATE DATABASE app" -c "CREATE ROLE alice LOGIN PASSWORD 'alice-secret'" \
                -c "CREATE ROLE mallory LOGIN PASSWORD 'x'" >/dev/null
        pg() { # pg ADDR USER DB [PASSWORD]
                atk env PGPASSWORD="${4:-wrong-password}" PGCONNECT_TIMEOUT=5 PGSSLMODE=disable \
                        timeout 10 psql -h "$1" -U "$2" -d "$3" -w -c 'select 1' >/dev/null 2>&1
        }
        pg $SRV4 alice app
        pg $SRV4 nosuchuser app
        pg $SRV6 alice app
        pg $SRV4 alice app alice-secret
        pg $SRV4 alice otherdb
        pg $SRV6 bob postgres
        pg $SRV4 mallory app x
        pg $SRV4 alice postgres
        pg $SRV4 'x 1.2.3.4 ' app
        pg $SRV4 '1.2.3.4' '2001:db8::66'
        pg $SRV4 "$(printf 'x\n2026-11-22 03:00:00.000 UTC [7] 1.2.3.4 q@app FATAL:  password authentication failed for user "q')" app
        pg $SRV6 'a$(id);`id`' app
        atk env PGCONNECT_TIMEOUT=5 timeout 10 psql -h $SRV4 -U alice -d app -w -c 'select 1' >/dev/null 2>&1
        atk timeout 5 socat -u /dev/null TCP:$SRV4:5432 >/dev/null 2>&1
        settle 1
        kill -INT "$pid"; wait "$pid" 2>/dev/null
        export_unit postgresql postgresql@15-main.service
}

for s in "$@"; do
        tb_log "--- $s"
        "run_${s//-/_}"
done
exit 0
