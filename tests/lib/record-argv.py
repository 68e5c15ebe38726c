#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""For the command action tests: appends {"argv": [...], "uid": N, "env": {...}} as one JSON line to
the file named by argv[1] (the rest of argv is what the action passed)."""
import json
import os
import sys

with open(sys.argv[1], "a") as f:
    f.write(json.dumps({"argv": sys.argv[2:], "uid": os.getuid(), "env": dict(os.environ)}) + "\n")
