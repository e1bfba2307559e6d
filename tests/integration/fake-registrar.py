#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""fake-registrar.py KEYHEX MODE PORTFILE: a hostile or broken registrar on
loopback, for what the agent must not believe or print raw.  Writes its port
to PORTFILE, then answers every request by MODE:
  escapes   200, signed, host_name / pci_filter / pci_short_address holding
            terminal control sequences
  unsigned  200 without X-Onepci-Signature
  badsig    200 signed with another key
Signatures as lib/sign.h says (Responses)."""

import email.utils
import hashlib
import hmac
import http.server
import json
import os
import re
import sys


def sign(key, status, date, nonce, body):
    s = "ONEPCI-HMAC-SHA256-RESPONSE\n%d\n%s\n%s\n%s" % (
        status, date, nonce, hashlib.sha256(body).hexdigest())
    return hmac.new(bytes.fromhex(key), s.encode(), hashlib.sha256).hexdigest()


def main():
    key, mode, portfile = sys.argv[1:4]

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            m = re.search(r"nonce=([0-9a-f]+)", self.headers.get("Authorization", ""))
            nonce = m.group(1) if m else ""
            body = json.dumps({
                "host_name": "192.168.122.3\x1b]0;owned\x07\x1b[2J",
                "host_id": 3,
                "pci_filter": "10de:26b9\nonepci-agent: registration: done",
                "pci_short_address": "09:00.0\x9b31m",
                "changed": True,
            }).encode()
            date = email.utils.formatdate(usegmt=True)
            self.send_response_only(200)
            self.send_header("Date", date)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if mode == "escapes":
                self.send_header("X-Onepci-Signature", sign(key, 200, date, nonce, body))
            elif mode == "badsig":
                self.send_header("X-Onepci-Signature", sign("ab" * 32, 200, date, nonce, body))
            self.end_headers()
            self.wfile.write(body)

        do_PUT = answer
        do_GET = answer

        def log_message(self, *args):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
