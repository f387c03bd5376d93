#!/usr/bin/env python3
"""The demo's order server: a stand-in for a store's order system.

Prints every order the gateway delivers (POST, JSON) with its
Idempotency-Key and answers 201; an order delivered again with a key it
has seen (the gateway retries until it hears a 2xx) is answered 200 and
printed as a repeat, as a real order server must dedupe on that key.

usage: demo-order-server.py [--listen 127.0.0.1:8090] [--log FILE]
"""
import argparse
import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 20


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:8090")
    ap.add_argument("--log", default=None)
    a = ap.parse_args()
    host, _, port = a.listen.rpartition(":")
    log = open(a.log, "a", buffering=1) if a.log else None
    seen = {}

    def say(line):
        print(line, flush=True)
        if log:
            log.write(line + "\n")

    class Handler(BaseHTTPRequestHandler):
        server_version = "demo-order-server"

        def log_message(self, fmt, *args):  # no access log
            pass

        def answer(self, code, obj):
            body = (json.dumps(obj) + "\n").encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n <= 0 or n > MAX_BODY:
                self.answer(400, {"error": "body"})
                return
            raw = self.rfile.read(n)
            key = self.headers.get("Idempotency-Key", "")
            try:
                o = json.loads(raw)
            except ValueError:
                self.answer(400, {"error": "not JSON"})
                return
            if not key:
                self.answer(400, {"error": "no Idempotency-Key"})
                return
            if key in seen:
                seen[key] += 1
                say(f"order {key}: delivered again (#{seen[key]}), "
                    "already recorded")
                self.answer(200, {"order": key, "status": "duplicate"})
                return
            seen[key] = 1
            items = ", ".join(f"{i.get('qty')} x {i.get('sku')}"
                              for i in o.get("items", []))
            cust = o.get("customer", {})
            say(f"order {key}: Idempotency-Key {key}, store "
                f"{o.get('store')}, {items}; for {cust.get('name')} "
                f"<{cust.get('email')}>"
                + (f", call {o['call']}" if o.get("call") else "")
                + (f", reps {','.join(o['reps'])}" if o.get("reps") else ""))
            self.answer(201, {"order": key, "status": "recorded"})

    srv = ThreadingHTTPServer((host, int(port)), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    say(f"demo order server: listening on http://{a.listen}/ "
        "(prints each order)")
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
