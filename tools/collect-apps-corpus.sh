#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Collects REAL journal entries for the filter corpora of dropbear, openvpn, pam-generic (sshd with
# UsePAM, and sudo as the local counter-example) and recidive (portcullisd's own ban events):
#   tests/data/filters/<filter>/real-<prog>-<version>.export
#
# Everything runs inside the namespaces of tests/lib/harness.sh (tb_enter_ns --net): a private
# journald, daemons in cgroups /system.slice/<unit> (so journald sets _SYSTEMD_UNIT as on a host),
# an "attacker" network namespace (10.77.0.2, fd00:77::2) joined by a veth pair to the server
# (10.77.0.1, fd00:77::1), private /etc/passwd, /etc/shadow, /etc/group with the user alice.  The host
# is not modified.  The daemons are started the way Debian 12 starts them:
#   dropbear   dropbear.service: /usr/sbin/dropbear -EF (log to stderr = the journal's stdout
#              transport), and the init script's way (no -E: syslog)
#   openvpn    openvpn-server@server.service: openvpn --suppress-timestamps --config server.conf,
#              output to the journal
#   sshd       ssh.service, UsePAM yes (pam_unix lines)
#   sudo       run by alice inside session-1.scope (as after an ssh login)
#   portcullisd  the build of this tree, in portcullisd.service
# Each scenario is announced by a marker entry (SYSLOG_IDENTIFIER=corpus-scenario); the annotation
# step (python below) keeps the entries of the programs and adds PORTCULLIS_EXPECT from its own table
# of message kinds, independent of the filters.
#
# usage: sudo tools/collect-apps-corpus.sh [dropbear|openvpn|pam|recidive]...   (default: all)
#   needs: dropbear-bin openvpn sudo openssh-server sshpass socat, a built portcullisd (build/)
set -u
. "$(dirname "$0")/../tests/lib/harness.sh"
TB_NAME=collect-apps
SRC=$PC_SRC
OUT=$SRC/tests/data/filters

if [ -z "${TB_IN_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || tb_die "must run as root"
        for p in /usr/sbin/dropbear /usr/bin/dropbearkey /usr/bin/dbclient /usr/sbin/openvpn /usr/bin/sudo \
                 /usr/sbin/sshd /usr/bin/sshpass /usr/bin/openssl /usr/bin/socat; do
                [ -x "$p" ] || tb_die "missing $p"
        done
        [ -x "$PC_BUILD/portcullisd" ] || tb_die "build portcullisd first ($PC_BUILD)"
        RAW=$(mktemp -d "${TMPDIR:-/tmp}/apps-corpus.XXXXXX")
        chmod 0755 "$RAW"
        export CORPUS_RAW=$RAW CORPUS_WHAT="${*:-dropbear openvpn pam recidive}"
        TB_TIMEOUT=${TB_TIMEOUT:-600} tb_run_ns --net -- "$@" || tb_die "collection failed"
        python3 - "$RAW" "$OUT" <<'PY' || tb_die "annotation failed"
import json, os, re, subprocess, sys
raw, out = sys.argv[1], sys.argv[2]

def ver(cmd, rx):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    m = re.search(rx, r.stdout)
    return m.group(1) if m else "unknown"

def dpkg_ver(pkg):
    return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], stdout=subprocess.PIPE,
                          text=True).stdout.split("-")[0].split("+")[0]

# (program, units/exe that are its, output name, kinds) -- a kind: (regex on MESSAGE, expectation);
# {addr}/{user} come from the scenario marker.  First hit wins; no hit = nomatch.
# dropbear 2022.83: "Login attempt for nonexistent user" names no address; "Max auth tries
# reached" repeats attempts already logged one by one
DROPBEAR = [
    (r"Bad (?:PAM )?password attempt for ", "match host={addr} user={user}"),
]
OPENVPN = [
    (r"VERIFY ERROR", "match host={addr}"),
    (r"TLS Auth Error: Auth Username/Password verification failed", "match host={addr}"),
    (r"TLS Error: TLS handshake failed", "nomatch"),
]
PAM = [
    (r"^pam_unix\(sshd:auth\): authentication failure;.* rhost=\S", "match host={addr}"),
    (r"^PAM \d+ more authentication failures?;.* rhost=\S", "match host={addr}"),
]
RECIDIVE = [
    (r"^recidive: banned ", "nomatch"),
    (r": banned ", "match host={addr}"),
]
PROGS = {
    "dropbear": ("dropbear", ("_SYSTEMD_UNIT", "dropbear.service"), DROPBEAR,
                 f"real-dropbear-{dpkg_ver('dropbear-bin')}.export"),
    "openvpn": ("openvpn", ("_SYSTEMD_UNIT", "openvpn-server@server.service"), OPENVPN,
                f"real-openvpn-{dpkg_ver('openvpn')}.export"),
    "pam": ("pam-generic", None, PAM, f"real-pam-{dpkg_ver('libpam-modules')}.export"),
    "recidive": ("recidive", ("_SYSTEMD_UNIT", "portcullisd.service"), RECIDIVE, "real-portcullisd.export"),
}
DROP = ("__CURSOR", "__SEQNUM", "__SEQNUM_ID", "_STREAM_ID")

