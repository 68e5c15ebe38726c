#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The unit files: `systemd-analyze verify` finds nothing at all in portcullisd.service and portcullisd.socket
(verified as copies whose ExecStart=/ExecReload= point at the binaries in the build dir, so that verify can
check they exist and are executable), the socket names the service and the control socket path, and
`systemd-analyze security --offline=true` rates the service's exposure 2.0 or better. (There is no systemd
as PID 1 here: the hardening is checked by analysis, not by running the service under it.)"""
import os
import re
import subprocess
import sys
import tempfile

build = os.environ.get("PORTCULLIS_BUILD_DIR", "build")
units = ["portcullisd.service", "portcullisd.socket"]
failures = []

with tempfile.TemporaryDirectory() as tmp:
    for u in units:
        text = open(os.path.join(build, u)).read()
        # /usr/local/sbin/portcullisd -> BUILD/portcullisd (same for portcullisctl)
        text = re.sub(r"^(Exec\w+=)\S*/(portcullis\w+)", lambda m: m.group(1) + os.path.abspath(
            os.path.join(build, m.group(2))), text, flags=re.M)
        with open(os.path.join(tmp, u), "w") as f:
            f.write(text)
    # verify also runs `man` for every Documentation=man:…: our pages, as built, on MANPATH
    for page in ("portcullisd.8", "portcullisctl.1", "portcullis.conf.5"):
        d = os.path.join(tmp, "man", "man" + page.rsplit(".", 1)[1])
        os.makedirs(d, exist_ok=True)
        os.symlink(os.path.abspath(os.path.join(build, page)), os.path.join(d, page))
    paths = [os.path.join(tmp, u) for u in units]
    r = subprocess.run(["systemd-analyze", "verify"] + paths, capture_output=True, text=True,
                       env=dict(os.environ, MANPATH=os.path.join(tmp, "man")))
    problems = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
    print("verify:", problems or "clean", "rc", r.returncode)
    if problems or r.returncode != 0:
        failures.append("verify")

socket = open(os.path.join(build, "portcullisd.socket")).read()
for want in (r"^ListenStream=/\S+/io\.portcullis\.Portcullis1$", r"^Service=portcullisd\.service$",
             r"^SocketMode=0660$", r"^FileDescriptorName=io\.portcullis\.Portcullis1$"):
    if not re.search(want, socket, re.M):
        failures.append("socket lacks " + want)
service = open(os.path.join(build, "portcullisd.service")).read()
for want in (r"^Type=notify$", r"^BusName=org\.portcullis\.Portcullis1$", r"^WatchdogSec=\d+", r"^ExecReload=/\S+/portcullisctl --no-ask-password reload$",
             r"^RuntimeDirectoryPreserve=yes$"):
    if not re.search(want, service, re.M):
        failures.append("service lacks " + want)

r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", os.path.join(build, units[0])],
                   capture_output=True, text=True)
m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout + r.stderr)
print("exposure:", m.group(1) if m else "?")
if not m or float(m.group(1)) > 2.0:
    failures.append("exposure")
print("failures:", failures or "none")
sys.exit(1 if failures else 0)
