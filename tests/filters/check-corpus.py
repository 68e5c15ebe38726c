#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks a filter against its journal corpus.

usage: check-corpus.py FILTER MODE CORPUS.export...
  e.g. check-corpus.py sshd aggressive tests/data/filters/sshd/*.export

Environment: PORTCULLIS_BUILD_DIR (portcullisctl), PORTCULLIS_SOURCE_DIR (filters/).

Each export file is converted to a journal file with systemd-journal-remote and fed to
`portcullisctl test-filter 'FILTER[mode=MODE]' --json`.  The expectations are fields of the entries:
  PORTCULLIS_EXPECT=match host=ADDR [user=USER] | nomatch | unread
  PORTCULLIS_EXPECT_<MODE>=...   (overrides PORTCULLIS_EXPECT for that mode)
"unread" entries must not be selected by the filter's journalmatch; all others must be read, in
journal order, with the expected result; "time" must be the entry's _SOURCE_REALTIME_TIMESTAMP
(else __REALTIME_TIMESTAMP).  Prints one line per entry that fails; exits 1 if any did.
"""
import json
import os
import subprocess
import sys
import tempfile

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"


def parse_expect(text):
    """'match host=1.2.3.4 user=a b c' -> dict.  user is last and may contain spaces."""
    if text in ("nomatch", "unread"):
        return {"kind": text}
    if not text.startswith("match "):
        raise ValueError(f"bad expectation {text!r}")
    rest = text[len("match "):]
    user = None
    if " user=" in rest:
        rest, user = rest.split(" user=", 1)
    if not rest.startswith("host="):
        raise ValueError(f"bad expectation {text!r}")
    return {"kind": "match", "host": rest[len("host="):], "user": user}


def field(entry, name):
    v = entry.get(name)
    if isinstance(v, list):  # binary or repeated field: journalctl gives a byte array
        if v and isinstance(v[0], int):
            return bytes(v).decode("utf-8", "backslashreplace")
        v = v[0]
    return v


def check_file(export, filt, mode, tmp):
    failures = []
    journal = os.path.join(tmp, os.path.basename(export) + ".journal")
    r = subprocess.run([JOURNAL_REMOTE, "--output=" + journal, export],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        return [f"{export}: systemd-journal-remote failed: {r.stdout.strip()}"]

    r = subprocess.run(["journalctl", "--file", journal, "-o", "json", "--no-pager"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
    entries = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    expected = []
    for e in entries:
        text = field(e, "PORTCULLIS_EXPECT_" + mode.upper()) or field(e, "PORTCULLIS_EXPECT")
        if text is None:
            failures.append(f"{export}: entry without PORTCULLIS_EXPECT: {field(e, 'MESSAGE')!r}")
            continue
        exp = parse_expect(text)
        if exp["kind"] == "unread":
            continue
        ts = field(e, "_SOURCE_REALTIME_TIMESTAMP") or field(e, "__REALTIME_TIMESTAMP")
        exp["time"] = int(ts) / 1e6
        exp["message"] = field(e, "MESSAGE")
        expected.append(exp)

    ctl = os.path.join(os.environ["PORTCULLIS_BUILD_DIR"], "portcullisctl")
    filter_dir = os.path.join(os.environ["PORTCULLIS_SOURCE_DIR"], "filters")
    r = subprocess.run([ctl, "test-filter", f"{filt}[mode={mode}]", "--filter-dir", filter_dir,
                        "--journal-file", journal, "--json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        return failures + [f"{export}: portcullisctl test-filter failed ({r.returncode}): {r.stderr.strip()}"]
    got = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

    if len(got) != len(expected):
        failures.append(f"{export}: {len(got)} entries read, expected {len(expected)}")
    for i, (exp, g) in enumerate(zip(expected, got)):
        problems = []
        if g.get("index") != i:
            problems.append(f"index {g.get('index')}")
        want_match = exp["kind"] == "match"
        if g.get("matched") is not want_match:
            problems.append(f"matched={g.get('matched')} expected {want_match}")
        elif want_match:
            if g.get("host") != exp["host"]:
                problems.append(f"host={g.get('host')!r} expected {exp['host']!r}")
            if exp["user"] is not None and g.get("user") != exp["user"]:
                problems.append(f"user={g.get('user')!r} expected {exp['user']!r}")
        t = g.get("time")
        if not isinstance(t, (int, float)) or abs(t - exp["time"]) > 1e-6:
            problems.append(f"time={t!r} expected {exp['time']:.6f}")
        if problems:
            failures.append(f"{export} #{i}: {', '.join(problems)}: {exp['message']!r}")
    return failures


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    filt, mode, exports = sys.argv[1], sys.argv[2], sys.argv[3:]
    failures = []
    with tempfile.TemporaryDirectory(prefix="portcullis-corpus.") as tmp:
        for export in exports:
            failures += check_file(export, filt, mode, tmp)
    for f in failures:
        print("FAIL:", f)
    print(f"{filt}[mode={mode}]: {len(exports)} corpus file(s), {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
