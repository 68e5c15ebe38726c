#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Turns the journal export written by collect-sshd-corpus.sh into the sshd filter corpus.

usage: annotate-sshd-corpus.py ALL.export OUT.export

Keeps sshd's entries (_SYSTEMD_UNIT=ssh.service) unchanged and adds the expectation fields
PORTCULLIS_EXPECT (mode normal), PORTCULLIS_EXPECT_DDOS and PORTCULLIS_EXPECT_AGGRESSIVE (only where
they differ from PORTCULLIS_EXPECT).  The expected address and user come from the scenario marker
entries (SYSLOG_IDENTIFIER=corpus-scenario) that precede them, NOT from the message: the message kind
is recognised by plain string tests below, written independently of filters/sshd.conf, so the corpus
test really compares two descriptions.  An sshd message of an unknown kind is an error: look at it,
decide, and add it to KINDS.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from corpus_export import read_export  # noqa: E402

# (name, test, modes, user): modes is a set of "normal", "ddos", "extra" (extra = aggressive only;
# aggressive = normal + ddos + extra); user: None (do not check), "trunc" (user as sshd prints it
# with %.100s), "full" (whole user, escaped once more: the remote id is vis-encoded twice).
def _s(prefix):
    return lambda m: m.startswith(prefix)

KINDS = [
    # one per authentication attempt
    ("failed-none", _s("Failed none for "), {"extra"}, "trunc"),
    # LogLevel VERBOSE only: the same attempt as "error: PAM: Authentication failure for USER" below,
    # which sshd logs at every LogLevel, so only that one counts
    ("failed-kbdint-pam-valid-user", lambda m: m.startswith("Failed keyboard-interactive/pam for ") and
     not m.startswith("Failed keyboard-interactive/pam for invalid user "), set(), None),
    ("failed", lambda m: m.startswith("Failed ") and " for " in m, {"normal"}, "trunc"),
    ("invalid-user", _s("Invalid user "), {"normal"}, "trunc"),
    ("not-allowed", lambda m: m.startswith("User ") and " not allowed because " in m, {"normal"}, "trunc"),
    # keyboard-interactive through PAM: for a valid user sshd writes no "Failed" line at INFO, only this;
    # for an invalid ("illegal") user it also writes "Failed keyboard-interactive/pam for invalid user"
    ("pam-error-illegal", _s("error: PAM: Authentication failure for illegal user "), set(), None),
    ("pam-error", _s("error: PAM: Authentication failure for "), {"normal"}, "trunc"),
    # PAM modules' own lines: always next to one of sshd's lines above
    ("pam-module", lambda m: m.startswith("pam_") or m.startswith("PAM "), set(), None),
    ("max-tries", _s("error: maximum authentication attempts exceeded for "), {"extra"}, "trunc"),
    ("too-many-disconnect", lambda m: m.startswith("Disconnecting ") and "Too many authentication failures" in m,
     set(), None),
    # connection level
    ("closed-user-preauth", lambda m: (m.startswith("Connection closed by authenticating user ") or
                                       m.startswith("Connection closed by invalid user ") or
                                       m.startswith("Connection reset by authenticating user ") or
                                       m.startswith("Connection reset by invalid user ")) and m.endswith(" [preauth]"),
     {"extra"}, "full"),
    ("disconnected-user-preauth", lambda m: (m.startswith("Disconnected from authenticating user ") or
                                             m.startswith("Disconnected from invalid user ")) and m.endswith(" [preauth]"),
     {"extra"}, "full"),
    ("closed-preauth", lambda m: (m.startswith("Connection closed by ") or m.startswith("Connection reset by ") or
                                  m.startswith("Disconnected from ")) and m.endswith(" [preauth]"), {"ddos"}, None),
    ("closed-before-banner", lambda m: m.startswith("Connection closed by ") and " port " in m and
     not m.startswith("Connection closed by user "), {"ddos"}, None),
    ("banner-invalid", _s("banner exchange: Connection from "), {"ddos"}, None),
    ("no-ident", _s("Did not receive identification string from "), {"ddos"}, None),
    ("unable-negotiate", _s("Unable to negotiate with "), {"ddos"}, None),
    ("grace-timeout", _s("Timeout before authentication for "), {"ddos"}, None),
    ("penalty-drop", lambda m: m.startswith("drop connection #") and " penalty: " in m, {"ddos"}, None),
    # everything else sshd says: never a failure
    ("kex-ident-error", _s("error: kex_exchange_identification: "), set(), None),
    ("no-shadow", _s("error: Could not get shadow information for "), set(), None),
    ("postponed", _s("Postponed "), set(), None),
    ("accepted", _s("Accepted "), set(), None),
    ("received-disconnect", _s("Received disconnect from "), set(), None),
    ("disconnected-user", _s("Disconnected from user "), set(), None),
    ("connection-from", _s("Connection from "), set(), None),
    ("listening", _s("Server listening on "), set(), None),
    ("signal", _s("Received signal "), set(), None),
]


