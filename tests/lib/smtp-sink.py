#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A local SMTP server (aiosmtpd) for the action tests: every message received is written to
DIR/NNNN.eml (the raw message as received, after SMTP dot-unstuffing) and DIR/NNNN.env (MAIL FROM and
RCPT TO, one per line). usage: smtp-sink.py PORT DIR"""
import os
import sys
import time

from aiosmtpd.controller import Controller

port, out = int(sys.argv[1]), sys.argv[2]
n = [0]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        n[0] += 1
        base = os.path.join(out, "%04d" % n[0])
        with open(base + ".env", "w") as f:
            f.write("\n".join([envelope.mail_from] + list(envelope.rcpt_tos)) + "\n")
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 OK"


c = Controller(Handler(), hostname="127.0.0.1", port=port)
c.start()
while True:
    time.sleep(3600)
