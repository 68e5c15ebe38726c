#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Long-lived journal writer for the integration tests.

usage: journal-writer.py FIFO IDENT
Reads JSON arrays from FIFO, one per line: ["MESSAGE", "FIELD=VALUE", ...], and sends each as one entry
over journald's native protocol (/run/systemd/journal/socket), with SYSLOG_IDENTIFIER=IDENT unless the
entry sets its own.  Values with newlines use the protocol's binary form.  Prints "sent N" per entry.
Being long-lived matters: journald reads the sender's cgroup (_SYSTEMD_UNIT) from /proc, which a
process that already exited no longer has."""
import json
import socket
import struct
import sys

fifo, ident = sys.argv[1], sys.argv[2]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n = 0


def field(key, value):
    v = value.encode()
    if b"\n" in v:
        return key.encode() + b"\n" + struct.pack("<Q", len(v)) + v + b"\n"
    return key.encode() + b"=" + v + b"\n"


while True:
    with open(fifo) as f:
        for line in f:
            args = json.loads(line)
            fields = {"MESSAGE": args[0], "SYSLOG_IDENTIFIER": ident, "PRIORITY": "5"}
            for a in args[1:]:
                k, _, v = a.partition("=")
                fields[k] = v
            data = b"".join(field(k, v) for k, v in fields.items())
            sock.sendto(data, "/run/systemd/journal/socket")
            n += 1
            print("sent", n, flush=True)
