#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Collects REAL journal entries of OpenSSH's sshd for the filter corpus
# tests/data/filters/sshd/real-openssh-*.export.
#
# Runs everything inside private namespaces (mount, PID, cgroup, network): a private journald,
# the distribution's /usr/sbin/sshd in the cgroup /system.slice/ssh.service (so journald adds
# _SYSTEMD_UNIT=ssh.service as on a real host), and an "attacker" network namespace joined to the
# server by a veth pair (10.77.0.0/24, fd00:77::/64; nothing else is reachable).  /etc/passwd,
# /etc/shadow and /etc/group are replaced by private copies (bind mounts) that add the user alice;
# /run and /var/log are private tmpfs (sshd writes btmp/wtmp).  The host is not modified.
#
# Each scenario is announced by a marker entry (SYSLOG_IDENTIFIER=corpus-scenario) that names the
# scenario, the attacker address it uses and the user name as sshd prints it.  The annotation step
# (tools/annotate-sshd-corpus.py) walks the exported journal, keeps only sshd's entries and adds
# the PORTCULLIS_EXPECT* fields from its own table of message kinds, independent of the filter.
#
# usage: sudo tools/collect-sshd-corpus.sh [OUTPUT.export]
#   default output: tests/data/filters/sshd/real-openssh-$(version).export
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)

TB_NAME=collect-sshd-corpus
# shellcheck source=../tests/lib/harness.sh
. "$src/tests/lib/harness.sh"

