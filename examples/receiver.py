"""A webhook receiver that checks Kapso's signatures, on Python's standard library: the smallest
correct receiver, for `kapsoctl verify` to test in the demo (and a reference for your own).

    RECEIVER_SECRET=... python3 examples/receiver.py [PORT]

Listens on 127.0.0.1 (PORT, or a free one; prints "listening on PORT"). For each POST it computes
the hex HMAC-SHA256 of the raw body bytes keyed by RECEIVER_SECRET and compares it, in constant
time, with X-Webhook-Signature: 200 when they match, 401 when they do not or the header is missing.
Deliveries marked `X-Webhook-Test: true` are acknowledged and not processed. Logs one line per
request on stdout (never the signature or the secret).
"""
import hashlib
import hmac
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ.get("RECEIVER_SECRET", "").encode()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)  # the raw bytes: sign these, never a re-encoded parse
        expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        given = self.headers.get("X-Webhook-Signature") or ""
        good = bool(SECRET) and hmac.compare_digest(expected, given)
        event = self.headers.get("X-Webhook-Event", "?")
        test = self.headers.get("X-Webhook-Test") == "true"
        status = 200 if good else 401
        print(f"receiver: {event}{' (test)' if test else ''}: signature {'valid' if good else 'INVALID'} -> {status}", flush=True)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