def export_entries(path):
    r = subprocess.run(["journalctl", "--file", path, "-o", "json", "--no-pager", "--all"],
                       stdout=subprocess.PIPE, text=True, check=True)
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

def fmt(k, v):
    if isinstance(v, list):
        v = bytes(v).decode("utf-8", "backslashreplace")
    return f"{k}={v}"

for what in sorted(os.listdir(raw)):
    if not what.endswith(".journal"):
        continue
    key = what[:-len(".journal")]
    filt, own, kinds, name = PROGS[key]
    entries = export_entries(os.path.join(raw, what))
    scen = {"scenario": "-", "addr": "-", "user": "-"}
    blocks = []
    for e in entries:
        msg = fmt("", e.get("MESSAGE", ""))[1:]
        if e.get("SYSLOG_IDENTIFIER") == "corpus-scenario":
            scen = dict(kv.split("=", 1) for kv in msg.split(" ", 2))
            continue
        unit = e.get("_SYSTEMD_UNIT", "")
        if key == "pam":
            if unit == "ssh.service" and ("pam_unix" in msg or msg.startswith("PAM ")):
                exp = "nomatch"
            elif unit.startswith("session-"):
                exp = "unread"     # sudo in a user's session: not a unit pam-generic reads
            else:
                continue
        else:
            if own and e.get(own[0]) != own[1]:
                continue
            if key == "recidive" and e.get("MESSAGE_ID") != "33ea1ac086b84df697db5e5d3c1096ab":
                continue
            exp = "nomatch"
        if exp != "unread":
            for rx, x in kinds:
                if re.search(rx, msg):
                    exp = x
                    break
        user = scen["user"]
        exp = exp.replace("{addr}", scen["addr"])
        exp = exp.replace(" user={user}", "" if user == "-" else f" user={user}")
        lines = [fmt(k, v) for k, v in e.items() if k not in DROP]
        lines.append(f"PORTCULLIS_SCENARIO={scen['scenario']}")
        lines.append(f"PORTCULLIS_EXPECT={exp}")
        blocks.append("\n".join(lines))
    os.makedirs(os.path.join(out, filt), exist_ok=True)
    dst = os.path.join(out, filt, name)
    with open(dst, "w") as f:
        f.write("\n\n".join(blocks) + "\n")
    print(f"wrote {dst}: {len(blocks)} entries")
PY
        rm -rf "$RAW"
        exit 0
fi

# ---------------------------------------------------------------------------------------------
# Inside the namespaces.
T=$TB_TMP
tb_private_fs
tb_private_dev
tb_journald_start
tb_net_setup
S4=$TB_SRV4 S6=$TB_SRV6 A4=$TB_ATK4 A6=$TB_ATK6

mkdir -p "$T/etc" "$T/home/alice"
cp /etc/passwd /etc/shadow /etc/group "$T/etc/"
echo "alice:x:2001:2001:corpus user:$T/home/alice:/bin/sh" >>"$T/etc/passwd"
echo "alice:x:2001:" >>"$T/etc/group"
echo "alice:$(openssl passwd -6 alice-secret):19000:0:99999:7:::" >>"$T/etc/shadow"
for f in passwd shadow group; do mount --bind "$T/etc/$f" "/etc/$f"; done
chown -R alice:alice "$T/home/alice"

scenario() { # scenario NAME ADDR USER
        sleep 0.5
        logger -t corpus-scenario -- "scenario=$1 addr=$2 user=$3"
        tb_log "scenario $1"
        sleep 0.2
}
# journal_cut NAME: the entries since the previous cut into $CORPUS_RAW/NAME.journal
journal_cut() {
        sleep 1
        journalctl -o export --no-pager --cursor-file="$T/cursor" >"$T/$1.export" || tb_die "export $1"
        /lib/systemd/systemd-journal-remote --output="$CORPUS_RAW/$1.journal" "$T/$1.export" || tb_die "export $1"
}
want() { case " $CORPUS_WHAT " in *" $1 "*) return 0 ;; esac; return 1; }
A() { tb_attacker "$@"; }

