#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A small varlink client for the tests, speaking the real wire protocol (NUL-terminated JSON objects on a
Unix stream socket), plus a syntax check of varlink IDL text. As a module: Connection, idl_check().
As a program:
  varlink.py SOCKET call METHOD [JSON-PARAMETERS]  one call; prints the reply's JSON (parameters, or
                                                   {"error": …, "parameters": …}); exit 0, or 1 on an error
  varlink.py SOCKET monitor [COUNT]                Monitor with more: prints every reply (one JSON per line,
                                                   flushed) until COUNT events or EOF
  varlink.py idl-check FILE                        exit 0 when FILE is valid varlink IDL, else prints why"""
import json
import re
import socket
import sys


class Connection:
    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def send(self, method, parameters=None, more=False, oneway=False):
        msg = {"method": method}
        if parameters is not None:
            msg["parameters"] = parameters
        if more:
            msg["more"] = True
        if oneway:
            msg["oneway"] = True
        self.sock.sendall(json.dumps(msg).encode() + b"\0")

    def receive(self):
        """The next reply as a dict; None at EOF."""
        while b"\0" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, parameters=None):
        self.send(method, parameters)
        return self.receive()

    def close(self):
        self.sock.close()


# ---- varlink IDL syntax (varlink.org "Interface Definition") ----------------------------------------
_NAME = r"[A-Z][A-Za-z0-9]*"
_FIELD = r"[A-Za-z](?:_?[A-Za-z0-9])*"
_IFACE = r"[A-Za-z](?:-*[A-Za-z0-9])*(?:\.[A-Za-z0-9](?:-*[A-Za-z0-9])*)+"


class IdlError(Exception):
    pass


class _Parser:
    def __init__(self, text):
        # comments run from # to the end of the line
        self.toks = re.findall(r"->|[A-Za-z_][A-Za-z0-9_.\-]*|\[\]|\[string\]|[(),:?]|\S",
                               "\n".join(l.split("#", 1)[0] for l in text.splitlines()))
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expect=None, pattern=None):
        t = self.peek()
        if t is None or (expect is not None and t != expect) or (pattern and not re.fullmatch(pattern, t)):
            raise IdlError("expected %s at token %d, got %r" % (expect or pattern, self.i, t))
        self.i += 1
        return t

    def type_(self, types):
        t = self.peek()
        if t == "?":
            self.take("?")
            if self.peek() == "?":
                raise IdlError("double ?")
            return self.type_(types)
        if t in ("[]", "[string]"):
            self.take()
            return self.type_(types)
        if t == "(":
            return self.struct_or_enum(types)
        if t in ("bool", "int", "float", "string", "object"):
            return self.take()
        name = self.take(pattern=_NAME)
        types.append(name)
        return name

    def struct_or_enum(self, types):
        self.take("(")
        names, enum = [], None
        while self.peek() != ")":
            names.append(self.take(pattern=_FIELD))
            if enum is None:
                enum = self.peek() != ":"
            if not enum:
                self.take(":")
                self.type_(types)
            if self.peek() == ",":
                self.take(",")
                if self.peek() == ")":
                    raise IdlError("trailing comma")
            elif self.peek() != ")":
                raise IdlError("expected , or ) at token %d" % self.i)
        self.take(")")
        if len(set(names)) != len(names):
            raise IdlError("duplicate field in %s" % names)

    def parse(self):
        self.take("interface")
        name = self.take(pattern=_IFACE)
        defined, used, members = set(), [], set()
        while self.peek() is not None:
            kw = self.take()
            if kw == "type":
                n = self.take(pattern=_NAME)
                self.struct_or_enum(used)
                defined.add(n)
            elif kw == "method":
                n = self.take(pattern=_NAME)
                self.struct_or_enum(used)
                self.take("->")
                self.struct_or_enum(used)
            elif kw == "error":
                n = self.take(pattern=_NAME)
                self.struct_or_enum(used)
            else:
                raise IdlError("unexpected %r" % kw)
            if n in members:
                raise IdlError("%s defined twice" % n)
            members.add(n)
        undefined = [t for t in used if t not in defined]
        if undefined:
            raise IdlError("undefined types %s" % undefined)
        return name, members


def idl_check(text):
    """Returns (interface name, set of member names); raises IdlError."""
    return _Parser(text).parse()


def main(argv):
    if argv[1] == "idl-check":
        try:
            name, members = idl_check(open(argv[2]).read())
        except IdlError as e:
            print("invalid IDL:", e)
            return 1
        print(name, " ".join(sorted(members)))
        return 0
    path, what = argv[1], argv[2]
    c = Connection(path)
    if what == "call":
        reply = c.call(argv[3], json.loads(argv[4]) if len(argv) > 4 else {})
        if reply is None:
            print("EOF")
            return 2
        print(json.dumps(reply.get("parameters", {}) if "error" not in reply else reply, sort_keys=True))
        return 1 if "error" in reply else 0
    if what == "monitor":
        count = int(argv[3]) if len(argv) > 3 else -1
        c.sock.settimeout(None)
        c.send("org.portcullis.Portcullis1.Monitor", {}, more=True)
        while count != 0:
            reply = c.receive()
            if reply is None:
                print("EOF", flush=True)
                return 0
            print(json.dumps(reply, sort_keys=True), flush=True)
            if "event" in reply.get("parameters", {}):
                count -= 1
        return 0
    print("unknown command", what)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
