#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generate a deterministic synthetic journal for the matching benchmark.

Writes N entries in journal export format (KEY=VALUE lines, a blank line after each entry) to stdout or
to --output, and optionally converts the result with systemd-journal-remote into a journal file.

The mix: 5% of all entries are sshd authentication failures in OpenSSH 9.x wording, about 3% are ordinary
sshd lines (accepted logins, PAM sessions, disconnects), the rest comes from nginx, postfix, cron,
systemd, the kernel, dbus, NetworkManager, logind and a few others. sshd entries come from ssh.service
(_EXE=/usr/sbin/sshd, _COMM=sshd, SYSLOG_IDENTIFIER=sshd); a small part of the ordinary ones (session
closes) come from the per-login session scope, as on a real Debian host.

The same seed and N always give byte-identical output. Counts per kind go to --stats (JSON).
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time

SEED = 20240601
BOOT_ID = "5d3c0b9c4f6a4a7e9f0b1c2d3e4f5a6b"
MACHINE_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
HOSTNAME = "gate"
START_REALTIME_USEC = 1_717_200_000_000_000    # 2024-06-01 00:00:00 UTC
START_MONOTONIC_USEC = 12_345_678

FAILURE_SHARE = 0.05
SSHD_OK_SHARE = 0.03

# Attacker pool: TEST-NET and documentation ranges only, IPv4 and IPv6.
def attacker_pool(rng):
        pool = []
        for net in ("192.0.2", "198.51.100", "203.0.113"):
                for _ in range(120):
                        pool.append("%s.%d" % (net, rng.randrange(1, 255)))
        for _ in range(140):
                pool.append("2001:db8:%x:%x::%x" % (rng.randrange(0, 0xffff), rng.randrange(0, 0xffff),
                                                    rng.randrange(1, 0xffff)))
        return sorted(set(pool))

USERS_BAD = ["root", "admin", "test", "user", "oracle", "ubuntu", "postgres", "git", "guest", "pi",
             "ftpuser", "support", "deploy", "jenkins", "ansible", "www-data", "mysql", "hadoop", "nagios",
             "teamspeak", "minecraft", "steam", "backup", "web", "dev"]
USERS_OK = [("alice", 1000), ("bob", 1001), ("carol", 1002), ("deploy", 1003)]
CLIENTS_OK = ["10.0.0.%d" % i for i in range(2, 40)] + ["fd00:1::%x" % i for i in range(2, 20)]
KEYFP = ["SHA256:Xq3n1oVb9m2L0c7kQpTz8yR5uWfE4hJdGsA6iN1oPrM",
         "SHA256:b7YtKc2Qm9Zp1Lx0Vw3Rn8Ju5Hf6Gd4Se2Aa7Bb9CcD",
         "SHA256:Q0w9E8r7T6y5U4i3O2p1A0s9D8f7G6h5J4k3L2z1X0c"]


