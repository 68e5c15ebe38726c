# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by the annotation steps of tools/collect-*-corpus.sh: reading and writing the journal
# export format, and the table-driven annotation (scenario markers -> PORTCULLIS_* fields).
#
# A service table is a dict:
#   "units":  units whose entries are the service's (kept and judged)
#   "idents": SYSLOG_IDENTIFIER prefixes; such entries from another unit are forged ("unread")
#   "modes":  filter modes, the first one being "normal"
#   "kinds":  [(test(msg) -> bool, modes that count it, check the user?)]; the first test that
#             holds gives the kind, no test holding is an error
#   "aggressive_all" (optional): a kind counted in any mode also counts in mode "aggressive"
#   "never" (optional): never(marker) -> True when a counted failure must still be "nomatch"
import struct
import sys


def starts(p):
    return lambda m: m.startswith(p)


def has(*ps):
    return lambda m: all(p in m for p in ps)


def read_export(path):
    """The entries of a journal export file, each a list of (name, bytes value)."""
    with open(path, "rb") as f:
        data = f.read()
    pos, entry, out = 0, [], []
    while pos < len(data):
        nl = data.index(b"\n", pos)
        line = data[pos:nl]
        if not line:
            if entry:
                out.append(entry)
            entry, pos = [], nl + 1
            continue
        if b"=" in line:
            k, v = line.split(b"=", 1)
            entry.append((k.decode(), v))
            pos = nl + 1
        else:  # binary field: NAME\n, 64-bit little-endian length, data, \n
            n = struct.unpack("<Q", data[nl + 1:nl + 9])[0]
            entry.append((line.decode(), data[nl + 9:nl + 9 + n]))
            pos = nl + 9 + n + 1
    if entry:
        out.append(entry)
    return out


def write_field(f, k, v):
    if b"\n" in v:
        f.write(k.encode() + b"\n" + struct.pack("<Q", len(v)) + v + b"\n")
    else:
        f.write(k.encode() + b"=" + v + b"\n")


def parse_marker(msg):
    """The marker of a corpus-scenario entry: "scenario=NAME addr=ADDR user=USER"."""
    scen, rest = msg.split(" addr=", 1)
    addr, user = rest.split(" user=", 1)
    return {"scenario": scen[len("scenario="):], "addr": addr, "user": user}


def annotate(entries, svc, out):
    marker = {"scenario": "-", "addr": "-", "user": "-"}
    never = svc.get("never", lambda marker: False)
    n = {"match": 0, "nomatch": 0, "unread": 0}
    with open(out, "wb") as f:
        for e in entries:
            d = dict(e)
            ident = d.get("SYSLOG_IDENTIFIER", b"").decode()
            msg = d.get("MESSAGE", b"").decode("utf-8", "backslashreplace")
            if ident == "corpus-scenario":
                marker = parse_marker(msg)
                continue
            unit = d.get("_SYSTEMD_UNIT", b"").decode()
            if unit in svc["units"]:
                kind = next((k for k in svc["kinds"] if k[0](msg)), None)
                if kind is None:
                    sys.exit(f"unknown {unit} message: {msg!r}")
                exp = {}
                for mode in svc["modes"]:
                    if mode in kind[1] or (mode == "aggressive" and kind[1] and svc.get("aggressive_all")):
                        if marker["addr"] == "-":
                            sys.exit(f"failure outside a scenario with an address: {msg!r}")
                        if never(marker):
                            exp[mode] = "nomatch"
                            continue
                        x = "match host=" + marker["addr"]
                        if kind[2] and marker["user"] != "-":
                            x += " user=" + marker["user"]
                        exp[mode] = x
                    else:
                        exp[mode] = "nomatch"
            elif ident.startswith(svc["idents"]):
                exp = {m: "unread" for m in svc["modes"]}   # forged: same identifier, other unit
            else:
                continue
            for k, v in e:
                write_field(f, k, v)
            write_field(f, "PORTCULLIS_SCENARIO", marker["scenario"].encode())
            write_field(f, "PORTCULLIS_EXPECT", exp["normal"].encode())
            for mode in svc["modes"][1:]:
                if exp[mode] != exp["normal"]:
                    write_field(f, "PORTCULLIS_EXPECT_" + mode.upper(), exp[mode].encode())
            f.write(b"\n")
            for v in exp.values():
                n[v.split()[0]] += 1
    print(f"{out}: {n}", file=sys.stderr)
