# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Test harness for portcullis' integration tests: real journald, nftables, sshd in private namespaces.
# Derived from the project's shared testbed recipes (shared/testbed/lib.sh, shared/TESTBED.md), so that a
# plain clone of the project passes its tests without that folder.  Source it; do not execute it.
# Output is TAP (ok / not ok lines, plan at the end), so that meson counts every check.
#
# Model: every script re-executes itself (tb_enter_ns / tb_run_ns) inside fresh
#   mount + PID + cgroup (+ optionally network) namespaces created by unshare(1):
#   - PID namespace: when the script (PID 1 there) exits or is killed, the kernel
#     SIGKILLs every process it started (journald, sshd, dbus-daemon, polkitd ...).
#   - mount namespace (private propagation): tmpfs over /run and /var/log and a
#     private /dev (kmsg -> /dev/null, log -> our journald); they vanish with the
#     namespace; the host never sees them.
#   - cgroup namespace rooted at a private cgroup-v2 directory: daemons are put in
#     /system.slice/<unit>, so journald adds _SYSTEMD_UNIT= etc. like on a real host.
#   - network namespace (optional): only "lo" + a veth pair to a second netns held by
#     a sleeping process; nothing can reach any real network.
# The host side only holds a mktemp -d directory and the cgroup directory, removed on
# exit, on SIGINT/SIGTERM and on timeout (TB_TIMEOUT, default 300 s); a SIGKILLed run
# still takes its namespace down (pdeathsig chain) and its leftovers are swept by the
# next run.  Nothing in here uses an absolute path of this checkout.

TB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TB_NAME=${TB_NAME:-$(basename "$0" .sh)}

tb_now_ns() { date +%s%N; }
: "${TB_T0:=$(tb_now_ns)}"
export TB_T0
tb_elapsed() { awk -v a="$TB_T0" -v b="$(tb_now_ns)" 'BEGIN{printf "%.3f", (b-a)/1e9}'; }
tb_log() { printf '# [%s +%ss] %s\n' "$TB_NAME" "$(tb_elapsed)" "$*" >&2; }
tb_die() { tb_log "FATAL: $*"; printf 'Bail out! %s\n' "$*"; tb_on_failure; exit 1; }

TB_PASS=0
TB_FAIL=0
tb_ok() { TB_PASS=$((TB_PASS + 1)); printf 'ok %d - %s\n' "$((TB_PASS + TB_FAIL))" "$*"; }
tb_ko() { TB_FAIL=$((TB_FAIL + 1)); printf 'not ok %d - %s\n' "$((TB_PASS + TB_FAIL))" "$*"; tb_on_failure; }
tb_check() { # tb_check "description" cmd...
        local d=$1; shift
        if "$@"; then tb_ok "$d"; else tb_ko "$d"; fi
}
# tb_quiet CMD...: CMD with its stdout discarded (TAP output must only hold TAP lines)
tb_quiet() { "$@" >/dev/null; }
# Called after each failed check: show what the daemon said (overridable).
tb_on_failure() {
        if [ -n "${PC_DAEMON_LOG:-}" ] && [ -f "$PC_DAEMON_LOG" ]; then
                echo "# --- last lines of the daemon's log ($PC_DAEMON_LOG) ---"
                tail -n 40 "$PC_DAEMON_LOG" | sed 's/^/# /'
        fi
}
tb_summary() { printf '1..%d\n# %d passed, %d failed\n' "$((TB_PASS + TB_FAIL))" "$TB_PASS" "$TB_FAIL"; [ "$TB_FAIL" -eq 0 ]; }

# tb_wait_for SECONDS cmd...  -- poll every 20 ms until cmd succeeds
tb_wait_for() {
        local t=$1; shift
        local end=$(( $(date +%s%N) + t * 1000000000 ))
        until "$@" 2>/dev/null; do
                [ "$(date +%s%N)" -lt "$end" ] || return 1
                sleep 0.02
        done
}

# ---------------------------------------------------------------------------
# Namespaces
# tb_enter_ns [--net] -- "$@"   (call at the top of a script, before anything else)
# Host side: runs this script again inside the namespaces and exits with its status.
# Inside: returns at once.
tb_enter_ns() {
        [ -n "${TB_IN_NS:-}" ] && return 0
        tb_run_ns "$@"
        exit $?
}

