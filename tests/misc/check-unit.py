#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The unit file: `systemd-analyze verify` finds nothing but the not-yet-installed binary, and
`systemd-analyze security --offline=true` rates its exposure 2.0 or better. (There is no systemd as PID 1
here: the hardening is checked by analysis, not by running the service under it.)"""
import os
import re
import subprocess
import sys

unit = os.path.join(os.environ.get("PORTCULLIS_BUILD_DIR", "build"), "portcullisd.service")
failures = []
r = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True)
problems = [l for l in (r.stdout + r.stderr).splitlines() if l.strip() and "is not executable" not in l]
print("verify:", problems or "clean")
if problems:
    failures.append("verify")
r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", unit], capture_output=True,
                   text=True)
m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout + r.stderr)
print("exposure:", m.group(1) if m else "?")
if not m or float(m.group(1)) > 2.0:
    failures.append("exposure")
sys.exit(1 if failures else 0)
