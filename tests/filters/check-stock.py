#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every stock jail, enabled at once, must load and compile without a single warning (the lint, forgeable
journal matches, unknown keys): `portcullisctl check-config` with the repository as the vendor directory
and an admin directory that only enables each jail through NAME.local."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get("PORTCULLIS_SOURCE_DIR", ".")
CTL = os.path.join(os.environ.get("PORTCULLIS_BUILD_DIR", "build"), "portcullisctl")

with tempfile.TemporaryDirectory() as tmp:
    os.makedirs(f"{tmp}/jails")
    shutil.copy(f"{SRC}/portcullis.conf", tmp)
    names = []
    for path in sorted(glob.glob(f"{SRC}/jails/*.conf")):
        name = os.path.basename(path)[:-len(".conf")]
        names.append(name)
        with open(f"{tmp}/jails/{name}.local", "w") as f:
            f.write(f"[{name}]\nenabled = true\n")
    r = subprocess.run([CTL, "check-config", "--config-dir", tmp, "--vendor-dir", SRC, "--json"],
                       capture_output=True, text=True)
    print(r.stderr, end="")
    if r.returncode != 0:
        print(f"FAIL: check-config exited {r.returncode}")
        sys.exit(1)
    jails = [j["name"] for j in json.loads(r.stdout)["jails"]]
    missing = sorted(set(names) - set(jails))
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    print(f"{len(jails)} stock jails enabled and compiled; {len(warnings)} warning(s); not loaded: {missing}")
    sys.exit(1 if warnings or missing else 0)