# tb_run_ns [--net] -- "$@"   host side only: like tb_enter_ns but RETURNS the inner
# status (so the caller can check the host afterwards).  Cleans up before returning,
# on SIGINT/SIGTERM, and after TB_TIMEOUT seconds (default 300; status 124 then).
tb_run_ns() {
        local net=()
        if [ "${1:-}" = --net ]; then net=(--net); shift; fi
        [ "${1:-}" = -- ] && shift
        [ "$(id -u)" = 0 ] || tb_die "must run as root"
        tb_sweep_stale
        TB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/testbed.XXXXXX") || tb_die "mktemp"
        chmod 0755 "$TB_TMP"   # unprivileged test callers (nobody) must reach sockets in here
        echo "$BASHPID" >"$TB_TMP/owner.pid"
        export TB_TMP
        local rc=0 cg=() cgdir done_pid=
        TB_CGROUP_DIR=
        cgdir=$(tb_cgroup2_root)
        if [ "${TB_CGROUP:-1}" = 1 ] && [ -n "$cgdir" ] && mkdir "$cgdir/$(basename "$TB_TMP")" 2>/dev/null; then
                # A private cgroup (v2) subtree + cgroup namespace: inside, /proc/PID/cgroup reads
                # "0::/system.slice/ssh.service", so journald attaches _SYSTEMD_UNIT= like on a real host.
                TB_CGROUP_DIR="$cgdir/$(basename "$TB_TMP")"
                cg=(--cgroup)
        fi
        export TB_CGROUP_DIR
        TB_CHAIN_PID='' TB_WATCHDOG_PID=''
        trap 'tb_host_cleanup' EXIT
        trap 'tb_host_cleanup; exit 130' INT
        trap 'tb_host_cleanup; exit 143' TERM
        # unshare runs in the background and is waited for, so a signal to this shell runs
        # the trap at once.  `setpriv --pdeathsig KILL`: if this shell dies, even by SIGKILL,
        # unshare is killed, its --kill-child kills the namespace's PID 1, and the kernel
        # then kills every other process of the PID namespace.
        (
                [ -n "$TB_CGROUP_DIR" ] && echo "$BASHPID" >"$TB_CGROUP_DIR/cgroup.procs"
                exec setpriv --pdeathsig KILL \
                        unshare --mount --propagation private --pid --fork --kill-child --mount-proc "${net[@]}" "${cg[@]}" \
                        -- env TB_IN_NS=1 bash "$0" "$@"
        ) &
        TB_CHAIN_PID=$!
        setpriv --pdeathsig KILL sleep "${TB_TIMEOUT:-300}" &   # watchdog (not GNU timeout: unshare --fork blocks SIGTERM)
        TB_WATCHDOG_PID=$!
        wait -n -p done_pid "$TB_CHAIN_PID" "$TB_WATCHDOG_PID"; rc=$?
        if [ "$done_pid" = "$TB_WATCHDOG_PID" ]; then
                TB_WATCHDOG_PID=
                tb_log "TIMEOUT: TB_TIMEOUT=${TB_TIMEOUT:-300}s reached, killing the namespace"
                rc=124
        else
                TB_CHAIN_PID=
        fi
        tb_host_cleanup
        trap - EXIT INT TERM
        return $rc
}
tb_host_cleanup() {
        local init
        if [ -n "${TB_CHAIN_PID:-}" ]; then
                # kill the namespace's PID 1 first (unshare then reaps it: no zombie left to the
                # host's init), then unshare itself if needed
                for init in $(ps -o pid= --ppid "$TB_CHAIN_PID" 2>/dev/null); do kill -KILL "$init" 2>/dev/null; done
                tb_wait_for 5 sh -c "! kill -0 $TB_CHAIN_PID" || kill -KILL "$TB_CHAIN_PID" 2>/dev/null
                wait "$TB_CHAIN_PID" 2>/dev/null
                TB_CHAIN_PID=
        fi
        if [ -n "${TB_WATCHDOG_PID:-}" ]; then
                kill "$TB_WATCHDOG_PID" 2>/dev/null
                wait "$TB_WATCHDOG_PID" 2>/dev/null
                TB_WATCHDOG_PID=
        fi
        [ -n "${TB_CGROUP_DIR:-}" ] && tb_cgroup_cleanup "$TB_CGROUP_DIR"
        [ -n "${TB_TMP:-}" ] && [ -d "$TB_TMP" ] && rm -rf "$TB_TMP"
        return 0
}

