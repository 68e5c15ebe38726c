#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Runs fail2ban's own filter files through `portcullisctl test-filter` and through fail2ban-regex (the
installed fail2ban, Debian 12: 1.0.2) on the same journal entries and compares, entry by entry, which
host each one yields.

usage: check-fail2ban-regex.py FILTER.conf MODE CORPUS.export...

Each export becomes a journal file (systemd-journal-remote); test-filter reads it with the filter's
journalmatch (--json gives one object per entry read, in journal order). The same entries, taken with
journalctl and the same match, become a text log for fail2ban-regex: "EPOCH HOSTNAME IDENT[PID]: MESSAGE",
which is the line fail2ban's systemd backend builds, behind a date that fail2ban strips again. The date
is fake: entry number N gets base + N seconds, so that fail2ban-regex's answer (-o row: host, date, …)
says which entry it is for. Both sides use logtype=journal, the daemon's (and fail2ban's systemd
backend's) prefix.

Differences that cannot be helped are listed in KNOWN_DIFFERENCES with the reason; none is needed for
the corpora registered in meson.build. Exits 77 when fail2ban-regex or the filter file is missing.
"""
import ast
import json
import os
import subprocess
import sys
import tempfile

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
BASE = 1700000000  # 2023-11-14: any fixed time; fail2ban-regex does not check findtime

# (filter, mode, MESSAGE) -> reason.  Empty: our engine agrees on every registered corpus entry.
KNOWN_DIFFERENCES = {}

# (filter, mode) -> (text test-filter's refusal must contain, reason).  filter-lint refuses regexes
# that let logged text choose the address; fail2ban's own sshd.conf has one in modes ddos and
# aggressive: "^Bad protocol version identification '.*' from <HOST>" (not anchored at the end, so a
# client sending "x' from 192.0.2.1" as its version string makes sshd log an address of its choosing).
# We keep refusing it: the test checks that this is the one refusal, so a new difference still fails.
REFUSED = {
    ("sshd", "ddos"): ("sshd.conf:75: failregex: a greedy catch-all", "injectable regex, see above"),
    ("sshd", "aggressive"): ("sshd.conf:75: failregex: a greedy catch-all", "injectable regex, see above"),
}


def field(entry, name):
    v = entry.get(name)
    if isinstance(v, list):
        if v and isinstance(v[0], int):
            return bytes(v).decode("utf-8", "replace")
        v = v[0]
    return v


def main():
    conf, mode, exports = sys.argv[1], sys.argv[2], sys.argv[3:]
    build = os.environ.get("PORTCULLIS_BUILD_DIR", "build")
    ctl = os.path.join(build, "portcullisctl")
    f2b = "/usr/bin/fail2ban-regex"
    if not os.path.exists(f2b) or not os.path.exists(conf):
        print(f"SKIP: {f2b} or {conf} missing (tools/install-deps.sh installs fail2ban)")
        return 77
    name = os.path.basename(conf)[:-len(".conf")]
    if (name, mode) in REFUSED:
        want, reason = REFUSED[(name, mode)]
        r = subprocess.run([ctl, "test-filter", f"{conf}[mode={mode}]", "--message=x"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        errors = [l for l in r.stderr.splitlines() if "failregex" in l]
        if r.returncode == 0 or len(errors) != 1 or want not in errors[0]:
            print(f"{name} mode={mode}: expected exactly one refusal containing {want!r}, got "
                  f"exit {r.returncode}: {r.stderr.strip()}")
            return 1
        print(f"{name} mode={mode}: refused as documented ({reason})")
        return 0
    failures = []
    total = matched = 0
    with tempfile.TemporaryDirectory() as tmp:
        for export in exports:
            journal = os.path.join(tmp, os.path.basename(export) + ".journal")
            subprocess.run([JOURNAL_REMOTE, "--output=" + journal, export], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ours = subprocess.run([ctl, "test-filter", f"{conf}[mode={mode}]", "--journal-file=" + journal,
                                   "--json"], stdout=subprocess.PIPE, text=True, check=True)
            rows = [json.loads(l) for l in ours.stdout.splitlines() if l.strip()]
            # the same entries: every entry test-filter read, by its time (unique in our corpora)
            entries = [json.loads(l) for l in subprocess.run(
                ["journalctl", "--file", journal, "-o", "json", "--no-pager"], stdout=subprocess.PIPE,
                text=True, check=True).stdout.splitlines() if l.strip()]
            by_time = {}
            for e in entries:
                t = int(field(e, "_SOURCE_REALTIME_TIMESTAMP") or field(e, "__REALTIME_TIMESTAMP"))
                by_time.setdefault(t, e)
            log = os.path.join(tmp, os.path.basename(export) + ".log")
            lines = []
            with open(log, "w", encoding="utf-8") as out:
                for i, row in enumerate(rows):
                    e = by_time[round(row["time"] * 1e6)]
                    ident = field(e, "SYSLOG_IDENTIFIER") or field(e, "_COMM") or ""
                    pid = field(e, "SYSLOG_PID") or field(e, "_PID")
                    msg = (field(e, "MESSAGE") or "").replace("\n", " ")
                    line = f"{field(e, '_HOSTNAME')} {ident}{f'[{pid}]' if pid else ''}: {msg}"
                    lines.append(msg)
                    out.write(f"{BASE + i} {line}\n")
            r = subprocess.run([f2b, "-o", "row", log, f"{conf}[mode={mode}, logtype=journal]"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TZ": "UTC"})
            if r.returncode != 0:
                failures.append(f"{export}: fail2ban-regex failed: {r.stderr.strip()[:500]}")
                continue
            theirs = {}
            for l in r.stdout.splitlines():
                l = l.strip().rstrip(",")
                if not l.startswith("["):
                    continue
                host, date = l[1:].split(",\t", 2)[:2]
                theirs[int(float(date)) - BASE] = ast.literal_eval(host)
            for i, row in enumerate(rows):
                total += 1
                mine = row["host"] if row["matched"] else None
                other = theirs.get(i)
                if mine:
                    matched += 1
                if mine == other:
                    continue
                reason = KNOWN_DIFFERENCES.get((name, mode, lines[i]))
                if reason:
                    continue
                failures.append(f"{os.path.basename(export)} entry {i}: portcullis {mine!r}, "
                                f"fail2ban-regex {other!r}: {lines[i]!r}")
    for f in failures:
        print(f)
    print(f"{name} mode={mode}: {total} entries, {matched} failures, {len(failures)} differences")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