def write_field(out, name, value):
    if b"\n" in value or any(c < 0x20 and c != 0x09 for c in value):
        out.write(name.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n")
    else:
        out.write(name.encode() + b"=" + value + b"\n")


def expectation(matched, addr, user):
    if not matched:
        return "nomatch"
    s = "match host=" + addr
    if user is not None:
        s += " user=" + user
    return s


def main():
    src, dst = sys.argv[1], sys.argv[2]
    scenario = {"scenario": "-", "addr": "-", "user": "-"}
    counts = {}
    n = 0
    with open(dst, "wb") as out:
        for entry in read_export(src):
            fields = dict(entry)
            if fields.get("SYSLOG_IDENTIFIER") == b"corpus-scenario":
                msg = fields["MESSAGE"].decode()
                # "scenario=NAME addr=ADDR user=USER" (the user may contain spaces: it is last)
                head, user = msg.split(" user=", 1)
                name, addr = head.split(" addr=", 1)
                scenario = {"scenario": name.split("=", 1)[1], "addr": addr, "user": user}
                continue
            if fields.get("_SYSTEMD_UNIT") != b"ssh.service":
                continue
            msg = fields["MESSAGE"].decode("utf-8", "backslashreplace")
            kind = next((k for k in KINDS if k[1](msg)), None)
            if kind is None:
                sys.exit(f"unknown sshd message in scenario {scenario['scenario']}: {msg!r}")
            name, _, modes, user_rule = kind
            if modes and scenario["addr"] == "-":
                sys.exit(f"failure message outside an attack scenario: {msg!r}")
            user = None
            if user_rule == "trunc":
                user = scenario["user"][:100]
            elif user_rule == "full":
                user = scenario["user"].replace("\\", "\\\\")
            if user == "-":
                user = None
            exp = {m: expectation(bool(modes & ({"normal"} if m == "normal" else
                                                {"ddos"} if m == "ddos" else
                                                {"normal", "ddos", "extra"})),
                                  scenario["addr"], user)
                   for m in ("normal", "ddos", "aggressive")}
            for k, v in entry:
                write_field(out, k, v)
            write_field(out, "PORTCULLIS_SCENARIO", scenario["scenario"].encode())
            write_field(out, "PORTCULLIS_EXPECT", exp["normal"].encode())
            if exp["ddos"] != exp["normal"]:
                write_field(out, "PORTCULLIS_EXPECT_DDOS", exp["ddos"].encode())
            if exp["aggressive"] != exp["normal"]:
                write_field(out, "PORTCULLIS_EXPECT_AGGRESSIVE", exp["aggressive"].encode())
            out.write(b"\n")
            counts[name] = counts.get(name, 0) + 1
            n += 1
    for k in sorted(counts):
        print(f"{counts[k]:4d} {k}", file=sys.stderr)
    print(f"{n} sshd entries written to {dst}", file=sys.stderr)


if __name__ == "__main__":
    main()
