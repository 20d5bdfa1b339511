#!/usr/bin/env python3
"""A complete Roster webhook receiver: verifies every delivery with the Standard
Webhooks library (`pip install standardwebhooks`) and prints what it got.

    WEBHOOK_SECRET=whsec_... python3 tools/webhook_receiver.py [port]

Answers 204 to a verified delivery and 400 to anything else (Roster retries
non-2xx answers on its schedule, with the same webhook-id).
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

verifier = Webhook(os.environ["WEBHOOK_SECRET"])
seen = set()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            event = verifier.verify(body, headers)
        except WebhookVerificationError as e:
            print(f"REFUSED {headers.get('webhook-id')}: {e}", flush=True)
            self.send_response(400)
            self.end_headers()
            return
        # At least once: the same webhook-id may come again after a lost answer.
        again = " (again)" if headers["webhook-id"] in seen else ""
        seen.add(headers["webhook-id"])
        print(f"verified {headers['webhook-id']}{again} {event['type']}: {json.dumps(event['data'])[:160]}", flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
print(f"listening on http://127.0.0.1:{port}/", flush=True)
HTTPServer(("127.0.0.1", port), Receiver).serve_forever()
