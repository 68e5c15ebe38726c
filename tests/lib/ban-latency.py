#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Ban latency measured from the journal itself, free of the test's own overhead: for each ADDRESS, the
time from journald's receipt of the last failure entry naming it (before the ban) to the daemon's ban
event for it (MESSAGE_ID=33ea1ac0…, written right after the nft transaction went through).
usage: ban-latency.py ADDRESS...   prints one latency in ms per address ('-' when not banned)."""
import json
import subprocess
import sys

BAN = "33ea1ac086b84df697db5e5d3c1096ab"
out = subprocess.run(["journalctl", "-o", "json", "--no-pager"], capture_output=True, text=True).stdout
entries = [json.loads(line) for line in out.splitlines() if line.strip()]
res = []
for addr in sys.argv[1:]:
    ban = next((e for e in entries if e.get("MESSAGE_ID") == BAN and e.get("ADDRESS") == addr), None)
    if ban is None:
        res.append("-")
        continue
    t_ban = int(ban["__REALTIME_TIMESTAMP"])
    fails = [int(e["__REALTIME_TIMESTAMP"]) for e in entries
             if e.get("MESSAGE_ID") != BAN and isinstance(e.get("MESSAGE"), str)
             and e["MESSAGE"].endswith(" " + addr) and int(e["__REALTIME_TIMESTAMP"]) <= t_ban]
    res.append("%d" % ((t_ban - max(fails)) // 1000) if fails else "-")
print(" ".join(res))