# ---------------------------------------------------------------------------------------------
# Host side: re-execute inside fresh namespaces, then annotate the export.
if [ -z "${TB_IN_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || tb_die "must run as root"
        for p in /usr/sbin/sshd ssh socat journalctl python3 openssl; do
                command -v "$p" >/dev/null || tb_die "missing $p"
        done
        /usr/bin/python3 -c 'import paramiko' || tb_die "needs python3-paramiko (apt-get install python3-paramiko)"
        ver=$(/usr/sbin/sshd -V 2>&1 | sed -n 's/^OpenSSH_\([0-9.p]*\).*/\1/p' | head -1)
        out=${1:-$src/tests/data/filters/sshd/real-openssh-$ver.export}
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/sshd-corpus.XXXXXX") || tb_die mktemp
        chmod 0777 "$tmp"
        # tb_run_ns needs a writable cgroup v2 hierarchy for _SYSTEMD_UNIT=
        [ -n "$(tb_cgroup2_root)" ] || { rm -rf "$tmp"; tb_die "needs a writable cgroup v2 hierarchy (for _SYSTEMD_UNIT=)"; }
        CORPUS_OUT=$tmp TB_TIMEOUT=${CORPUS_TIMEOUT:-400} tb_run_ns --net --
        rc=$?
        trap 'rm -rf "$tmp"' EXIT
        [ "$rc" = 0 ] || tb_die "collection failed (status $rc)"
        [ -n "${CORPUS_RAW:-}" ] && cp "$tmp/all.export" "$CORPUS_RAW"
        python3 "$here/annotate-sshd-corpus.py" "$tmp/all.export" "$out" || tb_die "annotation failed"
        tb_log "wrote $out"
        exit 0
fi

# ---------------------------------------------------------------------------------------------
# Inside the namespaces.
T=$TB_TMP
tb_private_fs
tb_private_dev

mkdir -p "$T/etc" "$T/home/alice/.ssh"
cp /etc/passwd /etc/shadow /etc/group "$T/etc/"
echo "alice:x:2001:2001:corpus user:$T/home/alice:/bin/sh" >>"$T/etc/passwd"
echo "alice:x:2001:" >>"$T/etc/group"
echo "alice:$(openssl passwd -6 alice-secret):19000:0:99999:7:::" >>"$T/etc/shadow"
for f in passwd shadow group; do mount --bind "$T/etc/$f" "/etc/$f"; done
chown -R alice:alice "$T/home/alice"

tb_journald_start
tb_net_setup
SRV4=$TB_SRV4 SRV6=$TB_SRV6 ATK4=$TB_ATK4 ATK6=$TB_ATK6
atk() { tb_attacker "$@"; }

# keys: alice's authorized key, plus keys the server does not know
mkdir -p "$T/keys"
for k in good bad1 bad2 bad3 bad4 bad5 bad6 bad7; do ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$T/keys/$k"; done
cp "$T/keys/good.pub" "$T/home/alice/.ssh/authorized_keys"
chown -R alice:alice "$T/home/alice"
ssh-keygen -q -t ed25519 -N '' -f "$T/host_ed25519"

SSHD=
# sshd_start [extra config lines...]: (re)starts sshd with the base config plus the given lines
sshd_start() {
        sshd_stop
        {
                echo "ListenAddress $SRV4"
                echo "ListenAddress [$SRV6]"
                echo "HostKey $T/host_ed25519"
                echo "PidFile $T/sshd.pid"
                echo "PermitRootLogin yes"
                echo "StrictModes no"
                echo "MaxStartups 100:30:200"
                echo "SyslogFacility AUTH"
                echo "KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org"
                echo "Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-ctr"
                printf '%s\n' "$@"
        } >"$T/sshd_config"
        /usr/sbin/sshd -t -f "$T/sshd_config" || tb_die "sshd config invalid: $*"
        tb_spawn ssh.service "$T/sshd.out" /usr/sbin/sshd -D -f "$T/sshd_config"
        SSHD=$TB_SPAWNED_PID
        tb_wait_for 10 sh -c "ss -Hltn | grep -q '$SRV4:22'" || { cat "$T/sshd.out" >&2; tb_die "sshd did not listen"; }
        tb_log "sshd up: $*"
}
sshd_stop() {
        [ -n "$SSHD" ] || return 0
        settle
        kill "$SSHD"; wait "$SSHD" 2>/dev/null
        SSHD=
}
# settle: wait until sshd has no connection children left, then let journald write
settle() {
        [ -n "$SSHD" ] && tb_wait_for 20 sh -c "[ -z \"\$(ps -o pid= --ppid $SSHD)\" ]"
        sleep 0.3
}
# scenario NAME ADDR USER: marker entry for the annotation step (USER as sshd prints it, or -)
scenario() {
        settle
        logger -t corpus-scenario --id=$$ -- "scenario=$1 addr=$2 user=$3"
        tb_log "scenario $1"
}

SSHOPT=(-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
        -o ConnectTimeout=5 -o IdentitiesOnly=yes -o GSSAPIAuthentication=no)
# passwords come from an askpass helper (sshpass gives up at the second prompt)
printf '#!/bin/sh\necho "${CORPUS_PW:-wrong-password}"\n' >"$T/askpass"
chmod 0755 "$T/askpass"
ASKPASS=(env HOME="$T" SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0)
# pw ADDR USER [PROMPTS] [PASSWORD]: password attempts (PROMPTS of them on one connection)
pw() {
        atk "${ASKPASS[@]}" CORPUS_PW="${4:-wrong-password}" timeout 20 setsid -w ssh "${SSHOPT[@]}" \
                -o PreferredAuthentications=password -o PubkeyAuthentication=no \
                -o NumberOfPasswordPrompts="${3:-1}" -l "$2" "$1" true </dev/null >/dev/null 2>&1
}
# kbd ADDR USER [PROMPTS]: keyboard-interactive attempts
kbd() {
        atk "${ASKPASS[@]}" timeout 20 setsid -w ssh "${SSHOPT[@]}" \
                -o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no \
                -o NumberOfPasswordPrompts="${3:-1}" -l "$2" "$1" true </dev/null >/dev/null 2>&1
}
# rawpw ADDR USER: one password attempt through paramiko, for user names that ssh(1) refuses
# (newline, shell metacharacters: "remote username contains invalid characters")
rawpw() {
        atk /usr/bin/python3 - "$1" "$2" <<'PY' >/dev/null 2>&1
import socket, sys, paramiko
addr, user = sys.argv[1], sys.argv[2]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(10)
s.connect((addr, 22))
t = paramiko.Transport(s)
t.start_client(timeout=10)
try:
    t.auth_password(user, "wrong-password")
except paramiko.SSHException:
    pass
t.close()
PY
}
# key ADDR USER KEY...: publickey attempts, one per key
key() {
        local a=$1 u=$2 ids=() k; shift 2
        for k in "$@"; do ids+=(-i "$T/keys/$k"); done
        atk env HOME="$T" timeout 20 ssh "${SSHOPT[@]}" -o BatchMode=yes -o PreferredAuthentications=publickey \
                "${ids[@]}" -l "$u" "$a" true </dev/null >/dev/null 2>&1
}

# ================================ phase 1: UsePAM no, LogLevel INFO ===========================
sshd_start "UsePAM no" "PasswordAuthentication yes" "KbdInteractiveAuthentication no" "LogLevel INFO"
scenario startup - -
scenario password-valid-user $ATK4 root
pw $SRV4 root; pw $SRV4 root
scenario password-invalid-user $ATK4 admin
pw $SRV4 admin
scenario password-ipv6 $ATK6 root
pw $SRV6 root
scenario password-ipv6-invalid-user $ATK6 oracle
pw $SRV6 oracle
scenario invalid-user-no-attempt $ATK4 oracle
# BatchMode: the client may not ask for a password, sends only "none" and gives up
atk env HOME="$T" timeout 20 ssh "${SSHOPT[@]}" -o BatchMode=yes -o PreferredAuthentications=password \
        -l oracle $SRV4 true </dev/null >/dev/null 2>&1
scenario publickey-unknown-key-valid-user $ATK4 alice
key $SRV4 alice bad1
scenario publickey-unknown-key-invalid-user $ATK4 guest
key $SRV4 guest bad1
scenario publickey-4-unknown-keys-valid-user $ATK4 root
key $SRV4 root bad1 bad2 bad3 bad4
scenario max-auth-tries-publickey $ATK4 root
key $SRV4 root bad1 bad2 bad3 bad4 bad5 bad6 bad7
scenario max-auth-tries-password $ATK4 root
pw $SRV4 root 7
scenario max-auth-tries-password-invalid-user $ATK4 test
pw $SRV4 test 7
scenario accepted-password $ATK4 alice
pw $SRV4 alice 1 alice-secret
scenario accepted-publickey $ATK4 alice
key $SRV4 alice good
scenario bad-banner $ATK4 -
echo garbage | atk timeout 5 socat -t 2 - TCP:$SRV4:22 >/dev/null 2>&1
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | atk timeout 5 socat -t 2 - TCP:$SRV4:22 >/dev/null 2>&1
scenario no-identification $ATK4 -
atk timeout 5 socat -u /dev/null TCP:$SRV4:22 >/dev/null 2>&1
scenario no-identification-ipv6 $ATK6 -
atk timeout 5 socat -u /dev/null "TCP6:[$SRV6]:22" >/dev/null 2>&1
scenario banner-then-close $ATK4 -
printf 'SSH-2.0-Go\r\n' | atk timeout 5 socat -t 1 - TCP:$SRV4:22 >/dev/null 2>&1
scenario kex-mismatch $ATK4 -
atk env HOME="$T" timeout 20 ssh "${SSHOPT[@]}" -o KexAlgorithms=diffie-hellman-group14-sha1 -l root $SRV4 true </dev/null >/dev/null 2>&1
scenario cipher-mismatch $ATK4 -
atk env HOME="$T" timeout 20 ssh "${SSHOPT[@]}" -o Ciphers=3des-cbc -l root $SRV4 true </dev/null >/dev/null 2>&1
scenario hostkey-mismatch $ATK6 -
atk env HOME="$T" timeout 20 ssh "${SSHOPT[@]}" -o HostKeyAlgorithms=rsa-sha2-512 -l root $SRV6 true </dev/null >/dev/null 2>&1
scenario mac-mismatch $ATK4 -
atk env HOME="$T" timeout 20 ssh "${SSHOPT[@]}" -o Ciphers=aes128-ctr -o MACs=hmac-md5 -l root $SRV4 true </dev/null >/dev/null 2>&1
scenario kex-then-close $ATK4 root
# the client completes the key exchange, sends "none", finds no usable method and gives up
atk env HOME="$T" timeout 20 ssh "${SSHOPT[@]}" -o BatchMode=yes -o PreferredAuthentications=none \
        -l root $SRV4 true </dev/null >/dev/null 2>&1
scenario paramiko-kex-only $ATK4 -
# the client completes the key exchange and closes without any userauth request
atk /usr/bin/python3 -c '
import socket, paramiko
s = socket.create_connection(("'$SRV4'", 22), 10)
t = paramiko.Transport(s); t.start_client(timeout=10); t.close()' >/dev/null 2>&1
# --- user names that try to inject text into the tb_log line
scenario inject-from-address $ATK4 'root from 1.2.3.4 port 22 ssh2'
pw $SRV4 'root from 1.2.3.4 port 22 ssh2'
scenario inject-address-only $ATK4 '1.2.3.4'
pw $SRV4 '1.2.3.4'
scenario inject-from-suffix $ATK6 'x from 1.2.3.4'
pw $SRV6 'x from 1.2.3.4'
# sshd cuts the user name at the first ":" (BSD auth "user:style"), so this one is logged without
# its ": RSA SHA256:AAAA" tail: a user name can never fake the key part of a "Failed" line
scenario inject-key-suffix $ATK4 'x from 1.2.3.4 port 22 ssh2'
pw $SRV4 'x from 1.2.3.4 port 22 ssh2: RSA SHA256:AAAA'
scenario inject-newline $ATK4 'a\nFailed password for root from 1.2.3.4 port 22 ssh2'
rawpw $SRV4 $'a\nFailed password for root from 1.2.3.4 port 22 ssh2'
scenario inject-shell $ATK4 '$(reboot);`id`|x'
rawpw $SRV4 '$(reboot);`id`|x'
scenario inject-long-user $ATK6 "$(printf 'u%.0s' $(seq 120)) from 1.2.3.4 port 22 ssh2"
pw $SRV6 "$(printf 'u%.0s' $(seq 120)) from 1.2.3.4 port 22 ssh2"
scenario inject-not-allowed $ATK4 'x from 1.2.3.4 not allowed because none'
pw $SRV4 'x from 1.2.3.4 not allowed because none'
sshd_stop

# ================================ phase 2: AllowUsers / DenyUsers =============================
sshd_start "UsePAM no" "PasswordAuthentication yes" "KbdInteractiveAuthentication no" "LogLevel INFO" \
        "DenyUsers bin" "AllowUsers root alice bin"
scenario denyusers $ATK4 bin
pw $SRV4 bin
scenario allowusers $ATK4 daemon
pw $SRV4 daemon
scenario allowusers-ipv6 $ATK6 sync
pw $SRV6 sync
sshd_stop

# ================================ phase 3: LogLevel VERBOSE ===================================
sshd_start "UsePAM no" "PasswordAuthentication yes" "KbdInteractiveAuthentication no" "LogLevel VERBOSE"
scenario verbose-publickey-unknown-key $ATK4 alice
key $SRV4 alice bad1
scenario verbose-password $ATK4 root
pw $SRV4 root
sshd_stop

# ================================ phase 4: UsePAM yes =========================================
sshd_start "UsePAM yes" "PasswordAuthentication yes" "KbdInteractiveAuthentication yes" "LogLevel INFO"
scenario pam-password-valid-user $ATK4 root
pw $SRV4 root
scenario pam-password-invalid-user $ATK4 admin
pw $SRV4 admin
scenario pam-kbdint-valid-user $ATK4 root
kbd $SRV4 root
scenario pam-kbdint-invalid-user $ATK6 admin
kbd $SRV6 admin
scenario pam-max-auth-tries-password $ATK4 root
pw $SRV4 root 7
scenario pam-kbdint-3-attempts $ATK4 alice
kbd $SRV4 alice 3
scenario pam-accepted-password $ATK4 alice
pw $SRV4 alice 1 alice-secret
sshd_stop

# ================================ phase 4b: UsePAM yes, LogLevel VERBOSE ======================
sshd_start "UsePAM yes" "PasswordAuthentication yes" "KbdInteractiveAuthentication yes" "LogLevel VERBOSE"
scenario verbose-pam-kbdint-valid-user $ATK4 alice
kbd $SRV4 alice 2
scenario verbose-pam-kbdint-invalid-user $ATK4 admin
kbd $SRV4 admin
scenario verbose-pam-password $ATK4 root
pw $SRV4 root
sshd_stop

# ================================ phase 5: LoginGraceTime =====================================
sshd_start "UsePAM no" "PasswordAuthentication yes" "LogLevel INFO" "LoginGraceTime 2"
scenario login-grace-timeout $ATK4 -
(printf 'SSH-2.0-slow\r\n'; sleep 5) | atk timeout 8 socat -t 6 - TCP:$SRV4:22 >/dev/null 2>&1
scenario login-grace-timeout-silent $ATK6 -
(sleep 5) | atk timeout 8 socat -t 6 - "TCP6:[$SRV6]:22" >/dev/null 2>&1
scenario shutdown - -
sshd_stop
sleep 0.5

journalctl -o export --no-pager >"$CORPUS_OUT/all.export" || tb_die "journalctl export"
tb_log "exported $(grep -c '^__CURSOR=' "$CORPUS_OUT/all.export") entries"
