#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal D-Bus client on the system bus socket (EXTERNAL auth, raw marshalling), for what busctl and
dbus-send cannot do: arguments larger than a command line, and the byte size of a reply.

usage: dbus-raw.py big
         Manager.Ban(1 MB jail, 1 MB address), Ban(testsvc, 1 MB address), Unban("", 1 MB address):
         prints "NAME MESSAGE_TYPE ERROR_NAME" per reply (type 3 = error)
       dbus-raw.py listbans JAIL OFFSET LIMIT
         Manager.ListBans: prints "bytes=SIZE seconds=TIME" of the reply"""
import os
import socket
import struct
import sys
import time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("/run/dbus/system_bus_socket")
s.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
assert s.recv(4096).startswith(b"OK")
s.sendall(b"BEGIN\r\n")
serial = 0
def pad(b, n): return b + b"\0" * ((-len(b)) % n)
def msg(dest, path, iface, member, sig, body):
    global serial
    serial += 1
    fields = b""
    def field(code, t, v):
        nonlocal fields
        fields = pad(fields, 8)
        if t == b"s" or t == b"o":
            fields += bytes([code, 1]) + t + b"\0" + struct.pack("<I", len(v)) + v + b"\0"
        elif t == b"g":
            fields += bytes([code, 1]) + t + b"\0" + bytes([len(v)]) + v + b"\0"
    field(1, b"o", path); field(2, b"s", iface); field(3, b"s", member); field(6, b"s", dest)
    if sig: field(8, b"g", sig)
    hdr = b"l" + bytes([1, 0, 1]) + struct.pack("<II", len(body), serial) + struct.pack("<I", len(fields)) + fields
    return pad(hdr, 8) + body
def body_strings(*items):
    out = b""
    for kind, v in items:
        if kind == "s":
            out = pad(out, 4) + struct.pack("<I", len(v)) + v + b"\0"
        elif kind == "t":
            out = pad(out, 8) + struct.pack("<Q", v)
        elif kind == "b":
            out = pad(out, 4) + struct.pack("<I", v)
    return out
def recv_reply(want_serial):
    """Returns (message type, error name, whole message size in bytes)."""
    buf = b""
    while True:
        while len(buf) < 16:
            buf += s.recv(65536)
        blen, ser, flen = struct.unpack("<III", buf[4:16])
        total = 16 + flen + ((-flen) % 8) + blen
        while len(buf) < total:
            buf += s.recv(1 << 20)
        m, buf = buf[:total], buf[total:]
        mtype = m[1]
        fields = m[16:16 + flen]
        reply_serial, err = None, None
        i = 0
        while i < len(fields):
            i += (-i) % 8
            code = fields[i]; sig = fields[i + 2:i + 3]; i += 4
            if sig in (b"s", b"o"):
                n = struct.unpack("<I", fields[i:i + 4])[0]; v = fields[i + 4:i + 4 + n]; i += 5 + n
            elif sig == b"g":
                n = fields[i]; v = fields[i + 1:i + 1 + n]; i += 2 + n
            elif sig == b"u":
                v = struct.unpack("<I", fields[i:i + 4])[0]; i += 4
            else:
                break
            if code == 5: reply_serial = v
            if code == 4: err = v.decode()
        if reply_serial == want_serial:
            return mtype, err, len(m)
s.sendall(msg(b"org.freedesktop.DBus", b"/org/freedesktop/DBus", b"org.freedesktop.DBus", b"Hello", b"", b""))
recv_reply(serial)
MGR = (b"org.portcullis.Portcullis1", b"/org/portcullis/Portcullis1", b"org.portcullis.Portcullis1.Manager")
if sys.argv[1] == "big":
    big = b"a" * 1048576
    for name, member, sig, args in (
            ("Ban", b"Ban", b"sstb", (("s", big), ("s", big), ("t", 0), ("b", 0))),
            ("Ban2", b"Ban", b"sstb", (("s", b"testsvc"), ("s", big), ("t", 0), ("b", 0))),
            ("Unban", b"Unban", b"ssb", (("s", b""), ("s", big), ("b", 0)))):
        s.sendall(msg(*MGR, member, sig, body_strings(*args)))
        mtype, err, _ = recv_reply(serial)
        print(name, mtype, err)
elif sys.argv[1] == "listbans":
    t0 = time.monotonic()
    s.sendall(msg(*MGR, b"ListBans", b"stt", body_strings(("s", sys.argv[2].encode()), ("t", int(sys.argv[3])),
                                                         ("t", int(sys.argv[4])))))
    mtype, err, size = recv_reply(serial)
    print(f"bytes={size} seconds={time.monotonic() - t0:.3f}" + (f" error={err}" if err else ""))