# ------------------------------------------------------------------------------------- dropbear
if want dropbear; then
        mkdir -p "$T/dropbear"
        dropbearkey -t ed25519 -f "$T/dropbear/key" >/dev/null 2>&1
        printf '#!/bin/sh\necho "${CORPUS_PW:-wrong-password}"\n' >"$T/askpass"; chmod 0755 "$T/askpass"
        raw_pw() { # raw_pw ADDR USER N: N password attempts on one connection (paramiko)
                A /usr/bin/python3 - "$@" <<'PY' >>"$T/raw_pw.log" 2>&1
import socket, sys, paramiko
addr, user, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(10); s.connect((addr, 22))
t = paramiko.Transport(s); t.start_client(timeout=10)
for i in range(n):
    try:
        t.auth_password(user, "wrong-password")
    except paramiko.SSHException:
        pass
    if not t.is_active():
        break
t.close()
PY
        }
        for mode in stderr syslog; do
                if [ $mode = stderr ]; then
                        # Debian's dropbear.service: -EF, stderr is the journal
                        tb_spawn dropbear.service "$T/dropbear.out" systemd-cat -t dropbear \
                                /usr/sbin/dropbear -EF -p "$S4:22" -p "[$S6]:22" -r "$T/dropbear/key" -W 65536
                else
                        # the init script's way: syslog (LOG_AUTHPRIV), daemon in the unit's cgroup
                        tb_spawn dropbear.service "$T/dropbear.out" \
                                /usr/sbin/dropbear -F -p "$S4:22" -p "[$S6]:22" -r "$T/dropbear/key" -W 65536
                fi
                DB=$TB_SPAWNED_PID
                tb_wait_for 10 sh -c "ss -Hltn | grep -q '$S4:22'" || { cat "$T/dropbear.out" >&2; tb_die "dropbear"; }
                scenario "$mode-password-valid-user" $A4 alice
                raw_pw $S4 alice 2
                scenario "$mode-password-root" $A4 root
                raw_pw $S4 root 1
                scenario "$mode-nonexistent-user" $A4 admin
                raw_pw $S4 admin 2
                scenario "$mode-ipv6" $A6 root
                raw_pw $S6 root 1
                scenario "$mode-ipv6-nonexistent" $A6 oracle
                raw_pw $S6 oracle 1
                scenario "$mode-max-tries" $A4 root
                raw_pw $S4 root 12
                scenario "$mode-inject-user" $A4 'x from 1.2.3.4:22'
                raw_pw $S4 "x' from 1.2.3.4:22" 1
                scenario "$mode-inject-nonexistent" $A4 -
                raw_pw $S4 "y from 1.2.3.4:22" 1
                scenario "$mode-accepted" $A4 alice
                A /usr/bin/python3 -c '
import socket, paramiko
s = socket.create_connection(("'$S4'", 22), 10)
t = paramiko.Transport(s); t.start_client(timeout=10); t.auth_password("alice", "alice-secret"); t.close()' >/dev/null 2>&1
                scenario "$mode-scanner" $A4 -
                echo garbage | A timeout 5 socat -t 2 - TCP:$S4:22 >/dev/null 2>&1
                A timeout 5 socat -u /dev/null TCP:$S4:22 >/dev/null 2>&1
                scenario "$mode-end" - -
                sleep 1
                kill "$DB"; wait "$DB" 2>/dev/null
        done
        cat "$T/raw_pw.log" >&2
        journal_cut dropbear
fi

# -------------------------------------------------------------------------------------- openvpn
if want openvpn; then
        P=$T/pki; mkdir -p "$P"; cd "$P" || exit 1
        ca() { # ca NAME: self-signed CA
                openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
                        -subj "/CN=$1" -keyout "$1.key" -out "$1.crt" \
                        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign 2>/dev/null
        }
        leaf() { # leaf CA NAME serverAuth|clientAuth
                openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$2" \
                        -keyout "$2.key" -out "$2.csr" 2>/dev/null
                printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=%s\n' "$3" >"$2.ext"
                openssl x509 -req -in "$2.csr" -CA "$1.crt" -CAkey "$1.key" -CAcreateserial -days 30 \
                        -extfile "$2.ext" -out "$2.crt" 2>/dev/null
        }
        ca ca; ca otherca
        leaf ca server serverAuth; leaf ca client clientAuth; leaf otherca rogue clientAuth
        cat >server.conf <<EOF
