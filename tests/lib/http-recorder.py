#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A local HTTP server for the action tests: records every request as one JSON line
{"time", "method", "path", "headers", "body"} in LOG and answers by path:
  /hang...  never answers (keeps the connection open)
  /fail...  HTTP 500
  /flaky... HTTP 500 for the first two requests to that path, then 200
  else      HTTP 200 {"ok": true}
usage: http-recorder.py PORT LOG"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, log = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()
seen = {}


class H(BaseHTTPRequestHandler):
    def handle_any(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8", "replace")
        with lock:
            with open(log, "a") as f:
                f.write(json.dumps({"time": time.time(), "method": self.command, "path": self.path,
                                    "headers": dict(self.headers), "body": body}) + "\n")
            seen[self.path] = seen.get(self.path, 0) + 1
            count = seen[self.path]
        if self.path.startswith("/hang"):
            time.sleep(3600)
            return
        code = 500 if self.path.startswith("/fail") or (self.path.startswith("/flaky") and count <= 2) else 200
        out = b'{"ok": true}' if code == 200 else b'{"error": "boom"}'
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_POST = do_PUT = do_GET = handle_any

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