# Remove what a SIGKILLed earlier run could not: its temp dir and its (empty) cgroup.
# Only entries whose owner.pid is dead are touched, so parallel runs are safe.
tb_sweep_stale() {
        local d cgroot own
        for d in "${TMPDIR:-/tmp}"/testbed.??????; do
                [ -f "$d/owner.pid" ] || continue
                own=$(cat "$d/owner.pid" 2>/dev/null)
                [ -n "$own" ] && kill -0 "$own" 2>/dev/null && continue
                cgroot=$(tb_cgroup2_root)
                # still populated (namespace not dead yet)? leave it alone
                if [ -n "$cgroot" ] && [ -d "$cgroot/$(basename "$d")" ] &&
                        grep -q 'populated 1' "$cgroot/$(basename "$d")/cgroup.events" 2>/dev/null; then
                        continue
                fi
                [ -n "$cgroot" ] && tb_cgroup_cleanup "$cgroot/$(basename "$d")"
                rm -rf "$d" && tb_log "swept stale $d"
        done
}

# cgroup v2 mount point: /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified (hybrid); empty if none
tb_cgroup2_root() {
        local d
        for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
                if [ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ] && [ -w "$d/cgroup.procs" ]; then
                        echo "$d"; return 0
                fi
        done
}
tb_cgroup_cleanup() { # remove our (by then empty) cgroup subtree, deepest first
        local d=$1 i
        [ -d "$d" ] || return 0
        for i in $(seq 50); do
                find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
                [ -d "$d" ] || return 0
                sleep 0.1
        done
        tb_log "WARNING: could not remove cgroup $d"
}
# tb_spawn UNIT LOGFILE CMD... : start CMD in the background inside the cgroup
# /system.slice/UNIT (when cgroups are available), stdout+stderr appended to LOGFILE.
# Sets TB_SPAWNED_PID to the PID of CMD itself (the subshell execs it), so that
# `kill $TB_SPAWNED_PID` really stops the daemon.
tb_spawn() {
        local unit=$1 log=$2
        shift 2
        (
                if [ -n "${TB_CGROUP_DIR:-}" ] && [ -n "$unit" ]; then
                        mkdir -p "$TB_CGROUP_DIR/system.slice/$unit"
                        echo "$BASHPID" >"$TB_CGROUP_DIR/system.slice/$unit/cgroup.procs"
                fi
                exec "$@"
        ) >>"$log" 2>&1 &
        TB_SPAWNED_PID=$!
}

# Fresh tmpfs over /run (so /run/systemd, /run/dbus, /run/sshd, /run/netns are ours only)
# and over /var/log (journal files, and sshd's btmp/wtmp/lastlog records: sshd appends
# every failed login to /var/log/btmp!).  Only valid inside tb_enter_ns.
tb_private_fs() {
        [ -n "${TB_IN_NS:-}" ] || tb_die "tb_private_fs outside namespace"
        mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
        mkdir -p /run/lock /run/systemd/journal /run/log /run/dbus /run/sshd /run/user
        chmod 1777 /run/lock
        mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /var/log
        mkdir -p /var/log/journal
        chmod 2755 /var/log/journal
        local f
        for f in btmp wtmp lastlog; do : >"/var/log/$f"; chgrp utmp "/var/log/$f" 2>/dev/null; done
        chmod 0660 /var/log/btmp
        # /run/systemd/system is deliberately absent: sd_booted() stays false, as on the host
}

# Private /dev: a tmpfs with bind mounts of the few nodes needed, /dev/kmsg -> /dev/null
# (nothing we run can write into the host's kernel log), and /dev/log -> our journald.
tb_private_dev() {
        local d="$TB_TMP/dev"
        mkdir -p "$d"
        mount -t tmpfs -o mode=0755,nosuid tmpfs "$d"
        local n
        for n in null zero full random urandom tty; do
                touch "$d/$n"
                mount --bind "/dev/$n" "$d/$n"
        done
        touch "$d/kmsg"
        mount --bind /dev/null "$d/kmsg"
        mkdir -p "$d/pts" "$d/shm" "$d/mqueue"
        mount --bind /dev/pts "$d/pts"
        ln -s pts/ptmx "$d/ptmx"
        mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$d/shm"
        ln -s /proc/self/fd "$d/fd"
        ln -s /proc/self/fd/0 "$d/stdin"
        ln -s /proc/self/fd/1 "$d/stdout"
        ln -s /proc/self/fd/2 "$d/stderr"
        ln -s /run/systemd/journal/dev-log "$d/log"
        mount --move "$d" /dev
}