port 1194
proto udp6
dev tun
topology subnet
server 10.8.0.0 255.255.255.0
ca $P/ca.crt
cert $P/server.crt
key $P/server.key
dh none
keepalive 10 60
hand-window 5
verb 3
script-security 2
auth-user-pass-verify /bin/false via-env
verify-client-cert optional
EOF
        mkdir -p /run/openvpn-server /dev/net
        rm -f /dev/net/tun; mknod -m 0666 /dev/net/tun c 10 200 2>/dev/null || tb_die "no /dev/net/tun"
        tb_spawn openvpn-server@server.service "$T/openvpn.out" systemd-cat -t openvpn \
                /usr/sbin/openvpn --status /run/openvpn-server/status-server.log --status-version 2 \
                --suppress-timestamps --cd "$P" --config server.conf
        OV=$TB_SPAWNED_PID
        tb_wait_for 10 sh -c "ss -Hlun | grep -q ':1194'" || { cat "$T/openvpn.out" >&2; journalctl -o cat -n 30 >&2; tb_die "openvpn"; }
        printf 'alice\nwrong-password\n' >"$P/up.txt"
        cli() { # cli ADDR CERT [extra...]: one client run, killed after a few seconds
                local a=$1 c=$2; shift 2
                A timeout 8 openvpn --client --dev null --proto udp --remote "$a" 1194 --nobind \
                        --ca "$P/ca.crt" --cert "$P/$c.crt" --key "$P/$c.key" --verb 1 \
                        --connect-retry-max 1 --hand-window 5 "$@" >/dev/null 2>&1
        }
        scenario openvpn-rogue-cert $A4 -
        cli $S4 rogue
        scenario openvpn-rogue-cert-ipv6 $A6 -
        cli $S6 rogue
        scenario openvpn-bad-password $A4 -
        cli $S4 client --auth-user-pass "$P/up.txt"
        scenario openvpn-bad-password-ipv6 $A6 -
        cli $S6 client --auth-user-pass "$P/up.txt"
        scenario openvpn-garbage $A4 -
        A /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"\x38" + b"\x01" * 8 + b"\x00" + b"\x00\x00\x00\x00", ("'$S4'", 1194))
s.sendto(b"GET / HTTP/1.0\r\n\r\n", ("'$S4'", 1194))' >/dev/null 2>&1
        sleep 7     # hand-window: the half-open session times out ("TLS handshake failed")
        scenario openvpn-end - -
        kill "$OV"; wait "$OV" 2>/dev/null
        cd / || exit 1
        journal_cut openvpn
fi

# ------------------------------------------------------------------------------ pam: sshd + sudo
if want pam; then
        TB_SSHD_USEPAM=yes tb_sshd_start
        scenario pam-sshd-valid-user $A4 -
        tb_ssh_attempt $S4 alice >/dev/null
        scenario pam-sshd-root-3 $A4 -
        A env HOME="$T" SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 timeout 20 setsid -w \
                ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
                -o PreferredAuthentications=password -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=3 \
                -l root $S4 true </dev/null >/dev/null 2>&1
        scenario pam-sshd-invalid-user $A4 -
        tb_ssh_attempt $S4 admin >/dev/null
        scenario pam-sshd-ipv6 $A6 -
        tb_ssh_attempt $S6 alice >/dev/null
        scenario pam-sshd-inject $A4 -
        tb_ssh_attempt $S4 'x rhost=1.2.3.4' >/dev/null
        sleep 1
        kill "$TB_SSHD_PID"; wait "$TB_SSHD_PID" 2>/dev/null
        # sudo by alice in her session scope (as after an ssh login): wrong password, then a
        # command she may not run
        sess=$TB_CGROUP_DIR/user.slice/user-2001.slice/session-1.scope
        mkdir -p "$sess"
        scenario sudo-wrong-password - -
        (
                echo "$BASHPID" >"$sess/cgroup.procs"
                printf 'a\nb\nc\n' | setpriv --reuid alice --regid alice --init-groups env HOME="$T/home/alice" \
                        USER=alice LOGNAME=alice sudo -S -k -p '' true
        ) >/dev/null 2>&1
        scenario sudo-end - -
        journal_cut pam
fi

# ------------------------------------------------------------------------------------- recidive
if want recidive; then
        PC_CONF=$T/conf
        pc_config_dir "$PC_CONF"
        pc_filter testsvc 'AUTH FAILURE from <HOST>'
        cat >"$PC_CONF/jails/test.conf" <<'CONF'
[testsvc]
enabled = true
maxretry = 2
findtime = 10m
bantime = 2s
port = 22

[recidive]
enabled = true
filter = recidive
findtime = 1d
bantime = 1w
maxretry = 3
protocol = all
CONF
        pc_writer_start testsvc testsvc.service
        pc_daemon_start || tb_die "portcullisd did not start"
        for a in 198.51.100.7 2001:db8:77::7; do
                scenario "recidive-rounds" "$a" -
                for round in 1 2 3 4; do
                        pc_write testsvc "AUTH FAILURE from $a"
                        pc_write testsvc "AUTH FAILURE from $a"
                        sleep 3.5
                done
        done
        scenario recidive-end - -
        sleep 1
        pc_daemon_stop
        journal_cut recidive
fi
exit 0
