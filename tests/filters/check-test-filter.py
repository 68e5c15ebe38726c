#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""portcullisctl test-filter's options against a small journal made here (systemd-journal-remote):
--since/--until, --print-all-matched/-missed/-ignored, --message (and its exit status), --match, and the
JSON lines (index, matched, host, user, time, result, regex, fields)."""
import json
import os
import subprocess
import sys
import tempfile

BUILD = os.environ.get("PORTCULLIS_BUILD_DIR", "build")
CTL = os.path.join(BUILD, "portcullisctl")
failures = []


def check(what, cond):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def entry(i, unit, ident, msg):
    t = 1700000000000000 + i * 1000000
    return (f"__REALTIME_TIMESTAMP={t}\n__MONOTONIC_TIMESTAMP={1000 + i}\n"
            f"_BOOT_ID=0d1b6c4a4f2f4b8e9b1f0c7e5a3d2c1b\n_HOSTNAME=h\n_SYSTEMD_UNIT={unit}\n"
            f"SYSLOG_IDENTIFIER={ident}\nSYSLOG_PID={100 + i}\nMESSAGE={msg}\n\n")


FILTER = """[Definition]
failregex = ^\\S+ app\\[\\d+\\]: bad login user=<F-USER>\\S+</F-USER> port=<F-PORT>\\d+</F-PORT> from <HOST>$
            ^\\S+ app\\[\\d+\\]: refused <HOST>$
ignoreregex = user=trusted
journalmatch = _SYSTEMD_UNIT=app.service
"""

with tempfile.TemporaryDirectory() as tmp:
    os.makedirs(f"{tmp}/filters")
    with open(f"{tmp}/filters/app.conf", "w") as f:
        f.write(FILTER)
    with open(f"{tmp}/in.export", "w") as f:
        f.write(entry(0, "app.service", "app", "bad login user=alice port=22 from 192.0.2.1"))
        f.write(entry(1, "app.service", "app", "hello"))
        f.write(entry(2, "app.service", "app", "bad login user=trusted port=22 from 192.0.2.2"))
        f.write(entry(3, "other.service", "app", "refused 192.0.2.3"))
        f.write(entry(4, "app.service", "app", "refused 192.0.2.4"))
        f.write(entry(5, "app.service", "app", "refused host.example"))
    subprocess.run(["/lib/systemd/systemd-journal-remote", "--output", f"{tmp}/x.journal", f"{tmp}/in.export"],
                   check=True, capture_output=True)

    def ctl(*args, rc=0):
        r = subprocess.run([CTL, "test-filter", "app", "--filter-dir", f"{tmp}/filters", *args],
                           capture_output=True, text=True)
        check(f"exit status {rc} for {' '.join(args)} (got {r.returncode}: {r.stderr.strip()})", r.returncode == rc)
        return r.stdout

    out = ctl("--journal-file", f"{tmp}/x.journal", "--json")
    lines = [json.loads(x) for x in out.splitlines()]
    check("5 entries read (the one of other.service is not)", len(lines) == 5)
    check("first: matched, host, user, regex 0, fields with user and port",
          lines[0]["matched"] and lines[0]["host"] == "192.0.2.1" and lines[0]["user"] == "alice"
          and lines[0]["regex"] == 0 and lines[0]["fields"] == {"user": "alice", "port": "22"}
          and lines[0]["result"] == "failure")
    check("time is the entry's", abs(lines[0]["time"] - 1700000000.0) < 1e-6)
    check("second: no match, no regex", not lines[1]["matched"] and lines[1]["regex"] is None
          and lines[1]["result"] == "no-match")
    check("third: ignored, with its regex", lines[2]["result"] == "ignored" and lines[2]["regex"] == 0)
    check("fourth: second regex", lines[3]["matched"] and lines[3]["regex"] == 1 and lines[3]["host"] == "192.0.2.4")
    check("fifth: a hostname gives no address", lines[4]["result"] == "no-address" and not lines[4]["matched"])

    out = ctl("--journal-file", f"{tmp}/x.journal", "--since", "@1700000001", "--until", "@1700000004", "--json")
    check("--since/--until select entries 1..4 (3 read of app.service)", len(out.splitlines()) == 3)

    out = ctl("--journal-file", f"{tmp}/x.journal", "--print-all-missed")
    check("--print-all-missed prints the missed lines only",
          "missed   h app[101]: hello" in out and "no-addr  h app[105]: refused host.example" in out
          and "192.0.2.1" not in out)
    out = ctl("--journal-file", f"{tmp}/x.journal", "--print-all-ignored")
    check("--print-all-ignored prints the ignored line only", "ignored  h app[102]" in out and "hello" not in out)
    out = ctl("--journal-file", f"{tmp}/x.journal")
    check("default: the matches and the counts",
          "192.0.2.1" in out and "hello" not in out and "Entries: 5 read, 2 matched, 1 ignored, 1 without address" in out)
    out = ctl("--journal-file", f"{tmp}/x.journal", "--match", "_SYSTEMD_UNIT=other.service", "--json")
    check("--match replaces the filter's journalmatch", len(out.splitlines()) == 1)

    ctl("--message", "refused 198.51.100.1", "--identifier", "app", "--pid", "7", "--quiet")
    ctl("--message", "hello", "--identifier", "app", "--quiet", rc=1)
    out = ctl("--message", "refused 198.51.100.1", "--identifier", "app", "--hostname", "web", "--pid", "1", "--json")
    check("--message: the line is built like an entry's", json.loads(out)["host"] == "198.51.100.1")
    ctl("--message", "x", "--journal-file", f"{tmp}/x.journal", rc=2)
    ctl("--journal-file", f"{tmp}/x.journal", "--since", "yesterday-ish", rc=2)

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
