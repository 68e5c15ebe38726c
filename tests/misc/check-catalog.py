#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""docs/portcullis.catalog documents every MESSAGE_ID of src/daemon/message-ids.h, and journalctl accepts it:
it is compiled into a catalog database under a private root (journalctl --root=DIR --update-catalog) and
listed back."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get("PORTCULLIS_SOURCE_DIR", ".")
ids = dict(re.findall(r'#define MESSAGE_ID_(\w+) "([0-9a-f]{32})"', open(f"{SRC}/src/daemon/message-ids.h").read()))
with tempfile.TemporaryDirectory() as root:
    os.makedirs(f"{root}/usr/lib/systemd/catalog")
    shutil.copy(f"{SRC}/docs/portcullis.catalog", f"{root}/usr/lib/systemd/catalog/")
    r = subprocess.run(["journalctl", f"--root={root}", "--update-catalog"], capture_output=True, text=True)
    if r.returncode != 0:
        print("FAIL: journalctl --update-catalog:", r.stderr)
        sys.exit(1)
    listed = subprocess.run(["journalctl", f"--root={root}", "--list-catalog"], capture_output=True,
                            text=True).stdout
missing = [name for name, mid in ids.items() if mid not in listed]
print(f"{len(ids)} message ids, {len(ids) - len(missing)} in the compiled catalog; missing: {missing}")
sys.exit(1 if missing or not ids else 0)
