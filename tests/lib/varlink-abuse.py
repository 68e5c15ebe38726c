#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Misbehaving control-socket clients for varlink-limits.sh. Each check exits 0 when the daemon did the right
thing: closed the offending connection, and still answers a well-behaved client at the same time.
usage: varlink-abuse.py SOCKET CHECK [ARGS]
  garbage | truncated | not-object | no-method | oversized | unterminated | pipeline | oneway
  clients N             N connections are served, one more is closed at once, and after they go a new one works
  slow-monitor FLAG     subscribes, then stops reading until FLAG exists; prints the events it then got and EOF"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from varlink import Connection  # noqa: E402

STATUS = b'{"method":"org.portcullis.Portcullis1.GetStatus"}\0'


def closed_by_daemon(sock, timeout=3.0):
    """True when the daemon closes SOCK within TIMEOUT (EOF or reset), False when it stays open."""
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def served(path):
    """A well-behaved client gets its answer."""
    c = Connection(path, timeout=3)
    r = c.call("org.portcullis.Portcullis1.GetStatus", {})
    c.close()
    return r is not None and r.get("parameters", {}).get("state") == "running"


def raw(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def send_and_expect_close(path, data):
    s = raw(path)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    ok = closed_by_daemon(s)
    print("closed" if ok else "NOT closed")
    return ok and served(path)


def main(path, check, args):
    if check == "garbage":
        return send_and_expect_close(path, b"this is not json {{{\0")
    if check == "truncated":
        # half a message, then the NUL: invalid JSON; and half a message from a client that then goes away
        s = raw(path)
        s.sendall(b'{"method":"org.portcullis.Portcullis1.GetStatus","param')
        s.close()
        return send_and_expect_close(path, b'{"method":"org.portcullis.Portcullis1.GetStatus","parameters":{\0')
    if check == "not-object":
        return send_and_expect_close(path, b"[1,2,3]\0")
    if check == "no-method":
        return send_and_expect_close(path, b'{"parameters":{}}\0')
    if check == "oversized":
        big = b'{"method":"org.portcullis.Portcullis1.GetStatus","parameters":{"x":"' + b"A" * 80000 + b'"}}\0'
        return send_and_expect_close(path, big)
    if check == "unterminated":
        s = raw(path)
        s.sendall(STATUS[:-1])  # a complete object, but never the NUL
        t0 = time.monotonic()
        if not served(path):
            print("another client was not served meanwhile")
            return False
        ok = closed_by_daemon(s, timeout=10)
        print("closed after %.1f s" % (time.monotonic() - t0) if ok else "NOT closed")
        return ok and 3 < time.monotonic() - t0 < 9 and served(path)
    if check == "pipeline":
        s = raw(path)
        s.sendall(b'{"method":"org.varlink.service.GetInfo"}\0' + STATUS +
                  b'{"method":"org.portcullis.Portcullis1.Nope"}\0')
        c = Connection.__new__(Connection)
        c.sock, c.buf = s, b""
        s.settimeout(3)
        r = [c.receive() for _ in range(3)]
        print(json.dumps(r)[:300])
        return ("interfaces" in r[0]["parameters"] and r[1]["parameters"]["state"] == "running" and
                r[2]["error"] == "org.varlink.service.MethodNotFound")
    if check == "oneway":
        c = Connection(path, timeout=3)
        c.send("org.portcullis.Portcullis1.ListJails", {}, oneway=True)
        r = c.call("org.portcullis.Portcullis1.GetStatus", {})
        print(json.dumps(r)[:200])
        return r["parameters"].get("state") == "running"
    if check == "clients":
        n = int(args[0])
        conns = [Connection(path, timeout=3) for _ in range(n)]
        for c in conns:  # every one of them is really being served
            if c.call("org.portcullis.Portcullis1.GetStatus", {}) is None:
                print("a connection within the limit was refused")
                return False
        extra = raw(path)
        refused = closed_by_daemon(extra, timeout=2)
        print("connection %d refused" % (n + 1) if refused else "connection %d NOT refused" % (n + 1))
        for c in conns:
            c.close()
        time.sleep(0.2)
        return refused and served(path)
    if check == "slow-monitor":
        flag = args[0]
        s = raw(path)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b'{"method":"org.portcullis.Portcullis1.Monitor","more":true}\0')
        c = Connection.__new__(Connection)
        c.sock, c.buf = s, b""
        c.receive()
        print("subscribed", flush=True)
        while not os.path.exists(flag):
            time.sleep(0.05)
        s.settimeout(10)
        events = 0
        while True:
            try:
                r = c.receive()
            except (ConnectionResetError, socket.timeout) as e:
                print("error", e)
                break
            if r is None:
                print("EOF", flush=True)
                break
            events += 1
        print("events", events, flush=True)
        return True
    print("unknown check", check)
    return False


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1], sys.argv[2], sys.argv[3:]) else 1)