class Gen:
        def __init__(self, seed):
                self.rng = random.Random(seed)
                self.realtime = START_REALTIME_USEC
                self.monotonic = START_MONOTONIC_USEC
                self.attackers = attacker_pool(self.rng)
                self.sshd_listener_pid = 612
                self.next_pid = 1000
                self.session = 1
                self.stats = {}

        def pid(self):
                self.next_pid += self.rng.randrange(1, 7)
                if self.next_pid > 4_000_000:
                        self.next_pid = 1000
                return self.next_pid

        def count(self, kind):
                self.stats[kind] = self.stats.get(kind, 0) + 1

        def port(self):
                return self.rng.randrange(1024, 65536)

        def attacker(self):
                # A few addresses are very busy, most are occasional: a skewed pick.
                n = len(self.attackers)
                return self.attackers[min(int(self.rng.paretovariate(1.2)) - 1, n - 1) if self.rng.random() < 0.3
                                      else self.rng.randrange(n)]

        def bad_user(self):
                r = self.rng.random()
                if r < 0.3:
                        return "root"
                if r < 0.95:
                        return self.rng.choice(USERS_BAD)
                return "%s%d" % (self.rng.choice(USERS_BAD), self.rng.randrange(100))

        # ---- unit templates: each returns (fields, message) ----

        def sshd_fields(self, pid, unit="ssh.service", cgroup=None):
                return {
                        "_TRANSPORT": "syslog",
                        "SYSLOG_FACILITY": "4" if unit == "ssh.service" else "10",
                        "SYSLOG_IDENTIFIER": "sshd",
                        "SYSLOG_PID": str(pid),
                        "_PID": str(pid),
                        "_UID": "0",
                        "_GID": "0",
                        "_COMM": "sshd",
                        "_EXE": "/usr/sbin/sshd",
                        "_CMDLINE": "sshd: [accepted]" if unit == "ssh.service" else "sshd: alice [priv]",
                        "_SYSTEMD_UNIT": unit,
                        "_SYSTEMD_CGROUP": cgroup or "/system.slice/ssh.service",
                        "_SYSTEMD_SLICE": "system.slice" if unit == "ssh.service" else "user-1000.slice",
                }

        def sshd_failure(self):
                rng = self.rng
                a = self.attacker()
                p = self.port()
                u = self.bad_user()
                r = rng.random()
                if r < 0.30:
                        kind, msg, prio = "fail-password", "Failed password for %s from %s port %d ssh2" % (u, a, p), 6
                elif r < 0.55:
                        kind, msg, prio = ("fail-password-invalid",
                                           "Failed password for invalid user %s from %s port %d ssh2" % (u, a, p), 6)
                elif r < 0.75:
                        kind, msg, prio = "invalid-user", "Invalid user %s from %s port %d" % (u, a, p), 6
                elif r < 0.82:
                        kind, msg, prio = ("pam-auth-failure",
                                           "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
                                           "tty=ssh ruser= rhost=%s  user=%s" % (a, u), 5)
                elif r < 0.88:
                        kind, msg, prio = ("max-auth-attempts",
                                           "error: maximum authentication attempts exceeded for %s from %s port %d "
                                           "ssh2 [preauth]" % (u, a, p), 3)
                elif r < 0.93:
                        kind, msg, prio = ("closed-invalid-user",
                                           "Connection closed by invalid user %s %s port %d [preauth]" % (u, a, p), 6)
                elif r < 0.97:
                        kind, msg, prio = ("disconnected-invalid-user",
                                           "Disconnected from invalid user %s %s port %d [preauth]" % (u, a, p), 6)
                else:
                        kind, msg, prio = ("unable-to-negotiate",
                                           "Unable to negotiate with %s port %d: no matching key exchange method "
                                           "found. Their offer: diffie-hellman-group1-sha1,"
                                           "diffie-hellman-group14-sha1 [preauth]" % (a, p), 6)
                self.count("sshd-failure")
                self.count("sshd-failure/" + kind)
                f = self.sshd_fields(self.pid())
                f["PRIORITY"] = str(prio)
                return f, msg

        def sshd_ok(self):
                rng = self.rng
                user, uid = rng.choice(USERS_OK)
                c = rng.choice(CLIENTS_OK)
                p = self.port()
                r = rng.random()
                unit, cgroup = "ssh.service", None
                if r < 0.2:
                        msg = "Accepted publickey for %s from %s port %d ssh2: ED25519 %s" % (user, c, p,
                                                                                            rng.choice(KEYFP))
                elif r < 0.4:
                        msg = "pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)" % (user, uid)
                elif r < 0.5:
                        # Logged after the login moved into the session scope: matched through _EXE only.
                        self.session += 1
                        unit = "session-%d.scope" % self.session
                        cgroup = "/user.slice/user-%d.slice/%s" % (uid, unit)
                        msg = "pam_unix(sshd:session): session closed for user %s" % user
                elif r < 0.65:
                        msg = "Received disconnect from %s port %d:11: disconnected by user" % (c, p)
                elif r < 0.8:
                        msg = "Disconnected from user %s %s port %d" % (user, c, p)
                elif r < 0.9:
                        msg = "Connection closed by %s port %d [preauth]" % (self.attacker(), p)
                elif r < 0.95:
                        msg = "Server listening on 0.0.0.0 port 22."
                else:
                        msg = "Received signal 15; terminating."
                self.count("sshd-ok")
                f = self.sshd_fields(self.pid(), unit, cgroup)
                f["PRIORITY"] = "6"
                return f, msg

        def service(self, unit, comm, exe, cmdline, ident, facility, uid=0, pid=None, prio=6):
                pid = pid if pid is not None else self.pid()
                return {
                        "_TRANSPORT": "syslog" if facility is not None else "stdout",
                        "PRIORITY": str(prio),
                        "SYSLOG_FACILITY": str(facility if facility is not None else 3),
                        "SYSLOG_IDENTIFIER": ident,
                        "SYSLOG_PID": str(pid),
                        "_PID": str(pid),
                        "_UID": str(uid),
                        "_GID": str(uid),
                        "_COMM": comm,
                        "_EXE": exe,
                        "_CMDLINE": cmdline,
                        "_SYSTEMD_UNIT": unit,
                        "_SYSTEMD_CGROUP": "/system.slice/" + unit,
                        "_SYSTEMD_SLICE": "system.slice",
                }

        def nginx(self):
                rng = self.rng
                paths = ["/favicon.ico", "/wp-login.php", "/.env", "/admin/config.php", "/robots.txt",
                         "/phpmyadmin/index.php", "/api/v1/health"]
                a = rng.choice(self.attackers + CLIENTS_OK)
                path = rng.choice(paths)
                msg = ('%d#%d: *%d open() "/var/www/html%s" failed (2: No such file or directory), client: %s, '
                       'server: _, request: "GET %s HTTP/1.1", host: "gate.example.org"'
                       % (rng.randrange(700, 720), 0, rng.randrange(1, 10**7), path, a, path))
                f = self.service("nginx.service", "nginx", "/usr/sbin/nginx", "nginx: worker process", "nginx",
                                 None, uid=33, pid=rng.randrange(700, 720), prio=3)
                return f, msg

        def postfix(self):
                rng = self.rng
                a = rng.choice(self.attackers)
                host = "unknown[%s]" % a
                r = rng.random()
                if r < 0.35:
                        comm, msg = "smtpd", "connect from %s" % host
                elif r < 0.6:
                        comm, msg = "smtpd", "disconnect from %s ehlo=1 auth=0/1 quit=1 commands=2/3" % host
                elif r < 0.75:
                        comm, msg = "smtpd", "warning: %s: SASL LOGIN authentication failed: UGFzc3dvcmQ6" % host
                elif r < 0.9:
                        comm = "qmgr"
                        msg = "%X: from=<noreply@example.com>, size=%d, nrcpt=1 (queue active)" % (
                                rng.randrange(1 << 36), rng.randrange(500, 90000))
                else:
                        comm = "smtp"
                        msg = ("%X: to=<ops@example.org>, relay=mx.example.org[198.18.0.25]:25, delay=0.4, "
                               "status=sent (250 2.0.0 Ok)" % rng.randrange(1 << 36))
                f = self.service("postfix@-.service", comm, "/usr/lib/postfix/sbin/" + comm,
                                 comm + " -n smtp -t inet -u -c", "postfix/" + comm, 2, uid=107)
                f["_SYSTEMD_CGROUP"] = "/system.slice/system-postfix.slice/postfix@-.service"
                f["_SYSTEMD_SLICE"] = "system-postfix.slice"
                return f, msg

        def cron(self):
                rng = self.rng
                r = rng.random()
                if r < 0.4:
                        msg = "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)"
                elif r < 0.7:
                        msg = "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
                else:
                        msg = "pam_unix(cron:session): session closed for user root"
                f = self.service("cron.service", "cron", "/usr/sbin/cron", "/usr/sbin/cron -f", "CRON", 9)
                return f, msg

        def systemd(self):
                rng = self.rng
                svc = rng.choice(["logrotate", "apt-daily", "man-db", "systemd-tmpfiles-clean", "phpsessionclean",
                                  "fstrim", "e2scrub_all"])
                r = rng.random()
                if r < 0.3:
                        msg = "Starting %s.service - %s..." % (svc, svc.replace("-", " "))
                elif r < 0.6:
                        msg = "%s.service: Deactivated successfully." % svc
                elif r < 0.8:
                        msg = "Finished %s.service - %s." % (svc, svc.replace("-", " "))
                else:
                        msg = "Started session-%d.scope - Session %d of User alice." % (self.session, self.session)
                f = self.service("init.scope", "systemd", "/usr/lib/systemd/systemd",
                                 "/sbin/init", "systemd", 3, pid=1)
                f["_SYSTEMD_CGROUP"] = "/init.scope"
                f["_SYSTEMD_SLICE"] = "-.slice"
                return f, msg

        def kernel(self):
                rng = self.rng
                a = rng.choice(self.attackers)
                if ":" in a:
                        a = "203.0.113.%d" % rng.randrange(1, 255)
                msg = ("[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=%s "
                       "DST=198.51.100.10 LEN=44 TOS=0x00 PREC=0x00 TTL=241 ID=%d PROTO=TCP SPT=%d DPT=%d "
                       "WINDOW=1024 RES=0x00 SYN URGP=0" % (a, rng.randrange(65536), self.port(),
                                                           rng.choice([23, 445, 3389, 8080, 5900])))
                f = {"_TRANSPORT": "kernel", "PRIORITY": "4", "SYSLOG_FACILITY": "0",
                     "SYSLOG_IDENTIFIER": "kernel"}
                return f, msg

        def dbus(self):
                rng = self.rng
                name = rng.choice(["org.freedesktop.hostname1", "org.freedesktop.timedate1",
                                   "org.freedesktop.PackageKit"])
                msg = ("[system] Activating via systemd: service name='%s' unit='dbus-%s.service' requested by "
                       "':1.%d' (uid=0 pid=%d comm=\"/usr/bin/busctl\")" % (name, name, rng.randrange(9999),
                                                                           self.pid()))
                f = self.service("dbus.service", "dbus-daemon", "/usr/bin/dbus-daemon",
                                 "/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile "
                                 "--systemd-activation --syslog-only", "dbus-daemon", 4, uid=101, pid=480, prio=5)
                return f, msg

        def networkmanager(self):
                rng = self.rng
                ts = self.realtime / 1e6
                msg = rng.choice([
                        "<info>  [%.4f] dhcp4 (eth0): state changed new lease, address=10.0.0.5" % ts,
                        "<info>  [%.4f] device (eth0): carrier: link connected" % ts,
                        "<info>  [%.4f] manager: NetworkManager state is now CONNECTED_GLOBAL" % ts,
                ])
                f = self.service("NetworkManager.service", "NetworkManager", "/usr/sbin/NetworkManager",
                                 "/usr/sbin/NetworkManager --no-daemon", "NetworkManager", 3, pid=495)
                return f, msg

        def logind(self):
                s = self.session
                msg = self.rng.choice(["New session %d of user alice." % s,
                                       "Session %d logged out. Waiting for processes to exit." % s,
                                       "Removed session %d." % s])
                f = self.service("systemd-logind.service", "systemd-logind", "/usr/lib/systemd/systemd-logind",
                                 "/lib/systemd/systemd-logind", "systemd-logind", 4, pid=470)
                return f, msg

        def misc(self):
                rng = self.rng
                r = rng.random()
                if r < 0.4:
                        msg = "Sync state: ok, offset %+.6f s" % (rng.random() / 100)
                        f = self.service("chrony.service", "chronyd", "/usr/sbin/chronyd", "/usr/sbin/chronyd -F 1",
                                         "chronyd", 3, uid=104, pid=505)
                elif r < 0.7:
                        msg = "Accepted connection from 10.0.0.%d on port 9100" % rng.randrange(2, 40)
                        f = self.service("prometheus-node-exporter.service", "prometheus-node",
                                         "/usr/bin/prometheus-node-exporter", "/usr/bin/prometheus-node-exporter",
                                         "prometheus-node-exporter", None, uid=108, pid=530)
                else:
                        msg = "Stats: %d packages, %d files" % (rng.randrange(900, 1200), rng.randrange(90000, 100000))
                        f = self.service("unattended-upgrades.service", "unattended-upgr",
                                         "/usr/bin/python3.11", "/usr/bin/python3 /usr/bin/unattended-upgrade",
                                         "unattended-upgrade", None)
                return f, msg

        def other(self):
                r = self.rng.random()
                for share, fn in ((0.30, self.nginx), (0.52, self.postfix), (0.62, self.cron),
                                  (0.74, self.systemd), (0.84, self.kernel), (0.88, self.dbus),
                                  (0.92, self.networkmanager), (0.95, self.logind)):
                        if r < share:
                                self.count("other/" + fn.__name__)
                                return fn()
                self.count("other/misc")
                return self.misc()

        def entry(self):
                r = self.rng.random()
                if r < FAILURE_SHARE:
                        f, msg = self.sshd_failure()
                elif r < FAILURE_SHARE + SSHD_OK_SHARE:
                        f, msg = self.sshd_ok()
                else:
                        f, msg = self.other()
                step = self.rng.randrange(1, 60000)
                self.realtime += step
                self.monotonic += step
                lines = ["__REALTIME_TIMESTAMP=%d" % self.realtime,
                         "__MONOTONIC_TIMESTAMP=%d" % self.monotonic,
                         "_BOOT_ID=" + BOOT_ID,
                         "_MACHINE_ID=" + MACHINE_ID,
                         "_HOSTNAME=" + HOSTNAME]
                lines.extend("%s=%s" % kv for kv in f.items())
                lines.append("MESSAGE=" + msg)
                return "\n".join(lines) + "\n\n"