# ---------------------------------------------------------------------------
# journald: private instance, config drop-in in /run (our tmpfs)
tb_journald_start() {
        mkdir -p /run/systemd/journald.conf.d
        cat >/run/systemd/journald.conf.d/50-testbed.conf <<EOF
[Journal]
Storage=${TB_JOURNAL_STORAGE:-volatile}
ReadKMsg=no
# empty = "leave the kernel audit setting alone" (default would send AUDIT_SET; refused anyway in a non-initial PID ns)
Audit=
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
RateLimitIntervalSec=0
RateLimitBurst=0
EOF
        local sockdir=/run/systemd/journal
        [ $# -gt 0 ] && sockdir=/run/systemd/journal.$1
        # stale socket inodes of a previous instance would make the readiness wait below pass too early
        rm -f "$sockdir/socket" "$sockdir/stdout" "$sockdir/dev-log" "$sockdir/io.systemd.journal"
        # SYSTEMD_LOG_TARGET=console: journald's own diagnostics go to our log file, never to /dev/kmsg
        tb_spawn "systemd-journald${1:+@$1}.service" "$TB_TMP/journald${1:+-$1}.log" \
                env SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL="${TB_JOURNALD_LOG_LEVEL:-info}" \
                /lib/systemd/systemd-journald "$@"
        [ $# -eq 0 ] && TB_JOURNALD_PID=$TB_SPAWNED_PID
        tb_wait_for 10 test -S "$sockdir/stdout" -a -S "$sockdir/socket" -a -S "$sockdir/dev-log" ||
                { cat "$TB_TMP/journald${1:+-$1}.log" >&2; tb_die "journald did not come up"; }
        tb_log "journald${1:+ namespace $1} up (pid $TB_SPAWNED_PID)"
}

# ---------------------------------------------------------------------------
# Network: this namespace is the "server"; a second net namespace held by a
# sleeping process is the "attacker".  Run commands there with tb_attacker CMD...
TB_SRV4=10.77.0.1 TB_ATK4=10.77.0.2 TB_SRV6=fd00:77::1 TB_ATK6=fd00:77::2
tb_net_setup() {
        ip link set lo up
        unshare --net -- sleep infinity &
        TB_ATK_PID=$!
        tb_wait_for 5 sh -c "[ \"\$(readlink /proc/$TB_ATK_PID/ns/net)\" != \"\$(readlink /proc/$$/ns/net)\" ]" || tb_die "attacker netns"
        ip link add veth-srv type veth peer name veth-atk netns "/proc/$TB_ATK_PID/ns/net"
        ip addr add "$TB_SRV4/24" dev veth-srv
        ip -6 addr add "$TB_SRV6/64" dev veth-srv nodad
        ip link set veth-srv up
        nsenter -t "$TB_ATK_PID" -n sh -c "
                ip link set lo up &&
                ip addr add $TB_ATK4/24 dev veth-atk &&
                ip -6 addr add $TB_ATK6/64 dev veth-atk nodad &&
                ip link set veth-atk up"
        # no default route on either side: only 10.77.0.0/24 and fd00:77::/64 exist at all
        # (no ping on a minimal machine: wait for carrier on both ends instead)
        tb_wait_for 5 sh -c "ip -o link show veth-srv | grep -q 'state UP'" || tb_die "veth-srv not up"
        tb_wait_for 5 sh -c "nsenter -t $TB_ATK_PID -n ip -o link show veth-atk | grep -q 'state UP'" || tb_die "veth-atk not up"
        tb_log "netns: server $TB_SRV4/$TB_SRV6 <-> attacker $TB_ATK4/$TB_ATK6 (attacker holder pid $TB_ATK_PID)"
}
tb_attacker() { nsenter -t "$TB_ATK_PID" -n -- "$@"; }

# ---------------------------------------------------------------------------
# sshd (Debian openssh-server) logging through syslog(3) -> /dev/log -> our journald
tb_sshd_start() {
        local d="$TB_TMP/ssh"
        mkdir -p "$d"
        ssh-keygen -q -t ed25519 -N '' -f "$d/host_ed25519" >/dev/null
        cat >"$d/sshd_config" <<EOF
ListenAddress $TB_SRV4
ListenAddress [$TB_SRV6]
Port 22
HostKey $d/host_ed25519
PidFile $d/sshd.pid
UsePAM ${TB_SSHD_USEPAM:-no}
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin yes
MaxStartups 100:30:200
PerSourcePenalties no
SyslogFacility AUTH
LogLevel INFO
EOF
        # PerSourcePenalties only exists in OpenSSH >= 9.8; drop it if unsupported
        /usr/sbin/sshd -t -f "$d/sshd_config" 2>/dev/null || sed -i '/^PerSourcePenalties/d' "$d/sshd_config"
        /usr/sbin/sshd -t -f "$d/sshd_config" || tb_die "sshd config invalid"
        tb_spawn ssh.service "$TB_TMP/sshd.out" /usr/sbin/sshd -D -f "$d/sshd_config"
        TB_SSHD_PID=$TB_SPAWNED_PID
        tb_wait_for 10 sh -c "ss -Hltn | grep -q '$TB_SRV4:22'" || { cat "$TB_TMP/sshd.out" >&2; tb_die "sshd did not listen"; }
        tb_log "sshd up (pid $TB_SSHD_PID)"
}

# journal match for sshd's entries: the unit when we have a cgroup namespace (like a real
# host), else the syslog identifier (TB_CGROUP=0 or cgroup v2 not writable)
tb_sshd_match() { if [ -n "${TB_CGROUP_DIR:-}" ]; then echo _SYSTEMD_UNIT=ssh.service; else echo SYSLOG_IDENTIFIER=sshd; fi; }

# one failed password attempt from the attacker namespace; prints ssh's last line
tb_ssh_attempt() { # tb_ssh_attempt ADDR [USER]
        local addr=$1 user=${2:-root}
        mkdir -p "$TB_TMP/attacker-home"
        tb_attacker env HOME="$TB_TMP/attacker-home" timeout 15 sshpass -p wrong-password ssh -F /dev/null \
                -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
                -o PreferredAuthentications=password -o PubkeyAuthentication=no \
                -o ConnectTimeout="${TB_SSH_CONNECT_TIMEOUT:-3}" -o NumberOfPasswordPrompts=1 \
                "$user@$addr" true 2>&1 | tail -n 1
        return "${PIPESTATUS[0]}"
}

# ---------------------------------------------------------------------------
# Private D-Bus system bus, config generated from the real system.conf
tb_dbus_start() { # [--standard-path]: listen on /run/dbus/system_bus_socket (our tmpfs) instead of $TB_TMP
        local sock="$TB_TMP/dbus/system_bus_socket"
        [ "${1:-}" = --standard-path ] && sock=/run/dbus/system_bus_socket
        mkdir -p "$TB_TMP/dbus/system.d" "$TB_TMP/dbus/services"   # services: bus activation (Exec= lines)
        chmod 0755 "$TB_TMP/dbus"
        sed -e "s|<listen>.*</listen>|<listen>unix:path=$sock</listen>|" \
            -e '/<user>messagebus<\/user>/d' -e '/<fork\/>/d' -e '/<pidfile>/d' \
            -e '/<servicehelper>/d' -e '/<standard_system_servicedirs\/>/d' \
            -e "s|<includedir>system.d</includedir>|<includedir>/usr/share/dbus-1/system.d</includedir>|" \
            -e "s|<include ignore_missing=\"yes\">/etc/dbus-1/system-local.conf</include>|&\n  <includedir>$TB_TMP/dbus/system.d</includedir>\n  <servicedir>$TB_TMP/dbus/services</servicedir>|" \
            /usr/share/dbus-1/system.conf >"$TB_TMP/dbus/system.conf"
        grep -q "$TB_TMP/dbus/system.d" "$TB_TMP/dbus/system.conf" || tb_die "dbus config templating failed"
        rm -f "$TB_TMP/dbus/address" "$sock"   # stale files of a previous instance would fool the wait below
        tb_spawn dbus.service "$TB_TMP/dbus.log" dbus-daemon --config-file="$TB_TMP/dbus/system.conf" \
                --nofork --nopidfile --print-address=3 3>"$TB_TMP/dbus/address"
        TB_DBUS_PID=$TB_SPAWNED_PID
        tb_wait_for 10 test -s "$TB_TMP/dbus/address" || { cat "$TB_TMP/dbus.log" >&2; tb_die "dbus-daemon did not start"; }
        DBUS_SYSTEM_BUS_ADDRESS="unix:path=$sock"
        export DBUS_SYSTEM_BUS_ADDRESS
        tb_log "dbus-daemon up (pid $TB_DBUS_PID) at $DBUS_SYSTEM_BUS_ADDRESS"
}
tb_dbus_reload() { # SIGHUP makes dbus-daemon re-read its config (incl. includedir policies)
        kill -HUP "$TB_DBUS_PID"
        sleep 0.2
}

# The real polkitd on the private bus.  It reads actions and JS rules from /usr/share/polkit-1/actions
# and /etc/polkit-1/rules.d: private copies are bind-mounted over them inside our mount namespace (the
# host's stay untouched).  tb_polkit_start ACTIONS_FILE... -- RULES_FILE...
tb_polkit_start() {
        local a="$TB_TMP/polkit/actions" r="$TB_TMP/polkit/rules.d" f
        mkdir -p "$a" "$r"
        cp -a /usr/share/polkit-1/actions/. "$a/"
        while [ $# -gt 0 ] && [ "$1" != -- ]; do cp "$1" "$a/"; shift; done
        [ "${1:-}" = -- ] && shift
        for f in "$@"; do cp "$f" "$r/$(basename "${f%.example}")"; done
        chown -R root:root "$TB_TMP/polkit"
        chmod -R a+rX "$TB_TMP/polkit"
        mount --bind "$a" /usr/share/polkit-1/actions
        mount --bind "$r" /etc/polkit-1/rules.d
        tb_spawn polkit.service "$TB_TMP/polkitd.log" /usr/lib/polkit-1/polkitd --no-debug
        TB_POLKIT_PID=$TB_SPAWNED_PID
        tb_wait_for 15 sh -c 'busctl --system status org.freedesktop.PolicyKit1 >/dev/null 2>&1' ||
                { cat "$TB_TMP/polkitd.log" >&2; tb_die "polkitd did not take its bus name"; }
        tb_log "polkitd up (pid $TB_POLKIT_PID)"
}

# tb_group_add GROUP USER...: GROUP with these members in a private copy of /etc/group, bind-mounted
# over the real one inside our mount namespace (polkit's subject.isInGroup() reads it through NSS).
tb_group_add() {
        local g=$1 users
        shift
        users=$(IFS=,; echo "$*")
        [ -f "$TB_TMP/etc-group" ] || { cp /etc/group "$TB_TMP/etc-group"; chmod 0644 "$TB_TMP/etc-group"; mount --bind "$TB_TMP/etc-group" /etc/group; }
        echo "$g:x:$((60000 + RANDOM % 5000)):$users" >>"$TB_TMP/etc-group"
}

# run a command as an unprivileged user (and its primary group only), keeping the environment
tb_as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups -- "$@"; }


# ---------------------------------------------------------------------------
# portcullis
PC_SRC=${PORTCULLIS_SOURCE_DIR:-$(cd "$TB_DIR/../.." && pwd)}
PC_BUILD=${PORTCULLIS_BUILD_DIR:-$PC_SRC/build}
export PORTCULLIS_SOURCE_DIR=$PC_SRC PORTCULLIS_BUILD_DIR=$PC_BUILD

# Prerequisites: root and the programs the namespaced tests use.  Missing ones make the test exit 77
# (skipped), which the test runner counts as a failure: CI never passes with skipped tests.
pc_require() {
        local p
        [ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 77; }
        for p in unshare nsenter setpriv nft ip python3 journalctl "$@"; do
                command -v "$p" >/dev/null 2>&1 || { echo "1..0 # SKIP $p missing (tools/install-deps.sh)"; exit 77; }
        done
        [ -x /lib/systemd/systemd-journald ] || { echo "1..0 # SKIP systemd-journald missing"; exit 77; }
        [ -x "$PC_BUILD/portcullisd" ] || { echo "1..0 # SKIP $PC_BUILD/portcullisd not built"; exit 77; }
}

# pc_config_dir DIR: a config dir with the repo's portcullis.conf and filters; jails/ starts empty.
pc_config_dir() {
        mkdir -p "$1/jails" "$1/filters"
        cp "$PC_SRC/portcullis.conf" "$1/"
        cp "$PC_SRC"/filters/*.conf "$1/filters/" 2>/dev/null || true
}

# pc_sandbox: how a daemon test starts inside its namespaces: private /run, /var/log and /dev, a private
# journald, loopback up, and $PC_CONF: a config dir with the repo's portcullis.conf and filters.
pc_sandbox() {
        tb_private_fs
        tb_private_dev
        tb_journald_start
        ip link set lo up
        PC_CONF=$TB_TMP/conf
        pc_config_dir "$PC_CONF"
}

# pc_filter NAME FAILREGEX: filters/NAME.conf in $PC_CONF matching entries of unit NAME.service, whose
# line is "HOST NAME[PID]: MESSAGE" (the writer's identifier is NAME).
# pc_bus_start: a private system bus at the standard path with the project's D-Bus policy, and the real
# polkitd with the project's actions and the example rule (members of group "portcullis" may do
# everything); user "daemon" is put in that group.  Needs busctl and polkitd.
pc_bus_start() {
        tb_dbus_start --standard-path
        cp "$PC_SRC/units/org.portcullis.Portcullis1.conf" "$TB_TMP/dbus/system.d/"
        busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig >/dev/null ||
                tb_die "dbus-daemon did not reload its policy"
        tb_group_add portcullis daemon
        tb_polkit_start "$PC_SRC/polkit/org.portcullis.Portcullis1.policy" -- \
                "$PC_SRC/polkit/50-portcullis-admins.rules.example"
}
pc_bus_require() {
        local p
        for p in busctl dbus-daemon; do
                command -v "$p" >/dev/null 2>&1 || { echo "1..0 # SKIP $p missing (tools/install-deps.sh)"; exit 77; }
        done
        [ -x /usr/lib/polkit-1/polkitd ] || { echo "1..0 # SKIP polkitd missing (tools/install-deps.sh)"; exit 77; }
        [ -x "$PC_BUILD/portcullisctl" ] || { echo "1..0 # SKIP $PC_BUILD/portcullisctl not built"; exit 77; }
}

# pc_bus_daemon: the usual setup of the D-Bus tests: sandbox, bus + polkitd, filter "testsvc" (matching
# "AUTH FAILURE user=U from ADDR" of unit testsvc.service), jails "testsvc" (maxretry 3, bantime 10m,
# ports 22 and 2222) and "web" (same filter, bantime 1h, ports 80 and 443), a writer, the daemon.
# PC_BUS_DAEMON_ARGS: extra daemon arguments.
PC_BUS=org.portcullis.Portcullis1
PC_PATH=/org/portcullis/Portcullis1
PC_MGR=org.portcullis.Portcullis1.Manager
PC_JAIL=org.portcullis.Portcullis1.Jail
pc_bus_daemon() {
        pc_sandbox
        pc_bus_start
        pc_filter testsvc 'AUTH FAILURE user=<F-USER>\S+</F-USER> from <HOST>'
        cat >"$PC_CONF/jails/test.conf" <<'CONF'
[testsvc]
enabled = true
maxretry = 3
findtime = 10m
bantime = 10m
port = 22, 2222
protocol = tcp

[web]
enabled = true
filter = testsvc
maxretry = 5
bantime = 1h
port = 80, 443
CONF
        pc_writer_start testsvc testsvc.service
        pc_daemon_start ${PC_BUS_DAEMON_ARGS:-} || tb_die "daemon did not become ready"
}
# pc_json EXPR: evaluates the Python expression EXPR with d = the JSON document on stdin, prints it
pc_json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
# pc_mgr METHOD SIGNATURE ARGS...: busctl call on the manager object
pc_mgr() { busctl call "$PC_BUS" "$PC_PATH" "$PC_MGR" "$@"; }
pc_mgr_prop() { busctl get-property "$PC_BUS" "$PC_PATH" "$PC_MGR" "$1"; }
pc_jail_prop() { busctl get-property "$PC_BUS" "$PC_PATH/jail/$1" "$PC_JAIL" "$2"; }
pc_ctl() { "$PC_BUILD/portcullisctl" --no-pager "$@"; }

pc_filter() {
        printf '[Definition]\nfailregex = ^\\S+ %s\\[\\d+\\]: %s$\njournalmatch = _SYSTEMD_UNIT=%s.service\n' \
                "$1" "$2" "$1" >"$PC_CONF/filters/$1.conf"
}

# pc_daemon_start [ARGS...]: portcullisd in cgroup portcullisd.service with a private notify socket;
# waits for READY=1.  Sets PC_DAEMON_PID, PC_DAEMON_LOG, PC_NOTIFY_LOG.
PC_CONF=${PC_CONF:-}
pc_daemon_start() {
        PC_DAEMON_LOG=${PC_DAEMON_LOG:-$TB_TMP/portcullisd.log}
        PC_NOTIFY_LOG=$TB_TMP/notify.log
        PC_NOTIFY_SOCKET=$TB_TMP/notify.sock
        if [ -z "${PC_NOTIFY_PID:-}" ] || ! kill -0 "$PC_NOTIFY_PID" 2>/dev/null; then
                rm -f "$PC_NOTIFY_SOCKET"
                python3 "$TB_DIR/notify-listen.py" "$PC_NOTIFY_SOCKET" >>"$PC_NOTIFY_LOG" 2>&1 &
                PC_NOTIFY_PID=$!
                tb_wait_for 5 test -S "$PC_NOTIFY_SOCKET" || tb_die "notify listener did not start"
        fi
        local ready_before
        ready_before=$(grep -c 'READY=1' "$PC_NOTIFY_LOG" 2>/dev/null)
        tb_spawn portcullisd.service "$PC_DAEMON_LOG" env NOTIFY_SOCKET="$PC_NOTIFY_SOCKET" \
                ${PC_DAEMON_WRAPPER:-} "$PC_BUILD/portcullisd" --config-dir="$PC_CONF" --vendor-dir=/nonexistent \
                --state-dir="$TB_TMP/state" --runtime-dir="$TB_TMP/runtime" --log-target=console --log-level=debug "$@"
        PC_DAEMON_PID=$TB_SPAWNED_PID
        if ! tb_wait_for 20 sh -c "[ \$(grep -c 'READY=1' '$PC_NOTIFY_LOG') -gt $ready_before ]"; then
                kill -0 "$PC_DAEMON_PID" 2>/dev/null || { wait "$PC_DAEMON_PID"; PC_DAEMON_RC=$?; }
                return 1
        fi
        tb_log "portcullisd up (pid $PC_DAEMON_PID)"
}
pc_daemon_stop() { # sends SIGTERM, waits; returns the daemon's exit status
        kill -TERM "$PC_DAEMON_PID" 2>/dev/null
        wait "$PC_DAEMON_PID"
}

# pc_elements JAIL 4|6: the elements of our set, one "ADDRESS TIMEOUT_S EXPIRES_S" per line
# (timeout/expires '-' when the element has none).
pc_elements() {
        nft -j list set inet "${PC_TABLE:-portcullis}" "$1_v$2" 2>/dev/null | python3 -c '
import json, sys
doc = json.load(sys.stdin)
for o in doc["nftables"]:
    s = o.get("set")
    if not s: continue
    for e in s.get("elem", []):
        if isinstance(e, dict) and "elem" in e:
            x = e["elem"]; print(x["val"], x.get("timeout", "-"), x.get("expires", "-"))
        else:
            print(e, "-", "-")'
}
pc_banned() { pc_elements "$1" "$2" | grep -q "^$3 "; } # pc_banned JAIL 4|6 ADDRESS
pc_not_banned() { ! pc_banned "$@"; }

# A long-lived journal writer inside cgroup /system.slice/UNIT (a short-lived logger(1) may exit before
# journald reads its cgroup, and the entry then lacks _SYSTEMD_UNIT).  pc_writer_start NAME UNIT; then
# pc_write NAME MESSAGE [FIELD=VALUE...] sends one native-protocol entry (SYSLOG_IDENTIFIER defaults to
# NAME); pc_write_wait NAME N waits until N entries were sent.
declare -A PC_WRITER_FD
pc_writer_start() {
        local name=$1 unit=$2 fifo=$TB_TMP/writer-$1.fifo
        mkfifo "$fifo"
        tb_spawn "$unit" "$TB_TMP/writer-$name.log" python3 "$TB_DIR/journal-writer.py" "$fifo" "$name"
        exec {fd}>"$fifo"
        PC_WRITER_FD[$name]=$fd
}
pc_json_string() { # JSON string literal of $1 (no subprocess: tests write hundreds of entries)
        local s=${1//\\/\\\\}
        s=${s//\"/\\\"}
        s=${s//$'\n'/\\n}
        s=${s//$'\t'/\\t}
        printf '"%s"' "$s"
}
pc_write() {
        local name=$1 out='[' sep='' a
        shift
        for a in "$@"; do out+="$sep$(pc_json_string "$a")"; sep=,; done
        printf '%s]\n' "$out" >&"${PC_WRITER_FD[$name]}"
}
pc_write_wait() { tb_wait_for 10 sh -c "[ \$(grep -c '^sent' '$TB_TMP/writer-$1.log') -ge $2 ]"; }

# pc_journal_events MESSAGE_ID [FIELD=VALUE...]: how many such events the daemon wrote
pc_journal_events() {
        local id=$1; shift
        journalctl --no-pager -q -o cat "MESSAGE_ID=$id" "$@" 2>/dev/null | wc -l
}
PC_MSG_BAN=33ea1ac086b84df697db5e5d3c1096ab
PC_MSG_UNBAN=c0a33ab6d1a244a19155110e5732b179
PC_MSG_RELOAD=f06691f500be493e874aebaac88dcc3d
PC_MSG_CONFIG_ERROR=35f1eb20de8c4a3b9373e332bc1d27ad
PC_MSG_FILTER_LIMIT=c2c9414b9f89495bbcf3f17ed547fd70
PC_MSG_TRACKER_CAP=4e886b6499c34dca96c3b25750ad8bac