def generate(n, out, seed):
        g = Gen(seed)
        buf = []
        for i in range(n):
                buf.append(g.entry())
                if len(buf) >= 10000:
                        out.write("".join(buf))
                        buf.clear()
        out.write("".join(buf))
        g.stats["entries"] = n
        return g.stats


def main():
        ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        ap.add_argument("-n", "--entries", type=int, default=1_000_000)
        ap.add_argument("--seed", type=int, default=SEED)
        ap.add_argument("-o", "--output", help="export file to write (default: stdout)")
        ap.add_argument("--stats", help="write counts per kind as JSON to this file")
        ap.add_argument("--journal", metavar="FILE",
                        help="also convert the export file into this journal file with systemd-journal-remote")
        ap.add_argument("--journal-remote", default="/lib/systemd/systemd-journal-remote")
        args = ap.parse_args()

        t0 = time.monotonic()
        if args.output:
                with open(args.output, "w", encoding="utf-8") as f:
                        stats = generate(args.entries, f, args.seed)
        else:
                stats = generate(args.entries, sys.stdout, args.seed)
        t_gen = time.monotonic() - t0
        print("generated %d entries in %.1f s (%d sshd failures, %d other sshd)"
              % (args.entries, t_gen, stats.get("sshd-failure", 0), stats.get("sshd-ok", 0)), file=sys.stderr)

        if args.journal:
                if not args.output:
                        sys.exit("--journal needs --output")
                os.makedirs(os.path.dirname(os.path.abspath(args.journal)), exist_ok=True)
                if os.path.exists(args.journal):
                        os.unlink(args.journal)
                t0 = time.monotonic()
                subprocess.run([args.journal_remote, "--output=" + args.journal, "--split-mode=none",
                                args.output], check=True)
                t_conv = time.monotonic() - t0
                stats["convert_seconds"] = round(t_conv, 2)
                print("converted to %s in %.1f s" % (args.journal, t_conv), file=sys.stderr)

        stats["generate_seconds"] = round(t_gen, 2)
        if args.stats:
                with open(args.stats, "w", encoding="utf-8") as f:
                        json.dump(stats, f, indent=1, sort_keys=True)
                        f.write("\n")


if __name__ == "__main__":
        main()
